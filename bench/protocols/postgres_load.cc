#include "bench/protocols/postgres_load.h"

#include <libpq-fe.h>

#include <algorithm>
#include <deque>

#include <fmt/format.h>

#include "bench/protocols/thread_loop.h"
#include "probes/postgres/postgres_libpq.h"

namespace plprobe::bench {
namespace {

using probes::postgres::LibpqError;
using probes::postgres::LibpqSession;

// COPY data goes to libpq in pieces of this size: large enough for few
// calls, small enough that libpq's output buffer stays small.
constexpr std::size_t kCopyChunk = 64 * 1024;

const char* sslmode(probes::TlsMode mode) {
  switch (mode) {
    case probes::TlsMode::disable:
      return "disable";
    case probes::TlsMode::prefer:
      return "prefer";
    case probes::TlsMode::require:
      return "require";
    case probes::TlsMode::verify_full:
      return "verify-full";
  }
  return "prefer";
}

// A failed result (PGRES_FATAL_ERROR) as an outcome code.
Code result_failure(const PGresult* result) {
  const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
  return probes::postgres::classify_server_error(sqlstate != nullptr ? sqlstate : "",
                                                 severity != nullptr ? severity : "", "", false, true, "")
      .code;
}

std::uint64_t cell_bytes(const PGresult* result) {
  std::uint64_t bytes = 0;
  const int rows = PQntuples(result);
  const int columns = PQnfields(result);
  for (int row = 0; row < rows; ++row) {
    for (int column = 0; column < columns; ++column) bytes += static_cast<std::uint64_t>(PQgetlength(result, row, column));
  }
  return bytes;
}

struct ResultGuard {
  PGresult* result;
  ~ResultGuard() { PQclear(result); }
};

}  // namespace

std::string copy_row(std::uint64_t n) {
  std::string row = fmt::format("{:020d}\t", n);
  row.append(kCopyRowBytes - row.size() - 1, 'x');
  row.push_back('\n');
  return row;
}

// One thread's connections. Each connection is one coroutine: connect and
// log in (LibpqSession, bounded by the timeout), then requests until the
// window ends or the connection breaks (then, after a pause, again).
class PostgresLoad::Worker {
 public:
  Worker(PostgresLoad& load, Recorder& recorder, const RunWindow& window, std::size_t first, std::size_t count)
      : load_(load), options_(load.options_), recorder_(recorder), loop_(window, options_.shape.timeout),
        first_(first) {
    loop_.resize(count);
  }

  void run() {
    loop_.run([this](std::size_t slot) { return connection(slot); });
  }

 private:
  // Why a request loop ended.
  enum class End { stopped, failed };

  awaitable<void> connection(std::size_t slot) {
    Schedule pacer(options_.shape, first_ + slot, loop_.window().start);
    while (!loop_.stopping()) {
      Code failure = Code::ok;
      {
        LibpqSession session(loop_.executor());
        failure = co_await connect(session);
        if (failure == Code::ok) failure = co_await serve(session, slot, pacer);
      }  // PQfinish: the socket is closed before any pause
      if (failure != Code::ok && !loop_.stopping()) {
        recorder_.failure(Clock::now(), name(failure));
        co_await loop_.sleep_until(Clock::now() + kReconnectPause);
      }
    }
    loop_.finished();
  }

  awaitable<Code> connect(LibpqSession& session) {
    Deadline deadline(loop_.executor(), std::min(Clock::now() + options_.shape.timeout, loop_.window().end));
    auto error = co_await session.connect(load_.parameters_, deadline);
    if (!error) co_return Code::ok;
    if (loop_.stopping()) co_return Code::ok;  // cut short by the window's end: not a failure
    co_return probes::postgres::classify_libpq_error(*error, false, true, "").code;
  }

