// Fuzz target: the MySQL connection-phase decoders (probes/mysql/
// mysql_packets.h) and the SHOW GRANTS reader over arbitrary bytes. The
// input is read as a stream of packets, as the probe reads them; every
// payload goes through every decoder. None may read out of bounds or
// return more than the bytes could hold.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "probes/mysql/mysql_cdc.h"
#include "probes/mysql/mysql_packets.h"

namespace my = plprobe::probes::mysql;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)my::identify_other_protocol(input);
  std::string_view rest = input;
  while (rest.size() >= my::kPacketHeaderSize) {
    const auto header = my::parse_header(rest.substr(0, my::kPacketHeaderSize));
    rest.remove_prefix(my::kPacketHeaderSize);
    if (header.length > my::kMaxConnectionPacket || header.length > rest.size()) break;
    const std::string_view payload = rest.substr(0, header.length);
    rest.remove_prefix(header.length);
    std::string why;
    if (auto handshake = my::parse_handshake(payload, why)) {
      if (handshake->server_version.size() > payload.size() || handshake->auth_data.size() > payload.size()) {
        __builtin_trap();
      }
      (void)my::display_version(*handshake);
      (void)my::capability_names(handshake->capabilities);
      (void)my::mariadb_capability_names(handshake->mariadb_capabilities);
      const auto flags = my::client_capabilities(*handshake, true);
      if (my::ssl_request_payload(flags).size() != 32) __builtin_trap();
      (void)my::handshake_response_payload(flags, handshake->server_version, handshake->auth_data,
                                           handshake->auth_plugin);
    }
    if (auto err = my::parse_err(payload, why)) {
      if (err->message.size() > payload.size()) __builtin_trap();
    }
    (void)my::parse_auth_switch(payload, why);
  }
  // The same bytes as SHOW GRANTS lines.
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < input.size() && lines.size() < 64) {
    auto end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    lines.emplace_back(input.substr(start, end - start));
    start = end + 1;
  }
  my::CdcState state;
  state.grants = my::read_grants(lines);
  for (const auto& line : lines) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos) state.variables[line.substr(0, tab)] = line.substr(tab + 1);
  }
  (void)my::evaluate(state);
  return 0;
}
