// CDC readiness findings, shared by the database probes (postgres, mysql).
//
// A probe that logs in checks what ClickPipes CDC needs and reports each
// item that is off as a Finding in facts.cdc.findings, with a stable id, a
// severity, one sentence and a hint. Errors make the result fail with the
// protocol's *_cdc_not_ready code; warnings and notes do not.
// Pure value types; thread-safe.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "common/result.h"

namespace plprobe::probes {

enum class Severity { error, warning, info };

inline const char* to_string(Severity severity) {
  switch (severity) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::info:
      return "info";
  }
  return "info";
}

struct Finding {
  std::string id;  // stable, snake_case: wal_level_not_logical, binlog_format_not_row, ...
  Severity severity = Severity::error;
  std::string message;
  std::string hint;
};

inline Json to_json(const Finding& finding) {
  return {{"id", finding.id},
          {"severity", to_string(finding.severity)},
          {"message", finding.message},
          {"hint", finding.hint}};
}

inline Json to_json(const std::vector<Finding>& findings) {
  Json out = Json::array();
  for (const auto& finding : findings) out.push_back(to_json(finding));
  return out;
}

inline bool has_errors(const std::vector<Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& finding) { return finding.severity == Severity::error; });
}

// "a; b; c (and 2 more in facts.cdc.findings)" over the error findings.
inline std::string error_summary(const std::vector<Finding>& findings, std::size_t spelled_out = 3) {
  std::string out;
  std::size_t shown = 0;
  std::size_t errors = 0;
  for (const auto& finding : findings) {
    if (finding.severity != Severity::error) continue;
    ++errors;
    if (shown == spelled_out) continue;
    if (!out.empty()) out += "; ";
    out += finding.message;
    ++shown;
  }
  if (errors > shown) out += "; and " + std::to_string(errors - shown) + " more in facts.cdc.findings";
  return out;
}

}  // namespace plprobe::probes
