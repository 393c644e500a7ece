// Fuzz target: the MongoDB reply decoder (framing, OP_MSG sections and
// checksum, OP_REPLY, libbson validation behind the depth guard) and the
// hello reader over whatever document comes out. It must never read out of
// bounds, recurse without bound, or accept a document libbson would not.
#include <cstddef>
#include <cstdint>
#include <string>

#include "probes/mongodb/mongodb_hello.h"
#include "probes/mongodb/mongodb_walk.h"
#include "probes/mongodb/mongodb_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace plprobe::probes::mongodb;
  const ByteView bytes(data, size);
  std::string problem;
  (void)parse_header(bytes.first(std::min(size, kHeaderBytes)), problem);
  auto reply = decode_reply(bytes, problem);
  if (!reply) {
    // The same bytes as a bare document, as a reply's body would be read.
    auto document = Document::parse(bytes, problem);
    if (!document) return 0;
    reply.emplace();
    reply->document = std::move(*document);
  }
  HelloInfo hello;
  if (parse_hello(reply->document, hello).ok()) {
    (void)hello_facts(hello).dump();
    for (const auto& report : member_reports(hello)) (void)to_json(report).dump();
  }
  (void)command_error(reply->document);
  return 0;
}
