// AWS CLI JSON evidence: what the user's account says about the path.
//
// Each file is the standard output of one read-only AWS CLI command, saved
// with `--output json` (scripts/collect-evidence.sh writes them all). Files
// are recognised by their content -- top-level keys and id prefixes -- never
// by their names, so users may name them as they like:
//
//   kind                        command                                          recognised by
//   resource_gateway            vpc-lattice get-resource-gateway                 "id": "rgw-..."
//   resource_configuration      vpc-lattice get-resource-configuration           "id": "rcfg-..."
//   (either, as a list)         vpc-lattice list-resource-gateways/-configurations "items": [{"id": "rgw-"/"rcfg-"}]
//   resource_shares             ram get-resource-shares                          "resourceShares"
//   share_principals            ram list-principals                              "principals"
//   share_associations          ram get-resource-share-associations              "resourceShareAssociations"
//   share_resources             ram list-resources                               "resources"
//   subnets                     ec2 describe-subnets                             "Subnets"
//   network_interfaces          ec2 describe-network-interfaces                  "NetworkInterfaces"
//   cidr_reservations           ec2 get-subnet-cidr-reservations                 "SubnetIpv4CidrReservations"
//   service_configurations      ec2 describe-vpc-endpoint-service-configurations "ServiceConfigurations"
//   service_permissions         ec2 describe-vpc-endpoint-service-permissions    "AllowedPrincipals"
//   endpoint_connections        ec2 describe-vpc-endpoint-connections            "VpcEndpointConnections"
//   listeners                   elbv2 describe-listeners                         "Listeners"
//   target_groups               elbv2 describe-target-groups                     "TargetGroups"
//   target_health               elbv2 describe-target-health                     "TargetHealthDescriptions"
//   msk_cluster                 kafka describe-cluster / describe-cluster-v2     "ClusterInfo"
//   msk_bootstrap_brokers       kafka get-bootstrap-brokers                      "BootstrapBrokerString*"
//   msk_cluster_policy          kafka get-cluster-policy                         "Policy": "<JSON string>"
//   msk_vpc_connections         kafka list-client-vpc-connections                "ClientVpcConnections"
//   rds_clusters                rds describe-db-clusters                         "DBClusters"
//   rds_instances               rds describe-db-instances                        "DBInstances"
//   clickhouse_endpoint         (the rpe.json itself, found in a directory)      see endpoint.h
//
// Key names and enum values are matched case-insensitively and optional
// fields may be missing (json_util.h). A file that is not JSON, or is JSON
// but none of the above, is an InputError naming the file (exit 2).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace plprobe::validator {

enum class EvidenceKind {
  resource_gateway,
  resource_configuration,
  resource_shares,
  share_principals,
  share_associations,
  share_resources,
  subnets,
  network_interfaces,
  cidr_reservations,
  service_configurations,
  service_permissions,
  endpoint_connections,
  listeners,
  target_groups,
  target_health,
  msk_cluster,
  msk_bootstrap_brokers,
  msk_cluster_policy,
  msk_vpc_connections,
  rds_clusters,
  rds_instances,
  clickhouse_endpoint,
};

std::string_view to_string(EvidenceKind kind);
// The AWS CLI command that produces a kind ("ec2 describe-subnets").
std::string_view command_of(EvidenceKind kind);

struct ResourceGateway {
  std::string id, arn, name, status, vpc_id, ip_address_type;
  std::vector<std::string> subnet_ids;
  std::optional<std::int64_t> ipv4_addresses_per_eni;
  std::string source;
};

struct ResourceConfiguration {
  std::string id, arn, name, type, status, failure_reason, resource_gateway_id;
  std::vector<std::string> port_ranges;  // "5432", "1-65535"
  std::string arn_resource;              // resourceConfigurationDefinition.arnResource.arn
  std::string dns_resource;              // ...dnsResource.domainName
  std::string ip_resource;               // ...ipResource.ipAddress
  std::string source;
};

struct ResourceShare {
  std::string arn, name, status, owner;
  std::optional<bool> allow_external_principals;
  std::string source;
};

// A principal of a RAM share: from list-principals (id) or from
// get-resource-share-associations with associationType PRINCIPAL.
struct SharePrincipal {
  std::string share_arn, principal, status;  // status only from associations
  std::string source;
};

struct ShareResource {
  std::string share_arn, arn, type, status;
  std::string source;
};

struct Subnet {
  std::string id, vpc_id, cidr, availability_zone, availability_zone_id, state;
  std::optional<std::int64_t> available_ip_address_count;
  std::string source;
};

struct NetworkInterface {
  std::string id, subnet_id, description, interface_type, status;
  std::vector<std::string> private_ips;  // primary and secondary
  std::vector<std::string> prefixes;     // delegated IPv4 prefixes
  std::string source;
};

struct CidrReservation {
  std::string id, subnet_id, cidr, type;
  std::string source;
};

struct SupportedRegion {
  std::string region, state;
};

struct ServiceConfiguration {
  std::string service_id, service_name, state, private_dns_name, private_dns_state;
  std::optional<bool> acceptance_required;
  std::vector<std::string> load_balancer_arns;  // NLB (or GWLB) ARNs
  std::vector<std::string> availability_zones;
  std::vector<SupportedRegion> supported_regions;
  bool supported_regions_present = false;  // the field was in the file
  std::string source;
};

