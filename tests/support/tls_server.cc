#include "tests/support/tls_server.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <array>
#include <map>
#include <stdexcept>

#include <boost/asio/ssl.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "tests/support/certs.h"
#include "tests/support/detail/loopback_server.h"

namespace plprobe::testing {
namespace {

namespace ssl = asio::ssl;
using Stream = ssl::stream<tcp::socket>;

// The cipher string that lets OpenSSL 3 negotiate TLS 1.0/1.1: at the
// default security level 1 their SHA-1 (and MD5+SHA-1) handshake
// signatures are refused.
constexpr const char* kLegacyCiphers = "DEFAULT:@SECLEVEL=0";

bool needs_legacy_ciphers(int min_version) { return min_version != 0 && min_version < TLS1_2_VERSION; }

void configure_versions(SSL_CTX* context, int min_version, int max_version) {
  if (SSL_CTX_set_min_proto_version(context, min_version) != 1 ||
      SSL_CTX_set_max_proto_version(context, max_version) != 1) {
    throw std::runtime_error(fmt::format("TlsServer: unsupported TLS versions {:#x}..{:#x}", min_version, max_version));
  }
  if (needs_legacy_ciphers(min_version) && SSL_CTX_set_cipher_list(context, kLegacyCiphers) != 1) {
    throw std::runtime_error("TlsServer: OpenSSL refuses the cipher list DEFAULT:@SECLEVEL=0");
  }
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                unsigned int offered_length, void* argument) {
  const auto& [wire, reject] = *static_cast<std::pair<std::vector<unsigned char>, bool>*>(argument);
  unsigned char* selected = nullptr;
  // Server preference: the first of our protocols that the client offers.
  if (SSL_select_next_proto(&selected, out_length, wire.data(), static_cast<unsigned int>(wire.size()), offered,
                            offered_length) == OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return reject ? SSL_TLSEXT_ERR_ALERT_FATAL : SSL_TLSEXT_ERR_NOACK;
}

// Reads and drops what the peer sends until it closes, the connection's
// limit closes it, or the server stops.
awaitable<void> drain(tcp::socket& socket) {
  std::array<char, 4096> sink{};
  for (;;) {
    error_code ec;
    co_await socket.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

struct SslFree {
  void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
  void operator()(SSL_CTX* context) const noexcept { SSL_CTX_free(context); }
};

bool try_version(int version) {
  auto ca = CertificateAuthority::create("plprobe TLS version check");
  LeafSpec spec;
  spec.common_name = "localhost";
  spec.self_signed = true;
  const auto leaf = ca.issue(spec);
  const auto certificate = Certificate::from_pem(leaf.certificate_pem);
  const auto key = KeyPair::from_pem(leaf.private_key_pem);

  std::unique_ptr<SSL_CTX, SslFree> server_context(SSL_CTX_new(TLS_server_method()));
  std::unique_ptr<SSL_CTX, SslFree> client_context(SSL_CTX_new(TLS_client_method()));
  if (!server_context || !client_context) return false;
  for (SSL_CTX* context : {server_context.get(), client_context.get()}) {
    if (SSL_CTX_set_min_proto_version(context, version) != 1 || SSL_CTX_set_max_proto_version(context, version) != 1)
      return false;
    if (needs_legacy_ciphers(version) && SSL_CTX_set_cipher_list(context, kLegacyCiphers) != 1) return false;
  }
  if (SSL_CTX_use_certificate(server_context.get(), certificate.get()) != 1 ||
      SSL_CTX_use_PrivateKey(server_context.get(), key.get()) != 1) {
    return false;
  }
  std::unique_ptr<SSL, SslFree> server(SSL_new(server_context.get()));
  std::unique_ptr<SSL, SslFree> client(SSL_new(client_context.get()));
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  if (!server || !client || BIO_new_bio_pair(&client_bio, 0, &server_bio, 0) != 1) return false;
  // One reference each, passed as both read and write BIO: SSL_free frees it.
  SSL_set_bio(client.get(), client_bio, client_bio);
  SSL_set_bio(server.get(), server_bio, server_bio);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());

  const auto step = [](SSL* ssl, bool& done) {
    if (done) return true;
    const int result = SSL_do_handshake(ssl);
    if (result == 1) {
      done = true;
      return true;
    }
    const int error = SSL_get_error(ssl, result);
    return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE;
  };
  bool client_done = false;
  bool server_done = false;
  // A full handshake is 2 round trips (TLS 1.2) or fewer; 20 turns each
  // leaves room and still ends a handshake that goes nowhere.
  for (int turn = 0; turn < 20 && !(client_done && server_done); ++turn) {
    if (!step(client.get(), client_done) || !step(server.get(), server_done)) break;
  }
  const bool ok = client_done && server_done && SSL_version(client.get()) == version;
  ERR_clear_error();
  return ok;
}

}  // namespace

TlsServer::TlsServer(TlsServerOptions options)
    : options_(std::move(options)), context_(ssl::context::tls_server) {
  SSL_CTX* native = context_.native_handle();
  configure_versions(native, options_.min_version, options_.max_version);
  context_.use_certificate_chain(asio::buffer(options_.certificate_chain_pem));
  context_.use_private_key(asio::buffer(options_.private_key_pem), ssl::context::pem);
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    throw std::runtime_error("TlsServer: the private key does not match the certificate");
  }
  if (!options_.alpn.empty()) {
    auto& wire = alpn_selection_.first;
    for (const auto& protocol : options_.alpn) {
      if (protocol.empty() || protocol.size() > 255) throw std::invalid_argument("TlsServer: bad ALPN protocol name");
      wire.push_back(static_cast<unsigned char>(protocol.size()));
      wire.insert(wire.end(), protocol.begin(), protocol.end());
    }
    alpn_selection_.second = options_.reject_unknown_alpn;
    SSL_CTX_set_alpn_select_cb(native, select_alpn, &alpn_selection_);
  }
  server_ = std::make_unique<detail::AcceptServer>(options_.listen_address);
  server_->start([this](tcp::socket socket) { return serve(std::move(socket)); });
}

TlsServer::~TlsServer() { stop(); }

void TlsServer::stop() { server_->stop(); }

std::uint16_t TlsServer::port() const { return server_->port(); }
const tcp::endpoint& TlsServer::endpoint() const { return server_->endpoint(); }
std::uint64_t TlsServer::accepted() const { return server_->accepted(); }

std::optional<std::string> TlsServer::last_server_name() const {
  std::lock_guard lock(mutex_);
  return last_server_name_;
}

std::string TlsServer::last_alpn() const {
  std::lock_guard lock(mutex_);
  return last_alpn_;
}

awaitable<void> TlsServer::serve(tcp::socket socket) {
  auto connection = detail::LimitedConnection<Stream>::open(server_->tracker(), options_.connection_limit,
                                                            std::move(socket), context_);
  Stream& stream = connection->stream();
  error_code ec;
  co_await stream.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    ++failed_;
    co_return;
  }
  ++completed_;
  {
    SSL* native = stream.native_handle();
    const char* name = SSL_get_servername(native, TLSEXT_NAMETYPE_host_name);
    const unsigned char* alpn = nullptr;
    unsigned int alpn_length = 0;
    SSL_get0_alpn_selected(native, &alpn, &alpn_length);
    std::lock_guard lock(mutex_);
    last_server_name_ = name ? std::optional<std::string>(name) : std::nullopt;
    last_alpn_.assign(reinterpret_cast<const char*>(alpn), alpn_length);
  }

