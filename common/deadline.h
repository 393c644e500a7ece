// One deadline per probe, computed once and applied to every phase.
//
// A Deadline owns one steady_timer armed at construction. Code that is
// about to wait (a connect, a read, a TLS handshake, a DNS answer) registers
// a cancel action with on_expiry() for as long as it waits; when the timer
// fires, every registered action runs, so the wait ends with
// operation_aborted and the caller sees expired() == true. That makes a
// timeout a real cancellation (the socket stops waiting), never a late
// answer that is merely counted as slow.
//
// Threading: a Deadline and its guards belong to one io_context thread.
// Lifetime: destroying the Deadline cancels the timer; actions never run
// after that, so they may capture references to objects that the caller
// destroys after the Deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/asio.h"

namespace plprobe {

using Clock = std::chrono::steady_clock;

class Deadline {
 public:
  class Guard;

  Deadline(asio::any_io_executor executor, Clock::time_point at);
  Deadline(asio::any_io_executor executor, Clock::duration budget)
      : Deadline(std::move(executor), Clock::now() + budget) {}
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  bool expired() const;
  Clock::time_point at() const { return at_; }
  Clock::duration remaining() const;

  // Runs `cancel` if the deadline passes while the returned guard lives.
  // Check expired() before starting a wait: a guard taken after expiry is
  // empty. `cancel` must only queue completions (Asio cancel()/close() do).
  [[nodiscard]] Guard on_expiry(std::function<void()> cancel);

 private:
  struct State;
  Clock::time_point at_;
  std::shared_ptr<State> state_;
};

class Deadline::Guard {
 public:
  Guard() = default;
  Guard(Guard&& other) noexcept;
  Guard& operator=(Guard&& other) noexcept;
  ~Guard();

 private:
  friend class Deadline;
  Guard(std::weak_ptr<State> state, std::uint64_t id) : state_(std::move(state)), id_(id) {}
  void release();
  std::weak_ptr<State> state_;
  std::uint64_t id_ = 0;
};

// Milliseconds between two steady_clock points, as a double.
inline double elapsed_ms(Clock::time_point from, Clock::time_point to = Clock::now()) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

}  // namespace plprobe