  awaitable<Code> serve(LibpqSession& session, std::size_t slot, Schedule& pacer) {
    PGconn* conn = session.native();
    if (PQsetnonblocking(conn, 1) != 0) co_return Code::protocol_closed;
    if (options_.pipeline > 0 && PQenterPipelineMode(conn) != 1) co_return Code::postgres_server_error;
    if (options_.pipeline > 0 && PQpipelineStatus(conn) == PQ_PIPELINE_ON) load_.pipelined_connections_++;

    Code failure = Code::ok;
    std::uint64_t copied = 0;  // rows this connection's COPYs reported
    {
      // Registered once for the connection's life; released (never closed:
      // libpq owns the descriptor) before LibpqSession waits on it again.
      asio::posix::stream_descriptor socket(loop_.executor());
      error_code ec;
      socket.assign(PQsocket(conn), ec);
      if (ec) co_return Code::tcp_error;
      auto& state = loop_.slots()[slot];
      state.timed_out = false;
      state.cancel = [&socket] {
        error_code ignored;
        socket.cancel(ignored);
      };
      if (options_.pipeline > 0) {
        failure = co_await pipelined(conn, socket, state, pacer);
      } else if (options_.copy_bytes > 0) {
        failure = co_await command(conn, socket, state, "CREATE TEMPORARY TABLE plprobe_bench_copy (n bigint, pad text)");
        if (failure == Code::ok) failure = co_await copies(conn, socket, state, pacer, copied);
      } else {
        failure = co_await queries(conn, socket, state, pacer);
      }
      state.cancel = nullptr;
      state.busy_since = Clock::time_point::max();
      socket.release();
    }
    // Counted only on a connection that finished its last COPY (one the
    // window's end cut off holds an open COPY and an unknown row count).
    if (options_.copy_bytes > 0 && failure == Code::ok && PQtransactionStatus(conn) == PQTRANS_IDLE) {
      co_await count_rows(session, copied);
    }
    co_return failure;
  }

