// The result contract (docs: architecture.md, "The result contract").
//
// One ProbeResult is one JSON line of `--json` output: one target at one
// address (or with no address, when resolution failed). Field names and
// meanings are stable; add fields, never rename them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/codes.h"
#include "common/status.h"

namespace plprobe {

// JSON that keeps keys in insertion order, so output reads in the order the
// contract documents (target, kind, host, ... facts).
using Json = nlohmann::ordered_json;

// Milliseconds with microsecond precision, measured with steady_clock where
// each phase happens. A phase that did not run is absent, not zero.
struct PhaseTimes {
  std::optional<double> dns_ms;
  std::optional<double> connect_ms;
  std::optional<double> tls_ms;
  std::optional<double> handshake_ms;
  double total_ms = 0;
};

struct TlsDetails {
  std::string version;  // "TLSv1.3"
  std::string cipher;
  std::string alpn;
  std::string sni;  // what we sent; empty for IP literals
  std::string subject;
  std::string issuer;
  std::vector<std::string> sans;
  std::string not_before;  // ISO 8601 UTC
  std::string not_after;
  int chain_length = 0;
  bool verified = false;
  // Every verification error OpenSSL reported, even with --insecure, in the
  // order it found them ("certificate has expired", ...).
  std::vector<std::string> verify_errors;
  std::vector<int> verify_error_codes;  // X509_V_ERR_*, parallel to verify_errors; not printed
  bool insecure = false;  // --insecure: errors were reported, not enforced
};

// Latency summary over --repeat samples of one target at one address.
struct SampleSummary {
  int count = 0;
  int lost = 0;
  double min_ms = 0, p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
};

struct ProbeResult {
  std::string target;  // as the user wrote it
  std::string kind;    // tcp, tls, dns, kafka, postgres, ...
  std::string host;
  std::uint16_t port = 0;
  std::optional<std::string> address;  // the address this result is for
  std::string address_class;           // private, public, loopback, ...; empty without address
  Code outcome = Code::ok;
  std::string message;  // one human sentence
  std::string hint;     // what to do next; empty for ok
  PhaseTimes phases;
  std::optional<TlsDetails> tls;
  Json facts = Json::object();  // protocol-specific
  std::optional<SampleSummary> samples;

  bool ok() const { return outcome == Code::ok; }
  // Sets outcome, message and hint; an empty hint takes the code's default.
  void fail(Code code, std::string why, std::string what_to_do = {});
  void fail(const Status& status) { fail(status.code, status.message, status.hint); }
};

Json to_json(const ProbeResult& result);
Json to_json(const TlsDetails& tls);

// Appends the result as one JSON line (with its newline) to `out`: the same
// bytes as to_json(result).dump() with invalid UTF-8 replaced, written
// field by field without building a JSON tree, because a scan prints tens
// of thousands of these and the tree cost more than the probe itself.
void append_json_line(std::string& out, const ProbeResult& result);
Json to_json(const PhaseTimes& phases);
Json to_json(const SampleSummary& samples);

// Rounds milliseconds to microsecond precision for output.
double round_ms(double ms);

}  // namespace plprobe
