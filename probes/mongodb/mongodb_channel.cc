#include "probes/mongodb/mongodb_channel.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace plprobe::probes::mongodb {
namespace {

#ifndef PLPROBE_MONGODB_CLIENT_VERSION
#define PLPROBE_MONGODB_CLIENT_VERSION "0"
#endif

// MongoDB's CommandNotFound (error_codes.yml), what a server from before
// `hello` answers to it.
constexpr std::int64_t kCommandNotFound = 59;

// Answers to stale requests skipped at most, so a peer that floods us with
// answers to other requests cannot keep one probe busy until its deadline.
constexpr int kMaxSkippedReplies = 8;

bool is_command_not_found(const Document& reply) {
  const auto error = command_error(reply);
  if (!error) return false;
  if (error.value().code == kCommandNotFound) return true;
  // Servers before 3.2 answered without a code, only the message.
  return error.value().message.find("no such cmd") != std::string::npos ||
         error.value().message.find("no such command") != std::string::npos;
}

Document handshake_command(std::string_view name, bool legacy, const HandshakeOptions& options) {
  Builder fields;
  // helloOk: a legacy-named handshake asks whether the server knows
  // `hello` (it answers helloOk: true when it does).
  if (legacy) fields.boolean("helloOk", true);
  fields.document("client", client_metadata());
  if (!options.sasl_supported_mechs_for.empty()) fields.string("saslSupportedMechs", options.sasl_supported_mechs_for);
  return command(name, fields.finish().value_or(Document()));
}

}  // namespace

std::string_view to_string(Wire wire) { return wire == Wire::op_msg ? "OP_MSG" : "OP_QUERY"; }

Document client_metadata() {
  Builder driver;
  driver.string("name", "plprobe").string("version", PLPROBE_MONGODB_CLIENT_VERSION);
  Builder os;
  os.string("type", "Linux");
  Builder application;
  application.string("name", "plprobe");
  Builder metadata;
  metadata.document("application", application).document("driver", driver).document("os", os);
  metadata.string("platform", "plprobe network probe (C++20, Boost.Asio, libbson)");
  return metadata.finish().value_or(Document());
}

Document command(std::string_view name, const Document& fields) {
  Builder builder;
  builder.int32(name, 1).append_all(fields);
  return builder.finish().value_or(Document());
}

Status Channel::transport_failure(Status status, std::string_view what) const {
  const std::string peer = connection_.peer_text();
  switch (status.code) {
    case Code::protocol_timeout:
      status.message = fmt::format("{} did not answer {} before the deadline", peer, what);
      status.hint =
          "The port accepts TCP but does not answer MongoDB: check that it is a mongod/mongos port, that TLS "
          "matches (a TLS port needs mongodb+tls:// or --tls require), and any proxy or NLB in between.";
      break;
    case Code::protocol_closed:
      status.message = fmt::format("{} closed the connection instead of answering {}", peer, what);
      status.hint =
          "A MongoDB server closes plaintext connections when it requires TLS (net.tls.mode requireTLS): use "
          "mongodb+tls:// or --tls require; otherwise check the server log for why it refused the client.";
      break;
    case Code::tcp_reset:
      status.message = fmt::format("{} reset the connection instead of answering {}", peer, what);
      break;
    default:
      status.message = fmt::format("{} (while waiting for the answer to {})", status.message, what);
      break;
  }
  return status;
}

Status Channel::protocol_error(std::string_view what, std::string_view problem) const {
  std::string hint;
  if (problem.find("TLS record") != std::string_view::npos) {
    hint = "The port speaks TLS: probe it with mongodb+tls://HOST:PORT (or --tls require).";
  }
  return Status::failure(Code::mongodb_protocol_error,
                         fmt::format("{} answered {} with bytes that are not a MongoDB reply: {}",
                                     connection_.peer_text(), what, problem),
                         hint);
}

awaitable<Status> Channel::send(Wire wire, const Document& body, std::string_view db, std::int32_t& request_id) {
  request_id = next_request_id_++;
  Bytes frame;
  if (wire == Wire::op_msg) {
    Builder with_db;
    with_db.append_all(body).string("$db", db);
    auto document = with_db.finish();
    if (!document) co_return Status::failure(Code::mongodb_protocol_error, "cannot build the command document");
    frame = encode_op_msg(request_id, *document);
  } else {
    frame = encode_op_query(request_id, std::string(db) + ".$cmd", body);
  }
  co_return co_await connection_.write(asio::buffer(frame), deadline_);
}

