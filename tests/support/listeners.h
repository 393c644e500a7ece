// Plain TCP and UDP peers on loopback, each an in-process Asio server on a
// thread of its own (IoThread), bound to 127.0.0.1 (or ::1) port 0.
//
// Common contract of every class here:
// - Ownership: owns its thread and sockets; stop() or the destructor closes
//   the listener and every connection and joins the thread (bounded, see
//   IoThread::stop). Idempotent.
// - Threading: the public member functions may be called from any thread;
//   callbacks (ConnectionScript, UdpResponder replies) run on the peer's own
//   thread, one at a time.
// - Failure behaviour: constructors throw std::invalid_argument for a
//   non-loopback address and std::system_error when binding fails. Errors
//   on a connection (the client resets, the server stops) end that
//   connection quietly.
// - No connection outlives its `connection_limit` (default 30 s).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.h"
#include "tests/support/io_thread.h"

namespace plprobe::testing {

namespace detail {
class AcceptServer;
}

enum class ListenerBehaviour {
  accept_and_close,  // FIN right after accept (then drains until the client closes, so no RST)
  accept_and_reset,  // SO_LINGER 0 then close: the client gets RST (ECONNRESET)
  accept_and_hold,   // never speaks; reads and discards until the client closes (or the limit)
  accept_and_send,   // [reads N bytes,] sends fixed bytes, then closes, holds or resets (ListenerOptions)
  echo,              // echoes everything until the client closes
};

// What accept_and_send does once its bytes are sent.
enum class AfterSend {
  close,  // FIN (draining what the client still sends, so no RST)
  hold,   // keep the connection open, reading and discarding, until the client closes
  reset,  // RST
};

struct ListenerOptions {
  ListenerBehaviour behaviour = ListenerBehaviour::accept_and_close;
  // accept_and_send: sent once per connection, byte for byte, whatever it
  // holds (a truncated frame, a 2 GiB length prefix, garbage).
  std::string bytes_to_send;
  // accept_and_send: read exactly this many bytes first (the client's
  // request) before replying. If the client sends fewer and stops, the
  // listener waits for them until the limit. 0: reply right away.
  std::size_t read_before_send = 0;
  AfterSend after_send = AfterSend::close;
  std::string address = "127.0.0.1";
  std::chrono::milliseconds connection_limit = std::chrono::seconds(30);
};

class TcpListener {
 public:
  explicit TcpListener(ListenerBehaviour behaviour, std::string bytes_to_send = {},
                       std::string address = "127.0.0.1");
  explicit TcpListener(ListenerOptions options);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  std::uint16_t port() const;
  const tcp::endpoint& endpoint() const;
  std::uint64_t accepted() const;
  // Connections whose handling has ended (the client closed, the limit
  // passed, or the listener sent RST).
  std::uint64_t finished() const { return finished_.load(); }
  // What each connection received, in the order they were served (the
  // first 64 KiB of each; empty for accept_and_reset, which reads nothing).
  std::vector<std::string> received() const;
  void stop();

 private:
  awaitable<void> serve(tcp::socket socket);
  std::size_t new_record();
  void record(std::size_t index, std::string_view data);

  ListenerOptions options_;
  std::atomic<std::uint64_t> finished_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> received_;
  std::unique_ptr<detail::AcceptServer> server_;
};

// A listener whose every connection runs `script`, a coroutine on the
// listener's thread that gets the connected socket (owned by the listener;
// closed after the script returns or throws, when the limit passes, or when
// the listener stops; pending operations then fail with an error or throw).
// The script may use use_awaitable freely: a boost::system::system_error
// that escapes it ends the connection quietly; any other exception is
// printed to stderr. The script object must stay valid as it is (it is
// stored and called for each connection).
using ConnectionScript = std::function<awaitable<void>(tcp::socket& socket)>;

class ScriptedListener {
 public:
  explicit ScriptedListener(ConnectionScript script, std::string address = "127.0.0.1",
                            std::chrono::milliseconds connection_limit = std::chrono::seconds(30));
  ~ScriptedListener();
  ScriptedListener(const ScriptedListener&) = delete;
  ScriptedListener& operator=(const ScriptedListener&) = delete;

  std::uint16_t port() const;
  const tcp::endpoint& endpoint() const;
  std::uint64_t accepted() const;
  std::uint64_t finished() const { return finished_.load(); }
  void stop();

 private:
  awaitable<void> serve(tcp::socket socket);

  ConnectionScript script_;
  std::chrono::milliseconds connection_limit_;
  std::atomic<std::uint64_t> finished_{0};
  std::unique_ptr<detail::AcceptServer> server_;
};

// A bound UDP socket and a receive loop; the base of the UDP peers.
class UdpPeer {
 public:
  ~UdpPeer();
  UdpPeer(const UdpPeer&) = delete;
  UdpPeer& operator=(const UdpPeer&) = delete;

  std::uint16_t port() const { return endpoint_.port(); }
  const asio::ip::udp::endpoint& endpoint() const { return endpoint_; }
  std::uint64_t received() const { return received_.load(); }  // datagrams
  void stop();

 protected:
  explicit UdpPeer(const std::string& address);
  // Starts the receive loop; `on_datagram` runs on the peer's thread.
  void start(std::function<void(std::string_view, const asio::ip::udp::endpoint&)> on_datagram);
  asio::ip::udp::socket& socket() { return socket_; }

 private:
  std::atomic<std::uint64_t> received_{0};
  IoThread io_;
  asio::ip::udp::socket socket_;
  asio::ip::udp::endpoint endpoint_;
};

// Reads every datagram and never answers: a DNS server that times out.
class SilentUdpServer : public UdpPeer {
 public:
  explicit SilentUdpServer(std::string address = "127.0.0.1");
  ~SilentUdpServer();
};

// Answers datagrams through a callback that sees the request bytes and
// returns the reply (nullopt: no reply), or several replies (sent in order,
// e.g. a spoofed answer before the real one). Replies go back to the
// sender's address and port.
class UdpResponder : public UdpPeer {
 public:
  using Reply = std::function<std::optional<std::string>(std::string_view request)>;
  using Replies = std::function<std::vector<std::string>(std::string_view request)>;

  explicit UdpResponder(Reply reply, std::string address = "127.0.0.1");
  explicit UdpResponder(Replies replies, std::string address = "127.0.0.1");
  ~UdpResponder();

  std::uint64_t answered() const { return answered_.load(); }  // datagrams sent

 private:
  Replies replies_;
  std::atomic<std::uint64_t> answered_{0};
};

}  // namespace plprobe::testing
