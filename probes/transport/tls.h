// TLS client settings and what a handshake revealed about the server.
//
// Verification policy: the handshake always completes with OpenSSL's
// verification in record-only mode, collecting every verification error
// (untrusted chain, expiry, host name). Then judge() decides: with
// verification on (the default) any error fails the probe before a single
// application byte is sent; with --insecure the errors are still reported,
// loudly, but do not fail it. That way a user always sees the certificate
// and every reason it would be rejected, not only the first one.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include <openssl/ssl.h>

#include "common/result.h"
#include "common/status.h"

namespace plprobe::probes {

struct TlsOptions {
  std::string ca_file;             // empty: the system's trusted CAs
  bool insecure = false;           // report verification errors, do not enforce them
  std::vector<std::string> alpn;   // protocols to offer, e.g. {"h2"}; empty: none
};

// One SSL_CTX shared by every connection of a run (OpenSSL contexts are
// safe to share between threads once configured).
class TlsClientContext {
 public:
  // nullptr and `error` set when the CA file cannot be loaded.
  static std::shared_ptr<TlsClientContext> create(const TlsOptions& options, std::string& error);

  boost::asio::ssl::context& native() { return context_; }
  const TlsOptions& options() const { return options_; }

  // Prepares `ssl` for a handshake with `server_name` (a DNS name or an IP
  // literal): SNI for names only (RFC 6066 §3 forbids IP literals), and the
  // name or address that the certificate must match (RFC 6125).
  // Fills details.sni. Returns false only on OpenSSL allocation failure.
  bool prepare(SSL* ssl, std::string_view server_name, TlsDetails& details) const;

 private:
  TlsClientContext(const TlsOptions& options);
  TlsOptions options_;
  boost::asio::ssl::context context_;
};

// Reads version, cipher, ALPN and the certificate details after a handshake.
void read_session_details(SSL* ssl, TlsDetails& details);

// The verdict on a completed handshake: ok, or the most important
// verification failure (untrusted before expired before name mismatch),
// with a hint that names the certificate's names for a mismatch.
Status judge(const TlsDetails& details, std::string_view server_name);

// Maps a failed handshake's error to tls_protocol_too_old,
// tls_handshake_failed or tcp_reset, with OpenSSL's reason in the message.
Status handshake_failure(const boost::system::error_code& ec, std::string_view peer);

}  // namespace plprobe::probes
