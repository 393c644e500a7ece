// An in-process TLS server on loopback for tests of TLS clients.
//
// It runs its own io_context on its own thread (IoThread), accepts on
// 127.0.0.1 (or ::1) port 0, and serves every connection in a coroutine of
// its own: a client that never speaks holds up nobody, and each connection
// is closed after `connection_limit` whatever it is doing. Thousands of
// concurrent clients are fine (bounded by the process's descriptor limit;
// see ScopedFdLimit).
//
// Ownership: owns its thread, sockets and SSL_CTX. stop() or the destructor
// closes the listener and every connection and joins the thread (bounded:
// see IoThread::stop). Threading: the public member functions may be
// called from any thread; the counters are atomics.
// Failure behaviour: the constructor throws (std::system_error from Asio,
// std::runtime_error from OpenSSL) when the certificate or key is unusable,
// the versions are impossible or the address is not loopback. Failed
// handshakes are counted, never thrown.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/asio.h"

#include <boost/asio/ssl/context.hpp>

namespace plprobe::testing {

namespace detail {
class AcceptServer;
}

struct TlsServerOptions {
  std::string certificate_chain_pem;  // leaf first, then intermediates (IssuedCert::chain_pem)
  std::string private_key_pem;
  // OpenSSL version constants (TLS1_VERSION ... TLS1_3_VERSION); 0 = the
  // library's limit. A minimum below TLS 1.2 also sets the cipher list to
  // "DEFAULT:@SECLEVEL=0", the only way OpenSSL 3 agrees to speak TLS 1.0
  // or 1.1 (their signatures use SHA-1); check tls10_supported() first.
  int min_version = TLS1_2_VERSION;
  int max_version = 0;
  // Server-side ALPN (RFC 7301): the first of these that the client also
  // offers is selected. Empty: ALPN is ignored.
  std::vector<std::string> alpn;
  // RFC 7301 §3.2: no common protocol -> fatal no_application_protocol
  // alert. false: go on without ALPN instead (what some servers do).
  bool reject_unknown_alpn = true;

  enum class After {
    close,  // send close_notify, then FIN (the rest of what the client sends is drained, so no RST)
    echo,   // echo application data back until the client closes
    hold,   // say nothing, read and discard until the client closes
  };
  After after_handshake = After::close;
  std::string listen_address = "127.0.0.1";  // or "::1"; loopback only
  // Every connection is closed by then, handshake or not.
  std::chrono::milliseconds connection_limit = std::chrono::seconds(10);
};

class TlsServer {
 public:
  explicit TlsServer(TlsServerOptions options);
  ~TlsServer();
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  std::uint16_t port() const;
  const tcp::endpoint& endpoint() const;

  std::uint64_t accepted() const;
  std::uint64_t handshakes_completed() const { return completed_.load(); }
  std::uint64_t handshakes_failed() const { return failed_.load(); }
  // SNI of the latest completed handshake; nullopt when the client sent
  // none (or no handshake completed yet).
  std::optional<std::string> last_server_name() const;
  // ALPN protocol selected in the latest completed handshake; empty: none.
  std::string last_alpn() const;

  // Idempotent; the counters stay readable afterwards.
  void stop();

  // Whether this OpenSSL build and configuration can complete a TLS
  // handshake at `version` (TLS1_VERSION, ...) at all: tried once per
  // version, client and server in memory (BIO pair), then cached.
  // Thread-safe.
  static bool tls_version_supported(int version);
  static bool tls10_supported() { return tls_version_supported(TLS1_VERSION); }

 private:
  awaitable<void> serve(tcp::socket socket);

  // Declared before server_: coroutines use them until server_ has stopped.
  TlsServerOptions options_;
  // ALPN wire format (RFC 7301 §3.1) and reject_unknown_alpn, for the
  // OpenSSL selection callback.
  std::pair<std::vector<unsigned char>, bool> alpn_selection_;
  asio::ssl::context context_;
  std::atomic<std::uint64_t> completed_{0};
  std::atomic<std::uint64_t> failed_{0};
  mutable std::mutex mutex_;
  std::optional<std::string> last_server_name_;
  std::string last_alpn_;
  std::unique_ptr<detail::AcceptServer> server_;
};

}  // namespace plprobe::testing
