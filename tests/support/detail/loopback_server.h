// Building blocks shared by the in-process servers of this library (not for
// tests to use directly): an accept loop on its own IoThread, and
// connections that close themselves at a time limit or when the server
// stops.
//
// Threading: everything here but AcceptServer's public interface runs on
// the server's io thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "common/asio.h"
#include "tests/support/io_thread.h"

namespace plprobe::testing::detail {

// `address` parsed; std::invalid_argument unless it is loopback.
asio::ip::address loopback_address(const std::string& address);

// The open connections of one server, so stopping it can close them all.
class ConnectionTracker {
 public:
  std::uint64_t add(std::function<void()> close);
  void remove(std::uint64_t id) { live_.erase(id); }
  // Closes every live connection; connections added later are closed as
  // soon as they are added.
  void close_all();
  bool closing() const { return closing_; }

 private:
  std::unordered_map<std::uint64_t, std::function<void()>> live_;
  std::uint64_t next_id_ = 0;
  bool closing_ = false;
};

// A stream (tcp::socket or ssl::stream<tcp::socket>) registered with a
// tracker and closed when `limit` passes, so no test peer holds a
// connection forever. Closing the lowest layer ends every pending operation
// with an error, which ends the coroutine serving the connection.
// Shared ownership: the limit timer's handler holds a weak_ptr, so it can
// never touch a connection that is gone.
template <typename Stream>
class LimitedConnection {
 public:
  template <typename... Args>
  static std::shared_ptr<LimitedConnection> open(ConnectionTracker& tracker, std::chrono::milliseconds limit,
                                                 Args&&... stream_args) {
    std::shared_ptr<LimitedConnection> connection(
        new LimitedConnection(tracker, std::forward<Args>(stream_args)...));
    std::weak_ptr<LimitedConnection> weak = connection;
    connection->id_ = tracker.add([weak] {
      if (auto alive = weak.lock()) alive->close();
    });
    connection->timer_.expires_after(limit);
    connection->timer_.async_wait([weak](const error_code& ec) {
      if (ec) return;
      if (auto alive = weak.lock()) {
        alive->limit_reached_ = true;
        alive->close();
      }
    });
    if (tracker.closing()) connection->close();
    return connection;
  }
  ~LimitedConnection() { tracker_.remove(id_); }
  LimitedConnection(const LimitedConnection&) = delete;
  LimitedConnection& operator=(const LimitedConnection&) = delete;

  Stream& stream() { return stream_; }
  tcp::socket& socket() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      return stream_;
    } else {
      return stream_.next_layer();
    }
  }
  bool limit_reached() const { return limit_reached_; }
  void close() {
    error_code ignored;
    stream_.lowest_layer().close(ignored);
  }

 private:
  template <typename... Args>
  explicit LimitedConnection(ConnectionTracker& tracker, Args&&... stream_args)
      : tracker_(tracker), stream_(std::forward<Args>(stream_args)...), timer_(stream_.get_executor()) {}

  ConnectionTracker& tracker_;
  Stream stream_;
  asio::steady_timer timer_;
  std::uint64_t id_ = 0;
  bool limit_reached_ = false;
};

// A listening TCP socket on a loopback address, port 0, whose accept loop
// runs on its own IoThread and spawns one coroutine per connection, so a
// slow or silent client never holds up the next accept.
//
// Lifetime: owners must call stop() in their destructor before any state
// that their handlers use is destroyed (and declare that state before the
// AcceptServer member, so it also outlives a forced stop).
class AcceptServer {
 public:
  using Handler = std::function<awaitable<void>(tcp::socket)>;

  // Binds and listens (throws std::system_error / std::invalid_argument);
  // serves nothing until start().
  explicit AcceptServer(const std::string& address);
  ~AcceptServer();
  AcceptServer(const AcceptServer&) = delete;
  AcceptServer& operator=(const AcceptServer&) = delete;

  void start(Handler handler);
  // Closes the acceptor and every tracked connection, then joins the
  // thread (bounded, see IoThread::stop). Idempotent.
  void stop();

  std::uint16_t port() const { return endpoint_.port(); }
  const tcp::endpoint& endpoint() const { return endpoint_; }
  std::uint64_t accepted() const { return accepted_.load(); }
  ConnectionTracker& tracker() { return tracker_; }

 private:
  awaitable<void> accept_loop();
  awaitable<void> serve(tcp::socket socket);

  Handler handler_;
  ConnectionTracker tracker_;
  std::atomic<std::uint64_t> accepted_{0};
  IoThread io_;  // after the state its handlers use, so it is destroyed first
  tcp::acceptor acceptor_;
  tcp::endpoint endpoint_;
};

// Receives datagrams on `socket` until it is closed and hands each to
// `on_datagram` (on the socket's io thread). Used by the UDP peers.
awaitable<void> receive_loop(asio::ip::udp::socket& socket,
                             std::function<void(std::string_view payload, const asio::ip::udp::endpoint& from)>
                                 on_datagram);

}  // namespace plprobe::testing::detail
