// The mysql:// probe against peers that do not play by the protocol:
// silence, ERR packets instead of a greeting, other protocols, cut and
// oversized packets, and a Connector/C login that never finishes. Each must
// end in a clean outcome within the deadline with every socket closed.
#include <atomic>
#include <mutex>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "tests/support/fds.h"
#include "tests/support/listeners.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/unit/mysql/mysql_greetings.h"
#include "tests/unit/probes/probe_harness.h"

namespace plprobe::probes {
namespace {

using namespace std::chrono_literals;
using mysql::testing::err_payload;
using mysql::testing::greeting;
using mysql::testing::GreetingSpec;
using mysql::testing::packet;
using plprobe::testing::AfterSend;
using plprobe::testing::ClosedTcpPort;
using plprobe::testing::ListenerBehaviour;
using plprobe::testing::ListenerOptions;
using plprobe::testing::ScriptedListener;
using plprobe::testing::TcpListener;
using testing::run_targets;

EngineOptions options_with_deadline(std::chrono::milliseconds timeout, TlsMode mode = TlsMode::prefer) {
  static ClosedTcpPort no_dns;
  EngineOptions options;
  options.timeout = timeout;
  options.threads = 1;
  options.resolver.servers = {{asio::ip::make_address("127.0.0.1"), no_dns.port()}};
  options.settings.mysql.tls = mode;
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
  return fmt::format("mysql://{}127.0.0.1:{}", user.empty() ? "" : user + "@", port);
}

ListenerOptions send_then(std::string bytes, AfterSend after = AfterSend::hold) {
  ListenerOptions options;
  options.behaviour = ListenerBehaviour::accept_and_send;
  options.bytes_to_send = std::move(bytes);
  options.after_send = after;
  return options;
}

awaitable<std::string> read_packet(tcp::socket& socket) {
  std::string header(4, '\0');
  co_await asio::async_read(socket, asio::buffer(header), asio::use_awaitable);
  const std::size_t length = static_cast<unsigned char>(header[0]) |
                             (static_cast<std::size_t>(static_cast<unsigned char>(header[1])) << 8) |
                             (static_cast<std::size_t>(static_cast<unsigned char>(header[2])) << 16);
  std::string payload(length, '\0');
  co_await asio::async_read(socket, asio::buffer(payload), asio::use_awaitable);
  co_return payload;
}

awaitable<void> send(tcp::socket& socket, std::string data) {
  co_await asio::async_write(socket, asio::buffer(data), asio::use_awaitable);
}

awaitable<void> hold(tcp::socket& socket) {
  char sink[512];
  for (;;) co_await socket.async_read_some(asio::buffer(sink), asio::use_awaitable);
}

class MysqlHostilePeer : public ::testing::Test {
 protected:
  void SetUp() override {
    options_with_deadline(1s);
    descriptors_before_ = plprobe::testing::open_descriptor_count();
  }
  void TearDown() override {
    EXPECT_TRUE(plprobe::testing::wait_until(
        [&] { return plprobe::testing::open_descriptor_count() <= descriptors_before_; }, 2s))
        << "descriptors before: " << descriptors_before_ << ", after: " << plprobe::testing::open_descriptor_count();
  }
  std::size_t descriptors_before_ = 0;
};

TEST_F(MysqlHostilePeer, NoGreetingTimesOutWithAHint) {
  TcpListener peer(ListenerBehaviour::accept_and_hold);
  const auto [result, elapsed] = probe(target(peer.port()), options_with_deadline(800ms));
  EXPECT_EQ(result.outcome, Code::protocol_timeout) << result.message;
  EXPECT_NE(result.message.find("no greeting"), std::string::npos) << result.message;
  EXPECT_NE(result.hint.find("greet first"), std::string::npos) << result.hint;
  EXPECT_GE(elapsed, 700ms);
  EXPECT_LT(elapsed, 1500ms);
}

TEST_F(MysqlHostilePeer, ErrPacketsInsteadOfAGreetingMapToTheirCodes) {
  struct Case {
    std::uint16_t code;
    const char* text;
    Code expected;
  };
  const Case cases[] = {
      {1130, "Host '10.1.2.3' is not allowed to connect to this MySQL server", Code::mysql_host_not_allowed},
      {1129, "Host '10.1.2.3' is blocked because of many connection errors; unblock with 'mysqladmin flush-hosts'",
       Code::mysql_host_blocked},
      {1040, "Too many connections", Code::mysql_too_many_connections},
      {1152, "Aborted connection", Code::mysql_server_error},
  };
  for (const auto& c : cases) {
    TcpListener peer(send_then(packet(err_payload(c.code, "", c.text), 0), AfterSend::close));
    const auto [result, elapsed] = probe(target(peer.port()), options_with_deadline(1500ms));
    EXPECT_EQ(result.outcome, c.expected) << c.code << ": " << result.message;
    EXPECT_EQ(result.facts["error"]["code"], c.code);
    EXPECT_NE(result.message.find(c.text), std::string::npos) << result.message;
    EXPECT_LT(elapsed, 1000ms);
  }
}

TEST_F(MysqlHostilePeer, OtherProtocolsAndAbsurdLengthsAreRefusedAtOnce) {
  {
    TcpListener peer(send_then("HTTP/1.1 400 Bad Request\r\n\r\n", AfterSend::close));
    const auto [result, elapsed] = probe(target(peer.port()), options_with_deadline(1500ms));
    EXPECT_EQ(result.outcome, Code::mysql_protocol_error);
    EXPECT_NE(result.message.find("an HTTP server"), std::string::npos) << result.message;
  }
  {
    TcpListener peer(send_then(std::string("\xff\xff\xff\x00\x0a", 5)));
    const auto [result, elapsed] = probe(target(peer.port()), options_with_deadline(2s));
    EXPECT_EQ(result.outcome, Code::mysql_protocol_error) << result.message;
    EXPECT_NE(result.message.find("16777215 bytes"), std::string::npos) << result.message;
    EXPECT_LT(elapsed, 1000ms) << "refused from the length alone";
  }
  {
    TcpListener peer(send_then(std::string("\x00\x00\x00\x00", 4)));
    const auto result = probe(target(peer.port()), options_with_deadline(1500ms)).result;
    EXPECT_EQ(result.outcome, Code::mysql_protocol_error) << result.message;
  }
}

TEST_F(MysqlHostilePeer, ATruncatedGreetingThenCloseIsProtocolClosed) {
  const std::string full = greeting(GreetingSpec{});
  TcpListener peer(send_then(full.substr(0, 20), AfterSend::close));
  const auto [result, elapsed] = probe(target(peer.port()), options_with_deadline(1500ms));
  EXPECT_EQ(result.outcome, Code::protocol_closed) << result.message;
  EXPECT_LT(elapsed, 1000ms);
}

TEST_F(MysqlHostilePeer, GreetingsPlprobeCannotReadAreProtocolErrors) {
  for (const std::string& payload :
       {std::string("\x09" "3.21.33\0", 9), std::string("\x0a" "8.0.36", 7), std::string("\x0a" "8.0\0\x01\x02", 7),
        std::string("\x42garbage")}) {
    TcpListener peer(send_then(packet(payload, 0)));
    const auto result = probe(target(peer.port()), options_with_deadline(1500ms)).result;
    EXPECT_EQ(result.outcome, Code::mysql_protocol_error) << result.message;
  }
}

TEST_F(MysqlHostilePeer, NoTlsWhileTlsIsRequiredFailsClosedBeforeSendingAnything) {
  for (TlsMode mode : {TlsMode::require, TlsMode::verify_full}) {
    TcpListener peer(send_then(greeting(GreetingSpec{})));
    const auto result = probe(target(peer.port()), options_with_deadline(1500ms, mode)).result;
    EXPECT_EQ(result.outcome, Code::mysql_tls_unavailable) << result.message;
    EXPECT_EQ(result.facts["tls_offered"], false);
    EXPECT_EQ(result.facts["server_version"], "8.0.36");
    ASSERT_TRUE(plprobe::testing::wait_until([&] { return peer.finished() >= 1; }, 2s));
    ASSERT_EQ(peer.received().size(), 1u);
    EXPECT_TRUE(peer.received()[0].empty()) << "no login may be sent in plaintext";
  }
}

// A server that greets, reads the login, and answers with `replies` in turn
// (each read of a client packet is answered by the next reply).
std::unique_ptr<ScriptedListener> login_peer(GreetingSpec spec, std::vector<std::string> replies,
                                             std::shared_ptr<std::vector<std::string>> seen) {
  return std::make_unique<ScriptedListener>([spec, replies, seen](tcp::socket& socket) -> awaitable<void> {
    co_await send(socket, greeting(spec));
    for (const auto& reply : replies) {
      seen->push_back(co_await read_packet(socket));
      co_await send(socket, reply);
    }
    co_await hold(socket);
  });
}

TEST_F(MysqlHostilePeer, ThePlaceholderLoginFinishesTheHandshake) {
  auto seen = std::make_shared<std::vector<std::string>>();
  GreetingSpec spec;
  spec.version = "5.5.5-10.11.6-MariaDB-0+deb12u1";
  spec.capabilities &= ~1u;
  spec.mariadb_capabilities = 0x1d;
  spec.plugin = "mysql_native_password";
  auto peer = login_peer(spec, {packet(err_payload(1045, "28000", "Access denied for user 'plprobe'@'127.0.0.1'"), 2)},
                         seen);
  const auto result = probe(target(peer->port(), "clickpipes"), options_with_deadline(1500ms)).result;
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.facts["flavor"], "mariadb");
  EXPECT_EQ(result.facts["server_version"], "10.11.6-MariaDB-0+deb12u1");
  EXPECT_EQ(result.facts["server_version_raw"], "5.5.5-10.11.6-MariaDB-0+deb12u1");
  EXPECT_EQ(result.facts["connection_id"], 77);
  EXPECT_EQ(result.facts["auth_plugin"], "mysql_native_password");
  EXPECT_TRUE(result.facts.contains("mariadb_capabilities"));
  EXPECT_EQ(result.facts["placeholder_login"]["error"]["code"], 1045);
  EXPECT_NE(result.facts["placeholder_login"]["result"].get<std::string>().find("expected"), std::string::npos);
  EXPECT_NE(result.message.find("MariaDB 10.11.6"), std::string::npos) << result.message;
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_NE((*seen)[0].find(std::string("plprobe\0", 8)), std::string::npos);
  EXPECT_EQ((*seen)[0].find("clickpipes"), std::string::npos) << "the real user never gets a failed login";
  EXPECT_NE((*seen)[0].find("mysql_native_password"), std::string::npos);
}

TEST_F(MysqlHostilePeer, AnAuthSwitchIsAnsweredOnce) {
  auto seen = std::make_shared<std::vector<std::string>>();
  auto peer = login_peer(GreetingSpec{},
                         {packet(std::string("\xfemysql_clear_password\0", 22), 2),
                          packet(err_payload(1045, "28000", "Access denied"), 4)},
                         seen);
  const auto result = probe(target(peer->port()), options_with_deadline(1500ms)).result;
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.facts["placeholder_login"]["auth_switch"], "mysql_clear_password");
  ASSERT_EQ(seen->size(), 2u);
  EXPECT_TRUE((*seen)[1].empty()) << "an empty AuthSwitchResponse";
}

