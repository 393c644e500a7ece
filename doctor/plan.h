// Which targets `plprobe doctor` probes for one reverse private endpoint.
//
// Every DNS name the endpoint exposes (dnsNames, privateDnsNames, custom
// private DNS mappings; domain.md rule 10) times every port the source
// serves on (domain.md rule 8): --port when given, else for MSK multi-VPC
// the broker ports of the cluster's VpcConnectivity bootstrap string in the
// evidence, else the source's default port. The scheme follows the source
// (kafka://, postgres://, mysql://, mongodb://); TLS schemes for Kafka and
// MongoDB when asked for, and always for MSK multi-VPC, whose SASL/IAM and
// SASL/SCRAM listeners are TLS only.
//
// Pure: no I/O. Threading: none.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "probes/target.h"
#include "validator/endpoint.h"
#include "validator/evidence.h"
#include "validator/rules.h"

namespace plprobe::doctor {

struct PlanOptions {
  validator::SourceKind source = validator::SourceKind::postgres;
  std::vector<std::uint16_t> ports;  // --port; empty: see above
  std::string user;                  // USER@ in postgres/mysql/mongodb targets; empty: none
  std::string database;              // /DB in postgres targets, /AUTHDB in mongodb ones; empty: none
  bool tls = false;                  // kafka+tls:// and mongodb+tls:// instead of the plaintext schemes
};

struct Plan {
  std::vector<std::string> names;
  std::vector<std::uint16_t> ports;
  std::string ports_from;  // "--port", "the MSK bootstrap string (KEY)", "the default port of postgres"
  std::vector<probes::Target> targets;  // names x ports, names first
};

// The plan, or nullopt with `error` set to one sentence (an endpoint with
// no DNS name; a target that does not parse, which would be a bug).
std::optional<Plan> plan_targets(const validator::Endpoint& endpoint, const validator::Evidence& evidence,
                                 const PlanOptions& options, std::string& error);

// The broker ports of an MSK multi-VPC bootstrap string in the evidence for
// `authentication` (SASL_IAM, SASL_SCRAM), with the key they came from;
// empty when the evidence has none.
std::vector<std::uint16_t> msk_vpc_ports(const validator::Evidence& evidence, const std::string& authentication,
                                         std::string& key);

}  // namespace plprobe::doctor
