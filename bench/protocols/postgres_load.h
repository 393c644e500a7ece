// `plprobe bench postgres`: libpq on N connections, closed or open loop.
//
// Three request kinds, one per run:
//   query     (default) `query` through PQsendQuery (simple protocol, as
//             pgbench -M simple), one at a time per connection;
//   pipeline  `query` in libpq's pipeline mode (PostgreSQL docs 34.5,
//             PQenterPipelineMode, libpq 14+): up to `pipeline` queries in
//             flight per connection, each sent with PQsendQueryParams and
//             followed by its own Sync (PQpipelineSync), so an error
//             aborts only that query; answers arrive in order, and each
//             one's latency runs from its own send (or intended) time;
//   copy      COPY ... FROM STDIN of `copy_bytes` per request into a
//             temporary table (PostgreSQL docs 34.9, "Functions Associated
//             with the COPY Command"); rows of kCopyRowBytes bytes. At the
//             end each connection counts its table's rows (SELECT count(*))
//             and summary() reports both counts.
// libpq is driven non-blocking on the thread's io_context: the socket is
// registered once per connection (PQsocket does not change once the
// connection is up) and waited on with async_wait; no libpq call blocks.
//
// Bytes counted per request: the result's cell bytes (query, pipeline),
// the COPY data (copy). Outcome codes: connect and login failures as the
// postgres probe classifies them (tcp_refused, postgres_auth_failed, ...);
// a query the server fails: postgres_server_error (postgres_server_unavailable
// for shutdown and too-many-connections SQLSTATEs); a connection lost
// mid-request: protocol_closed; no answer within the timeout:
// protocol_timeout.
//
// Secrets: the password goes to libpq only (connection parameters), never
// into a summary or a message.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/protocols/protocol_load.h"
#include "probes/settings.h"

namespace plprobe::bench {

// Width of one COPY row, newline included: a bigint and a text column, a
// size typical of narrow CDC rows and easy to count from a byte size.
inline constexpr std::size_t kCopyRowBytes = 100;

struct PostgresLoadOptions {
  LoadShape shape;
  std::string host;  // IP literal
  std::uint16_t port = 5432;
  std::string user;
  std::string database;                         // empty: the user's name
  std::string password;                         // secret; empty: none
  probes::TlsMode tls = probes::TlsMode::prefer;  // libpq sslmode
  std::string query = "SELECT 1";
  std::size_t pipeline = 0;    // 0: no pipeline mode
  std::uint64_t copy_bytes = 0;  // 0: no COPY
};

// The text row `n` of a COPY: exactly kCopyRowBytes bytes, ending in '\n'.
std::string copy_row(std::uint64_t n);

class PostgresLoad final : public ProtocolLoad {
 public:
  explicit PostgresLoad(PostgresLoadOptions options);
  std::size_t threads() const override;
  void run(std::size_t index, Recorder& recorder, const RunWindow& window) override;
  Json summary() const override;

 private:
  class Worker;
  PostgresLoadOptions options_;
  std::vector<std::pair<std::string, std::string>> parameters_;  // libpq keywords
  std::atomic<std::uint64_t> rows_copied_{0};
  std::atomic<std::uint64_t> rows_counted_{0};
  std::atomic<std::uint64_t> max_in_flight_{0};
  std::atomic<std::uint64_t> pipelined_connections_{0};
};

}  // namespace plprobe::bench