awaitable<Status> Channel::read_one(Deadline& first_byte, std::string_view what, Reply& reply, bool& window_expired) {
  window_expired = false;
  std::array<std::uint8_t, kHeaderBytes> header{};
  std::size_t got = 0;
  while (got < header.size()) {
    Deadline& waiting = got == 0 ? first_byte : deadline_;
    std::size_t received = 0;
    Status status = co_await connection_.read_some(asio::buffer(header.data() + got, header.size() - got), waiting,
                                                   received);
    got += received;
    if (status.ok()) continue;
    if (got == 0 && &waiting != &deadline_ && status.code == Code::protocol_timeout && !deadline_.expired()) {
      window_expired = true;
      co_return status;
    }
    // A TLS alert or an HTTP error is shorter than a header: name it.
    if (got > 0) {
      const std::string other = recognise_other_protocol(ByteView(header.data(), got));
      if (!other.empty()) {
        co_return protocol_error(what, fmt::format("{} bytes that start like {}, then {}", got, other,
                                                   status.code == Code::protocol_timeout ? "silence" : "the end"));
      }
      if (status.code != Code::protocol_timeout) {
        co_return protocol_error(what, fmt::format("the answer stops after {} of the {} header bytes", got,
                                                   kHeaderBytes));
      }
    }
    co_return transport_failure(std::move(status), what);
  }
  std::string problem;
  const auto parsed = parse_header(header, problem);
  if (!parsed) co_return protocol_error(what, problem);

  const auto total = static_cast<std::size_t>(parsed->message_length);
  Bytes message(header.begin(), header.end());
  while (message.size() < total) {
    const std::size_t have = message.size();
    const std::size_t want = std::min(kReadChunk, total - have);
    message.resize(have + want);
    std::size_t received = 0;
    Status status = co_await connection_.read_some(asio::buffer(message.data() + have, want), deadline_, received);
    message.resize(have + received);
    if (!status.ok()) {
      if (status.code == Code::protocol_timeout) {
        co_return Status::failure(Code::protocol_timeout,
                                  fmt::format("{} sent {} of the {} bytes of its answer to {}, then nothing before "
                                              "the deadline",
                                              connection_.peer_text(), message.size(), total, what),
                                  "The server or the path stalls mid-answer: check packet loss and MTU on the path.");
      }
      co_return protocol_error(what, fmt::format("the answer is cut short: {} of {} bytes, then {}", message.size(),
                                                 total, status.message));
    }
  }
  auto decoded = decode_reply(message, problem);
  if (!decoded) co_return protocol_error(what, problem);
  reply = std::move(*decoded);
  co_return Status::success();
}

awaitable<Status> Channel::receive(const std::vector<std::int32_t>& wanted, Deadline& first_byte,
                                   std::string_view what, Reply& reply, bool& window_expired) {
  for (int skipped = 0;; ++skipped) {
    Status status = co_await read_one(skipped == 0 ? first_byte : deadline_, what, reply, window_expired);
    if (!status.ok()) co_return status;
    const std::int32_t to = reply.header.response_to;
    if (std::find(wanted.begin(), wanted.end(), to) != wanted.end()) co_return Status::success();
    const bool stale = std::find(stale_.begin(), stale_.end(), to) != stale_.end();
    if (!stale || skipped >= kMaxSkippedReplies) {
      co_return protocol_error(what, fmt::format("the reply answers request {} (responseTo), not ours ({})", to,
                                                 wanted.empty() ? 0 : wanted.back()));
    }
  }
}

awaitable<Status> Channel::run(const Document& body, std::string_view db, Document& reply) {
  const std::string what = fmt::format("'{}' ({})", body.first_key(), to_string(wire_));
  std::int32_t id = 0;
  Status status = co_await send(wire_, body, db, id);
  if (!status.ok()) co_return transport_failure(std::move(status), what);
  Reply answer;
  bool window_expired = false;
  // Named, not a braced temporary: g++ 12 cannot put an initializer_list's
  // array into a coroutine frame ("array used as initializer").
  const std::vector<std::int32_t> wanted{id};
  status = co_await receive(wanted, deadline_, what, answer, window_expired);
  if (!status.ok()) co_return status;
  if (wire_ == Wire::op_query && answer.header.op_code != opcode::reply) {
    co_return protocol_error(what, "an OP_QUERY was answered with OP_MSG instead of OP_REPLY");
  }
  if (wire_ == Wire::op_msg && answer.header.op_code != opcode::msg) {
    co_return protocol_error(what, "an OP_MSG was answered with OP_REPLY instead of OP_MSG");
  }
  reply = std::move(answer.document);
  co_return Status::success();
}

