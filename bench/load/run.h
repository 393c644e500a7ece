// One `plprobe bench` run: its clock (warm-up, duration, SIGINT), the
// per-thread Recorders, the interval lines and live progress line, the final
// summary and the result file. Every mode (connect, throughput, kafka,
// postgres, mysql, mongodb) drives its load through this, so they all report
// the same way.
//
// How a mode uses it (main thread):
//   Run run(info, options, threads);        // 1. before starting load threads
//   ... start threads; thread i writes to run.recorder(i) ...
//   run.on_stop([&] { pool.stop(); });      // 2. how to halt the load
//   run.drive();                            // 3. blocks: warm-up, intervals, progress
//   ... join threads ...                    // 4. nothing writes to recorders any more
//   return run.finish(extra);               // 5. summary + --out; the exit code
//
// Timing: the warm-up starts when the Run is constructed; measurement begins
// at window().measure_begin (samples before are dropped by the Recorders)
// and lasts `duration`. drive() returns when the duration is over or at the
// first SIGINT/SIGTERM (a second one kills the process the default way).
// Either way the window is closed (Recorders drop later samples) and every
// on_stop callback has run, in order, before drive() returns.
//
// Output (stdout): every `interval` one line, text or (with --json) a JSON
// object {"type":"interval", ...}; then the summary, text or one JSON object
// {"type":"summary", "mode", "duration_s", "connections_per_s" |
// "requests_per_s", "bytes_per_s", "latency_us": {p50,p90,p99,p999,max,...},
// "errors": {code: count}, ...}. The live progress line goes to stderr and
// only when it is a terminal (--progress auto), never to a pipe.
//
// Threading: everything here is for the main thread except recorder(i),
// window() and stopped(), which any thread may use.
// Failure behaviour: an --out file that cannot be written is reported on
// stderr (the summary is still printed) and makes finish() return 2.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/load/recorder.h"
#include "common/result.h"

namespace plprobe::bench {

class StopSignals;  // bench/load/signals.h

enum class Progress { automatic, on, off };

// The options every `bench` mode shares (cli/bench_command.h declares them).
struct RunOptions {
  bool json = false;
  std::string out;  // result file path; empty: none
  std::chrono::microseconds interval{std::chrono::seconds(1)};
  Progress progress = Progress::automatic;
  std::chrono::microseconds duration{std::chrono::seconds(30)};
  std::chrono::microseconds warmup{std::chrono::seconds(3)};
};

// Which rate the summary names: connect mode counts connections, protocol
// modes count requests (queries, messages); throughput counts neither.
enum class RateKind { connections, requests, none };

struct RunInfo {
  std::string mode;                   // "connect", "throughput", "kafka", ...
  RateKind rate = RateKind::requests;
  bool bytes = false;                 // the summary carries bytes_per_s
  Json settings = Json::object();     // the mode's settings, stored in the result file
};

// Summary fields shared by `bench` and `merge`.
struct SummaryInput {
  const RunInfo* info = nullptr;
  const Stats* stats = nullptr;
  double duration_s = 0;
  double requests_per_s = 0;
  double bytes_per_s = 0;
  bool interrupted = false;
};
Json summary_json(const SummaryInput& input);
// The text form of the same summary (several lines).
void print_summary_text(std::FILE* out, const SummaryInput& input);

class Run {
 public:
  Run(RunInfo info, RunOptions options, int threads, std::FILE* out = stdout, std::FILE* err = stderr);
  ~Run();
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  int threads() const { return static_cast<int>(recorders_.size()); }
  Recorder& recorder(int thread) { return *recorders_[static_cast<std::size_t>(thread)]; }
  const Window& window() const { return window_; }
  bool stopped() const { return window_.stopped.load(std::memory_order_relaxed); }
  Clock::time_point started() const { return started_; }
  // When measurement ends unless interrupted (measure_begin + duration).
  Clock::time_point planned_end() const { return window_.measure_begin + options_.duration; }
  const RunOptions& options() const { return options_; }
  RunInfo& info() { return info_; }

  void on_stop(std::function<void()> callback) { stop_callbacks_.push_back(std::move(callback)); }

  // Blocks until the run ends (see the header comment).
  void drive();
  // Ends the run early from the main thread (e.g. every worker failed to
  // start); drive() then returns at once.
  void stop_now();
  bool interrupted() const { return interrupted_; }

  // The merged stats of every thread (after the load threads stopped).
  Stats total() const;
  double measured_seconds() const;

  // Prints the summary, writes the result file; returns the exit code:
  // 0 no errors, 1 at least one error was counted or nothing succeeded,
  // 2 the result file could not be written. `extra` fields are appended to
  // the summary object (and stored in the result file's summary).
  int finish(const Json& extra = Json::object());

 private:
  void print_interval(Clock::time_point from, Clock::time_point to, bool final);
  void print_progress(Clock::time_point now);
  void clear_progress();
  void end(Clock::time_point at);

  RunInfo info_;
  RunOptions options_;
  std::FILE* out_;
  std::FILE* err_;
  bool progress_ = false;
  bool progress_shown_ = false;
  Window window_;
  Clock::time_point started_;
  Clock::time_point stopped_at_{};
  std::chrono::system_clock::time_point started_wall_;
  bool interrupted_ = false;
  bool stop_early_ = false;
  std::vector<std::unique_ptr<Recorder>> recorders_;
  std::vector<std::function<void()>> stop_callbacks_;
  Stats last_interval_;  // for the progress line
  std::unique_ptr<StopSignals> signals_;
};

// Writes `text` to `path` through a temporary file and rename(), so a reader
// never sees half a file. False and `error` set on failure.
bool write_file_atomically(const std::string& path, const std::string& text, std::string& error);

// "2026-11-29T22:10:00.123Z"
std::string utc_timestamp(std::chrono::system_clock::time_point at);
std::string host_name();

}  // namespace plprobe::bench
