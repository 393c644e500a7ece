// The validate and subnets subcommands as a user runs them: exit codes,
// JSON Lines, messages for bad input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/unit/validator/fixtures.h"
#include "tests/integration/validator/process.h"

namespace plprobe::validator {
namespace {

using testing::fixture;
using testing::plprobe;
using testing::quote;

std::string f(const std::string& relative) { return quote(fixture(relative)); }

TEST(ValidateCommand, HealthyEndpointExitsZero) {
  auto r = plprobe("validate --endpoint " + f("vpc_resource/healthy/rpe.json") + " --source postgres " +
                   f("vpc_resource/healthy"));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Evidence (12 files)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("vpc-lattice get-resource-gateway"), std::string::npos);
  EXPECT_NE(r.out.find("SUBNET"), std::string::npos);
  EXPECT_NE(r.out.find("gateway_capacity"), std::string::npos);
  EXPECT_NE(r.out.find("0 errors, 0 warnings"), std::string::npos);
  EXPECT_EQ(r.out.find("\033["), std::string::npos);  // no colour when not a terminal
}

TEST(ValidateCommand, ErrorFindingExitsOneAndJsonLinesFollowTheContract) {
  auto r = plprobe("validate --json --now 2024-05-03T00:00:00Z --endpoint " + f("vpc_resource/cases/rpe-failed.json") +
                   " " + f("vpc_resource/healthy/subnets.json") + " " +
                   f("vpc_resource/healthy/resource-gateway.json") + " " +
                   f("vpc_resource/cases/network-interfaces-fragmented.json"));
  EXPECT_EQ(r.status, 1) << r.err;
  auto lines = r.lines();
  ASSERT_GE(lines.size(), 2u);
  std::set<std::string> ids;
  for (const auto& line : lines) {
    auto finding = nlohmann::json::parse(line);
    ASSERT_TRUE(finding.is_object());
    for (const char* key : {"id", "severity", "subject", "message", "evidence", "remediation"}) {
      EXPECT_TRUE(finding.contains(key)) << key << " in " << line;
    }
    EXPECT_EQ(finding.size(), 6u);
    ids.insert(finding["id"].get<std::string>());
  }
  EXPECT_EQ(ids.count("endpoint_failed"), 1u);
  EXPECT_EQ(ids.count("subnet_no_free_28"), 1u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["severity"], "error");
}

TEST(ValidateCommand, MalformedEvidenceExitsTwoNamingFileAndPosition) {
  auto path = fixture("malformed/truncated.json");
  auto r = plprobe("validate --endpoint " + f("vpc_resource/healthy/rpe.json") + " " + quote(path));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("plprobe: " + path + ": not valid JSON at line 6, column 1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hint: "), std::string::npos);
  EXPECT_TRUE(r.out.empty());
}

TEST(ValidateCommand, UnrecognisedEvidenceExitsTwo) {
  auto r = plprobe("validate --endpoint " + f("vpc_resource/healthy/rpe.json") + " " + f("malformed/unrecognised.json"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("not a recognised AWS CLI output"), std::string::npos) << r.err;
}

TEST(ValidateCommand, ProbeLineThatIsNotJsonExitsTwoNamingTheLine) {
  auto path = fixture("probes/results-not-json.jsonl");
  auto r = plprobe("validate --endpoint " + f("endpoint_service/healthy/rpe.json") + " --probes " + quote(path));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(path + ": line 3 is not JSON"), std::string::npos) << r.err;
}

TEST(ValidateCommand, UsageErrorsExitTwoWithAHint) {
  for (const std::string& args :
       {std::string("validate"), "validate --endpoint " + f("vpc_resource/healthy/rpe.json") + " --source oracle",
        "validate --endpoint " + f("vpc_resource/healthy/rpe.json") + " --clickpipes-region mars-1",
        "validate --endpoint " + f("vpc_resource/healthy/rpe.json") + " --port 70000",
        "validate --endpoint " + f("vpc_resource/healthy/rpe.json") + " --now yesterday",
        "validate --endpoint " + f("msk/cases/rpe-list-same-auth.json"),
        "validate --endpoint " + f("vpc_resource/healthy/subnets.json"),
        "validate --endpoint " + f("vpc_resource/healthy/rpe.json") + " --regions-file " + f("regions/no-clickpipes.json"),
        "subnets " + f("vpc_resource/healthy/resource-gateway.json")}) {
    auto r = plprobe(args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("plprobe: "), std::string::npos) << args;
    EXPECT_NE(r.err.find("hint: "), std::string::npos) << args << "\n" << r.err;
  }
}

