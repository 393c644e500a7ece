#include "bench/load/recorder.h"

#include <chrono>

namespace plprobe::bench {

std::uint64_t Stats::error_count() const {
  std::uint64_t n = 0;
  for (const auto& [code, count] : errors) n += count;
  return n;
}

void Stats::merge(const Stats& other) {
  latency_us.merge(other.latency_us);
  requests += other.requests;
  bytes += other.bytes;
  for (const auto& [code, count] : other.errors) errors[code] += count;
}

void Stats::reset() {
  latency_us.reset();
  requests = bytes = 0;
  errors.clear();
}

void Recorder::success(Clock::time_point start, Clock::time_point end, std::uint64_t bytes) {
  if (!in_window(start)) return;
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(end - start).count();
  std::lock_guard lock(mutex_);
  // Both the interval and the total take the sample: the reporting thread
  // then never has to merge intervals back, and the total stays exact.
  interval_.latency_us.record(us);
  total_.latency_us.record(us);
  ++interval_.requests;
  ++total_.requests;
  interval_.bytes += bytes;
  total_.bytes += bytes;
}

void Recorder::failure(Clock::time_point start, std::string_view code) {
  if (!in_window(start)) return;
  std::lock_guard lock(mutex_);
  auto add = [&](Stats& stats) {
    auto it = stats.errors.find(code);
    if (it == stats.errors.end()) it = stats.errors.emplace(std::string(code), 0).first;
    ++it->second;
  };
  add(interval_);
  add(total_);
}

void Recorder::add_bytes(std::uint64_t bytes, Clock::time_point now) {
  if (!in_window(now)) return;
  std::lock_guard lock(mutex_);
  interval_.bytes += bytes;
  total_.bytes += bytes;
}

void Recorder::take_interval(Stats& into) {
  std::lock_guard lock(mutex_);
  into.merge(interval_);
  interval_.reset();
}

Stats Recorder::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace plprobe::bench
