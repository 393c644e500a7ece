#include "bench/load/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include <fmt/core.h>

namespace plprobe::bench {
namespace {

// 3 significant digits need 2 * 10^3 distinct sub-buckets per power of two,
// rounded up to a power of two: 2,048 (HdrHistogram's sizing rule).
constexpr int kSubBucketBits = 11;
constexpr std::int64_t kSubBucketCount = std::int64_t{1} << kSubBucketBits;  // 2048
constexpr int kHalfBits = kSubBucketBits - 1;
constexpr std::int64_t kHalfCount = kSubBucketCount / 2;  // 1024
constexpr std::uint64_t kSubBucketMask = static_cast<std::uint64_t>(kSubBucketCount - 1);

// Buckets needed so that the top one reaches kHighestUs.
constexpr int bucket_count() {
  std::int64_t smallest_untrackable = kSubBucketCount;
  int buckets = 1;
  while (smallest_untrackable <= Histogram::kHighestUs) {
    smallest_untrackable <<= 1;
    ++buckets;
  }
  return buckets;
}
constexpr int kBuckets = bucket_count();
constexpr std::size_t kSlots = static_cast<std::size_t>((kBuckets + 1) * kHalfCount);

}  // namespace

std::size_t Histogram::bucket_slots() { return kSlots; }

std::size_t Histogram::index_of(std::int64_t value) {
  const auto v = static_cast<std::uint64_t>(value);
  const int pow2_ceiling = 64 - std::countl_zero(v | kSubBucketMask);
  const int bucket = pow2_ceiling - (kHalfBits + 1);
  const auto sub_bucket = static_cast<std::int64_t>(v >> bucket);
  return static_cast<std::size_t>(((static_cast<std::int64_t>(bucket) + 1) << kHalfBits) + (sub_bucket - kHalfCount));
}

std::int64_t Histogram::lowest_equivalent(std::size_t index) {
  auto bucket = static_cast<std::int64_t>(index >> kHalfBits) - 1;
  auto sub_bucket = static_cast<std::int64_t>(index & (kHalfCount - 1)) + kHalfCount;
  if (bucket < 0) {
    sub_bucket -= kHalfCount;
    bucket = 0;
  }
  return sub_bucket << bucket;
}

std::int64_t Histogram::highest_equivalent(std::size_t index) {
  auto bucket = static_cast<std::int64_t>(index >> kHalfBits) - 1;
  if (bucket < 0) bucket = 0;
  return lowest_equivalent(index) + (std::int64_t{1} << bucket) - 1;
}

Histogram::Histogram() : counts_(kSlots, 0) {}

void Histogram::record_n(std::int64_t value, std::uint64_t times) {
  if (times == 0) return;
  if (value < 0) value = 0;
  if (value > kHighestUs) {
    value = kHighestUs;
    clamped_ += times;
  }
  counts_[index_of(value)] += times;
  if (count_ == 0 || value < min_) min_ = value;
  if (count_ == 0 || value > max_) max_ = value;
  count_ += times;
  sum_ += static_cast<std::uint64_t>(value) * times;
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < kSlots; ++i) counts_[i] += other.counts_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  if (count_ == 0 || other.max_ > max_) max_ = other.max_;
  count_ += other.count_;
  clamped_ += other.clamped_;
  sum_ += other.sum_;
}

void Histogram::reset() {
  if (count_ == 0) return;
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = clamped_ = sum_ = 0;
  min_ = max_ = 0;
}

std::int64_t Histogram::percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  if (p >= 100.0) return max_;
  auto wanted = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  wanted = std::clamp<std::uint64_t>(wanted, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kSlots; ++i) {
    seen += counts_[i];
    if (seen >= wanted) return std::clamp(highest_equivalent(i), min_, max_);
  }
  return max_;
}

Json Histogram::to_json() const {
  Json counts = Json::array();
  for (std::size_t i = 0; i < kSlots; ++i) {
    if (counts_[i] == 0) continue;
    counts.push_back(i);
    counts.push_back(counts_[i]);
  }
  Json json = Json::object();
  json["layout"] = kLayoutName;
  json["lowest_us"] = kLowestUs;
  json["highest_us"] = kHighestUs;
  json["significant_digits"] = kSignificantDigits;
  json["count"] = count_;
  json["min"] = min();
  json["max"] = max();
  json["sum"] = sum_;
  json["clamped"] = clamped_;
  json["counts"] = std::move(counts);
  return json;
}

std::optional<Histogram> Histogram::from_json(const Json& json, std::string& error) {
  auto fail = [&](std::string why) -> std::optional<Histogram> {
    error = std::move(why);
    return std::nullopt;
  };
  if (!json.is_object()) return fail("the histogram is not a JSON object");
  auto integer = [&](const char* key) -> std::optional<std::int64_t> {
    auto it = json.find(key);
    if (it == json.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<std::int64_t>();
  };
  auto layout = json.find("layout");
  if (layout == json.end() || !layout->is_string() || layout->get<std::string>() != kLayoutName ||
      integer("lowest_us") != kLowestUs || integer("highest_us") != kHighestUs ||
      integer("significant_digits") != kSignificantDigits) {
    return fail(fmt::format("the histogram layout is not {} (1 us .. 1 h, 3 significant digits)", kLayoutName));
  }
  auto count = integer("count"), min = integer("min"), max = integer("max"), sum = integer("sum"),
       clamped = integer("clamped");
  auto counts = json.find("counts");
  if (!count || !min || !max || !sum || !clamped || counts == json.end() || !counts->is_array() ||
      counts->size() % 2 != 0 || *count < 0 || *sum < 0 || *clamped < 0) {
    return fail("the histogram misses count, min, max, sum, clamped or counts, or has negative values");
  }
  Histogram histogram;
  std::uint64_t total = 0;
  std::int64_t previous = -1;
  for (std::size_t i = 0; i < counts->size(); i += 2) {
    const auto& index = (*counts)[i];
    const auto& n = (*counts)[i + 1];
    if (!index.is_number_unsigned() || !n.is_number_unsigned()) return fail("histogram counts must be non-negative integers");
    auto slot = index.get<std::uint64_t>();
    if (slot >= kSlots || static_cast<std::int64_t>(slot) <= previous) {
      return fail("histogram bucket indexes must be increasing and inside the layout");
    }
    previous = static_cast<std::int64_t>(slot);
    histogram.counts_[slot] = n.get<std::uint64_t>();
    total += histogram.counts_[slot];
  }
  if (total != static_cast<std::uint64_t>(*count)) return fail("the histogram's count does not match its buckets");
  if (total > 0 && (*min > *max || *min < 0 || *max > kHighestUs)) return fail("the histogram's min/max are out of range");
  histogram.count_ = total;
  histogram.min_ = total ? *min : 0;
  histogram.max_ = total ? *max : 0;
  histogram.sum_ = static_cast<std::uint64_t>(*sum);
  histogram.clamped_ = static_cast<std::uint64_t>(*clamped);
  return histogram;
}

bool Histogram::operator==(const Histogram& other) const {
  return count_ == other.count_ && clamped_ == other.clamped_ && min() == other.min() && max() == other.max() &&
         sum_ == other.sum_ && counts_ == other.counts_;
}

}  // namespace plprobe::bench
