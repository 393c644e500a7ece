#include "bench/load/run.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <fmt/core.h>

#include "bench/load/result_file.h"
#include "bench/load/signals.h"

#ifndef PLPROBE_VERSION
#define PLPROBE_VERSION "unknown"
#endif

namespace plprobe::bench {
namespace {

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::max(0.0, std::chrono::duration<double>(to - from).count());
}

std::string human_rate(double value) {
  if (value >= 1e6) return fmt::format("{:.2f}M", value / 1e6);
  if (value >= 1e4) return fmt::format("{:.1f}k", value / 1e3);
  return fmt::format("{:.0f}", value);
}

std::string human_bytes_rate(double bytes_per_s) {
  const double bits = bytes_per_s * 8;
  if (bits >= 1e9) return fmt::format("{:.2f} Gbit/s", bits / 1e9);
  if (bits >= 1e6) return fmt::format("{:.1f} Mbit/s", bits / 1e6);
  return fmt::format("{:.0f} kbit/s", bits / 1e3);
}

std::string human_us(std::int64_t us) {
  if (us >= 10'000'000) return fmt::format("{:.1f}s", static_cast<double>(us) / 1e6);
  if (us >= 10'000) return fmt::format("{:.1f}ms", static_cast<double>(us) / 1e3);
  return fmt::format("{}us", us);
}

const char* rate_label(RateKind kind) { return kind == RateKind::connections ? "conn/s" : "req/s"; }

}  // namespace

Run::Run(RunInfo info, RunOptions options, int threads, std::FILE* out, std::FILE* err)
    : info_(std::move(info)), options_(std::move(options)), out_(out), err_(err) {
  started_ = Clock::now();
  started_wall_ = std::chrono::system_clock::now();
  window_.measure_begin = started_ + options_.warmup;
  if (threads < 1) threads = 1;
  for (int i = 0; i < threads; ++i) recorders_.push_back(std::make_unique<Recorder>(window_));
  progress_ = options_.progress == Progress::on ||
              (options_.progress == Progress::automatic && isatty(fileno(err_)) != 0);
  signals_ = std::make_unique<StopSignals>();
}

Run::~Run() = default;

void Run::stop_now() { stop_early_ = true; }

void Run::end(Clock::time_point at) {
  stopped_at_ = std::max(at, window_.measure_begin);
  window_.stopped.store(true, std::memory_order_relaxed);
  for (auto& callback : stop_callbacks_) callback();
}

void Run::drive() {
  const auto end_at = planned_end();
  auto interval_begin = window_.measure_begin;
  auto next_tick = window_.measure_begin + options_.interval;
  const auto progress_period = std::chrono::milliseconds(250);
  while (true) {
    const auto now = Clock::now();
    if (stop_early_) {
      if (now > window_.measure_begin) print_interval(interval_begin, now, true);
      end(now);
      break;
    }
    if (now >= end_at) {
      print_interval(interval_begin, end_at, true);
      end(end_at);
      break;
    }
    if (now >= next_tick) {
      print_interval(interval_begin, next_tick, false);
      interval_begin = next_tick;
      next_tick += options_.interval;
      continue;
    }
    if (progress_) print_progress(now);
    auto wake = std::min({next_tick, end_at, progress_ ? now + progress_period : end_at});
    if (signals_->wait(wake)) {
      const auto at = Clock::now();
      interrupted_ = true;
      if (at > window_.measure_begin) print_interval(interval_begin, at, true);
      end(at);
      break;
    }
  }
  clear_progress();
}

void Run::print_interval(Clock::time_point from, Clock::time_point to, bool final) {
  Stats interval;
  for (auto& recorder : recorders_) recorder->take_interval(interval);
  const double seconds = seconds_between(from, to);
  // A final sliver (SIGINT right after a tick) says little; skip it.
  if (final && seconds < 0.05 * std::chrono::duration<double>(options_.interval).count()) return;
  if (seconds <= 0) return;
  clear_progress();
  const double at = seconds_between(window_.measure_begin, to);
  const double rate = static_cast<double>(interval.requests) / seconds;
  const double bytes_rate = static_cast<double>(interval.bytes) / seconds;
  const auto errors = interval.error_count();
  if (options_.json) {
    std::string line = fmt::format(R"({{"type":"interval","mode":"{}","t_s":{:.3f},"interval_s":{:.3f})", info_.mode,
                                   at, seconds);
    if (info_.rate != RateKind::none) {
      line.append(fmt::format(R"(,"{}":{:.1f},"{}":{})",
                              info_.rate == RateKind::connections ? "connections_per_s" : "requests_per_s", rate,
                              info_.rate == RateKind::connections ? "connections" : "requests", interval.requests));
      line.append(fmt::format(R"(,"p50_us":{},"p99_us":{})", interval.latency_us.percentile(50),
                              interval.latency_us.percentile(99)));
    }
    if (info_.bytes) line.append(fmt::format(R"(,"bytes_per_s":{:.1f},"bytes":{})", bytes_rate, interval.bytes));
    line.append(fmt::format(R"(,"errors":{}}})", errors));
    line.push_back('\n');
    std::fputs(line.c_str(), out_);
  } else {
    std::string line = fmt::format("[{:7.1f}s]", at);
    if (info_.rate != RateKind::none) {
      line.append(fmt::format("  {:>8} {}  p50 {:>7}  p99 {:>7}", human_rate(rate), rate_label(info_.rate),
                              human_us(interval.latency_us.percentile(50)),
                              human_us(interval.latency_us.percentile(99))));
    }
    if (info_.bytes) line.append(fmt::format("  {:>14}", human_bytes_rate(bytes_rate)));
    line.append(fmt::format("  errors {}\n", errors));
    std::fputs(line.c_str(), out_);
  }
  std::fflush(out_);
  last_interval_ = std::move(interval);
  last_interval_.requests = static_cast<std::uint64_t>(rate);  // per second, for the progress line
  last_interval_.bytes = static_cast<std::uint64_t>(bytes_rate);
}

void Run::print_progress(Clock::time_point now) {
  std::string line;
  if (now < window_.measure_begin) {
    line = fmt::format("{}: warming up, {:.0f}s before measuring", info_.mode,
                       std::ceil(seconds_between(now, window_.measure_begin)));
  } else {
    const double done = seconds_between(window_.measure_begin, now);
    const double left = seconds_between(now, planned_end());
    line = fmt::format("{}: {:.0f}s of {:.0f}s, {:.0f}s left", info_.mode, done,
                       std::chrono::duration<double>(options_.duration).count(), std::ceil(left));
    if (info_.rate != RateKind::none) {
      line.append(fmt::format(", {} {}, p99 {}", human_rate(static_cast<double>(last_interval_.requests)),
                              rate_label(info_.rate), human_us(last_interval_.latency_us.percentile(99))));
    }
    if (info_.bytes) line.append(fmt::format(", {}", human_bytes_rate(static_cast<double>(last_interval_.bytes))));
  }
  std::fprintf(err_, "\r\x1b[K%s", line.c_str());
  std::fflush(err_);
  progress_shown_ = true;
}

void Run::clear_progress() {
  if (!progress_shown_) return;
  std::fputs("\r\x1b[K", err_);
  std::fflush(err_);
  progress_shown_ = false;
}

Stats Run::total() const {
  Stats total;
  for (const auto& recorder : recorders_) total.merge(recorder->total());
  return total;
}

double Run::measured_seconds() const {
  if (!stopped()) return seconds_between(window_.measure_begin, Clock::now());
  return seconds_between(window_.measure_begin, stopped_at_);
}

Json summary_json(const SummaryInput& input) {
  const auto& info = *input.info;
  const auto& stats = *input.stats;
  Json summary = Json::object();
  summary["type"] = "summary";
  summary["mode"] = info.mode;
  summary["duration_s"] = std::round(input.duration_s * 1000) / 1000;
  if (info.rate == RateKind::connections) {
    summary["connections_per_s"] = std::round(input.requests_per_s * 10) / 10;
    summary["connections"] = stats.requests;
  } else if (info.rate == RateKind::requests) {
    summary["requests_per_s"] = std::round(input.requests_per_s * 10) / 10;
    summary["requests"] = stats.requests;
  }
  if (info.bytes) {
    summary["bytes_per_s"] = std::round(input.bytes_per_s);
    summary["bytes"] = stats.bytes;
  }
  Json latency = Json::object();
  const auto& h = stats.latency_us;
  if (h.count() > 0) {
    latency["p50"] = h.percentile(50);
    latency["p90"] = h.percentile(90);
    latency["p99"] = h.percentile(99);
    latency["p999"] = h.percentile(99.9);
    latency["max"] = h.max();
    latency["min"] = h.min();
    latency["mean"] = std::round(h.mean() * 10) / 10;
    latency["count"] = h.count();
  } else {
    for (const char* key : {"p50", "p90", "p99", "p999", "max"}) latency[key] = nullptr;
    latency["count"] = 0;
  }
  summary["latency_us"] = std::move(latency);
  Json errors = Json::object();
  for (const auto& [code, count] : stats.errors) errors[code] = count;
  summary["errors"] = std::move(errors);
  summary["interrupted"] = input.interrupted;
  return summary;
}

void print_summary_text(std::FILE* out, const SummaryInput& input) {
  const auto& info = *input.info;
  const auto& stats = *input.stats;
  std::string text = fmt::format("{} summary{}: {:.2f}s measured\n", info.mode,
                                 input.interrupted ? " (interrupted, partial)" : "", input.duration_s);
  if (info.rate != RateKind::none) {
    text.append(fmt::format("  {:<12} {} ({} {})\n", rate_label(info.rate), human_rate(input.requests_per_s),
                            stats.requests, info.rate == RateKind::connections ? "connections" : "requests"));
  }
  if (info.bytes) {
    text.append(fmt::format("  {:<12} {} ({} bytes)\n", "throughput", human_bytes_rate(input.bytes_per_s),
                            stats.bytes));
  }
  const auto& h = stats.latency_us;
  if (h.count() > 0) {
    text.append(fmt::format("  {:<12} p50 {}  p90 {}  p99 {}  p99.9 {}  max {}\n", "latency", human_us(h.percentile(50)),
                            human_us(h.percentile(90)), human_us(h.percentile(99)), human_us(h.percentile(99.9)),
                            human_us(h.max())));
  }
  if (stats.errors.empty()) {
    text.append(fmt::format("  {:<12} none\n", "errors"));
  } else {
    text.append(fmt::format("  {:<12}", "errors"));
    for (const auto& [code, count] : stats.errors) text.append(fmt::format(" {} {}", code, count));
    text.push_back('\n');
  }
  std::fputs(text.c_str(), out);
}

int Run::finish(const Json& extra) {
  const Stats stats = total();
  const double seconds = measured_seconds();
  SummaryInput input{&info_, &stats, seconds, seconds > 0 ? static_cast<double>(stats.requests) / seconds : 0,
                     seconds > 0 ? static_cast<double>(stats.bytes) / seconds : 0, interrupted_};
  Json summary = summary_json(input);
  for (const auto& [key, value] : extra.items()) summary[key] = value;
  if (options_.json) {
    std::fputs((summary.dump() + "\n").c_str(), out_);
  } else {
    print_summary_text(out_, input);
    for (const auto& [key, value] : extra.items()) {
      std::fputs(fmt::format("  {:<12} {}\n", key, value.is_string() ? value.get<std::string>() : value.dump()).c_str(),
                 out_);
    }
  }
  std::fflush(out_);
  int code = (stats.error_count() > 0 || (stats.requests == 0 && stats.bytes == 0)) ? 1 : 0;
  if (!options_.out.empty()) {
    ResultMeta meta{PLPROBE_VERSION, host_name(), utc_timestamp(started_wall_),
                    std::chrono::duration<double>(options_.warmup).count(), seconds, interrupted_};
    std::string error;
    if (!write_file_atomically(options_.out, make_result(info_, meta, stats, summary).dump() + "\n", error)) {
      std::fprintf(err_, "plprobe: cannot write the result file: %s\n", error.c_str());
      return 2;
    }
  }
  return code;
}

bool write_file_atomically(const std::string& path, const std::string& text, std::string& error) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (!file) {
      error = fmt::format("{}: {}", temporary, std::strerror(errno));
      return false;
    }
    file << text;
    file.flush();
    if (!file) {
      error = fmt::format("{}: write failed", temporary);
      return false;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    error = fmt::format("{}: {}", path, std::strerror(errno));
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}

std::string utc_timestamp(std::chrono::system_clock::time_point at) {
  const auto seconds = std::chrono::system_clock::to_time_t(at);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buffer, millis);
}

std::string host_name() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "unknown";
  return buffer;
}

}  // namespace plprobe::bench
