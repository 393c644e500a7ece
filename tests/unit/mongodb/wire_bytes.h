// Builds MongoDB wire messages byte by byte for tests, independently of the
// encoder under test (only Document/Builder from mongodb_bson.h are shared,
// and their bytes are libbson's).
#pragma once

#include <cstdint>
#include <string>

#include "probes/mongodb/mongodb_bson.h"
#include "probes/mongodb/mongodb_wire.h"

namespace plprobe::probes::mongodb::testing {

inline std::string le32(std::uint32_t value) {
  std::string out;
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
  return out;
}

inline std::string bytes_of(const Document& document) {
  return std::string(reinterpret_cast<const char*>(document.bytes().data()), document.size());
}

inline ByteView view(const std::string& bytes) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

inline std::string with_header(std::int32_t request_id, std::int32_t response_to, std::int32_t op, const std::string& body) {
  std::string out = le32(static_cast<std::uint32_t>(16 + body.size()));
  out += le32(static_cast<std::uint32_t>(request_id));
  out += le32(static_cast<std::uint32_t>(response_to));
  out += le32(static_cast<std::uint32_t>(op));
  out += body;
  return out;
}

// OP_MSG: flagBits, one kind-0 section; `checksum` appends a CRC-32C over
// everything before it and sets flag bit 0.
inline std::string op_msg(std::int32_t response_to, const Document& body, std::uint32_t flags = 0,
                          bool checksum = false) {
  std::string payload = le32(flags | (checksum ? 1u : 0u));
  payload.push_back('\0');
  payload += bytes_of(body);
  if (!checksum) return with_header(77, response_to, opcode::msg, payload);
  std::string message = with_header(77, response_to, opcode::msg, payload + "XXXX");
  message.resize(message.size() - 4);
  return message + le32(crc32c(view(message)));
}

// OP_REPLY: responseFlags, cursorID 0, startingFrom 0, numberReturned, documents.
inline std::string op_reply(std::int32_t response_to, const Document& body, std::int32_t number_returned = 1,
                            std::int32_t response_flags = 0) {
  std::string payload = le32(static_cast<std::uint32_t>(response_flags));
  payload.append(8, '\0');
  payload += le32(0);
  payload += le32(static_cast<std::uint32_t>(number_returned));
  payload += bytes_of(body);
  return with_header(78, response_to, opcode::reply, payload);
}

}  // namespace plprobe::probes::mongodb::testing
