#include "probes/mysql/mysql_packets.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace plprobe::probes::mysql {
namespace {

std::uint32_t get_le(std::string_view bytes, std::size_t count) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    value |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  return value;
}

void put_le(std::string& out, std::uint32_t value, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// "Capabilities Flags", in bit order.
constexpr std::array<const char*, 32> kCapabilityNames = {
    "CLIENT_LONG_PASSWORD",
    "CLIENT_FOUND_ROWS",
    "CLIENT_LONG_FLAG",
    "CLIENT_CONNECT_WITH_DB",
    "CLIENT_NO_SCHEMA",
    "CLIENT_COMPRESS",
    "CLIENT_ODBC",
    "CLIENT_LOCAL_FILES",
    "CLIENT_IGNORE_SPACE",
    "CLIENT_PROTOCOL_41",
    "CLIENT_INTERACTIVE",
    "CLIENT_SSL",
    "CLIENT_IGNORE_SIGPIPE",
    "CLIENT_TRANSACTIONS",
    "CLIENT_RESERVED",
    "CLIENT_SECURE_CONNECTION",
    "CLIENT_MULTI_STATEMENTS",
    "CLIENT_MULTI_RESULTS",
    "CLIENT_PS_MULTI_RESULTS",
    "CLIENT_PLUGIN_AUTH",
    "CLIENT_CONNECT_ATTRS",
    "CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA",
    "CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS",
    "CLIENT_SESSION_TRACK",
    "CLIENT_DEPRECATE_EOF",
    "CLIENT_OPTIONAL_RESULTSET_METADATA",
    "CLIENT_ZSTD_COMPRESSION_ALGORITHM",
    "CLIENT_QUERY_ATTRIBUTES",
    "MULTI_FACTOR_AUTHENTICATION",
    "CLIENT_CAPABILITY_EXTENSION",
    "CLIENT_SSL_VERIFY_SERVER_CERT",
    "CLIENT_REMEMBER_OPTIONS",
};

// MariaDB's extended capabilities (bits 32+ of its 64-bit flags).
constexpr std::array<const char*, 6> kMariadbCapabilityNames = {
    "MARIADB_CLIENT_PROGRESS",        "MARIADB_CLIENT_COM_MULTI",      "MARIADB_CLIENT_STMT_BULK_OPERATIONS",
    "MARIADB_CLIENT_EXTENDED_METADATA", "MARIADB_CLIENT_CACHE_METADATA", "MARIADB_CLIENT_BULK_UNIT_RESULTS",
};

// The flags plprobe asks for (masked by the server's): 4.1 protocol and
// authentication, plugin names, transactions. Nothing that changes what the
// server sends beyond the login.
constexpr std::uint32_t kWantedCapabilities = capability::long_password | capability::protocol_41 |
                                              capability::transactions | capability::secure_connection |
                                              capability::plugin_auth | capability::plugin_auth_lenenc_client_data;
// 16 MiB - 1: the largest payload of one packet ("MySQL Packets").
constexpr std::uint32_t kMaxPacketSize = 0xffffff;
// utf8mb3_general_ci (33): a character set every 4.1+ server knows.
constexpr std::uint8_t kCharacterSet = 33;

}  // namespace

std::vector<std::string> capability_names(std::uint32_t flags) {
  std::vector<std::string> names;
  for (std::size_t bit = 0; bit < kCapabilityNames.size(); ++bit) {
    if (flags & (1u << bit)) names.emplace_back(kCapabilityNames[bit]);
  }
  return names;
}

std::vector<std::string> mariadb_capability_names(std::uint32_t flags) {
  std::vector<std::string> names;
  for (std::size_t bit = 0; bit < 32; ++bit) {
    if (!(flags & (1u << bit))) continue;
    names.emplace_back(bit < kMariadbCapabilityNames.size() ? std::string(kMariadbCapabilityNames[bit])
                                                             : fmt::format("MARIADB_CLIENT_BIT_{}", bit + 32));
  }
  return names;
}

PacketHeader parse_header(std::string_view four_bytes) {
  return {get_le(four_bytes, 3), static_cast<std::uint8_t>(four_bytes[3])};
}

