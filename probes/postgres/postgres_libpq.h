// libpq on the Asio loop: an authenticated PostgreSQL session for the CDC
// readiness queries.
//
// libpq's asynchronous interface (PostgreSQL docs 34.1 "Database Connection
// Control Functions", PQconnectStartParams/PQconnectPoll, and 34.4
// "Asynchronous Command Processing") is driven here from the io_context: each
// time libpq says it waits for its socket to become readable or writable,
// the coroutine waits for exactly that (wait_descriptor, which borrows the
// descriptor and never closes it). libpq's own connect_timeout does not
// apply to PQconnectPoll (34.1), so the probe's Deadline bounds every wait;
// when it passes, the session is finished with PQfinish and the caller gets
// `deadline = true`.
//
// Ownership: a LibpqSession owns one PGconn and frees it (PQfinish, which
// closes libpq's socket) on destruction, on every path. Threading: one
// io_context thread; one operation at a time. Failure behaviour: never
// throws; failures come back as LibpqError with the server's SQLSTATE when
// the server sent one. Secrets: the password is passed to libpq only; no
// error text built here contains it (libpq's messages do not either).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/asio.h"
#include "common/deadline.h"
#include "common/status.h"

// libpq-fe.h's handle, declared here so that users of this header need no
// libpq include path (the library is linked privately).
typedef struct pg_conn PGconn;

namespace plprobe::probes::postgres {

struct LibpqError {
  bool deadline = false;  // the probe's deadline passed first
  std::string severity;   // FATAL, ERROR, ... (empty: the failure was libpq's own)
  std::string sqlstate;   // e.g. 28P01 (empty when the server sent none)
  std::string message;    // one line, without libpq's "connection to server ... failed:" preamble
};

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;  // nullopt: SQL NULL
};

// Splits a libpq error text written with PQERRORS_VERBOSE ("...: FATAL:
// 28P01: password authentication failed for user "x"\nLOCATION: ...") into
// severity, SQLSTATE and message. Pure; exposed for unit tests.
LibpqError parse_libpq_error(std::string_view text);

// A server's refusal (its SQLSTATE, severity and text) as a Status with a
// postgres_* code (Appendix A, "PostgreSQL Error Codes"). `named_user`:
// the user came from the target (not the probe's placeholder). Pure.
Status classify_server_error(const std::string& sqlstate, const std::string& severity, const std::string& text,
                             bool tls_active, bool named_user, const std::string& peer);
// libpq's failure to connect or log in as a Status (tcp_refused,
// postgres_auth_failed, tls_*, ...). Pure; defined in postgres_probe.cc.
Status classify_libpq_error(const LibpqError& error, bool tls_active, bool named_user, const std::string& peer);

class LibpqSession {
 public:
  explicit LibpqSession(asio::any_io_executor executor) : executor_(std::move(executor)) {}
  ~LibpqSession();
  LibpqSession(const LibpqSession&) = delete;
  LibpqSession& operator=(const LibpqSession&) = delete;

  // PQconnectStartParams with these keywords (expand_dbname off), then
  // PQconnectPoll until the connection is up or failed. Returns nullopt on
  // success.
  awaitable<std::optional<LibpqError>> connect(const std::vector<std::pair<std::string, std::string>>& parameters,
                                               Deadline& deadline);

  // One statement with text parameters ($1 ...; nullopt is NULL) through
  // PQsendQueryParams; the rows of its (last) result. On failure `error` is
  // set and the result is empty.
  awaitable<QueryResult> query(const std::string& sql, const std::vector<std::optional<std::string>>& parameters,
                               Deadline& deadline, std::optional<LibpqError>& error);

  PGconn* native() { return conn_; }
  // server_version as the server reported it at start-up (ParameterStatus).
  std::string parameter(const char* name) const;
  // What the connection's TLS is, when it has one ("TLSv1.3"); empty otherwise.
  std::string tls_version() const;

 private:
  awaitable<std::optional<LibpqError>> wait_for(bool write, Deadline& deadline);
  LibpqError connection_error() const;

  asio::any_io_executor executor_;
  PGconn* conn_ = nullptr;
};

}  // namespace plprobe::probes::postgres
