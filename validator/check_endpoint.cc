// Checks on the endpoint object itself: its type, its parameters, its
// lifecycle status, and its siblings in the same API answer.
#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "validator/checks_internal.h"
#include "validator/json_util.h"

namespace plprobe::validator::detail {

namespace {

constexpr const char* kConsoleEndpoints =
    "ClickHouse Cloud console (the service's Settings > ClickPipe reverse private endpoints)";

// The documented identifier shapes (VPC Lattice API reference,
// ResourceConfiguration id: rcfg-[0-9a-z]{17}; RAM and MSK ARN formats;
// PrivateLink endpoint service names). Hand-written rather than std::regex:
// g++ 12's <regex> trips -Wmaybe-uninitialized under the sanitizers.
bool all_of_chars(std::string_view text, std::string_view allowed_extra, bool upper = false) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (upper && c >= 'A' && c <= 'Z') ||
           allowed_extra.find(c) != std::string_view::npos;
  });
}

bool is_hex(std::string_view text, std::size_t length) {
  return text.size() == length &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto at = text.find(separator, start);
    out.push_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE with PARTITION aws*, a
// region and a 12-digit account; returns RESOURCE or nullopt.
std::optional<std::string_view> arn_resource_of(std::string_view arn, std::string_view service) {
  auto parts = split(arn, ':');
  if (parts.size() != 6 || parts[0] != "arn" || !parts[1].starts_with("aws") || parts[2] != service) return std::nullopt;
  if (!all_of_chars(parts[3], "-") || parts[4].size() != 12 || !all_of_chars(parts[4], "")) return std::nullopt;
  if (std::any_of(parts[4].begin(), parts[4].end(), [](char c) { return c < '0' || c > '9'; })) return std::nullopt;
  return parts[5];
}

bool is_resource_configuration_id(std::string_view id) {
  return id.starts_with("rcfg-") && id.size() == 22 && all_of_chars(id.substr(5), "");
}

bool is_share_arn(std::string_view arn) {
  auto resource = arn_resource_of(arn, "ram");
  return resource && resource->starts_with("resource-share/") && all_of_chars(resource->substr(15), "-", true);
}

bool is_msk_cluster_arn(std::string_view arn) {
  auto resource = arn_resource_of(arn, "kafka");
  if (!resource) return false;
  auto parts = split(*resource, '/');
  return parts.size() == 3 && parts[0] == "cluster" && !parts[1].empty() && all_of_chars(parts[2], "-", true);
}

bool is_endpoint_service_name(std::string_view name) {
  auto labels = split(name, '.');
  return labels.size() == 5 && labels[0] == "com" && labels[1] == "amazonaws" && labels[2] == "vpce" &&
         all_of_chars(labels[3], "-") && labels[4].starts_with("vpce-svc-") && is_hex(labels[4].substr(9), 17);
}

// Hours left before ClickPipes cleans up an endpoint that has been in its
// status for `days`, counted from the newest timestamp the API object has.
nlohmann::json cleanup_evidence(const Context& ctx, int days, std::string& sentence) {
  nlohmann::json out = {{"cleanup_after_days", days}};
  if (days == 0) {
    sentence = "It is cleaned up at once.";
    return out;
  }
  if (!ctx.endpoint.status_since) {
    sentence = fmt::format("It is cleaned up automatically {} in this state (the endpoint object has no timestamp "
                           "to count from).",
                           days == 1 ? "1 day" : fmt::format("{} days", days));
    return out;
  }
  using namespace std::chrono;
  auto deadline = *ctx.endpoint.status_since + hours(24 * days);
  auto left = duration_cast<hours>(deadline - ctx.in.now);
  out["counted_from"] = ctx.endpoint.status_since_field;
  out["cleanup_in_hours"] = std::max<long long>(0, left.count());
  if (left.count() <= 0) {
    sentence = fmt::format("Automatic clean-up ({} after {}) is due now.",
                           days == 1 ? "1 day" : fmt::format("{} days", days), ctx.endpoint.status_since_field);
  } else {
    sentence = fmt::format("About {}d {}h are left before automatic clean-up (counted from {}).", left.count() / 24,
                           left.count() % 24, ctx.endpoint.status_since_field);
  }
  return out;
}

}  // namespace

