// Runs coroutines concurrently on the caller's executor and resumes when
// all of them have finished (Boost 1.74 has no parallel_group). The first
// exception any task threw is rethrown after all are done.
#pragma once

#include <exception>
#include <vector>

#include "common/asio.h"
#include "common/deadline.h"

namespace plprobe {

inline awaitable<void> when_all(std::vector<awaitable<void>> tasks) {
  auto executor = co_await asio::this_coro::executor;
  std::size_t remaining = tasks.size();
  std::exception_ptr first_error;
  asio::steady_timer all_done(executor, Clock::time_point::max());
  for (auto& task : tasks) {
    asio::co_spawn(executor, std::move(task), [&](std::exception_ptr error) {
      if (error && !first_error) first_error = error;
      if (--remaining == 0) all_done.cancel();
    });
  }
  // Every completion runs on this thread before we resume (the executor is
  // one io_context thread): the last one cancels the timer, so the
  // references captured above stay valid until then.
  if (remaining > 0) {
    error_code ignored;
    co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace plprobe
