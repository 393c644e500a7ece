#include "bench/protocols/mongodb_load.h"

#include <algorithm>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "bench/protocols/thread_loop.h"
#include "probes/mongodb/mongodb_auth.h"
#include "probes/mongodb/mongodb_bson.h"
#include "probes/mongodb/mongodb_channel.h"
#include "probes/mongodb/mongodb_hello.h"
#include "probes/transport/connection.h"

namespace plprobe::bench {
namespace {

namespace mongodb = probes::mongodb;

// OP_MSG framing around each document: the 16-byte header, flagBits and
// the section kind byte (MongoDB wire protocol, OP_MSG).
constexpr std::uint64_t kOpMsgFraming = 16 + 4 + 1;

class Worker {
 public:
  Worker(const MongoLoadOptions& options, std::shared_ptr<probes::TlsClientContext> tls, Recorder& recorder,
         const RunWindow& window, std::size_t first, std::size_t count)
      : options_(options), tls_(std::move(tls)), recorder_(recorder), loop_(window, options.shape.timeout),
        first_(first) {
    loop_.resize(count);
  }

  void run() {
    loop_.run([this](std::size_t slot) { return connection(slot); });
  }

 private:
  Clock::time_point step_deadline() const {
    return std::min(Clock::now() + options_.shape.timeout, loop_.window().end);
  }

  // Connect, TLS, hello and (with credentials) SCRAM: one Status.
  awaitable<Status> open(probes::Connection& connection, mongodb::Wire& wire) {
    Deadline deadline(loop_.executor(), step_deadline());
    const tcp::endpoint endpoint(asio::ip::make_address(options_.host), options_.port);
    Status status = co_await connection.connect(endpoint, deadline);
    if (!status.ok()) co_return status;
    if (options_.tls) {
      const std::string name = options_.server_name.empty() ? options_.host : options_.server_name;
      TlsDetails details;
      status = co_await connection.start_tls(*tls_, name, deadline, details);
      if (!status.ok()) co_return status;
      status = probes::judge(details, name);
      if (!status.ok()) co_return status;
    }
    mongodb::Channel channel(connection, deadline);
    mongodb::HandshakeOptions handshake_options;
    const bool login = !options_.user.empty() && !options_.password.empty();
    if (login) handshake_options.sasl_supported_mechs_for = fmt::format("{}.{}", options_.auth_database, options_.user);
    mongodb::HandshakeResult handshake;
    status = co_await channel.handshake(handshake_options, handshake);
    if (!status.ok()) co_return status;
    wire = channel.wire();
    if (login) {
      mongodb::HelloInfo hello;
      status = mongodb::parse_hello(handshake.reply, hello);
      if (!status.ok()) co_return status;
      const auto hash = mongodb::choose_mechanism(hello.sasl_supported_mechs, hello.max_wire_version.value_or(0));
      if (!hash) {
        co_return Status::failure(Code::mongodb_auth_mechanism_unsupported,
                                  "the server offers no SCRAM mechanism for this user");
      }
      mongodb::AuthResult auth;
      status = co_await mongodb::authenticate(channel, *hash, options_.auth_database, options_.user,
                                              options_.password, auth);
      if (!status.ok()) co_return status;
    }
    co_return Status::success();
  }

  awaitable<void> connection(std::size_t slot) {
    Schedule pacer(options_.shape, first_ + slot, loop_.window().start);
    const mongodb::Document ping = mongodb::command("ping");
    auto& state = loop_.slots()[slot];
    while (!loop_.stopping()) {
      Code failure = Code::ok;
      {
        probes::Connection connection(loop_.executor());
        state.cancel = [&connection] {
          error_code ignored;
          connection.socket().cancel(ignored);
        };
        mongodb::Wire wire = mongodb::Wire::op_msg;
        Status status = co_await open(connection, wire);
        if (!status.ok()) {
          if (!loop_.stopping()) failure = status.code;
        } else {
          while (!loop_.stopping()) {
            Clock::time_point start = Clock::now();
            if (pacer.open_loop()) {
              start = pacer.next();
              const bool due = co_await loop_.sleep_until(start);
              if (!due) break;
            }
            Deadline deadline(loop_.executor(), step_deadline());
            mongodb::Channel channel(connection, deadline);
            channel.use(wire);
            mongodb::Document reply;
            status = co_await channel.run(ping, "admin", reply);
            if (loop_.stopping()) break;  // cut off by the window's end: not counted
            if (!status.ok()) {
              failure = status.code;
              break;
            }
            if (mongodb::command_error(reply)) {
              recorder_.failure(Clock::now(), name(Code::mongodb_protocol_error));
              continue;
            }
            recorder_.success(start, Clock::now(), ping.size() + reply.size() + 2 * kOpMsgFraming);
          }
        }
        state.cancel = nullptr;
      }  // the socket closes here
      if (failure != Code::ok && !loop_.stopping()) {
        recorder_.failure(Clock::now(), name(failure));
        co_await loop_.sleep_until(Clock::now() + kReconnectPause);
      }
    }
    loop_.finished();
  }

  const MongoLoadOptions& options_;
  std::shared_ptr<probes::TlsClientContext> tls_;
  Recorder& recorder_;
  ThreadLoop loop_;
  std::size_t first_;
};

}  // namespace

MongoLoad::MongoLoad(MongoLoadOptions options) : options_(std::move(options)) {
  options_.shape.connections = std::max<std::size_t>(options_.shape.connections, 1);
  options_.shape.threads = std::clamp<std::size_t>(options_.shape.threads, 1, options_.shape.connections);
}

void MongoLoad::run(std::size_t index, Recorder& recorder, const RunWindow& window) {
  std::shared_ptr<probes::TlsClientContext> tls;
  if (options_.tls) {
    std::string error;
    tls = probes::TlsClientContext::create(probes::TlsOptions{options_.ca_file, false, {}}, error);
    if (!tls) {
      recorder.failure(Clock::now(), name(Code::tls_cert_untrusted));
      return;
    }
  }
  const auto [first, count] = share(options_.shape, index);
  Worker worker(options_, std::move(tls), recorder, window, first, count);
  worker.run();
}

}  // namespace plprobe::bench
