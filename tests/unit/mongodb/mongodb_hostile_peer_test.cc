// The MongoDB probe against peers that do not play by the protocol (cut
// replies, absurd lengths, other protocols, silence, wrong responseTo) and
// against small scripted servers for the handshake fallbacks and the member
// walk. Each must end in a clean outcome within the deadline, with every
// socket closed.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "probes/mongodb/mongodb_channel.h"
#include "probes/mongodb/mongodb_wire.h"
#include "tests/support/fds.h"
#include "tests/support/listeners.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/unit/mongodb/wire_bytes.h"
#include "tests/unit/probes/probe_harness.h"

namespace plprobe::probes {
namespace {

using namespace std::chrono_literals;
using mongodb::Builder;
using mongodb::Document;
using mongodb::testing::le32;
using mongodb::testing::op_msg;
using mongodb::testing::op_reply;
using plprobe::testing::AfterSend;
using plprobe::testing::ClosedTcpPort;
using plprobe::testing::ListenerBehaviour;
using plprobe::testing::ListenerOptions;
using plprobe::testing::ScriptedListener;
using plprobe::testing::TcpListener;
using testing::run_targets;

// Nothing here may touch a real DNS server: the resolver is pointed at a
// loopback port where nothing listens (IP literals never reach it anyway).
EngineOptions options_with(std::chrono::milliseconds timeout, TlsMode tls = TlsMode::disable) {
  static ClosedTcpPort no_dns;
  EngineOptions options;
  options.timeout = timeout;
  options.threads = 1;
  options.resolver.servers = {{asio::ip::make_address("127.0.0.1"), no_dns.port()}};
  options.settings.mongodb.tls = tls;
  return options;
}

struct Timed {
  ProbeResult result;
  std::chrono::milliseconds elapsed;
};

Timed probe(std::uint16_t port, std::chrono::milliseconds timeout = 2000ms, TlsMode tls = TlsMode::disable) {
  const auto start = std::chrono::steady_clock::now();
  auto result = run_targets({fmt::format("mongodb://127.0.0.1:{}", port)}, options_with(timeout, tls)).only();
  return {std::move(result),
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)};
}

ListenerOptions send_then(std::string bytes, AfterSend after) {
  ListenerOptions options;
  options.behaviour = ListenerBehaviour::accept_and_send;
  options.bytes_to_send = std::move(bytes);
  options.after_send = after;
  options.read_before_send = 16;  // wait for the client's first request header
  return options;
}

std::int32_t le_at(const std::string& bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = value << 8 | static_cast<std::uint8_t>(bytes[at + static_cast<std::size_t>(i)]);
  return static_cast<std::int32_t>(value);
}

struct Request {
  std::int32_t id = 0;
  std::int32_t op = 0;
  std::string command;  // first key of the command document
};

Request describe(const std::string& message) {
  Request request{le_at(message, 4), le_at(message, 12), {}};
  std::size_t at = 0;
  if (request.op == mongodb::opcode::msg) {
    at = 21;
  } else if (request.op == mongodb::opcode::query) {
    at = message.find('\0', 20) + 1 + 8;
  }
  if (at == 0 || at + 4 > message.size()) return request;
  std::string problem;
  auto document = Document::parse(mongodb::testing::view(message.substr(at, static_cast<std::size_t>(le_at(message, at)))),
                                  problem);
  if (document) request.command = document->first_key();
  return request;
}

// What a scripted server does with one request: bytes to send back ("" sends
// nothing and keeps reading), or kHangUp to close.
const std::string kHangUp = "\x01hang-up";
using Responder = std::function<std::string(const Request&)>;

plprobe::testing::ConnectionScript serve(Responder responder) {
  return [responder](tcp::socket& socket) -> awaitable<void> {
    for (;;) {
      std::string message(4, '\0');
      co_await asio::async_read(socket, asio::buffer(message), asio::use_awaitable);
      const auto length = static_cast<std::size_t>(le_at(message, 0));
      if (length < 16 || length > 1'000'000) co_return;  // not a request we answer (a TLS ClientHello...)
      message.resize(length);
      co_await asio::async_read(socket, asio::buffer(message.data() + 4, length - 4), asio::use_awaitable);
      const std::string reply = responder(describe(message));
      if (reply == kHangUp) co_return;
      if (!reply.empty()) co_await asio::async_write(socket, asio::buffer(reply), asio::use_awaitable);
    }
  };
}

Document hello_document(std::function<void(Builder&)> fields) {
  Builder builder;
  fields(builder);
  builder.int32("maxWireVersion", 21).int32("minWireVersion", 0).number("ok", 1.0);
  return *builder.finish();
}

Document standalone_hello() {
  return hello_document([](Builder& b) { b.boolean("isWritablePrimary", true); });
}

class MongoHostilePeer : public ::testing::Test {
 protected:
  void SetUp() override {
    (void)options_with(1s);  // opens the shared no-DNS port before counting
    descriptors_before_ = plprobe::testing::open_descriptor_count();
  }
  void TearDown() override {
    EXPECT_TRUE(plprobe::testing::wait_until(
        [&] { return plprobe::testing::open_descriptor_count() <= descriptors_before_; }, 2s))
        << "descriptors before: " << descriptors_before_ << ", after: " << plprobe::testing::open_descriptor_count();
  }
  std::size_t descriptors_before_ = 0;
};

TEST_F(MongoHostilePeer, TruncatedReplyThenCloseIsAProtocolError) {
  // Announces 200 bytes of OP_MSG, sends 30, closes.
  std::string reply = le32(200) + le32(1) + le32(1) + le32(2013) + std::string(14, '\x05');
  TcpListener peer(send_then(reply, AfterSend::close));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::mongodb_protocol_error) << result.message;
  EXPECT_NE(result.message.find("cut short: 30 of 200 bytes"), std::string::npos) << result.message;
  EXPECT_LT(elapsed, 1500ms);
}

