// plprobe bench: the mode table and the options every mode shares.
#include "cli/bench_command.h"

#include <array>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "cli/options.h"
#include "common/duration.h"

namespace plprobe::cli {
namespace {

// One line per mode. Protocol modes add theirs at the marked place.
constexpr BenchMode kBenchModes[] = {
    // -- protocol modes: add {name, summary, add_fn} lines below this line --
    {nullptr, nullptr, nullptr},  // end marker (keeps the table valid while it has no mode)
};

}  // namespace

const char* const kLoopModesHelp = R"(Load shapes:
  closed loop (--concurrency N, the default): N requests in flight; each one starts when the
      previous one on its worker ends. Measures service time; a stalled peer slows the rate
      rather than showing in the latency.
  open loop (--rate R/s): R requests per second are scheduled whatever the answers do (at most
      --concurrency outstanding); latency is measured from each request's scheduled start, so a
      stall shows in the percentiles (coordinated omission corrected, as wrk2 does).)";

namespace {

// Option callbacks run inside CLI11's parse(); a ValidationError there is a
// ParseError, which main.cc prints as one line with a hint (exit 2).
std::chrono::microseconds duration_value(const std::string& flag, const std::string& text, bool zero_ok) {
  if (zero_ok && (text == "0" || text == "0s")) return std::chrono::microseconds(0);
  auto parsed = parse_duration(text);
  if (!parsed || parsed->count() == 0) {
    throw CLI::ValidationError(flag, fmt::format("'{}' is not a duration (write 3s, 500ms, 1.5s or 2m)", text));
  }
  return *parsed;
}

}  // namespace

void add_run_options(CLI::App& command, bench::RunOptions& options) {
  command.add_flag("--json", options.json, "JSON Lines: one object per interval, then the summary object");
  command.add_option("--out", options.out,
                     "Write the result file (summary, settings, host, start time, raw histograms) for 'plprobe merge'");
  command.add_option_function<std::string>(
      "--interval", [&options](const std::string& text) { options.interval = duration_value("--interval", text, false); },
      "How often to print a line (rate, throughput, p50/p99, errors) [1s]");
  command.add_option_function<std::string>(
      "--progress",
      [&options](const std::string& text) {
        if (text == "auto") options.progress = bench::Progress::automatic;
        else if (text == "on") options.progress = bench::Progress::on;
        else if (text == "off") options.progress = bench::Progress::off;
        else throw CLI::ValidationError("--progress", fmt::format("'{}' is not auto, on or off", text));
      },
      "Live progress line on stderr: auto (only on a terminal), on, off [auto]");
  command.add_option_function<std::string>(
      "--duration", [&options](const std::string& text) { options.duration = duration_value("--duration", text, false); },
      "How long to measure, after the warm-up [30s]");
  command.add_option_function<std::string>(
      "--warmup", [&options](const std::string& text) { options.warmup = duration_value("--warmup", text, true); },
      "Load before measuring starts, not counted; 0 for none [3s]");
}

double parse_rate(const std::string& flag, const std::string& text) {
  std::string number = text;
  if (number.size() > 2 && number.compare(number.size() - 2, 2, "/s") == 0) number.resize(number.size() - 2);
  double scale = 1;
  if (!number.empty() && (number.back() == 'k' || number.back() == 'K')) {
    scale = 1e3;
    number.pop_back();
  } else if (!number.empty() && number.back() == 'M') {
    scale = 1e6;
    number.pop_back();
  }
  char* end = nullptr;
  double value = number.empty() ? 0 : std::strtod(number.c_str(), &end);
  if (number.empty() || end == nullptr || *end != '\0' || !std::isfinite(value) || value <= 0 || value * scale > 1e8) {
    throw UsageError(fmt::format("{} '{}' is not a rate", flag, text),
                     "write requests per second, e.g. 500, 2000/s or 2.5k/s (at most 100M/s)");
  }
  return value * scale;
}

void add_load_shape_options(CLI::App& command, LoadShape& shape, const std::string& concurrency_flag,
                            int default_concurrency) {
  shape.concurrency = default_concurrency;
  command.add_option(concurrency_flag, shape.concurrency,
                     fmt::format("Closed loop: workers in flight; with --rate: the most requests outstanding [{}]",
                                 default_concurrency))
      ->check(CLI::Range(1, 1'000'000));
  command.add_option_function<std::string>(
      "--rate",
      [&shape](const std::string& text) {
        try {
          shape.rate = parse_rate("--rate", text);
        } catch (const UsageError& e) {
          throw CLI::ValidationError("--rate", fmt::format("{} ({})", e.what(), e.hint()));
        }
      },
      "Open loop: requests per second in total, e.g. 2000/s (see below)");
  command.add_option("--threads", shape.threads, "Load threads, one event loop each [one per core]")
      ->check(CLI::Range(1, 1024));
}

void add_bench_command(CLI::App& command, Run& run) {
  command.require_subcommand(1);
  // One slot per mode, alive for the whole process (CLI11 keeps references).
  static std::array<Run, std::size(kBenchModes)> runs;
  std::vector<CLI::App*> subcommands;
  for (std::size_t i = 0; i < std::size(kBenchModes); ++i) {
    const auto& mode = kBenchModes[i];
    if (mode.name == nullptr) {
      subcommands.push_back(nullptr);
      continue;
    }
    auto* sub = command.add_subcommand(mode.name, mode.summary);
    mode.add(*sub, runs[i]);
    subcommands.push_back(sub);
  }
  command.footer("Shared options (every mode): --json --out FILE --interval 1s --progress auto|on|off "
                 "--duration 30s --warmup 3s.\nRun 'plprobe bench MODE --help' for a mode's options.");
  run = [subcommands] {
    for (std::size_t i = 0; i < subcommands.size(); ++i) {
      if (subcommands[i] != nullptr && subcommands[i]->parsed() && runs[i]) return runs[i]();
    }
    return kExitUsage;
  };
}

}  // namespace plprobe::cli
