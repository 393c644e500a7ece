// The resolver against DNS peers that misbehave: silence, garbage, lies.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "resolvers/resolver.h"
#include "tests/support/dns_replies.h"
#include "tests/support/listeners.h"
#include "tests/unit/resolvers/dns_wire.h"

namespace plprobe::resolvers {
namespace {

using namespace std::chrono_literals;
using plprobe::testing::SilentUdpServer;
using plprobe::testing::UdpResponder;

Resolution resolve_with(std::uint16_t port, const std::string& name, std::chrono::milliseconds budget = 2s,
                        std::chrono::milliseconds try_timeout = 300ms) {
  asio::io_context io;
  ResolverOptions options;
  options.servers = {DnsServer{asio::ip::make_address("127.0.0.1"), port}};
  options.try_timeout = try_timeout;
  std::string error;
  auto resolver = Resolver::create(io, options, error);
  EXPECT_TRUE(resolver) << error;
  Resolution result;
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        Deadline deadline(io.get_executor(), budget);
        result = co_await resolver->resolve(name, deadline);
      },
      asio::detached);
  io.run_for(budget + 5s);
  return result;
}

TEST(ResolverPeers, SilentServerTimesOutAtTheDeadline) {
  SilentUdpServer silent;
  const auto started = Clock::now();
  auto result = resolve_with(silent.port(), "db.test", 700ms, 5s);
  const double took = elapsed_ms(started);
  EXPECT_EQ(result.outcome, Code::dns_timeout);
  EXPECT_TRUE(result.server.empty());
  EXPECT_GE(result.elapsed_ms, 700.0);
  EXPECT_LT(took, 700.0 * 1.1 + 50) << "the deadline, not c-ares' own retries, ends the wait";
  EXPECT_NE(result.message.find("127.0.0.1:"), std::string::npos) << "names the server asked: " << result.message;
  EXPECT_GE(silent.received(), 1u);
}

TEST(ResolverPeers, ServfailFromTheServerIsReportedAsSuch) {
  UdpResponder servfail([](std::string_view request) {
    return plprobe::testing::dns_reply_without_records(request, plprobe::testing::DnsRcode::server_failure);
  });
  auto result = resolve_with(servfail.port(), "db.test");
  EXPECT_EQ(result.outcome, Code::dns_servfail);
  EXPECT_EQ(result.rcode_a, "SERVFAIL");
  EXPECT_EQ(result.server, fmt::format("127.0.0.1:{}", servfail.port()));
}

TEST(ResolverPeers, GarbageAnswersNeverCrashAndEndCleanly) {
  // Bytes that are not DNS at all: c-ares drops them (wrong ID), so the
  // lookup ends at its deadline.
  UdpResponder garbage([](std::string_view) { return std::optional<std::string>(std::string(300, '\xff')); });
  auto result = resolve_with(garbage.port(), "db.test", 600ms);
  EXPECT_EQ(result.outcome, Code::dns_timeout);
}

TEST(ResolverPeers, MalformedAnswerWithTheRightIdIsABadAnswer) {
  using namespace plprobe::resolvers::testing;
  // Right ID and question, but an A record whose RDATA is 3 bytes long.
  UdpResponder liar([](std::string_view request) -> std::optional<std::string> {
    if (request.size() < 12) return std::nullopt;
    std::string answer = answer_prefix(request, 0, 1);
    answer += record("db.test", 1, 60, std::string("\x0a\x00\x01", 3));
    return answer;
  });
  auto result = resolve_with(liar.port(), "db.test");
  EXPECT_EQ(result.outcome, Code::dns_bad_answer) << result.message;
}

TEST(ResolverPeers, AnswerClaimingMoreRecordsThanItHoldsIsABadAnswer) {
  using namespace plprobe::resolvers::testing;
  UdpResponder liar([](std::string_view request) -> std::optional<std::string> {
    if (request.size() < 12) return std::nullopt;
    std::string answer = answer_prefix(request, 0, 40);
    answer += record("db.test", 1, 60, std::string("\x0a\x00\x01\x02", 4));
    return answer;
  });
  auto result = resolve_with(liar.port(), "db.test");
  EXPECT_EQ(result.outcome, Code::dns_bad_answer) << result.message;
}

TEST(ResolverPeers, ClosedServerPortIsUnreachableOrTimesOut) {
  // Nothing listens: the kernel answers with ICMP port unreachable, which
  // c-ares sees as a refused connection.
  auto port = [] {
    SilentUdpServer temporary;
    return temporary.port();
  }();
  auto result = resolve_with(port, "db.test", 2s, 200ms);
  EXPECT_TRUE(result.outcome == Code::dns_server_unreachable || result.outcome == Code::dns_timeout)
      << name(result.outcome);
}

TEST(ResolverPeers, LiteralsAndHostsNeedNoServer) {
  auto result = resolve_with(9, "10.1.2.3");
  EXPECT_EQ(result.outcome, Code::ok);
  EXPECT_EQ(result.source, "literal");
  ASSERT_EQ(result.addresses.size(), 1u);
  EXPECT_EQ(result.addresses[0].address_class, AddressClass::private_range);
}

}  // namespace
}  // namespace plprobe::resolvers
