// The postgres:// probe against peers that do not play by the protocol:
// silence, cut and oversized messages, other protocols, injected bytes after
// 'S' (CVE-2021-23222), floods, and a libpq login that never finishes. Each
// must end in a clean outcome within the deadline with every socket closed.
// The peers build their bytes by hand: a peer must not share the parser it
// tests.
#include <atomic>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "tests/support/fds.h"
#include "tests/support/listeners.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/unit/probes/probe_harness.h"

namespace plprobe::probes {
namespace {

using namespace std::chrono_literals;
using plprobe::testing::AfterSend;
using plprobe::testing::ClosedTcpPort;
using plprobe::testing::ListenerBehaviour;
using plprobe::testing::ListenerOptions;
using plprobe::testing::ScriptedListener;
using plprobe::testing::TcpListener;
using testing::run_targets;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int value : values) out.push_back(static_cast<char>(value));
  return out;
}

std::string int32(std::uint32_t value) {
  return bytes({static_cast<int>(value >> 24), static_cast<int>((value >> 16) & 0xff),
                static_cast<int>((value >> 8) & 0xff), static_cast<int>(value & 0xff)});
}

// Byte1 type, Int32 length, body (55.7).
std::string message(char type, const std::string& body) {
  return std::string(1, type) + int32(static_cast<std::uint32_t>(body.size() + 4)) + body;
}

std::string cstrings(std::initializer_list<const char*> values) {
  std::string out;
  for (const char* value : values) out.append(value).push_back('\0');
  return out;
}

std::string error_response(const char* code, const char* text) {
  std::string body = "SFATAL";
  body.push_back('\0');
  body += "VFATAL";
  body.push_back('\0');
  body += std::string("C") + code;
  body.push_back('\0');
  body += std::string("M") + text;
  body.push_back('\0');
  body.push_back('\0');
  return message('E', body);
}

const std::string kSslRequest = bytes({0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f});

EngineOptions options_with_deadline(std::chrono::milliseconds timeout, TlsMode mode = TlsMode::prefer) {
  static ClosedTcpPort no_dns;
  EngineOptions options;
  options.timeout = timeout;
  options.threads = 1;
  options.resolver.servers = {{asio::ip::make_address("127.0.0.1"), no_dns.port()}};
  options.settings.postgres.tls = mode;
  return options;
}

struct Timed {
  ProbeResult result;
  std::chrono::milliseconds elapsed;
};

Timed probe(const std::string& target, const EngineOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto result = run_targets({target}, options).only();
  return {std::move(result),
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)};
}

std::string target(std::uint16_t port, const std::string& user = "") {
  return fmt::format("postgres://{}127.0.0.1:{}", user.empty() ? "" : user + "@", port);
}

// Peer helpers (use_awaitable: a failure ends the connection quietly).
awaitable<std::string> read_n(tcp::socket& socket, std::size_t count) {
  std::string data(count, '\0');
  co_await asio::async_read(socket, asio::buffer(data), asio::use_awaitable);
  co_return data;
}

awaitable<std::string> read_startup(tcp::socket& socket) {
  std::string length = co_await read_n(socket, 4);
  const auto size = (static_cast<std::uint32_t>(static_cast<unsigned char>(length[0])) << 24) |
                    (static_cast<std::uint32_t>(static_cast<unsigned char>(length[1])) << 16) |
                    (static_cast<std::uint32_t>(static_cast<unsigned char>(length[2])) << 8) |
                    static_cast<std::uint32_t>(static_cast<unsigned char>(length[3]));
  co_return length + co_await read_n(socket, size - 4);
}

awaitable<void> send(tcp::socket& socket, std::string data) {
  co_await asio::async_write(socket, asio::buffer(data), asio::use_awaitable);
}

awaitable<void> hold(tcp::socket& socket) {
  char sink[512];
  for (;;) co_await socket.async_read_some(asio::buffer(sink), asio::use_awaitable);
}

ListenerOptions after_ssl_request(std::string reply, AfterSend after = AfterSend::hold) {
  ListenerOptions options;
  options.behaviour = ListenerBehaviour::accept_and_send;
  options.read_before_send = 8;
  options.bytes_to_send = std::move(reply);
  options.after_send = after;
  return options;
}

