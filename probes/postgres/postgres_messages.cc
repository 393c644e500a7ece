#include "probes/postgres/postgres_messages.h"

#include <algorithm>

#include <fmt/format.h>

namespace plprobe::probes::postgres {
namespace {

void put_int32(std::string& out, std::uint32_t value) {
  out.push_back(static_cast<char>((value >> 24) & 0xff));
  out.push_back(static_cast<char>((value >> 16) & 0xff));
  out.push_back(static_cast<char>((value >> 8) & 0xff));
  out.push_back(static_cast<char>(value & 0xff));
}

std::uint32_t get_uint32(std::string_view bytes) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[0])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[3]));
}

// A NUL-terminated string at the front of `rest`, which is advanced past it.
std::optional<std::string_view> take_cstring(std::string_view& rest) {
  const auto end = rest.find('\0');
  if (end == std::string_view::npos) return std::nullopt;
  auto text = rest.substr(0, end);
  rest.remove_prefix(end + 1);
  return text;
}

std::string cut_at_nul(const std::string& text) { return text.substr(0, text.find('\0')); }

}  // namespace

std::string ssl_request() {
  std::string out;
  put_int32(out, 8);
  put_int32(out, kSslRequestCode);
  return out;
}

std::string startup_message(const std::vector<std::pair<std::string, std::string>>& parameters) {
  std::string body;
  put_int32(body, kProtocolVersion30);
  for (const auto& [name, value] : parameters) {
    body += cut_at_nul(name);
    body.push_back('\0');
    body += cut_at_nul(value);
    body.push_back('\0');
  }
  body.push_back('\0');  // 55.7: "A zero byte is required as a terminator after the last name/value pair."
  std::string out;
  put_int32(out, static_cast<std::uint32_t>(body.size() + 4));
  out += body;
  return out;
}

std::string terminate_message() {
  std::string out(1, 'X');
  put_int32(out, 4);
  return out;
}

std::optional<std::size_t> body_length(std::string_view header, std::size_t max_body, std::string& why) {
  if (header.size() < kHeaderSize) {
    why = "a message header is 5 bytes";
    return std::nullopt;
  }
  const char type = header[0];
  if (!((type >= 'A' && type <= 'Z') || (type >= 'a' && type <= 'z'))) {
    why = fmt::format("message type byte 0x{:02x} is not a PostgreSQL message type", static_cast<unsigned char>(type));
    return std::nullopt;
  }
  const std::uint32_t length = get_uint32(header.substr(1, 4));
  if (length < 4) {
    why = fmt::format("message '{}' announces a length of {}, below the 4 bytes of the length itself", type, length);
    return std::nullopt;
  }
  if (length - 4 > max_body) {
    why = fmt::format("message '{}' announces {} bytes, more than the {} a start-up message may have", type, length,
                      max_body);
    return std::nullopt;
  }
  return static_cast<std::size_t>(length - 4);
}

Framing next_frame(std::string_view buffer, std::size_t max_body, Frame& frame, std::size_t& frame_size,
                   std::string& why) {
  if (buffer.size() < kHeaderSize) return Framing::incomplete;
  auto length = body_length(buffer.substr(0, kHeaderSize), max_body, why);
  if (!length) return Framing::invalid;
  if (buffer.size() - kHeaderSize < *length) return Framing::incomplete;
  frame.type = buffer[0];
  frame.body = buffer.substr(kHeaderSize, *length);
  frame_size = kHeaderSize + *length;
  return Framing::complete;
}

std::optional<AuthRequest> parse_authentication(std::string_view body, std::string& why) {
  if (body.size() < 4) {
    why = "authentication request shorter than its 4-byte code";
    return std::nullopt;
  }
  AuthRequest request;
  const auto code = static_cast<std::int32_t>(get_uint32(body));
  std::string_view rest = body.substr(4);
  switch (code) {
    case 0:
    case 2:
    case 3:
    case 7:
    case 9:
      request.code = static_cast<AuthCode>(code);
      return request;
    case 5:
      // 55.7 AuthenticationMD5Password: "Byte4: The salt to use when encrypting the password."
      if (rest.size() < 4) {
        why = "MD5 authentication request without its 4-byte salt";
        return std::nullopt;
      }
      request.code = AuthCode::md5_password;
      request.md5_salt = std::string(rest.substr(0, 4));
      return request;
    case 10:
      // 55.7 AuthenticationSASL: "The message body is a list of SASL
      // authentication mechanisms, in the server's order of preference. A
      // zero byte is required as terminator after the last authentication
      // mechanism name."
      request.code = AuthCode::sasl;
      while (true) {
        auto name = take_cstring(rest);
        if (!name) {
          why = "SASL mechanism list is not terminated";
          return std::nullopt;
        }
        if (name->empty()) break;
        request.mechanisms.emplace_back(*name);
      }
      if (request.mechanisms.empty()) {
        why = "SASL authentication request lists no mechanism";
        return std::nullopt;
      }
      return request;
    case 8:
    case 11:
    case 12:
      // Continuations carry opaque data; they never start an exchange.
      request.code = static_cast<AuthCode>(code);
      return request;
    default:
      why = fmt::format("unknown authentication request code {}", code);
      return std::nullopt;
  }
}

