// Load threads: one io_context per thread, nothing shared between them
// (architecture.md, engine rules).
//
// Usage: construct, set up work on each context(i) (co_spawn workers), call
// start(), hand Run::on_stop a lambda that calls stop(), run Run::drive(),
// then join() (or let the destructor do it) before Run::finish().
//
// Ownership: owns the contexts and threads. stop() makes every context
// return without running pending handlers; join() waits for the threads;
// the destructor stops, joins and then destroys the contexts, which
// destroys suspended coroutines and so closes every socket they own: a run
// never leaves sockets or threads behind.
// Threading: start/stop/join from the thread that owns the pool; stop() is
// also safe from any thread.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "common/asio.h"

namespace plprobe::bench {

class IoPool {
 public:
  explicit IoPool(int threads);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  int size() const { return static_cast<int>(contexts_.size()); }
  asio::io_context& context(int i) { return *contexts_[static_cast<std::size_t>(i)]; }

  // One thread per context; each runs until stop() (a work guard keeps an
  // idle context alive).
  void start();
  void stop();
  void join();

 private:
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
};

// The number of load threads to use when the user did not say: the cores
// this process may run on (at least 1).
int default_threads();

}  // namespace plprobe::bench
