#include "tests/support/watchdog.h"

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

namespace plprobe::testing {

Watchdog::Watchdog(std::chrono::milliseconds limit, std::string what) {
  thread_ = std::thread([this, limit, what = std::move(what)] {
    std::unique_lock lock(mutex_);
    if (disarmed_signal_.wait_for(lock, limit, [this] { return disarmed_; })) return;
    fmt::print(stderr, "\nplprobe::testing::Watchdog: {} still running after its deadline of {} ms; aborting\n",
               what.empty() ? "the test" : what, limit.count());
    std::fflush(stderr);
    std::abort();
  });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    disarmed_ = true;
  }
  disarmed_signal_.notify_all();
  thread_.join();
}

}  // namespace plprobe::testing
