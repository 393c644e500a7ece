#include "bench/protocols/mysql_load.h"

#include <cerrno>

#include <algorithm>
#include <string_view>

#include <fmt/format.h>
#include <optional>

#include "bench/protocols/thread_loop.h"
#include "probes/mysql/mysql_client.h"
#include "probes/mysql/mysql_probe.h"

namespace plprobe::bench {
namespace {

using probes::mysql::ClientError;
using probes::mysql::ClientSession;

// Connector/C's client errors (errmsg.h) that say how a connection failed.
constexpr unsigned kConnectionError = 2002;      // CR_CONNECTION_ERROR (local socket)
constexpr unsigned kConnHostError = 2003;        // CR_CONN_HOST_ERROR: TCP connect failed
constexpr unsigned kServerGoneError = 2006;      // CR_SERVER_GONE_ERROR
constexpr unsigned kServerLost = 2013;           // CR_SERVER_LOST
constexpr unsigned kSslConnectionError = 2026;   // CR_SSL_CONNECTION_ERROR

Code classify(const ClientError& error) {
  if (error.deadline) return Code::protocol_timeout;
  if (error.code == kConnHostError || error.code == kConnectionError) {
    // Connector/C ends the message with the errno: "Can't connect to server on '127.0.0.1' (111)".
    const auto has = [&](std::string_view part) { return error.message.find(part) != std::string::npos; };
    if (has(fmt::format("({})", ECONNREFUSED))) return Code::tcp_refused;
    if (has(fmt::format("({})", ETIMEDOUT))) return Code::tcp_timeout;
    if (has(fmt::format("({})", EHOSTUNREACH)) || has(fmt::format("({})", ENETUNREACH))) return Code::tcp_unreachable;
    return Code::tcp_error;
  }
  if (error.code == kServerGoneError || error.code == kServerLost) return Code::protocol_closed;
  if (error.code == kSslConnectionError) return Code::tls_handshake_failed;
  if (error.code >= 2000 && error.code < 3000) return Code::mysql_server_error;
  return probes::mysql::classify_error(error.code, error.sql_state, error.message, "", true).code;
}

class Worker {
 public:
  Worker(const MysqlLoadOptions& options, Recorder& recorder, const RunWindow& window, std::size_t first,
         std::size_t count)
      : options_(options), recorder_(recorder), loop_(window, options.shape.timeout), first_(first) {
    loop_.resize(count);
  }

  void run() {
    loop_.run([this](std::size_t slot) { return connection(slot); });
  }

 private:
  // A deadline for one step: the timeout, but never past the window's end.
  Clock::time_point step_deadline() const {
    return std::min(Clock::now() + options_.shape.timeout, loop_.window().end);
  }

  awaitable<void> connection(std::size_t slot) {
    Schedule pacer(options_.shape, first_ + slot, loop_.window().start);
    probes::mysql::ConnectOptions connect;
    connect.address = options_.host;
    connect.port = options_.port;
    connect.user = options_.user;
    connect.password = options_.password;
    connect.tls = options_.tls;
    auto& state = loop_.slots()[slot];
    while (!loop_.stopping()) {
      Code failure = Code::ok;
      {
        ClientSession session(loop_.executor());
        state.cancel = [&session] { session.shutdown(); };
        std::optional<ClientError> error;
        {
          Deadline deadline(loop_.executor(), step_deadline());
          error = co_await session.connect(connect, deadline);
        }
        if (error) {
          if (!loop_.stopping()) failure = classify(*error);
        } else {
          while (!loop_.stopping()) {
            std::optional<Clock::time_point> start = Clock::now();
            if (pacer.open_loop()) {
              start = pacer.next();
              const bool due = co_await loop_.sleep_until(*start);
              if (!due) break;
            }
            Deadline deadline(loop_.executor(), step_deadline());
            error = co_await session.ping(deadline);
            if (loop_.stopping()) break;  // cut off by the window's end: not counted
            if (error) {
              failure = classify(*error);
              break;
            }
            recorder_.success(*start, Clock::now(), kPingBytes);
          }
        }
        state.cancel = nullptr;
      }  // mysql_close
      if (failure != Code::ok && !loop_.stopping()) {
        recorder_.failure(Clock::now(), name(failure));
        co_await loop_.sleep_until(Clock::now() + kReconnectPause);
      }
    }
    loop_.finished();
  }

  const MysqlLoadOptions& options_;
  Recorder& recorder_;
  ThreadLoop loop_;
  std::size_t first_;
};

}  // namespace

MysqlLoad::MysqlLoad(MysqlLoadOptions options) : options_(std::move(options)) {
  options_.shape.connections = std::max<std::size_t>(options_.shape.connections, 1);
  options_.shape.threads = std::clamp<std::size_t>(options_.shape.threads, 1, options_.shape.connections);
}

void MysqlLoad::run(std::size_t index, Recorder& recorder, const RunWindow& window) {
  const auto [first, count] = share(options_.shape, index);
  Worker worker(options_, recorder, window, first, count);
  worker.run();
}

}  // namespace plprobe::bench
