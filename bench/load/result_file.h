// Result files (`--out RESULT.json`) and `plprobe merge`.
//
// A result file is one JSON object:
//   {"format": "plprobe-bench-result", "format_version": 1,
//    "plprobe_version": "0.1.0", "mode": "connect", "host": "bastion-1",
//    "started_at": "2026-11-29T22:10:00.123Z", "warmup_s": 3, "duration_s": 30.0,
//    "interrupted": false, "rate": "connections" | "requests" | "none", "bytes": true,
//    "settings": {the mode's settings},
//    "summary": {the --json summary object},
//    "stats": {"requests": N, "bytes": N, "errors": {code: count},
//              "latency_us": {Histogram::to_json(): raw sparse buckets}}}
// A merged file has the same shape plus "merged_from": [{host, started_at,
// duration_s, settings, summary}, ...] and host "merged".
//
// Merging assumes the runs loaded the target at the same time (several
// hosts, one endpoint): counts and histograms add exactly, rates add, and
// the merged duration is the longest run's.
//
// Failure behaviour: parse_result() and merge_results() return nullopt with
// one sentence in `error` for anything that is not a compatible result (not
// JSON, another format or version, another histogram layout, another mode).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/load/recorder.h"
#include "bench/load/run.h"
#include "common/result.h"

namespace plprobe::bench {

inline constexpr const char* kResultFormat = "plprobe-bench-result";
inline constexpr int kResultFormatVersion = 1;

struct ResultMeta {
  std::string plprobe_version;
  std::string host;
  std::string started_at;
  double warmup_s = 0;
  double duration_s = 0;
  bool interrupted = false;
};

Json make_result(const RunInfo& info, const ResultMeta& meta, const Stats& stats, const Json& summary);

struct ParsedResult {
  RunInfo info;
  ResultMeta meta;
  Stats stats;
  Json summary;
  Json merged_from;  // array; empty unless the file is itself a merge
};

std::optional<ParsedResult> parse_result(const Json& json, std::string& error);
// Reads and parses a file; `error` names the file.
std::optional<ParsedResult> read_result_file(const std::string& path, std::string& error);

// The merged result file object (already carrying its summary).
std::optional<Json> merge_results(const std::vector<ParsedResult>& results, std::string& error);

const char* rate_kind_name(RateKind kind);

}  // namespace plprobe::bench
