// Fuzz target: the PostgreSQL start-up decoders (probes/postgres/
// postgres_messages.h) and libpq error parsing over arbitrary bytes. The
// input is read as a stream of backend messages, as the probe reads them;
// every body goes through every decoder. None may read out of bounds, loop
// without bound, or return more than the bytes could hold.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "probes/postgres/postgres_libpq.h"
#include "probes/postgres/postgres_messages.h"

namespace pg = plprobe::probes::postgres;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)pg::identify_other_protocol(input);
  if (pg::printable(input, 16).size() > 16 * 4 + 3) __builtin_trap();
  std::string why;
  (void)pg::body_length(input.substr(0, pg::kHeaderSize), pg::kMaxStartupMessageBody, why);
  std::string_view rest = input;
  while (!rest.empty()) {
    pg::Frame frame;
    std::size_t frame_size = 0;
    const auto framing = pg::next_frame(rest, pg::kMaxStartupMessageBody, frame, frame_size, why);
    if (framing != pg::Framing::complete) break;
    if (frame_size > rest.size() || frame_size < pg::kHeaderSize || frame.body.size() > pg::kMaxStartupMessageBody) {
      __builtin_trap();
    }
    if (auto request = pg::parse_authentication(frame.body, why)) {
      if (request->mechanisms.size() > frame.body.size()) __builtin_trap();
      (void)pg::auth_method_name(*request);
    }
    if (auto fields = pg::parse_error_fields(frame.body, why)) {
      if (fields->other.size() > 16) __builtin_trap();
    }
    (void)pg::parse_parameter_status(frame.body);
    if (auto negotiation = pg::parse_negotiate_protocol_version(frame.body)) {
      if (negotiation->unrecognized_options.size() > frame.body.size()) __builtin_trap();
    }
    rest.remove_prefix(frame_size);
  }
  (void)pg::parse_libpq_error(input);
  return 0;
}
