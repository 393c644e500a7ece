// Probe results (`plprobe probe --json` output) read back as evidence.
//
// Input is JSON Lines in the result contract (docs: architecture.md, "The
// result contract"): one object per target and address. Reading is tolerant
// -- unknown outcome codes and extra fields are kept or ignored, never
// rejected -- because results may come from a newer plprobe. A line that is
// not a JSON object is an InputError naming the file and the line (exit 2);
// blank lines are skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace plprobe::validator {

// One Kafka broker (or MongoDB member) as the probe saw it in the metadata
// (facts.brokers / facts.members).
struct ProbeMember {
  std::string node_id;  // as text; Kafka node ids are numbers, MongoDB members names
  std::string host;
  std::int64_t port = 0;
  std::string outcome;  // "ok" or a code; empty when the probe did not try it
  std::string message;
};

struct ProbeRecord {
  std::string target, kind, host;
  std::int64_t port = 0;
  std::optional<std::string> address;
  std::string address_class;
  std::string outcome;  // "ok" or a code, as written
  std::string message, hint;
  std::optional<bool> tls_verified;
  std::vector<std::string> tls_sans;
  std::vector<std::string> tls_verify_errors;
  std::vector<ProbeMember> brokers;  // facts.brokers
  std::vector<ProbeMember> members;  // facts.members (MongoDB)
  std::string source;                // "file:line"

  bool ok() const { return outcome == "ok"; }
};

// One result object (a line of `plprobe probe --json`, or a ProbeResult's
// to_json() when the probes ran in this process, as in `plprobe doctor`):
// the one definition of how a result becomes evidence. Throws InputError
// naming `source` when the object has no "outcome" or "host".
ProbeRecord probe_record_from_json(const nlohmann::json& object, const std::string& source);

std::vector<ProbeRecord> parse_probe_lines(std::string_view text, const std::string& source);
std::vector<ProbeRecord> load_probe_results(const std::string& path);

}  // namespace plprobe::validator
