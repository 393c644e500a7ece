// TCP probes against real loopback peers.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/support/fds.h"
#include "tests/support/listeners.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/unit/probes/probe_harness.h"

namespace plprobe::probes {
namespace {

using namespace std::chrono_literals;
using plprobe::testing::ClosedTcpPort;
using plprobe::testing::ListenerBehaviour;
using plprobe::testing::TcpListener;
using testing::run_targets;

std::string tcp_target(std::uint16_t port, const char* host = "127.0.0.1") {
  return fmt::format("tcp://{}:{}", host, port);
}

TEST(TcpProbe, OkWhenThePeerListens) {
  TcpListener listener(ListenerBehaviour::accept_and_hold);
  auto run = run_targets({tcp_target(listener.port())});
  ASSERT_TRUE(run.status.ok()) << run.status.message;
  const auto& result = run.only();
  EXPECT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.address, "127.0.0.1");
  EXPECT_EQ(result.address_class, "loopback");
  EXPECT_EQ(result.kind, "tcp");
  ASSERT_TRUE(result.phases.connect_ms);
  EXPECT_FALSE(result.phases.dns_ms) << "an IP literal has no DNS phase";
  EXPECT_FALSE(result.phases.tls_ms);
  EXPECT_GE(result.phases.total_ms, *result.phases.connect_ms);
  EXPECT_TRUE(plprobe::testing::wait_until([&] { return listener.accepted() == 1; }, 2s));
}

TEST(TcpProbe, RefusedOnAClosedPort) {
  ClosedTcpPort closed;
  const auto result = run_targets({tcp_target(closed.port())}).only();
  EXPECT_EQ(result.outcome, Code::tcp_refused);
  EXPECT_NE(result.message.find("refused"), std::string::npos);
  EXPECT_FALSE(result.hint.empty());
}

TEST(TcpProbe, WorksOverIpv6Loopback) {
  TcpListener listener(ListenerBehaviour::accept_and_close, {}, "::1");
  const auto result = run_targets({fmt::format("tcp://[::1]:{}", listener.port())}).only();
  EXPECT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.address, "::1");
}

TEST(TcpProbe, AListenerThatClosesOrResetsAtOnceIsStillAnOpenPortOrAReset) {
  TcpListener closing(ListenerBehaviour::accept_and_close);
  TcpListener resetting(ListenerBehaviour::accept_and_reset);
  auto run = run_targets({tcp_target(closing.port()), tcp_target(resetting.port())});
  ASSERT_EQ(run.results.size(), 2u);
  EXPECT_EQ(run.results[0].outcome, Code::ok);
  // The reset may beat the connect's completion to us: then the kernel
  // reports it, and so does the probe.
  EXPECT_TRUE(run.results[1].outcome == Code::ok || run.results[1].outcome == Code::tcp_reset)
      << name(run.results[1].outcome);
}

TEST(TcpProbe, RepeatGivesASampleSummaryPerAddress) {
  TcpListener listener(ListenerBehaviour::accept_and_close);
  ClosedTcpPort closed;
  EngineOptions options;
  options.repeat = 5;
  options.interval = 10ms;
  auto run = run_targets({tcp_target(listener.port()), tcp_target(closed.port())}, options);
  ASSERT_EQ(run.results.size(), 2u);
  const auto& good = run.results[0];
  ASSERT_TRUE(good.samples);
  EXPECT_EQ(good.outcome, Code::ok);
  EXPECT_EQ(good.samples->count, 5);
  EXPECT_EQ(good.samples->lost, 0);
  EXPECT_LE(good.samples->min_ms, good.samples->p50_ms);
  EXPECT_LE(good.samples->p50_ms, good.samples->p99_ms);
  EXPECT_LE(good.samples->p99_ms, good.samples->max_ms);
  const auto& bad = run.results[1];
  ASSERT_TRUE(bad.samples);
  EXPECT_EQ(bad.outcome, Code::tcp_refused);
  EXPECT_EQ(bad.samples->lost, 5);
  EXPECT_NE(bad.message.find("5 of 5 samples failed"), std::string::npos) << bad.message;
}

