// Probe results (--probes) turned into findings next to the configuration
// findings, so one report explains the whole path (domain.md rule 10 and
// "What goes wrong in practice"). Results for several addresses of one
// host:port with the same problem become one finding listing the addresses.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "validator/checks_internal.h"
#include "validator/json_util.h"

namespace plprobe::validator::detail {

namespace {

struct Mapping {
  std::string_view prefix_or_code;
  bool prefix;
  std::string_view check;
};

// Outcome codes (common/codes.h and the later protocol codes) to check ids.
// Order matters: exact codes before the prefixes that would also match them.
constexpr Mapping kMappings[] = {
    {"dns_public_address", false, "dns_name_public"},
    {"dns_", true, "dns_name_unresolved"},
    {"tcp_refused", false, "port_refused"},
    {"tcp_", true, "port_unreachable"},
    {"tls_hostname_mismatch", false, "tls_name_mismatch"},
    {"tls_", true, "tls_failed"},
    {"protocol_", true, "protocol_failed"},
    {"kafka_broker_unresolvable", false, "kafka_broker_unreachable"},
    {"kafka_broker_unreachable", false, "kafka_broker_unreachable"},
    {"kafka_advertised_mismatch", false, "kafka_advertised_mismatch"},
    {"mongodb_member_", true, "mongodb_member_unreachable"},
};

std::string_view check_for(std::string_view outcome) {
  for (const auto& m : kMappings) {
    if (m.prefix ? outcome.starts_with(m.prefix_or_code) : outcome == m.prefix_or_code) return m.check;
  }
  return "probe_failed";
}

std::string remediation_for(std::string_view check, const ProbeRecord& r, bool endpoint_name) {
  if (check == "dns_name_unresolved") {
    return endpoint_name
               ? "Query the VPC resolver (the VPC CIDR base + 2) from inside the VPC; check the endpoint's DNS names "
                 "in the ClickHouse Cloud console and, for private DNS, the endpoint service's verified private DNS "
                 "name or the private hosted zone association."
               : "Check the name's spelling and the resolver the probe used (--dns-server); the name must resolve "
                 "inside the VPC.";
  }
  if (check == "dns_name_public") {
    return "Private DNS is not in effect: enable private DNS on the endpoint service (verified name) or associate the "
           "private hosted zone with the VPC, and query the VPC resolver.";
  }
  if (check == "port_refused") {
    return fmt::format("Nothing listens on {}:{}: check the port (Postgres 5432, MySQL 3306, MongoDB 27017, Kafka "
                       "9092/9094/9096/9098, MSK multi-VPC from its bootstrap string), the NLB listener or the "
                       "resource configuration's port ranges.",
                       r.host, r.port);
  }
  if (check == "port_unreachable") {
    return "Packets are dropped: security groups of the endpoint/resource gateway and the source (inbound from the "
           "gateway's or NLB's subnets), NACLs, routes, and NLB target health.";
  }
  if (check == "tls_name_mismatch") {
    return "Connect with a name the certificate lists (SNI) -- for MSK and Kafka behind an endpoint, the broker's own "
           "host name as a custom private DNS name -- and keep verification on.";
  }
  if (check == "kafka_broker_unreachable" || check == "kafka_advertised_mismatch") {
    return "Each broker's advertised host:port must resolve and be reachable through the endpoint: one NLB listener "
           "(and target group) per broker, or custom private DNS names for the advertised host names.";
  }
  if (check == "mongodb_member_unreachable") {
    return "Replica-set members advertise their own host names: make each one resolvable and reachable through the "
           "endpoint (custom private DNS names, one listener per member).";
  }
  return r.hint.empty() ? std::string("See the probe's message and 'plprobe codes'.") : r.hint;
}

}  // namespace

void check_probes(const Context& ctx, Report& report) {
  // (check, host, port) -> the records with that problem.
  std::map<std::tuple<std::string, std::string, std::int64_t>, std::vector<const ProbeRecord*>> groups;
  std::vector<std::tuple<std::string, std::string, std::int64_t>> order;
  auto add = [&](std::string check, const ProbeRecord& r) {
    auto key = std::make_tuple(std::move(check), r.host, r.port);
    auto [it, inserted] = groups.try_emplace(key);
    if (inserted) order.push_back(key);
    it->second.push_back(&r);
  };

  struct MemberProblem {
    std::string check;
    const ProbeRecord* record;
    const ProbeMember* member;
  };
  std::vector<MemberProblem> members;

  for (const auto& r : ctx.in.probes) {
    const bool endpoint_name = ctx.is_endpoint_name(r.host);
    if (r.ok()) {
      // A private endpoint name must not resolve to a public address even
      // when the connection works (traffic would leave the private path).
      if (endpoint_name && iequals(r.address_class, "public")) add("dns_name_public", r);
    } else {
      auto check = std::string(check_for(r.outcome));
      // Broker/member lists name the unreachable ones precisely; use them
      // instead of one finding for the bootstrap target.
      bool detailed = false;
      if (check == "kafka_broker_unreachable" || check == "mongodb_member_unreachable") {
        for (const auto* list : {&r.brokers, &r.members}) {
          for (const auto& m : *list) {
            if (!m.outcome.empty() && m.outcome != "ok") {
              members.push_back({check, &r, &m});
              detailed = true;
            }
          }
        }
      }
      if (!detailed) add(check, r);
    }
    if (r.ok() || check_for(r.outcome) == "probe_failed") {
      // Brokers that failed while the bootstrap probe itself succeeded.
      for (const auto& m : r.brokers) {
        if (!m.outcome.empty() && m.outcome != "ok") members.push_back({"kafka_broker_unreachable", &r, &m});
      }
    }
  }

  for (const auto& key : order) {
    const auto& [check, host, port] = key;
    const auto& records = groups[key];
    const ProbeRecord& first = *records.front();
    std::vector<std::string> addresses, sources;
    for (const auto* r : records) {
      addresses.push_back(r->address.value_or("(none)"));
      sources.push_back(r->source);
    }
    const bool endpoint_name = ctx.is_endpoint_name(host);
    nlohmann::json evidence = {{"outcome", first.outcome},       {"kind", first.kind},
                               {"addresses", addresses},         {"endpoint_dns_name", endpoint_name},
                               {"probe_message", first.message}, {"results", sources}};
    if (!first.address_class.empty()) evidence["address_class"] = first.address_class;
    if (check == "tls_name_mismatch" && !first.tls_sans.empty()) evidence["certificate_names"] = first.tls_sans;
    std::string what = first.message.empty() ? first.outcome : first.message;
    std::string message =
        check == "dns_name_public" && first.ok()
            ? fmt::format("{} resolves to public address {}; an endpoint name must resolve to private addresses.", host,
                          fmt::join(addresses, ", "))
            : fmt::format("{}:{} ({}): {} [{}].", host, port, endpoint_name ? "an endpoint DNS name" : first.kind, what,
                          first.outcome);
    report.add(check, fmt::format("{}:{}", host, port), std::move(message), std::move(evidence),
               remediation_for(check, first, endpoint_name));
  }

  std::set<std::tuple<std::string, std::string, std::int64_t>> seen;
  for (const auto& problem : members) {
    const auto& m = *problem.member;
    if (!seen.insert({problem.check, m.host, m.port}).second) continue;
    report.add(problem.check, fmt::format("{}:{}", m.host, m.port),
               fmt::format("{} {} advertised as {}:{} is not usable through the path: {} [{}].",
                           problem.check == "mongodb_member_unreachable" ? "Member" : "Broker", m.node_id, m.host, m.port,
                           m.message.empty() ? m.outcome : m.message, m.outcome),
               {{"node_id", m.node_id}, {"host", m.host}, {"port", m.port}, {"outcome", m.outcome},
                {"bootstrap", problem.record->target}, {"result", problem.record->source}},
               remediation_for(problem.check, *problem.record, false));
  }
}

}  // namespace plprobe::validator::detail
