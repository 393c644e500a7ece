// Bulk TLS straight on the socket, for throughput streams.
//
// Asio's ssl::stream runs OpenSSL over a memory BIO pair: every 16 KiB
// record is encrypted into the pair, copied into Asio's buffer, then sent
// (and the reverse on receive). For bulk transfer that extra copy and the
// smaller writes cost a third of the throughput against tools that let
// OpenSSL use the socket itself (socat). After the handshake and the stream
// hello, while no TLS bytes are buffered on either side, move_to_socket()
// gives the SSL object a socket BIO; write_all()/read_some() then drive
// SSL_write/SSL_read directly and wait for readiness on the Asio loop.
//
// Preconditions: the peer sends nothing between the last read through Asio
// and the switch (true for the stream protocol: serve sends no session
// tickets and nothing after "PLOK" until the end frame; the client sends
// nothing after the hello until it reads "PLOK"). The socket is already in
// non-blocking mode (Asio sets it on the first asynchronous operation).
// Cancellation: cancel() the socket (a Deadline guard does); the waits end
// with operation_aborted. Ownership: the socket BIO never closes the fd.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstddef>

#include "common/asio.h"

namespace plprobe::bench::direct_tls {

// False (and nothing changed) when TLS bytes are already buffered.
inline bool move_to_socket(SSL* ssl, int fd) {
  if (SSL_has_pending(ssl) != 0) return false;
  BIO* bio = BIO_new_socket(fd, BIO_NOCLOSE);
  if (bio == nullptr) return false;
  SSL_set_bio(ssl, bio, bio);  // frees the SSL's half of Asio's BIO pair
  return true;
}

inline awaitable<error_code> write_all(SSL* ssl, tcp::socket& socket, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  error_code ec;
  while (size > 0) {
    ERR_clear_error();
    const int n = SSL_write(ssl, bytes, static_cast<int>(size));
    if (n > 0) {
      bytes += n;
      size -= static_cast<std::size_t>(n);
      continue;
    }
    const int why = SSL_get_error(ssl, n);
    if (why == SSL_ERROR_WANT_WRITE) {
      co_await socket.async_wait(tcp::socket::wait_write, asio::redirect_error(asio::use_awaitable, ec));
    } else if (why == SSL_ERROR_WANT_READ) {
      co_await socket.async_wait(tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_return why == SSL_ERROR_ZERO_RETURN ? error_code(asio::error::eof) : error_code(asio::error::connection_reset);
    }
    if (ec) co_return ec;
  }
  co_return error_code{};
}

inline awaitable<error_code> read_some(SSL* ssl, tcp::socket& socket, void* data, std::size_t size,
                                       std::size_t& received) {
  received = 0;
  error_code ec;
  while (true) {
    ERR_clear_error();
    const int n = SSL_read(ssl, data, static_cast<int>(size));
    if (n > 0) {
      received = static_cast<std::size_t>(n);
      co_return error_code{};
    }
    const int why = SSL_get_error(ssl, n);
    if (why == SSL_ERROR_WANT_READ) {
      co_await socket.async_wait(tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    } else if (why == SSL_ERROR_WANT_WRITE) {
      co_await socket.async_wait(tcp::socket::wait_write, asio::redirect_error(asio::use_awaitable, ec));
    } else if (why == SSL_ERROR_ZERO_RETURN) {
      co_return asio::error::eof;
    } else {
      co_return asio::error::connection_reset;
    }
    if (ec) co_return ec;
  }
}

}  // namespace plprobe::bench::direct_tls
