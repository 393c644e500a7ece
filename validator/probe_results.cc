#include "validator/probe_results.h"

#include <fmt/format.h>

#include "validator/input_error.h"
#include "validator/json_util.h"

namespace plprobe::validator {

namespace {

std::vector<ProbeMember> members_of(const json& facts, std::string_view key) {
  std::vector<ProbeMember> out;
  for (const auto& item : array_at(facts, key)) {
    if (!item.is_object()) continue;
    ProbeMember m;
    m.node_id = string_at(item, "node_id");
    if (m.node_id.empty()) m.node_id = string_at(item, "name");
    m.host = string_at(item, "host");
    m.port = int_at(item, "port").value_or(0);
    m.outcome = string_at(item, "outcome");
    m.message = string_at(item, "message");
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

ProbeRecord probe_record_from_json(const json& object, const std::string& source) {
  if (!object.is_object() || member(object, "outcome") == nullptr || member(object, "host") == nullptr) {
    throw InputError(fmt::format("{} has no \"outcome\" or \"host\": not a probe result", source),
                     "Pass the output of 'plprobe probe --json'; findings from 'plprobe validate --json' "
                     "are not probe results.");
  }
  ProbeRecord r;
  r.target = string_at(object, "target");
  r.kind = string_at(object, "kind");
  r.host = string_at(object, "host");
  r.port = int_at(object, "port").value_or(0);
  const json* address = member(object, "address");
  if (address != nullptr && address->is_string()) r.address = address->get<std::string>();
  r.address_class = string_at(object, "address_class");
  r.outcome = string_at(object, "outcome");
  r.message = string_at(object, "message");
  r.hint = string_at(object, "hint");
  if (const json* tls = member(object, "tls"); tls != nullptr && tls->is_object()) {
    r.tls_verified = bool_at(*tls, "verified");
    r.tls_sans = strings_at(*tls, "sans");
    r.tls_verify_errors = strings_at(*tls, "verify_errors");
  }
  if (const json* facts = member(object, "facts"); facts != nullptr && facts->is_object()) {
    r.brokers = members_of(*facts, "brokers");
    r.members = members_of(*facts, "members");
  }
  r.source = source;
  return r;
}

std::vector<ProbeRecord> parse_probe_lines(std::string_view text, const std::string& source) {
  std::vector<ProbeRecord> out;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    ++line_number;
    start = end == std::string_view::npos ? text.size() + 1 : end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;

    json object;
    try {
      object = json::parse(line.begin(), line.end());
    } catch (const json::parse_error& e) {
      throw InputError(
          fmt::format("{}: line {} is not JSON (column {})", source, line_number, e.byte == 0 ? 1 : e.byte),
          "Pass the output of 'plprobe probe --json' (JSON Lines: one object per line), unchanged.");
    }
    if (!object.is_object()) {
      throw InputError(fmt::format("{}: line {} is a JSON {}, expected a probe result object", source, line_number,
                                   object.type_name()),
                       "Pass the output of 'plprobe probe --json' (JSON Lines: one object per line), unchanged.");
    }
    out.push_back(probe_record_from_json(object, fmt::format("{}:{}", source, line_number)));
  }
  return out;
}

std::vector<ProbeRecord> load_probe_results(const std::string& path) {
  auto records = parse_probe_lines(read_file(path), path);
  if (records.empty()) {
    throw InputError(fmt::format("{}: no probe results in the file", path),
                     "Run 'plprobe probe --json TARGET... > results.jsonl' first.");
  }
  return records;
}

}  // namespace plprobe::validator
