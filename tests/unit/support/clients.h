// Small blocking clients for the support tests, each wait bounded.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.h"

#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

namespace plprobe::testing {

// A connected TCP socket on loopback with poll-bounded reads.
class RawClient {
 public:
  struct Read {
    std::string data;
    bool eof = false;
    int error = 0;          // errno of a failed read (ECONNRESET, ...)
    bool timed_out = false; // nothing (no data, no EOF, no error) within the time
  };

  explicit RawClient(const tcp::endpoint& peer) {
    fd_ = ::socket(peer.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket");
    if (::connect(fd_, peer.data(), static_cast<socklen_t>(peer.size())) != 0) {
      connect_error_ = errno;
    }
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  int connect_error() const { return connect_error_; }
  int fd() const { return fd_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool send(std::string_view data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }

  // Reads until `want` bytes arrived, EOF, an error, or `timeout`.
  Read read(std::size_t want, std::chrono::milliseconds timeout) {
    Read result;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buffer[16384];
    while (result.data.size() < want) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd waiting{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&waiting, 1, static_cast<int>(left.count())) == 0) {
        result.timed_out = true;
        return result;
      }
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n > 0) {
        result.data.append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0) {
        result.eof = true;
        return result;
      } else if (errno != EINTR) {
        result.error = errno;
        return result;
      }
    }
    return result;
  }

 private:
  int fd_ = -1;
  int connect_error_ = 0;
};

struct TlsClientOptions {
  std::string ca_pem;          // empty: no verification
  std::string host;            // SNI and name to verify; empty: none
  int min_version = 0;
  int max_version = 0;
  bool legacy_ciphers = false;  // DEFAULT:@SECLEVEL=0, needed for TLS 1.0/1.1
  std::vector<std::string> alpn;
};

// An Asio TLS client whose every step runs its own io_context for at most
// `step_limit`; a step that does not finish closes the socket.
class TlsClient {
 public:
  explicit TlsClient(const TlsClientOptions& options,
                     std::chrono::milliseconds step_limit = std::chrono::seconds(3))
      : context_(asio::ssl::context::tls_client), step_limit_(step_limit) {
    SSL_CTX* native = context_.native_handle();
    SSL_CTX_set_min_proto_version(native, options.min_version);
    SSL_CTX_set_max_proto_version(native, options.max_version);
    if (options.legacy_ciphers) SSL_CTX_set_cipher_list(native, "DEFAULT:@SECLEVEL=0");
    if (!options.ca_pem.empty()) {
      context_.add_certificate_authority(asio::buffer(options.ca_pem));
      context_.set_verify_mode(asio::ssl::verify_peer);
    }
    if (!options.alpn.empty()) {
      std::vector<unsigned char> wire;
      for (const auto& protocol : options.alpn) {
        wire.push_back(static_cast<unsigned char>(protocol.size()));
        wire.insert(wire.end(), protocol.begin(), protocol.end());
      }
      SSL_CTX_set_alpn_protos(native, wire.data(), static_cast<unsigned int>(wire.size()));
    }
    stream_.emplace(io_, context_);
    if (!options.host.empty()) {
      SSL_set_tlsext_host_name(stream_->native_handle(), options.host.c_str());
      if (!options.ca_pem.empty()) stream_->set_verify_callback(asio::ssl::host_name_verification(options.host));
    }
  }

  error_code connect(const tcp::endpoint& peer) {
    return step([&](auto done) { stream_->next_layer().async_connect(peer, done); });
  }
  error_code handshake() {
    return step([&](auto done) { stream_->async_handshake(asio::ssl::stream_base::client, done); });
  }
  error_code connect_and_handshake(const tcp::endpoint& peer) {
    if (auto ec = connect(peer)) return ec;
    return handshake();
  }
  error_code write(std::string_view data) {
    return step([&](auto done) {
      asio::async_write(*stream_, asio::buffer(data), [done](const error_code& ec, std::size_t) { done(ec); });
    });
  }
  error_code read_some(std::string& out) {
    char buffer[16384];
    std::size_t got = 0;
    auto ec = step([&](auto done) {
      stream_->async_read_some(asio::buffer(buffer), [done, &got](const error_code& e, std::size_t n) {
        got = n;
        done(e);
      });
    });
    out.append(buffer, got);
    return ec;
  }
  SSL* native() { return stream_->native_handle(); }
  std::string alpn() {
    const unsigned char* data = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(native(), &data, &length);
    return std::string(reinterpret_cast<const char*>(data), length);
  }

 private:
  error_code step(const std::function<void(std::function<void(const error_code&)>)>& start) {
    error_code result = asio::error::timed_out;
    bool finished = false;
    start([&](const error_code& ec) {
      result = ec;
      finished = true;
    });
    io_.restart();
    io_.run_for(step_limit_);
    if (!finished) {
      error_code ignored;
      stream_->lowest_layer().close(ignored);
      io_.restart();
      io_.run_for(std::chrono::seconds(1));
      result = asio::error::timed_out;
    }
    return result;
  }

  asio::io_context io_;
  asio::ssl::context context_;
  std::optional<asio::ssl::stream<tcp::socket>> stream_;
  std::chrono::milliseconds step_limit_;
};

}  // namespace plprobe::testing
