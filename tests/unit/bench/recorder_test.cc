#include "bench/load/recorder.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "bench/load/pacer.h"

namespace plprobe::bench {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(Recorder, DropsSamplesFromTheWarmupAndAfterTheStop) {
  Window window;
  const auto t0 = Clock::now();
  window.measure_begin = t0 + milliseconds(100);
  Recorder recorder(window);
  recorder.success(t0, t0 + microseconds(50));               // warm-up
  recorder.failure(t0, "tcp_refused");                       // warm-up
  recorder.add_bytes(1000, t0);                              // warm-up
  const auto t1 = window.measure_begin + milliseconds(1);
  recorder.success(t1, t1 + microseconds(250), 10);
  recorder.failure(t1, "tcp_refused");
  recorder.add_bytes(5, t1);
  window.stopped = true;
  recorder.success(t1, t1 + microseconds(999));              // after the stop
  recorder.failure(t1, "tcp_timeout");

  auto total = recorder.total();
  EXPECT_EQ(total.requests, 1u);
  EXPECT_EQ(total.bytes, 15u);
  EXPECT_EQ(total.latency_us.max(), 250);
  ASSERT_EQ(total.errors.size(), 1u);
  EXPECT_EQ(total.errors.at("tcp_refused"), 1u);
}

TEST(Recorder, IntervalsPartitionTheTotal) {
  Window window;
  window.measure_begin = Clock::now();
  Recorder recorder(window);
  const auto t = window.measure_begin;
  Stats first, second;
  recorder.success(t, t + microseconds(10));
  recorder.success(t, t + microseconds(20));
  recorder.take_interval(first);
  recorder.success(t, t + microseconds(30));
  recorder.failure(t, "tcp_reset");
  recorder.take_interval(second);
  EXPECT_EQ(first.requests, 2u);
  EXPECT_EQ(second.requests, 1u);
  EXPECT_EQ(second.errors.at("tcp_reset"), 1u);
  Stats both = first;
  both.merge(second);
  auto total = recorder.total();
  EXPECT_EQ(both.requests, total.requests);
  EXPECT_EQ(both.latency_us, total.latency_us);
  EXPECT_EQ(both.errors, total.errors);
}

TEST(Recorder, PerThreadStatsMergeToTheSameAsOneRecorder) {
  Window window;
  window.measure_begin = Clock::now();
  std::vector<std::unique_ptr<Recorder>> recorders;
  Recorder single(window);
  for (int i = 0; i < 4; ++i) recorders.push_back(std::make_unique<Recorder>(window));
  std::vector<std::thread> threads;
  const auto t = window.measure_begin;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 10'000; ++k) {
        recorders[static_cast<std::size_t>(i)]->success(t, t + microseconds(k * (i + 1)), 3);
        if (k % 100 == 0) recorders[static_cast<std::size_t>(i)]->failure(t, i % 2 ? "tcp_reset" : "tcp_timeout");
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < 4; ++i) {
    for (int k = 0; k < 10'000; ++k) {
      single.success(t, t + microseconds(k * (i + 1)), 3);
      if (k % 100 == 0) single.failure(t, i % 2 ? "tcp_reset" : "tcp_timeout");
    }
  }
  Stats merged;
  for (auto& recorder : recorders) merged.merge(recorder->total());
  auto expected = single.total();
  EXPECT_EQ(merged.requests, expected.requests);
  EXPECT_EQ(merged.bytes, expected.bytes);
  EXPECT_EQ(merged.errors, expected.errors);
  EXPECT_EQ(merged.latency_us, expected.latency_us);
}

TEST(Pacer, SchedulesAtTheRateAndNeverSkips) {
  const auto t0 = Clock::now();
  Pacer pacer(1000, t0);  // one per millisecond
  EXPECT_EQ(pacer.next(), t0);
  EXPECT_EQ(pacer.next(), t0 + milliseconds(1));
  for (int i = 0; i < 998; ++i) pacer.next();
  EXPECT_EQ(pacer.next(), t0 + milliseconds(1000));
  EXPECT_EQ(pacer.issued(), 1001u);
}

}  // namespace
}  // namespace plprobe::bench
