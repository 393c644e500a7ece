#include "bench/load/connect.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <atomic>
#include <memory>

#include <boost/asio/ssl/stream.hpp>

#include "bench/load/pacer.h"
#include "bench/load/socket_codes.h"

namespace plprobe::bench {
namespace {

struct Slot {
  tcp::socket* socket = nullptr;  // while a connect or handshake is in flight
  Clock::time_point since{};
  bool timed_out = false;
};

struct ThreadLoad {
  Run& run;
  Recorder& recorder;
  const ConnectSettings& settings;
  asio::io_context& io;
  std::optional<Pacer> pacer;
  std::vector<Slot> slots;
  std::size_t next_endpoint = 0;
  std::atomic<std::uint64_t> held{0};  // read by the main thread when the run stops
  asio::steady_timer sweep;

  ThreadLoad(Run& r, Recorder& rec, const ConnectSettings& s, asio::io_context& context)
      : run(r), recorder(rec), settings(s), io(context), sweep(context) {}

  const tcp::endpoint& endpoint() {
    const auto& e = settings.endpoints[next_endpoint];
    if (++next_endpoint == settings.endpoints.size()) next_endpoint = 0;
    return e;
  }
};

// RST on close: the connection carried no data, and the prober keeps no
// TIME_WAIT entry (tens of thousands of connects a second would otherwise
// exhaust the ephemeral ports).
void abort_close(tcp::socket& socket) {
  const linger abort_on_close{1, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  error_code ignored;
  socket.close(ignored);
}

// One sweep timer per thread cancels connects and handshakes older than the
// timeout; its period bounds how late a timeout is noticed (a quarter of it).
awaitable<void> sweeper(ThreadLoad& load) {
  const auto period = std::clamp<Clock::duration>(load.settings.timeout / 4, std::chrono::milliseconds(5),
                                                  std::chrono::milliseconds(250));
  error_code ec;
  while (!load.run.stopped()) {
    load.sweep.expires_after(period);
    co_await load.sweep.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    const auto now = Clock::now();
    for (auto& slot : load.slots) {
      if (slot.socket != nullptr && !slot.timed_out && now - slot.since >= load.settings.timeout) {
        slot.timed_out = true;
        error_code ignored;
        slot.socket->cancel(ignored);
      }
    }
  }
}

awaitable<void> wait_until(asio::steady_timer& timer, Clock::time_point at) {
  if (at <= Clock::now()) co_return;
  error_code ec;
  timer.expires_at(at);
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// A non-blocking connect and one wait for writability, then SO_ERROR: what
// Asio's async_connect does minus its extra poll() per connect.
awaitable<void> connect(tcp::socket& socket, const tcp::endpoint& endpoint, error_code& ec) {
  socket.non_blocking(true, ec);
  if (ec) co_return;
  if (::connect(socket.native_handle(), endpoint.data(), static_cast<socklen_t>(endpoint.size())) == 0) co_return;
  if (errno != EINPROGRESS) {
    ec = error_code(errno, asio::error::get_system_category());
    co_return;
  }
  co_await socket.async_wait(tcp::socket::wait_write, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error != 0) ec = error_code(error, asio::error::get_system_category());
}

awaitable<void> worker(ThreadLoad& load, std::size_t index) {
  auto& slot = load.slots[index];
  asio::steady_timer pace(load.io);
  const bool tls = load.settings.tls != nullptr;
  TlsDetails details;
  // One socket object per worker, reopened for every connect: constructing
  // an Asio socket looks its service up under a lock, opening one does not.
  tcp::socket plain(load.io);
  while (!load.run.stopped()) {
    Clock::time_point start;
    if (load.pacer) {
      start = load.pacer->next();
      co_await wait_until(pace, start);
      if (load.run.stopped()) break;
    } else {
      start = Clock::now();
    }
    const auto& endpoint = load.endpoint();
    error_code ec;
    std::optional<asio::ssl::stream<tcp::socket>> stream;
    if (tls) stream.emplace(load.io, load.settings.tls->native());
    tcp::socket& socket = tls ? stream->next_layer() : plain;
    socket.open(endpoint.protocol(), ec);
    if (ec) {
      // Out of descriptors: count it, pause briefly instead of spinning.
      load.recorder.failure(start, name(Code::tcp_error));
      co_await wait_until(pace, Clock::now() + std::chrono::milliseconds(10));
      continue;
    }
    slot.socket = &socket;
    slot.since = Clock::now();
    slot.timed_out = false;
    co_await connect(socket, endpoint, ec);
    const bool connected = !ec;
    if (!ec && tls) {
      details = TlsDetails{};
      if (!load.settings.tls->prepare(stream->native_handle(), load.settings.server_name, details)) {
        ec = asio::error::no_memory;
      } else {
        co_await stream->async_handshake(asio::ssl::stream_base::client,
                                         asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) {
          probes::read_session_details(stream->native_handle(), details);
          auto verdict = probes::judge(details, load.settings.server_name);
          if (!verdict.ok()) {
            slot.socket = nullptr;
            load.recorder.failure(start, name(verdict.code));
            abort_close(socket);
            continue;
          }
        } else if (!slot.timed_out) {
          slot.socket = nullptr;
          load.recorder.failure(start, name(probes::handshake_failure(ec, "").code));
          abort_close(socket);
          continue;
        }
      }
    }
    slot.socket = nullptr;
    if (ec) {
      load.recorder.failure(start, name(slot.timed_out ? (connected ? Code::tls_timeout : Code::tcp_timeout)
                                                        : connect_failure_code(ec)));
      abort_close(socket);
      continue;
    }
    load.recorder.success(start, Clock::now());
    if (!load.settings.hold) {
      abort_close(socket);
      continue;
    }
    // Hold: wait until the peer closes (then count it and reconnect) or the
    // run ends (the pool stops; destroying the frame closes the socket).
    ++load.held;
    co_await socket.async_wait(tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    --load.held;
    if (load.run.stopped()) break;
    load.recorder.failure(Clock::now(), name(Code::protocol_closed));
    abort_close(socket);
  }
}


// The plain closed-loop case (what connect-rate comparisons measure), lean
// on purpose: the thread's connects live in an epoll set of their own,
// which the Asio loop watches as one descriptor. Per connect that is
// socket, connect, epoll_ctl, getsockopt, setsockopt, close, as in a bare
// non-blocking connect loop; Asio's per-socket registration (two epoll_ctl
// and an ioctl more) is skipped. Timeouts: the loop wakes every `period`
// and closes connects older than the timeout.
class FastConnects {
 public:
  explicit FastConnects(std::size_t slots) : fds_(slots, -1), since_(slots) {}
  ~FastConnects() {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  FastConnects(const FastConnects&) = delete;
  FastConnects& operator=(const FastConnects&) = delete;
  std::vector<int> fds_;
  std::vector<Clock::time_point> since_;
};

void close_with_reset(int fd) {
  const linger abort_on_close{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  ::close(fd);
}

awaitable<void> fast_loop(ThreadLoad& load, std::size_t workers) {
  const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll < 0) co_return;
  asio::posix::stream_descriptor waiter(load.io, epoll);  // owns and closes the epoll set
  FastConnects state(workers);
  std::vector<epoll_event> events(std::min<std::size_t>(workers, 256));
  const auto period = std::clamp<Clock::duration>(load.settings.timeout / 4, std::chrono::milliseconds(5),
                                                  std::chrono::milliseconds(250));
  asio::steady_timer wake(load.io);
  auto finish = [&](std::size_t slot, int error) {
    const int fd = state.fds_[slot];
    state.fds_[slot] = -1;
    if (error == 0) {
      load.recorder.success(state.since_[slot], Clock::now());
    } else {
      load.recorder.failure(state.since_[slot],
                            name(connect_failure_code(error_code(error, asio::error::get_system_category()))));
    }
    close_with_reset(fd);
  };
  auto start = [&](std::size_t slot) {
    // Immediate outcomes (loopback can refuse at once) loop here; the
    // bound keeps one slot from starving the event loop.
    for (int attempt = 0; attempt < 64 && !load.run.stopped(); ++attempt) {
      const auto& endpoint = load.endpoint();
      state.since_[slot] = Clock::now();
      const int fd = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        load.recorder.failure(state.since_[slot], name(Code::tcp_error));
        return;  // out of descriptors: retried on the next wake-up
      }
      state.fds_[slot] = fd;
      if (::connect(fd, endpoint.data(), static_cast<socklen_t>(endpoint.size())) == 0) {
        finish(slot, 0);
        continue;
      }
      if (errno != EINPROGRESS) {
        finish(slot, errno);
        continue;
      }
      epoll_event event{};
      event.events = EPOLLOUT;
      event.data.u64 = slot;
      if (::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) != 0) {
        finish(slot, errno);
        continue;
      }
      return;
    }
  };
  // The wake-up handler may run after this coroutine has returned (its
  // cancel() completes later), so what it touches is shared, not local.
  struct Wake {
    bool armed = false;
    asio::posix::stream_descriptor* waiter = nullptr;
  };
  auto shared = std::make_shared<Wake>();
  shared->waiter = &waiter;
  error_code ec;
  while (!load.run.stopped()) {
    for (std::size_t slot = 0; slot < workers; ++slot) {
      if (state.fds_[slot] < 0) start(slot);
    }
    if (!shared->armed) {
      // Wakes the wait below now and then, to enforce the timeout.
      shared->armed = true;
      wake.expires_after(period);
      wake.async_wait([shared](const error_code& e) {
        shared->armed = false;
        if (!e && shared->waiter != nullptr) {
          error_code ignored;
          shared->waiter->cancel(ignored);
        }
      });
    }
    co_await waiter.async_wait(asio::posix::stream_descriptor::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    const int ready = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 0);
    for (int i = 0; i < ready; ++i) {
      const auto slot = static_cast<std::size_t>(events[static_cast<std::size_t>(i)].data.u64);
      int error = 0;
      socklen_t length = sizeof error;
      if (::getsockopt(state.fds_[slot], SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
      finish(slot, error);  // close() also leaves the epoll set
    }
    const auto now = Clock::now();
    for (std::size_t slot = 0; slot < workers; ++slot) {
      if (state.fds_[slot] >= 0 && now - state.since_[slot] >= load.settings.timeout) {
        finish(slot, ETIMEDOUT);
      }
    }
  }
  shared->waiter = nullptr;
  wake.cancel();
}

class ConnectLoadImpl final : public ConnectLoad {
 public:
  std::vector<std::unique_ptr<ThreadLoad>> threads;
  std::uint64_t held() const override {
    std::uint64_t n = 0;
    for (const auto& thread : threads) n += thread->held.load(std::memory_order_relaxed);
    return n;
  }
};

}  // namespace

std::unique_ptr<ConnectLoad> start_connect_load(Run& run, IoPool& pool, const ConnectSettings& settings) {
  auto load = std::make_unique<ConnectLoadImpl>();
  const int threads = pool.size();
  for (int t = 0; t < threads; ++t) {
    auto& context = pool.context(t);
    auto thread = std::make_unique<ThreadLoad>(run, run.recorder(t), settings, context);
    // Split workers (and the rate) evenly; the first threads take the remainder.
    const int workers = settings.concurrency / threads + (t < settings.concurrency % threads ? 1 : 0);
    if (settings.rate) {
      thread->pacer.emplace(*settings.rate / threads, run.started());
    }
    // Ports of a range are spread over the threads so they do not all start
    // at the same port.
    if (!settings.endpoints.empty()) {
      thread->next_endpoint = settings.endpoints.size() * static_cast<std::size_t>(t) / static_cast<std::size_t>(threads);
    }
    thread->slots.resize(static_cast<std::size_t>(std::max(workers, 0)));
    auto* raw = thread.get();
    if (!settings.tls && !settings.rate && !settings.hold) {
      if (workers > 0) asio::co_spawn(context, fast_loop(*raw, static_cast<std::size_t>(workers)), asio::detached);
    } else {
      asio::co_spawn(context, sweeper(*raw), asio::detached);
      for (int w = 0; w < workers; ++w) {
        asio::co_spawn(context, worker(*raw, static_cast<std::size_t>(w)), asio::detached);
      }
    }
    load->threads.push_back(std::move(thread));
  }
  return load;
}

}  // namespace plprobe::bench