  // Waits for the socket; false when cancelled (window over or timeout) or broken.
  awaitable<bool> wait(asio::posix::stream_descriptor& socket, asio::posix::descriptor_base::wait_type what) {
    error_code ec;
    co_await socket.async_wait(what, asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
  }

  // Why a wait or a libpq call failed, as an outcome (ok: the run is over).
  Code interrupted(ThreadLoop::Slot& state) {
    if (state.timed_out) return Code::protocol_timeout;
    if (loop_.stopping()) return Code::ok;
    return Code::protocol_closed;
  }

  // Sends what libpq holds; false when the connection broke or the wait was cancelled.
  awaitable<bool> flush(PGconn* conn, asio::posix::stream_descriptor& socket) {
    while (true) {
      const int pending = PQflush(conn);
      if (pending == 0) co_return true;
      if (pending < 0) co_return false;
      // 34.4: wait until writable (or readable: the server may be sending
      // and needs us to read first), then flush again.
      const bool ok = co_await wait(socket, asio::posix::descriptor_base::wait_write);
      if (!ok) co_return false;
      if (PQconsumeInput(conn) == 0) co_return false;
    }
  }

  // Reads until PQgetResult would not block; false when the connection broke or the wait was cancelled.
  awaitable<bool> until_ready(PGconn* conn, asio::posix::stream_descriptor& socket) {
    while (PQisBusy(conn) != 0) {
      const bool ok = co_await wait(socket, asio::posix::descriptor_base::wait_read);
      if (!ok) co_return false;
      if (PQconsumeInput(conn) == 0) co_return false;
    }
    co_return true;
  }

  // The start of the next request's latency: its intended time (open loop,
  // after waiting for it) or now. nullopt when the run ended while waiting.
  awaitable<std::optional<Clock::time_point>> next_start(Schedule& pacer) {
    if (!pacer.open_loop()) co_return Clock::now();
    const auto intended = pacer.next();
    const bool ok = co_await loop_.sleep_until(intended);
    if (!ok) co_return std::nullopt;
    co_return intended;
  }

  awaitable<Code> queries(PGconn* conn, asio::posix::stream_descriptor& socket, ThreadLoop::Slot& state,
                          Schedule& pacer) {
    while (!loop_.stopping()) {
      const auto start = co_await next_start(pacer);
      if (!start) break;
      state.busy_since = Clock::now();
      if (PQsendQuery(conn, options_.query.c_str()) != 1) co_return interrupted(state);
      bool ok = co_await flush(conn, socket);
      if (!ok) co_return interrupted(state);
      Code failure = Code::ok;
      std::uint64_t bytes = 0;
      while (true) {
        ok = co_await until_ready(conn, socket);
        if (!ok) co_return interrupted(state);
        PGresult* result = PQgetResult(conn);
        if (result == nullptr) break;
        ResultGuard guard{result};
        const auto status = PQresultStatus(result);
        if (status == PGRES_TUPLES_OK || status == PGRES_SINGLE_TUPLE) {
          bytes += cell_bytes(result);
        } else if (status != PGRES_COMMAND_OK && status != PGRES_EMPTY_QUERY && failure == Code::ok) {
          failure = status == PGRES_FATAL_ERROR ? result_failure(result) : Code::postgres_server_error;
        }
      }
      state.busy_since = Clock::time_point::max();
      if (failure == Code::ok) {
        recorder_.success(*start, Clock::now(), bytes);
      } else {
        recorder_.failure(Clock::now(), name(failure));
      }
      if (PQstatus(conn) != CONNECTION_OK) co_return Code::protocol_closed;
    }
    co_return Code::ok;
  }

  // Keeps up to `pipeline` queries in flight; answers come back in order.
  awaitable<Code> pipelined(PGconn* conn, asio::posix::stream_descriptor& socket, ThreadLoop::Slot& state,
                            Schedule& pacer) {
    std::deque<Clock::time_point> in_flight;  // latency start of each query sent, oldest first
    std::uint64_t max_in_flight = 0;
    Code outcome = Code::ok;
    while (true) {
      const auto now = Clock::now();
      // Send while there is room (and, open loop, while a send is due).
      bool sent = false;
      while (!loop_.stopping() && in_flight.size() < options_.pipeline &&
             (!pacer.open_loop() || pacer.peek() <= now)) {
        const auto start = pacer.open_loop() ? pacer.next() : now;
        if (PQsendQueryParams(conn, options_.query.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) != 1 ||
            PQpipelineSync(conn) != 1) {
          outcome = interrupted(state);
          break;
        }
        in_flight.push_back(start);
        sent = true;
      }
      if (outcome != Code::ok) break;
      max_in_flight = std::max<std::uint64_t>(max_in_flight, in_flight.size());
      if (in_flight.empty()) {
        if (loop_.stopping()) break;
        // Open loop and nothing due: sleep until the next send.
        const bool ok = co_await loop_.sleep_until(pacer.peek());
        if (!ok) break;
        continue;
      }
      state.busy_since = std::min(state.busy_since, now);
      if (sent) {
        const bool ok = co_await flush(conn, socket);
        if (!ok) {
          outcome = interrupted(state);
          break;
        }
      }
      // Wait for the next answer, but not past the next due send.
      if (PQisBusy(conn) != 0) {
        if (pacer.open_loop() && in_flight.size() < options_.pipeline) {
          const bool ready = co_await wait_or_until(socket, pacer.peek());
          if (!ready) {
            if (state.timed_out || loop_.stopping() || !socket.is_open()) {
              outcome = interrupted(state);
              break;
            }
            continue;  // a send is due
          }
        } else {
          const bool ok = co_await wait(socket, asio::posix::descriptor_base::wait_read);
          if (!ok) {
            outcome = interrupted(state);
            break;
          }
        }
        if (PQconsumeInput(conn) == 0) {
          outcome = interrupted(state);
          break;
        }
      }
      // Each query yields its result, then NULL; each Sync a
      // PGRES_PIPELINE_SYNC (34.5.1.2). A query that failed aborts the
      // rest of its own segment only, which holds nothing else.
      int idle_nulls = 0;
      while (!in_flight.empty() && PQisBusy(conn) == 0) {
        PGresult* result = PQgetResult(conn);
        if (result == nullptr) {
          if (++idle_nulls > 2) break;
          continue;
        }
        idle_nulls = 0;
        ResultGuard guard{result};
        const auto status = PQresultStatus(result);
        if (status == PGRES_PIPELINE_SYNC) continue;
        const auto start = in_flight.front();
        in_flight.pop_front();
        if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_SINGLE_TUPLE) {
          recorder_.success(start, Clock::now(), cell_bytes(result));
        } else {
          recorder_.failure(Clock::now(), name(status == PGRES_FATAL_ERROR ? result_failure(result) : Code::postgres_server_error));
        }
      }
      state.busy_since = in_flight.empty() ? Clock::time_point::max() : Clock::now();
      if (PQstatus(conn) != CONNECTION_OK) {
        outcome = interrupted(state);
        break;
      }
      if (loop_.stopping() && in_flight.empty()) break;
    }
    std::uint64_t seen = load_.max_in_flight_.load();
    while (max_in_flight > seen && !load_.max_in_flight_.compare_exchange_weak(seen, max_in_flight)) {
    }
    co_return outcome;
  }

