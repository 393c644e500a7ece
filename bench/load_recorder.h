// TEMPORARY recording seam of the protocol drivers, replaced by the bench
// core's per-thread recorder once it is merged: counts only, no histogram.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>

#include "common/codes.h"
#include "common/deadline.h"

namespace plprobe::bench {

class Recorder {
 public:
  void success(Clock::duration latency, std::uint64_t bytes) {
    ++requests_;
    bytes_ += bytes;
    if (latency > max_) max_ = latency;
  }
  void failure(Code code) { ++errors_[code]; }

  std::uint64_t requests() const { return requests_; }
  std::uint64_t bytes() const { return bytes_; }
  Clock::duration max() const { return max_; }
  const std::map<Code, std::uint64_t>& errors() const { return errors_; }

 private:
  std::uint64_t requests_ = 0;
  std::uint64_t bytes_ = 0;
  Clock::duration max_{0};
  std::map<Code, std::uint64_t> errors_;
};

}  // namespace plprobe::bench