std::string auth_method_name(const AuthRequest& request) {
  switch (request.code) {
    case AuthCode::ok:
      return "trust";
    case AuthCode::kerberos_v5:
      return "kerberos_v5";
    case AuthCode::cleartext_password:
      return "password";
    case AuthCode::md5_password:
      return "md5";
    case AuthCode::gss:
    case AuthCode::gss_continue:
      return "gss";
    case AuthCode::sspi:
      return "sspi";
    case AuthCode::sasl:
    case AuthCode::sasl_continue:
    case AuthCode::sasl_final:
      if (std::find(request.mechanisms.begin(), request.mechanisms.end(), "SCRAM-SHA-256") !=
          request.mechanisms.end()) {
        return "scram-sha-256";
      }
      return "sasl";
  }
  return fmt::format("code {}", static_cast<std::int32_t>(request.code));
}

std::optional<ErrorFields> parse_error_fields(std::string_view body, std::string& why) {
  // 55.8: "The message body consists of one or more identified fields,
  // followed by a zero byte as a terminator. Each field has a one-byte
  // identification token followed by a string."
  ErrorFields fields;
  std::string localized_severity;
  std::string_view rest = body;
  while (true) {
    if (rest.empty()) {
      why = "error fields are not terminated by a zero byte";
      return std::nullopt;
    }
    const char type = rest.front();
    rest.remove_prefix(1);
    if (type == '\0') break;
    auto value = take_cstring(rest);
    if (!value) {
      why = fmt::format("error field '{}' is not terminated", type);
      return std::nullopt;
    }
    switch (type) {
      case 'S':
        localized_severity = std::string(*value);
        break;
      case 'V':
        fields.severity = std::string(*value);
        break;
      case 'C':
        fields.code = std::string(*value);
        break;
      case 'M':
        fields.message = std::string(*value);
        break;
      case 'D':
        fields.detail = std::string(*value);
        break;
      case 'H':
        fields.hint = std::string(*value);
        break;
      case 'R':
        fields.routine = std::string(*value);
        break;
      default:
        // 55.8 lists more (position, where, schema, ...); none matters at
        // start-up, and a hostile server could send thousands: keep 16.
        if (fields.other.size() < 16) fields.other.emplace_back(type, std::string(*value));
        break;
    }
  }
  if (fields.severity.empty()) fields.severity = std::move(localized_severity);
  return fields;
}

std::optional<std::pair<std::string, std::string>> parse_parameter_status(std::string_view body) {
  auto name = take_cstring(body);
  if (!name) return std::nullopt;
  auto value = take_cstring(body);
  if (!value) return std::nullopt;
  return std::make_pair(std::string(*name), std::string(*value));
}

std::optional<ProtocolNegotiation> parse_negotiate_protocol_version(std::string_view body) {
  if (body.size() < 8) return std::nullopt;
  ProtocolNegotiation negotiation;
  negotiation.newest_minor = static_cast<std::int32_t>(get_uint32(body));
  const auto count = static_cast<std::int32_t>(get_uint32(body.substr(4)));
  if (count < 0) return std::nullopt;
  std::string_view rest = body.substr(8);
  for (std::int32_t i = 0; i < count; ++i) {
    auto option = take_cstring(rest);
    if (!option) return std::nullopt;  // a count the body cannot hold ends here, not after 2^31 steps
    negotiation.unrecognized_options.emplace_back(*option);
  }
  return negotiation;
}

std::string identify_other_protocol(std::string_view bytes) {
  auto byte = [&bytes](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  if (bytes.size() >= 3 && byte(0) >= 0x14 && byte(0) <= 0x17 && byte(1) == 0x03 && byte(2) <= 0x04) {
    return "a TLS server (it answered with a TLS record: the port expects TLS from the first byte)";
  }
  if (bytes.substr(0, 5) == "HTTP/") return "an HTTP server";
  if (bytes.substr(0, 4) == "SSH-") return "an SSH server";
  // MySQL/MariaDB greet first: 3-byte length, sequence 0, protocol 10 (or an ERR packet).
  if (bytes.size() >= 5 && byte(3) == 0 && (byte(4) == 0x0a || byte(4) == 0xff)) {
    return "a MySQL or MariaDB server (it sent a MySQL greeting)";
  }
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

}  // namespace plprobe::probes::postgres
