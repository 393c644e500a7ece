#include "bench/protocols/mongodb_load.h"

#include <algorithm>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "bench/protocols/round_trips.h"
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

// One connection: the engine's transport and the probe's MongoDB channel.
class MongoClient {
 public:
  MongoClient(asio::any_io_executor executor, const MongoLoadOptions& options, probes::TlsClientContext* tls)
      : connection_(std::move(executor)), options_(options), tls_(tls) {}

  // Connect, TLS, hello and (with credentials) SCRAM.
  awaitable<Code> open(Deadline& deadline) {
    const Status status = co_await login(deadline);
    co_return status.code;
  }

  awaitable<RoundTrip> request(Deadline& deadline) {
    mongodb::Channel channel(connection_, deadline);
    channel.use(wire_);
    mongodb::Document reply;
    const Status status = co_await channel.run(ping_, "admin", reply);
    if (!status.ok()) co_return RoundTrip{status.code, true, 0};
    // A refusal (ok: 0) is an answer: the connection goes on.
    if (mongodb::command_error(reply)) co_return RoundTrip{Code::mongodb_protocol_error, false, 0};
    co_return RoundTrip{Code::ok, false, ping_.size() + reply.size() + 2 * kOpMsgFraming};
  }

  void cancel() {
    error_code ignored;
    connection_.socket().cancel(ignored);
  }

 private:
  awaitable<Status> login(Deadline& deadline) {
    const tcp::endpoint endpoint(asio::ip::make_address(options_.host), options_.port);
    Status status = co_await connection_.connect(endpoint, deadline);
    if (!status.ok()) co_return status;
    if (options_.tls) {
      const std::string name = options_.server_name.empty() ? options_.host : options_.server_name;
      TlsDetails details;
      status = co_await connection_.start_tls(*tls_, name, deadline, details);
      if (!status.ok()) co_return status;
      status = probes::judge(details, name);
      if (!status.ok()) co_return status;
    }
    mongodb::Channel channel(connection_, deadline);
    mongodb::HandshakeOptions handshake_options;
    const bool authenticate = !options_.user.empty() && !options_.password.empty();
    if (authenticate) {
      handshake_options.sasl_supported_mechs_for = fmt::format("{}.{}", options_.auth_database, options_.user);
    }
    mongodb::HandshakeResult handshake;
    status = co_await channel.handshake(handshake_options, handshake);
    if (!status.ok()) co_return status;
    wire_ = channel.wire();
    if (!authenticate) co_return Status::success();
    mongodb::HelloInfo hello;
    status = mongodb::parse_hello(handshake.reply, hello);
    if (!status.ok()) co_return status;
    const auto hash = mongodb::choose_mechanism(hello.sasl_supported_mechs, hello.max_wire_version.value_or(0));
    if (!hash) {
      co_return Status::failure(Code::mongodb_auth_mechanism_unsupported,
                                "the server offers no SCRAM mechanism for this user");
    }
    mongodb::AuthResult auth;
    status = co_await mongodb::authenticate(channel, *hash, options_.auth_database, options_.user, options_.password,
                                            auth);
    co_return status;
  }

  probes::Connection connection_;
  const MongoLoadOptions& options_;
  probes::TlsClientContext* tls_;
  mongodb::Wire wire_ = mongodb::Wire::op_msg;
  const mongodb::Document ping_ = mongodb::command("ping");
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
  run_round_trips(options_.shape, recorder, window, index, [this, &tls](asio::any_io_executor executor) {
    return MongoClient(std::move(executor), options_, tls.get());
  });
}

}  // namespace plprobe::bench