std::string frame_packet(std::string_view payload, std::uint8_t sequence) {
  std::string out;
  put_le(out, static_cast<std::uint32_t>(payload.size()), 3);
  out.push_back(static_cast<char>(sequence));
  out += payload;
  return out;
}

std::optional<Handshake> parse_handshake(std::string_view payload, std::string& why) {
  Handshake handshake;
  if (payload.empty()) {
    why = "the greeting is empty";
    return std::nullopt;
  }
  handshake.protocol_version = static_cast<std::uint8_t>(payload[0]);
  if (handshake.protocol_version != 10) {
    why = handshake.protocol_version == 9
              ? std::string("protocol version 9 (MySQL before 3.22), which plprobe does not speak")
              : fmt::format("protocol version {} instead of 10", handshake.protocol_version);
    return std::nullopt;
  }
  std::string_view rest = payload.substr(1);
  const auto version_end = rest.find('\0');
  if (version_end == std::string_view::npos) {
    why = "the server version is not terminated";
    return std::nullopt;
  }
  handshake.server_version = std::string(rest.substr(0, version_end));
  rest.remove_prefix(version_end + 1);
  // thread id (4), auth-plugin-data-part-1 (8), filler (1), capability_flags_1 (2).
  if (rest.size() < 15) {
    why = "the greeting ends before its capability flags";
    return std::nullopt;
  }
  handshake.connection_id = get_le(rest, 4);
  handshake.auth_data = std::string(rest.substr(4, 8));
  handshake.capabilities = get_le(rest.substr(13), 2);
  rest.remove_prefix(15);
  if (rest.empty()) return handshake;  // "if more data in the packet": a 4.0-era greeting ends here
  // character_set (1), status_flags (2), capability_flags_2 (2), auth_plugin_data_len (1), reserved (10).
  if (rest.size() < 16) {
    why = "the greeting is cut short after its capability flags";
    return std::nullopt;
  }
  handshake.character_set = static_cast<std::uint8_t>(rest[0]);
  handshake.status_flags = static_cast<std::uint16_t>(get_le(rest.substr(1), 2));
  handshake.capabilities |= get_le(rest.substr(3), 2) << 16;
  const auto auth_data_length = static_cast<std::uint8_t>(rest[5]);
  if (!(handshake.capabilities & capability::long_password)) {
    // MariaDB: without CLIENT_MYSQL the last 4 reserved bytes carry its
    // extended capabilities.
    handshake.mariadb_capabilities = get_le(rest.substr(12), 4);
  }
  rest.remove_prefix(16);
  if (handshake.capabilities & capability::secure_connection) {
    // "$len=MAX(13, length of auth-plugin-data - 8)"; the last byte is a NUL.
    const std::size_t part2 = std::max<std::size_t>(13, auth_data_length > 8 ? auth_data_length - 8u : 0u);
    if (rest.size() < part2) {
      why = "the greeting is cut short in its scramble";
      return std::nullopt;
    }
    std::string_view scramble = rest.substr(0, part2);
    if (!scramble.empty() && scramble.back() == '\0') scramble.remove_suffix(1);
    handshake.auth_data += std::string(scramble);
    rest.remove_prefix(part2);
  }
  if (handshake.capabilities & capability::plugin_auth) {
    // Some 5.5 servers omit the final NUL: the name then runs to the end.
    const auto end = rest.find('\0');
    handshake.auth_plugin = std::string(rest.substr(0, end));
  }
  return handshake;
}

bool is_mariadb(const Handshake& handshake) {
  return handshake.server_version.find("MariaDB") != std::string::npos;
}

std::string display_version(const Handshake& handshake) {
  // MariaDB 10+ prefixes "5.5.5-" so that old replicas, which read the
  // major version from the first digit, do not take it for MySQL 1.0.
  constexpr std::string_view prefix = "5.5.5-";
  if (is_mariadb(handshake) && handshake.server_version.starts_with(prefix)) {
    return handshake.server_version.substr(prefix.size());
  }
  return handshake.server_version;
}

