#include "validator/rules.h"

#include <algorithm>
#include <array>
#include <stdexcept>

#include <fmt/format.h>

#include "validator/checks_internal.h"
#include "validator/json_util.h"

namespace plprobe::validator {

namespace {

using S = Severity;

// The public vocabulary of `plprobe validate`. Never rename or reuse an id;
// add new ones anywhere (order is the report's order within a severity).
constexpr std::array kChecks = {
    // Endpoint lifecycle (domain.md, "The ClickHouse Cloud API object").
    CheckInfo{"endpoint_failed", S::error, "lifecycle",
              "The endpoint is Failed; the finding names the probable causes found in the evidence and the time left "
              "before automatic clean-up (7 days)."},
    CheckInfo{"endpoint_rejected", S::error, "lifecycle",
              "The endpoint service owner rejected the connection; clean-up after 1 day."},
    CheckInfo{"endpoint_expired", S::error, "lifecycle",
              "The connection request expired before it was accepted; the endpoint is cleaned up at once."},
    CheckInfo{"endpoint_pending_acceptance", S::error, "domain rule 7",
              "The endpoint waits for the endpoint service owner to accept the connection; clean-up after 1 day."},
    CheckInfo{"endpoint_provisioning", S::info, "lifecycle", "The endpoint is still being created."},
    CheckInfo{"endpoint_deleting", S::warning, "domain rule 9",
              "The endpoint is being deleted; every ClickPipe that uses it stops working."},
    CheckInfo{"endpoint_status_unknown", S::warning, "lifecycle", "The endpoint's status is Unknown, absent or not one the validator knows."},
    CheckInfo{"endpoint_no_dns_names", S::warning, "domain rule 10", "The endpoint is Ready but lists no DNS name to connect to."},
    CheckInfo{"endpoint_type_unsupported", S::error, "endpoint types",
              "The endpoint's type is not one of VPC_RESOURCE, MSK_MULTI_VPC, VPC_ENDPOINT_SERVICE (the AWS types)."},
    // Parameters the ClickPipe asks for (domain.md, "The three endpoint types").
    CheckInfo{"param_resource_configuration_id", S::error, "parameters",
              "A VPC_RESOURCE endpoint's vpcResourceConfigurationId is missing or not an rcfg- id."},
    CheckInfo{"param_resource_share_arn", S::error, "parameters",
              "A VPC_RESOURCE endpoint's vpcResourceShareArn is missing or not a RAM resource-share ARN."},
    CheckInfo{"param_msk_cluster_arn", S::error, "parameters", "An MSK_MULTI_VPC endpoint's mskClusterArn is missing or not an MSK cluster ARN."},
    CheckInfo{"param_msk_authentication", S::error, "parameters",
              "An MSK_MULTI_VPC endpoint's mskAuthentication is missing or not SASL_IAM or SASL_SCRAM."},
    CheckInfo{"param_endpoint_service_name", S::error, "parameters",
              "A VPC_ENDPOINT_SERVICE endpoint's vpcEndpointServiceName is missing or not an endpoint service name."},
    CheckInfo{"param_custom_dns_unsupported", S::error, "parameters",
              "Custom private DNS mappings are set on an MSK_MULTI_VPC endpoint, which does not support them."},
    CheckInfo{"evidence_mismatch", S::warning, "evidence",
              "An evidence file describes another resource than the one the endpoint names (wrong id, ARN or name)."},
    CheckInfo{"ram_share_reused", S::error, "lifecycle",
              "Another endpoint of the same file uses the same RAM resource share; one share backs only one endpoint."},
    CheckInfo{"msk_cluster_auth_reused", S::error, "lifecycle",
              "Another endpoint of the same file, or (for a Failed endpoint) an AVAILABLE ClickPipes client VPC "
              "connection, uses the same MSK cluster and authentication; MSK allows one PrivateLink per cluster per "
              "authentication type."},
    // VPC resource: gateway, configuration, subnets, public cluster, RAM.
    CheckInfo{"gateway_not_active", S::error, "domain rule 1", "The resource gateway is not ACTIVE."},
    CheckInfo{"resource_config_not_active", S::error, "domain rule 1",
              "The resource configuration is not ACTIVE (its failureReason is quoted)."},
    CheckInfo{"resource_config_port_missing", S::error, "domain rule 8",
              "The resource configuration's port ranges do not include the source's port."},
    CheckInfo{"subnet_no_free_28", S::error, "domain rule 3",
              "A subnet of the resource gateway has no free aligned /28 block, so a new endpoint goes to Failed."},
    CheckInfo{"subnet_smaller_than_26", S::warning, "domain rule 2", "A subnet of the resource gateway is smaller than the recommended /26."},
    CheckInfo{"gateway_capacity", S::info, "domain rule 3",
              "How many more endpoints the resource gateway takes: the smallest number of free /28 blocks over its subnets."},
    CheckInfo{"subnet_evidence_missing", S::warning, "domain rule 3",
              "Subnet capacity could not be computed, or only as an upper bound, because evidence is missing."},
    CheckInfo{"rds_publicly_accessible", S::error, "domain rule 4",
              "The resource configuration targets an RDS cluster or instance that is publicly accessible."},
    CheckInfo{"ram_principal_missing", S::error, "domain rule 5", "The RAM resource share does not include principal 072088201116."},
    CheckInfo{"ram_share_not_active", S::error, "domain rule 5", "The RAM resource share is not ACTIVE."},
    CheckInfo{"ram_external_principals_disabled", S::error, "domain rule 5",
              "The RAM resource share does not allow external principals, so ClickHouse's account cannot use it."},
    CheckInfo{"ram_resource_not_shared", S::error, "domain rule 5",
              "The RAM resource share does not contain the endpoint's resource configuration."},
    // Endpoint service.
    CheckInfo{"service_principal_missing", S::error, "domain rule 5",
              "The endpoint service's allowed principals do not include arn:aws:iam::072088201116:root."},
    CheckInfo{"service_not_available", S::error, "endpoint service", "The endpoint service is not Available."},
    CheckInfo{"connection_pending_acceptance", S::error, "domain rule 7",
              "A connection from ClickPipes waits for acceptance on the endpoint service."},
    CheckInfo{"connection_rejected", S::error, "domain rule 7",
              "A connection from ClickPipes to the endpoint service is rejected, failed or expired."},
    CheckInfo{"private_dns_not_verified", S::warning, "domain rule 10",
              "The endpoint service's private DNS name is not verified, so it is not served to the endpoint."},
    CheckInfo{"nlb_listener_port_missing", S::error, "domain rule 8", "The NLB behind the endpoint service has no listener on the source's port."},
    CheckInfo{"kafka_broker_port_no_listener", S::error, "domain rule 8",
              "A Kafka broker advertises a port that has no NLB listener behind the endpoint service."},
    CheckInfo{"nlb_target_unhealthy", S::error, "endpoint service", "A target of the NLB is unhealthy or unavailable."},
    CheckInfo{"nlb_target_unused", S::warning, "endpoint service",
              "A target of the NLB receives no traffic (target group not used by a listener, or its zone not enabled)."},
    // MSK multi-VPC.
    CheckInfo{"msk_policy_principal_missing", S::error, "domain rule 5", "The MSK cluster policy does not allow principal 072088201116."},
    CheckInfo{"msk_policy_actions_missing", S::error, "domain rule 5",
              "The MSK cluster policy allows 072088201116 but not every action multi-VPC connectivity needs."},
    CheckInfo{"msk_cluster_not_active", S::error, "MSK", "The MSK cluster is not ACTIVE."},
    CheckInfo{"msk_multi_vpc_not_enabled", S::error, "MSK",
              "Multi-VPC private connectivity is not turned on for the endpoint's authentication method."},
    CheckInfo{"msk_vpc_connection_failed", S::error, "MSK",
              "A client VPC connection from ClickPipes to the cluster is FAILED or REJECTED."},
    CheckInfo{"msk_bootstrap_ports", S::info, "domain rule 8",
              "The broker ports of multi-VPC private connectivity, read from the cluster's bootstrap string."},
    // Regions.
    CheckInfo{"region_mismatch", S::error, "domain rule 6",
              "A VPC_RESOURCE or MSK_MULTI_VPC source is in another region than the ClickPipe; these cannot cross regions."},
    CheckInfo{"region_not_in_clickpipes_list", S::error, "domain rule 6",
              "The region is not in the ClickPipes region list (and no cross-region endpoint service makes up for it)."},
    CheckInfo{"service_region_not_supported", S::error, "domain rule 6",
              "A cross-region endpoint service does not list the ClickPipe's region in its supported regions."},
    CheckInfo{"region_unverified", S::info, "domain rule 6", "A region check could not run because a region or the evidence for it is unknown."},
    // Probe results (--probes).
    CheckInfo{"dns_name_unresolved", S::error, "domain rule 10", "A probed name did not resolve (NXDOMAIN, no data, SERVFAIL, timeout, ...)."},
    CheckInfo{"dns_name_public", S::error, "domain rule 10",
              "An endpoint DNS name resolved to a public address where a private one is expected."},
    CheckInfo{"port_refused", S::error, "probe results", "A probed port refused the connection."},
    CheckInfo{"port_unreachable", S::error, "probe results", "A probed port timed out, was unreachable or reset the connection."},
    CheckInfo{"tls_name_mismatch", S::error, "probe results", "The server certificate does not name the host the probe connected to."},
    CheckInfo{"tls_failed", S::error, "probe results", "The TLS handshake failed or the certificate was rejected for another reason."},
    CheckInfo{"protocol_failed", S::error, "probe results", "The port answered TCP but not the protocol's handshake."},
    CheckInfo{"kafka_broker_unreachable", S::error, "probe results",
              "A Kafka broker from the cluster metadata could not be resolved or reached through the path."},
    CheckInfo{"kafka_advertised_mismatch", S::error, "probe results",
              "Kafka brokers advertise host:port pairs that do not match the path the client uses."},
    CheckInfo{"mongodb_member_unreachable", S::error, "probe results",
              "A MongoDB replica-set member could not be resolved or reached through the path."},
    CheckInfo{"probe_failed", S::error, "probe results", "A probe failed with an outcome code the validator has no specific check for."},
};

}  // namespace

std::span<const CheckInfo> all_checks() { return kChecks; }

const CheckInfo* find_check(std::string_view id) {
  for (const auto& check : kChecks) {
    if (check.id == id) return &check;
  }
  return nullptr;
}

std::optional<SourceKind> source_from_name(std::string_view name) {
  if (iequals(name, "kafka")) return SourceKind::kafka;
  if (iequals(name, "postgres") || iequals(name, "postgresql")) return SourceKind::postgres;
  if (iequals(name, "mysql")) return SourceKind::mysql;
  if (iequals(name, "mongodb") || iequals(name, "mongo")) return SourceKind::mongodb;
  return std::nullopt;
}

std::string_view to_string(SourceKind source) {
  switch (source) {
    case SourceKind::kafka:
      return "kafka";
    case SourceKind::postgres:
      return "postgres";
    case SourceKind::mysql:
      return "mysql";
    case SourceKind::mongodb:
      return "mongodb";
  }
  return "kafka";
}

std::uint16_t default_port(SourceKind source) {
  switch (source) {
    case SourceKind::kafka:
      return 9092;
    case SourceKind::postgres:
      return 5432;
    case SourceKind::mysql:
      return 3306;
    case SourceKind::mongodb:
      return 27017;
  }
  return 0;
}

namespace detail {

Context::Context(const Inputs& inputs) : in(inputs), endpoint(*inputs.endpoint), evidence(*inputs.evidence) {
  subnets = subnet_reports(evidence);

  if (inputs.clickpipes_region && !inputs.clickpipes_region->empty()) {
    clickpipes_region = to_lower(*inputs.clickpipes_region);
    clickpipes_region_from = "--clickpipes-region";
  } else {
    // The endpoint's own DNS names are in the region where ClickPipes created
    // the endpoint (e.g. vpce-...vpce-svc-....us-east-1.vpce.amazonaws.com).
    for (const auto& name : endpoint.dns_names) {
      if (auto region = region_from_dns_name(name)) {
        clickpipes_region = *region;
        clickpipes_region_from = fmt::format("dnsNames ({})", name);
        break;
      }
    }
    if (!clickpipes_region) {
      for (const auto& connection : evidence.endpoint_connections) {
        if (connection.owner == kClickPipesAccount && looks_like_region(connection.region)) {
          clickpipes_region = connection.region;
          clickpipes_region_from = fmt::format("VpcEndpointRegion of {}", connection.vpc_endpoint_id);
          break;
        }
      }
    }
  }

  auto take = [this](std::optional<std::string> region, std::string from) {
    if (!source_region && region) {
      source_region = std::move(region);
      source_region_from = std::move(from);
    }
  };
  switch (endpoint.type) {
    case EndpointType::vpc_resource:
      take(region_from_arn(endpoint.vpc_resource_share_arn), "vpcResourceShareArn");
      for (const auto& c : evidence.resource_configurations) take(region_from_arn(c.arn), "resource configuration ARN");
      for (const auto& g : evidence.gateways) take(region_from_arn(g.arn), "resource gateway ARN");
      break;
    case EndpointType::msk_multi_vpc:
      take(region_from_arn(endpoint.msk_cluster_arn), "mskClusterArn");
      break;
    case EndpointType::vpc_endpoint_service:
      take(region_from_service_name(endpoint.vpc_endpoint_service_name), "vpcEndpointServiceName");
      for (const auto& s : evidence.service_configurations) take(region_from_service_name(s.service_name), "ServiceName");
      break;
    case EndpointType::other:
      break;
  }

  if (!inputs.ports.empty()) {
    source_ports = inputs.ports;
    source_ports_from = "--port";
  } else if (inputs.source) {
    source_ports = {default_port(*inputs.source)};
    source_ports_from = fmt::format("the default port of {}", to_string(*inputs.source));
  } else {
    for (const auto& probe : inputs.probes) {
      if (probe.port > 0 && is_endpoint_name(probe.host) &&
          std::find(source_ports.begin(), source_ports.end(), probe.port) == source_ports.end()) {
        source_ports.push_back(probe.port);
      }
    }
    if (!source_ports.empty()) source_ports_from = "the probe results";
  }
}

bool Context::is_endpoint_name(std::string_view host) const {
  auto names = endpoint.all_dns_names();
  return std::any_of(names.begin(), names.end(), [&](const std::string& name) { return iequals(name, host); });
}

void Report::add(std::string_view id, std::string subject, std::string message, nlohmann::json evidence,
                 std::string remediation) {
  const CheckInfo* check = find_check(id);
  if (check == nullptr) throw std::logic_error(fmt::format("validator: check id '{}' is not in the table", id));
  findings_.push_back(Finding{std::string(id), check->severity, std::move(subject), std::move(message),
                              std::move(evidence), std::move(remediation)});
}

bool is_clickpipes_principal(std::string_view principal, bool allow_wildcard) {
  if (allow_wildcard && principal == "*") return true;
  if (principal == kClickPipesAccount) return true;
  // arn:aws:iam::072088201116:root, arn:aws-cn:..., any partition.
  return istarts_with(principal, "arn:") && account_from_arn(principal) == std::string(kClickPipesAccount) &&
         principal.ends_with(":root");
}

namespace {

// Table order within a severity: the report reads from the endpoint down
// to the network, whatever order the checks ran in.
void sort_in_table_order(std::vector<Finding>& findings) {
  auto rank = [](const Finding& f) {
    auto checks = all_checks();
    for (std::size_t i = 0; i < checks.size(); ++i) {
      if (checks[i].id == f.id) return i;
    }
    return checks.size();
  };
  std::stable_sort(findings.begin(), findings.end(), [&](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return static_cast<int>(a.severity) < static_cast<int>(b.severity);
    return rank(a) < rank(b);
  });
}

}  // namespace

}  // namespace detail

std::vector<Finding> validate(const Inputs& inputs) {
  if (inputs.endpoint == nullptr || inputs.evidence == nullptr || inputs.regions == nullptr) {
    throw std::invalid_argument("validator::validate: endpoint, evidence and regions are required");
  }
  detail::Context ctx(inputs);
  detail::Report report;
  detail::check_parameters(ctx, report);
  detail::check_reuse(ctx, report);
  detail::check_resource_gateway(ctx, report);
  detail::check_subnets(ctx, report);
  detail::check_rds(ctx, report);
  detail::check_ram(ctx, report);
  detail::check_endpoint_service(ctx, report);
  detail::check_msk(ctx, report);
  detail::check_regions(ctx, report);
  detail::check_probes(ctx, report);
  detail::check_endpoint_status(ctx, report);

  auto findings = std::move(report.findings());
  detail::sort_in_table_order(findings);
  return findings;
}

std::vector<Finding> validate_probes(std::span<const ProbeRecord> probes) {
  const Endpoint no_endpoint;  // type other, no names
  const Evidence no_evidence;
  Inputs inputs;
  inputs.endpoint = &no_endpoint;
  inputs.evidence = &no_evidence;
  inputs.regions = &builtin_regions();
  inputs.probes = probes;
  detail::Context ctx(inputs);
  detail::Report report;
  detail::check_probes(ctx, report);
  auto findings = std::move(report.findings());
  detail::sort_in_table_order(findings);
  return findings;
}

}  // namespace plprobe::validator
