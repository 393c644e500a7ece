#include "validator/evidence.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/unit/validator/fixtures.h"
#include "validator/input_error.h"
#include "validator/json_util.h"

namespace plprobe::validator {
namespace {

using testing::fixture;

EvidenceKind kind_of(const std::string& relative) {
  auto document = parse_json_text(read_file(fixture(relative)), relative);
  auto kind = classify(document);
  EXPECT_TRUE(kind.has_value()) << relative;
  return kind.value_or(EvidenceKind::clickhouse_endpoint);
}

TEST(EvidenceClassification, RecognisesEveryFixtureByContent) {
  struct Expect {
    const char* file;
    EvidenceKind kind;
  };
  const Expect table[] = {
      {"vpc_resource/healthy/resource-gateway.json", EvidenceKind::resource_gateway},
      {"vpc_resource/cases/gateway-list.json", EvidenceKind::resource_gateway},
      {"vpc_resource/healthy/resource-configuration.json", EvidenceKind::resource_configuration},
      {"vpc_resource/healthy/ram-resource-shares.json", EvidenceKind::resource_shares},
      {"vpc_resource/healthy/ram-principals.json", EvidenceKind::share_principals},
      {"vpc_resource/cases/ram-associations-wrong-principal.json", EvidenceKind::share_associations},
      {"vpc_resource/healthy/ram-resources.json", EvidenceKind::share_resources},
      {"vpc_resource/healthy/subnets.json", EvidenceKind::subnets},
      {"vpc_resource/healthy/network-interfaces.json", EvidenceKind::network_interfaces},
      {"vpc_resource/healthy/cidr-reservations-subnet-0b2c3d4e5f6071829.json", EvidenceKind::cidr_reservations},
      {"vpc_resource/healthy/rds-db-clusters.json", EvidenceKind::rds_clusters},
      {"vpc_resource/healthy/rds-db-instances.json", EvidenceKind::rds_instances},
      {"vpc_resource/healthy/rpe.json", EvidenceKind::clickhouse_endpoint},
      {"endpoint_service/healthy/service-configurations.json", EvidenceKind::service_configurations},
      {"endpoint_service/healthy/service-permissions.json", EvidenceKind::service_permissions},
      {"endpoint_service/cases/service-permissions-empty.json", EvidenceKind::service_permissions},
      {"endpoint_service/healthy/endpoint-connections.json", EvidenceKind::endpoint_connections},
      {"endpoint_service/healthy/nlb-listeners.json", EvidenceKind::listeners},
      {"endpoint_service/healthy/nlb-target-groups.json", EvidenceKind::target_groups},
      {"endpoint_service/healthy/nlb-target-health.json", EvidenceKind::target_health},
      {"msk/healthy/msk-cluster.json", EvidenceKind::msk_cluster},
      {"msk/cases/msk-cluster-v1-updating.json", EvidenceKind::msk_cluster},
      {"msk/healthy/msk-bootstrap-brokers.json", EvidenceKind::msk_bootstrap_brokers},
      {"msk/healthy/msk-cluster-policy.json", EvidenceKind::msk_cluster_policy},
      {"msk/healthy/msk-client-vpc-connections.json", EvidenceKind::msk_vpc_connections},
      {"msk/healthy/rpe.json", EvidenceKind::clickhouse_endpoint},
  };
  for (const auto& e : table) EXPECT_EQ(kind_of(e.file), e.kind) << e.file;
}

TEST(EvidenceClassification, NameDoesNotMatterContentDoes) {
  Evidence evidence;
  // A describe-subnets document under a misleading name is still subnets.
  add_text(evidence, R"({"Subnets": [{"SubnetId": "subnet-1", "CidrBlock": "10.0.0.0/24"}]})", "network-interfaces.json");
  ASSERT_EQ(evidence.files.size(), 1u);
  EXPECT_EQ(evidence.files[0].kind, EvidenceKind::subnets);
  EXPECT_EQ(evidence.subnets.size(), 1u);
}

TEST(EvidenceClassification, KeyCasingDriftIsTolerated) {
  Evidence evidence;
  add_text(evidence,
           R"({"networkInterfaces": [{"networkInterfaceId": "eni-1", "subnetId": "subnet-1",
               "privateIpAddresses": [{"privateIpAddress": "10.0.0.9"}], "ipv4Prefixes": [{"ipv4Prefix": "10.0.0.32/28"}]}]})",
           "drifted.json");
  ASSERT_EQ(evidence.network_interfaces.size(), 1u);
  EXPECT_EQ(evidence.network_interfaces[0].subnet_id, "subnet-1");
  EXPECT_EQ(evidence.network_interfaces[0].private_ips, std::vector<std::string>{"10.0.0.9"});
  EXPECT_EQ(evidence.network_interfaces[0].prefixes, std::vector<std::string>{"10.0.0.32/28"});
}

TEST(EvidenceParsing, MissingOptionalFieldsAreEmptyNotErrors) {
  Evidence evidence;
  add_text(evidence, R"({"id": "rgw-0bba03f3d56060135"})", "gw.json");
  add_text(evidence, R"({"Subnets": [{"SubnetId": "subnet-1"}, 17, "text"]})", "subnets.json");
  add_text(evidence, R"({"TargetHealthDescriptions": [{}]})", "th.json");
  ASSERT_EQ(evidence.gateways.size(), 1u);
  EXPECT_TRUE(evidence.gateways[0].status.empty());
  EXPECT_FALSE(evidence.gateways[0].ipv4_addresses_per_eni.has_value());
  ASSERT_EQ(evidence.subnets.size(), 1u);  // non-objects skipped
  EXPECT_FALSE(evidence.subnets[0].available_ip_address_count.has_value());
  EXPECT_EQ(evidence.target_health.size(), 1u);
}

