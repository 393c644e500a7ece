// Hand-built MySQL connection-phase packets for tests, written from the
// protocol documentation ("Protocol::HandshakeV10", "ERR_Packet"), not with
// the codec under test.
#pragma once

#include <cstdint>
#include <string>

namespace plprobe::probes::mysql::testing {

inline std::string le(std::uint32_t value, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  return out;
}

// 3-byte length, sequence id, payload.
inline std::string packet(const std::string& payload, int sequence) {
  return le(static_cast<std::uint32_t>(payload.size()), 3) + std::string(1, static_cast<char>(sequence)) + payload;
}

struct GreetingSpec {
  std::string version = "8.0.36";
  std::uint32_t connection_id = 77;
  std::uint32_t capabilities = 0xffffffff & ~(1u << 11);  // everything but CLIENT_SSL
  bool tls = false;
  std::string plugin = "caching_sha2_password";
  std::uint32_t mariadb_capabilities = 0;  // written when CLIENT_LONG_PASSWORD (CLIENT_MYSQL) is off
};

// Protocol::HandshakeV10 payload.
inline std::string greeting_payload(const GreetingSpec& spec) {
  std::uint32_t caps = spec.capabilities;
  if (spec.tls) caps |= 1u << 11;
  std::string payload(1, '\x0a');
  payload += spec.version;
  payload.push_back('\0');
  payload += le(spec.connection_id, 4);
  payload += "abcdefgh";  // auth-plugin-data-part-1
  payload.push_back('\0');  // filler
  payload += le(caps & 0xffff, 2);
  payload.push_back('\x21');  // character set 33
  payload += le(0x0002, 2);   // SERVER_STATUS_AUTOCOMMIT
  payload += le(caps >> 16, 2);
  payload.push_back(static_cast<char>(21));  // auth_plugin_data_len
  payload += std::string(6, '\0');
  payload += (caps & 1u) ? std::string(4, '\0') : le(spec.mariadb_capabilities, 4);
  payload += "ijklmnopqrst";  // part 2: 12 bytes and a NUL = 13
  payload.push_back('\0');
  payload += spec.plugin;
  payload.push_back('\0');
  return payload;
}

inline std::string greeting(const GreetingSpec& spec) { return packet(greeting_payload(spec), 0); }

// ERR_Packet with an optional '#'+SQL state.
inline std::string err_payload(std::uint16_t code, const std::string& state, const std::string& message) {
  std::string payload = "\xff" + le(code, 2);
  if (!state.empty()) payload += "#" + state;
  return payload + message;
}

}  // namespace plprobe::probes::mysql::testing
