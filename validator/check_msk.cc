// MSK multi-VPC endpoints: cluster state, multi-VPC private connectivity for
// the endpoint's authentication, the cluster policy and client VPC
// connections (domain.md rules 5, 8; Amazon MSK Developer Guide,
// "Multi-VPC private connectivity" and "Attach a cluster policy").
#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "validator/checks_internal.h"
#include "validator/json_util.h"

namespace plprobe::validator::detail {

namespace {

// IAM action match: case-insensitive with '*' and '?' wildcards.
bool action_matches(std::string_view pattern, std::string_view action) {
  std::size_t p = 0, a = 0, star = std::string_view::npos, mark = 0;
  auto low = [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); };
  while (a < action.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || low(pattern[p]) == low(action[a]))) {
      ++p;
      ++a;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = a;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      a = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

void check_msk(const Context& ctx, Report& report) {
  if (!ctx.is(EndpointType::msk_multi_vpc)) return;
  const Endpoint& e = ctx.endpoint;
  const std::string subject = e.msk_cluster_arn.empty() ? std::string("MSK cluster") : e.msk_cluster_arn;
  const std::string auth = e.msk_authentication;

  bool reported_not_enabled = false;
  auto not_enabled = [&](const std::string& why, nlohmann::json evidence) {
    if (reported_not_enabled) return;
    reported_not_enabled = true;
    report.add("msk_multi_vpc_not_enabled", subject,
               fmt::format("Multi-VPC private connectivity is not turned on for {}: {}.", auth.empty() ? "the endpoint's authentication" : auth, why),
               std::move(evidence),
               fmt::format("Turn it on: MSK console > cluster > Properties > Networking settings > Edit > Turn on "
                           "multi-VPC connectivity with {} (or 'aws kafka update-connectivity'); the cluster must "
                           "use that authentication already.",
                           auth.empty() ? std::string("SASL/IAM or SASL/SCRAM") : auth));
  };

  for (const auto& c : ctx.evidence.msk_clusters) {
    if (!e.msk_cluster_arn.empty() && !c.arn.empty() && c.arn != e.msk_cluster_arn) continue;
    if (!iequals(c.state, "ACTIVE")) {
      report.add("msk_cluster_not_active", c.arn.empty() ? subject : c.arn,
                 fmt::format("MSK cluster {} is {}, not ACTIVE.", c.name.empty() ? c.arn : c.name,
                             c.state.empty() ? "(no state)" : c.state),
                 {{"State", c.state}, {"file", c.source}},
                 "Wait until the cluster update finishes ('aws kafka describe-cluster-v2'); create the endpoint on an "
                 "ACTIVE cluster.");
    }
    std::optional<bool> enabled = auth == "SASL_IAM"     ? c.vpc_connectivity_iam
                                  : auth == "SASL_SCRAM" ? c.vpc_connectivity_scram
                                                         : std::nullopt;
    if (!c.vpc_connectivity_present) {
      not_enabled("the cluster has no VpcConnectivity settings", {{"file", c.source}});
    } else if (!enabled.value_or(false) && !auth.empty()) {
      not_enabled("ClientAuthentication of VpcConnectivity does not enable it",
                  {{"iam", c.vpc_connectivity_iam.value_or(false)}, {"scram", c.vpc_connectivity_scram.value_or(false)},
                   {"file", c.source}});
    }
  }

  const std::string key = msk_vpc_bootstrap_key(auth);
  for (const auto& b : ctx.evidence.msk_bootstrap) {
    if (key.empty()) break;
    auto found = std::find_if(b.strings.begin(), b.strings.end(), [&](const auto& kv) { return iequals(kv.first, key); });
    if (found == b.strings.end() || found->second.empty()) {
      std::vector<std::string> keys;
      for (const auto& kv : b.strings) keys.push_back(kv.first);
      not_enabled(fmt::format("get-bootstrap-brokers has no {}", key), {{"present", keys}, {"file", b.source}});
      continue;
    }
    auto ports = bootstrap_ports(found->second);
    report.add("msk_bootstrap_ports", subject,
               fmt::format("Multi-VPC brokers for {} listen on port{} {}; use {} in the ClickPipe.", auth,
                           ports.size() == 1 ? "" : "s", fmt::join(ports, ", "), key),
               {{key, found->second}, {"ports", ports}},
               "Nothing to fix; connect with these host:port pairs, not the cluster's in-VPC ports (9092-9098).");
  }

  for (const auto& policy : ctx.evidence.msk_policies) {
    std::vector<std::string> actions;
    bool principal = false;
    for (const auto& s : policy.statements) {
      if (!iequals(s.effect, "Allow")) continue;
      if (std::none_of(s.principals.begin(), s.principals.end(),
                       [](const std::string& p) { return is_clickpipes_principal(p, true); })) {
        continue;
      }
      principal = true;
      actions.insert(actions.end(), s.actions.begin(), s.actions.end());
    }
    if (!principal) {
      report.add("msk_policy_principal_missing", subject,
                 "The MSK cluster policy has no Allow statement for ClickHouse's account 072088201116.",
                 {{"file", policy.source}, {"expected", kClickPipesAccount}},
                 "Add a statement allowing \"AWS\": \"arn:aws:iam::072088201116:root\" the actions "
                 "kafka:CreateVpcConnection, kafka:GetBootstrapBrokers, kafka:DescribeCluster and "
                 "kafka:DescribeClusterV2 ('aws kafka put-cluster-policy'; Amazon MSK Developer Guide, \"Attach a "
                 "cluster policy\").");
      continue;
    }
    struct Need {
      std::vector<std::string_view> any_of;
    };
    const Need needs[] = {{{"kafka:CreateVpcConnection"}},
                          {{"kafka:GetBootstrapBrokers"}},
                          {{"kafka:DescribeClusterV2", "kafka:DescribeCluster"}}};
    std::vector<std::string> missing;
    for (const auto& need : needs) {
      bool granted = std::any_of(need.any_of.begin(), need.any_of.end(), [&](std::string_view wanted) {
        return std::any_of(actions.begin(), actions.end(), [&](const std::string& a) { return action_matches(a, wanted); });
      });
      if (!granted) missing.emplace_back(need.any_of.front());
    }
    if (!missing.empty()) {
      report.add("msk_policy_actions_missing", subject,
                 fmt::format("The MSK cluster policy allows 072088201116 but not {}.", fmt::join(missing, ", ")),
                 {{"allowed_actions", actions}, {"missing", missing}, {"file", policy.source}},
                 fmt::format("Add {} to the statement for arn:aws:iam::072088201116:root ('aws kafka "
                             "put-cluster-policy').",
                             fmt::join(missing, ", ")));
    }
  }

  // MSK allows one PrivateLink per cluster per authentication type: a Failed
  // endpoint next to a working ClickPipes connection with the same
  // authentication most likely collided with another endpoint's connection.
  if (iequals(e.status, "Failed")) {
    for (const auto& c : ctx.evidence.msk_vpc_connections) {
      if (c.owner != kClickPipesAccount || !iequals(c.authentication, auth) || !iequals(c.state, "AVAILABLE")) continue;
      report.add("msk_cluster_auth_reused", subject,
                 fmt::format("The cluster already has an AVAILABLE client VPC connection from ClickPipes with {} ({}); "
                             "MSK allows one PrivateLink per cluster per authentication type.",
                             c.authentication, c.arn),
                 {{"VpcConnectionArn", c.arn}, {"Authentication", c.authentication}, {"State", c.state},
                  {"file", c.source}},
                 "Reuse the endpoint that owns that connection for every ClickPipe of the service (it is listed in "
                 "the ClickHouse Cloud console), or create this one with the other authentication method.");
      break;
    }
  }

  for (const auto& c : ctx.evidence.msk_vpc_connections) {
    if (c.owner != kClickPipesAccount || !iequals(c.authentication, auth)) continue;
    if (iequals(c.state, "FAILED") || iequals(c.state, "REJECTED")) {
      report.add("msk_vpc_connection_failed", c.arn.empty() ? subject : c.arn,
                 fmt::format("The client VPC connection from ClickPipes with {} is {}.", c.authentication, c.state),
                 {{"VpcConnectionArn", c.arn}, {"State", c.state}, {"Authentication", c.authentication}},
                 "Fix the cluster policy and multi-VPC settings, reject/delete the failed connection "
                 "('aws kafka reject-client-vpc-connection'), then recreate the endpoint.");
    }
  }
}

}  // namespace plprobe::validator::detail
