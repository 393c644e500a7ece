#include "bench/load/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace plprobe::bench {
namespace {

// The exact percentile the way Histogram defines it: the value at rank
// ceil(p/100 * n) in sorted order.
std::int64_t exact_percentile(std::vector<std::int64_t> values, double p) {
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  return values[rank - 1];
}

void expect_within_precision(std::int64_t got, std::int64_t exact, double p) {
  // 3 significant digits: within 1/1024 of the value (plus one unit at the bottom).
  const double tolerance = std::max(1.0, static_cast<double>(exact) / 1024.0);
  EXPECT_GE(got, exact) << "p" << p << " understates";
  EXPECT_LE(static_cast<double>(got - exact), tolerance) << "p" << p << " exact " << exact << " got " << got;
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (int v = 0; v < 2048; ++v) h.record(v);
  for (int v = 0; v < 2048; ++v) {
    EXPECT_EQ(Histogram::lowest_equivalent(Histogram::index_of(v)), v);
    EXPECT_EQ(Histogram::highest_equivalent(Histogram::index_of(v)), v);
  }
  EXPECT_EQ(h.count(), 2048u);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 2047);
  EXPECT_EQ(h.percentile(50), 1023);
}

TEST(Histogram, BucketsCoverTheRangeWithBoundedRelativeError) {
  for (std::int64_t v : std::vector<std::int64_t>{2048, 2049, 4095, 100'000, 123'456'789, 3'599'999'999, Histogram::kHighestUs}) {
    auto index = Histogram::index_of(v);
    ASSERT_LT(index, Histogram::bucket_slots()) << v;
    EXPECT_LE(Histogram::lowest_equivalent(index), v);
    EXPECT_GE(Histogram::highest_equivalent(index), v);
    EXPECT_LE(Histogram::highest_equivalent(index) - Histogram::lowest_equivalent(index), v / 1024) << v;
  }
}

TEST(Histogram, PercentilesMatchExactOnesOnKnownDistributions) {
  std::mt19937_64 random(42);
  std::lognormal_distribution<double> lognormal(std::log(800.0), 1.2);  // latency-like, long tail
  std::uniform_int_distribution<std::int64_t> uniform(1, 5'000'000);
  std::exponential_distribution<double> exponential(1.0 / 20'000);
  for (int shape = 0; shape < 3; ++shape) {
    Histogram h;
    std::vector<std::int64_t> values;
    for (int i = 0; i < 200'000; ++i) {
      std::int64_t v = shape == 0   ? static_cast<std::int64_t>(lognormal(random))
                       : shape == 1 ? uniform(random)
                                    : static_cast<std::int64_t>(exponential(random));
      values.push_back(v);
      h.record(v);
    }
    for (double p : {1.0, 25.0, 50.0, 90.0, 99.0, 99.9, 99.99}) {
      expect_within_precision(h.percentile(p), exact_percentile(values, p), p);
    }
    EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
    EXPECT_EQ(h.min(), *std::min_element(values.begin(), values.end()));
    EXPECT_EQ(h.percentile(100), h.max());
    double sum = 0;
    for (auto v : values) sum += static_cast<double>(v);
    EXPECT_DOUBLE_EQ(h.mean(), sum / static_cast<double>(values.size()));
  }
}

TEST(Histogram, ClampsValuesAboveOneHourAndCountsThem) {
  Histogram h;
  h.record(Histogram::kHighestUs * 2);
  h.record(-5);
  EXPECT_EQ(h.clamped(), 1u);
  EXPECT_EQ(h.max(), Histogram::kHighestUs);
  EXPECT_EQ(h.min(), 0);
}

TEST(Histogram, MergeEqualsOneHistogramOverTheUnion) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> dist(std::log(5000.0), 1.5);
  Histogram a, b, c, all;
  for (int i = 0; i < 30'000; ++i) {
    auto v = static_cast<std::int64_t>(dist(random));
    (i % 3 == 0 ? a : i % 3 == 1 ? b : c).record(v);
    all.record(v);
  }
  Histogram merged;
  merged.merge(a);
  merged.merge(b);
  merged.merge(c);
  EXPECT_EQ(merged, all);
  for (double p : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(merged.percentile(p), all.percentile(p));
}

TEST(Histogram, JsonRoundTripIsSparseAndExact) {
  Histogram h;
  for (int i = 1; i <= 1000; ++i) h.record(i * 997);
  h.record_n(42, 5);
  auto json = h.to_json();
  EXPECT_EQ(json["counts"].size() % 2, 0u);
  EXPECT_LT(json["counts"].size(), 2 * 1001u + 1);  // only non-zero buckets
  std::string error;
  auto back = Histogram::from_json(Json::parse(json.dump()), error);
  ASSERT_TRUE(back.has_value()) << error;
  EXPECT_EQ(*back, h);
}

TEST(Histogram, FromJsonRefusesOtherLayoutsAndCorruptCounts) {
  Histogram h;
  h.record(10);
  h.record(5000);
  std::string error;

  auto other_layout = h.to_json();
  other_layout["significant_digits"] = 2;
  EXPECT_FALSE(Histogram::from_json(other_layout, error));
  EXPECT_NE(error.find("layout"), std::string::npos) << error;

  auto wrong_count = h.to_json();
  wrong_count["count"] = 3;
  EXPECT_FALSE(Histogram::from_json(wrong_count, error));

  auto out_of_range = h.to_json();
  out_of_range["counts"] = Json::array({999'999, 1, 1'000'000, 1});
  EXPECT_FALSE(Histogram::from_json(out_of_range, error));

  auto negative = h.to_json();
  negative["counts"][1] = -1;
  EXPECT_FALSE(Histogram::from_json(negative, error));

  EXPECT_FALSE(Histogram::from_json(Json::array(), error));
}

}  // namespace
}  // namespace plprobe::bench
