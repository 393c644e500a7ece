#include "doctor/diagnose.h"

#include <algorithm>
#include <mutex>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "validator/probe_results.h"

namespace plprobe::doctor {

namespace {

// Keeps every result with its target index and arrival number, so the
// report lists them in plan order however the engine's threads interleave.
class CollectingSink final : public probes::ResultSink {
 public:
  void accept(std::size_t target_index, ProbeResult result) override {
    std::lock_guard lock(mutex_);
    results_.emplace_back(target_index, results_.size(), std::move(result));
  }

  std::vector<ProbeResult> take() {
    std::lock_guard lock(mutex_);
    std::sort(results_.begin(), results_.end(), [](const auto& a, const auto& b) {
      return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
    });
    std::vector<ProbeResult> out;
    out.reserve(results_.size());
    for (auto& entry : results_) out.push_back(std::move(std::get<2>(entry)));
    results_.clear();
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<std::tuple<std::size_t, std::size_t, ProbeResult>> results_;
};

}  // namespace

void judge(const Request& request, Report& report) {
  std::vector<validator::ProbeRecord> records;
  records.reserve(report.results.size());
  for (std::size_t i = 0; i < report.results.size(); ++i) {
    // The JSON of the result contract, read back exactly as --probes reads
    // a line of `plprobe probe --json`.
    const nlohmann::json object = to_json(report.results[i]);
    records.push_back(validator::probe_record_from_json(object, fmt::format("result {}", i + 1)));
  }
  if (request.endpoint == nullptr) {
    report.findings = validator::validate_probes(records);
    return;
  }
  validator::Inputs inputs;
  inputs.endpoint = request.endpoint;
  inputs.siblings = request.siblings;
  inputs.evidence = request.evidence;
  inputs.regions = request.regions;
  inputs.clickpipes_region = request.clickpipes_region;
  inputs.source = request.source;
  inputs.ports = request.ports;
  inputs.probes = records;
  inputs.now = request.now;
  report.findings = validator::validate(inputs);
}

Status diagnose(const Request& request, Report& report, probes::EngineReport& engine_report) {
  CollectingSink sink;
  Status status = probes::run_probes(request.targets, request.engine, sink, engine_report);
  if (!status.ok()) return status;
  report.results = sink.take();
  judge(request, report);
  return status;
}

}  // namespace plprobe::doctor