TEST_F(MongoHostilePeer, LengthAboveMaxMessageSizeIsRefusedFromTheHeaderAlone) {
  std::string reply = le32(49'000'000) + le32(1) + le32(1) + le32(2013);
  TcpListener peer(send_then(reply, AfterSend::hold));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::mongodb_protocol_error) << result.message;
  EXPECT_NE(result.message.find("maxMessageSizeBytes"), std::string::npos) << result.message;
  EXPECT_LT(elapsed, 1000ms) << "refused at once, not after waiting for 49 MB";
}

TEST_F(MongoHostilePeer, NegativeLengthIsRefused) {
  TcpListener peer(send_then(le32(0x80000000u) + le32(1) + le32(1) + le32(2013), AfterSend::hold));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::mongodb_protocol_error) << result.message;
  EXPECT_LT(elapsed, 1000ms);
}

TEST_F(MongoHostilePeer, AnnouncedFortyMegabytesThenSilenceTimesOutAtTheDeadline) {
  std::string reply = le32(40'000'000) + le32(1) + le32(1) + le32(2013) + std::string(10, '\x09');
  TcpListener peer(send_then(reply, AfterSend::hold));
  const auto [result, elapsed] = probe(peer.port(), 800ms);
  EXPECT_EQ(result.outcome, Code::protocol_timeout) << result.message;
  EXPECT_NE(result.message.find("26 of the 40000000 bytes"), std::string::npos) << result.message;
  EXPECT_GE(elapsed, 700ms);
  EXPECT_LT(elapsed, 800ms + 700ms);
}

TEST_F(MongoHostilePeer, GarbageIsAProtocolError) {
  TcpListener peer(send_then(std::string("\x30\x00\x00\x00\xde\xad\xbe\xef\xde\xad\xbe\xef\x07\x00\x00\x00", 16) +
                                 std::string(32, '\x11'),
                             AfterSend::hold));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::mongodb_protocol_error) << result.message;
  EXPECT_NE(result.message.find("opCode 7"), std::string::npos) << result.message;
}

TEST_F(MongoHostilePeer, ATlsPortIsNamedWithTheSchemeToUse) {
  // A TLS alert record (handshake_failure), what a TLS port answers to plaintext, then close.
  TcpListener peer(send_then(std::string("\x15\x03\x03\x00\x02\x02\x28", 7), AfterSend::close));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::mongodb_protocol_error) << result.message;
  EXPECT_NE(result.message.find("TLS"), std::string::npos) << result.message;
  EXPECT_NE(result.hint.find("mongodb+tls://"), std::string::npos) << result.hint;
}

TEST_F(MongoHostilePeer, AnHttpServerIsNamed) {
  TcpListener peer(send_then("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", AfterSend::close));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::mongodb_protocol_error) << result.message;
  EXPECT_NE(result.message.find("HTTP"), std::string::npos) << result.message;
}