class PostgresHostilePeer : public ::testing::Test {
 protected:
  void SetUp() override {
    options_with_deadline(1s);  // opens the lasting no-DNS port before counting
    descriptors_before_ = plprobe::testing::open_descriptor_count();
  }
  void TearDown() override {
    EXPECT_TRUE(plprobe::testing::wait_until(
        [&] { return plprobe::testing::open_descriptor_count() <= descriptors_before_; }, 2s))
        << "descriptors before: " << descriptors_before_ << ", after: " << plprobe::testing::open_descriptor_count();
  }

  // 'N' to the SSLRequest, then `reply` to the StartupMessage, then hold.
  static std::unique_ptr<ScriptedListener> plaintext_peer(std::string reply) {
    return std::make_unique<ScriptedListener>([reply](tcp::socket& socket) -> awaitable<void> {
      co_await read_n(socket, 8);
      co_await send(socket, "N");
      co_await read_startup(socket);
      co_await send(socket, reply);
      co_await hold(socket);
    });
  }

  std::size_t descriptors_before_ = 0;
};

TEST_F(PostgresHostilePeer, SilentPeerTimesOutAtTheDeadline) {
  TcpListener peer(ListenerBehaviour::accept_and_hold);
  const auto [result, elapsed] = probe(target(peer.port()), options_with_deadline(800ms));
  EXPECT_EQ(result.outcome, Code::protocol_timeout) << result.message;
  EXPECT_NE(result.message.find("SSLRequest"), std::string::npos) << result.message;
  EXPECT_GE(elapsed, 700ms);
  EXPECT_LT(elapsed, 1500ms);
}

TEST_F(PostgresHostilePeer, SilenceAfterTheStartupMessageTimesOut) {
  TcpListener peer(after_ssl_request("N"));
  const auto [result, elapsed] = probe(target(peer.port()), options_with_deadline(800ms));
  EXPECT_EQ(result.outcome, Code::protocol_timeout) << result.message;
  EXPECT_NE(result.message.find("StartupMessage"), std::string::npos) << result.message;
  EXPECT_LT(elapsed, 1500ms);
}

TEST_F(PostgresHostilePeer, BytesInjectedAfterSAreRefusedBeforeTls) {
  // CVE-2021-23222: a man in the middle answers 'S' and appends a fake
  // server response that a naive client would read as if encrypted.
  TcpListener peer(after_ssl_request("S" + message('R', int32(0)) + message('Z', "I")));
  const auto [result, elapsed] = probe(target(peer.port()), options_with_deadline(1500ms));
  EXPECT_EQ(result.outcome, Code::postgres_bytes_before_tls) << result.message;
  EXPECT_NE(result.message.find("15 more byte(s)"), std::string::npos) << result.message;
  EXPECT_FALSE(result.tls.has_value()) << "no TLS handshake may start";
  EXPECT_LT(elapsed, 1000ms);
  EXPECT_EQ(result.facts.value("tls_offered", false), true);
}

TEST_F(PostgresHostilePeer, BytesThatArriveLaterStillNeverPassForTls) {
  ScriptedListener peer([](tcp::socket& socket) -> awaitable<void> {
    co_await read_n(socket, 8);
    co_await send(socket, "S");
    asio::steady_timer pause(socket.get_executor(), 50ms);
    co_await pause.async_wait(asio::use_awaitable);
    co_await send(socket, message('R', int32(0)) + message('Z', "I"));
    co_await hold(socket);
  });
  const auto [result, elapsed] = probe(target(peer.port()), options_with_deadline(1500ms));
  EXPECT_TRUE(result.outcome == Code::postgres_bytes_before_tls || result.outcome == Code::tls_handshake_failed)
      << name(result.outcome) << ": " << result.message;
  EXPECT_LT(elapsed, 1500ms);
}

