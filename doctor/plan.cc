#include "doctor/plan.h"

#include <algorithm>

#include <fmt/format.h>

#include "validator/json_util.h"

namespace plprobe::doctor {

namespace {

std::string scheme_for(validator::SourceKind source, bool tls) {
  switch (source) {
    case validator::SourceKind::kafka:
      return tls ? "kafka+tls" : "kafka";
    case validator::SourceKind::postgres:
      return "postgres";
    case validator::SourceKind::mysql:
      return "mysql";
    case validator::SourceKind::mongodb:
      return tls ? "mongodb+tls" : "mongodb";
  }
  return "tcp";
}

}  // namespace

std::vector<std::uint16_t> msk_vpc_ports(const validator::Evidence& evidence, const std::string& authentication,
                                         std::string& key) {
  // Amazon MSK API, GetBootstrapBrokers: multi-VPC private connectivity has
  // its own strings per authentication method, with their own ports.
  const std::string wanted = validator::msk_vpc_bootstrap_key(authentication);
  if (wanted.empty()) return {};
  for (const auto& bootstrap : evidence.msk_bootstrap) {
    for (const auto& [name, value] : bootstrap.strings) {
      if (!validator::iequals(name, wanted)) continue;
      std::vector<std::uint16_t> ports;
      for (auto port : validator::bootstrap_ports(value)) {
        if (port <= 65535) ports.push_back(static_cast<std::uint16_t>(port));
      }
      if (!ports.empty()) {
        key = name;
        return ports;
      }
    }
  }
  return {};
}

std::optional<Plan> plan_targets(const validator::Endpoint& endpoint, const validator::Evidence& evidence,
                                 const PlanOptions& options, std::string& error) {
  Plan plan;
  plan.names = endpoint.all_dns_names();
  if (plan.names.empty()) {
    error = fmt::format("endpoint {} lists no DNS name (dnsNames, privateDnsNames, customPrivateDnsMappings) to probe",
                        endpoint.id.empty() ? std::string("(no id)") : endpoint.id);
    return std::nullopt;
  }
  const bool msk = endpoint.type == validator::EndpointType::msk_multi_vpc;
  if (!options.ports.empty()) {
    plan.ports = options.ports;
    plan.ports_from = "--port";
  } else if (std::string key; msk && !(plan.ports = msk_vpc_ports(evidence, endpoint.msk_authentication, key)).empty()) {
    plan.ports_from = fmt::format("the MSK bootstrap string ({})", key);
  } else {
    plan.ports = {validator::default_port(options.source)};
    plan.ports_from = fmt::format("the default port of {}", validator::to_string(options.source));
  }
  const bool tls = options.tls || (msk && options.source == validator::SourceKind::kafka);
  const std::string scheme = scheme_for(options.source, tls);
  const bool takes_user = options.source != validator::SourceKind::kafka && !options.user.empty();
  // MySQL targets have no database part (the probe logs in without one).
  const bool takes_database = (options.source == validator::SourceKind::postgres ||
                               options.source == validator::SourceKind::mongodb) &&
                              !options.database.empty();
  for (const auto& name : plan.names) {
    for (auto port : plan.ports) {
      auto text = fmt::format("{}://{}{}:{}{}", scheme, takes_user ? options.user + "@" : std::string(), name, port,
                              takes_database ? "/" + options.database : std::string());
      std::string why;
      auto target = probes::parse_target(text, why);
      if (!target) {
        error = fmt::format("cannot probe '{}': {}", text, why);
        return std::nullopt;
      }
      plan.targets.push_back(std::move(*target));
    }
  }
  return plan;
}

}  // namespace plprobe::doctor