  switch (options_.after_handshake) {
    case TlsServerOptions::After::close:
      // Marking the peer's close_notify as received makes SSL_shutdown
      // send ours and finish at once instead of waiting for the reply
      // (RFC 8446 §6.1 lets the closing side not wait).
      SSL_set_shutdown(stream.native_handle(), SSL_RECEIVED_SHUTDOWN);
      co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
      // FIN now; closing with unread bytes in the receive queue would send
      // RST instead, so drain until the client closes too.
      connection->socket().shutdown(tcp::socket::shutdown_send, ec);
      co_await drain(connection->socket());
      break;
    case TlsServerOptions::After::echo: {
      std::array<char, 16384> buffer{};
      for (;;) {
        const std::size_t n =
            co_await stream.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        co_await asio::async_write(stream, asio::buffer(buffer.data(), n),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
      }
      break;
    }
    case TlsServerOptions::After::hold: {
      std::array<char, 4096> sink{};
      for (;;) {
        co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
      }
      break;
    }
  }
}

bool TlsServer::tls_version_supported(int version) {
  static std::mutex mutex;
  static std::map<int, bool> known;
  std::lock_guard lock(mutex);
  const auto found = known.find(version);
  if (found != known.end()) return found->second;
  bool supported = false;
  try {
    supported = try_version(version);
  } catch (const std::exception&) {
    supported = false;
  }
  known.emplace(version, supported);
  return supported;
}

}  // namespace plprobe::testing