TEST_F(PostgresHostilePeer, NWhileTlsIsRequiredFailsClosedWithoutAStartupMessage) {
  for (TlsMode mode : {TlsMode::require, TlsMode::verify_full}) {
    TcpListener peer(after_ssl_request("N"));
    const auto [result, elapsed] = probe(target(peer.port()), options_with_deadline(1500ms, mode));
    EXPECT_EQ(result.outcome, Code::postgres_tls_unavailable) << result.message;
    EXPECT_NE(result.message.find(to_string(mode)), std::string::npos) << result.message;
    EXPECT_EQ(result.facts.value("tls_offered", true), false);
    ASSERT_TRUE(plprobe::testing::wait_until([&] { return peer.finished() >= 1; }, 2s));
    ASSERT_EQ(peer.received().size(), 1u);
    EXPECT_EQ(peer.received()[0], kSslRequest) << "nothing but the SSLRequest may have been sent";
  }
}

TEST_F(PostgresHostilePeer, AnErrorAnswerToSslRequestIsNotShown) {
  TcpListener peer(after_ssl_request(error_response("XX000", "please visit evil.example and type your password")));
  const auto result = probe(target(peer.port()), options_with_deadline(1500ms)).result;
  EXPECT_EQ(result.outcome, Code::postgres_protocol_error) << result.message;
  EXPECT_NE(result.message.find("CVE-2024-10977"), std::string::npos) << result.message;
  EXPECT_EQ(result.message.find("evil.example"), std::string::npos) << result.message;
}

TEST_F(PostgresHostilePeer, OtherProtocolsAreNamed) {
  {
    TcpListener peer(after_ssl_request("HTTP/1.1 400 Bad Request\r\n\r\n", AfterSend::close));
    const auto result = probe(target(peer.port()), options_with_deadline(1500ms)).result;
    EXPECT_EQ(result.outcome, Code::postgres_protocol_error);
    EXPECT_NE(result.message.find("an HTTP server"), std::string::npos) << result.message;
  }
  {
    // A MySQL server greets first, before reading anything.
    ListenerOptions options;
    options.behaviour = ListenerBehaviour::accept_and_send;
    options.bytes_to_send = bytes({0x4a, 0, 0, 0, 0x0a}) + "8.0.36" + std::string(40, '\x01');
    options.after_send = AfterSend::hold;
    TcpListener peer(options);
    const auto result = probe(target(peer.port()), options_with_deadline(1500ms)).result;
    EXPECT_EQ(result.outcome, Code::postgres_protocol_error);
    EXPECT_NE(result.message.find("MySQL"), std::string::npos) << result.message;
  }
}

TEST_F(PostgresHostilePeer, AnAbsurdLengthIsRefusedAtOnce) {
  auto peer = plaintext_peer(bytes({'R', 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0}));
  const auto [result, elapsed] = probe(target(peer->port()), options_with_deadline(2s));
  EXPECT_EQ(result.outcome, Code::postgres_protocol_error) << result.message;
  EXPECT_NE(result.message.find("more than the 65536"), std::string::npos) << result.message;
  EXPECT_LT(elapsed, 1000ms) << "refused from the length alone";
}

TEST_F(PostgresHostilePeer, ATruncatedMessageThenCloseIsProtocolClosed) {
  // Built outside the coroutine: g++ 12 cannot keep a braced list's array
  // in a coroutine frame ("array used as initializer").
  const std::string cut = bytes({'R', 0, 0, 0, 100, 0, 0});
  ScriptedListener peer([cut](tcp::socket& socket) -> awaitable<void> {
    co_await read_n(socket, 8);
    co_await send(socket, "N");
    co_await read_startup(socket);
    co_await send(socket, cut);
    socket.shutdown(tcp::socket::shutdown_send);
    co_await hold(socket);
  });
  const auto [result, elapsed] = probe(target(peer.port()), options_with_deadline(1500ms));
  EXPECT_EQ(result.outcome, Code::protocol_closed) << result.message;
  EXPECT_LT(elapsed, 1000ms);
}

TEST_F(PostgresHostilePeer, GarbageWhereAMessageBelongsIsAProtocolError) {
  auto peer = plaintext_peer("\x01\x02\x03\x04\x05garbage");
  const auto result = probe(target(peer->port()), options_with_deadline(1500ms)).result;
  EXPECT_EQ(result.outcome, Code::postgres_protocol_error) << result.message;
  EXPECT_NE(result.message.find("not a PostgreSQL message type"), std::string::npos) << result.message;
}

