#include "validator/probe_results.h"

#include <gtest/gtest.h>

#include "tests/unit/validator/fixtures.h"
#include "validator/input_error.h"

namespace plprobe::validator {
namespace {

using testing::fixture;

TEST(ProbeResults, ReadsTheResultContract) {
  auto records = load_probe_results(fixture("probes/results-broken.jsonl"));
  ASSERT_EQ(records.size(), 13u);
  const auto& first = records[0];
  EXPECT_EQ(first.outcome, "dns_nxdomain");
  EXPECT_FALSE(first.address.has_value());  // null address
  EXPECT_EQ(first.source, fixture("probes/results-broken.jsonl") + ":1");
  const auto& tls = records[6];
  EXPECT_EQ(tls.outcome, "tls_hostname_mismatch");
  EXPECT_EQ(tls.tls_verified, false);
  EXPECT_EQ(tls.tls_sans.size(), 1u);
  const auto& kafka = records[9];
  ASSERT_EQ(kafka.brokers.size(), 2u);
  EXPECT_EQ(kafka.brokers[1].node_id, "2");  // numbers become text
  EXPECT_EQ(kafka.brokers[1].port, 9093);
  EXPECT_EQ(kafka.brokers[1].outcome, "tcp_timeout");
  EXPECT_EQ(records[12].outcome, "quic_handshake_failed");  // unknown codes are kept
}

TEST(ProbeResults, BlankLinesAreSkippedAndBadLinesNamed) {
  auto path = fixture("probes/results-not-json.jsonl");
  try {
    load_probe_results(path);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": line 3 is not JSON"), std::string::npos) << e.what();
  }
}

TEST(ProbeResults, RejectsObjectsThatAreNotResults) {
  EXPECT_THROW(parse_probe_lines("[1,2]\n", "x.jsonl"), InputError);
  EXPECT_THROW(parse_probe_lines(R"({"id":"subnet_no_free_28","severity":"error"})", "x.jsonl"), InputError);
  EXPECT_TRUE(parse_probe_lines("\n  \n", "x.jsonl").empty());
  EXPECT_THROW(load_probe_results(fixture("malformed/empty.json")), InputError);
}

}  // namespace
}  // namespace plprobe::validator
