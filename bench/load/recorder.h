// What one thread of a bench run measured, and how it is collected.
//
// Stats is a plain value: latency histogram, counts, bytes and errors by
// outcome code. Merging Stats is exact (histograms add bucket by bucket), so
// per-thread stats merged at the end, or result files from several hosts
// merged by `plprobe merge`, equal one run over the union.
//
// Recorder is what a mode's hot path writes to. Contract:
// - One Recorder per load thread (Run::recorder(i)); only that thread calls
//   success()/failure()/add_bytes(). Each call takes an uncontended mutex
//   (tens of nanoseconds) that the reporting thread takes once per interval.
// - Samples count only inside the measured window: a request whose start is
//   before the warm-up ended, or that completes after the run stopped
//   (duration over or SIGINT), is dropped; add_bytes() outside the window is
//   dropped too. Modes therefore need no warm-up logic of their own.
// - `start` is when the request was *meant* to start: in open loop (--rate)
//   the Pacer's intended time, so a stall shows in the latency (coordinated
//   omission corrected, as wrk2 does); in closed loop the actual start.
// - Failed requests are counted by code (a stable outcome code name such as
//   "tcp_refused", or a mode's own, e.g. "kafka_msg_timed_out") and are not in
//   the latency histogram.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "bench/load/histogram.h"
#include "common/deadline.h"  // plprobe::Clock (steady_clock)

namespace plprobe::bench {

struct Stats {
  Histogram latency_us;          // successful requests only
  std::uint64_t requests = 0;    // successful requests (connections in connect mode)
  std::uint64_t bytes = 0;       // payload bytes moved (either direction)
  std::map<std::string, std::uint64_t, std::less<>> errors;  // code -> count

  std::uint64_t error_count() const;
  void merge(const Stats& other);
  void reset();
};

// The window shared by every Recorder of a run (owned by Run).
struct Window {
  Clock::time_point measure_begin;        // end of the warm-up
  std::atomic<bool> stopped{false};       // set once when the run ends
};

class Recorder {
 public:
  explicit Recorder(const Window& window) : window_(window) {}
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // One request succeeded; latency = end - start, `bytes` payload moved.
  void success(Clock::time_point start, Clock::time_point end, std::uint64_t bytes = 0);
  // One request failed with `code`.
  void failure(Clock::time_point start, std::string_view code);
  // Bytes moved by a stream (throughput), counted at `now`.
  void add_bytes(std::uint64_t bytes, Clock::time_point now = Clock::now());

  // Reporting thread: adds what was measured since the last call to
  // `into` and starts a new interval.
  void take_interval(Stats& into);
  // After the load threads stopped (or under the lock, any time): the
  // whole measured window.
  Stats total() const;

 private:
  bool in_window(Clock::time_point start) const {
    return start >= window_.measure_begin && !window_.stopped.load(std::memory_order_relaxed);
  }
  const Window& window_;
  mutable std::mutex mutex_;
  Stats interval_;
  Stats total_;
};

}  // namespace plprobe::bench
