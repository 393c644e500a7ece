// The MongoDB reply path on a realistic hello: framing + libbson validation
// (decode_reply), reading the answer (parse_hello), and encoding a request.
// What every handshake and every walked member pays in CPU, apart from I/O.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "probes/mongodb/mongodb_channel.h"
#include "probes/mongodb/mongodb_hello.h"
#include "probes/mongodb/mongodb_walk.h"
#include "probes/mongodb/mongodb_wire.h"

namespace {

using namespace plprobe::probes::mongodb;

// A 7-member replica set's primary, as MongoDB 7.0 answers hello (fields
// and sizes as a real server sends them).
Document hello_of_seven() {
  std::vector<std::string> hosts;
  for (int i = 0; i < 7; ++i) hosts.push_back("mongo-" + std::to_string(i) + ".db.internal.example.com:27017");
  Builder topology;
  topology.int64("counter", 6);
  Builder builder;
  builder.document("topologyVersion", topology)
      .strings("hosts", hosts)
      .string("setName", "rs0")
      .int32("setVersion", 12)
      .boolean("isWritablePrimary", true)
      .boolean("secondary", false)
      .string("primary", hosts[0])
      .string("me", hosts[0])
      .int32("maxBsonObjectSize", 16777216)
      .int32("maxMessageSizeBytes", 48000000)
      .int32("maxWriteBatchSize", 100000)
      .int32("logicalSessionTimeoutMinutes", 30)
      .int64("connectionId", 123456)
      .int32("minWireVersion", 0)
      .int32("maxWireVersion", 21)
      .boolean("readOnly", false)
      .strings("saslSupportedMechs", {"SCRAM-SHA-1", "SCRAM-SHA-256"})
      .number("ok", 1.0);
  return *builder.finish();
}

Bytes reply_frame(const Document& body) {
  Bytes frame = encode_op_msg(7, body);  // same layout as a reply; responseTo patched below
  frame[8] = 1;
  return frame;
}

void BM_DecodeHelloReply(benchmark::State& state) {
  const Bytes frame = reply_frame(hello_of_seven());
  std::string problem;
  for (auto _ : state) {
    auto reply = decode_reply(frame, problem);
    benchmark::DoNotOptimize(reply);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frame.size()));
}
BENCHMARK(BM_DecodeHelloReply);

void BM_DecodeAndReadHello(benchmark::State& state) {
  const Bytes frame = reply_frame(hello_of_seven());
  std::string problem;
  for (auto _ : state) {
    auto reply = decode_reply(frame, problem);
    HelloInfo hello;
    auto status = parse_hello(reply->document, hello);
    auto reports = member_reports(hello);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(reports);
  }
}
BENCHMARK(BM_DecodeAndReadHello);

void BM_HelloFacts(benchmark::State& state) {
  HelloInfo hello;
  (void)parse_hello(hello_of_seven(), hello);
  for (auto _ : state) {
    auto facts = hello_facts(hello);
    benchmark::DoNotOptimize(facts);
  }
}
BENCHMARK(BM_HelloFacts);

void BM_EncodeHelloRequest(benchmark::State& state) {
  Builder fields;
  fields.document("client", client_metadata());
  const Document hello = command("hello", *fields.finish());
  for (auto _ : state) {
    Builder with_db;
    with_db.append_all(hello).string("$db", "admin");
    auto frame = encode_op_msg(1, *with_db.finish());
    benchmark::DoNotOptimize(frame);
  }
}
BENCHMARK(BM_EncodeHelloRequest);

void BM_ValidateDeepDocument(benchmark::State& state) {
  // The worst a hostile peer can send within the depth limit: kMaxDepth levels.
  Document inner;
  for (int i = 0; i < kMaxDepth - 1; ++i) {
    Builder level;
    level.document("a", inner);
    inner = *level.finish();
  }
  std::string problem;
  for (auto _ : state) {
    auto document = Document::parse(inner.bytes(), problem);
    benchmark::DoNotOptimize(document);
  }
}
BENCHMARK(BM_ValidateDeepDocument);

}  // namespace
