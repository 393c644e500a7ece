#include "validator/evidence.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <set>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "validator/endpoint.h"
#include "validator/input_error.h"
#include "validator/json_util.h"

namespace plprobe::validator {

namespace {

struct KindInfo {
  EvidenceKind kind;
  std::string_view name;
  std::string_view command;
};

constexpr std::array kKinds = {
    KindInfo{EvidenceKind::resource_gateway, "resource_gateway", "vpc-lattice get-resource-gateway"},
    KindInfo{EvidenceKind::resource_configuration, "resource_configuration", "vpc-lattice get-resource-configuration"},
    KindInfo{EvidenceKind::resource_shares, "resource_shares", "ram get-resource-shares"},
    KindInfo{EvidenceKind::share_principals, "share_principals", "ram list-principals"},
    KindInfo{EvidenceKind::share_associations, "share_associations", "ram get-resource-share-associations"},
    KindInfo{EvidenceKind::share_resources, "share_resources", "ram list-resources"},
    KindInfo{EvidenceKind::subnets, "subnets", "ec2 describe-subnets"},
    KindInfo{EvidenceKind::network_interfaces, "network_interfaces", "ec2 describe-network-interfaces"},
    KindInfo{EvidenceKind::cidr_reservations, "cidr_reservations", "ec2 get-subnet-cidr-reservations"},
    KindInfo{EvidenceKind::service_configurations, "service_configurations",
             "ec2 describe-vpc-endpoint-service-configurations"},
    KindInfo{EvidenceKind::service_permissions, "service_permissions", "ec2 describe-vpc-endpoint-service-permissions"},
    KindInfo{EvidenceKind::endpoint_connections, "endpoint_connections", "ec2 describe-vpc-endpoint-connections"},
    KindInfo{EvidenceKind::listeners, "listeners", "elbv2 describe-listeners"},
    KindInfo{EvidenceKind::target_groups, "target_groups", "elbv2 describe-target-groups"},
    KindInfo{EvidenceKind::target_health, "target_health", "elbv2 describe-target-health"},
    KindInfo{EvidenceKind::msk_cluster, "msk_cluster", "kafka describe-cluster-v2"},
    KindInfo{EvidenceKind::msk_bootstrap_brokers, "msk_bootstrap_brokers", "kafka get-bootstrap-brokers"},
    KindInfo{EvidenceKind::msk_cluster_policy, "msk_cluster_policy", "kafka get-cluster-policy"},
    KindInfo{EvidenceKind::msk_vpc_connections, "msk_vpc_connections", "kafka list-client-vpc-connections"},
    KindInfo{EvidenceKind::rds_clusters, "rds_clusters", "rds describe-db-clusters"},
    KindInfo{EvidenceKind::rds_instances, "rds_instances", "rds describe-db-instances"},
    KindInfo{EvidenceKind::clickhouse_endpoint, "clickhouse_endpoint", "ClickHouse Cloud API reverse private endpoint"},
};

const KindInfo& info_of(EvidenceKind kind) { return kKinds[static_cast<std::size_t>(kind)]; }

bool is_array_member(const json& document, std::string_view key) {
  const json* value = member(document, key);
  return value != nullptr && value->is_array();
}

std::string id_prefix_kind_check(const json& object) {
  auto id = string_at(object, "id");
  if (istarts_with(id, "rgw-")) return "rgw";
  if (istarts_with(id, "rcfg-")) return "rcfg";
  return {};
}

// A list of objects under `key`, skipping anything that is not an object
// (tolerant: the rules judge what is missing, the loader does not).
template <typename Fn>
std::size_t each_object(const json& document, std::string_view key, Fn&& fn) {
  std::size_t count = 0;
  for (const auto& item : array_at(document, key)) {
    if (!item.is_object()) continue;
    fn(item);
    ++count;
  }
  return count;
}

const json& object_at(const json& object, std::string_view key) {
  static const json empty = json::object();
  const json* value = member(object, key);
  return value != nullptr && value->is_object() ? *value : empty;
}

// Principal may be "*", {"AWS": "..."} or {"AWS": ["...", ...]}.
std::vector<std::string> policy_principals(const json& statement) {
  std::vector<std::string> out;
  const json* principal = member(statement, "Principal");
  if (principal == nullptr) return out;
  if (principal->is_string()) {
    out.push_back(principal->get<std::string>());
    return out;
  }
  if (principal->is_object()) {
    for (auto it = principal->begin(); it != principal->end(); ++it) {
      for (auto& value : strings_at(*principal, it.key())) out.push_back(std::move(value));
    }
  }
  return out;
}

void add_gateway(Evidence& e, const json& o, const std::string& source) {
  ResourceGateway g;
  g.id = string_at(o, "id");
  g.arn = string_at(o, "arn");
  g.name = string_at(o, "name");
  g.status = string_at(o, "status");
  g.vpc_id = string_at(o, "vpcId");
  if (g.vpc_id.empty()) g.vpc_id = string_at(o, "vpcIdentifier");
  g.ip_address_type = string_at(o, "ipAddressType");
  g.subnet_ids = strings_at(o, "subnetIds");
  g.ipv4_addresses_per_eni = int_at(o, "ipv4AddressesPerEni");
  g.source = source;
  e.gateways.push_back(std::move(g));
}

void add_configuration(Evidence& e, const json& o, const std::string& source) {
  ResourceConfiguration c;
  c.id = string_at(o, "id");
  c.arn = string_at(o, "arn");
  c.name = string_at(o, "name");
  c.type = string_at(o, "type");
  c.status = string_at(o, "status");
  c.failure_reason = string_at(o, "failureReason");
  c.resource_gateway_id = string_at(o, "resourceGatewayId");
  c.port_ranges = strings_at(o, "portRanges");
  const json& definition = object_at(o, "resourceConfigurationDefinition");
  c.arn_resource = string_at(object_at(definition, "arnResource"), "arn");
  c.dns_resource = string_at(object_at(definition, "dnsResource"), "domainName");
  c.ip_resource = string_at(object_at(definition, "ipResource"), "ipAddress");
  c.source = source;
  e.resource_configurations.push_back(std::move(c));
}

MskCluster parse_cluster(const json& info, const std::string& source) {
  MskCluster c;
  c.arn = string_at(info, "ClusterArn");
  c.name = string_at(info, "ClusterName");
  c.state = string_at(info, "State");
  // describe-cluster: ClusterInfo.BrokerNodeGroupInfo...; describe-cluster-v2:
  // ClusterInfo.Provisioned.BrokerNodeGroupInfo...
  const json* groups = member(info, "BrokerNodeGroupInfo");
  if (groups == nullptr) groups = member(object_at(info, "Provisioned"), "BrokerNodeGroupInfo");
  if (groups != nullptr) {
    const json* vpc = member(object_at(*groups, "ConnectivityInfo"), "VpcConnectivity");
    if (vpc != nullptr && vpc->is_object()) {
      c.vpc_connectivity_present = true;
      const json& auth = object_at(*vpc, "ClientAuthentication");
      const json& sasl = object_at(auth, "Sasl");
      c.vpc_connectivity_iam = bool_at(object_at(sasl, "Iam"), "Enabled");
      c.vpc_connectivity_scram = bool_at(object_at(sasl, "Scram"), "Enabled");
      c.vpc_connectivity_tls = bool_at(object_at(auth, "Tls"), "Enabled");
    }
  }
  c.source = source;
  return c;
}

MskClusterPolicy parse_policy(const json& document, const std::string& source) {
  MskClusterPolicy policy;
  policy.source = source;
  // The AWS CLI prints the policy as a JSON document inside a JSON string.
  json inner = parse_json_text(string_at(document, "Policy"), source + " (the Policy string)");
  const json* statements = member(inner, "Statement");
  if (statements == nullptr || !(statements->is_array() || statements->is_object())) {
    throw InputError(fmt::format("{}: the Policy string has no Statement", source),
                     "Save the output of 'aws kafka get-cluster-policy' unchanged.");
  }
  auto add = [&](const json& s) {
    if (!s.is_object()) return;
    PolicyStatement statement;
    statement.effect = string_at(s, "Effect");
    statement.principals = policy_principals(s);
    statement.actions = strings_at(s, "Action");
    policy.statements.push_back(std::move(statement));
  };
  if (statements->is_object()) {
    add(*statements);
  } else {
    for (const auto& s : *statements) add(s);
  }
  return policy;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

std::string_view to_string(EvidenceKind kind) { return info_of(kind).name; }
std::string_view command_of(EvidenceKind kind) { return info_of(kind).command; }

std::optional<EvidenceKind> classify(const json& document) {
  if (!document.is_object()) return std::nullopt;
  if (looks_like_endpoint_document(document)) return EvidenceKind::clickhouse_endpoint;
  struct ListKey {
    std::string_view key;
    EvidenceKind kind;
  };
  static constexpr ListKey kListKeys[] = {
      {"NetworkInterfaces", EvidenceKind::network_interfaces},
      {"Subnets", EvidenceKind::subnets},
      {"SubnetIpv4CidrReservations", EvidenceKind::cidr_reservations},
      {"ServiceConfigurations", EvidenceKind::service_configurations},
      {"AllowedPrincipals", EvidenceKind::service_permissions},
      {"VpcEndpointConnections", EvidenceKind::endpoint_connections},
      {"Listeners", EvidenceKind::listeners},
      {"TargetGroups", EvidenceKind::target_groups},
      {"TargetHealthDescriptions", EvidenceKind::target_health},
      {"ClientVpcConnections", EvidenceKind::msk_vpc_connections},
      {"DBClusters", EvidenceKind::rds_clusters},
      {"DBInstances", EvidenceKind::rds_instances},
      {"resourceShares", EvidenceKind::resource_shares},
      {"principals", EvidenceKind::share_principals},
      {"resourceShareAssociations", EvidenceKind::share_associations},
      {"resources", EvidenceKind::share_resources},
  };
  for (const auto& [key, kind] : kListKeys) {
    if (is_array_member(document, key)) return kind;
  }
  const json* cluster = member(document, "ClusterInfo");
  if (cluster != nullptr && cluster->is_object()) return EvidenceKind::msk_cluster;
  for (auto it = document.begin(); it != document.end(); ++it) {
    if (istarts_with(it.key(), "BootstrapBrokerString") && it.value().is_string()) {
      return EvidenceKind::msk_bootstrap_brokers;
    }
  }
  const json* policy = member(document, "Policy");
  if (policy != nullptr && policy->is_string()) return EvidenceKind::msk_cluster_policy;
  auto prefix = id_prefix_kind_check(document);
  if (prefix == "rgw") return EvidenceKind::resource_gateway;
  if (prefix == "rcfg") return EvidenceKind::resource_configuration;
  // list-resource-gateways / list-resource-configurations: {"items": [...]}.
  const auto& items = array_at(document, "items");
  if (!items.empty() && items.front().is_object()) {
    auto first = id_prefix_kind_check(items.front());
    if (first == "rgw") return EvidenceKind::resource_gateway;
    if (first == "rcfg") return EvidenceKind::resource_configuration;
  }
  return std::nullopt;
}

void add_document(Evidence& e, const json& document, const std::string& source) {
  auto kind = classify(document);
  if (!kind) {
    std::vector<std::string> keys;
    if (document.is_object()) {
      for (auto it = document.begin(); it != document.end() && keys.size() < 8; ++it) keys.push_back(printable(it.key(), 40));
    }
    std::string what = document.is_object()
                           ? fmt::format("{}: not a recognised AWS CLI output (top-level keys: {})", source,
                                         keys.empty() ? std::string("none") : fmt::format("{}", fmt::join(keys, ", ")))
                           : fmt::format("{}: not a recognised AWS CLI output (a JSON {}, expected an object)", source,
                                         document.type_name());
    throw InputError(what,
                     "Pass the full output of a supported read-only command saved with --output json and without "
                     "--query (scripts/collect-evidence.sh runs them all); 'plprobe validate --help' lists them.");
  }
  EvidenceFile file{source, *kind, 0, {}};
  std::size_t n = 0;
  switch (*kind) {
    case EvidenceKind::resource_gateway:
    case EvidenceKind::resource_configuration: {
      const bool gateway = *kind == EvidenceKind::resource_gateway;
      std::vector<const json*> objects;
      if (member(document, "items") != nullptr && id_prefix_kind_check(document).empty()) {
        for (const auto& item : array_at(document, "items")) {
          if (item.is_object() && id_prefix_kind_check(item) == (gateway ? "rgw" : "rcfg")) objects.push_back(&item);
        }
      } else {
        objects.push_back(&document);
      }
      std::vector<std::string> ids;
      for (const json* o : objects) {
        if (gateway) {
          add_gateway(e, *o, source);
          ids.push_back(fmt::format("{} ({})", e.gateways.back().id, e.gateways.back().status));
        } else {
          add_configuration(e, *o, source);
          ids.push_back(fmt::format("{} ({})", e.resource_configurations.back().id, e.resource_configurations.back().status));
        }
      }
      n = objects.size();
      file.summary = fmt::format("{}", fmt::join(ids, ", "));
      break;
    }
    case EvidenceKind::resource_shares:
      n = each_object(document, "resourceShares", [&](const json& o) {
        e.shares.push_back({string_at(o, "resourceShareArn"), string_at(o, "name"), string_at(o, "status"),
                            string_at(o, "owningAccountId"), bool_at(o, "allowExternalPrincipals"), source});
      });
      file.summary = plural(n, "resource share", "resource shares");
      break;
    case EvidenceKind::share_principals:
      e.share_principals_present = true;
      n = each_object(document, "principals", [&](const json& o) {
        e.share_principals.push_back({string_at(o, "resourceShareArn"), string_at(o, "id"), {}, source});
      });
      file.summary = plural(n, "principal", "principals");
      break;
    case EvidenceKind::share_associations: {
      std::size_t principals = 0, resources = 0;
      n = each_object(document, "resourceShareAssociations", [&](const json& o) {
        auto type = string_at(o, "associationType");
        if (iequals(type, "PRINCIPAL")) {
          e.share_principals_present = true;
          e.share_principals.push_back({string_at(o, "resourceShareArn"), string_at(o, "associatedEntity"),
                                        string_at(o, "status"), source});
          ++principals;
        } else if (iequals(type, "RESOURCE")) {
          e.share_resources_present = true;
          e.share_resources.push_back({string_at(o, "resourceShareArn"), string_at(o, "associatedEntity"), {},
                                       string_at(o, "status"), source});
          ++resources;
        }
      });
      file.summary = fmt::format("{}, {}", plural(principals, "principal association", "principal associations"),
                                 plural(resources, "resource association", "resource associations"));
      break;
    }
    case EvidenceKind::share_resources:
      e.share_resources_present = true;
      n = each_object(document, "resources", [&](const json& o) {
        e.share_resources.push_back({string_at(o, "resourceShareArn"), string_at(o, "arn"), string_at(o, "type"),
                                     string_at(o, "status"), source});
      });
      file.summary = plural(n, "shared resource", "shared resources");
      break;
    case EvidenceKind::subnets:
      n = each_object(document, "Subnets", [&](const json& o) {
        Subnet s{string_at(o, "SubnetId"), string_at(o, "VpcId"), string_at(o, "CidrBlock"),
                 string_at(o, "AvailabilityZone"), string_at(o, "AvailabilityZoneId"), string_at(o, "State"),
                 int_at(o, "AvailableIpAddressCount"), source};
        // The same subnet in two files: the first one wins.
        if (std::none_of(e.subnets.begin(), e.subnets.end(), [&](const Subnet& seen) { return seen.id == s.id; })) {
          e.subnets.push_back(std::move(s));
        }
      });
      file.summary = plural(n, "subnet", "subnets");
      break;
    case EvidenceKind::network_interfaces:
      e.network_interfaces_present = true;
      n = each_object(document, "NetworkInterfaces", [&](const json& o) {
        NetworkInterface ni;
        ni.id = string_at(o, "NetworkInterfaceId");
        ni.subnet_id = string_at(o, "SubnetId");
        ni.description = string_at(o, "Description");
        ni.interface_type = string_at(o, "InterfaceType");
        ni.status = string_at(o, "Status");
        auto primary = string_at(o, "PrivateIpAddress");
        if (!primary.empty()) ni.private_ips.push_back(primary);
        for (const auto& ip : array_at(o, "PrivateIpAddresses")) {
          auto address = string_at(ip, "PrivateIpAddress");
          if (!address.empty() && address != primary) ni.private_ips.push_back(address);
        }
        for (const auto& prefix : array_at(o, "Ipv4Prefixes")) {
          auto cidr = string_at(prefix, "Ipv4Prefix");
          if (!cidr.empty()) ni.prefixes.push_back(cidr);
        }
        ni.source = source;
        if (ni.id.empty() || std::none_of(e.network_interfaces.begin(), e.network_interfaces.end(),
                                          [&](const NetworkInterface& seen) { return seen.id == ni.id; })) {
          e.network_interfaces.push_back(std::move(ni));
        }
      });
      file.summary = plural(n, "network interface", "network interfaces");
      break;
    case EvidenceKind::cidr_reservations:
      e.cidr_reservations_present = true;
      n = each_object(document, "SubnetIpv4CidrReservations", [&](const json& o) {
        e.cidr_reservations.push_back({string_at(o, "SubnetCidrReservationId"), string_at(o, "SubnetId"),
                                       string_at(o, "Cidr"), string_at(o, "ReservationType"), source});
      });
      file.summary = plural(n, "IPv4 CIDR reservation", "IPv4 CIDR reservations");
      break;
    case EvidenceKind::service_configurations:
      n = each_object(document, "ServiceConfigurations", [&](const json& o) {
        ServiceConfiguration c;
        c.service_id = string_at(o, "ServiceId");
        c.service_name = string_at(o, "ServiceName");
        c.state = string_at(o, "ServiceState");
        c.private_dns_name = string_at(o, "PrivateDnsName");
        c.private_dns_state = string_at(object_at(o, "PrivateDnsNameConfiguration"), "State");
        c.acceptance_required = bool_at(o, "AcceptanceRequired");
        c.load_balancer_arns = strings_at(o, "NetworkLoadBalancerArns");
        for (auto& arn : strings_at(o, "GatewayLoadBalancerArns")) c.load_balancer_arns.push_back(std::move(arn));
        c.availability_zones = strings_at(o, "AvailabilityZones");
        if (member(o, "SupportedRegions") != nullptr) {
          c.supported_regions_present = true;
          for (const auto& r : array_at(o, "SupportedRegions")) {
            if (r.is_string()) {
              c.supported_regions.push_back({r.get<std::string>(), {}});
            } else {
              c.supported_regions.push_back({string_at(r, "Region"), string_at(r, "ServiceState")});
            }
          }
        }
        c.source = source;
        e.service_configurations.push_back(std::move(c));
      });
      file.summary = plural(n, "endpoint service", "endpoint services");
      break;
    case EvidenceKind::service_permissions:
      e.service_permissions_present = true;
      n = each_object(document, "AllowedPrincipals", [&](const json& o) {
        e.service_permissions.push_back(
            {string_at(o, "Principal"), string_at(o, "PrincipalType"), string_at(o, "ServiceId"), source});
      });
      file.summary = plural(n, "allowed principal", "allowed principals");
      break;
    case EvidenceKind::endpoint_connections:
      e.endpoint_connections_present = true;
      n = each_object(document, "VpcEndpointConnections", [&](const json& o) {
        e.endpoint_connections.push_back({string_at(o, "VpcEndpointId"), string_at(o, "ServiceId"),
                                          string_at(o, "VpcEndpointOwner"), string_at(o, "VpcEndpointState"),
                                          string_at(o, "VpcEndpointRegion"), string_at(o, "CreationTimestamp"), source});
      });
      file.summary = plural(n, "endpoint connection", "endpoint connections");
      break;
    case EvidenceKind::listeners:
      e.listeners_present = true;
      n = each_object(document, "Listeners", [&](const json& o) {
        Listener l;
        l.arn = string_at(o, "ListenerArn");
        l.load_balancer_arn = string_at(o, "LoadBalancerArn");
        l.protocol = string_at(o, "Protocol");
        l.port = int_at(o, "Port").value_or(0);
        for (const auto& action : array_at(o, "DefaultActions")) {
          auto arn = string_at(action, "TargetGroupArn");
          if (!arn.empty()) l.target_group_arns.push_back(arn);
          for (const auto& group : array_at(object_at(action, "ForwardConfig"), "TargetGroups")) {
            auto forwarded = string_at(group, "TargetGroupArn");
            if (!forwarded.empty() && forwarded != arn) l.target_group_arns.push_back(forwarded);
          }
        }
        l.source = source;
        e.listeners.push_back(std::move(l));
      });
      file.summary = plural(n, "listener", "listeners");
      break;
    case EvidenceKind::target_groups:
      n = each_object(document, "TargetGroups", [&](const json& o) {
        e.target_groups.push_back({string_at(o, "TargetGroupArn"), string_at(o, "TargetGroupName"),
                                   string_at(o, "Protocol"), int_at(o, "Port").value_or(0),
                                   strings_at(o, "LoadBalancerArns"), source});
      });
      file.summary = plural(n, "target group", "target groups");
      break;
    case EvidenceKind::target_health:
      n = each_object(document, "TargetHealthDescriptions", [&](const json& o) {
        const json& target = object_at(o, "Target");
        const json& health = object_at(o, "TargetHealth");
        e.target_health.push_back({string_at(target, "Id"), string_at(health, "State"), string_at(health, "Reason"),
                                   string_at(health, "Description"), int_at(target, "Port").value_or(0), source});
      });
      file.summary = plural(n, "target", "targets");
      break;
    case EvidenceKind::msk_cluster: {
      auto cluster = parse_cluster(object_at(document, "ClusterInfo"), source);
      file.summary = fmt::format("{} ({})", cluster.name.empty() ? cluster.arn : cluster.name, cluster.state);
      e.msk_clusters.push_back(std::move(cluster));
      n = 1;
      break;
    }
    case EvidenceKind::msk_bootstrap_brokers: {
      MskBootstrapBrokers brokers;
      for (auto it = document.begin(); it != document.end(); ++it) {
        if (istarts_with(it.key(), "BootstrapBrokerString") && it.value().is_string()) {
          brokers.strings[it.key()] = it.value().get<std::string>();
        }
      }
      brokers.source = source;
      n = brokers.strings.size();
      file.summary = plural(n, "bootstrap string", "bootstrap strings");
      e.msk_bootstrap.push_back(std::move(brokers));
      break;
    }
    case EvidenceKind::msk_cluster_policy: {
      auto policy = parse_policy(document, source);
      n = policy.statements.size();
      file.summary = plural(n, "policy statement", "policy statements");
      e.msk_policies.push_back(std::move(policy));
      break;
    }
    case EvidenceKind::msk_vpc_connections:
      e.msk_vpc_connections_present = true;
      n = each_object(document, "ClientVpcConnections", [&](const json& o) {
        e.msk_vpc_connections.push_back({string_at(o, "VpcConnectionArn"), string_at(o, "Authentication"),
                                         string_at(o, "State"), string_at(o, "Owner"), source});
      });
      file.summary = plural(n, "client VPC connection", "client VPC connections");
      break;
    case EvidenceKind::rds_clusters:
      n = each_object(document, "DBClusters", [&](const json& o) {
        e.rds_clusters.push_back({string_at(o, "DBClusterArn"), string_at(o, "DBClusterIdentifier"),
                                  string_at(o, "Endpoint"), string_at(o, "Status"), string_at(o, "Engine"),
                                  int_at(o, "Port"), bool_at(o, "PubliclyAccessible"), source});
      });
      file.summary = plural(n, "DB cluster", "DB clusters");
      break;
    case EvidenceKind::rds_instances:
      n = each_object(document, "DBInstances", [&](const json& o) {
        const json& endpoint = object_at(o, "Endpoint");
        e.rds_instances.push_back({string_at(o, "DBInstanceArn"), string_at(o, "DBInstanceIdentifier"),
                                   string_at(o, "DBClusterIdentifier"), string_at(endpoint, "Address"),
                                   string_at(o, "DBInstanceStatus"), int_at(endpoint, "Port"),
                                   bool_at(o, "PubliclyAccessible"), source});
      });
      file.summary = plural(n, "DB instance", "DB instances");
      break;
    case EvidenceKind::clickhouse_endpoint:
      file.summary = "the endpoint object itself; read with --endpoint, not as evidence";
      break;
  }
  file.items = n;
  e.files.push_back(std::move(file));
}

void add_text(Evidence& evidence, std::string_view text, const std::string& source) {
  add_document(evidence, parse_json_text(text, source), source);
}

Evidence load_evidence(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  Evidence evidence;
  std::set<std::string> seen;
  auto load_one = [&](const fs::path& path) {
    std::error_code ec;
    auto canonical = fs::weakly_canonical(path, ec);
    if (!seen.insert(ec ? path.string() : canonical.string()).second) return;
    add_text(evidence, read_file(path.string()), path.string());
  };
  for (const auto& given : paths) {
    std::error_code ec;
    fs::path path(given);
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(path, ec)) {
        if (entry.is_regular_file(ec) && entry.path().extension() == ".json") files.push_back(entry.path());
      }
      if (ec) {
        throw InputError(fmt::format("{}: cannot list the directory: {}", given, ec.message()),
                         "Check the path and its permissions.");
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) {
        throw InputError(fmt::format("{}: no *.json files in the directory", given),
                         "Run scripts/collect-evidence.sh --out DIR first, or pass the files by name.");
      }
      for (const auto& file : files) load_one(file);
    } else if (fs::exists(path, ec)) {
      load_one(path);
    } else {
      throw InputError(fmt::format("{}: no such file or directory", given), "Check the path.");
    }
  }
  return evidence;
}

std::string msk_vpc_bootstrap_key(const std::string& authentication) {
  if (authentication == "SASL_IAM") return "BootstrapBrokerStringVpcConnectivitySaslIam";
  if (authentication == "SASL_SCRAM") return "BootstrapBrokerStringVpcConnectivitySaslScram";
  return {};
}

std::vector<std::int64_t> bootstrap_ports(const std::string& bootstrap) {
  std::vector<std::int64_t> out;
  std::size_t start = 0;
  while (start < bootstrap.size()) {
    auto comma = bootstrap.find(',', start);
    std::string item = bootstrap.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? bootstrap.size() : comma + 1;
    auto colon = item.rfind(':');
    if (colon == std::string::npos) continue;
    std::int64_t port = 0;
    const char* first = item.data() + colon + 1;
    const char* last = item.data() + item.size();
    auto [end, ec] = std::from_chars(first, last, port);
    if (ec == std::errc() && end == last && port > 0 && std::find(out.begin(), out.end(), port) == out.end()) {
      out.push_back(port);
    }
  }
  return out;
}

}  // namespace plprobe::validator
