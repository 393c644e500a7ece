#include "doctor/plan.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace plprobe::doctor {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

// "host:port,host:port" -> the distinct ports, in order of first appearance.
std::vector<std::uint16_t> ports_of(std::string_view list) {
  std::vector<std::uint16_t> ports;
  std::size_t start = 0;
  while (start < list.size()) {
    auto end = list.find(',', start);
    std::string_view item = list.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    start = end == std::string_view::npos ? list.size() : end + 1;
    auto colon = item.rfind(':');
    if (colon == std::string_view::npos) continue;
    unsigned value = 0;
    auto digits = item.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || value == 0 || value > 65535) continue;
    auto port = static_cast<std::uint16_t>(value);
    if (std::find(ports.begin(), ports.end(), port) == ports.end()) ports.push_back(port);
  }
  return ports;
}

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
  const std::string wanted = authentication == "SASL_SCRAM" ? "BootstrapBrokerStringVpcConnectivitySaslScram"
                                                            : "BootstrapBrokerStringVpcConnectivitySaslIam";
  for (const auto& bootstrap : evidence.msk_bootstrap) {
    for (const auto& [name, value] : bootstrap.strings) {
      if (!iequals(name, wanted)) continue;
      auto ports = ports_of(value);
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