void check_parameters(const Context& ctx, Report& report) {
  const Endpoint& e = ctx.endpoint;
  const std::string subject = e.id.empty() ? std::string("endpoint") : e.id;
  switch (e.type) {
    case EndpointType::other:
      report.add("endpoint_type_unsupported", subject,
                 fmt::format("Endpoint type '{}' is not an AWS PrivateLink type plprobe can validate.",
                             e.type_name.empty() ? "(none)" : e.type_name),
                 {{"type", e.type_name}},
                 "Use a VPC_RESOURCE, MSK_MULTI_VPC or VPC_ENDPOINT_SERVICE endpoint for AWS sources; "
                 "GCP Private Service Connect endpoints are out of scope.");
      return;
    case EndpointType::vpc_resource:
      if (!is_resource_configuration_id(e.vpc_resource_configuration_id)) {
        report.add("param_resource_configuration_id", subject,
                   fmt::format("vpcResourceConfigurationId '{}' is not a resource configuration id (rcfg- and 17 "
                               "characters).",
                               e.vpc_resource_configuration_id),
                   {{"vpcResourceConfigurationId", e.vpc_resource_configuration_id}},
                   "Copy the id from 'aws vpc-lattice get-resource-configuration' (field id) and recreate the "
                   "endpoint in the " + std::string(kConsoleEndpoints) + "; an endpoint cannot be edited.");
      }
      if (!is_share_arn(e.vpc_resource_share_arn)) {
        report.add("param_resource_share_arn", subject,
                   fmt::format("vpcResourceShareArn '{}' is not a RAM resource share ARN.", e.vpc_resource_share_arn),
                   {{"vpcResourceShareArn", e.vpc_resource_share_arn}},
                   "Copy the ARN from 'aws ram get-resource-shares --resource-owner SELF' (resourceShareArn) and "
                   "recreate the endpoint in the " + std::string(kConsoleEndpoints) + ".");
      }
      break;
    case EndpointType::msk_multi_vpc:
      if (!is_msk_cluster_arn(e.msk_cluster_arn)) {
        report.add("param_msk_cluster_arn", subject,
                   fmt::format("mskClusterArn '{}' is not an MSK cluster ARN.", e.msk_cluster_arn),
                   {{"mskClusterArn", e.msk_cluster_arn}},
                   "Copy the ARN from 'aws kafka list-clusters-v2' (ClusterArn) and recreate the endpoint in the " +
                       std::string(kConsoleEndpoints) + ".");
      }
      if (e.msk_authentication != "SASL_IAM" && e.msk_authentication != "SASL_SCRAM") {
        report.add("param_msk_authentication", subject,
                   fmt::format("mskAuthentication '{}' is not SASL_IAM or SASL_SCRAM.", e.msk_authentication),
                   {{"mskAuthentication", e.msk_authentication}},
                   "Recreate the endpoint with the authentication method the cluster's multi-VPC connectivity "
                   "has turned on (SASL_IAM or SASL_SCRAM).");
      }
      if (!e.custom_private_dns_names.empty()) {
        report.add("param_custom_dns_unsupported", subject,
                   "Custom private DNS mappings are set, but MSK multi-VPC endpoints do not support custom private DNS.",
                   {{"customPrivateDnsMappings", e.custom_private_dns_names}},
                   "Remove the custom private DNS mappings in the " + std::string(kConsoleEndpoints) +
                       "; MSK multi-VPC connectivity provides private DNS for the brokers itself.");
      }
      break;
    case EndpointType::vpc_endpoint_service:
      if (!is_endpoint_service_name(e.vpc_endpoint_service_name)) {
        report.add("param_endpoint_service_name", subject,
                   fmt::format("vpcEndpointServiceName '{}' is not an endpoint service name "
                               "(com.amazonaws.vpce.REGION.vpce-svc-...).",
                               e.vpc_endpoint_service_name),
                   {{"vpcEndpointServiceName", e.vpc_endpoint_service_name}},
                   "Copy ServiceName from 'aws ec2 describe-vpc-endpoint-service-configurations' and recreate the "
                   "endpoint in the " + std::string(kConsoleEndpoints) + ".");
      }
      break;
  }

  // Evidence about another resource than the endpoint names: the checks
  // below would judge the wrong thing, so say so first.
  auto mismatch = [&](std::string_view what, const std::string& expected, const std::vector<std::string>& found,
                      const std::string& file) {
    if (expected.empty() || found.empty()) return;
    if (std::any_of(found.begin(), found.end(), [&](const std::string& f) { return f == expected; })) return;
    report.add("evidence_mismatch", file,
               fmt::format("{} names {} '{}', but the evidence describes {}.", subject, what, expected,
                           fmt::join(found, ", ")),
               {{"expected", expected}, {"found", found}, {"file", file}},
               "Collect the evidence for this endpoint's own resources (scripts/collect-evidence.sh --endpoint "
               "FILE reads the ids from the endpoint object).");
  };
  std::vector<std::string> ids;
  if (e.type == EndpointType::vpc_resource && !ctx.evidence.resource_configurations.empty()) {
    for (const auto& c : ctx.evidence.resource_configurations) ids.push_back(c.id);
    mismatch("resource configuration", e.vpc_resource_configuration_id, ids,
             ctx.evidence.resource_configurations.front().source);
  }
  if (e.type == EndpointType::vpc_resource && !ctx.evidence.gateways.empty()) {
    ids.clear();
    for (const auto& g : ctx.evidence.gateways) ids.push_back(g.id);
    for (const auto& c : ctx.evidence.resource_configurations) {
      if (c.id == e.vpc_resource_configuration_id) {
        mismatch("(through its resource configuration) resource gateway", c.resource_gateway_id, ids,
                 ctx.evidence.gateways.front().source);
      }
    }
  }
  if (e.type == EndpointType::vpc_resource && !ctx.evidence.shares.empty()) {
    ids.clear();
    for (const auto& s : ctx.evidence.shares) ids.push_back(s.arn);
    mismatch("resource share", e.vpc_resource_share_arn, ids, ctx.evidence.shares.front().source);
  }
  if (e.type == EndpointType::msk_multi_vpc && !ctx.evidence.msk_clusters.empty()) {
    ids.clear();
    for (const auto& c : ctx.evidence.msk_clusters) ids.push_back(c.arn);
    mismatch("MSK cluster", e.msk_cluster_arn, ids, ctx.evidence.msk_clusters.front().source);
  }
  if (e.type == EndpointType::vpc_endpoint_service && !ctx.evidence.service_configurations.empty()) {
    ids.clear();
    for (const auto& s : ctx.evidence.service_configurations) ids.push_back(s.service_name);
    mismatch("endpoint service", e.vpc_endpoint_service_name, ids, ctx.evidence.service_configurations.front().source);
  }
}

