#include "tests/support/detail/loopback_server.h"

#include <array>
#include <exception>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace plprobe::testing::detail {

asio::ip::address loopback_address(const std::string& address) {
  error_code ec;
  const auto parsed = asio::ip::make_address(address, ec);
  if (ec || !parsed.is_loopback()) {
    throw std::invalid_argument(fmt::format("test peers listen on loopback only, not on '{}'", address));
  }
  return parsed;
}

std::uint64_t ConnectionTracker::add(std::function<void()> close) {
  const std::uint64_t id = ++next_id_;
  live_.emplace(id, std::move(close));
  return id;
}

void ConnectionTracker::close_all() {
  closing_ = true;
  // Closing only queues completions (nothing is removed from live_ while
  // this runs), but copy anyway so a close action may safely do more.
  std::vector<std::function<void()>> closers;
  closers.reserve(live_.size());
  for (auto& [id, close] : live_) closers.push_back(close);
  for (auto& close : closers) close();
}

AcceptServer::AcceptServer(const std::string& address) : acceptor_(io_.context()) {
  const tcp::endpoint wanted(loopback_address(address), 0);
  acceptor_.open(wanted.protocol());
  acceptor_.bind(wanted);
  // SOMAXCONN: tests open thousands of connections at once (load probes);
  // the kernel caps it at net.core.somaxconn anyway.
  acceptor_.listen(asio::socket_base::max_listen_connections);
  endpoint_ = acceptor_.local_endpoint();
}

AcceptServer::~AcceptServer() { stop(); }

void AcceptServer::start(Handler handler) {
  handler_ = std::move(handler);
  asio::co_spawn(io_.context(), accept_loop(), asio::detached);
  io_.start();
}

void AcceptServer::stop() {
  io_.stop([this] {
    error_code ignored;
    acceptor_.close(ignored);
    tracker_.close_all();
  });
}

awaitable<void> AcceptServer::accept_loop() {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer backoff(executor);
  for (;;) {
    error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (!acceptor_.is_open() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors (a test of ScopedFdLimit, or thousands of
      // clients in this same process): the pending connection stays in the
      // backlog; try again shortly instead of spinning or giving up. Other
      // errors (ECONNABORTED: the client left first) get the same pause,
      // so an unexpected persistent error cannot spin the thread either.
      backoff.expires_after(std::chrono::milliseconds(5));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    ++accepted_;
    asio::co_spawn(executor, serve(std::move(socket)), asio::detached);
  }
}

awaitable<void> AcceptServer::serve(tcp::socket socket) {
  try {
    co_await handler_(std::move(socket));
  } catch (const boost::system::system_error&) {
    // The client went away or the server is stopping: part of the job.
  } catch (const std::exception& error) {
    fmt::print(stderr, "plprobe::testing: connection handler failed: {}\n", error.what());
  }
}

awaitable<void> receive_loop(asio::ip::udp::socket& socket,
                             std::function<void(std::string_view, const asio::ip::udp::endpoint&)> on_datagram) {
  // 64 KiB: the largest UDP payload, so no datagram is ever truncated.
  std::vector<char> buffer(65536);
  for (;;) {
    error_code ec;
    asio::ip::udp::endpoint from;
    const std::size_t received =
        co_await socket.async_receive_from(asio::buffer(buffer), from, asio::redirect_error(asio::use_awaitable, ec));
    if (!socket.is_open() || ec == asio::error::operation_aborted) co_return;
    // ICMP port unreachable from an earlier reply shows up as
    // connection_refused on Linux; it says nothing about the next datagram.
    if (ec) continue;
    on_datagram(std::string_view(buffer.data(), received), from);
  }
}

}  // namespace plprobe::testing::detail
