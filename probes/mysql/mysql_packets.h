// The MySQL client/server protocol packets of the connection phase, encoded
// and decoded. References (MySQL Source Code Documentation, "Client/Server
// Protocol"): "MySQL Packets" (3-byte length, sequence id), "Connection
// Phase" and its packets Protocol::HandshakeV10, Protocol::SSLRequest,
// Protocol::HandshakeResponse41, Protocol::AuthSwitchRequest, OK_Packet and
// ERR_Packet, and "Capabilities Flags"; MariaDB's "Connection" page for the
// extended capabilities MariaDB keeps in the handshake's reserved bytes.
//
// Pure functions over bytes: no I/O, no state. Decoders never read outside
// the view they are given and report malformed input as nullopt with a
// reason, never by throwing (std::bad_alloc aside). The fuzz target
// mysql_packets (tests/fuzz/) drives every decoder here. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plprobe::probes::mysql {

inline constexpr std::size_t kPacketHeaderSize = 4;
// Connection-phase packets are small: a greeting is under 200 bytes, an ERR
// packet under 600 (MYSQL_ERRMSG_SIZE 512), an AuthSwitchRequest a plugin
// name and 20-odd bytes. 16 KiB is generous and is the only allocation a
// hostile length can cause.
inline constexpr std::size_t kMaxConnectionPacket = 16 * 1024;

// "Capabilities Flags" (CLIENT_*), the bits used here.
namespace capability {
inline constexpr std::uint32_t long_password = 1u << 0;  // MariaDB calls it CLIENT_MYSQL
inline constexpr std::uint32_t connect_with_db = 1u << 3;
inline constexpr std::uint32_t protocol_41 = 1u << 9;
inline constexpr std::uint32_t ssl = 1u << 11;
inline constexpr std::uint32_t transactions = 1u << 13;
inline constexpr std::uint32_t secure_connection = 1u << 15;
inline constexpr std::uint32_t plugin_auth = 1u << 19;
inline constexpr std::uint32_t connect_attrs = 1u << 20;
inline constexpr std::uint32_t plugin_auth_lenenc_client_data = 1u << 21;
}  // namespace capability

// Every CLIENT_* flag set in `flags`, by its MySQL name (CLIENT_SSL, ...).
std::vector<std::string> capability_names(std::uint32_t flags);
// MariaDB's extended capabilities (MARIADB_CLIENT_*), by name.
std::vector<std::string> mariadb_capability_names(std::uint32_t flags);

struct PacketHeader {
  std::uint32_t length = 0;  // payload bytes
  std::uint8_t sequence = 0;
};
PacketHeader parse_header(std::string_view four_bytes);
// Header plus payload (which must be below 16 MiB).
std::string frame_packet(std::string_view payload, std::uint8_t sequence);

// Protocol::HandshakeV10.
struct Handshake {
  std::uint8_t protocol_version = 0;
  std::string server_version;  // as sent, e.g. "5.5.5-10.11.6-MariaDB-0+deb12u1"
  std::uint32_t connection_id = 0;
  std::string auth_data;  // scramble: part 1 and part 2
  std::uint32_t capabilities = 0;
  std::optional<std::uint8_t> character_set;
  std::uint16_t status_flags = 0;
  std::string auth_plugin;  // empty when the server names none
  std::uint32_t mariadb_capabilities = 0;
};

// A v10 handshake payload. nullopt (with `why`) for anything else,
// including protocol version 9 and an ERR packet (check the first byte).
std::optional<Handshake> parse_handshake(std::string_view payload, std::string& why);

bool is_mariadb(const Handshake& handshake);
// The version without MariaDB's "5.5.5-" replication prefix.
std::string display_version(const Handshake& handshake);

// ERR_Packet: 0xFF, error code, ['#' SQL state], message.
struct ErrPacket {
  std::uint16_t code = 0;
  std::string sql_state;  // empty when the server sent none (pre-handshake errors)
  std::string message;
};
std::optional<ErrPacket> parse_err(std::string_view payload, std::string& why);

// Protocol::AuthSwitchRequest: 0xFE, plugin name, plugin data.
struct AuthSwitch {
  std::string plugin;
  std::string data;
};
std::optional<AuthSwitch> parse_auth_switch(std::string_view payload, std::string& why);

// What the client announces: the flags plprobe wants, masked by what the
// server offers, plus CLIENT_SSL when `tls`.
std::uint32_t client_capabilities(const Handshake& server, bool tls);

// Protocol::SSLRequest payload (32 bytes).
std::string ssl_request_payload(std::uint32_t client_flags);

// Protocol::HandshakeResponse41 payload for `user` with `auth_response`
// (may be empty) and `plugin` (used when CLIENT_PLUGIN_AUTH is set).
std::string handshake_response_payload(std::uint32_t client_flags, std::string_view user,
                                       std::string_view auth_response, std::string_view plugin);

// COM_QUIT payload.
std::string quit_payload();

// What else may have answered, judged from the first bytes where a MySQL
// packet was expected ("a TLS server", "an HTTP server", "an SSH server",
// ...); empty when unknown.
std::string identify_other_protocol(std::string_view first_bytes);

// `bytes` as printable text: printable ASCII kept, the rest as \xNN.
std::string printable(std::string_view bytes, std::size_t limit = 16);

}  // namespace plprobe::probes::mysql