// A TLS probe to a peer that accepts and never answers times out in the
// handshake; with give_up_after_timeouts the run stops sampling it instead
// of waiting out every remaining deadline, and says so.
TEST(TcpProbe, RepeatGivesUpAfterTimedOutSamplesWhenAsked) {
  TcpListener silent(ListenerBehaviour::accept_and_hold);
  TcpListener answering(ListenerBehaviour::accept_and_close);
  EngineOptions options;
  options.repeat = 6;
  options.interval = 10ms;
  options.timeout = 200ms;
  options.give_up_after_timeouts = 2;
  auto run = run_targets({fmt::format("tls://127.0.0.1:{}", silent.port()), tcp_target(answering.port())}, options);
  ASSERT_EQ(run.results.size(), 2u);
  const auto& stalled = run.results[0];
  ASSERT_TRUE(stalled.samples);
  EXPECT_EQ(stalled.outcome, Code::tls_timeout) << stalled.message;
  EXPECT_EQ(stalled.samples->count, 2) << "two timed-out samples in a row end the sampling";
  EXPECT_NE(stalled.message.find("stopped after 2 timed-out samples in a row"), std::string::npos) << stalled.message;
  const auto& fine = run.results[1];
  ASSERT_TRUE(fine.samples);
  EXPECT_EQ(fine.samples->count, 6) << "other targets keep every sample";
}

TEST(Summarize, UsesNearestRankPercentiles) {
  std::vector<double> samples;
  for (int i = 100; i >= 1; --i) samples.push_back(i);
  auto summary = summarize(samples, 3);
  EXPECT_EQ(summary.count, 103);
  EXPECT_EQ(summary.lost, 3);
  EXPECT_DOUBLE_EQ(summary.min_ms, 1);
  EXPECT_DOUBLE_EQ(summary.p50_ms, 50);
  EXPECT_DOUBLE_EQ(summary.p90_ms, 90);
  EXPECT_DOUBLE_EQ(summary.p99_ms, 99);
  EXPECT_DOUBLE_EQ(summary.max_ms, 100);
  EXPECT_EQ(summarize({}, 2).count, 2);
}

TEST(Engine, DescriptorCountIsFlatAfter5000ProbesUnderA1024Limit) {
  TcpListener listener(ListenerBehaviour::accept_and_close);
  ClosedTcpPort closed;
  std::vector<std::string> targets;
  for (int i = 0; i < 5000; ++i) targets.push_back(tcp_target(i % 2 ? listener.port() : closed.port()));
  const auto before = plprobe::testing::open_descriptor_count();
  plprobe::testing::ScopedFdLimit limit(1024);
  EngineOptions options;
  options.concurrency = 5000;  // more than the limit allows: the engine must queue, not fail
  options.timeout = 10s;
  auto run = run_targets(targets, options);
  ASSERT_TRUE(run.status.ok()) << run.status.message;
  ASSERT_EQ(run.results.size(), 5000u);
  std::map<Code, int> outcomes;
  for (const auto& result : run.results) ++outcomes[result.outcome];
  EXPECT_EQ(outcomes[Code::ok], 2500);
  EXPECT_EQ(outcomes[Code::tcp_refused], 2500);
  EXPECT_LT(run.report.concurrency, 1024);
  EXPECT_FALSE(run.report.notice.empty()) << "lowering the concurrency must be said";
  // The listener closes its side once it sees our FIN; wait for that, then
  // every descriptor the run opened must be gone.
  EXPECT_TRUE(plprobe::testing::wait_until([&] { return listener.finished() == listener.accepted(); }, 10s));
  EXPECT_EQ(plprobe::testing::open_descriptor_count(), before);
}

}  // namespace
}  // namespace plprobe::probes
