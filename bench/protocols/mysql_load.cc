#include "bench/protocols/mysql_load.h"

#include <cerrno>

#include <algorithm>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "bench/protocols/round_trips.h"
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

// One connection: a Connector/C session.
class MysqlClient {
 public:
  MysqlClient(asio::any_io_executor executor, const MysqlLoadOptions& options)
      : session_(std::move(executor)), options_(options) {}

  awaitable<Code> open(Deadline& deadline) {
    probes::mysql::ConnectOptions connect;
    connect.address = options_.host;
    connect.port = options_.port;
    connect.user = options_.user;
    connect.password = options_.password;
    connect.tls = options_.tls;
    const auto error = co_await session_.connect(connect, deadline);
    co_return error ? classify(*error) : Code::ok;
  }

  // COM_PING; any failure leaves the session unusable (Connector/C closes
  // it or it is cut short).
  awaitable<RoundTrip> request(Deadline& deadline) {
    const auto error = co_await session_.ping(deadline);
    if (error) co_return RoundTrip{classify(*error), true, 0};
    co_return RoundTrip{Code::ok, false, kPingBytes};
  }

  void cancel() { session_.shutdown(); }

 private:
  ClientSession session_;
  const MysqlLoadOptions& options_;
};

}  // namespace

MysqlLoad::MysqlLoad(MysqlLoadOptions options) : options_(std::move(options)) {
  options_.shape.connections = std::max<std::size_t>(options_.shape.connections, 1);
  options_.shape.threads = std::clamp<std::size_t>(options_.shape.threads, 1, options_.shape.connections);
}

void MysqlLoad::run(std::size_t index, Recorder& recorder, const RunWindow& window) {
  run_round_trips(options_.shape, recorder, window, index,
                  [this](asio::any_io_executor executor) { return MysqlClient(std::move(executor), options_); });
}

}  // namespace plprobe::bench
