#include "common/deadline.h"

#include <gtest/gtest.h>

namespace plprobe {
namespace {

using namespace std::chrono_literals;

TEST(Deadline, RunsRegisteredActionsWhenItExpires) {
  asio::io_context io;
  Deadline deadline(io.get_executor(), 20ms);
  int fired = 0;
  auto guard = deadline.on_expiry([&] { ++fired; });
  EXPECT_FALSE(deadline.expired());
  io.run_for(1s);
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(deadline.expired());
  EXPECT_EQ(deadline.remaining(), Clock::duration::zero());
}

TEST(Deadline, ForgetsActionsWhoseGuardIsGone) {
  asio::io_context io;
  Deadline deadline(io.get_executor(), 10ms);
  int fired = 0;
  { auto guard = deadline.on_expiry([&] { ++fired; }); }
  io.run_for(1s);
  EXPECT_EQ(fired, 0);
  EXPECT_TRUE(deadline.expired());
}

TEST(Deadline, CancelsAPendingWaitSoItEndsAtTheDeadline) {
  asio::io_context io;
  Deadline deadline(io.get_executor(), 30ms);
  asio::steady_timer never(io, Clock::time_point::max());
  error_code result;
  auto guard = deadline.on_expiry([&] { never.cancel(); });
  never.async_wait([&](const error_code& ec) { result = ec; });
  const auto started = Clock::now();
  io.run_for(2s);
  EXPECT_EQ(result, asio::error::operation_aborted);
  EXPECT_LT(Clock::now() - started, 1s);
}

TEST(Deadline, DestroyedBeforeExpiryRunsNothingEvenIfTheTimerAlreadyFired) {
  asio::io_context io;
  int fired = 0;
  {
    Deadline deadline(io.get_executor(), 1ms);
    auto guard = deadline.on_expiry([&] { ++fired; });
    std::this_thread::sleep_for(5ms);
    io.poll_one();  // may queue or run the expiry; either way nothing dangles
  }
  io.run_for(50ms);
  EXPECT_LE(fired, 1);
}

TEST(Deadline, GuardTakenAfterExpiryIsEmpty) {
  asio::io_context io;
  Deadline deadline(io.get_executor(), 1ms);
  io.run_for(200ms);
  ASSERT_TRUE(deadline.expired());
  int fired = 0;
  auto guard = deadline.on_expiry([&] { ++fired; });
  io.run_for(20ms);
  EXPECT_EQ(fired, 0);
}

}  // namespace
}  // namespace plprobe
