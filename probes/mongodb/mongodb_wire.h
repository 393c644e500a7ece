// The MongoDB wire protocol framing, as pure functions over bytes (no I/O):
// what plprobe sends (OP_MSG, legacy OP_QUERY) and what it accepts back
// (OP_MSG, legacy OP_REPLY).
//
// Reference: MongoDB manual, "MongoDB Wire Protocol"
// (reference/mongodb-wire-protocol): "Standard Message Header", "Opcodes",
// "OP_MSG" (flagBits, sections of kind 0 and 1, optional CRC-32C checksum),
// "Legacy Opcodes" (OP_QUERY, OP_REPLY). All integers are little-endian.
//
// Defensive rules for replies (each failure is one clause in `problem`):
//   - messageLength between the smallest reply and kMaxMessageBytes;
//   - opCode OP_MSG or OP_REPLY only: OP_COMPRESSED is refused because
//     plprobe never offers a compressor, anything else is not a reply;
//   - OP_MSG: no unknown required flag bit (bits 0-15, "the receiver MUST
//     error" per the manual), exactly one body section (kind 0), document
//     sequences (kind 1) skipped with their bounds checked, a checksum
//     verified when flagged;
//   - OP_REPLY: exactly one document (numberReturned 1) for a command;
//   - every document checked by Document::parse (mongodb_bson.h).
// The caller matches responseTo against its requestID.
//
// Threading: pure functions, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "probes/mongodb/mongodb_bson.h"

namespace plprobe::probes::mongodb {

namespace opcode {
inline constexpr std::int32_t reply = 1;          // OP_REPLY (legacy answer to OP_QUERY)
inline constexpr std::int32_t query = 2004;       // OP_QUERY (legacy)
inline constexpr std::int32_t compressed = 2012;  // OP_COMPRESSED
inline constexpr std::int32_t msg = 2013;         // OP_MSG (MongoDB 3.6+)
}  // namespace opcode

inline constexpr std::size_t kHeaderBytes = 16;

// The largest message plprobe accepts: 48,000,000 bytes, MongoDB's
// maxMessageSizeBytes (hello reply field; the server's fixed limit since
// 2.6, which it never exceeds when replying). Anything larger cannot be a
// MongoDB reply.
inline constexpr std::int32_t kMaxMessageBytes = 48'000'000;

// OP_MSG flagBits (manual, "OP_MSG" > "flagBits").
namespace msg_flag {
inline constexpr std::uint32_t checksum_present = 1u << 0;
inline constexpr std::uint32_t more_to_come = 1u << 1;
inline constexpr std::uint32_t exhaust_allowed = 1u << 16;
inline constexpr std::uint32_t required_mask = 0xffffu;  // bits 0-15 must be understood
}  // namespace msg_flag

// OP_REPLY responseFlags (manual, "OP_REPLY").
namespace reply_flag {
inline constexpr std::int32_t cursor_not_found = 1 << 0;
inline constexpr std::int32_t query_failure = 1 << 1;
}  // namespace reply_flag

struct Header {
  std::int32_t message_length = 0;
  std::int32_t request_id = 0;
  std::int32_t response_to = 0;
  std::int32_t op_code = 0;
};

// Checks the 16 bytes of a reply's header. On failure says what the bytes
// look like when they are recognisably something else (TLS, HTTP, SSH).
std::optional<Header> parse_header(ByteView header, std::string& problem);

// What the peer's first bytes say about it, when they are not MongoDB:
// "a TLS record", "an HTTP response", "an SSH banner"; empty otherwise.
std::string recognise_other_protocol(ByteView first_bytes);

// OP_MSG with flagBits 0 and one body section (kind 0) holding `body`,
// which must already carry "$db".
Bytes encode_op_msg(std::int32_t request_id, const Document& body);

// OP_QUERY on `full_collection_name` ("admin.$cmd"), numberToReturn -1 (one
// document, as drivers send commands), flags 0.
Bytes encode_op_query(std::int32_t request_id, std::string_view full_collection_name, const Document& query);

struct Reply {
  Header header;
  Document document;          // the OP_MSG body section, or OP_REPLY's single document
  std::uint32_t flag_bits = 0;      // OP_MSG
  std::int32_t response_flags = 0;  // OP_REPLY
  bool checksum_verified = false;
  std::size_t sequences = 0;  // OP_MSG document sequences skipped
};

// Decodes a whole reply message (header included).
std::optional<Reply> decode_reply(ByteView message, std::string& problem);

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as OP_MSG's checksum.
std::uint32_t crc32c(ByteView data);

}  // namespace plprobe::probes::mongodb
