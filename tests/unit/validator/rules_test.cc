// One scenario per check: fixtures shaped like real AWS CLI output, and
// the exact set of error and warning findings each must produce (so a
// scenario also fails on a finding it should not produce). Healthy
// scenarios must produce no error or warning at all.
#include "validator/rules.h"

#include <functional>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tests/unit/validator/fixtures.h"

namespace plprobe::validator {
namespace {

using testing::files_of;
using testing::find;
using testing::problem_ids;
using testing::Run;

struct Scenario {
  std::string name;
  Run run;
  std::set<std::string> problems;       // exactly these error/warning ids
  std::set<std::string> info = {};      // at least these info ids
  std::function<void(const std::vector<Finding>&)> also = {};
};

const std::string kRes = "vpc_resource/healthy";
const std::string kMsk = "msk/healthy";
const std::string kSvc = "endpoint_service/healthy";

Run vpc(std::vector<std::string> drop = {}, std::vector<std::string> add = {}) {
  Run r;
  r.endpoint = kRes + "/rpe.json";
  r.evidence = files_of(kRes, drop, add);
  r.source = SourceKind::postgres;
  return r;
}
Run vpc_endpoint(const std::string& endpoint) {
  Run r = vpc();
  r.endpoint = "vpc_resource/cases/" + endpoint;
  return r;
}
Run msk(std::vector<std::string> drop = {}, std::vector<std::string> add = {}) {
  Run r;
  r.endpoint = kMsk + "/rpe.json";
  r.evidence = files_of(kMsk, drop, add);
  r.clickpipes_region = "us-east-1";
  r.source = SourceKind::kafka;
  return r;
}
Run svc(std::vector<std::string> drop = {}, std::vector<std::string> add = {}) {
  Run r;
  r.endpoint = kSvc + "/rpe.json";
  r.evidence = files_of(kSvc, drop, add);
  r.source = SourceKind::kafka;
  return r;
}
template <typename F>
Run with(Run r, F&& change) {
  change(r);
  return r;
}

const Finding& require(const std::vector<Finding>& findings, const std::string& id, const std::string& subject = {}) {
  const Finding* f = find(findings, id, subject);
  if (f == nullptr) throw std::runtime_error("missing finding " + id + " " + subject);
  return *f;
}

std::vector<Scenario> scenarios() {
  const std::string vr = "vpc_resource/cases/";
  const std::string mc = "msk/cases/";
  const std::string sc = "endpoint_service/cases/";
  return {
      // Healthy: nothing to fix.
      {"VpcResourceHealthy", vpc(), {}, {"gateway_capacity"},
       [](const auto& f) {
         const auto& cap = require(f, "gateway_capacity", "rgw-0bba03f3d56060135");
         EXPECT_EQ(cap.evidence["free_28_blocks_min"], 11);
         EXPECT_EQ(cap.evidence["subnets"].size(), 2u);
       }},
      {"VpcResourceHealthyWithDriftedGateway", vpc({"resource-gateway.json"}, {vr + "gateway-drifted.json"}), {}, {"gateway_capacity"}},
      {"VpcResourceHealthyFromListOutput", vpc({"resource-gateway.json"}, {vr + "gateway-list.json"}), {}, {"gateway_capacity"}},
      {"MskHealthy", msk(), {}, {"msk_bootstrap_ports"},
       [](const auto& f) { EXPECT_EQ(require(f, "msk_bootstrap_ports").evidence["ports"], nlohmann::json({14001, 14002})); }},
      {"MskHealthyWithWildcardPolicy", msk({"msk-cluster-policy.json"}, {mc + "msk-cluster-policy-wildcard.json"}), {}},
      {"EndpointServiceHealthyCrossRegion", svc(), {}},
      {"EndpointServiceHealthyWithProbes", with(svc(), [](Run& r) { r.probes = {"probes/results-healthy.jsonl"}; }), {}},

      // Endpoint lifecycle.
      {"FailedNamesTheCauseAndTimeLeft",
       with(vpc({"network-interfaces.json"}, {vr + "network-interfaces-fragmented.json"}),
            [&](Run& r) { r.endpoint = vr + "rpe-failed.json"; }),
       {"endpoint_failed", "subnet_no_free_28"},
       {},
       [](const auto& f) {
         const auto& failed = require(f, "endpoint_failed");
         ASSERT_EQ(failed.evidence["causes"].size(), 1u);
         EXPECT_EQ(failed.evidence["causes"][0]["id"], "subnet_no_free_28");
         EXPECT_EQ(failed.evidence["causes"][0]["subject"], "subnet-0b2c3d4e5f6071829");
         EXPECT_EQ(failed.evidence["cleanup_in_hours"], 120);  // 7 days from 05-01, now 05-03
         EXPECT_NE(failed.message.find("subnet_no_free_28 (subnet-0b2c3d4e5f6071829)"), std::string::npos);
         EXPECT_NE(failed.message.find("5d 0h"), std::string::npos) << failed.message;
       }},
      {"FailedWithoutEvidenceSaysSo", with(vpc_endpoint("rpe-failed.json"), [](Run& r) { r.evidence.clear(); }),
       {"endpoint_failed"}, {},
       [](const auto& f) {
         const auto& failed = require(f, "endpoint_failed");
         EXPECT_TRUE(failed.evidence["causes"].empty());
         EXPECT_NE(failed.message.find("No cause was found"), std::string::npos);
         EXPECT_NE(failed.remediation.find("collect-evidence.sh"), std::string::npos);
       }},
      {"Rejected", with(vpc_endpoint("rpe-rejected.json"), [](Run& r) { r.now = "2024-05-01T06:00:00Z"; }),
       {"endpoint_rejected"}, {},
       [](const auto& f) { EXPECT_EQ(require(f, "endpoint_rejected").evidence["cleanup_in_hours"], 18); }},
      {"Expired", vpc_endpoint("rpe-expired.json"), {"endpoint_expired"}},
      {"PendingAcceptance",
       with(svc({"endpoint-connections.json"}, {sc + "connections-pending.json"}),
            [&](Run& r) {
              r.endpoint = sc + "rpe-pending.json";
              r.now = "2024-05-01T12:00:00Z";
            }),
       {"endpoint_pending_acceptance", "connection_pending_acceptance"}, {},
       [](const auto& f) {
         const auto& pending = require(f, "endpoint_pending_acceptance");
         EXPECT_EQ(pending.evidence["cleanup_in_hours"], 18);
         EXPECT_NE(pending.remediation.find("--service-id vpce-svc-0e7555fb6441987e1 --vpc-endpoint-ids "
                                            "vpce-0abed31004e618123"),
                   std::string::npos)
             << pending.remediation;
       }},
      {"Provisioning", vpc_endpoint("rpe-provisioning.json"), {}, {"endpoint_provisioning", "region_unverified"}},
      {"Deleting", vpc_endpoint("rpe-deleting.json"), {"endpoint_deleting"}},
      {"UnknownStatus", vpc_endpoint("rpe-unknown.json"), {"endpoint_status_unknown"}},
      {"ReadyWithoutDnsNames", vpc_endpoint("rpe-ready-no-dns.json"), {"endpoint_no_dns_names"}, {"region_unverified"}},
      {"UnsupportedType", vpc_endpoint("rpe-gcp.json"), {"endpoint_type_unsupported"}},

      // Parameters and reuse.
      {"VpcResourceBadParameters", vpc_endpoint("rpe-bad-params.json"),
       {"param_resource_configuration_id", "param_resource_share_arn", "evidence_mismatch"}},
      {"EvidenceForAnotherConfiguration", vpc({"resource-configuration.json"}, {vr + "config-other.json"}),
       {"evidence_mismatch"}},
      {"ShareUsedByTwoEndpoints",
       with(vpc_endpoint("rpe-list-shared-share.json"), [](Run& r) { r.endpoint_id = "2b8e6f4a-3c1d-4f0e-9a7b-6d5c4b3a2f10"; }),
       {"ram_share_reused"}},
      {"MskBadParameters", with(msk(), [&](Run& r) { r.endpoint = mc + "rpe-bad-params.json"; }),
       {"param_msk_cluster_arn", "param_msk_authentication", "evidence_mismatch"}},
      {"MskFailedNextToAnotherEndpointsConnection", with(msk(), [&](Run& r) { r.endpoint = mc + "rpe-failed.json"; }),
       {"endpoint_failed", "msk_cluster_auth_reused"}, {},
       [](const auto& f) {
         const auto& failed = require(f, "endpoint_failed");
         EXPECT_EQ(failed.evidence["causes"][0]["id"], "msk_cluster_auth_reused");
         EXPECT_EQ(failed.evidence["counted_from"], "createdAt");
         EXPECT_EQ(failed.evidence["cleanup_in_hours"], 144);
       }},
      {"MskCustomDns", with(msk(), [&](Run& r) { r.endpoint = mc + "rpe-custom-dns.json"; }), {"param_custom_dns_unsupported"}},
      {"MskSameClusterAndAuthTwice",
       with(msk(), [&](Run& r) {
         r.endpoint = mc + "rpe-list-same-auth.json";
         r.endpoint_id = "4d3c2b1a-0f9e-4d8c-b7a6-5e4f3a2b1c0d";
       }),
       {"msk_cluster_auth_reused"}},
      {"EndpointServiceBadName", with(svc(), [&](Run& r) { r.endpoint = sc + "rpe-bad-name.json"; }),
       {"param_endpoint_service_name", "evidence_mismatch"}},

      // VPC resource: gateway, configuration, subnets, RDS, RAM.
      {"GatewayCreateFailed", vpc({"resource-gateway.json"}, {vr + "gateway-create-failed.json"}), {"gateway_not_active"}},
      {"ConfigurationFailedQuotesReason", vpc({"resource-configuration.json"}, {vr + "config-failed.json"}),
       {"resource_config_not_active"}, {},
       [](const auto& f) {
         EXPECT_NE(require(f, "resource_config_not_active").message.find("does not have enough IP addresses"),
                   std::string::npos);
       }},
      {"ConfigurationLacksTheSourcePort", with(vpc(), [](Run& r) { r.source = SourceKind::mysql; }),
       {"resource_config_port_missing"}},
      {"ExplicitPortIsCovered", with(vpc(), [](Run& r) {
         r.source.reset();
         r.ports = {5432};
       }),
       {}},
      {"FragmentedSubnet", vpc({"network-interfaces.json"}, {vr + "network-interfaces-fragmented.json"}),
       {"subnet_no_free_28"}, {"gateway_capacity"},
       [](const auto& f) {
         const auto& s = require(f, "subnet_no_free_28", "subnet-0b2c3d4e5f6071829");
         EXPECT_EQ(s.evidence["free_addresses"], 222);
         EXPECT_EQ(s.evidence["free_28_blocks"], 0);
         EXPECT_NE(s.message.find("scattered"), std::string::npos);
         EXPECT_EQ(require(f, "gateway_capacity").evidence["free_28_blocks_min"], 0);
       }},
      {"SmallSubnet", vpc({"subnets.json"}, {vr + "subnets-small.json"}), {"subnet_no_free_28", "subnet_smaller_than_26"},
       {}, [](const auto& f) { require(f, "subnet_smaller_than_26", "subnet-0a1b2c3d4e5f60718"); }},
      {"GatewaySubnetMissingFromEvidence", vpc({"resource-gateway.json"}, {vr + "gateway-extra-subnet.json"}),
       {"subnet_evidence_missing"}, {}, [](const auto& f) { require(f, "subnet_evidence_missing", "subnet-0c3d4e5f60718293a"); }},
      {"NoInterfacesGivesAnUpperBound",
       vpc({"network-interfaces.json", "cidr-reservations-subnet-0a1b2c3d4e5f60718.json",
            "cidr-reservations-subnet-0b2c3d4e5f6071829.json"}),
       {"subnet_evidence_missing"}, {"gateway_capacity"},
       [](const auto& f) {
         require(f, "subnet_evidence_missing", "rgw-0bba03f3d56060135");
         require(f, "subnet_evidence_missing", "subnet-0a1b2c3d4e5f60718");  // AWS counts fewer free addresses
       }},
      {"PublicAuroraInstance", vpc({"rds-db-instances.json"}, {vr + "rds-instances-public.json"}), {"rds_publicly_accessible"},
       {}, [](const auto& f) { require(f, "rds_publicly_accessible", "orders-db-1"); }},
      {"PublicCluster", vpc({"rds-db-clusters.json"}, {vr + "rds-clusters-public.json"}), {"rds_publicly_accessible"}},
      {"SharePrincipalsEmpty", vpc({"ram-principals.json"}, {vr + "ram-principals-empty.json"}), {"ram_principal_missing"}},
      {"ShareAssociatedWithAnotherAccount",
       vpc({"ram-principals.json", "ram-resources.json"}, {vr + "ram-associations-wrong-principal.json"}),
       {"ram_principal_missing"}, {},
       [](const auto& f) {
         EXPECT_EQ(require(f, "ram_principal_missing").evidence["principals"], nlohmann::json({"210987654321"}));
       }},
      {"ShareNotActive", vpc({"ram-resource-shares.json"}, {vr + "ram-shares-pending.json"}), {"ram_share_not_active"}},
      {"ShareWithoutExternalPrincipals", vpc({"ram-resource-shares.json"}, {vr + "ram-shares-external-disabled.json"}),
       {"ram_external_principals_disabled"}},
      {"ShareWithoutTheConfiguration", vpc({"ram-resources.json"}, {vr + "ram-resources-empty.json"}),
       {"ram_resource_not_shared"}},

      // Regions.
      {"VpcResourceAcrossRegions", with(vpc(), [](Run& r) { r.clickpipes_region = "eu-west-1"; }), {"region_mismatch"}},
      {"VpcResourceOutsideTheRegionList",
       with(vpc_endpoint("rpe-eu-south-1.json"), [](Run& r) {
         r.evidence.clear();
         r.clickpipes_region = "eu-south-1";
       }),
       {"region_not_in_clickpipes_list"}},
      {"RegionsFileAddsARegion",
       with(vpc_endpoint("rpe-eu-south-1.json"), [](Run& r) {
         r.evidence.clear();
         r.clickpipes_region = "eu-south-1";
         r.regions_file = "regions/static-ips-sample.json";
       }),
       {}},
      {"MskAcrossRegions", with(msk(), [](Run& r) { r.clickpipes_region = "us-west-2"; }), {"region_mismatch"}},
      {"EndpointServiceWithoutTheClickPipeRegion",
       svc({"service-configurations.json"}, {sc + "service-configurations-no-cross-region.json"}),
       {"service_region_not_supported"}},
      {"EndpointServiceOutsideTheRegionList",
       with(svc(), [&](Run& r) {
         r.endpoint = sc + "rpe-eu-south-1.json";
         r.evidence.clear();
       }),
       {"region_not_in_clickpipes_list"}},

      // Endpoint service.
      {"ServiceWithoutClickPipesPrincipal", svc({"service-permissions.json"}, {sc + "service-permissions-empty.json"}),
       {"service_principal_missing"}},
      {"ServicePendingAndDnsUnverified", svc({"service-configurations.json"}, {sc + "service-configurations-unverified.json"}),
       {"service_not_available", "private_dns_not_verified"}},
      {"ConnectionWaitsForAcceptance", svc({"endpoint-connections.json"}, {sc + "connections-pending.json"}),
       {"connection_pending_acceptance"}},
      {"ConnectionRejected", svc({"endpoint-connections.json"}, {sc + "connections-rejected.json"}), {"connection_rejected"}},
      {"NoListenerOnTheSourcePort", svc({"nlb-listeners.json"}, {sc + "listeners-9094.json"}), {"nlb_listener_port_missing"}},
      {"UnhealthyTarget", svc({"nlb-target-health.json"}, {sc + "target-health-unhealthy.json"}), {"nlb_target_unhealthy"}},
      {"UnusedTarget", svc({"nlb-target-health.json"}, {sc + "target-health-unused.json"}), {"nlb_target_unused"}},

      // MSK.
      {"PolicyForAnotherAccount", msk({"msk-cluster-policy.json"}, {mc + "msk-cluster-policy-other-principal.json"}),
       {"msk_policy_principal_missing"}},
      {"PolicyWithTooFewActions", msk({"msk-cluster-policy.json"}, {mc + "msk-cluster-policy-few-actions.json"}),
       {"msk_policy_actions_missing"}, {},
       [](const auto& f) {
         EXPECT_EQ(require(f, "msk_policy_actions_missing").evidence["missing"],
                   nlohmann::json({"kafka:CreateVpcConnection", "kafka:GetBootstrapBrokers"}));
       }},
      {"ClusterUpdatingWithoutMultiVpc", msk({"msk-cluster.json"}, {mc + "msk-cluster-v1-updating.json"}),
       {"msk_cluster_not_active", "msk_multi_vpc_not_enabled"}},
      {"MultiVpcOffForIam", msk({"msk-cluster.json"}, {mc + "msk-cluster-iam-off.json"}), {"msk_multi_vpc_not_enabled"}},
      {"BootstrapWithoutMultiVpcString", msk({"msk-bootstrap-brokers.json"}, {mc + "msk-bootstrap-no-vpc.json"}),
       {"msk_multi_vpc_not_enabled"}},
      {"VpcConnectionFailed", msk({"msk-client-vpc-connections.json"}, {mc + "msk-vpc-connections-failed.json"}),
       {"msk_vpc_connection_failed"}},

      // Probe results next to the configuration findings.
      {"ProbeResultsExplainThePath", with(svc(), [](Run& r) { r.probes = {"probes/results-broken.jsonl"}; }),
       {"dns_name_unresolved", "dns_name_public", "port_refused", "port_unreachable", "tls_name_mismatch", "tls_failed",
        "protocol_failed", "kafka_broker_unreachable", "kafka_advertised_mismatch", "mongodb_member_unreachable",
        "probe_failed", "kafka_broker_port_no_listener"},
       {},
       [](const auto& f) {
         // Two addresses of one host:port with one problem: one finding.
         const auto& timeout = require(f, "port_unreachable", "db2.example.internal:5432");
         EXPECT_EQ(timeout.evidence["addresses"].size(), 2u);
         // The broker list names the unreachable broker, not the bootstrap.
         require(f, "kafka_broker_unreachable", "b-2.kafka.example.com:9093");
         require(f, "kafka_broker_port_no_listener", "b-2.kafka.example.com:9093");
         // An endpoint name resolving to a public address although it connected.
         const auto& pub = require(f, "dns_name_public",
                                   "vpce-0abed31004e618123-4gq1ukpt.vpce-svc-0e7555fb6441987e1.us-east-1.vpce.amazonaws.com:9092");
         EXPECT_EQ(pub.evidence["endpoint_dns_name"], true);
         require(f, "dns_name_public", "b-1.kafka.example.com:9092");
         EXPECT_EQ(require(f, "tls_name_mismatch").evidence["certificate_names"].size(), 1u);
         require(f, "mongodb_member_unreachable", "mongo-2.internal:27017");
         require(f, "dns_name_unresolved", "kafka.example.com:9092");
       }},
  };
}

// gtest prints a failing parameter with this instead of its bytes.
void PrintTo(const Scenario& s, std::ostream* os) { *os << s.name; }

class RuleScenarios : public ::testing::TestWithParam<Scenario> {};

TEST_P(RuleScenarios, ProduceExactlyTheExpectedProblems) {
  const Scenario& s = GetParam();
  auto findings = testing::run(s.run);
  EXPECT_EQ(problem_ids(findings), s.problems);
  auto ids = testing::all_ids(findings);
  for (const auto& info : s.info) EXPECT_EQ(ids.count(info), 1u) << "missing info finding " << info;
  for (const auto& f : findings) {
    // Every finding is complete and carries its table severity.
    const CheckInfo* check = find_check(f.id);
    ASSERT_NE(check, nullptr) << f.id;
    EXPECT_EQ(f.severity, check->severity) << f.id;
    EXPECT_FALSE(f.subject.empty()) << f.id;
    EXPECT_FALSE(f.message.empty()) << f.id;
    EXPECT_FALSE(f.remediation.empty()) << f.id;
    EXPECT_TRUE(f.evidence.is_object()) << f.id;
  }
  // Errors come first.
  for (std::size_t i = 1; i < findings.size(); ++i) {
    EXPECT_LE(static_cast<int>(findings[i - 1].severity), static_cast<int>(findings[i].severity));
  }
  if (s.also) {
    try {
      s.also(findings);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, RuleScenarios, ::testing::ValuesIn(scenarios()),
                         [](const ::testing::TestParamInfo<Scenario>& param_info) { return param_info.param.name; });

TEST(RuleTable, IdsAreUniqueAndEveryCheckHasAScenario) {
  std::set<std::string> ids;
  for (const auto& check : all_checks()) {
    EXPECT_TRUE(ids.insert(std::string(check.id)).second) << "duplicate id " << check.id;
    EXPECT_FALSE(check.meaning.empty());
  }
  std::set<std::string> covered;
  for (const auto& s : scenarios()) {
    covered.insert(s.problems.begin(), s.problems.end());
    covered.insert(s.info.begin(), s.info.end());
  }
  for (const auto& id : ids) EXPECT_EQ(covered.count(id), 1u) << "no scenario produces " << id;
}

TEST(RuleTable, FindingJsonFollowsTheContract) {
  Finding f{"subnet_no_free_28", Severity::error, "subnet-0abc", "m", {{"free_28_blocks", 0}}, "r"};
  auto json = to_json(f);
  std::vector<std::string> keys;
  for (auto it = json.begin(); it != json.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "severity", "subject", "message", "evidence", "remediation"}));
  EXPECT_EQ(json["severity"], "error");
  EXPECT_EQ(json.dump(),
            R"({"id":"subnet_no_free_28","severity":"error","subject":"subnet-0abc","message":"m","evidence":{"free_28_blocks":0},"remediation":"r"})");
}

TEST(Principals, RecognisesTheClickPipesAccountInEveryForm) {
  Evidence evidence;
  add_text(evidence,
           R"({"AllowedPrincipals":[{"Principal":"arn:aws:iam::072088201116:user/someone"},
                                    {"Principal":"arn:aws:iam::072088201117:root"}]})",
           "p.json");
  Endpoint e;
  e.id = "ep";
  e.type = EndpointType::vpc_endpoint_service;
  e.type_name = "VPC_ENDPOINT_SERVICE";
  e.status = "Ready";
  e.dns_names = {"x.us-east-1.vpce.amazonaws.com"};
  e.vpc_endpoint_service_name = "com.amazonaws.vpce.us-east-1.vpce-svc-0e7555fb6441987e1";
  Inputs in;
  in.endpoint = &e;
  in.evidence = &evidence;
  in.regions = &builtin_regions();
  // Neither a user of the account nor a similar account id counts.
  EXPECT_EQ(problem_ids(validate(in)), std::set<std::string>{"service_principal_missing"});
  Evidence wildcard;
  add_text(wildcard, R"({"AllowedPrincipals":[{"Principal":"*"}]})", "p.json");
  in.evidence = &wildcard;
  EXPECT_TRUE(problem_ids(validate(in)).empty());
}

}  // namespace
}  // namespace plprobe::validator
