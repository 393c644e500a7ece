// Open-loop pacing (--rate): when each request is *meant* to start.
//
// A Pacer hands out start times at a fixed rate, one after the other, and
// never skips one: when the peer stalls, the workers fall behind, and the
// requests they then send late keep their original intended start, so the
// stall is measured in full (coordinated omission corrected, as wrk2 does).
// Pass next()'s value to Recorder::success()/failure() as `start`.
//
// Threading: one Pacer per load thread (split the total rate between them),
// shared by that thread's workers. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

#include "common/deadline.h"

namespace plprobe::bench {

class Pacer {
 public:
  // `per_second` > 0: requests per second for this Pacer.
  Pacer(double per_second, Clock::time_point first) : first_(first), interval_ns_(1e9 / per_second) {}

  // The intended start of the next request (never earlier than the last).
  Clock::time_point next() {
    auto offset = std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(issued_++) * interval_ns_));
    return first_ + std::chrono::duration_cast<Clock::duration>(offset);
  }
  std::uint64_t issued() const { return issued_; }

 private:
  Clock::time_point first_;
  double interval_ns_;
  std::uint64_t issued_ = 0;
};

}  // namespace plprobe::bench
