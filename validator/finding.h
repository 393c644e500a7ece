// A finding: one thing the validator concluded from the evidence.
//
// Findings are the validator's whole output. Their JSON form is a contract
// (docs: architecture.md, "The result contract"): one object per line with
// exactly the keys id, severity, subject, message, evidence, remediation.
// `id` names the check that produced it (see rules.h, all_checks()) and never
// changes meaning; `severity` is fixed per check id.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace plprobe::validator {

// error: the path cannot work (or the endpoint is in a failed state) until
// this is fixed; exit code 1. warning: works today but is fragile or against
// the documented recommendation. info: context a reader needs (capacity,
// what was not checked).
enum class Severity { error, warning, info };

std::string_view to_string(Severity severity);

struct Finding {
  std::string id;
  Severity severity = Severity::info;
  std::string subject;  // what it is about: an endpoint, subnet, share, host:port ...
  std::string message;  // one or two human sentences, with the numbers
  nlohmann::json evidence = nlohmann::json::object();  // the values the check used
  std::string remediation;  // the AWS or ClickHouse step that fixes it
};

// Keys in the contract's order (id, severity, subject, message, evidence,
// remediation), so a line reads the same way in a terminal and in a file.
nlohmann::ordered_json to_json(const Finding& finding);

bool has_error(std::span<const Finding> findings);

// Errors first, then warnings, then info; stable within a severity so the
// order of checks (and so of the report) is reproducible.
void sort_by_severity(std::vector<Finding>& findings);

}  // namespace plprobe::validator
