// A deadline for a whole test: if the Watchdog still exists `limit` after
// it was made, it prints `what` to stderr and aborts the process, so a test
// that hangs (a peer that never answers, a missed timeout) fails within its
// own deadline instead of hanging the run until CTest's timeout.
//
//   TEST(TcpProbe, TimesOutWhenPeerNeverAccepts) {
//     plprobe::testing::Watchdog watchdog(std::chrono::seconds(5), "TcpProbe.TimesOut...");
//     ...
//   }
//
// Ownership: owns one thread, joined by the destructor (which returns at
// once). Threading: construct and destroy on the same thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace plprobe::testing {

class Watchdog {
 public:
  explicit Watchdog(std::chrono::milliseconds limit, std::string what = {});
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable disarmed_signal_;
  bool disarmed_ = false;
  std::thread thread_;
};

}  // namespace plprobe::testing
