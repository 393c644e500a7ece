// The PostgreSQL wire protocol (v3.0) messages that connection start-up
// needs, encoded and decoded. PostgreSQL documentation, chapter 55
// "Frontend/Backend Protocol": 55.2.1 (Start-up), 55.2.10 (SSL Session
// Encryption), 55.7 (Message Formats), 55.8 (Error and Notice Message Fields).
//
// Pure functions over bytes: no I/O, no state. Decoders never read outside
// the view they are given, never allocate more than what they return, and
// report malformed input as nullopt / Framing::invalid with a reason, never
// by throwing (std::bad_alloc aside). The fuzz target postgres_messages
// (tests/fuzz/) drives every decoder here with arbitrary bytes.
// Thread-safe: nothing here has state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plprobe::probes::postgres {

// 55.7: "SSLRequest: Int32(8) Int32(80877103)" (1234 in the high 16 bits,
// 5679 in the low 16 bits, a number no protocol version will ever have).
inline constexpr std::uint32_t kSslRequestCode = 80877103;
// 55.7 StartupMessage: "Int32(196608): The protocol version number. The most
// significant 16 bits are the major version number (3 for the protocol
// described here). The least significant 16 bits are the minor version (0)."
inline constexpr std::uint32_t kProtocolVersion30 = 196608;

// Backend messages are small during start-up. libpq refuses authentication
// requests and error messages above 30000 bytes at this stage (fe-connect.c,
// PQconnectPoll, "invalid message length"); 64 KiB leaves room for a long
// ErrorResponse detail and is the only allocation a hostile length can cause.
inline constexpr std::size_t kMaxStartupMessageBody = 64 * 1024;

// 55.7 Authentication* request codes (the Int32 after the 'R' length).
enum class AuthCode : std::int32_t {
  ok = 0,
  kerberos_v5 = 2,
  cleartext_password = 3,
  md5_password = 5,
  gss = 7,
  gss_continue = 8,
  sspi = 9,
  sasl = 10,
  sasl_continue = 11,
  sasl_final = 12,
};

// ---- Encoding (frontend messages) ----

std::string ssl_request();
// StartupMessage with the given parameters in order ("user" must be among
// them, 55.7). Names and values must not contain NUL; they are cut at one.
std::string startup_message(const std::vector<std::pair<std::string, std::string>>& parameters);
// Terminate: Byte1('X') Int32(4).
std::string terminate_message();

// ---- Framing (backend messages: Byte1 type, Int32 length including itself) ----

inline constexpr std::size_t kHeaderSize = 5;

enum class Framing { complete, incomplete, invalid };

struct Frame {
  char type = 0;
  std::string_view body;  // points into the buffer given to next_frame()
};

// Body length announced by a 5-byte header, or nullopt (with `why`) when it
// cannot start a backend message: a length below 4, above `max_body` + 4, or
// a type byte that is not a letter (55.7 types are ASCII letters).
std::optional<std::size_t> body_length(std::string_view header, std::size_t max_body, std::string& why);

// The first message of `buffer`: complete (frame and frame_size set),
// incomplete (more bytes needed), or invalid (why set).
Framing next_frame(std::string_view buffer, std::size_t max_body, Frame& frame, std::size_t& frame_size,
                   std::string& why);

// ---- Message bodies ----

struct AuthRequest {
  AuthCode code = AuthCode::ok;
  std::string md5_salt;                 // md5_password: 4 bytes
  std::vector<std::string> mechanisms;  // sasl: e.g. SCRAM-SHA-256, SCRAM-SHA-256-PLUS
};

// 'R' body. nullopt: too short, unknown code, or a SASL list that is not a
// sequence of NUL-terminated names ending with an empty one.
std::optional<AuthRequest> parse_authentication(std::string_view body, std::string& why);

// The method name users know, for facts.auth_method: "trust" (ok),
// "password" (cleartext), "md5", "scram-sha-256" (SASL offering it), "sasl",
// "gss", "sspi", "kerberos_v5"; "code N" for anything else.
std::string auth_method_name(const AuthRequest& request);

// 'E' (ErrorResponse) and 'N' (NoticeResponse) bodies, 55.8. Unknown field
// types are kept in `other` by their type byte, as 55.8 asks ("frontends
// should silently ignore fields of unrecognized type" — we report them).
struct ErrorFields {
  std::string severity;  // 'V' (never localized, 9.6+) or else 'S'
  std::string code;      // 'C': SQLSTATE
  std::string message;   // 'M'
  std::string detail;    // 'D'
  std::string hint;      // 'H'
  std::string routine;   // 'R'
  std::vector<std::pair<char, std::string>> other;
};

std::optional<ErrorFields> parse_error_fields(std::string_view body, std::string& why);

// 'S' ParameterStatus body: name, value.
std::optional<std::pair<std::string, std::string>> parse_parameter_status(std::string_view body);

// 'v' NegotiateProtocolVersion body: newest minor version the server
// supports and the protocol options it did not recognise.
struct ProtocolNegotiation {
  std::int32_t newest_minor = 0;
  std::vector<std::string> unrecognized_options;
};
std::optional<ProtocolNegotiation> parse_negotiate_protocol_version(std::string_view body);

// What else may have answered, judged from the first bytes a server sent
// where a PostgreSQL message was expected: "a TLS server", "an HTTP server",
// "an SSH server", "a MySQL or MariaDB server", ...; empty when unknown.
std::string identify_other_protocol(std::string_view first_bytes);

// `bytes` as printable text for messages: printable ASCII kept, the rest
// as \xNN, at most `limit` input bytes.
std::string printable(std::string_view bytes, std::size_t limit = 16);

}  // namespace plprobe::probes::postgres
