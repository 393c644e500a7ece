// SIGINT/SIGTERM as a stop request that the main thread can wait for.
//
// While a StopSignals lives, SIGINT and SIGTERM write a byte to a pipe (the
// self-pipe trick) instead of ending the process, so it works whichever
// thread the kernel delivers the signal to (load threads, librdkafka's own
// threads). The first signal restores the default action (SA_RESETHAND): a
// second Ctrl-C ends the process at once for a user who will not wait.
// The destructor restores the previous handlers.
//
// Threading: construct, wait and destroy on one thread (the main thread).
// Only one StopSignals may exist at a time.
#pragma once

#include "common/deadline.h"

namespace plprobe::bench {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Waits until `until` (at most one second per call) or a signal; true
  // when a signal arrived (since the last call that returned true).
  bool wait(Clock::time_point until);

 private:
  bool installed_ = false;
};

}  // namespace plprobe::bench
