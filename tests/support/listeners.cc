#include "tests/support/listeners.h"

#include <array>
#include <exception>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "tests/support/detail/loopback_server.h"

namespace plprobe::testing {
namespace {

using Connection = detail::LimitedConnection<tcp::socket>;

// Enough to check what a client sent (a request, a handshake); a client
// that streams megabytes should not make the test keep them all.
constexpr std::size_t kRecordLimit = 64 * 1024;

// SO_LINGER on with a zero timeout makes close() abort the connection:
// the kernel sends RST and drops unsent data (the documented way to reset a
// TCP connection from user space).
void reset(Connection& connection) {
  error_code ec;
  connection.socket().set_option(asio::socket_base::linger(true, 0), ec);
  connection.close();
}

}  // namespace

TcpListener::TcpListener(ListenerBehaviour behaviour, std::string bytes_to_send, std::string address)
    : TcpListener(ListenerOptions{behaviour, std::move(bytes_to_send), 0, AfterSend::close, std::move(address),
                                  std::chrono::seconds(30)}) {}

TcpListener::TcpListener(ListenerOptions options)
    : options_(std::move(options)), server_(std::make_unique<detail::AcceptServer>(options_.address)) {
  server_->start([this](tcp::socket socket) { return serve(std::move(socket)); });
}

TcpListener::~TcpListener() { stop(); }

void TcpListener::stop() { server_->stop(); }
std::uint16_t TcpListener::port() const { return server_->port(); }
const tcp::endpoint& TcpListener::endpoint() const { return server_->endpoint(); }
std::uint64_t TcpListener::accepted() const { return server_->accepted(); }

std::vector<std::string> TcpListener::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::size_t TcpListener::new_record() {
  std::lock_guard lock(mutex_);
  received_.emplace_back();
  return received_.size() - 1;
}

void TcpListener::record(std::size_t index, std::string_view data) {
  std::lock_guard lock(mutex_);
  auto& text = received_[index];
  text.append(data.substr(0, kRecordLimit - std::min(kRecordLimit, text.size())));
}

awaitable<void> TcpListener::serve(tcp::socket socket) {
  auto connection = Connection::open(server_->tracker(), options_.connection_limit, std::move(socket));
  auto& peer = connection->socket();
  const std::size_t index = new_record();
  struct Finished {
    std::atomic<std::uint64_t>& count;
    ~Finished() { ++count; }
  } finished{finished_};

  error_code ec;
  std::array<char, 16384> buffer{};
  // Reads until the client closes (EOF), the limit or stop() closes the
  // socket, or an error; records what arrives.
  const auto read_until_closed = [&]() -> awaitable<void> {
    for (;;) {
      const std::size_t n =
          co_await peer.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      record(index, std::string_view(buffer.data(), n));
    }
  };
  // FIN now, then drain: closing a socket with unread data in its receive
  // queue makes Linux send RST instead of FIN (RFC 1122 §4.2.2.13).
  const auto close_gracefully = [&]() -> awaitable<void> {
    peer.shutdown(tcp::socket::shutdown_send, ec);
    co_await read_until_closed();
  };

  switch (options_.behaviour) {
    case ListenerBehaviour::accept_and_close:
      co_await close_gracefully();
      break;
    case ListenerBehaviour::accept_and_reset:
      reset(*connection);
      break;
    case ListenerBehaviour::accept_and_hold:
      co_await read_until_closed();
      break;
    case ListenerBehaviour::echo:
      for (;;) {
        const std::size_t n =
            co_await peer.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        record(index, std::string_view(buffer.data(), n));
        co_await asio::async_write(peer, asio::buffer(buffer.data(), n), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
      }
      break;
    case ListenerBehaviour::accept_and_send: {
      if (options_.read_before_send > 0) {
        std::string request(options_.read_before_send, '\0');
        const std::size_t n = co_await asio::async_read(peer, asio::buffer(request),
                                                        asio::redirect_error(asio::use_awaitable, ec));
        record(index, std::string_view(request.data(), n));
        if (ec) break;
      }
      co_await asio::async_write(peer, asio::buffer(options_.bytes_to_send),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      switch (options_.after_send) {
        case AfterSend::close:
          co_await close_gracefully();
          break;
        case AfterSend::hold:
          co_await read_until_closed();
          break;
        case AfterSend::reset:
          reset(*connection);
          break;
      }
      break;
    }
  }
}

ScriptedListener::ScriptedListener(ConnectionScript script, std::string address,
                                   std::chrono::milliseconds connection_limit)
    : script_(std::move(script)),
      connection_limit_(connection_limit),
      server_(std::make_unique<detail::AcceptServer>(address)) {
  server_->start([this](tcp::socket socket) { return serve(std::move(socket)); });
}

ScriptedListener::~ScriptedListener() { stop(); }

void ScriptedListener::stop() { server_->stop(); }
std::uint16_t ScriptedListener::port() const { return server_->port(); }
const tcp::endpoint& ScriptedListener::endpoint() const { return server_->endpoint(); }
std::uint64_t ScriptedListener::accepted() const { return server_->accepted(); }

awaitable<void> ScriptedListener::serve(tcp::socket socket) {
  auto connection = Connection::open(server_->tracker(), connection_limit_, std::move(socket));
  struct Finished {
    std::atomic<std::uint64_t>& count;
    ~Finished() { ++count; }
  } finished{finished_};
  // Exceptions go up to AcceptServer::serve, which sorts them.
  co_await script_(connection->socket());
}

UdpPeer::UdpPeer(const std::string& address) : socket_(io_.context()) {
  const asio::ip::udp::endpoint wanted(detail::loopback_address(address), 0);
  socket_.open(wanted.protocol());
  socket_.bind(wanted);
  endpoint_ = socket_.local_endpoint();
}

UdpPeer::~UdpPeer() { stop(); }

void UdpPeer::start(std::function<void(std::string_view, const asio::ip::udp::endpoint&)> on_datagram) {
  asio::co_spawn(io_.context(),
                 detail::receive_loop(socket_,
                                      [this, handle = std::move(on_datagram)](
                                          std::string_view payload, const asio::ip::udp::endpoint& from) {
                                        ++received_;
                                        handle(payload, from);
                                      }),
                 asio::detached);
  io_.start();
}

void UdpPeer::stop() {
  io_.stop([this] {
    error_code ignored;
    socket_.close(ignored);
  });
}

SilentUdpServer::SilentUdpServer(std::string address) : UdpPeer(address) {
  start([](std::string_view, const asio::ip::udp::endpoint&) {});
}

SilentUdpServer::~SilentUdpServer() { stop(); }

UdpResponder::UdpResponder(Reply reply, std::string address)
    : UdpResponder(
          Replies([reply = std::move(reply)](std::string_view request) {
            std::vector<std::string> replies;
            if (auto answer = reply(request)) replies.push_back(std::move(*answer));
            return replies;
          }),
          std::move(address)) {}

UdpResponder::UdpResponder(Replies replies, std::string address)
    : UdpPeer(address), replies_(std::move(replies)) {
  start([this](std::string_view request, const asio::ip::udp::endpoint& from) {
    for (const auto& reply : replies_(request)) {
      error_code ec;
      // Synchronous: a loopback datagram is queued at once, and replies in
      // order matter more than overlap here.
      socket().send_to(asio::buffer(reply), from, 0, ec);
      if (!ec) ++answered_;
    }
  });
}

UdpResponder::~UdpResponder() { stop(); }

}  // namespace plprobe::testing
