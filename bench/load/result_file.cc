#include "bench/load/result_file.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/core.h>

namespace plprobe::bench {

const char* rate_kind_name(RateKind kind) {
  switch (kind) {
    case RateKind::connections: return "connections";
    case RateKind::requests: return "requests";
    case RateKind::none: return "none";
  }
  return "none";
}

Json make_result(const RunInfo& info, const ResultMeta& meta, const Stats& stats, const Json& summary) {
  Json result = Json::object();
  result["format"] = kResultFormat;
  result["format_version"] = kResultFormatVersion;
  result["plprobe_version"] = meta.plprobe_version;
  result["mode"] = info.mode;
  result["host"] = meta.host;
  result["started_at"] = meta.started_at;
  result["warmup_s"] = meta.warmup_s;
  result["duration_s"] = meta.duration_s;
  result["interrupted"] = meta.interrupted;
  result["rate"] = rate_kind_name(info.rate);
  result["bytes"] = info.bytes;
  result["settings"] = info.settings;
  result["summary"] = summary;
  Json errors = Json::object();
  for (const auto& [code, count] : stats.errors) errors[code] = count;
  result["stats"] = Json{{"requests", stats.requests},
                         {"bytes", stats.bytes},
                         {"errors", std::move(errors)},
                         {"latency_us", stats.latency_us.to_json()}};
  return result;
}

std::optional<ParsedResult> parse_result(const Json& json, std::string& error) {
  auto fail = [&](std::string why) -> std::optional<ParsedResult> {
    error = std::move(why);
    return std::nullopt;
  };
  if (!json.is_object()) return fail("not a JSON object");
  auto format = json.find("format");
  if (format == json.end() || *format != kResultFormat) {
    return fail(fmt::format("not a plprobe bench result (\"format\" is not \"{}\")", kResultFormat));
  }
  auto version = json.find("format_version");
  if (version == json.end() || !version->is_number_integer() || version->get<int>() != kResultFormatVersion) {
    return fail(fmt::format("result format version {} is not supported (this plprobe reads version {})",
                            version == json.end() ? "missing" : version->dump(), kResultFormatVersion));
  }
  ParsedResult parsed;
  try {
    parsed.info.mode = json.at("mode").get<std::string>();
    const auto rate = json.at("rate").get<std::string>();
    if (rate == "connections") parsed.info.rate = RateKind::connections;
    else if (rate == "requests") parsed.info.rate = RateKind::requests;
    else if (rate == "none") parsed.info.rate = RateKind::none;
    else return fail(fmt::format("unknown \"rate\" kind \"{}\"", rate));
    parsed.info.bytes = json.at("bytes").get<bool>();
    parsed.info.settings = json.at("settings");
    parsed.meta.plprobe_version = json.at("plprobe_version").get<std::string>();
    parsed.meta.host = json.at("host").get<std::string>();
    parsed.meta.started_at = json.at("started_at").get<std::string>();
    parsed.meta.warmup_s = json.at("warmup_s").get<double>();
    parsed.meta.duration_s = json.at("duration_s").get<double>();
    parsed.meta.interrupted = json.at("interrupted").get<bool>();
    parsed.summary = json.at("summary");
    const auto& stats = json.at("stats");
    parsed.stats.requests = stats.at("requests").get<std::uint64_t>();
    parsed.stats.bytes = stats.at("bytes").get<std::uint64_t>();
    for (const auto& [code, count] : stats.at("errors").items()) parsed.stats.errors[code] = count.get<std::uint64_t>();
    std::string histogram_error;
    auto histogram = Histogram::from_json(stats.at("latency_us"), histogram_error);
    if (!histogram) return fail(histogram_error);
    parsed.stats.latency_us = std::move(*histogram);
    if (auto merged = json.find("merged_from"); merged != json.end()) parsed.merged_from = *merged;
  } catch (const Json::exception& e) {
    return fail(fmt::format("a field is missing or has the wrong type ({})", e.what()));
  }
  if (parsed.meta.duration_s < 0) return fail("\"duration_s\" is negative");
  return parsed;
}

std::optional<ParsedResult> read_result_file(const std::string& path, std::string& error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = fmt::format("{}: cannot open the file", path);
    return std::nullopt;
  }
  std::stringstream text;
  text << file.rdbuf();
  Json json = Json::parse(text.str(), nullptr, false);
  if (json.is_discarded()) {
    error = fmt::format("{}: not valid JSON", path);
    return std::nullopt;
  }
  std::string why;
  auto parsed = parse_result(json, why);
  if (!parsed) error = fmt::format("{}: {}", path, why);
  return parsed;
}

std::optional<Json> merge_results(const std::vector<ParsedResult>& results, std::string& error) {
  if (results.empty()) {
    error = "nothing to merge";
    return std::nullopt;
  }
  const auto& first = results.front();
  RunInfo info = first.info;
  Stats stats;
  double duration = 0, requests_per_s = 0, bytes_per_s = 0;
  bool interrupted = false;
  Json merged_from = Json::array();
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& result = results[i];
    if (result.info.mode != info.mode || result.info.rate != info.rate || result.info.bytes != info.bytes) {
      error = fmt::format("result {} is a '{}' run and result 1 a '{}' run: only runs of the same mode merge", i + 1,
                          result.info.mode, info.mode);
      return std::nullopt;
    }
    stats.merge(result.stats);
    duration = std::max(duration, result.meta.duration_s);
    if (result.meta.duration_s > 0) {
      requests_per_s += static_cast<double>(result.stats.requests) / result.meta.duration_s;
      bytes_per_s += static_cast<double>(result.stats.bytes) / result.meta.duration_s;
    }
    interrupted = interrupted || result.meta.interrupted;
    if (result.merged_from.is_array() && !result.merged_from.empty()) {
      for (const auto& part : result.merged_from) merged_from.push_back(part);
    } else {
      merged_from.push_back(Json{{"host", result.meta.host},
                                 {"started_at", result.meta.started_at},
                                 {"duration_s", result.meta.duration_s},
                                 {"settings", result.info.settings},
                                 {"summary", result.summary}});
    }
  }
  SummaryInput input{&info, &stats, duration, requests_per_s, bytes_per_s, interrupted};
  Json summary = summary_json(input);
  summary["merged_runs"] = merged_from.size();
  ResultMeta meta{first.meta.plprobe_version, "merged", first.meta.started_at, first.meta.warmup_s, duration,
                  interrupted};
  for (const auto& result : results) meta.started_at = std::min(meta.started_at, result.meta.started_at);
  Json merged = make_result(info, meta, stats, summary);
  merged["merged_from"] = std::move(merged_from);
  return merged;
}

}  // namespace plprobe::bench