TEST_F(MongoHostilePeer, SilenceTriesLegacyOpQueryThenTimesOutAtTheDeadline) {
  TcpListener peer(ListenerBehaviour::accept_and_hold);
  const auto [result, elapsed] = probe(peer.port(), 1200ms);
  EXPECT_EQ(result.outcome, Code::protocol_timeout) << result.message;
  EXPECT_NE(result.message.find("isMaster"), std::string::npos) << "the legacy attempt went unanswered too: "
                                                                   << result.message;
  EXPECT_GE(elapsed, 1100ms);
  EXPECT_LT(elapsed, 1200ms + 700ms);
  ASSERT_TRUE(plprobe::testing::wait_until([&] { return peer.finished() == 1; }, 2s));
  const auto received = peer.received();
  ASSERT_EQ(received.size(), 1u);
  const std::string& bytes = received.front();
  ASSERT_GT(bytes.size(), 32u);
  EXPECT_EQ(le_at(bytes, 12), mongodb::opcode::msg) << "OP_MSG hello first";
  const auto second = static_cast<std::size_t>(le_at(bytes, 0));
  ASSERT_GT(bytes.size(), second + 16);
  EXPECT_EQ(le_at(bytes, second + 12), mongodb::opcode::query) << "then OP_QUERY on the same connection";
}

TEST_F(MongoHostilePeer, APeerThatHangsUpOnOpMsgIsAskedAgainTheLegacyWay) {
  ScriptedListener peer(serve([](const Request& request) {
    if (request.op == mongodb::opcode::msg) return kHangUp;
    return op_reply(request.id, standalone_hello());
  }));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::mongodb_not_replica_set) << result.message;
  EXPECT_EQ(result.facts["wire"]["opcode"], "OP_QUERY");
  EXPECT_NE(result.facts["wire"]["fallback"].get<std::string>().find("closed the connection"), std::string::npos);
  EXPECT_EQ(peer.accepted(), 2u) << "a second connection for OP_QUERY";
  EXPECT_LT(elapsed, 1000ms);
}

TEST_F(MongoHostilePeer, AnOldServerThatIgnoresOpMsgIsReadOverOpQuery) {
  // What MongoDB 3.4 does: OP_MSG is an unknown opcode, skipped without a word.
  ScriptedListener peer(serve([](const Request& request) {
    if (request.op == mongodb::opcode::msg) return std::string();
    Builder legacy;
    legacy.boolean("ismaster", true).int32("maxWireVersion", 5).int32("minWireVersion", 0).number("ok", 1);
    return op_reply(request.id, *legacy.finish());
  }));
  const auto [result, elapsed] = probe(peer.port(), 3000ms);
  EXPECT_EQ(result.outcome, Code::mongodb_not_replica_set) << result.message;
  EXPECT_EQ(result.facts["wire"]["opcode"], "OP_QUERY");
  EXPECT_EQ(result.facts["wire"]["command"], "isMaster");
  EXPECT_EQ(result.facts["server"]["version"], "3.4");
  EXPECT_EQ(result.facts["cdc"]["findings"][0]["id"], "server_version_below_5_1");
  EXPECT_GE(elapsed, 900ms) << "the fallback window";
  EXPECT_LT(elapsed, 2500ms);
}

TEST_F(MongoHostilePeer, AServerWithoutHelloIsAskedIsMasterOverOpMsg) {
  ScriptedListener peer(serve([](const Request& request) {
    if (request.command == "hello") {
      Builder refused;
      refused.number("ok", 0).string("errmsg", "no such command: 'hello'").int32("code", 59).string("codeName",
                                                                                                     "CommandNotFound");
      return op_msg(request.id, *refused.finish());
    }
    return op_msg(request.id, standalone_hello());
  }));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::mongodb_not_replica_set) << result.message;
  EXPECT_EQ(result.facts["wire"]["opcode"], "OP_MSG");
  EXPECT_EQ(result.facts["wire"]["command"], "isMaster");
  EXPECT_LT(elapsed, 1000ms);
}

TEST_F(MongoHostilePeer, AReplyToAnotherRequestIsAProtocolError) {
  ScriptedListener peer(serve([](const Request& request) { return op_msg(request.id + 1000, standalone_hello()); }));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::mongodb_protocol_error) << result.message;
  EXPECT_NE(result.message.find("responseTo"), std::string::npos) << result.message;
}

TEST_F(MongoHostilePeer, AnOpReplyToOpMsgIsAProtocolError) {
  ScriptedListener peer(serve([](const Request& request) { return op_reply(request.id, standalone_hello()); }));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::mongodb_protocol_error) << result.message;
  EXPECT_NE(result.message.find("OP_REPLY instead of OP_MSG"), std::string::npos) << result.message;
}

TEST_F(MongoHostilePeer, ChecksummedRepliesAreVerifiedAndAccepted) {
  ScriptedListener peer(serve([](const Request& request) { return op_msg(request.id, standalone_hello(), 0, true); }));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::mongodb_not_replica_set) << result.message;
  EXPECT_EQ(result.facts["topology"], "standalone");
}

