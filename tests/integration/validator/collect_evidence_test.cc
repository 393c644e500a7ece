// scripts/collect-evidence.sh against a stand-in `aws` that records its
// arguments: the right read-only commands per endpoint type, one file per
// command, and files that `plprobe validate` then accepts.
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "tests/unit/validator/fixtures.h"
#include "tests/integration/validator/process.h"

namespace plprobe::validator {
namespace {

using testing::fixture;
using testing::quote;

struct Collected {
  testing::Output output;
  std::vector<std::string> calls;  // one line per aws invocation
  std::set<std::string> files;     // names written to --out
};

Collected collect(const testing::TempDir& dir, const std::string& endpoint, const std::string& extra_env = {},
                  const std::string& extra_args = {}) {
  std::string log = dir.path() + "/aws.log";
  std::string out = dir.path() + "/evidence";
  std::string command = "PATH=" + quote(fixture("bin")) + ":\"$PATH\" AWS_STUB_LOG=" + quote(log) +
                        " PLPROBE=" + quote(testing::plprobe_binary()) + " " + extra_env + " bash " +
                        quote(std::string(PLPROBE_SOURCE_DIR) + "/scripts/collect-evidence.sh") +
                        " --endpoint " + quote(fixture(endpoint)) + " --out " + quote(out) + " " + extra_args;
  Collected c;
  c.output = testing::run_shell(command);
  testing::Output lines;
  lines.out = testing::slurp(log);
  c.calls = lines.lines();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(out, ec)) c.files.insert(entry.path().filename().string());
  return c;
}

bool read_only(const std::string& call) {
  auto space = call.find(' ');
  if (space == std::string::npos) return false;
  std::string service = call.substr(0, space);
  std::string verb = call.substr(space + 1, call.find(' ', space + 1) - space - 1);
  const std::set<std::string> services = {"vpc-lattice", "ec2", "ram", "rds", "kafka", "elbv2"};
  return services.count(service) == 1 &&
         (verb.rfind("get-", 0) == 0 || verb.rfind("describe-", 0) == 0 || verb.rfind("list-", 0) == 0);
}

void expect_read_only(const std::vector<std::string>& calls, const std::string& region) {
  EXPECT_FALSE(read_only("ec2 create-subnet --cidr-block 10.0.0.0/24"));
  for (const auto& call : calls) {
    EXPECT_TRUE(read_only(call)) << call;
    EXPECT_NE(call.find("--region " + region + " --output json"), std::string::npos) << call;
  }
}

int validate(const std::string& endpoint, const std::string& dir, const std::string& extra = {}) {
  return testing::plprobe("validate --endpoint " + quote(fixture(endpoint)) + " " + extra + " " + quote(dir)).status;
}

TEST(CollectEvidence, VpcResourceRunsTheGatewaySubnetShareAndRdsCommands) {
  testing::TempDir dir;
  auto c = collect(dir, "vpc_resource/healthy/rpe.json");
  EXPECT_EQ(c.output.status, 0) << c.output.err;
  const std::vector<std::string> expected_prefixes = {
      "vpc-lattice get-resource-configuration --resource-configuration-identifier rcfg-07129f3acded87625",
      "vpc-lattice get-resource-gateway --resource-gateway-identifier rgw-0bba03f3d56060135",
      "ec2 describe-subnets --subnet-ids subnet-0a1b2c3d4e5f60718 subnet-0b2c3d4e5f6071829",
      "ec2 describe-network-interfaces --filters Name=subnet-id,Values=subnet-0a1b2c3d4e5f60718,subnet-0b2c3d4e5f6071829",
      "ec2 get-subnet-cidr-reservations --subnet-id subnet-0a1b2c3d4e5f60718",
      "ec2 get-subnet-cidr-reservations --subnet-id subnet-0b2c3d4e5f6071829",
      "ram get-resource-shares --resource-owner SELF --resource-share-arns arn:aws:ram:us-east-1:123456789012:resource-share/7ab63972-b505-7e2a-420d-6f5d3ea1b2c4",
      "ram list-principals --resource-owner SELF",
      "ram list-resources --resource-owner SELF",
      "rds describe-db-clusters --db-cluster-identifier arn:aws:rds:us-east-1:123456789012:cluster:orders-db",
      "rds describe-db-instances --filters Name=db-cluster-id,Values=arn:aws:rds:us-east-1:123456789012:cluster:orders-db",
  };
  ASSERT_EQ(c.calls.size(), expected_prefixes.size()) << c.output.err;
  for (std::size_t i = 0; i < c.calls.size(); ++i) {
    EXPECT_EQ(c.calls[i].rfind(expected_prefixes[i], 0), 0u) << c.calls[i];
  }
  expect_read_only(c.calls, "us-east-1");
  EXPECT_EQ(c.files, (std::set<std::string>{"resource-configuration.json", "resource-gateway.json", "subnets.json",
                                            "network-interfaces.json",
                                            "cidr-reservations-subnet-0a1b2c3d4e5f60718.json",
                                            "cidr-reservations-subnet-0b2c3d4e5f6071829.json",
                                            "ram-resource-shares.json", "ram-principals.json", "ram-resources.json",
                                            "rds-db-clusters.json", "rds-db-instances.json"}));
  EXPECT_EQ(validate("vpc_resource/healthy/rpe.json", dir.path() + "/evidence", "--source postgres"), 0);
}

TEST(CollectEvidence, MskRunsTheClusterCommands) {
  testing::TempDir dir;
  auto c = collect(dir, "msk/healthy/rpe.json");
  EXPECT_EQ(c.output.status, 0) << c.output.err;
  ASSERT_EQ(c.calls.size(), 4u);
  EXPECT_EQ(c.calls[0].rfind("kafka describe-cluster-v2 --cluster-arn arn:aws:kafka:us-east-1:123456789012:cluster/events/", 0), 0u);
  EXPECT_EQ(c.calls[1].rfind("kafka get-bootstrap-brokers", 0), 0u);
  EXPECT_EQ(c.calls[2].rfind("kafka get-cluster-policy", 0), 0u);
  EXPECT_EQ(c.calls[3].rfind("kafka list-client-vpc-connections", 0), 0u);
  expect_read_only(c.calls, "us-east-1");
  EXPECT_EQ(c.files.size(), 4u);
  EXPECT_EQ(validate("msk/healthy/rpe.json", dir.path() + "/evidence", "--clickpipes-region us-east-1"), 0);
}

TEST(CollectEvidence, EndpointServiceFollowsTheNlbToItsTargets) {
  testing::TempDir dir;
  auto c = collect(dir, "endpoint_service/healthy/rpe.json");
  EXPECT_EQ(c.output.status, 0) << c.output.err;
  ASSERT_EQ(c.calls.size(), 6u) << c.output.err;
  EXPECT_EQ(c.calls[0].rfind("ec2 describe-vpc-endpoint-service-configurations --filters "
                             "Name=service-name,Values=com.amazonaws.vpce.us-east-2.vpce-svc-0e7555fb6441987e1",
                             0),
            0u);
  EXPECT_EQ(c.calls[1].rfind("ec2 describe-vpc-endpoint-service-permissions --service-id vpce-svc-0e7555fb6441987e1", 0), 0u);
  EXPECT_EQ(c.calls[2].rfind("ec2 describe-vpc-endpoint-connections --filters Name=service-id,Values=vpce-svc-0e7555fb6441987e1", 0), 0u);
  EXPECT_EQ(c.calls[3].rfind("elbv2 describe-listeners --load-balancer-arn arn:aws:elasticloadbalancing:us-east-2:", 0), 0u);
  EXPECT_EQ(c.calls[4].rfind("elbv2 describe-target-groups", 0), 0u);
  EXPECT_EQ(c.calls[5].rfind("elbv2 describe-target-health --target-group-arn arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/kafka-b1/", 0), 0u);
  // The service lives in us-east-2 (its name says so); the calls go there.
  expect_read_only(c.calls, "us-east-2");
  EXPECT_EQ(c.files.count("nlb-target-health-1-1.json"), 1u);
  EXPECT_EQ(validate("endpoint_service/healthy/rpe.json", dir.path() + "/evidence", "--source kafka"), 0);
}

TEST(CollectEvidence, RegionFlagWins) {
  testing::TempDir dir;
  auto c = collect(dir, "msk/healthy/rpe.json", "", "--region eu-west-1");
  EXPECT_EQ(c.output.status, 0);
  expect_read_only(c.calls, "eu-west-1");
}

TEST(CollectEvidence, FailedCommandLeavesItsErrorAndExitsOne) {
  testing::TempDir dir;
  auto c = collect(dir, "vpc_resource/healthy/rpe.json", "AWS_STUB_FAIL='ram list-principals'");
  EXPECT_EQ(c.output.status, 1);
  EXPECT_NE(c.output.err.find("1 command(s) failed: ram-principals"), std::string::npos) << c.output.err;
  EXPECT_EQ(c.files.count("ram-principals.err"), 1u);
  EXPECT_EQ(c.files.count("ram-principals.json"), 0u);
  EXPECT_EQ(c.files.count("ram-resources.json"), 1u);  // the others still ran
  EXPECT_NE(testing::slurp(dir.path() + "/evidence/ram-principals.err").find("AccessDeniedException"), std::string::npos);
  // What was collected still validates (the .err file is not read).
  EXPECT_EQ(validate("vpc_resource/healthy/rpe.json", dir.path() + "/evidence", "--source postgres"), 0);
}

TEST(CollectEvidence, UsageErrorsExitTwo) {
  testing::TempDir dir;
  std::string script = quote(std::string(PLPROBE_SOURCE_DIR) + "/scripts/collect-evidence.sh");
  std::string env = "PATH=" + quote(fixture("bin")) + ":\"$PATH\" AWS_STUB_LOG=" + quote(dir.path() + "/aws.log") +
                    " PLPROBE=" + quote(testing::plprobe_binary()) + " ";
  auto missing = testing::run_shell(env + "bash " + script + " --out " + quote(dir.path()));
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("--endpoint FILE is required"), std::string::npos);
  auto unknown = testing::run_shell(env + "bash " + script + " --bogus");
  EXPECT_EQ(unknown.status, 2);
  auto gcp = testing::run_shell(env + "bash " + script + " --endpoint " + quote(fixture("vpc_resource/cases/rpe-gcp.json")) +
                                " --out " + quote(dir.path() + "/x"));
  EXPECT_EQ(gcp.status, 2);
  EXPECT_NE(gcp.err.find("GCP_PSC_SERVICE_ATTACHMENT"), std::string::npos) << gcp.err;
  auto help = testing::run_shell("bash " + script + " --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("--endpoint rpe.json --out DIR"), std::string::npos);
  EXPECT_TRUE(testing::slurp(dir.path() + "/aws.log").empty());  // no aws call on bad usage
}

}  // namespace
}  // namespace plprobe::validator
