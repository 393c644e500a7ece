#include "probes/transport/connection.h"

#include <cerrno>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "common/address_text.h"

namespace plprobe::probes {
namespace {

// How long to wait before retrying a socket() that failed for lack of
// descriptors: long enough for other probes to finish and close theirs,
// short next to any useful deadline.
constexpr auto kDescriptorRetryDelay = std::chrono::milliseconds(2);

bool out_of_descriptors(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec.value() == ENFILE || ec == asio::error::no_buffer_space;
}

}  // namespace

Connection::Connection(asio::any_io_executor executor) : plain_(std::move(executor)) {}

Connection::~Connection() { close(); }

std::string Connection::peer_text() const {
  return endpoint_text(peer_.address(), peer_.port());
}

void Connection::close() {
  error_code ignored;
  socket().close(ignored);
}

void Connection::abort() {
  error_code ignored;
  auto& lowest = socket();
  if (lowest.is_open()) lowest.set_option(asio::socket_base::linger(true, 0), ignored);
  lowest.close(ignored);
}

std::size_t Connection::unread_bytes() {
  error_code ec;
  std::size_t pending = socket().available(ec);
  if (tls_) pending += static_cast<std::size_t>(SSL_pending(tls_->native_handle()));
  return ec ? 0 : pending;
}

// Runs one asynchronous operation with the deadline armed to cancel the
// socket: the operation then completes with operation_aborted, and the
// caller sees deadline.expired().
template <typename Operation>
awaitable<error_code> Connection::guarded(Deadline& deadline, Operation operation) {
  if (deadline.expired()) co_return asio::error::timed_out;
  auto guard = deadline.on_expiry([this] {
    error_code ignored;
    socket().cancel(ignored);
  });
  error_code ec;
  co_await operation(asio::redirect_error(asio::use_awaitable, ec));
  if (ec && deadline.expired()) ec = asio::error::timed_out;
  co_return ec;
}

awaitable<Status> Connection::connect(const tcp::endpoint& endpoint, Deadline& deadline, bool no_delay) {
  peer_ = endpoint;
  error_code ec;
  while (true) {
    plain_.open(endpoint.protocol(), ec);
    if (!ec || !out_of_descriptors(ec) || deadline.expired()) break;
    asio::steady_timer pause(plain_.get_executor());
    pause.expires_after(kDescriptorRetryDelay);
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) {
    co_return Status::failure(deadline.expired() ? Code::tcp_timeout : Code::tcp_error,
                              fmt::format("cannot open a socket for {}: {}", peer_text(), ec.message()),
                              "The machine is out of sockets or descriptors: lower --concurrency or raise 'ulimit -n'.");
  }
  ec = co_await guarded(deadline, [&](auto token) { return plain_.async_connect(endpoint, token); });
  if (!ec) {
    error_code ignored;
    if (no_delay) plain_.set_option(tcp::no_delay(true), ignored);  // small request/answer exchanges
    co_return Status::success();
  }
  close();
  const std::string peer = peer_text();
  if (ec == asio::error::timed_out) {
    co_return Status::failure(Code::tcp_timeout, fmt::format("no answer to TCP connect from {} before the deadline", peer));
  }
  if (ec == asio::error::connection_refused) {
    co_return Status::failure(Code::tcp_refused, fmt::format("{} refused the connection", peer));
  }
  if (ec == asio::error::connection_reset) {
    co_return Status::failure(Code::tcp_reset, fmt::format("{} reset the connection", peer));
  }
  if (ec == asio::error::host_unreachable || ec == asio::error::network_unreachable) {
    co_return Status::failure(Code::tcp_unreachable, fmt::format("{} is unreachable: {}", peer, ec.message()));
  }
  co_return Status::failure(Code::tcp_error, fmt::format("connect to {} failed: {}", peer, ec.message()));
}

awaitable<Status> Connection::start_tls(TlsClientContext& context, std::string_view server_name, Deadline& deadline,
                                        TlsDetails& details) {
  tls_.emplace(std::move(plain_), context.native());
  if (!context.prepare(tls_->native_handle(), server_name, details)) {
    co_return Status::failure(Code::tls_handshake_failed, "cannot prepare the TLS session (out of memory?)");
  }
  auto ec = co_await guarded(deadline, [&](auto token) {
    return tls_->async_handshake(asio::ssl::stream_base::client, token);
  });
  if (ec == asio::error::timed_out) {
    close();
    co_return Status::failure(Code::tls_timeout,
                              fmt::format("{} accepted TCP but did not complete a TLS handshake before the deadline",
                                          peer_text()));
  }
  if (ec) {
    close();
    co_return handshake_failure(ec, peer_text());
  }
  read_session_details(tls_->native_handle(), details);
  co_return Status::success();
}

Status Connection::io_failure(const error_code& ec, Deadline& deadline, std::string_view doing) const {
  const std::string peer = peer_text();
  if (ec == asio::error::timed_out || deadline.expired()) {
    return Status::failure(Code::protocol_timeout, fmt::format("{} did not answer while {} before the deadline", peer, doing));
  }
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    return Status::failure(Code::protocol_closed, fmt::format("{} closed the connection while {}", peer, doing));
  }
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
    return Status::failure(Code::tcp_reset, fmt::format("{} reset the connection while {}", peer, doing));
  }
  return Status::failure(Code::tcp_error, fmt::format("{} while {}: {}", peer, doing, ec.message()));
}

awaitable<Status> Connection::write(asio::const_buffer data, Deadline& deadline) {
  auto ec = co_await guarded(deadline, [&](auto token) {
    return tls_ ? asio::async_write(*tls_, data, token) : asio::async_write(plain_, data, token);
  });
  co_return ec ? io_failure(ec, deadline, "sending a request") : Status::success();
}

awaitable<Status> Connection::read_exact(asio::mutable_buffer data, Deadline& deadline) {
  auto ec = co_await guarded(deadline, [&](auto token) {
    return tls_ ? asio::async_read(*tls_, data, token) : asio::async_read(plain_, data, token);
  });
  co_return ec ? io_failure(ec, deadline, "waiting for an answer") : Status::success();
}

awaitable<Status> Connection::read_some(asio::mutable_buffer data, Deadline& deadline, std::size_t& received) {
  received = 0;
  if (deadline.expired()) co_return io_failure(asio::error::timed_out, deadline, "waiting for an answer");
  auto guard = deadline.on_expiry([this] {
    error_code ignored;
    socket().cancel(ignored);
  });
  error_code ec;
  received = tls_ ? co_await tls_->async_read_some(data, asio::redirect_error(asio::use_awaitable, ec))
                  : co_await plain_.async_read_some(data, asio::redirect_error(asio::use_awaitable, ec));
  co_return ec ? io_failure(ec, deadline, "waiting for an answer") : Status::success();
}

}  // namespace plprobe::probes
