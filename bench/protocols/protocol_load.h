// The seam between `plprobe bench` and each protocol mode (kafka, postgres,
// mysql, mongodb): one driver per file behind this one small interface, as
// the probes are behind probes/protocol.h.
//
// A driver owns its clients (librdkafka handles, libpq and Connector/C
// connections, engine Connections) and runs its share of the load on the
// thread that calls run(): each thread has its own io_context, its own
// connections and its own Recorder, so nothing is shared on the hot path
// (architecture.md, "Engine rules"); the runner merges the recorders.
//
// Closed loop (rate == 0): each connection sends its next request when the
// previous answer arrived (with --pipeline, when one of DEPTH answers
// arrived); latency is the time from sending to the answer. Open loop
// (rate > 0): requests are scheduled at fixed intended times (rate spread
// evenly over the connections) and latency runs from the *intended* time,
// so a stall shows up in the percentiles instead of lowering the rate
// (coordinated omission corrected, as wrk2 does).
//
// Failure behaviour: run() never throws. Every failed request, connect or
// login is counted once under its outcome code (common/codes.h); a
// connection that broke is re-established after kReconnectPause, so a
// server that stops mid-run shows up as counted errors, not a hang.
// Requests still in flight when the window ends are neither successes nor
// errors (they did not finish inside the measured time).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "bench/load/pacer.h"
#include "bench/load/recorder.h"
#include "bench/load/run.h"
#include "common/codes.h"
#include "common/deadline.h"
#include "common/result.h"

namespace plprobe::bench {

// How long a broken connection waits before it connects again: long enough
// that a server which is down costs a handful of failed connects per
// connection and second (each counted), short enough to notice it is back.
inline constexpr std::chrono::milliseconds kReconnectPause{100};

// When a driver starts and stops its load (warm-up included: the Recorder
// drops what falls outside the measured window). Shared read-only by every
// thread of a run.
struct RunWindow {
  Clock::time_point start;  // the load starts (the warm-up begins)
  Clock::time_point end;    // the measured window's planned end
  // Set when the run ends early (SIGINT): stop as if `end` had come.
  const std::atomic<bool>* interrupted = nullptr;

  bool over(Clock::time_point now = Clock::now()) const {
    return now >= end || (interrupted != nullptr && interrupted->load(std::memory_order_relaxed));
  }
};

// The load every database driver shares.
struct LoadShape {
  std::size_t connections = 1;
  std::size_t threads = 1;                           // io_context threads the connections are spread over
  double rate = 0;                                   // requests/s over all connections; 0: closed loop
  Clock::duration timeout = std::chrono::seconds(5);  // per request, and per connect + login
};

class ProtocolLoad {
 public:
  virtual ~ProtocolLoad() = default;
  // How many threads run() wants (each called once, with index 0..threads()-1).
  virtual std::size_t threads() const = 0;
  // Runs thread `index`'s share until `window` is over, recording into
  // `recorder` (this thread's own). Returns after every connection it opened
  // is closed.
  virtual void run(std::size_t index, Recorder& recorder, const RunWindow& window) = 0;
  // Mode-specific summary fields (pipeline depth reached, COPY rows the server
  // counted, ...), read after every run() returned.
  virtual Json summary() const { return Json::object(); }
};

// Thread `index`'s connections: {first, count}. Spread as evenly as
// possible; the first threads take one more.
inline std::pair<std::size_t, std::size_t> share(const LoadShape& shape, std::size_t index) {
  const std::size_t base = shape.connections / shape.threads;
  const std::size_t extra = shape.connections % shape.threads;
  return {index * base + std::min(index, extra), base + (index < extra ? 1 : 0)};
}

// One connection's send schedule in open loop, on the load core's Pacer:
// the total rate spread evenly over the connections, connection i starting
// i / rate after `start` (so sends interleave instead of bunching), with a
// look at the next due time for loops that must not sleep past it.
// Closed loop (rate 0): open_loop() is false and nothing else is used.
class Schedule {
 public:
  Schedule(const LoadShape& shape, std::size_t index, Clock::time_point start) {
    if (shape.rate <= 0) return;
    const auto offset = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(index) / shape.rate));
    pacer_.emplace(shape.rate / static_cast<double>(std::max<std::size_t>(shape.connections, 1)), start + offset);
    due_ = pacer_->next();
  }
  bool open_loop() const { return pacer_.has_value(); }
  // The next intended send time, advancing the schedule.
  Clock::time_point next() {
    const auto at = due_;
    due_ = pacer_->next();
    return at;
  }
  // The next intended send time, without advancing.
  Clock::time_point peek() const { return due_; }

 private:
  std::optional<Pacer> pacer_;
  Clock::time_point due_{};
};

// Runs `load` under `run` (bench/load/run.h): one thread per load.threads(),
// each recording into run.recorder(i), until the run's duration is over or
// SIGINT; then joins every thread and returns run.finish() with the
// driver's summary fields. `run` must have been made with load.threads()
// threads.
int run_protocol_load(ProtocolLoad& load, Run& run);

}  // namespace plprobe::bench
