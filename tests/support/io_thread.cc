#include "tests/support/io_thread.h"

#include <exception>

#include <fmt/format.h>

namespace plprobe::testing {

IoThread::~IoThread() { stop({}); }

void IoThread::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    try {
      context_.run();
    } catch (const std::exception& error) {
      // A handler threw: a bug in a test peer. Report it and end the thread;
      // the peer's clients then see their connections stall and time out.
      fmt::print(stderr, "plprobe::testing: io thread stopped by an exception: {}\n", error.what());
    }
    std::lock_guard lock(mutex_);
    finished_ = true;
    finished_signal_.notify_all();
  });
}

bool IoThread::stop(const std::function<void()>& shutdown, std::chrono::milliseconds grace) {
  bool clean = true;
  if (thread_.joinable()) {
    if (shutdown) asio::post(context_, shutdown);
    std::unique_lock lock(mutex_);
    if (!finished_signal_.wait_for(lock, grace, [this] { return finished_; })) {
      fmt::print(stderr, "plprobe::testing: io thread still busy {} ms after shutdown; stopping it\n", grace.count());
      clean = false;
      context_.stop();
    }
    lock.unlock();
    thread_.join();
  } else if (shutdown) {
    // Never started, or already joined: run the shutdown here, so sockets
    // that were opened before start() are still closed.
    asio::post(context_, shutdown);
  }
  // Completions of the shutdown (operation_aborted) and anything queued
  // after the thread ended run here, so coroutine frames unwind instead of
  // being destroyed with the context. Bounded: each round only runs what is
  // ready, and an unfinished wait (a timer the shutdown missed) stays for
  // the context's destructor.
  context_.restart();
  for (int round = 0; round < 1000 && context_.poll() > 0; ++round) {
  }
  return clean;
}

}  // namespace plprobe::testing
