#include "common/result.h"

#include <gtest/gtest.h>

namespace plprobe {
namespace {

TEST(ResultJson, FollowsTheContractFieldOrderAndTypes) {
  ProbeResult result;
  result.target = "tls://db.example:5432";
  result.kind = "tls";
  result.host = "db.example";
  result.port = 5432;
  result.address = "10.0.1.17";
  result.address_class = "private";
  result.phases.dns_ms = 1.23456;
  result.phases.connect_ms = 0.4;
  result.phases.total_ms = 5.6;
  result.fail(Code::tls_hostname_mismatch, "certificate does not name db.example");
  const auto json = to_json(result);
  std::vector<std::string> keys;
  for (const auto& [key, value] : json.items()) keys.push_back(key);
  const std::vector<std::string> expected = {"target", "kind",  "host",      "port",  "address", "address_class",
                                             "outcome", "message", "hint", "phases_ms", "facts"};
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(json["outcome"], "tls_hostname_mismatch");
  EXPECT_EQ(json["hint"], std::string(info(Code::tls_hostname_mismatch).hint));
  EXPECT_DOUBLE_EQ(json["phases_ms"]["dns"].get<double>(), 1.235);
  EXPECT_FALSE(json["phases_ms"].contains("tls")) << "a phase that did not run is absent";
  EXPECT_TRUE(json["facts"].is_object());
}

TEST(ResultJson, NullAddressWhenResolutionFailed) {
  ProbeResult result;
  result.fail(Code::dns_nxdomain, "x does not exist", "custom hint");
  const auto json = to_json(result);
  EXPECT_TRUE(json["address"].is_null());
  EXPECT_TRUE(json["address_class"].is_null());
  EXPECT_EQ(json["hint"], "custom hint");
}

TEST(ResultJson, TlsAndSamplesAppearWhenPresent) {
  ProbeResult result;
  result.tls = TlsDetails{};
  result.tls->version = "TLSv1.3";
  result.tls->sans = {"a.example", "b.example"};
  result.tls->verified = true;
  result.samples = SampleSummary{10, 2, 0.1, 0.2, 0.3, 0.4, 0.5};
  const auto json = to_json(result);
  EXPECT_EQ(json["tls"]["version"], "TLSv1.3");
  EXPECT_EQ(json["tls"]["sans"].size(), 2u);
  EXPECT_FALSE(json["tls"].contains("verify_error_codes"));
  EXPECT_DOUBLE_EQ(json["samples"]["loss"].get<double>(), 0.2);
}

}  // namespace
}  // namespace plprobe
