// What every database driver thread shares: its io_context, one slot per
// connection, and a watchdog that ends waits.
//
// The watchdog wakes every kWatchdogTick. When the run window is over (or
// SIGINT came) it cancels every armed slot, so each connection's pending
// wait ends at once and its coroutine returns; when a slot has been busy
// with one request for longer than the timeout, it cancels that slot only
// and marks it timed out. A slot that must finish its request
// (finish_in_flight) is left to its timeout. One watchdog per thread instead of one timer per
// request keeps the request path free of timer syscalls (re-arming Asio's
// timerfd for every request would cost more than the request on loopback).
//
// Threading: everything here belongs to the thread that calls run().
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

#include "bench/protocols/protocol_load.h"
#include "common/asio.h"

namespace plprobe::bench {

// Precision of the window's end and of request timeouts; small against
// any useful timeout (seconds), large enough to cost nothing.
inline constexpr std::chrono::milliseconds kWatchdogTick{20};

class ThreadLoop {
 public:
  struct Slot {
    std::function<void()> cancel;             // set while a wait may need ending
    Clock::time_point busy_since = Clock::time_point::max();  // a request in flight since
    bool timed_out = false;                   // the watchdog cancelled it for taking too long
    // The request in flight must finish even when the window ends (a COPY
    // whose rows are counted afterwards); only the timeout cancels it.
    bool finish_in_flight = false;
  };

  ThreadLoop(const RunWindow& window, Clock::duration timeout) : window_(window), timeout_(timeout) {}

  asio::io_context& io() { return io_; }
  asio::any_io_executor executor() { return io_.get_executor(); }
  const RunWindow& window() const { return window_; }
  // The window is over: start nothing new.
  bool stopping() const { return stopping_ || window_.over(); }

  std::vector<Slot>& slots() { return slots_; }
  void resize(std::size_t count) { slots_.resize(count); }

  // Sleeps until `at`, or less when the run stops first (checked at least
  // every watchdog tick). Returns false when the run is over.
  awaitable<bool> sleep_until(Clock::time_point at) {
    asio::steady_timer timer(io_);
    while (!stopping()) {
      const auto now = Clock::now();
      if (now >= at) co_return true;
      timer.expires_at(std::min(at, now + kWatchdogTick));
      error_code ignored;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    co_return false;
  }

  // Spawns `connection(slot)` for every slot, runs until all of them have
  // returned, then returns.
  template <typename Connection>
  void run(Connection connection) {
    for (std::size_t i = 0; i < slots_.size(); ++i) asio::co_spawn(io_, connection(i), asio::detached);
    live_ = slots_.size();
    asio::co_spawn(io_, watchdog(), asio::detached);
    io_.run();
  }
  // Each connection coroutine calls this once, as it returns.
  void finished() { --live_; }

 private:
  awaitable<void> watchdog() {
    asio::steady_timer timer(io_);
    while (live_ > 0) {
      timer.expires_after(kWatchdogTick);
      error_code ignored;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      const auto now = Clock::now();
      if (window_.over(now)) stopping_ = true;
      for (auto& slot : slots_) {
        if (!slot.cancel) continue;
        if (slot.busy_since != Clock::time_point::max() && now - slot.busy_since > timeout_) {
          slot.timed_out = true;
          slot.cancel();
        } else if (stopping_ && !slot.finish_in_flight) {
          slot.cancel();
        }
      }
    }
  }

  asio::io_context io_{1};
  const RunWindow& window_;
  Clock::duration timeout_;
  std::vector<Slot> slots_;
  std::size_t live_ = 0;
  bool stopping_ = false;
};

}  // namespace plprobe::bench