TEST_F(MysqlHostilePeer, LoginAnswersMapToCodes) {
  struct Case {
    std::string reply;
    Code expected;
  };
  const Case cases[] = {
      {packet(err_payload(3159, "HY000",
                          "Connections using insecure transport are prohibited while --require_secure_transport=ON."),
              2),
       Code::mysql_tls_required},
      {packet(err_payload(1040, "08004", "Too many connections"), 2), Code::mysql_too_many_connections},
      {packet(err_payload(1043, "08S01", "Bad handshake"), 2), Code::mysql_server_error},
      {packet("\x42nonsense", 2), Code::mysql_protocol_error},
  };
  for (const auto& c : cases) {
    auto seen = std::make_shared<std::vector<std::string>>();
    auto peer = login_peer(GreetingSpec{}, {c.reply}, seen);
    const auto result = probe(target(peer->port()), options_with_deadline(1500ms)).result;
    EXPECT_EQ(result.outcome, c.expected) << result.message;
    EXPECT_TRUE(result.facts.contains("placeholder_login"));
  }
}

TEST_F(MysqlHostilePeer, AnOkToThePlaceholderIsAWarningAndQuits) {
  auto seen = std::make_shared<std::vector<std::string>>();
  auto peer = login_peer(GreetingSpec{}, {packet(std::string("\x00\x00\x00\x02\x00\x00\x00", 7), 2), ""}, seen);
  const auto result = probe(target(peer->port()), options_with_deadline(1500ms)).result;
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  ASSERT_TRUE(result.facts.contains("warnings"));
  EXPECT_NE(result.facts["warnings"].dump().find("without a password"), std::string::npos) << result.facts.dump();
  ASSERT_TRUE(plprobe::testing::wait_until([&] { return seen->size() == 2; }, 2s));
  EXPECT_EQ((*seen)[1], "\x01") << "COM_QUIT";
}

