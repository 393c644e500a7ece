// Runs the probe engine in-process on a list of targets and collects the
// results, for tests of the engine and the transport against real peers.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "probes/engine.h"

namespace plprobe::probes::testing {

class CollectingSink final : public ResultSink {
 public:
  void accept(std::size_t target_index, ProbeResult result) override {
    std::lock_guard lock(mutex);
    results.emplace_back(target_index, std::move(result));
  }
  std::mutex mutex;
  std::vector<std::pair<std::size_t, ProbeResult>> results;
};

struct Run {
  Status status;
  EngineReport report;
  std::vector<ProbeResult> results;  // ordered by target index
  // A copy: callers often write run_targets(...).only() on a temporary.
  ProbeResult only() const {
    EXPECT_EQ(results.size(), 1u) << "expected exactly one result";
    if (results.empty()) return {};
    return results.front();
  }
};

inline Run run_targets(const std::vector<std::string>& texts, EngineOptions options = {}) {
  std::vector<Target> targets;
  for (const auto& text : texts) {
    std::string error;
    auto target = parse_target(text, error);
    EXPECT_TRUE(target) << error;
    if (target) targets.push_back(*target);
  }
  CollectingSink sink;
  Run run;
  run.status = run_probes(targets, options, sink, run.report);
  std::stable_sort(sink.results.begin(), sink.results.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [index, result] : sink.results) run.results.push_back(std::move(result));
  return run;
}

}  // namespace plprobe::probes::testing
