// plprobe bench: the mode table and the options every mode shares.
#include "cli/bench_command.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "bench/load/connect.h"
#include "bench/load/io_pool.h"
#include "bench/load/targets.h"
#include "bench/load/throughput.h"
#include "cli/options.h"
#include "common/duration.h"

namespace plprobe::cli {
namespace {

// One line per mode. Protocol modes add theirs at the marked place.
constexpr BenchMode kBenchModes[] = {
    {"connect", "New TCP (or TLS) connections per second to one target, or idle connections held",
     add_bench_connect},
    {"throughput", "Bytes per second to or from 'plprobe serve', one or more streams, plain or TLS",
     add_bench_throughput},
    // -- protocol modes: add {name, summary, add_fn} lines below this line --
    {"kafka", "Messages per second produced to (or consumed from) a topic with librdkafka, with delivery latency",
     add_bench_kafka},
    {"postgres", "Queries per second on N libpq connections (SELECT 1, pipeline mode, or COPY throughput)",
     add_bench_postgres},
    {"mysql", "Round trips per second (COM_PING) on N logged-in MySQL/MariaDB connections", add_bench_mysql},
    {"mongodb", "Round trips per second (ping) on N MongoDB connections after one handshake each",
     add_bench_mongodb},
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

void ensure_descriptors(std::uint64_t needed, const std::string& what) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur >= needed) return;
  // Raising the soft limit up to the hard one needs no privilege.
  rlimit raised = limit;
  raised.rlim_cur = std::min<rlim_t>(limit.rlim_max, std::max<rlim_t>(needed, limit.rlim_cur));
  setrlimit(RLIMIT_NOFILE, &raised);
  if (raised.rlim_cur < needed) {
    throw UsageError(fmt::format("{} needs about {} descriptors, the limit is {}", what, needed, raised.rlim_cur),
                     "raise it with 'ulimit -n' (the hard limit needs root or /etc/security/limits.conf), or lower "
                     "--concurrency");
  }
}

namespace {

struct ConnectFlags {
  std::string target;
  bench::RunOptions run;
  LoadShape shape;
  bool tls = false;
  std::string sni;
  std::string ca_file;
  bool insecure = false;
  std::string timeout = "3s";
  bool hold = false;
};

int run_connect(ConnectFlags& flags) {
  std::string error;
  auto target = bench::parse_target(flags.target, true, error);
  if (!target) throw UsageError(error, "write HOST:PORT, HOST:LOW-HIGH or [IPv6]:PORT, e.g. 127.0.0.1:20000-29999");
  if (!bench::resolve_target(*target, error)) throw UsageError(error, "check the name, or pass an IP address");
  bench::ConnectSettings settings;
  settings.endpoints = target->endpoints;
  settings.server_name = flags.sni.empty() ? target->host : flags.sni;
  settings.concurrency = flags.shape.concurrency;
  settings.rate = flags.shape.rate;
  settings.timeout = parse_duration_option("--timeout", flags.timeout);
  settings.hold = flags.hold;
  if (flags.hold && flags.shape.rate) throw UsageError("--hold and --rate do not go together", "--hold opens --concurrency connections and keeps them");
  if (flags.tls) {
    probes::TlsOptions options;
    options.ca_file = flags.ca_file;
    options.insecure = flags.insecure;
    settings.tls = probes::TlsClientContext::create(options, error);
    if (!settings.tls) throw UsageError(error);
  }
  ensure_descriptors(static_cast<std::uint64_t>(settings.concurrency) + 64, "--concurrency");
  const int threads = flags.shape.threads > 0 ? flags.shape.threads : bench::default_threads();

  bench::RunInfo info;
  info.mode = "connect";
  info.rate = bench::RateKind::connections;
  info.settings = Json{{"target", flags.target},
                       {"address", settings.endpoints.front().address().to_string()},
                       {"ports", settings.endpoints.size()},
                       {"tls", flags.tls},
                       {"hold", flags.hold},
                       {"concurrency", settings.concurrency},
                       {"rate", settings.rate ? Json(*settings.rate) : Json(nullptr)},
                       {"loop", settings.rate ? "open" : "closed"},
                       {"threads", threads},
                       {"timeout_s", std::chrono::duration<double>(settings.timeout).count()}};
  bench::IoPool pool(threads);
  bench::Run run(info, flags.run, threads);
  auto load = bench::start_connect_load(run, pool, settings);
  std::uint64_t held = 0;
  run.on_stop([&] {
    held = load->held();  // the count as the run ends (workers update it on their threads)
    pool.stop();
  });
  pool.start();
  run.drive();
  pool.join();
  Json extra = Json::object();
  if (flags.hold) extra["held_connections"] = held;
  load.reset();
  const int code = run.finish(extra);
  if (flags.hold && code == kExitFailure) {
    // Holding: success is every connection open at the end, even when they
    // were all made during the warm-up (nothing measured then).
    return held == static_cast<std::uint64_t>(settings.concurrency) && run.total().error_count() == 0 ? kExitOk
                                                                                                     : kExitFailure;
  }
  return code;
}

}  // namespace

void add_bench_connect(CLI::App& command, Run& run) {
  auto flags = std::make_shared<ConnectFlags>();
  command.add_option("target", flags->target, "HOST:PORT, HOST:LOW-HIGH (a port range) or [IPv6]:PORT")->required();
  add_load_shape_options(command, flags->shape, "--concurrency", 64);
  command.add_flag("--tls", flags->tls, "A full TLS handshake after each connect (certificate verified, no resumption)");
  command.add_option("--sni", flags->sni, "TLS server name to send and verify [the target's host]");
  command.add_option("--ca", flags->ca_file, "CA file that issued the server certificate [the system's CAs]");
  command.add_flag("--insecure", flags->insecure, "Count handshakes even when the certificate does not verify");
  command.add_option("--timeout", flags->timeout, "Budget per connect (+ handshake); later ones count as tcp_timeout/tls_timeout [3s]");
  command.add_flag("--hold", flags->hold,
                   "Open --concurrency connections and keep them open until the end (idle capacity test)");
  add_run_options(command, flags->run);
  command.footer(std::string(kLoopModesHelp) +
                 "\n\nEach request is one connect (+ handshake), closed with RST right after; latency is the connect "
                 "(+ handshake) time.\nErrors are counted by outcome code (tcp_refused, tcp_timeout, tls_*, ...). "
                 "Exit 0 no error, 1 errors, 2 usage.");
  run = [flags] { return run_connect(*flags); };
}

namespace {

struct ThroughputFlags {
  std::string target;
  bench::RunOptions run;
  int streams = 1;
  std::string direction = "up";
  bool tls = false;
  std::string sni;
  std::string ca_file;
  bool insecure = false;
  int threads = 0;
};

int run_throughput_mode(ThroughputFlags& flags) {
  std::string error;
  auto target = bench::parse_target(flags.target, false, error);
  if (!target) throw UsageError(error, "write HOST:PORT or [IPv6]:PORT of a 'plprobe serve', e.g. 127.0.0.1:5201");
  if (!bench::resolve_target(*target, error)) throw UsageError(error, "check the name, or pass an IP address");
  bench::ThroughputSettings settings;
  settings.endpoint = target->endpoints.front();
  settings.server_name = flags.sni.empty() ? target->host : flags.sni;
  settings.streams = flags.streams;
  if (flags.direction == "up") settings.direction = bench::ThroughputDirection::up;
  else if (flags.direction == "down") settings.direction = bench::ThroughputDirection::down;
  else if (flags.direction == "both") settings.direction = bench::ThroughputDirection::both;
  else throw UsageError(fmt::format("--direction '{}' is not up, down or both", flags.direction));
  if (flags.tls) {
    probes::TlsOptions options;
    options.ca_file = flags.ca_file;
    options.insecure = flags.insecure;
    settings.tls = probes::TlsClientContext::create(options, error);
    if (!settings.tls) throw UsageError(error);
  }
  const int threads = flags.threads > 0 ? flags.threads : std::min(bench::default_threads(), flags.streams * 2);
  bench::RunInfo info;
  info.mode = "throughput";
  info.rate = bench::RateKind::none;
  info.bytes = true;
  info.settings = Json{{"target", flags.target},
                       {"address", settings.endpoint.address().to_string()},
                       {"streams", flags.streams},
                       {"direction", flags.direction},
                       {"tls", flags.tls},
                       {"threads", threads},
                       {"frame_bytes", bench::stream::kFrameSize}};
  bench::IoPool pool(threads);
  bench::Run run(info, flags.run, threads);
  auto reports = bench::run_throughput(run, pool, settings);
  Json streams = Json::array();
  std::uint64_t up = 0, down = 0;
  bool exact = true;
  for (const auto& report : reports) {
    const bool is_up = report.direction == bench::stream::Direction::up;
    (is_up ? up : down) += report.bytes;
    exact = exact && report.exact;
    streams.push_back(Json{{"id", report.id},
                           {"direction", is_up ? "up" : "down"},
                           {"bytes", report.bytes},
                           {"peer_bytes", report.peer_bytes},
                           {"exact", report.exact},
                           {"outcome", report.outcome}});
  }
  Json extra = Json::object();
  extra["bytes_up_total"] = up;
  extra["bytes_down_total"] = down;
  extra["exact"] = exact;
  if (flags.run.json) extra["streams"] = std::move(streams);
  int code = run.finish(extra);
  return code == kExitOk && !exact ? kExitFailure : code;
}

}  // namespace

void add_bench_throughput(CLI::App& command, Run& run) {
  auto flags = std::make_shared<ThroughputFlags>();
  command.add_option("target", flags->target, "HOST:PORT of a 'plprobe serve' [port 5201]")->required();
  command.add_option("--streams", flags->streams, "Parallel streams (connections) [1]")->check(CLI::Range(1, 1024));
  command.add_option("--direction", flags->direction,
                     "up: this host sends; down: serve sends; both: one of each per stream [up]");
  command.add_flag("--tls", flags->tls, "TLS from the first byte (serve --tls); the certificate is verified");
  command.add_option("--sni", flags->sni, "TLS server name to send and verify [the target's host]");
  command.add_option("--ca", flags->ca_file, "CA file that issued serve's certificate [the system's CAs]");
  command.add_flag("--insecure", flags->insecure, "Do not fail on certificate verification errors");
  command.add_option("--threads", flags->threads, "Event loops [min(cores, 2 x streams)]")->check(CLI::Range(1, 1024));
  add_run_options(command, flags->run);
  command.footer(
      "Bytes per second are payload bytes counted as they move, after the warm-up. At the end each stream\n"
      "exchanges exact byte totals with serve: 'exact' says every byte sent arrived (exit 1 if not).\n"
      "Protocol: see 'plprobe serve --help' and README (bench, serve).");
  run = [flags] { return run_throughput_mode(*flags); };
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
