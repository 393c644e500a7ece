// Latency histogram with bounded relative error (HdrHistogram's log-linear
// layout): 3 significant decimal digits over 1 us .. 1 h.
//
// Layout: values below 2,048 us have a bucket each (exact); above that every
// power of two is split into 1,024 equal sub-buckets, so a recorded value is
// known to within 1/1,024 (< 0.1%) of itself. 23,552 counters (184 KiB) cover
// 0 .. 3,600,000,000 us; values above 1 h are clamped to 1 h and counted in
// `clamped()`. `min`, `max` and `sum` are kept exactly beside the buckets.
//
// Percentiles follow HdrHistogram: the smallest bucket whose cumulative count
// reaches ceil(p/100 * count), reported as the highest value that bucket can
// hold (so a percentile never understates), clamped to the exact max.
//
// Threading: none; one thread records, merging is done by whoever owns both.
// Failure behaviour: record() never fails; from_json() returns nullopt and
// an explanation for anything that is not a well-formed histogram of this
// exact layout (the check behind `plprobe merge`'s refusal of foreign files).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"  // plprobe::Json

namespace plprobe::bench {

class Histogram {
 public:
  // The layout; a serialised histogram with other values is incompatible.
  static constexpr std::int64_t kLowestUs = 1;
  static constexpr std::int64_t kHighestUs = 3'600'000'000;  // 1 h
  static constexpr int kSignificantDigits = 3;
  static constexpr const char* kLayoutName = "hdr-log-linear-v1";

  Histogram();

  void record(std::int64_t value_us) { record_n(value_us, 1); }
  void record_n(std::int64_t value_us, std::uint64_t times);
  // Adds every count of `other` (same layout by construction).
  void merge(const Histogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t clamped() const { return clamped_; }
  std::int64_t min() const { return count_ ? min_ : 0; }  // exact (after clamping)
  std::int64_t max() const { return count_ ? max_ : 0; }  // exact (after clamping)
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // p in [0, 100]; 0 when empty. percentile(100) == max().
  std::int64_t percentile(double p) const;

  // Sparse form: {"layout", "lowest_us", "highest_us", "significant_digits",
  // "count", "min", "max", "sum", "clamped", "counts": [index, count, ...]}
  // with only the non-zero buckets, in index order.
  Json to_json() const;
  static std::optional<Histogram> from_json(const Json& json, std::string& error);

  // Equality of the buckets and exact fields (for tests and merge checks).
  bool operator==(const Histogram& other) const;

  // Layout internals, exposed for tests and the micro-benchmark.
  static std::size_t index_of(std::int64_t value_us);
  static std::int64_t lowest_equivalent(std::size_t index);
  static std::int64_t highest_equivalent(std::size_t index);
  static std::size_t bucket_slots();

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t clamped_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
  std::uint64_t sum_ = 0;
};

}  // namespace plprobe::bench