TEST(ValidateCommand, RepeatableFlagsTakeOneValueEach) {
  // EVIDENCE after --probes FILE / --port N is evidence, not a second value.
  auto r = plprobe("validate --endpoint " + f("endpoint_service/healthy/rpe.json") + " --probes " +
                   f("probes/results-healthy.jsonl") + " --port 9092 " + f("endpoint_service/healthy"));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Evidence (7 files)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Probe results: 2 results"), std::string::npos) << r.out;
}

TEST(ValidateCommand, RegionsFileOverridesTheBuiltInList) {
  auto base = "validate --clickpipes-region eu-south-1 --endpoint " + f("vpc_resource/cases/rpe-eu-south-1.json");
  EXPECT_EQ(plprobe(base).status, 1);
  auto r = plprobe(base + " --regions-file " + f("regions/static-ips-sample.json"));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("static-ips-sample.json (2 regions)"), std::string::npos) << r.out;
}

TEST(ValidateCommand, HelpTeachesWithExamples) {
  auto r = plprobe("validate --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
  EXPECT_NE(r.out.find("collect-evidence.sh"), std::string::npos);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
  auto top = plprobe("--help");
  EXPECT_NE(top.out.find("validate"), std::string::npos);
  EXPECT_NE(top.out.find("subnets"), std::string::npos);
}

TEST(ValidateCommand, ListChecksPrintsTheWholeTable) {
  auto r = plprobe("validate --list-checks --json");
  EXPECT_EQ(r.status, 0);
  auto lines = r.lines();
  EXPECT_EQ(lines.size(), all_checks().size());
  auto first = nlohmann::json::parse(lines.front());
  EXPECT_EQ(first["id"], all_checks().front().id);
}

TEST(ValidateCommand, IdsPrintsKeyValueLinesForScripts) {
  auto r = plprobe("validate --ids " + f("vpc_resource/healthy/rpe.json"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("type=VPC_RESOURCE\n"), std::string::npos);
  EXPECT_NE(r.out.find("resource_configuration_id=rcfg-07129f3acded87625\n"), std::string::npos);
  EXPECT_NE(r.out.find("region=us-east-1\n"), std::string::npos);
  auto gw = plprobe("validate --ids " + f("vpc_resource/healthy/resource-gateway.json"));
  EXPECT_NE(gw.out.find("subnet_id=subnet-0a1b2c3d4e5f60718\nsubnet_id=subnet-0b2c3d4e5f6071829\n"), std::string::npos)
      << gw.out;
  EXPECT_EQ(plprobe("validate --ids " + f("malformed/truncated.json")).status, 2);
}

TEST(SubnetsCommand, JsonHasOneObjectPerSubnet) {
  auto r = plprobe("subnets --json " + f("vpc_resource/healthy"));
  EXPECT_EQ(r.status, 0) << r.err;
  auto lines = r.lines();
  ASSERT_EQ(lines.size(), 2u);
  auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["subnet_id"], "subnet-0a1b2c3d4e5f60718");
  EXPECT_EQ(first["cidr"], "10.0.1.0/24");
  EXPECT_EQ(first["size"], 256);
  EXPECT_EQ(first["used"], 39);
  EXPECT_EQ(first["free_addresses"], 217);
  EXPECT_EQ(first["free_28_blocks"], 11);
}

TEST(SubnetsCommand, ExhaustedSubnetExitsOne) {
  auto r = plprobe("subnets " + f("vpc_resource/healthy/subnets.json") + " " +
                   f("vpc_resource/healthy/resource-gateway.json") + " " +
                   f("vpc_resource/cases/network-interfaces-fragmented.json"));
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.out.find("rgw-0bba03f3d56060135: 0 more endpoints fit"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("upper bounds"), std::string::npos);  // no reservations file given
}

}  // namespace
}  // namespace plprobe::validator