TEST_F(MongoHostilePeer, PreferFallsBackToPlaintextWhenThePortDoesNotSpeakTls) {
  // The script drops what is not a MongoDB request (the ClientHello) and waits.
  ScriptedListener peer(serve([](const Request& request) { return op_msg(request.id, standalone_hello()); }));
  const auto [result, elapsed] = probe(peer.port(), 3000ms, TlsMode::prefer);
  EXPECT_EQ(result.outcome, Code::mongodb_not_replica_set) << result.message;
  EXPECT_EQ(result.facts["tls_mode"], "prefer");
  ASSERT_TRUE(result.facts.contains("tls_fallback"));
  EXPECT_FALSE(result.tls.has_value());
  EXPECT_EQ(peer.accepted(), 2u);
  EXPECT_LT(elapsed, 2500ms);
}

TEST_F(MongoHostilePeer, RequireFailsClosedWhenThePortDoesNotSpeakTls) {
  TcpListener peer(ListenerBehaviour::accept_and_close);
  const auto [result, elapsed] = probe(peer.port(), 1500ms, TlsMode::require);
  EXPECT_EQ(info(result.outcome).phase, "tls") << name(result.outcome) << ": " << result.message;
  EXPECT_EQ(peer.accepted(), 1u) << "require never falls back to plaintext";
}

class MongoWalkPeer : public MongoHostilePeer {};

TEST_F(MongoWalkPeer, WalksEveryMemberAndNamesTheOnesThatFail) {
  ClosedTcpPort closed;
  std::uint16_t port = 0;
  ScriptedListener peer(serve([&](const Request& request) {
    const std::string me = fmt::format("127.0.0.1:{}", port);
    return op_msg(request.id, hello_document([&](Builder& b) {
                    b.boolean("isWritablePrimary", true)
                        .strings("hosts", {me, fmt::format("127.0.0.1:{}", closed.port()), "m9:0"})
                        .strings("arbiters", {"arbiter.invalid:27017"})
                        .string("setName", "rs0")
                        .string("primary", me)
                        .string("me", me);
                  }));
  }));
  port = peer.port();
  const auto [result, elapsed] = probe(port);
  EXPECT_EQ(result.outcome, Code::mongodb_member_unreachable) << result.message;
  EXPECT_NE(result.message.find("2 of 3 advertised members fail"), std::string::npos) << result.message;
  const auto& members = result.facts["members"];
  ASSERT_EQ(members.size(), 4u);
  EXPECT_EQ(members[0]["outcome"], "ok");
  EXPECT_EQ(members[0]["primary"], true);
  EXPECT_EQ(members[0]["answered_as"]["set_name"], "rs0");
  EXPECT_EQ(members[1]["outcome"], "mongodb_member_unreachable");
  EXPECT_EQ(members[1]["underlying"], "tcp_refused");
  EXPECT_EQ(members[2]["outcome"], "mongodb_member_unreachable");
  EXPECT_NE(members[2]["message"].get<std::string>().find("not a usable host:port"), std::string::npos);
  EXPECT_EQ(members[3]["walked"], false) << "arbiters are listed, not walked";
  EXPECT_EQ(peer.accepted(), 2u) << "the seed and the one live member";
  EXPECT_LT(elapsed, 1500ms);
}

TEST_F(MongoWalkPeer, AMemberAnsweringAsAnotherIsAMismatch) {
  std::uint16_t port = 0;
  ScriptedListener peer(serve([&](const Request& request) {
    return op_msg(request.id, hello_document([&](Builder& b) {
                    b.boolean("isWritablePrimary", true)
                        .strings("hosts", {fmt::format("127.0.0.1:{}", port)})
                        .string("setName", "rs0")
                        .string("me", "mongo-7.internal:27017");
                  }));
  }));
  port = peer.port();
  const auto [result, elapsed] = probe(port);
  EXPECT_EQ(result.outcome, Code::mongodb_member_mismatch) << result.message;
  EXPECT_NE(result.message.find("mongo-7.internal:27017"), std::string::npos) << result.message;
}

TEST_F(MongoWalkPeer, NoWalkMembersOnlyListsThem) {
  ClosedTcpPort closed;
  ScriptedListener peer(serve([&](const Request& request) {
    return op_msg(request.id, hello_document([&](Builder& b) {
                    b.boolean("isWritablePrimary", true)
                        .strings("hosts", {fmt::format("127.0.0.1:{}", closed.port())})
                        .string("setName", "rs0");
                  }));
  }));
  auto options = options_with(2000ms);
  options.settings.mongodb.walk_members = false;
  const auto result = run_targets({fmt::format("mongodb://127.0.0.1:{}", peer.port())}, options).only();
  EXPECT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.facts["members"][0]["walked"], false);
  EXPECT_NE(result.message.find("--no-walk-members"), std::string::npos);
}

}  // namespace
}  // namespace plprobe::probes