std::optional<ErrPacket> parse_err(std::string_view payload, std::string& why) {
  if (payload.size() < 3 || static_cast<unsigned char>(payload[0]) != 0xff) {
    why = "not an ERR packet (0xFF and a 2-byte code)";
    return std::nullopt;
  }
  ErrPacket err;
  err.code = static_cast<std::uint16_t>(get_le(payload.substr(1), 2));
  std::string_view rest = payload.substr(3);
  // "if capabilities & CLIENT_PROTOCOL_41: sql_state_marker '#', sql_state[5]".
  // Before the handshake the server does not know the client's flags; some
  // servers send the marker anyway, so look for it.
  if (rest.size() >= 6 && rest[0] == '#') {
    err.sql_state = std::string(rest.substr(1, 5));
    rest.remove_prefix(6);
  }
  err.message = std::string(rest);
  return err;
}

std::optional<AuthSwitch> parse_auth_switch(std::string_view payload, std::string& why) {
  if (payload.empty() || static_cast<unsigned char>(payload[0]) != 0xfe) {
    why = "not an AuthSwitchRequest (0xFE)";
    return std::nullopt;
  }
  std::string_view rest = payload.substr(1);
  const auto end = rest.find('\0');
  if (end == std::string_view::npos) {
    why = "the AuthSwitchRequest's plugin name is not terminated";
    return std::nullopt;
  }
  AuthSwitch request;
  request.plugin = std::string(rest.substr(0, end));
  request.data = std::string(rest.substr(end + 1));
  return request;
}

std::uint32_t client_capabilities(const Handshake& server, bool tls) {
  std::uint32_t flags = kWantedCapabilities & server.capabilities;
  flags |= capability::protocol_41;  // the only protocol plprobe speaks; the caller checked the server has it
  if (tls) flags |= capability::ssl;
  return flags;
}

std::string ssl_request_payload(std::uint32_t client_flags) {
  // client_flag (4), max_packet_size (4), character_set (1), filler (23).
  std::string payload;
  put_le(payload, client_flags, 4);
  put_le(payload, kMaxPacketSize, 4);
  payload.push_back(static_cast<char>(kCharacterSet));
  payload.append(23, '\0');
  return payload;
}

std::string handshake_response_payload(std::uint32_t client_flags, std::string_view user,
                                       std::string_view auth_response, std::string_view plugin) {
  std::string payload = ssl_request_payload(client_flags);
  payload += user.substr(0, user.find('\0'));
  payload.push_back('\0');
  if (client_flags & capability::plugin_auth_lenenc_client_data) {
    // A length-encoded integer below 251 is one byte.
    const std::string_view data = auth_response.substr(0, 250);
    payload.push_back(static_cast<char>(data.size()));
    payload += data;
  } else if (client_flags & capability::secure_connection) {
    const std::string_view data = auth_response.substr(0, 255);
    payload.push_back(static_cast<char>(data.size()));
    payload += data;
  } else {
    payload += auth_response.substr(0, auth_response.find('\0'));
    payload.push_back('\0');
  }
  if (client_flags & capability::plugin_auth) {
    payload += plugin.substr(0, plugin.find('\0'));
    payload.push_back('\0');
  }
  return payload;
}

std::string quit_payload() { return std::string(1, '\x01'); }

std::string identify_other_protocol(std::string_view bytes) {
  auto byte = [&bytes](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  if (bytes.size() >= 3 && byte(0) >= 0x14 && byte(0) <= 0x17 && byte(1) == 0x03 && byte(2) <= 0x04) {
    return "a TLS server (it answered with a TLS record)";
  }
  if (bytes.substr(0, 4) == "HTTP") return "an HTTP server";  // a packet header is 4 bytes: "HTTP/1.1 ..." is cut there
  if (bytes.substr(0, 4) == "SSH-") return "an SSH server";
  if (bytes.substr(0, 4) == "+OK " || bytes.substr(0, 4) == "-ERR") return "a Redis or POP3 server";
  if (bytes.size() >= 4 && bytes.substr(0, 4) == "220 ") return "an SMTP or FTP server";
  return {};
}

std::string printable(std::string_view bytes, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (bytes.size() > limit) out += "...";
  return out;
}

}  // namespace plprobe::probes::mysql
