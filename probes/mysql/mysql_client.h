// MariaDB Connector/C on the Asio loop: an authenticated MySQL/MariaDB
// session for the CDC readiness queries.
//
// Connector/C's non-blocking API (MariaDB "Non-blocking Client Library":
// mysql_real_connect_start/_cont, mysql_real_query_start/_cont, ...) is
// driven from the io_context: whenever a *_start/_cont call returns a wait
// status (MYSQL_WAIT_READ, MYSQL_WAIT_WRITE, MYSQL_WAIT_TIMEOUT), the
// coroutine waits for exactly that on mysql_get_socket() (wait_descriptor,
// which borrows the descriptor and never closes it) or for
// mysql_get_timeout_value_ms(). The probe's Deadline bounds every wait; when
// it passes, the socket is shut down so that the pending operation fails at
// once, and the caller gets `deadline = true`.
//
// TLS: the probe verifies the server's certificate itself on its own
// connection (judge(), as for tls://), then pins that very certificate here
// by its fingerprint (MARIADB_OPT_TLS_PEER_FP): Connector/C 3.3
// cannot verify a host name other than the address it connects to, and the
// password must reach only the server the probe has verified.
//
// Ownership: owns one MYSQL handle and frees it (mysql_close, which closes
// Connector/C's socket) on destruction, on every path. Threading: one
// io_context thread; one operation at a time. SIGPIPE is blocked around
// every Connector/C call (its OpenSSL writes use plain write()), and one it
// raised is consumed, as libpq does. Failure behaviour: never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/deadline.h"

// mysql.h's handle, declared here so that users of this header need no
// Connector/C include path.
struct st_mysql;

namespace plprobe::probes::mysql {

struct ClientError {
  bool deadline = false;  // the probe's deadline passed first
  unsigned code = 0;      // server error (1045, ...) or client error (2002, 2026, ...)
  std::string sql_state;
  std::string message;
};

struct ConnectOptions {
  std::string address;  // IP literal: Connector/C resolves nothing
  std::uint16_t port = 3306;
  std::string user;
  std::string password;  // secret: passed to Connector/C only
  bool tls = false;      // require TLS
  // The DER of the certificate to pin (the one the probe verified); empty:
  // no pinning (then TLS is encryption only). The session pins it by the
  // strongest digest its Connector/C compares: SHA-256 from 3.4 on, SHA-1 in
  // 3.3 (Debian 12). A SHA-1 pin still binds the connection to that
  // certificate: matching it would take a second preimage, not a collision.
  std::string tls_certificate_der;
};

// Hex digest of `der` as Connector/C's MARIADB_OPT_TLS_PEER_FP takes it:
// SHA-256 when this Connector/C compares SHA-256 (3.4+), SHA-1 otherwise.
std::string peer_fingerprint(const std::string& der);

struct Rows {
  std::vector<std::vector<std::optional<std::string>>> rows;  // nullopt: SQL NULL
};

class ClientSession {
 public:
  explicit ClientSession(asio::any_io_executor executor);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  // nullopt on success.
  awaitable<std::optional<ClientError>> connect(const ConnectOptions& options, Deadline& deadline);
  // One statement and its (stored) result rows.
  awaitable<Rows> query(const std::string& sql, Deadline& deadline, std::optional<ClientError>& error);
  // COM_PING (mysql_ping): one round trip on a logged-in session; nullopt
  // when the server answered OK.
  awaitable<std::optional<ClientError>> ping(Deadline& deadline);
  // Shuts the socket down (both directions), so that a pending operation
  // fails at once; for callers that end a session from outside it.
  void shutdown();
  // COM_QUIT and close, bounded by the deadline (the destructor closes what is left).
  awaitable<void> close(Deadline& deadline);

  std::string server_version() const;
  std::string tls_version() const;  // "TLSv1.3", or empty without TLS

 private:
  enum class Drive {
    finished,  // the operation completed normally
    cut_short, // the deadline (or a failed wait) came first; the operation was made to fail and completed
    abandoned, // cut short and still not complete after kMaxStepsAfterAbort steps
  };
  template <typename Start, typename Resume>
  awaitable<Drive> drive(st_mysql* handle, Start start, Resume resume, Deadline& deadline);
  ClientError last_error() const;

  asio::any_io_executor executor_;
  st_mysql* mysql_ = nullptr;
  bool aborted_ = false;
};

}  // namespace plprobe::probes::mysql
