// An io_context with a thread of its own, stopped within a bounded time.
//
// The servers of this library each run one: the test's thread never runs
// their handlers, so a test can block (run_command, a synchronous client)
// while its peers keep serving.
//
// Lifecycle: construct, queue work on context() (an acceptor loop, a
// receive), start(). The thread runs until the context runs out of work.
// stop(shutdown) runs `shutdown` on the io thread (it should close sockets
// and cancel timers so every pending operation ends), waits up to `grace`
// for the work to run out, and only then stops the context by force. After
// the join, handlers still queued run on the caller's thread, so coroutines
// unwind normally and free what they own.
//
// Threading: context() handlers run on the io thread. start() and stop()
// are for the owning thread only. Destruction calls stop() with no shutdown
// action: owners must call stop(their_shutdown) first.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "common/asio.h"

namespace plprobe::testing {

class IoThread {
 public:
  IoThread() = default;
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  asio::io_context& context() { return context_; }
  void start();
  // Idempotent; returns false when the grace period passed and the context
  // had to be stopped by force (then the owner's shutdown missed something;
  // a message goes to stderr).
  bool stop(const std::function<void()>& shutdown,
            std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  bool running_in_this_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  asio::io_context context_{1};
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable finished_signal_;
  bool finished_ = false;
};

}  // namespace plprobe::testing