TEST_F(PostgresHostilePeer, AFloodOfNoticesEndsWithoutLoopingForever) {
  std::string notices;
  for (int i = 0; i < 300; ++i) notices += message('N', std::string("Mnotice\0\0", 9));
  auto peer = plaintext_peer(notices);
  const auto [result, elapsed] = probe(target(peer->port()), options_with_deadline(3s));
  EXPECT_EQ(result.outcome, Code::postgres_protocol_error) << result.message;
  EXPECT_NE(result.message.find("without deciding"), std::string::npos) << result.message;
  ASSERT_TRUE(result.facts.contains("notices"));
  EXPECT_EQ(result.facts["notices"].size(), 8u);
}

TEST_F(PostgresHostilePeer, ScramIsReportedAndThePlaintextIsAWarning) {
  auto peer = plaintext_peer(message('R', int32(10) + cstrings({"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", ""})));
  const auto result = probe(target(peer->port()), options_with_deadline(1500ms)).result;
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.facts["auth_method"], "scram-sha-256");
  EXPECT_EQ(result.facts["sasl_mechanisms"], (Json{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
  EXPECT_EQ(result.facts["user"], "plprobe");
  EXPECT_EQ(result.facts["tls_offered"], false);
  ASSERT_TRUE(result.facts.contains("warnings"));
  EXPECT_NE(result.facts["warnings"][0].get<std::string>().find("not encrypted"), std::string::npos);
  EXPECT_NE(result.message.find("asks user 'plprobe' for scram-sha-256"), std::string::npos) << result.message;
  for (const char* step : {"ssl_request", "startup"}) EXPECT_TRUE(result.facts["timings_ms"].contains(step)) << step;
}

TEST_F(PostgresHostilePeer, TrustReportsTheServerVersionAndSaysGoodbye) {
  std::atomic<bool> terminated{false};
  const std::string terminate = bytes({'X', 0, 0, 0, 4});
  const std::string trusted = message('R', int32(0)) + message('S', cstrings({"server_version", "15.4"})) +
                              message('S', cstrings({"application_name", "ignored"})) +
                              message('K', int32(42) + int32(0x5ec7e7)) + message('Z', "I");
  ScriptedListener peer([&terminated, terminate, trusted](tcp::socket& socket) -> awaitable<void> {
    co_await read_n(socket, 8);
    co_await send(socket, "N");
    co_await read_startup(socket);
    co_await send(socket, trusted);
    const std::string goodbye = co_await read_n(socket, 5);
    terminated = goodbye == terminate;
    co_await hold(socket);
  });
  const auto result = probe(target(peer.port()), options_with_deadline(1500ms, TlsMode::prefer)).result;
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.facts["auth_method"], "trust");
  EXPECT_EQ(result.facts["server_version"], "15.4");
  EXPECT_FALSE(result.facts["parameters"].contains("application_name"));
  EXPECT_EQ(to_json(result).dump().find("6211559"), std::string::npos) << "the cancel key stays secret";
  EXPECT_TRUE(plprobe::testing::wait_until([&] { return terminated.load(); }, 2s));
}

TEST_F(PostgresHostilePeer, StartupErrorsMapToTheirCodes) {
  struct Case {
    const char* sqlstate;
    const char* text;
    TlsMode mode;
    Code expected;
  };
  const Case cases[] = {
      {"53300", "sorry, too many clients already", TlsMode::prefer, Code::postgres_server_unavailable},
      {"57P03", "the database system is starting up", TlsMode::prefer, Code::postgres_server_unavailable},
      {"28000", "no pg_hba.conf entry for host \"127.0.0.1\", user \"u\", database \"d\", no encryption",
       TlsMode::disable, Code::postgres_tls_required},
      {"28000", "pg_hba.conf rejects connection for host \"127.0.0.1\", user \"u\", database \"d\", no encryption",
       TlsMode::disable, Code::postgres_tls_required},
      {"28000", "role \"u\" is not permitted to log in", TlsMode::prefer, Code::postgres_auth_rejected},
      {"3D000", "database \"nope\" does not exist", TlsMode::prefer, Code::postgres_database_missing},
      {"0A000", "unsupported frontend protocol", TlsMode::prefer, Code::postgres_server_error},
  };
  for (const auto& c : cases) {
    std::unique_ptr<ScriptedListener> peer;
    if (c.mode == TlsMode::disable) {
      const std::string reply = error_response(c.sqlstate, c.text);
      peer = std::make_unique<ScriptedListener>([reply](tcp::socket& socket) -> awaitable<void> {
        co_await read_startup(socket);
        co_await send(socket, reply);
        co_await hold(socket);
      });
    } else {
      peer = plaintext_peer(error_response(c.sqlstate, c.text));
    }
    const auto result = probe(target(peer->port(), "u"), options_with_deadline(1500ms, c.mode)).result;
    EXPECT_EQ(result.outcome, c.expected) << c.sqlstate << ": " << result.message;
    EXPECT_EQ(result.facts["error"]["code"], c.sqlstate);
    EXPECT_NE(result.message.find(c.text), std::string::npos) << result.message;
  }
}

TEST_F(PostgresHostilePeer, ARefusalOfThePlaceholderUserStillProvesAServerAnswers) {
  auto peer = plaintext_peer(error_response("28000", "role \"plprobe\" does not exist"));
  const auto result = probe(target(peer->port()), options_with_deadline(1500ms)).result;
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.facts["error"]["code"], "28000");
  EXPECT_NE(result.message.find("refused the placeholder user 'plprobe'"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("postgres://USER@HOST/DB"), std::string::npos) << result.message;
  // ... but a server that insists on TLS is worth failing for, whoever asks.
  const std::string no_tls =
      error_response("28000", "no pg_hba.conf entry for host \"127.0.0.1\", user \"plprobe\", database \"plprobe\", "
                              "no encryption");
  ScriptedListener strict([no_tls](tcp::socket& socket) -> awaitable<void> {
    co_await read_startup(socket);
    co_await send(socket, no_tls);
    co_await hold(socket);
  });
  EXPECT_EQ(probe(target(strict.port()), options_with_deadline(1500ms, TlsMode::disable)).result.outcome,
            Code::postgres_tls_required);
}

TEST_F(PostgresHostilePeer, MalformedAuthenticationAndUnexpectedMessagesAreProtocolErrors) {
  for (const std::string& reply :
       {message('R', int32(5) + "ab"), message('R', int32(11) + "data"), message('Z', "I"), message('D', "")}) {
    auto peer = plaintext_peer(reply);
    const auto result = probe(target(peer->port()), options_with_deadline(1500ms)).result;
    EXPECT_EQ(result.outcome, Code::postgres_protocol_error) << result.message;
  }
}

TEST_F(PostgresHostilePeer, TheLibpqLoginIsBoundedByTheDeadline) {
  // The first connection answers like a server that wants MD5; the second
  // (libpq's, with the password) hears nothing back, ever.
  std::atomic<int> connections{0};
  ScriptedListener peer([&connections](tcp::socket& socket) -> awaitable<void> {
    if (connections++ == 0) {
      co_await read_n(socket, 8);
      co_await send(socket, "N");
      co_await read_startup(socket);
      co_await send(socket, message('R', int32(5) + "salt"));
    }
    co_await hold(socket);
  });
  auto options = options_with_deadline(1200ms);
  options.settings.postgres.password = "hunter2-not-shown";
  const auto [result, elapsed] = probe(target(peer.port(), "clickpipes"), options);
  EXPECT_EQ(result.outcome, Code::protocol_timeout) << result.message;
  EXPECT_NE(result.message.find("libpq"), std::string::npos) << result.message;
  EXPECT_EQ(result.facts["auth_method"], "md5");
  EXPECT_GE(connections.load(), 2);
  EXPECT_GE(elapsed, 1100ms);
  EXPECT_LT(elapsed, 2000ms);
  EXPECT_EQ(to_json(result).dump().find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace plprobe::probes
