// Paths to tests/fixtures/validator/ and a small runner for scenarios:
// an endpoint file, evidence files, options -> findings.
#pragma once

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "validator/endpoint.h"
#include "validator/evidence.h"
#include "validator/probe_results.h"
#include "validator/regions.h"
#include "validator/rules.h"

namespace plprobe::validator::testing {

inline std::string fixture(const std::string& relative) {
  // Appending in steps: g++ 12 at -O2 warns (-Warray-bounds, a known false
  // positive) on `std::string(literal) + literal + string`.
  std::string path = PLPROBE_SOURCE_DIR;
  path.append("/tests/fixtures/validator/");
  path.append(relative);
  return path;
}

// Every *.json of `dir` (relative to the fixtures) except the endpoint
// object and the names in `drop`, plus `add` (relative paths).
inline std::vector<std::string> files_of(const std::string& dir, const std::vector<std::string>& drop = {},
                                         const std::vector<std::string>& add = {}) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(fixture(dir))) {
    auto name = entry.path().filename().string();
    if (name == "rpe.json" || std::find(drop.begin(), drop.end(), name) != drop.end()) continue;
    out.push_back(entry.path().string());
  }
  for (const auto& extra : add) out.push_back(fixture(extra));
  std::sort(out.begin(), out.end());
  return out;
}

struct Run {
  std::string endpoint;  // relative
  std::vector<std::string> evidence;  // absolute (files_of) paths
  std::string endpoint_id;
  std::optional<std::string> clickpipes_region;
  std::optional<SourceKind> source;
  std::vector<std::int64_t> ports;
  std::vector<std::string> probes;  // relative
  std::string regions_file;         // relative
  std::string now = "2024-05-03T00:00:00Z";
};

inline std::vector<Finding> run(const Run& r) {
  auto endpoints = load_endpoints(fixture(r.endpoint));
  const Endpoint& endpoint = select_endpoint(endpoints, r.endpoint_id, r.endpoint);
  Evidence evidence = load_evidence(r.evidence);
  RegionList regions = r.regions_file.empty() ? builtin_regions() : load_regions_file(fixture(r.regions_file));
  std::vector<ProbeRecord> probes;
  for (const auto& file : r.probes) {
    auto records = load_probe_results(fixture(file));
    probes.insert(probes.end(), records.begin(), records.end());
  }
  Inputs inputs;
  inputs.endpoint = &endpoint;
  inputs.siblings = endpoints;
  inputs.evidence = &evidence;
  inputs.regions = &regions;
  inputs.clickpipes_region = r.clickpipes_region;
  inputs.source = r.source;
  inputs.ports = r.ports;
  inputs.probes = probes;
  inputs.now = *parse_timestamp(nlohmann::json(r.now));
  return validate(inputs);
}

// Ids of error and warning findings (info is context, asserted separately).
inline std::set<std::string> problem_ids(const std::vector<Finding>& findings) {
  std::set<std::string> out;
  for (const auto& f : findings) {
    if (f.severity != Severity::info) out.insert(f.id);
  }
  return out;
}

inline std::set<std::string> all_ids(const std::vector<Finding>& findings) {
  std::set<std::string> out;
  for (const auto& f : findings) out.insert(f.id);
  return out;
}

inline const Finding* find(const std::vector<Finding>& findings, const std::string& id, const std::string& subject = {}) {
  for (const auto& f : findings) {
    if (f.id == id && (subject.empty() || f.subject == subject)) return &f;
  }
  return nullptr;
}

}  // namespace plprobe::validator::testing
