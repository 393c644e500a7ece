// The connect load in process, against a real loopback listener: it counts
// what it did and leaves no descriptor or thread behind.
#include "bench/load/connect.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "bench/load/io_pool.h"
#include "bench/load/run.h"
#include "tests/support/fds.h"
#include "tests/support/listeners.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"

namespace plprobe::bench {
namespace {

using namespace std::chrono_literals;

struct NullFile {
  std::FILE* file = std::fopen("/dev/null", "w");
  ~NullFile() { std::fclose(file); }
};

Stats run_connect(const tcp::endpoint& endpoint, bool hold, int concurrency, std::uint64_t* held = nullptr) {
  NullFile null;
  RunOptions options;
  options.duration = 300ms;
  options.warmup = 0ms;
  options.progress = Progress::off;
  RunInfo info{"connect", RateKind::connections, false, Json::object()};
  ConnectSettings settings;
  settings.endpoints = {endpoint};
  settings.concurrency = concurrency;
  settings.hold = hold;
  IoPool pool(2);
  Run run(info, options, pool.size(), null.file, null.file);
  auto load = start_connect_load(run, pool, settings);
  run.on_stop([&] {
    if (held) *held = load->held();
    pool.stop();
  });
  pool.start();
  run.drive();
  pool.join();
  return run.total();
}

// The in-process listener closes its side once it sees the client's RST,
// on its own thread: give it a moment, then the count must be back.
void expect_descriptors_back_to(std::size_t before) {
  testing::wait_until([&] { return testing::open_descriptor_count() == before; }, 3s);
  EXPECT_EQ(testing::open_descriptor_count(), before);
}

TEST(ConnectLoad, CountsConnectionsAndLeavesNoDescriptorsBehind) {
  testing::TcpListener listener(testing::ListenerBehaviour::accept_and_close);
  const auto before = testing::open_descriptor_count();
  auto stats = run_connect(listener.endpoint(), false, 16);
  EXPECT_GT(stats.requests, 0u);
  EXPECT_EQ(stats.latency_us.count(), stats.requests);
  expect_descriptors_back_to(before);
}

TEST(ConnectLoad, CountsRefusalsByCode) {
  testing::ClosedTcpPort closed;
  const auto before = testing::open_descriptor_count();
  auto stats = run_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), closed.port()), false, 4);
  EXPECT_EQ(stats.requests, 0u);
  ASSERT_TRUE(stats.errors.contains("tcp_refused"));
  EXPECT_GT(stats.errors.at("tcp_refused"), 0u);
  expect_descriptors_back_to(before);
}

TEST(ConnectLoad, HoldKeepsConnectionsOpenUntilTheEndThenClosesThem) {
  testing::TcpListener listener(testing::ListenerBehaviour::accept_and_hold);
  const auto before = testing::open_descriptor_count();
  std::uint64_t held = 0;
  auto stats = run_connect(listener.endpoint(), true, 40, &held);
  EXPECT_EQ(stats.requests, 40u);
  EXPECT_EQ(held, 40u);
  expect_descriptors_back_to(before);
}

}  // namespace
}  // namespace plprobe::bench