struct ServicePermission {
  std::string principal, principal_type, service_id;
  std::string source;
};

struct EndpointConnection {
  std::string vpc_endpoint_id, service_id, owner, state, region, created;
  std::string source;
};

struct Listener {
  std::string arn, load_balancer_arn, protocol;
  std::int64_t port = 0;
  std::vector<std::string> target_group_arns;
  std::string source;
};

struct TargetGroup {
  std::string arn, name, protocol;
  std::int64_t port = 0;
  std::vector<std::string> load_balancer_arns;
  std::string source;
};

struct TargetHealth {
  std::string target_id, state, reason, description;
  std::int64_t port = 0;
  std::string source;
};

struct MskCluster {
  std::string arn, name, state;
  // ConnectivityInfo.VpcConnectivity.ClientAuthentication: multi-VPC private
  // connectivity per authentication method; nullopt when the file does not say.
  std::optional<bool> vpc_connectivity_iam, vpc_connectivity_scram, vpc_connectivity_tls;
  bool vpc_connectivity_present = false;
  std::string source;
};

struct MskBootstrapBrokers {
  // Key (e.g. "BootstrapBrokerStringVpcConnectivitySaslIam") -> value.
  std::map<std::string, std::string> strings;
  std::string source;
};

// The GetBootstrapBrokers key of multi-VPC private connectivity for an
// endpoint's mskAuthentication: SASL_IAM -> ...VpcConnectivitySaslIam,
// SASL_SCRAM -> ...VpcConnectivitySaslScram; "" for anything else.
std::string msk_vpc_bootstrap_key(const std::string& authentication);

// The distinct ports of a "host:port,host:port" bootstrap string, in order
// of first appearance; items without a valid port are skipped.
std::vector<std::int64_t> bootstrap_ports(const std::string& bootstrap);

// One statement of the cluster policy, reduced to what the rules need.
struct PolicyStatement {
  std::string effect;
  std::vector<std::string> principals;  // "072088201116", "arn:aws:iam::...:root", "*"
  std::vector<std::string> actions;
};

struct MskClusterPolicy {
  std::vector<PolicyStatement> statements;
  std::string source;
};

struct MskVpcConnection {
  std::string arn, authentication, state, owner;
  std::string source;
};

struct RdsCluster {
  std::string arn, id, endpoint, status, engine;
  std::optional<std::int64_t> port;
  std::optional<bool> publicly_accessible;
  std::string source;
};

struct RdsInstance {
  std::string arn, id, cluster_id, address, status;
  std::optional<std::int64_t> port;
  std::optional<bool> publicly_accessible;
  std::string source;
};

// One file the loader read, and what it was used for.
struct EvidenceFile {
  std::string path;
  EvidenceKind kind;
  std::size_t items = 0;  // objects of that kind found in the file
  std::string summary;    // "3 subnets", "rgw-0abc (ACTIVE)"
};

// Everything loaded from all files; lists keep file order. Owns its data.
struct Evidence {
  std::vector<EvidenceFile> files;
  std::vector<ResourceGateway> gateways;
  std::vector<ResourceConfiguration> resource_configurations;
  std::vector<ResourceShare> shares;
  std::vector<SharePrincipal> share_principals;
  bool share_principals_present = false;  // a principals file was given, even if empty
  std::vector<ShareResource> share_resources;
  bool share_resources_present = false;
  std::vector<Subnet> subnets;
  std::vector<NetworkInterface> network_interfaces;
  bool network_interfaces_present = false;
  std::vector<CidrReservation> cidr_reservations;
  bool cidr_reservations_present = false;
  std::vector<ServiceConfiguration> service_configurations;
  std::vector<ServicePermission> service_permissions;
  bool service_permissions_present = false;
  std::vector<EndpointConnection> endpoint_connections;
  bool endpoint_connections_present = false;
  std::vector<Listener> listeners;
  bool listeners_present = false;
  std::vector<TargetGroup> target_groups;
  std::vector<TargetHealth> target_health;
  std::vector<MskCluster> msk_clusters;
  std::vector<MskBootstrapBrokers> msk_bootstrap;
  std::vector<MskClusterPolicy> msk_policies;
  std::vector<MskVpcConnection> msk_vpc_connections;
  bool msk_vpc_connections_present = false;
  std::vector<RdsCluster> rds_clusters;
  std::vector<RdsInstance> rds_instances;

  bool empty() const { return files.empty(); }
};

// What kind of document `document` is, or nullopt when it is none of the
// above. Pure: looks at keys and id prefixes only.
std::optional<EvidenceKind> classify(const nlohmann::json& document);

// Adds one parsed document to `evidence`. Throws InputError naming `source`
// when the document is not recognised, or when a recognised document is
// broken inside (e.g. a cluster policy whose Policy string is not JSON).
void add_document(Evidence& evidence, const nlohmann::json& document, const std::string& source);

// Parses `text` (the content of `source`) and adds it; InputError as above,
// plus the JSON error position for malformed text.
void add_text(Evidence& evidence, std::string_view text, const std::string& source);

// Loads files and directories. A directory contributes its regular files
// named *.json (not recursive, sorted by name); other files in it are
// skipped, so the `.err` files collect-evidence.sh leaves do not get in the
// way. A file given by name is always read, whatever its name.
Evidence load_evidence(const std::vector<std::string>& paths);

}  // namespace plprobe::validator