  // Readable before `at`: true; false when `at` came first or the wait was cancelled.
  awaitable<bool> wait_or_until(asio::posix::stream_descriptor& socket, Clock::time_point at) {
    asio::steady_timer timer(loop_.io(), at);
    bool readable = false;
    bool timer_done = false;
    bool wait_done = false;
    asio::steady_timer both(loop_.io(), Clock::time_point::max());
    socket.async_wait(asio::posix::descriptor_base::wait_read, [&](const error_code& ec) {
      readable = !ec;
      wait_done = true;
      timer.cancel();
      if (timer_done) both.cancel();
    });
    timer.async_wait([&](const error_code&) {
      timer_done = true;
      error_code ignored;
      if (!wait_done) socket.cancel(ignored);
      if (wait_done) both.cancel();
    });
    error_code ignored;
    while (!(wait_done && timer_done)) co_await both.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    co_return readable;
  }

  // One statement without rows (set-up), as an outcome.
  awaitable<Code> command(PGconn* conn, asio::posix::stream_descriptor& socket, ThreadLoop::Slot& state,
                          const char* sql) {
    state.busy_since = Clock::now();
    if (PQsendQuery(conn, sql) != 1) co_return interrupted(state);
    bool ok = co_await flush(conn, socket);
    if (!ok) co_return interrupted(state);
    Code failure = Code::ok;
    while (true) {
      ok = co_await until_ready(conn, socket);
      if (!ok) co_return interrupted(state);
      PGresult* result = PQgetResult(conn);
      if (result == nullptr) break;
      ResultGuard guard{result};
      if (PQresultStatus(result) == PGRES_FATAL_ERROR && failure == Code::ok) failure = result_failure(result);
    }
    state.busy_since = Clock::time_point::max();
    co_return failure;
  }

  awaitable<Code> copies(PGconn* conn, asio::posix::stream_descriptor& socket, ThreadLoop::Slot& state, Schedule& pacer,
                         std::uint64_t& copied) {
    const std::uint64_t rows_per_copy = (options_.copy_bytes + kCopyRowBytes - 1) / kCopyRowBytes;
    std::string data;
    std::uint64_t next_row = 0;
    while (!loop_.stopping()) {
      const auto start = co_await next_start(pacer);
      if (!start) break;
      state.busy_since = Clock::now();
      // Once started, a COPY runs to its end (bounded by the timeout) so
      // that the rows the server holds are exactly the rows reported.
      state.finish_in_flight = true;
      struct Unmark {
        ThreadLoop::Slot& slot;
        ~Unmark() { slot.finish_in_flight = false; }
      } unmark{state};
      if (PQsendQuery(conn, "COPY plprobe_bench_copy FROM STDIN") != 1) co_return interrupted(state);
      bool ok = co_await flush(conn, socket);
      if (!ok) co_return interrupted(state);
      ok = co_await until_ready(conn, socket);
      if (!ok) co_return interrupted(state);
      {
        PGresult* result = PQgetResult(conn);
        if (result == nullptr) co_return Code::postgres_server_error;
        ResultGuard guard{result};
        if (PQresultStatus(result) != PGRES_COPY_IN) {
          const Code failure = PQresultStatus(result) == PGRES_FATAL_ERROR ? result_failure(result)
                                                                            : Code::postgres_server_error;
          // Drain to the end of this command, then go on with the next.
          while (PGresult* rest = PQgetResult(conn)) PQclear(rest);
          recorder_.failure(Clock::now(), name(failure));
          continue;
        }
      }
      std::uint64_t rows_left = rows_per_copy;
      while (rows_left > 0) {
        data.clear();
        while (rows_left > 0 && data.size() + kCopyRowBytes <= kCopyChunk) {
          data.append(copy_row(next_row++));
          --rows_left;
        }
        while (true) {
          const int put = PQputCopyData(conn, data.data(), static_cast<int>(data.size()));
          if (put == 1) break;
          if (put < 0) co_return interrupted(state);
          ok = co_await wait(socket, asio::posix::descriptor_base::wait_write);
          if (!ok || PQflush(conn) < 0) co_return interrupted(state);
        }
      }
      while (true) {
        const int put = PQputCopyEnd(conn, nullptr);
        if (put == 1) break;
        if (put < 0) co_return interrupted(state);
        ok = co_await wait(socket, asio::posix::descriptor_base::wait_write);
        if (!ok) co_return interrupted(state);
      }
      ok = co_await flush(conn, socket);
      if (!ok) co_return interrupted(state);
      Code failure = Code::ok;
      while (true) {
        ok = co_await until_ready(conn, socket);
        if (!ok) co_return interrupted(state);
        PGresult* result = PQgetResult(conn);
        if (result == nullptr) break;
        ResultGuard guard{result};
        if (PQresultStatus(result) != PGRES_COMMAND_OK && failure == Code::ok) {
          failure = PQresultStatus(result) == PGRES_FATAL_ERROR ? result_failure(result) : Code::postgres_server_error;
        }
      }
      state.busy_since = Clock::time_point::max();
      if (failure == Code::ok) copied += rows_per_copy;
      if (loop_.stopping()) break;  // finished after the window: in the table, not in the figures
      if (failure == Code::ok) {
        recorder_.success(*start, Clock::now(), rows_per_copy * kCopyRowBytes);
      } else {
        recorder_.failure(Clock::now(), name(failure));
      }
    }
    co_return Code::ok;
  }

