#include "validator/finding.h"

#include <algorithm>

namespace plprobe::validator {

std::string_view to_string(Severity severity) {
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

nlohmann::ordered_json to_json(const Finding& finding) {
  nlohmann::ordered_json out;
  out["id"] = finding.id;
  out["severity"] = to_string(finding.severity);
  out["subject"] = finding.subject;
  out["message"] = finding.message;
  out["evidence"] = finding.evidence;
  out["remediation"] = finding.remediation;
  return out;
}

bool has_error(std::span<const Finding> findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Severity::error; });
}

void sort_by_severity(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return static_cast<int>(a.severity) < static_cast<int>(b.severity);
  });
}

}  // namespace plprobe::validator
