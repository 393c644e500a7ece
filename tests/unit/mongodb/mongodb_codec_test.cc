// The BSON and wire codecs on constructed bytes: what they accept, and
// every way a reply can be wrong.
#include "probes/mongodb/mongodb_wire.h"

#include <gtest/gtest.h>

#include "probes/mongodb/mongodb_bson.h"
#include "probes/mongodb/mongodb_channel.h"
#include "tests/unit/mongodb/wire_bytes.h"

namespace plprobe::probes::mongodb {
namespace {

using testing::bytes_of;
using testing::le32;
using testing::op_msg;
using testing::op_reply;
using testing::view;
using testing::with_header;

Document hello_ok() {
  Builder builder;
  builder.boolean("isWritablePrimary", true).int32("maxWireVersion", 21).string("setName", "rs0").int32("ok", 1);
  return *builder.finish();
}

// {a: {a: {... {}}}} nested `depth` documents deep, built in linear time:
// each level adds 8 bytes (length, type, key "a", NUL, and the closing NUL).
std::string nested(int depth) {
  std::string out;
  out.reserve(static_cast<std::size_t>(depth) * 8 + 5);
  for (int level = depth; level >= 1; --level) {
    out += le32(static_cast<std::uint32_t>(5 + 8 * level));
    out.append("\x03" "a", 2);
    out.push_back('\0');
  }
  out += bytes_of(Document());
  out.append(static_cast<std::size_t>(depth), '\0');
  return out;
}

TEST(MongoBson, ReadsTheFieldsItWasBuiltWith) {
  Builder child;
  child.string("x", "y");
  Builder builder;
  builder.int32("i32", 7)
      .int64("i64", 1LL << 40)
      .boolean("flag", true)
      .string("text", "héllo")
      .binary("blob", std::string("\0\1\2", 3))
      .document("child", child)
      .strings("list", {"a", "b"});
  auto document = builder.finish();
  ASSERT_TRUE(document);
  EXPECT_EQ(document->first_key(), "i32");
  EXPECT_EQ(document->integer("i32"), 7);
  EXPECT_EQ(document->integer("i64"), 1LL << 40);
  EXPECT_EQ(document->boolean("flag"), true);
  EXPECT_EQ(document->string("text"), "héllo");
  EXPECT_EQ(document->binary("blob"), std::string("\0\1\2", 3));
  ASSERT_TRUE(document->document("child"));
  EXPECT_EQ(document->document("child")->string("x"), "y");
  EXPECT_EQ(document->strings("list"), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(document->string("i32")) << "a number is not a string";
  EXPECT_FALSE(document->integer("missing"));
  EXPECT_EQ(document->keys().size(), 7u);
}

TEST(MongoBson, IntegerAcceptsIntegralDoublesOnly) {
  bson_t raw = BSON_INITIALIZER;
  BSON_APPEND_DOUBLE(&raw, "whole", 21.0);
  BSON_APPEND_DOUBLE(&raw, "half", 2.5);
  BSON_APPEND_DOUBLE(&raw, "huge", 1e300);
  std::string problem;
  auto parsed = Document::parse(ByteView(bson_get_data(&raw), raw.len), problem);
  bson_destroy(&raw);
  ASSERT_TRUE(parsed) << problem;
  EXPECT_EQ(parsed->integer("whole"), 21);
  EXPECT_FALSE(parsed->integer("half"));
  EXPECT_FALSE(parsed->integer("huge"));
  EXPECT_EQ(parsed->number("half"), 2.5);
  EXPECT_EQ(parsed->boolean("whole"), true) << "servers send ok: 1.0";
}

TEST(MongoBson, RefusesLengthsThatDoNotMatch) {
  std::string problem;
  std::string bytes = bytes_of(hello_ok());
  EXPECT_FALSE(Document::parse(view(bytes.substr(0, bytes.size() - 1)), problem));
  EXPECT_NE(problem.find("declares"), std::string::npos) << problem;
  bytes.back() = '\x01';  // no terminating NUL
  EXPECT_FALSE(Document::parse(view(bytes), problem));
  EXPECT_FALSE(Document::parse(view(std::string("\x04\0\0\0", 4)), problem));
}

TEST(MongoBson, RefusesCorruptElements) {
  // {s: "abc"} with the string's length claiming 200 bytes.
  std::string element = "\x02s";
  element.push_back('\0');
  element += le32(200) + "abc";
  element.push_back('\0');
  std::string document = le32(static_cast<std::uint32_t>(4 + element.size() + 1)) + element;
  document.push_back('\0');
  std::string problem;
  EXPECT_FALSE(Document::parse(view(document), problem));
  EXPECT_FALSE(problem.empty());
}

TEST(MongoBson, RefusesInvalidUtf8) {
  std::string element = "\x02s";
  element.push_back('\0');
  element += le32(3) + "\xff\xfe";
  element.push_back('\0');
  std::string document = le32(static_cast<std::uint32_t>(4 + element.size() + 1)) + element;
  document.push_back('\0');
  std::string problem;
  EXPECT_FALSE(Document::parse(view(document), problem));
  EXPECT_NE(problem.find("UTF-8"), std::string::npos) << problem;
  // In a key too.
  std::string bad_key = "\x10\xc3\x28";
  bad_key.push_back('\0');
  bad_key += le32(1);
  std::string keyed = le32(static_cast<std::uint32_t>(4 + bad_key.size() + 1)) + bad_key;
  keyed.push_back('\0');
  EXPECT_FALSE(Document::parse(view(keyed), problem));
  EXPECT_NE(problem.find("key"), std::string::npos) << problem;
}

TEST(MongoBson, NestingIsBoundedWithoutRecursion) {
  std::string problem;
  EXPECT_TRUE(Document::parse(view(nested(kMaxDepth - 1)), problem)) << problem;
  EXPECT_FALSE(Document::parse(view(nested(kMaxDepth + 1)), problem));
  EXPECT_NE(problem.find("deeper than"), std::string::npos) << problem;
  // A million levels (7 MB): refused quickly, without exhausting the stack.
  EXPECT_FALSE(Document::parse(view(nested(1'000'000)), problem));
}

TEST(MongoBson, CommandErrorReadsOkCodeAndMessage) {
  EXPECT_FALSE(command_error(hello_ok()));
  Builder failed;
  failed.number("ok", 0.0);
  failed.string("errmsg", "no such command: 'hello'").int32("code", 59).string("codeName", "CommandNotFound");
  auto error = command_error(*failed.finish());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, 59);
  EXPECT_EQ(error->code_name, "CommandNotFound");
  EXPECT_EQ(error->message, "no such command: 'hello'");
  Builder legacy;
  legacy.string("$err", "not authorized").int32("code", 13);
  ASSERT_TRUE(command_error(*legacy.finish()));
  EXPECT_TRUE(command_error(Document())) << "a reply without ok is not a success";
}

TEST(MongoWire, Crc32cMatchesTheKnownCheckValue) {
  // The CRC-32C check value (RFC 3720 §B.4 polynomial; "123456789" -> 0xE3069283).
  EXPECT_EQ(crc32c(view("123456789")), 0xE3069283u);
}

TEST(MongoWire, EncodesOpMsgAndOpQueryByTheBook) {
  const Document body = command("hello");
  const Bytes msg = encode_op_msg(42, body);
  ASSERT_EQ(msg.size(), 16u + 4 + 1 + body.size());
  std::string expected = with_header(42, 0, opcode::msg, le32(0) + std::string(1, '\0') + bytes_of(body));
  EXPECT_EQ(std::string(msg.begin(), msg.end()), expected);

  const Bytes query = encode_op_query(43, "admin.$cmd", body);
  std::string fields = le32(0) + "admin.$cmd";
  fields.push_back('\0');
  fields += le32(0) + le32(0xffffffffu) + bytes_of(body);
  EXPECT_EQ(std::string(query.begin(), query.end()), with_header(43, 0, opcode::query, fields));
}

TEST(MongoWire, DecodesAnOpMsgReply) {
  std::string problem;
  auto reply = decode_reply(view(op_msg(5, hello_ok())), problem);
  ASSERT_TRUE(reply) << problem;
  EXPECT_EQ(reply->header.response_to, 5);
  EXPECT_EQ(reply->header.op_code, opcode::msg);
  EXPECT_EQ(reply->document.string("setName"), "rs0");
  EXPECT_FALSE(reply->checksum_verified);
}

TEST(MongoWire, VerifiesAnOpMsgChecksum) {
  std::string problem;
  std::string message = op_msg(5, hello_ok(), 0, true);
  auto reply = decode_reply(view(message), problem);
  ASSERT_TRUE(reply) << problem;
  EXPECT_TRUE(reply->checksum_verified);
  message[message.size() - 10] ^= 0x01;  // one bit flipped inside the document
  EXPECT_FALSE(decode_reply(view(message), problem));
  EXPECT_NE(problem.find("checksum"), std::string::npos) << problem;
}

TEST(MongoWire, RefusesUnknownRequiredFlagsAndMoreToCome) {
  std::string problem;
  EXPECT_FALSE(decode_reply(view(op_msg(5, hello_ok(), 1u << 4)), problem));
  EXPECT_NE(problem.find("required flag"), std::string::npos) << problem;
  EXPECT_FALSE(decode_reply(view(op_msg(5, hello_ok(), msg_flag::more_to_come)), problem));
  EXPECT_NE(problem.find("moreToCome"), std::string::npos) << problem;
  // exhaustAllowed (bit 16) is optional: ignored.
  EXPECT_TRUE(decode_reply(view(op_msg(5, hello_ok(), msg_flag::exhaust_allowed)), problem)) << problem;
}

TEST(MongoWire, SkipsDocumentSequencesAndRefusesTwoBodies) {
  const std::string body = bytes_of(hello_ok());
  std::string sequence_items = "docs";
  sequence_items.push_back('\0');
  sequence_items += bytes_of(Document());
  const std::string sequence = std::string(1, '\x01') + le32(static_cast<std::uint32_t>(4 + sequence_items.size())) +
                               sequence_items;
  std::string payload = le32(0);
  payload += sequence;
  payload.push_back('\0');
  payload += body;
  std::string problem;
  auto reply = decode_reply(view(with_header(1, 5, opcode::msg, payload)), problem);
  ASSERT_TRUE(reply) << problem;
  EXPECT_EQ(reply->sequences, 1u);
  EXPECT_EQ(reply->document.integer("maxWireVersion"), 21);

  std::string twice = le32(0);
  twice.push_back('\0');
  twice += body;
  twice.push_back('\0');
  twice += body;
  EXPECT_FALSE(decode_reply(view(with_header(1, 5, opcode::msg, twice)), problem));
  EXPECT_NE(problem.find("two body sections"), std::string::npos) << problem;

  std::string unknown_kind = le32(0);
  unknown_kind.push_back('\x07');
  unknown_kind += body;
  EXPECT_FALSE(decode_reply(view(with_header(1, 5, opcode::msg, unknown_kind)), problem));
  EXPECT_NE(problem.find("unknown kind 7"), std::string::npos) << problem;
}

TEST(MongoWire, DecodesAnOpReplyWithExactlyOneDocument) {
  std::string problem;
  auto reply = decode_reply(view(op_reply(9, hello_ok())), problem);
  ASSERT_TRUE(reply) << problem;
  EXPECT_EQ(reply->header.op_code, opcode::reply);
  EXPECT_EQ(reply->document.integer("maxWireVersion"), 21);
  EXPECT_FALSE(decode_reply(view(op_reply(9, hello_ok(), 0)), problem));
  EXPECT_NE(problem.find("returns 0 documents"), std::string::npos) << problem;
  EXPECT_FALSE(decode_reply(view(op_reply(9, hello_ok(), 2)), problem));
  // A document whose length runs past the message.
  std::string cut = op_reply(9, hello_ok());
  cut = with_header(78, 9, opcode::reply, cut.substr(16, cut.size() - 16 - 3));
  EXPECT_FALSE(decode_reply(view(cut), problem));
}

TEST(MongoWire, HeaderChecksNameWhatAnsweredInstead) {
  std::string problem;
  EXPECT_FALSE(parse_header(view(std::string("\x15\x03\x03\x00\x02\x02\x28\0\0\0\0\0\0\0\0\0", 16)), problem));
  EXPECT_NE(problem.find("TLS record"), std::string::npos) << problem;
  EXPECT_FALSE(parse_header(view("HTTP/1.1 400 Bad Request\r\n"), problem));
  EXPECT_NE(problem.find("HTTP"), std::string::npos) << problem;
  EXPECT_FALSE(parse_header(view("SSH-2.0-OpenSSH_9.2\r\n\0\0"), problem));
  EXPECT_NE(problem.find("SSH"), std::string::npos) << problem;
}

TEST(MongoWire, HeaderChecksBoundsAndOpcodes) {
  std::string problem;
  auto header_with = [](std::int32_t length, std::int32_t op) {
    return le32(static_cast<std::uint32_t>(length)) + le32(1) + le32(1) + le32(static_cast<std::uint32_t>(op));
  };
  EXPECT_TRUE(parse_header(view(header_with(100, opcode::msg)), problem)) << problem;
  EXPECT_TRUE(parse_header(view(header_with(kMaxMessageBytes, opcode::reply)), problem)) << problem;
  EXPECT_FALSE(parse_header(view(header_with(kMaxMessageBytes + 1, opcode::msg)), problem));
  EXPECT_NE(problem.find("maxMessageSizeBytes"), std::string::npos) << problem;
  EXPECT_FALSE(parse_header(view(header_with(-5, opcode::msg)), problem));
  EXPECT_FALSE(parse_header(view(header_with(12, opcode::msg)), problem));
  EXPECT_FALSE(parse_header(view(header_with(100, opcode::compressed)), problem));
  EXPECT_NE(problem.find("OP_COMPRESSED"), std::string::npos) << problem;
  EXPECT_FALSE(parse_header(view(header_with(100, opcode::query)), problem));
  EXPECT_NE(problem.find("not a reply"), std::string::npos) << problem;
}

TEST(MongoWire, MessageLengthMustMatchTheBytes) {
  std::string problem;
  std::string message = op_msg(5, hello_ok());
  message.push_back('\0');
  EXPECT_FALSE(decode_reply(view(message), problem));
  EXPECT_NE(problem.find("messageLength"), std::string::npos) << problem;
}

TEST(MongoChannel, ClientMetadataNamesPlprobe) {
  const Document metadata = client_metadata();
  ASSERT_TRUE(metadata.document("driver"));
  EXPECT_EQ(metadata.document("driver")->string("name"), "plprobe");
  EXPECT_EQ(metadata.document("os")->string("type"), "Linux");
  // The handshake spec caps client metadata at 512 bytes.
  EXPECT_LE(metadata.size(), 512u);
}

}  // namespace
}  // namespace plprobe::probes::mongodb
