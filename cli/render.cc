#include "cli/render.h"

#include <algorithm>
#include <string>

#include <fmt/format.h>

namespace plprobe::cli {
namespace {

constexpr const char* kGreen = "\033[32m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kDim = "\033[2m";
constexpr const char* kReset = "\033[0m";

std::string paint(bool colour, const char* code, const std::string& text) {
  return colour ? fmt::format("{}{}{}", code, text, kReset) : text;
}

std::string ms(const std::optional<double>& value) {
  return value ? fmt::format("{:.3f}", *value) : std::string("-");
}

std::string pad(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

// Sub-results a protocol reports per node in facts.brokers (the Kafka
// broker walk): one short line each under the result, so the table shows
// the walk broker by broker as the JSON does.
void print_walk(std::FILE* out, const ProbeResult& result, const std::string& indent, bool colour) {
  const auto walk = result.facts.find("brokers");
  if (walk == result.facts.end() || !walk->is_array()) return;
  for (const auto& node : *walk) {
    if (!node.is_object() || !node.contains("outcome") || !node["outcome"].is_string()) continue;
    const std::string outcome = node["outcome"].get<std::string>();
    std::string line = fmt::format("node {}  {}  {}", node.value("node_id", -1), node.value("advertised", std::string("-")),
                                   outcome);
    if (node.contains("underlying") && node["underlying"].is_string()) {
      line += fmt::format(" ({})", node["underlying"].get<std::string>());
    }
    if (node.contains("phases_ms") && node["phases_ms"].is_object()) {
      line += fmt::format("  {:.3f} ms", node["phases_ms"].value("total", 0.0));
    }
    fmt::print(out, "{}{}\n", indent, paint(colour, outcome == "ok" ? kDim : kRed, line));
  }
}

}  // namespace

void Tally::add(const ProbeResult& result) {
  ++results;
  if (!result.ok()) ++failures;
  // Looked up by view first: a scan adds tens of thousands of results with
  // a handful of distinct outcomes, so the key string is built once each.
  const std::string_view outcome = name(result.outcome);
  auto it = by_outcome.find(outcome);
  if (it == by_outcome.end()) it = by_outcome.emplace(std::string(outcome), 0).first;
  ++it->second;
}

int Tally::exit_code() const { return failures > 0 ? 1 : 0; }

void write_json_line(std::FILE* out, const ProbeResult& result) {
  std::string line;
  append_json_line(line, result);
  std::fwrite(line.data(), 1, line.size(), out);
}

void JsonLinesSink::accept(std::size_t, ProbeResult result) {
  // Formatted into this thread's buffer outside the lock, which then only
  // covers the tally and one fwrite into stdio's buffer.
  thread_local std::string line;
  line.clear();
  append_json_line(line, result);
  std::lock_guard lock(mutex_);
  tally_.add(result);
  std::fwrite(line.data(), 1, line.size(), out_);
}

void TableSink::accept(std::size_t target_index, ProbeResult result) {
  std::lock_guard lock(mutex_);
  tally_.add(result);
  results_.emplace_back(target_index, std::move(result));
}

void TableSink::finish() {
  std::stable_sort(results_.begin(), results_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const ProbeResult*> rows;
  rows.reserve(results_.size());
  for (const auto& [index, result] : results_) rows.push_back(&result);
  print_table(out_, rows, colour_);
  print_summary(out_, tally_, colour_);
}

void print_table(std::FILE* out, const std::vector<const ProbeResult*>& results, bool colour) {
  if (results.empty()) return;
  const bool sampled = std::any_of(results.begin(), results.end(), [](auto* r) { return r->samples.has_value(); });
  std::size_t outcome_width = 7, target_width = 6, address_width = 7;
  for (const auto* result : results) {
    outcome_width = std::max(outcome_width, name(result->outcome).size());
    target_width = std::max(target_width, result->target.size());
    address_width = std::max(address_width, result->address.value_or("-").size());
  }
  std::string header = fmt::format("{}  {}  {}  {:>9} {:>9} {:>9} {:>9} {:>9}", pad("OUTCOME", outcome_width),
                                   pad("TARGET", target_width), pad("ADDRESS", address_width), "DNS", "CONNECT", "TLS",
                                   "HANDSHAKE", "TOTAL");
  if (sampled) header += fmt::format(" {:>9} {:>9} {:>6}", "P50", "P99", "LOSS");
  fmt::print(out, "{}\n", paint(colour, kDim, header + "   (ms)"));
  for (const auto* result : results) {
    const auto& phases = result->phases;
    std::string outcome = pad(std::string(name(result->outcome)), outcome_width);
    outcome = paint(colour, result->ok() ? kGreen : kRed, outcome);
    std::string line = fmt::format("{}  {}  {}  {:>9} {:>9} {:>9} {:>9} {:>9}", outcome, pad(result->target, target_width),
                                   pad(result->address.value_or("-"), address_width), ms(phases.dns_ms),
                                   ms(phases.connect_ms), ms(phases.tls_ms), ms(phases.handshake_ms),
                                   fmt::format("{:.3f}", phases.total_ms));
    if (result->samples) {
      const auto& s = *result->samples;
      line += fmt::format(" {:>9.3f} {:>9.3f} {:>5.1f}%", s.p50_ms, s.p99_ms,
                          s.count ? 100.0 * s.lost / s.count : 0.0);
    }
    fmt::print(out, "{}\n", line);
    const std::string indent(outcome_width + 2, ' ');
    if (!result->message.empty()) fmt::print(out, "{}{}\n", indent, result->message);
    print_walk(out, *result, indent, colour);
    if (result->tls && !result->tls->subject.empty() && result->ok()) {
      const auto& tls = *result->tls;
      std::string sans;
      for (const auto& san : tls.sans) sans += (sans.empty() ? "" : ", ") + san;
      fmt::print(out, "{}{}\n", indent,
                 paint(colour, kDim,
                       fmt::format("{} {}; names: {}; issuer: {}; expires {}", tls.version, tls.cipher,
                                   sans.empty() ? "-" : sans, tls.issuer, tls.not_after)));
      if (!tls.verified) {
        fmt::print(out, "{}{}\n", indent,
                   paint(colour, kYellow, "warning: certificate NOT verified; these errors were reported, not enforced"));
      }
    }
    if (!result->ok() && !result->hint.empty()) {
      fmt::print(out, "{}{}\n", indent, paint(colour, kYellow, "hint: " + result->hint));
    }
  }
}

void print_summary(std::FILE* out, const Tally& tally, bool colour) {
  std::string details;
  for (const auto& [outcome, count] : tally.by_outcome) {
    details += fmt::format("{}{} {}", details.empty() ? "" : ", ", outcome, count);
  }
  const std::string verdict = tally.failures == 0 ? paint(colour, kGreen, "all ok")
                                                  : paint(colour, kRed, fmt::format("{} failed", tally.failures));
  fmt::print(out, "\n{} result{}: {} ({})\n", tally.results, tally.results == 1 ? "" : "s", verdict, details);
}

}  // namespace plprobe::cli
