// The doctor's report: one verdict, the validator's findings, and the probe
// results they were judged from. Every renderer (text, JSON Lines, HTML)
// reads only this model, so the three always say the same thing.
//
// Verdict: READY when no finding is an error, else NOT READY with the number
// of error findings as "problems". Findings are the validator's (same ids,
// severities and order: errors first, then warnings, then info); the doctor
// adds none of its own.
//
// Plain values; no threads, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "validator/evidence.h"
#include "validator/finding.h"

namespace plprobe::doctor {

struct EndpointSummary {
  std::string id;
  std::string type;    // as written: VPC_RESOURCE, MSK_MULTI_VPC, VPC_ENDPOINT_SERVICE
  std::string status;  // as written: Ready, Failed, ...
  std::string service_id;
  std::string description;
  std::vector<std::string> names;
};

struct Report {
  std::optional<EndpointSummary> endpoint;  // absent when probing URIs directly
  std::string source;                       // kafka, postgres, mysql, mongodb, or "" (URIs of several kinds)
  std::vector<std::uint16_t> ports;
  std::string ports_from;
  bool evidence_given = false;
  std::vector<validator::EvidenceFile> evidence_files;
  std::string clickpipes_region;  // as given; empty: derived by the validator
  std::vector<std::string> targets;  // the probed URIs, in plan order
  int samples = 1;
  bool credentials = false;  // --credentials-from-env found a password

  std::vector<validator::Finding> findings;
  // Results in plan order (target, then arrival), one per target and address.
  std::vector<ProbeResult> results;

  int problems() const;  // error findings
  int warnings() const;
  bool ready() const { return problems() == 0; }
  // "READY" or "NOT READY: N problem(s)".
  std::string verdict() const;
};

// Stable, machine-readable verdict for JSON: "ready" or "not_ready".
std::string verdict_code(const Report& report);

// A node of the path, for the diagram and the sections: one advertised
// Kafka broker or MongoDB member from a result's facts.
struct WalkNode {
  std::string label;    // "node 2 b-2.example:9092" / "mongo-1.example:27017"
  std::string outcome;  // "ok", a code, or "" when not walked
  std::string underlying;
  std::string message;
};
std::vector<WalkNode> walk_nodes(const ProbeResult& result);

// The phase a failure belongs to ("dns", "connect", "tls", "handshake"), "" for ok.
std::string failed_phase(const ProbeResult& result);

// True when the result failed only because of advertised brokers or
// members (the path to the seed itself works).
bool walk_only_failure(const ProbeResult& result);

}  // namespace plprobe::doctor
