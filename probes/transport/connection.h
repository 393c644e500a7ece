// One TCP connection that can be upgraded to TLS in the middle of a
// protocol (Postgres and MySQL ask first, then switch), with every wait
// bounded by the probe's Deadline.
//
// Failure behaviour: each call returns a Status with the code of the phase
// it belongs to (connect -> tcp_*, start_tls -> tls_*, read/write ->
// protocol_timeout, protocol_closed, tcp_reset); it never throws.
// Ownership: the connection owns its socket and closes it on destruction
// or close(), on every path. Threading: one io_context thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ssl/stream.hpp>

#include "common/asio.h"
#include "common/deadline.h"
#include "common/result.h"
#include "common/status.h"
#include "probes/transport/tls.h"

namespace plprobe::probes {

class Connection {
 public:
  explicit Connection(asio::any_io_executor executor);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // TCP connect. When the process is out of descriptors it waits and tries
  // again until the deadline (the engine's concurrency cap normally
  // prevents that), so running out of descriptors queues, never fails.
  // `no_delay` sets TCP_NODELAY for request/answer protocols.
  awaitable<Status> connect(const tcp::endpoint& endpoint, Deadline& deadline, bool no_delay = true);

  // TLS handshake over the connected socket. `server_name` is the SNI and
  // the name to verify (an IP literal: no SNI, the address is verified).
  // Fills `details` even when verification fails; the verdict is judge()'s.
  awaitable<Status> start_tls(TlsClientContext& context, std::string_view server_name, Deadline& deadline,
                              TlsDetails& details);

  awaitable<Status> write(asio::const_buffer data, Deadline& deadline);
  awaitable<Status> read_exact(asio::mutable_buffer data, Deadline& deadline);
  // Reads what is there (at least one byte); `received` says how much.
  awaitable<Status> read_some(asio::mutable_buffer data, Deadline& deadline, std::size_t& received);

  // Bytes already received and not read yet (kernel buffer; TLS: decrypted
  // and buffered). Used to refuse data that arrives where none may.
  std::size_t unread_bytes();

  bool tls_active() const { return tls_.has_value(); }
  SSL* ssl() { return tls_ ? tls_->native_handle() : nullptr; }
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : plain_; }
  const tcp::endpoint& peer() const { return peer_; }
  std::string peer_text() const;

  // Graceful close (FIN). Idempotent.
  void close();
  // Abortive close (RST, SO_LINGER 0), as port scanners do: the prober keeps
  // no TIME_WAIT entry, so tens of thousands of probes do not use up the
  // ephemeral ports. Only for connections that carried no application data.
  void abort();

 private:
  template <typename Operation>
  awaitable<error_code> guarded(Deadline& deadline, Operation operation);
  Status io_failure(const error_code& ec, Deadline& deadline, std::string_view doing) const;

  tcp::socket plain_;
  std::optional<asio::ssl::stream<tcp::socket>> tls_;
  tcp::endpoint peer_;
};

}  // namespace plprobe::probes
