// The Kafka decoders on answers of realistic sizes: a broker's ApiVersions
// list, a small cluster's Metadata at the versions the mock cluster and
// modern brokers speak, and a large cluster (30 brokers, 1,000 topics of
// 12 partitions: about 12,000 partitions, above most ClickPipes sources).
// Also the SCRAM proof, which runs PBKDF2 on the probe's event-loop thread.
#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>

#include "probes/kafka/kafka_codec.h"
#include "probes/kafka/kafka_sasl.h"

namespace {

namespace kafka = plprobe::probes::kafka;

kafka::MetadataResponse cluster(int brokers, int topics, int partitions) {
  kafka::MetadataResponse response;
  response.cluster_id = "xuy0sb-cluster";
  response.controller_id = 1;
  for (int b = 1; b <= brokers; ++b) {
    response.brokers.push_back({b, "b-" + std::to_string(b) + ".events.xuy0sb.c5.kafka.us-east-1.amazonaws.com", 9096,
                                "use1-az" + std::to_string(b % 3 + 1)});
  }
  for (int t = 0; t < topics; ++t) {
    kafka::MetadataTopic topic;
    topic.name = "topic-" + std::to_string(t);
    for (int p = 0; p < partitions; ++p) {
      const int leader = (t + p) % brokers + 1;
      std::vector<std::int32_t> replicas = {leader, leader % brokers + 1, (leader + 1) % brokers + 1};
      topic.partitions.push_back({0, p, leader, 7, replicas, replicas, {}});
    }
    response.topics.push_back(std::move(topic));
  }
  return response;
}

void BM_DecodeApiVersionsV3(benchmark::State& state) {
  kafka::ApiVersionsResponse response;
  for (std::int16_t key = 0; key < 69; ++key) response.api_keys.push_back({key, 0, 12});
  const auto body = kafka::encode_api_versions_response(3, response);
  std::string error;
  for (auto _ : state) benchmark::DoNotOptimize(kafka::decode_api_versions_response(body, 3, error));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_DecodeApiVersionsV3);

void BM_DecodeMetadataSmall(benchmark::State& state) {
  const auto version = static_cast<std::int16_t>(state.range(0));
  const auto body = kafka::encode_metadata_response(version, cluster(3, 10, 6));
  std::string error;
  for (auto _ : state) benchmark::DoNotOptimize(kafka::decode_metadata_response(body, version, error));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_DecodeMetadataSmall)->Arg(2)->Arg(9)->Arg(12);

void BM_DecodeMetadataLarge(benchmark::State& state) {
  const auto version = static_cast<std::int16_t>(state.range(0));
  const auto body = kafka::encode_metadata_response(version, cluster(30, 1000, 12));
  std::string error;
  for (auto _ : state) benchmark::DoNotOptimize(kafka::decode_metadata_response(body, version, error));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.counters["partitions"] = 12000;
}
BENCHMARK(BM_DecodeMetadataLarge)->Arg(2)->Arg(12)->Unit(benchmark::kMillisecond);

void BM_EncodeRequests(benchmark::State& state) {
  kafka::MetadataRequest request;
  request.topics = std::vector<std::string>{"events"};
  for (auto _ : state) {
    benchmark::DoNotOptimize(kafka::encode_request({kafka::api::api_versions, 3, 1, std::string("plprobe")},
                                                   kafka::encode_api_versions_request(3, "plprobe", "0.1.0")));
    benchmark::DoNotOptimize(kafka::encode_request({kafka::api::metadata, 12, 2, std::string("plprobe")},
                                                   kafka::encode_metadata_request(12, request)));
  }
}
BENCHMARK(BM_EncodeRequests);

void BM_RejectHostileFrameAndCount(benchmark::State& state) {
  const std::uint8_t two_gib[] = {0x80, 0, 0, 0};
  const kafka::Bytes hostile = {0, 0, 0, 0, 0x81, 0xc2, 0xd7, 0x2f, 0, 0, 0, 1};
  std::string error;
  for (auto _ : state) {
    benchmark::DoNotOptimize(kafka::check_frame_size(two_gib, error));
    benchmark::DoNotOptimize(kafka::decode_metadata_response(hostile, 12, error));
  }
}
BENCHMARK(BM_RejectHostileFrameAndCount);

void BM_ScramProof(benchmark::State& state) {
  const auto hash = state.range(0) == 512 ? kafka::ScramHash::sha512 : kafka::ScramHash::sha256;
  std::string error;
  for (auto _ : state) {
    kafka::ScramClient client(hash, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
    benchmark::DoNotOptimize(client.client_final(
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", error));
  }
}
BENCHMARK(BM_ScramProof)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond);

}  // namespace