  // The server's count of this connection's rows, for the summary: what
  // COPY reported must be what the table holds.
  awaitable<void> count_rows(LibpqSession& session, std::uint64_t copied) {
    std::optional<LibpqError> error;
    Deadline deadline(loop_.executor(), options_.shape.timeout);
    const auto result = co_await session.query("SELECT count(*) FROM plprobe_bench_copy", {}, deadline, error);
    if (!error && result.rows.size() == 1 && result.rows[0].size() == 1 && result.rows[0][0]) {
      load_.rows_counted_ += std::stoull(*result.rows[0][0]);
    }
    load_.rows_copied_ += copied;
  }

  PostgresLoad& load_;
  const PostgresLoadOptions& options_;
  Recorder& recorder_;
  ThreadLoop loop_;
  std::size_t first_;
};

PostgresLoad::PostgresLoad(PostgresLoadOptions options) : options_(std::move(options)) {
  parameters_ = {
      {"host", options_.host},
      {"hostaddr", options_.host},
      {"port", std::to_string(options_.port)},
      {"user", options_.user},
      {"application_name", "plprobe bench"},
      {"gssencmode", "disable"},
      {"client_encoding", "UTF8"},
      {"sslmode", sslmode(options_.tls)},
  };
  if (!options_.database.empty()) parameters_.emplace_back("dbname", options_.database);
  if (!options_.password.empty()) parameters_.emplace_back("password", options_.password);
  options_.shape.connections = std::max<std::size_t>(options_.shape.connections, 1);
  options_.shape.threads = std::clamp<std::size_t>(options_.shape.threads, 1, options_.shape.connections);
}

std::size_t PostgresLoad::threads() const { return options_.shape.threads; }

void PostgresLoad::run(std::size_t index, Recorder& recorder, const RunWindow& window) {
  const auto [first, count] = share(options_.shape, index);
  Worker worker(*this, recorder, window, first, count);
  worker.run();
}

Json PostgresLoad::summary() const {
  Json out = Json::object();
  if (options_.pipeline > 0) {
    out["pipeline"] = {{"depth", options_.pipeline},
                       {"connections_in_pipeline_mode", pipelined_connections_.load()},
                       {"max_in_flight", max_in_flight_.load()}};
  }
  if (options_.copy_bytes > 0) {
    out["copy"] = {{"bytes_per_copy", ((options_.copy_bytes + kCopyRowBytes - 1) / kCopyRowBytes) * kCopyRowBytes},
                   {"rows_copied", rows_copied_.load()},
                   {"rows_in_tables", rows_counted_.load()}};
  }
  return out;
}

}  // namespace plprobe::bench
