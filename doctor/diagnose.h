// Runs the doctor: probes every planned target with the engine
// (probes/engine.h; --samples is EngineOptions.repeat), turns the results
// into validator evidence through the same conversion `plprobe validate
// --probes` uses (validator::probe_record_from_json), and runs the
// validator over the endpoint, the AWS evidence and those results at once,
// so configuration and path findings come out as one list.
//
// Threading: blocks the calling thread until every probe is done (the
// engine runs its own threads). Failure behaviour: a failure to start the
// engine (no resolver, unreadable CA file) is returned as a Status and
// leaves the report's results empty; network failures are results and
// findings, never a failed Status.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "doctor/report.h"
#include "probes/engine.h"
#include "validator/endpoint.h"
#include "validator/evidence.h"
#include "validator/regions.h"
#include "validator/rules.h"

namespace plprobe::doctor {

struct Request {
  std::vector<probes::Target> targets;
  probes::EngineOptions engine;
  // With an endpoint object: all of these are set and owned by the caller.
  // Without (URIs given directly): endpoint is null and only the
  // probe-result checks run.
  const validator::Endpoint* endpoint = nullptr;
  std::span<const validator::Endpoint> siblings;
  const validator::Evidence* evidence = nullptr;
  const validator::RegionList* regions = nullptr;
  std::optional<std::string> clickpipes_region;
  std::optional<validator::SourceKind> source;
  std::vector<std::int64_t> ports;
  std::chrono::system_clock::time_point now{};
};

// Fills report.results and report.findings.
Status diagnose(const Request& request, Report& report, probes::EngineReport& engine_report);

// The validator step alone, over results already in the report (used by
// diagnose(); tests use it to judge prepared results).
void judge(const Request& request, Report& report);

}  // namespace plprobe::doctor
