#include "validator/regions.h"

#include <gtest/gtest.h>

#include "tests/unit/validator/fixtures.h"
#include "validator/input_error.h"

namespace plprobe::validator {
namespace {

using testing::fixture;

TEST(RegionList, BuiltInListIsTheClickPipesRegionsOfTheDomainBrief) {
  const auto& list = builtin_regions();
  // docs/domain.md, "ClickPipes AWS regions".
  const std::vector<std::string> expected = {
      "af-south-1",     "ap-east-1",      "ap-northeast-1", "ap-northeast-2", "ap-south-1",
      "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ca-central-1",   "eu-central-1",
      "eu-north-1",     "eu-west-1",      "eu-west-2",      "il-central-1",   "mx-central-1",
      "sa-east-1",      "us-east-1",      "us-east-2",      "us-west-2"};
  EXPECT_EQ(list.aws, expected);
  EXPECT_TRUE(list.contains("US-EAST-1"));
  EXPECT_FALSE(list.contains("eu-south-1"));
}

TEST(RegionList, ReadsStaticIpsJsonAndKeepsOnlyClickPipesRegions) {
  auto list = load_regions_file(fixture("regions/static-ips-sample.json"));
  EXPECT_EQ(list.aws, (std::vector<std::string>{"eu-south-1", "us-east-1"}));  // us-west-1 has no clickpipes_egress_ips
  EXPECT_EQ(list.source, fixture("regions/static-ips-sample.json"));
}

TEST(RegionList, RejectsFilesWithoutClickPipesRegions) {
  EXPECT_THROW(load_regions_file(fixture("regions/no-clickpipes.json")), InputError);
  EXPECT_THROW(load_regions_file(fixture("vpc_resource/healthy/subnets.json")), InputError);
  EXPECT_THROW(parse_regions(nlohmann::json::parse(R"({"aws":[{"region":"moon-1","clickpipes_egress_ips":[]}]})"), "x"),
               InputError);
}

TEST(RegionNames, RecognisesAwsRegionsOnly) {
  for (const char* good : {"us-east-1", "eu-central-2", "ap-southeast-3", "us-gov-west-1", "il-central-1", "mx-central-1"}) {
    EXPECT_TRUE(looks_like_region(good)) << good;
  }
  for (const char* bad : {"", "us-east", "db-main-1", "us-east-x", "US-EAST-1", "eu-central-123", "vpce", "us-east-1a"}) {
    EXPECT_FALSE(looks_like_region(bad)) << bad;
  }
}

TEST(RegionNames, ReadsRegionsFromArnsServiceNamesAndDnsNames) {
  EXPECT_EQ(region_from_arn("arn:aws:kafka:eu-west-1:123456789012:cluster/events/uuid-5"), "eu-west-1");
  EXPECT_EQ(region_from_arn("arn:aws:iam::072088201116:root"), std::nullopt);
  EXPECT_EQ(region_from_arn("not-an-arn"), std::nullopt);
  EXPECT_EQ(account_from_arn("arn:aws:iam::072088201116:root"), "072088201116");
  EXPECT_EQ(region_from_service_name("com.amazonaws.vpce.us-east-2.vpce-svc-0e7555fb6441987e1"), "us-east-2");
  EXPECT_EQ(region_from_service_name("vpce-svc-0e7555fb6441987e1"), std::nullopt);
  EXPECT_EQ(region_from_dns_name("vpce-0abc-4gq1ukpt.vpce-svc-0e75.us-east-1.vpce.amazonaws.com"), "us-east-1");
  EXPECT_EQ(region_from_dns_name("db-main-1.internal"), std::nullopt);
}

}  // namespace
}  // namespace plprobe::validator
