#include "validator/endpoint.h"

#include <gtest/gtest.h>

#include "tests/unit/validator/fixtures.h"
#include "validator/input_error.h"

namespace plprobe::validator {
namespace {

using testing::fixture;

TEST(EndpointParsing, ReadsTheEnvelope) {
  auto endpoints = load_endpoints(fixture("vpc_resource/healthy/rpe.json"));
  ASSERT_EQ(endpoints.size(), 1u);
  const auto& e = endpoints.front();
  EXPECT_EQ(e.type, EndpointType::vpc_resource);
  EXPECT_EQ(e.vpc_resource_configuration_id, "rcfg-07129f3acded87625");
  EXPECT_EQ(e.status, "Ready");
  EXPECT_EQ(e.vpc_endpoint_service_name, "");  // null in the file
  EXPECT_EQ(e.dns_names.size(), 1u);
}

TEST(EndpointParsing, ReadsTheBareObjectWithTimestamps) {
  auto endpoints = load_endpoints(fixture("vpc_resource/cases/rpe-failed.json"));
  ASSERT_EQ(endpoints.size(), 1u);
  EXPECT_EQ(endpoints[0].status, "Failed");
  ASSERT_TRUE(endpoints[0].status_since.has_value());
  EXPECT_EQ(endpoints[0].status_since_field, "updatedAt");
  EXPECT_EQ(*endpoints[0].status_since, *parse_timestamp(nlohmann::json("2024-05-01T00:00:00Z")));
}

TEST(EndpointParsing, ReadsAListInTheEnvelopeAndSelectsById) {
  auto endpoints = load_endpoints(fixture("msk/cases/rpe-list-same-auth.json"));
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_THROW(select_endpoint(endpoints, "", "rpe.json"), InputError);
  EXPECT_EQ(select_endpoint(endpoints, "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968", "rpe.json").id,
            "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968");
  try {
    select_endpoint(endpoints, "nope", "rpe.json");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no endpoint with id 'nope'"), std::string::npos);
    EXPECT_NE(e.hint().find("4d3c2b1a-0f9e-4d8c-b7a6-5e4f3a2b1c0d"), std::string::npos);
  }
}

TEST(EndpointParsing, ReadsABareList) {
  auto endpoints = load_endpoints(fixture("vpc_resource/cases/rpe-list-shared-share.json"));
  EXPECT_EQ(endpoints.size(), 2u);
}

TEST(EndpointParsing, CollectsEveryDnsNameOnce) {
  Endpoint e;
  e.dns_names = {"a.example", "B.example"};
  e.private_dns_names = {"b.example", "c.example"};
  e.custom_private_dns_names = {"d.example", "a.example"};
  EXPECT_EQ(e.all_dns_names(), (std::vector<std::string>{"a.example", "B.example", "c.example", "d.example"}));
}

TEST(EndpointParsing, RejectsOtherDocuments) {
  EXPECT_THROW(load_endpoints(fixture("vpc_resource/healthy/subnets.json")), InputError);
  EXPECT_THROW(parse_endpoints(nlohmann::json::array(), "x.json"), InputError);
  EXPECT_THROW(parse_endpoints(nlohmann::json::parse(R"({"status":200,"requestId":"r","result":[]})"), "x.json"),
               InputError);
  EXPECT_THROW(load_endpoints(fixture("malformed/truncated.json")), InputError);
  EXPECT_THROW(load_endpoints(fixture("does-not-exist.json")), InputError);
}

TEST(EndpointParsing, KeepsUnknownTypesForTheRulesToReport) {
  auto endpoints = load_endpoints(fixture("vpc_resource/cases/rpe-gcp.json"));
  EXPECT_EQ(endpoints[0].type, EndpointType::other);
  EXPECT_EQ(endpoints[0].type_name, "GCP_PSC_SERVICE_ATTACHMENT");
}

TEST(Timestamps, ParsesIso8601AndEpochSeconds) {
  using namespace std::chrono;
  auto t = [](const char* text) { return parse_timestamp(nlohmann::json(text)); };
  auto epoch = [](auto tp) { return duration_cast<seconds>(tp->time_since_epoch()).count(); };
  EXPECT_EQ(epoch(t("2024-05-01T00:00:00Z")), 1714521600);
  EXPECT_EQ(epoch(t("2024-05-01T02:00:00+02:00")), 1714521600);
  EXPECT_EQ(epoch(t("2024-05-01T00:00:00.482000+00:00")), 1714521600);
  EXPECT_EQ(epoch(t("2024-04-30T19:00:00-0500")), 1714521600);
  EXPECT_EQ(epoch(parse_timestamp(nlohmann::json(1714521600.25))), 1714521600);
  for (const char* bad : {"yesterday", "2024-13-01T00:00:00Z", "2024-05-01", "2024-05-01T00:00:00Q", ""}) {
    EXPECT_FALSE(t(bad).has_value()) << bad;
  }
  EXPECT_FALSE(parse_timestamp(nlohmann::json(12)).has_value());
  EXPECT_FALSE(parse_timestamp(nlohmann::json::object()).has_value());
}

}  // namespace
}  // namespace plprobe::validator
