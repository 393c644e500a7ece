// Waits on the Asio loop for a descriptor that a C library owns (libpq's
// PQsocket(), MariaDB Connector/C's mysql_get_socket()) to become readable
// or writable, bounded by the probe's Deadline and optionally by a timeout
// the library asked for.
//
// Ownership: the descriptor stays the library's. It is registered with the
// io_context's reactor for one wait only and release()d afterwards on every
// path (also when a suspended coroutine is destroyed), so Asio never closes
// it; the library closes it (PQfinish, mysql_close). Libraries may replace
// their socket between two waits (libpq's sslmode=prefer retry), which is
// why nothing is kept registered across waits.
// Threading: the executor's single thread. Never throws.
#pragma once

#include <optional>

#include "common/asio.h"
#include "common/deadline.h"

namespace plprobe::probes {

enum class Readiness {
  ready,            // the descriptor is ready for what was asked
  library_timeout,  // `library_timeout` passed first
  deadline,         // the probe's deadline passed (or had passed already)
  error,            // the descriptor cannot be waited on (closed, invalid): see `error`
};

inline awaitable<Readiness> wait_descriptor(asio::any_io_executor executor, int fd,
                                            asio::posix::descriptor_base::wait_type what, Deadline& deadline,
                                            std::optional<Clock::time_point> library_timeout, error_code& error) {
  error.clear();
  if (deadline.expired()) co_return Readiness::deadline;
  asio::posix::stream_descriptor descriptor(executor);
  descriptor.assign(fd, error);
  if (error) co_return Readiness::error;
  struct Release {
    asio::posix::stream_descriptor& borrowed;
    ~Release() { borrowed.release(); }  // deregisters and cancels; never closes
  } release{descriptor};

  // Two operations may be in flight (the wait and the library's timer).
  // The coroutine resumes only once both have completed, because their
  // handlers refer to these locals; the first to finish cancels the other.
  asio::steady_timer library_timer(executor, library_timeout.value_or(Clock::time_point::max()));
  asio::steady_timer all_done(executor, Clock::time_point::max());
  int pending = 0;
  bool ready = false;
  bool timer_fired = false;
  error_code wait_error;
  auto finish_one = [&] {
    if (--pending == 0) all_done.cancel();
  };
  ++pending;
  descriptor.async_wait(what, [&](const error_code& ec) {
    if (!ec) {
      ready = true;
    } else if (ec != asio::error::operation_aborted) {
      wait_error = ec;
    }
    library_timer.cancel();
    finish_one();
  });
  if (library_timeout) {
    ++pending;
    library_timer.async_wait([&](const error_code& ec) {
      if (!ec) {
        timer_fired = true;
        error_code ignored;
        descriptor.cancel(ignored);
      }
      finish_one();
    });
  }
  {
    auto guard = deadline.on_expiry([&] {
      error_code ignored;
      descriptor.cancel(ignored);
      library_timer.cancel();
    });
    error_code ignored;
    // Handlers run only while this coroutine is suspended (one thread), so
    // `pending` cannot reach zero between the check and the wait.
    while (pending > 0) co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  if (ready) co_return Readiness::ready;
  if (timer_fired) co_return Readiness::library_timeout;
  if (deadline.expired()) co_return Readiness::deadline;
  error = wait_error ? wait_error : make_error_code(asio::error::operation_aborted);
  co_return Readiness::error;
}

}  // namespace plprobe::probes