TEST(EvidenceParsing, ReadsTheFieldsTheRulesUse) {
  auto evidence = load_evidence({fixture("endpoint_service/healthy"), fixture("msk/healthy"),
                                 fixture("vpc_resource/healthy/resource-configuration.json")});
  ASSERT_EQ(evidence.service_configurations.size(), 1u);
  const auto& s = evidence.service_configurations[0];
  EXPECT_EQ(s.service_id, "vpce-svc-0e7555fb6441987e1");
  EXPECT_EQ(s.acceptance_required, true);
  EXPECT_EQ(s.private_dns_state, "verified");
  ASSERT_EQ(s.supported_regions.size(), 2u);
  EXPECT_EQ(s.supported_regions[1].region, "us-east-1");
  ASSERT_EQ(evidence.listeners.size(), 1u);
  EXPECT_EQ(evidence.listeners[0].port, 9092);
  EXPECT_EQ(evidence.listeners[0].target_group_arns.size(), 1u);  // the forward config repeats it
  ASSERT_EQ(evidence.msk_clusters.size(), 1u);
  EXPECT_EQ(evidence.msk_clusters[0].vpc_connectivity_iam, true);
  EXPECT_EQ(evidence.msk_clusters[0].vpc_connectivity_scram, false);
  ASSERT_EQ(evidence.msk_policies.size(), 1u);
  ASSERT_EQ(evidence.msk_policies[0].statements.size(), 1u);
  EXPECT_EQ(evidence.msk_policies[0].statements[0].principals,
            std::vector<std::string>{"arn:aws:iam::072088201116:root"});
  EXPECT_EQ(evidence.msk_policies[0].statements[0].actions.size(), 4u);
  ASSERT_EQ(evidence.resource_configurations.size(), 1u);
  EXPECT_EQ(evidence.resource_configurations[0].arn_resource, "arn:aws:rds:us-east-1:123456789012:cluster:orders-db");
  // Both rpe.json files were noticed and set aside, not used as evidence.
  int endpoints = 0;
  for (const auto& f : evidence.files) endpoints += f.kind == EvidenceKind::clickhouse_endpoint;
  EXPECT_EQ(endpoints, 2);
}

TEST(EvidenceParsing, EmptyListsAreEvidenceOfAbsence) {
  auto evidence = load_evidence({fixture("endpoint_service/cases/service-permissions-empty.json"),
                                 fixture("vpc_resource/cases/ram-principals-empty.json")});
  EXPECT_TRUE(evidence.service_permissions_present);
  EXPECT_TRUE(evidence.service_permissions.empty());
  EXPECT_TRUE(evidence.share_principals_present);
  EXPECT_EQ(evidence.files[0].summary, "0 allowed principals");
}

TEST(EvidenceParsing, DirectoryContributesItsJsonFilesOnceEach) {
  auto dir = fixture("vpc_resource/healthy");
  auto evidence = load_evidence({dir, dir + "/subnets.json"});
  EXPECT_EQ(evidence.files.size(), 12u);  // 11 AWS files + rpe.json, subnets.json not twice
  EXPECT_EQ(evidence.subnets.size(), 2u);
  EXPECT_EQ(evidence.cidr_reservations.size(), 1u);
}

std::string error_of(const std::vector<std::string>& paths) {
  try {
    load_evidence(paths);
  } catch (const InputError& e) {
    EXPECT_FALSE(e.hint().empty());
    return e.what();
  }
  ADD_FAILURE() << "expected InputError";
  return {};
}

TEST(EvidenceErrors, MalformedFileNamesTheFileAndPosition) {
  auto path = fixture("malformed/truncated.json");
  auto message = error_of({path});
  EXPECT_NE(message.find(path + ": not valid JSON at line 6, column 1"), std::string::npos) << message;
}

TEST(EvidenceErrors, EmptyUnrecognisedAndBareListsAreRejected) {
  EXPECT_NE(error_of({fixture("malformed/empty.json")}).find("empty file"), std::string::npos);
  auto unrecognised = error_of({fixture("malformed/unrecognised.json")});
  EXPECT_NE(unrecognised.find("not a recognised AWS CLI output (top-level keys: NextToken, Reservations)"),
            std::string::npos)
      << unrecognised;
  EXPECT_NE(error_of({fixture("malformed/bare-list.json")}).find("a JSON array, expected an object"), std::string::npos);
  EXPECT_NE(error_of({fixture("nope/missing.json")}).find("no such file or directory"), std::string::npos);
  EXPECT_NE(error_of({fixture("regions")}).find("not a recognised AWS CLI output"), std::string::npos);
}

TEST(EvidenceErrors, ClusterPolicyStringIsParsedAgain) {
  auto message = error_of({fixture("malformed/policy-not-json.json")});
  EXPECT_NE(message.find("(the Policy string): not valid JSON at line 1"), std::string::npos) << message;
}

TEST(EvidenceErrors, BinaryJunkIsReportedPrintably) {
  auto message = error_of({fixture("malformed/binary-junk.json")});
  EXPECT_NE(message.find("not valid JSON"), std::string::npos);
  for (char c : message) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << message;
}

TEST(EvidenceErrors, DeepNestingIsRefused) {
  std::string deep(200, '[');
  deep += std::string(200, ']');
  Evidence evidence;
  EXPECT_THROW(add_text(evidence, deep, "deep.json"), InputError);
}

}  // namespace
}  // namespace plprobe::validator
