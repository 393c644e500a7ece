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

std::string dumped_line(const ProbeResult& result) {
  return to_json(result).dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string appended_line(const ProbeResult& result) {
  std::string line = "kept|";
  append_json_line(line, result);
  EXPECT_EQ(line.substr(0, 5), "kept|") << "appends, never overwrites";
  return line.substr(5);
}

ProbeResult full_result() {
  ProbeResult result;
  result.target = "kafka://b-1.example:9096";
  result.kind = "kafka";
  result.host = "b-1.example";
  result.port = 9096;
  result.address = "10.0.1.17";
  result.address_class = "private";
  result.message = "connected";
  result.phases.dns_ms = 1.2;
  result.phases.connect_ms = 0.0004;
  result.phases.tls_ms = 3.0;
  result.phases.handshake_ms = 12345678.9;
  result.phases.total_ms = 0;
  result.tls = TlsDetails{};
  result.tls->version = "TLSv1.3";
  result.tls->insecure = true;
  result.facts["brokers"] = Json::array({Json{{"node_id", 1}, {"advertised", "b-1:9096"}}});
  result.samples = SampleSummary{3, 1, 0.5, 0.6, 0.7, 0.8, 0.9};
  return result;
}

// The scan path writes lines without building a JSON tree; these must stay
// the very bytes the tree would print, or users' parsers see two formats.
TEST(ResultJsonLine, MatchesTheTreeForEveryFieldShape) {
  const ProbeResult full = full_result();
  EXPECT_EQ(appended_line(full), dumped_line(full));
  ProbeResult failed;
  failed.fail(Code::dns_nxdomain, "x does not exist");
  EXPECT_EQ(appended_line(failed), dumped_line(failed));
}

TEST(ResultJsonLine, EscapesQuotesControlsAndInvalidUtf8LikeTheTree) {
  for (const std::string& text : {std::string("say \"hi\"\\ now"), std::string("tab\there\nnewline"),
                                 std::string("caf\xc3\xa9"), std::string("bad \xff\xfe bytes"),
                                 std::string("nul\0inside", 10), std::string("del\x7f")}) {
    ProbeResult result;
    result.target = text;
    result.message = text;
    result.hint = text;
    EXPECT_EQ(appended_line(result), dumped_line(result)) << text;
  }
}

TEST(ResultJsonLine, PrintsMillisecondsLikeTheTree) {
  for (const double ms : {0.0, 0.0004, 0.0005, 0.001, 0.0123, 0.1, 1.0, 2.5, 10.0, 99.999, 1234.5678, 1e6, 3.6e6,
                          123456789.123, 1e14, 9.99e14, 1e15, 1e17, -0.5}) {
    ProbeResult result;
    result.phases.connect_ms = ms;
    result.phases.total_ms = ms * 3.7;
    EXPECT_EQ(appended_line(result), dumped_line(result)) << ms;
  }
  for (int micros = 0; micros < 200000; micros += 7) {
    ProbeResult result;
    result.phases.total_ms = micros / 1000.0 + 0.0001;
    ASSERT_EQ(appended_line(result), dumped_line(result)) << micros;
  }
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;  // xorshift: reproducible spread up to 1e12 ms
  for (int i = 0; i < 100000; ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    ProbeResult result;
    result.phases.connect_ms = static_cast<double>(state % 1000000000000000ULL) / 1000.0;
    result.phases.total_ms = static_cast<double>(state % 1000000007ULL) / 997.0;
    ASSERT_EQ(appended_line(result), dumped_line(result)) << state;
  }
}

}  // namespace
}  // namespace plprobe