void check_reuse(const Context& ctx, Report& report) {
  const Endpoint& e = ctx.endpoint;
  for (const auto& other : ctx.in.siblings) {
    if (&other == &e || (other.id == e.id && !e.id.empty())) continue;
    if (e.type == EndpointType::vpc_resource && other.type == EndpointType::vpc_resource &&
        !e.vpc_resource_share_arn.empty() && other.vpc_resource_share_arn == e.vpc_resource_share_arn) {
      report.add("ram_share_reused", e.vpc_resource_share_arn,
                 fmt::format("Endpoints {} and {} use the same resource share; one RAM resource share backs only one "
                             "reverse private endpoint.",
                             e.id, other.id),
                 {{"endpoints", {e.id, other.id}}, {"vpcResourceShareArn", e.vpc_resource_share_arn}},
                 "Create a separate resource share for each endpoint ('aws ram create-resource-share --principals "
                 "072088201116 --resource-arns RESOURCE_CONFIGURATION_ARN') and create the endpoint with it.");
    }
    if (e.type == EndpointType::msk_multi_vpc && other.type == EndpointType::msk_multi_vpc &&
        !e.msk_cluster_arn.empty() && other.msk_cluster_arn == e.msk_cluster_arn &&
        iequals(other.msk_authentication, e.msk_authentication)) {
      report.add("msk_cluster_auth_reused", e.msk_cluster_arn,
                 fmt::format("Endpoints {} and {} connect to the same MSK cluster with {}; MSK allows one PrivateLink "
                             "per cluster per authentication type.",
                             e.id, other.id, e.msk_authentication),
                 {{"endpoints", {e.id, other.id}}, {"mskClusterArn", e.msk_cluster_arn},
                  {"mskAuthentication", e.msk_authentication}},
                 "Reuse the existing endpoint for every ClickPipe of the service, or use the other authentication "
                 "method (SASL_IAM or SASL_SCRAM) for the second endpoint.");
    }
  }
}

