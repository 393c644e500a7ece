#include "bench/load/io_pool.h"

#include <sched.h>

namespace plprobe::bench {

IoPool::IoPool(int threads) {
  if (threads < 1) threads = 1;
  for (int i = 0; i < threads; ++i) {
    // Concurrency hint 1: each context is run by exactly one thread, so
    // Asio can skip its internal locking.
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.push_back(asio::make_work_guard(*contexts_.back()));
  }
}

IoPool::~IoPool() {
  stop();
  join();
  guards_.clear();
  // Destroying a context destroys its pending handlers, and with them the
  // suspended coroutine frames and the sockets they own.
  contexts_.clear();
}

void IoPool::start() {
  for (auto& context : contexts_) {
    threads_.emplace_back([raw = context.get()] { raw->run(); });
  }
}

void IoPool::stop() {
  for (auto& context : contexts_) context->stop();
}

void IoPool::join() {
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

int default_threads() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

}  // namespace plprobe::bench
