#include "tests/support/listeners.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include "tests/support/fds.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/watchdog.h"
#include "tests/unit/support/clients.h"

namespace plprobe::testing {
namespace {

using namespace std::chrono_literals;

TEST(TcpListener, AcceptAndCloseGivesTheClientEof) {
  Watchdog watchdog(5s, "TcpListener.AcceptAndCloseGivesTheClientEof");
  TcpListener listener(ListenerBehaviour::accept_and_close);
  RawClient client(listener.endpoint());
  ASSERT_EQ(client.connect_error(), 0);
  const auto read = client.read(1, 2s);
  EXPECT_TRUE(read.eof);
  EXPECT_EQ(read.error, 0);
  EXPECT_TRUE(read.data.empty());
}

TEST(TcpListener, AcceptAndCloseSendsNoResetEvenWhenTheClientSpokeFirst) {
  Watchdog watchdog(5s, "TcpListener.AcceptAndCloseSendsNoResetEvenWhenTheClientSpokeFirst");
  TcpListener listener(ListenerBehaviour::accept_and_close);
  RawClient client(listener.endpoint());
  ASSERT_TRUE(client.send("GET / HTTP/1.0\r\n\r\n"));
  const auto read = client.read(1, 2s);
  EXPECT_TRUE(read.eof);
  EXPECT_EQ(read.error, 0);
  client.close();
  EXPECT_TRUE(wait_until([&] { return listener.finished() == 1; }, 2s));
  EXPECT_EQ(listener.received().at(0), "GET / HTTP/1.0\r\n\r\n");
}

TEST(TcpListener, AcceptAndResetGivesTheClientConnectionReset) {
  Watchdog watchdog(5s, "TcpListener.AcceptAndResetGivesTheClientConnectionReset");
  TcpListener listener(ListenerBehaviour::accept_and_reset);
  RawClient client(listener.endpoint());
  ASSERT_EQ(client.connect_error(), 0);
  const auto read = client.read(1, 2s);
  EXPECT_EQ(read.error, ECONNRESET);
  EXPECT_FALSE(read.eof);
}

TEST(TcpListener, AcceptAndHoldSendsNothing) {
  Watchdog watchdog(5s, "TcpListener.AcceptAndHoldSendsNothing");
  TcpListener listener(ListenerBehaviour::accept_and_hold);
  RawClient client(listener.endpoint());
  ASSERT_EQ(client.connect_error(), 0);
  const auto read = client.read(1, 200ms);
  EXPECT_TRUE(read.timed_out);
  EXPECT_TRUE(read.data.empty());
  EXPECT_TRUE(wait_until([&] { return listener.accepted() == 1; }, 1s));
  EXPECT_EQ(listener.finished(), 0u);
  client.close();
  EXPECT_TRUE(wait_until([&] { return listener.finished() == 1; }, 2s));
}

TEST(TcpListener, AcceptAndSendSendsTheBytesThenCloses) {
  Watchdog watchdog(5s, "TcpListener.AcceptAndSendSendsTheBytesThenCloses");
  // A length prefix of 2 GiB and nothing after it: a hostile frame.
  const std::string hostile("\x80\x00\x00\x00garbage\x00\xff", 13);
  TcpListener listener(ListenerBehaviour::accept_and_send, hostile);
  RawClient client(listener.endpoint());
  const auto read = client.read(1 << 20, 2s);
  EXPECT_EQ(read.data, hostile);
  EXPECT_TRUE(read.eof);
}

TEST(TcpListener, AcceptAndSendRepliesOnlyAfterReadingTheRequest) {
  Watchdog watchdog(5s, "TcpListener.AcceptAndSendRepliesOnlyAfterReadingTheRequest");
  ListenerOptions options;
  options.behaviour = ListenerBehaviour::accept_and_send;
  options.bytes_to_send = "reply";
  options.read_before_send = 7;
  TcpListener listener(options);
  RawClient client(listener.endpoint());
  ASSERT_TRUE(client.send("req"));
  EXPECT_TRUE(client.read(1, 200ms).timed_out);  // 3 of 7 bytes: no reply yet
  ASSERT_TRUE(client.send("uest"));
  const auto read = client.read(1 << 20, 2s);
  EXPECT_EQ(read.data, "reply");
  EXPECT_TRUE(read.eof);
  EXPECT_EQ(listener.received().at(0), "request");
}

TEST(TcpListener, AcceptAndSendCanHoldTheConnectionAfterwards) {
  Watchdog watchdog(5s, "TcpListener.AcceptAndSendCanHoldTheConnectionAfterwards");
  ListenerOptions options;
  options.behaviour = ListenerBehaviour::accept_and_send;
  options.bytes_to_send = "\x00\x00\x00";
  options.bytes_to_send.resize(3);
  options.after_send = AfterSend::hold;
  TcpListener listener(options);
  RawClient client(listener.endpoint());
  auto read = client.read(3, 2s);
  EXPECT_EQ(read.data.size(), 3u);
  read = client.read(1, 200ms);
  EXPECT_TRUE(read.timed_out);
}

TEST(TcpListener, AcceptAndSendCanResetAfterwards) {
  Watchdog watchdog(5s, "TcpListener.AcceptAndSendCanResetAfterwards");
  ListenerOptions options;
  options.behaviour = ListenerBehaviour::accept_and_send;
  options.bytes_to_send = "partial";
  options.read_before_send = 1;
  options.after_send = AfterSend::reset;
  TcpListener listener(options);
  RawClient client(listener.endpoint());
  ASSERT_TRUE(client.send("x"));
  ASSERT_TRUE(wait_until([&] { return listener.finished() == 1; }, 2s));
  const auto read = client.read(1 << 20, 2s);
  // On loopback the bytes reach the client before the RST does; the RST
  // then ends the stream with ECONNRESET, never EOF.
  EXPECT_EQ(read.error, ECONNRESET);
  EXPECT_FALSE(read.eof);
}

TEST(TcpListener, EchoEchoes) {
  Watchdog watchdog(5s, "TcpListener.EchoEchoes");
  TcpListener listener(ListenerBehaviour::echo);
  RawClient client(listener.endpoint());
  ASSERT_TRUE(client.send("hello"));
  EXPECT_EQ(client.read(5, 2s).data, "hello");
  ASSERT_TRUE(client.send(" again"));
  EXPECT_EQ(client.read(6, 2s).data, " again");
}

TEST(TcpListener, HeldConnectionsDoNotBlockTheAcceptLoop) {
  Watchdog watchdog(10s, "TcpListener.HeldConnectionsDoNotBlockTheAcceptLoop");
  TcpListener listener(ListenerBehaviour::accept_and_hold);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 200; ++i) {
    clients.push_back(std::make_unique<RawClient>(listener.endpoint()));
    ASSERT_EQ(clients.back()->connect_error(), 0);
  }
  EXPECT_TRUE(wait_until([&] { return listener.accepted() == 200; }, 5s));
}

TEST(TcpListener, ServesThousandsOfConcurrentConnections) {
  Watchdog watchdog(30s, "TcpListener.ServesThousandsOfConcurrentConnections");
  constexpr int kClients = 3000;
  // Both ends live in this process: two descriptors per connection.
  ScopedFdLimit limit(2 * kClients + 256);
  if (limit.soft() < 2 * kClients + 256) GTEST_SKIP() << "descriptor hard limit too low: " << limit.soft();
  TcpListener listener(ListenerBehaviour::accept_and_close);
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> sockets;
  int saw_eof = 0;
  for (int i = 0; i < kClients; ++i) {
    sockets.push_back(std::make_unique<tcp::socket>(io));
    auto& socket = *sockets.back();
    socket.async_connect(listener.endpoint(), [&socket, &saw_eof](const error_code& ec) {
      if (ec) return;
      static char byte;
      socket.async_read_some(asio::buffer(&byte, 1), [&saw_eof](const error_code& read_ec, std::size_t) {
        if (read_ec == asio::error::eof) ++saw_eof;
      });
    });
  }
  io.run_for(20s);
  EXPECT_EQ(saw_eof, kClients);
  EXPECT_EQ(listener.accepted(), static_cast<std::uint64_t>(kClients));
}

TEST(TcpListener, ConnectionLimitEndsAHeldConnection) {
  Watchdog watchdog(5s, "TcpListener.ConnectionLimitEndsAHeldConnection");
  ListenerOptions options;
  options.behaviour = ListenerBehaviour::accept_and_hold;
  options.connection_limit = 200ms;
  TcpListener listener(options);
  RawClient client(listener.endpoint());
  const auto read = client.read(1, 3s);
  EXPECT_FALSE(read.timed_out);
}

TEST(TcpListener, StopEndsHeldConnectionsAndClosesThePort) {
  Watchdog watchdog(5s, "TcpListener.StopEndsHeldConnectionsAndClosesThePort");
  TcpListener listener(ListenerBehaviour::accept_and_hold);
  RawClient client(listener.endpoint());
  ASSERT_TRUE(wait_until([&] { return listener.accepted() == 1; }, 2s));
  const auto started = std::chrono::steady_clock::now();
  listener.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_FALSE(client.read(1, 2s).timed_out);
  EXPECT_FALSE(tcp_port_open("127.0.0.1", listener.port()));
}

TEST(TcpListener, ListensOnIpv6Loopback) {
  Watchdog watchdog(5s, "TcpListener.ListensOnIpv6Loopback");
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no ::1 on this host";
  TcpListener listener(ListenerBehaviour::echo, {}, "::1");
  RawClient client(listener.endpoint());
  ASSERT_TRUE(client.send("six"));
  EXPECT_EQ(client.read(3, 2s).data, "six");
}

TEST(TcpListener, RefusesToListenAnywhereButLoopback) {
  Watchdog watchdog(5s, "TcpListener.RefusesToListenAnywhereButLoopback");
  EXPECT_THROW(TcpListener(ListenerBehaviour::echo, {}, "0.0.0.0"), std::invalid_argument);
  EXPECT_THROW(TcpListener(ListenerBehaviour::echo, {}, "10.0.0.1"), std::invalid_argument);
  EXPECT_THROW(SilentUdpServer("0.0.0.0"), std::invalid_argument);
}

TEST(TcpListener, AcceptLoopSurvivesRunningOutOfDescriptors) {
  Watchdog watchdog(10s, "TcpListener.AcceptLoopSurvivesRunningOutOfDescriptors");
  TcpListener listener(ListenerBehaviour::accept_and_hold);
  // Sockets made before the limit drops; connect() needs no new descriptor.
  std::vector<int> sockets;
  for (int i = 0; i < 3; ++i) sockets.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  {
    // The lowest free descriptor number: with the soft limit there, every
    // allocation fails with EMFILE, accept() on the server thread included.
    const int lowest_free = ::dup(0);
    ::close(lowest_free);
    rlimit previous{};
    ::getrlimit(RLIMIT_NOFILE, &previous);
    rlimit lowered = previous;
    lowered.rlim_cur = static_cast<rlim_t>(lowest_free);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
    for (int fd : sockets) {
      const auto& peer = listener.endpoint();
      EXPECT_EQ(::connect(fd, peer.data(), static_cast<socklen_t>(peer.size())), 0);
    }
    std::this_thread::sleep_for(100ms);
    const auto accepted_while_starved = listener.accepted();
    ::setrlimit(RLIMIT_NOFILE, &previous);
    EXPECT_EQ(accepted_while_starved, 0u);
  }
  EXPECT_TRUE(wait_until([&] { return listener.accepted() == 3; }, 2s));
  for (int fd : sockets) ::close(fd);
}

TEST(ScriptedListener, RunsTheScriptForEachConnection) {
  Watchdog watchdog(5s, "ScriptedListener.RunsTheScriptForEachConnection");
  ScriptedListener listener([](tcp::socket& socket) -> awaitable<void> {
    std::string request(4, '\0');
    co_await asio::async_read(socket, asio::buffer(request), asio::use_awaitable);
    const std::string reply = "got " + request;
    co_await asio::async_write(socket, asio::buffer(reply), asio::use_awaitable);
  });
  for (int i = 0; i < 3; ++i) {
    RawClient client(listener.endpoint());
    ASSERT_TRUE(client.send("ping"));
    const auto read = client.read(1 << 20, 2s);
    EXPECT_EQ(read.data, "got ping");
    EXPECT_TRUE(read.eof);
  }
  EXPECT_TRUE(wait_until([&] { return listener.finished() == 3; }, 2s));
}

TEST(ScriptedListener, StopEndsAScriptThatWaitsForever) {
  Watchdog watchdog(5s, "ScriptedListener.StopEndsAScriptThatWaitsForever");
  ScriptedListener listener([](tcp::socket& socket) -> awaitable<void> {
    char byte = 0;
    co_await socket.async_read_some(asio::buffer(&byte, 1), asio::use_awaitable);  // throws when closed
  });
  RawClient client(listener.endpoint());
  ASSERT_TRUE(wait_until([&] { return listener.accepted() == 1; }, 2s));
  const auto started = std::chrono::steady_clock::now();
  listener.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_EQ(listener.finished(), 1u);
}

// A bounded UDP exchange from a fresh socket.
struct UdpExchange {
  bool answered = false;
  std::vector<std::string> replies;
};

UdpExchange udp_exchange(const asio::ip::udp::endpoint& peer, std::string_view request,
                         std::chrono::milliseconds wait, std::size_t max_replies = 1) {
  UdpExchange result;
  const int fd = ::socket(peer.protocol().family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ::sendto(fd, request.data(), request.size(), 0, peer.data(), static_cast<socklen_t>(peer.size()));
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (result.replies.size() < max_replies) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd waiting{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&waiting, 1, static_cast<int>(left.count())) <= 0) break;
    char buffer[65536];
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0) break;
    result.replies.emplace_back(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  result.answered = !result.replies.empty();
  return result;
}

TEST(SilentUdpServer, ReadsButNeverAnswers) {
  Watchdog watchdog(5s, "SilentUdpServer.ReadsButNeverAnswers");
  SilentUdpServer server;
  EXPECT_FALSE(udp_exchange(server.endpoint(), "query", 200ms).answered);
  EXPECT_TRUE(wait_until([&] { return server.received() == 1; }, 1s));
}

TEST(UdpResponder, AnswersThroughTheCallback) {
  Watchdog watchdog(5s, "UdpResponder.AnswersThroughTheCallback");
  UdpResponder responder([](std::string_view request) -> std::optional<std::string> {
    if (request == "drop") return std::nullopt;
    std::string reply(request);
    std::reverse(reply.begin(), reply.end());
    return reply;
  });
  const auto exchange = udp_exchange(responder.endpoint(), "abc", 2s);
  ASSERT_TRUE(exchange.answered);
  EXPECT_EQ(exchange.replies.front(), "cba");
  EXPECT_FALSE(udp_exchange(responder.endpoint(), "drop", 200ms).answered);
  EXPECT_EQ(responder.received(), 2u);
  EXPECT_EQ(responder.answered(), 1u);
}

TEST(UdpResponder, SendsSeveralRepliesInOrder) {
  Watchdog watchdog(5s, "UdpResponder.SendsSeveralRepliesInOrder");
  UdpResponder responder([](std::string_view request) {
    return std::vector<std::string>{"spoofed", std::string(request)};
  });
  const auto exchange = udp_exchange(responder.endpoint(), "real", 2s, 2);
  EXPECT_EQ(exchange.replies, (std::vector<std::string>{"spoofed", "real"}));
}

}  // namespace
}  // namespace plprobe::testing