TEST_F(MysqlHostilePeer, TheConnectorLoginIsBoundedByTheDeadline) {
  // The first connection behaves; the second (Connector/C's, with the
  // password) gets a greeting and then nothing, ever.
  std::atomic<int> connections{0};
  GreetingSpec spec;
  spec.plugin = "mysql_native_password";  // built into Connector/C
  ScriptedListener peer([&connections, spec](tcp::socket& socket) -> awaitable<void> {
    co_await send(socket, greeting(spec));
    if (connections++ == 0) {
      co_await read_packet(socket);
      co_await send(socket, packet(err_payload(1045, "28000", "Access denied"), 2));
    }
    co_await hold(socket);
  });
  auto options = options_with_deadline(1200ms);
  options.settings.mysql.password = "hunter2-not-shown";
  const auto [result, elapsed] = probe(target(peer.port(), "clickpipes"), options);
  EXPECT_EQ(result.outcome, Code::protocol_timeout) << result.message;
  EXPECT_NE(result.message.find("Connector/C"), std::string::npos) << result.message;
  EXPECT_GE(connections.load(), 2);
  EXPECT_GE(elapsed, 1100ms);
  EXPECT_LT(elapsed, 2000ms);
  EXPECT_EQ(to_json(result).dump().find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace plprobe::probes
