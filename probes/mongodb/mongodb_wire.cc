#include "probes/mongodb/mongodb_wire.h"

#include <array>

#include <fmt/format.h>

namespace plprobe::probes::mongodb {
namespace {

std::int32_t read_i32(ByteView bytes, std::size_t at) {
  const auto value = static_cast<std::uint32_t>(bytes[at]) | static_cast<std::uint32_t>(bytes[at + 1]) << 8 |
                     static_cast<std::uint32_t>(bytes[at + 2]) << 16 | static_cast<std::uint32_t>(bytes[at + 3]) << 24;
  return static_cast<std::int32_t>(value);
}

std::uint32_t read_u32(ByteView bytes, std::size_t at) { return static_cast<std::uint32_t>(read_i32(bytes, at)); }

void put_i32(Bytes& out, std::int32_t value) {
  const auto bits = static_cast<std::uint32_t>(value);
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<std::uint8_t>(bits >> shift));
}

void put_header(Bytes& out, std::int32_t request_id, std::int32_t op) {
  put_i32(out, 0);  // messageLength, patched by finish_length()
  put_i32(out, request_id);
  put_i32(out, 0);  // responseTo: 0 in requests
  put_i32(out, op);
}

void finish_length(Bytes& out) {
  const auto length = static_cast<std::uint32_t>(out.size());
  for (int i = 0; i < 4; ++i) out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(length >> (8 * i));
}

// The smallest replies: an OP_MSG with flagBits, one kind byte and an empty
// document; an OP_REPLY with its 20 fixed bytes and no document.
constexpr std::size_t kMinMsgBytes = kHeaderBytes + 4 + 1 + kMinDocumentBytes;
constexpr std::size_t kReplyFixedBytes = 4 + 8 + 4 + 4;
constexpr std::size_t kMinReplyBytes = kHeaderBytes + kReplyFixedBytes;

std::array<std::uint32_t, 256> make_crc32c_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    table[i] = crc;
  }
  return table;
}

std::optional<Document> document_at(ByteView bytes, std::size_t at, std::size_t end, std::size_t& length,
                                    std::string& problem) {
  if (end < at || end - at < 4) {
    problem = fmt::format("a document at byte {} is cut off", at);
    return std::nullopt;
  }
  const std::int32_t declared = read_i32(bytes, at);
  if (declared < static_cast<std::int32_t>(kMinDocumentBytes) || static_cast<std::size_t>(declared) > end - at) {
    problem = fmt::format("a document at byte {} declares {} bytes, but {} are left", at, declared, end - at);
    return std::nullopt;
  }
  length = static_cast<std::size_t>(declared);
  return Document::parse(bytes.subspan(at, length), problem);
}

std::optional<Reply> decode_op_msg(ByteView message, Reply reply, std::string& problem) {
  if (message.size() < kMinMsgBytes) {
    problem = fmt::format("an OP_MSG needs at least {} bytes, this one has {}", kMinMsgBytes, message.size());
    return std::nullopt;
  }
  reply.flag_bits = read_u32(message, kHeaderBytes);
  const std::uint32_t unknown_required =
      reply.flag_bits & msg_flag::required_mask & ~(msg_flag::checksum_present | msg_flag::more_to_come);
  if (unknown_required != 0) {
    problem = fmt::format("the OP_MSG sets required flag bits plprobe does not know (0x{:x})", unknown_required);
    return std::nullopt;
  }
  if ((reply.flag_bits & msg_flag::more_to_come) != 0) {
    // moreToCome in a reply belongs to exhaust cursors, which plprobe never asks for.
    problem = "the OP_MSG sets moreToCome although plprobe did not allow exhaust replies";
    return std::nullopt;
  }
  std::size_t end = message.size();
  if ((reply.flag_bits & msg_flag::checksum_present) != 0) {
    if (end < kMinMsgBytes + 4) {
      problem = "the OP_MSG announces a checksum but is too short to hold one";
      return std::nullopt;
    }
    end -= 4;
    const std::uint32_t sent = read_u32(message, end);
    const std::uint32_t computed = crc32c(message.first(end));
    if (sent != computed) {
      problem = fmt::format("the OP_MSG checksum does not match (sent 0x{:08x}, computed 0x{:08x}): the message was "
                            "altered in transit",
                            sent, computed);
      return std::nullopt;
    }
    reply.checksum_verified = true;
  }
  bool have_body = false;
  std::size_t at = kHeaderBytes + 4;
  while (at < end) {
    const std::uint8_t kind = message[at++];
    if (kind == 0) {
      if (have_body) {
        problem = "the OP_MSG has two body sections (kind 0); the protocol allows exactly one";
        return std::nullopt;
      }
      std::size_t length = 0;
      auto document = document_at(message, at, end, length, problem);
      if (!document) return std::nullopt;
      reply.document = std::move(*document);
      have_body = true;
      at += length;
    } else if (kind == 1) {
      // Document sequence: int32 size (itself included), cstring
      // identifier, documents. Replies to the commands plprobe sends carry
      // none; skip with bounds checked.
      if (end - at < 4) {
        problem = "a document sequence (kind 1) is cut off";
        return std::nullopt;
      }
      const std::int32_t size = read_i32(message, at);
      if (size < 5 || static_cast<std::size_t>(size) > end - at) {
        problem = fmt::format("a document sequence declares {} bytes, but {} are left", size, end - at);
        return std::nullopt;
      }
      at += static_cast<std::size_t>(size);
      ++reply.sequences;
    } else {
      problem = fmt::format("the OP_MSG has a section of unknown kind {}", kind);
      return std::nullopt;
    }
  }
  if (!have_body) {
    problem = "the OP_MSG has no body section (kind 0)";
    return std::nullopt;
  }
  return reply;
}

