// `plprobe bench MODE ...`: one subcommand, one sub-subcommand per mode.
//
// Adding a mode (e.g. bench kafka): write cli/bench_kafka.cc with
//   void add_bench_kafka(CLI::App& command, Run& run);
// declare it below under "Protocol modes", and add one line to kBenchModes
// in cli/bench_command.cc. Inside add_*: declare the shared options with
// add_run_options() (and add_load_shape_options() for request loops), the
// mode's own options, and set `run` to the work. The work builds a
// bench::Run (bench/load/run.h) and returns Run::finish()'s exit code.
//
// Exit codes of every bench mode: 0 no error counted, 1 errors counted or
// nothing succeeded, 2 usage/input error or the result file not writable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "bench/load/run.h"
#include "cli/command.h"

namespace plprobe::cli {

// The shared options, declared the same way by every mode:
//   --json --out FILE --interval 1s --progress auto|on|off --duration 30s --warmup 3s
// Values are validated when parsing (bad durations: UsageError, exit 2).
void add_run_options(CLI::App& command, bench::RunOptions& options);

// How a request loop is shaped. Closed loop: `concurrency` workers each
// send the next request when the previous one is answered (measures service
// time). Open loop: `rate` requests per second in total, started on
// schedule whatever the answers do, at most `concurrency` outstanding;
// latency counts from the scheduled start (measures what a client at that
// rate would see, stalls included).
struct LoadShape {
  int concurrency = 64;
  std::optional<double> rate;  // requests per second in total; empty: closed loop
  int threads = 0;             // 0: one per core (bench::default_threads())
};
// Declares --concurrency N (or another name, e.g. "--connections"),
// --rate R[/s] and --threads N. `default_concurrency` is shown in --help.
void add_load_shape_options(CLI::App& command, LoadShape& shape, const std::string& concurrency_flag = "--concurrency",
                            int default_concurrency = 64);

// The footer every request-loop mode shows in --help: which mode measures what.
extern const char* const kLoopModesHelp;

// "1000", "1000/s", "2.5k/s" -> requests per second; UsageError otherwise.
double parse_rate(const std::string& flag, const std::string& text);

// Raises the soft RLIMIT_NOFILE towards `needed` (up to the hard limit);
// UsageError naming `what` when even the hard limit is too low.
void ensure_descriptors(std::uint64_t needed, const std::string& what);

struct BenchMode {
  const char* name;
  const char* summary;
  void (*add)(CLI::App& command, Run& run);
};

// Transport modes (cli/bench_command.cc).
void add_bench_connect(CLI::App& command, Run& run);
void add_bench_throughput(CLI::App& command, Run& run);

// Protocol modes: declared here, registered in kBenchModes
// (cli/bench_command.cc), one file each (cli/bench_<mode>.cc).
// -- protocol modes: add declarations below this line --
void add_bench_kafka(CLI::App& command, Run& run);
void add_bench_postgres(CLI::App& command, Run& run);
void add_bench_mysql(CLI::App& command, Run& run);
void add_bench_mongodb(CLI::App& command, Run& run);

// Top-level commands beside `bench` (cli/main.cc kCommands).
void add_bench_command(CLI::App& command, Run& run);
void add_serve_command(CLI::App& command, Run& run);
void add_merge_command(CLI::App& command, Run& run);

}  // namespace plprobe::cli
