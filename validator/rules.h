// The validator's checks: evidence in, findings out.
//
// Every rule of docs/domain.md ("Rules (each one a check)") and every check
// listed in issue 5 is one or more entries of all_checks(), each with a
// stable id and a fixed severity. validate() runs them all over one endpoint
// and whatever evidence was given: a check whose evidence is absent stays
// silent (or says what it could not verify as `info`), so partial evidence
// gives a partial report, never a wrong one.
//
// Pure: no I/O, no sockets, no clock (the caller passes `now`), so the same
// inputs always give the same findings in the same order.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "validator/endpoint.h"
#include "validator/evidence.h"
#include "validator/finding.h"
#include "validator/probe_results.h"
#include "validator/regions.h"

namespace plprobe::validator {

// ClickHouse Cloud's AWS account: ClickPipes creates the endpoints from it,
// so shares, cluster policies and endpoint services must allow it.
inline constexpr std::string_view kClickPipesAccount = "072088201116";
inline constexpr std::string_view kClickPipesRootArn = "arn:aws:iam::072088201116:root";

struct CheckInfo {
  std::string_view id;
  Severity severity;
  std::string_view rule;     // where it comes from: "domain rule 3", "lifecycle", "probe results"
  std::string_view meaning;  // one sentence for docs and `validate --list-checks`
};

std::span<const CheckInfo> all_checks();
const CheckInfo* find_check(std::string_view id);

enum class SourceKind { kafka, postgres, mysql, mongodb };
std::optional<SourceKind> source_from_name(std::string_view name);
std::string_view to_string(SourceKind source);
// Postgres 5432, MySQL 3306, MongoDB 27017, Kafka 9092 (domain rule 8).
std::uint16_t default_port(SourceKind source);

struct Inputs {
  const Endpoint* endpoint = nullptr;  // required; owned by the caller
  // Every endpoint of the same file (the endpoint included), for the
  // "one share per endpoint" and "one PrivateLink per cluster and auth" checks.
  std::span<const Endpoint> siblings;
  const Evidence* evidence = nullptr;  // required (may be empty)
  const RegionList* regions = nullptr; // required
  std::optional<std::string> clickpipes_region;  // --clickpipes-region
  std::optional<SourceKind> source;              // --source
  std::vector<std::int64_t> ports;               // --port; empty: the source's default
  std::span<const ProbeRecord> probes;           // --probes
  std::chrono::system_clock::time_point now{};
};

// Findings sorted by severity (errors first), checks in table order within one.
std::vector<Finding> validate(const Inputs& inputs);

// The probe-result checks alone, for a path probed without an endpoint
// object (`plprobe doctor postgres://db.internal`): no name counts as an
// endpoint DNS name. Same ids, severities and order as validate().
std::vector<Finding> validate_probes(std::span<const ProbeRecord> probes);

}  // namespace plprobe::validator