std::optional<Reply> decode_op_reply(ByteView message, Reply reply, std::string& problem) {
  if (message.size() < kMinReplyBytes) {
    problem = fmt::format("an OP_REPLY needs at least {} bytes, this one has {}", kMinReplyBytes, message.size());
    return std::nullopt;
  }
  reply.response_flags = read_i32(message, kHeaderBytes);
  const std::int32_t number_returned = read_i32(message, kHeaderBytes + 16);
  if (number_returned != 1) {
    problem = fmt::format("the OP_REPLY returns {} documents where a command answer has exactly 1", number_returned);
    return std::nullopt;
  }
  std::size_t length = 0;
  auto document = document_at(message, kMinReplyBytes, message.size(), length, problem);
  if (!document) return std::nullopt;
  if (kMinReplyBytes + length != message.size()) {
    problem = fmt::format("the OP_REPLY has {} bytes after its document", message.size() - kMinReplyBytes - length);
    return std::nullopt;
  }
  reply.document = std::move(*document);
  return reply;
}

}  // namespace

std::string recognise_other_protocol(ByteView first) {
  // TLS record header: content type 20-23 (change_cipher_spec, alert,
  // handshake, application_data), then major version 3 (RFC 8446 §5.1).
  if (first.size() >= 2 && first[0] >= 20 && first[0] <= 23 && first[1] == 3) return "a TLS record";
  const std::string_view text(reinterpret_cast<const char*>(first.data()), first.size());
  if (text.starts_with("HTTP/")) return "an HTTP response";
  if (text.starts_with("SSH-")) return "an SSH banner";
  return {};
}

std::optional<Header> parse_header(ByteView bytes, std::string& problem) {
  if (bytes.size() < kHeaderBytes) {
    problem = fmt::format("a message header needs {} bytes, got {}", kHeaderBytes, bytes.size());
    return std::nullopt;
  }
  Header header{read_i32(bytes, 0), read_i32(bytes, 4), read_i32(bytes, 8), read_i32(bytes, 12)};
  if (const std::string other = recognise_other_protocol(bytes); !other.empty()) {
    problem = fmt::format("the answer starts like {}, not a MongoDB message", other);
    return std::nullopt;
  }
  if (header.message_length < static_cast<std::int32_t>(kHeaderBytes + 4 + 1 + kMinDocumentBytes) &&
      header.message_length < static_cast<std::int32_t>(kMinReplyBytes)) {
    problem = fmt::format("messageLength {} is too small for any reply", header.message_length);
    return std::nullopt;
  }
  if (header.message_length > kMaxMessageBytes) {
    problem = fmt::format("messageLength {} is above MongoDB's limit of {} bytes (maxMessageSizeBytes)",
                          header.message_length, kMaxMessageBytes);
    return std::nullopt;
  }
  if (header.op_code == opcode::compressed) {
    problem = "the answer is OP_COMPRESSED although plprobe offered no compressor";
    return std::nullopt;
  }
  if (header.op_code != opcode::msg && header.op_code != opcode::reply) {
    problem = fmt::format("opCode {} is not a reply (expected OP_MSG 2013 or OP_REPLY 1)", header.op_code);
    return std::nullopt;
  }
  return header;
}

Bytes encode_op_msg(std::int32_t request_id, const Document& body) {
  Bytes out;
  out.reserve(kHeaderBytes + 5 + body.size());
  put_header(out, request_id, opcode::msg);
  put_i32(out, 0);   // flagBits: no checksum, no moreToCome, no exhaust
  out.push_back(0);  // section kind 0: the body
  out.insert(out.end(), body.bytes().begin(), body.bytes().end());
  finish_length(out);
  return out;
}

Bytes encode_op_query(std::int32_t request_id, std::string_view full_collection_name, const Document& query) {
  Bytes out;
  out.reserve(kHeaderBytes + 13 + full_collection_name.size() + query.size());
  put_header(out, request_id, opcode::query);
  put_i32(out, 0);  // flags
  out.insert(out.end(), full_collection_name.begin(), full_collection_name.end());
  out.push_back(0);  // cstring terminator
  put_i32(out, 0);   // numberToSkip
  put_i32(out, -1);  // numberToReturn: one document, then close the cursor
  out.insert(out.end(), query.bytes().begin(), query.bytes().end());
  finish_length(out);
  return out;
}

std::optional<Reply> decode_reply(ByteView message, std::string& problem) {
  auto header = parse_header(message, problem);
  if (!header) return std::nullopt;
  if (static_cast<std::size_t>(header->message_length) != message.size()) {
    problem = fmt::format("messageLength says {} bytes but the message has {}", header->message_length, message.size());
    return std::nullopt;
  }
  Reply reply;
  reply.header = *header;
  if (header->op_code == opcode::msg) return decode_op_msg(message, std::move(reply), problem);
  return decode_op_reply(message, std::move(reply), problem);
}

std::uint32_t crc32c(ByteView data) {
  static const auto table = make_crc32c_table();
  std::uint32_t crc = 0xffffffffu;
  for (const std::uint8_t byte : data) crc = table[(crc ^ byte) & 0xffu] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

}  // namespace plprobe::probes::mongodb