awaitable<Status> Channel::handshake(const HandshakeOptions& options, HandshakeResult& out) {
  out = HandshakeResult{};
  if (options.start == Wire::op_query) {
    wire_ = Wire::op_query;
    out.wire = Wire::op_query;
    out.command = "isMaster";
    co_return co_await run(handshake_command("isMaster", true, options), "admin", out.reply);
  }

  // 1. OP_MSG hello, with the first byte of the answer awaited only until
  // the fallback window closes.
  wire_ = Wire::op_msg;
  const std::string hello_what = "'hello' (OP_MSG)";
  std::int32_t hello_id = 0;
  Status status = co_await send(Wire::op_msg, handshake_command("hello", false, options), "admin", hello_id);
  if (!status.ok()) co_return transport_failure(std::move(status), hello_what);
  const auto window = std::min<Clock::duration>(kLegacyFallbackAfter, deadline_.remaining() / 2);
  Deadline first_byte(connection_.socket().get_executor(), Clock::now() + window);
  Reply answer;
  bool window_expired = false;
  const std::vector<std::int32_t> hello_only{hello_id};
  status = co_await receive(hello_only, first_byte, hello_what, answer, window_expired);

  if (status.ok()) {
    if (answer.header.op_code != opcode::msg) {
      co_return protocol_error(hello_what, "an OP_MSG was answered with OP_REPLY instead of OP_MSG");
    }
    if (!is_command_not_found(answer.document)) {
      out.wire = Wire::op_msg;
      out.command = "hello";
      out.reply = std::move(answer.document);
      co_return Status::success();
    }
    // 2. A server from before hello: the legacy name, same opcode.
    out.wire = Wire::op_msg;
    out.command = "isMaster";
    out.fallback = "the server does not know 'hello' (CommandNotFound): it predates MongoDB 4.4.2/4.2.10/4.0.21/3.6.21";
    co_return co_await run(handshake_command("isMaster", true, options), "admin", out.reply);
  }

  if ((status.code == Code::protocol_closed || status.code == Code::tcp_reset) && !deadline_.expired()) {
    // 4. Closed on OP_MSG before a byte of an answer: only a new connection helps.
    out.retry_with_op_query = true;
    out.fallback = fmt::format("{} closed the connection on OP_MSG hello", connection_.peer_text());
    co_return status;
  }
  if (!window_expired) co_return status;

  // 3. Silence: a server older than 3.6 skips the unknown opcode and keeps
  // reading. Ask the legacy way on the same connection; accept whichever
  // answer comes first.
  stale_.push_back(hello_id);
  const std::string legacy_what = "'isMaster' (OP_QUERY, after OP_MSG hello went unanswered)";
  std::int32_t legacy_id = 0;
  status = co_await send(Wire::op_query, handshake_command("isMaster", true, options), "admin", legacy_id);
  if (!status.ok()) co_return transport_failure(std::move(status), legacy_what);
  const std::vector<std::int32_t> either{hello_id, legacy_id};
  status = co_await receive(either, deadline_, legacy_what, answer, window_expired);
  if (!status.ok()) co_return status;
  if (answer.header.response_to == hello_id) {
    // The OP_MSG answer was only slow: keep OP_MSG, skip the legacy answer.
    stale_.erase(std::remove(stale_.begin(), stale_.end(), hello_id), stale_.end());
    stale_.push_back(legacy_id);
    if (answer.header.op_code != opcode::msg) {
      co_return protocol_error(hello_what, "an OP_MSG was answered with OP_REPLY instead of OP_MSG");
    }
    out.wire = Wire::op_msg;
    out.command = "hello";
    out.fallback = fmt::format("the answer to OP_MSG hello took longer than {} ms",
                               std::chrono::duration_cast<std::chrono::milliseconds>(window).count());
    out.reply = std::move(answer.document);
    co_return Status::success();
  }
  if (answer.header.op_code != opcode::reply) {
    co_return protocol_error(legacy_what, "an OP_QUERY was answered with OP_MSG instead of OP_REPLY");
  }
  wire_ = Wire::op_query;
  out.wire = Wire::op_query;
  out.command = "isMaster";
  out.fallback = fmt::format("no answer to OP_MSG hello within {} ms: a server older than MongoDB 3.6 ignores OP_MSG",
                             std::chrono::duration_cast<std::chrono::milliseconds>(window).count());
  out.reply = std::move(answer.document);
  co_return Status::success();
}

}  // namespace plprobe::probes::mongodb
