#include "bench/load/result_file.h"

#include <gtest/gtest.h>

namespace plprobe::bench {
namespace {

Stats sample_stats(int seed, int n) {
  Stats stats;
  for (int i = 0; i < n; ++i) stats.latency_us.record((i * 7919 + seed * 104729) % 50'000 + 1);
  stats.requests = static_cast<std::uint64_t>(n);
  stats.bytes = static_cast<std::uint64_t>(n) * 100;
  stats.errors["tcp_timeout"] = static_cast<std::uint64_t>(seed);
  return stats;
}

Json result_for(const std::string& host, const Stats& stats, double seconds, const std::string& mode = "connect") {
  RunInfo info{mode, RateKind::connections, true, Json{{"target", "127.0.0.1:5201"}}};
  SummaryInput input{&info, &stats, seconds, static_cast<double>(stats.requests) / seconds,
                     static_cast<double>(stats.bytes) / seconds, false};
  ResultMeta meta{"0.1.0", host, "2026-11-29T22:00:00.000Z", 1, seconds, false};
  return make_result(info, meta, stats, summary_json(input));
}

TEST(ResultFile, RoundTripsEveryField) {
  auto stats = sample_stats(3, 5000);
  auto json = result_for("host-a", stats, 10);
  std::string error;
  auto parsed = parse_result(Json::parse(json.dump()), error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->info.mode, "connect");
  EXPECT_EQ(parsed->info.rate, RateKind::connections);
  EXPECT_EQ(parsed->meta.host, "host-a");
  EXPECT_EQ(parsed->meta.duration_s, 10);
  EXPECT_EQ(parsed->info.settings["target"], "127.0.0.1:5201");
  EXPECT_EQ(parsed->stats.latency_us, stats.latency_us);
  EXPECT_EQ(parsed->stats.errors, stats.errors);
  EXPECT_EQ(parsed->summary["connections_per_s"], 500.0);
  EXPECT_EQ(parsed->summary["latency_us"]["p99"], stats.latency_us.percentile(99));
}

TEST(ResultFile, MergeEqualsOneRunOverTheUnion) {
  auto a = sample_stats(1, 4000);
  auto b = sample_stats(2, 6000);
  std::string error;
  auto pa = parse_result(result_for("a", a, 10), error);
  auto pb = parse_result(result_for("b", b, 10), error);
  ASSERT_TRUE(pa && pb);
  auto merged = merge_results({*pa, *pb}, error);
  ASSERT_TRUE(merged) << error;
  Stats union_stats = a;
  union_stats.merge(b);
  auto parsed = parse_result(*merged, error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->stats.latency_us, union_stats.latency_us);
  EXPECT_EQ(parsed->stats.requests, 10'000u);
  EXPECT_EQ(parsed->stats.errors.at("tcp_timeout"), 3u);
  const auto& summary = (*merged)["summary"];
  EXPECT_EQ(summary["connections_per_s"], 1000.0);  // rates add: 400/s + 600/s
  EXPECT_EQ(summary["latency_us"]["p99"], union_stats.latency_us.percentile(99));
  EXPECT_EQ(summary["latency_us"]["p999"], union_stats.latency_us.percentile(99.9));
  EXPECT_EQ((*merged)["merged_from"].size(), 2u);
  // A merged file merges again.
  auto again = merge_results({*parsed, *pa}, error);
  ASSERT_TRUE(again) << error;
  EXPECT_EQ((*again)["merged_from"].size(), 3u);
}

TEST(ResultFile, MergeRefusesIncompatibleResults) {
  std::string error;
  auto connect = parse_result(result_for("a", sample_stats(1, 10), 1), error);
  auto kafka = parse_result(result_for("b", sample_stats(1, 10), 1, "kafka"), error);
  ASSERT_TRUE(connect && kafka);
  EXPECT_FALSE(merge_results({*connect, *kafka}, error));
  EXPECT_NE(error.find("same mode"), std::string::npos) << error;

  auto json = result_for("a", sample_stats(1, 10), 1);
  json["format_version"] = 99;
  EXPECT_FALSE(parse_result(json, error));
  EXPECT_NE(error.find("version"), std::string::npos) << error;

  json = result_for("a", sample_stats(1, 10), 1);
  json["stats"]["latency_us"]["highest_us"] = 60'000'000;
  EXPECT_FALSE(parse_result(json, error));
  EXPECT_NE(error.find("layout"), std::string::npos) << error;

  EXPECT_FALSE(parse_result(Json{{"format", "something-else"}}, error));
  json = result_for("a", sample_stats(1, 10), 1);
  json.erase("stats");
  EXPECT_FALSE(parse_result(json, error));
}

}  // namespace
}  // namespace plprobe::bench