void check_endpoint_status(const Context& ctx, Report& report) {
  const Endpoint& e = ctx.endpoint;
  const std::string subject = e.id.empty() ? std::string("endpoint") : e.id;
  const std::string status = to_lower(e.status);
  std::string cleanup;

  if (status == "ready") {
    if (e.all_dns_names().empty()) {
      report.add("endpoint_no_dns_names", subject, "The endpoint is Ready but lists no DNS names.",
                 {{"status", e.status}},
                 "Open the endpoint in the " + std::string(kConsoleEndpoints) +
                     " to see its DNS names, or fetch it again from the API; connect with a DNS name plus the "
                     "source's port.");
    }
    return;
  }
  if (status == "failed") {
    // Probable causes: every error the other checks found, in report order.
    nlohmann::json causes = nlohmann::json::array();
    std::vector<std::string> sentences;
    for (const auto& f : report.findings()) {
      if (f.severity != Severity::error) continue;
      causes.push_back({{"id", f.id}, {"subject", f.subject}});
      sentences.push_back(fmt::format("{} ({})", f.id, f.subject));
    }
    auto evidence = cleanup_evidence(ctx, 7, cleanup);
    evidence["status"] = e.status;
    evidence["causes"] = causes;
    std::string why =
        sentences.empty()
            ? std::string("No cause was found in the evidence given; the usual causes are a subnet without a free /28 "
                          "block, a missing principal 072088201116 and a region mismatch.")
            : fmt::format("Probable causes found in the evidence: {}.", fmt::join(sentences, "; "));
    report.add("endpoint_failed", subject, fmt::format("The endpoint is Failed. {} {}", why, cleanup), evidence,
               sentences.empty()
                   ? std::string("Collect the evidence with scripts/collect-evidence.sh --endpoint FILE --out DIR and "
                                 "run 'plprobe validate' again with DIR.")
                   : "Fix the causes listed, then delete the failed endpoint in the " + std::string(kConsoleEndpoints) +
                         " and create it again (an endpoint cannot be edited; deleting it affects every ClickPipe of "
                         "service " + (e.service_id.empty() ? std::string("the service") : e.service_id) +
                         " that uses it).");
    return;
  }
  if (status == "rejected") {
    auto evidence = cleanup_evidence(ctx, 1, cleanup);
    evidence["status"] = e.status;
    report.add("endpoint_rejected", subject,
               fmt::format("The endpoint service owner rejected the connection request. {}", cleanup), evidence,
               "Allow principal arn:aws:iam::072088201116:root on the endpoint service, then delete and recreate the "
               "endpoint in the " + std::string(kConsoleEndpoints) + " and accept the new connection request.");
    return;
  }
  if (status == "expired") {
    auto evidence = cleanup_evidence(ctx, 0, cleanup);
    evidence["status"] = e.status;
    report.add("endpoint_expired", subject,
               fmt::format("The connection request expired before it was accepted. {}", cleanup), evidence,
               "Create the endpoint again in the " + std::string(kConsoleEndpoints) +
                   " and accept the connection request on the endpoint service in time (VPC console > Endpoint "
                   "services > Endpoint connections).");
    return;
  }
  if (status == "pendingacceptance") {
    auto evidence = cleanup_evidence(ctx, 1, cleanup);
    evidence["status"] = e.status;
    std::vector<std::string> pending;
    std::string service_id;
    for (const auto& c : ctx.evidence.endpoint_connections) {
      if (iequals(c.state, "pendingAcceptance")) {
        pending.push_back(c.vpc_endpoint_id);
        if (service_id.empty()) service_id = c.service_id;
      }
    }
    if (service_id.empty() && !ctx.evidence.service_configurations.empty()) {
      service_id = ctx.evidence.service_configurations.front().service_id;
    }
    evidence["pending_connections"] = pending;
    std::string which = pending.empty() ? (e.endpoint_id.empty() ? std::string("the request from ClickPipes")
                                                                 : e.endpoint_id)
                                        : fmt::format("{}", fmt::join(pending, " "));
    report.add("endpoint_pending_acceptance", subject,
               fmt::format("The endpoint waits for its connection request to be accepted. {}", cleanup), evidence,
               fmt::format("Accept {} on endpoint service {} (VPC console > Endpoint services > Endpoint connections "
                           "> Accept endpoint connection request, or 'aws ec2 accept-vpc-endpoint-connections "
                           "--service-id {} --vpc-endpoint-ids {}').",
                           which, service_id.empty() ? "SERVICE_ID" : service_id,
                           service_id.empty() ? "SERVICE_ID" : service_id,
                           pending.empty() ? (e.endpoint_id.empty() ? std::string("VPCE_ID") : e.endpoint_id)
                                           : fmt::format("{}", fmt::join(pending, " "))));
    return;
  }
  if (status == "provisioning") {
    report.add("endpoint_provisioning", subject, "The endpoint is still being created.", {{"status", e.status}},
               "Wait for Ready (the console page refreshes by itself); run 'plprobe validate' again if it turns Failed.");
    return;
  }
  if (status == "deleting") {
    report.add("endpoint_deleting", subject,
               "The endpoint is being deleted; every ClickPipe of its service that uses it stops working.",
               {{"status", e.status}},
               "Create a new endpoint in the " + std::string(kConsoleEndpoints) +
                   " and point the ClickPipes at its DNS names.");
    return;
  }
  report.add("endpoint_status_unknown", subject,
             fmt::format("The endpoint's status is '{}'.", e.status.empty() ? "(absent)" : e.status),
             {{"status", e.status}},
             "Fetch the endpoint again from the ClickHouse Cloud API; if it stays Unknown, contact ClickHouse support "
             "with the endpoint id.");
}

}  // namespace plprobe::validator::detail
