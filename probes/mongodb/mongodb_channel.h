// One MongoDB conversation over an engine Connection: commands sent one at
// a time as OP_MSG (MongoDB 3.6+) or legacy OP_QUERY on "<db>.$cmd", each
// answer read as one framed reply (mongodb_wire.h) and matched by
// responseTo.
//
// The handshake (handshake()) is the first command on a connection and the
// one that decides the opcode, as a driver would, but without trusting the
// peer to be modern:
//   1. OP_MSG `hello` with "$db": "admin" (MongoDB manual, "hello");
//   2. an answer with CommandNotFound: a server from before `hello`
//      existed (3.6-4.4.1 without the backports): OP_MSG `isMaster`;
//   3. no byte within kLegacyFallbackAfter: a server older than 3.6
//      ignores an opcode it does not know and keeps reading, so legacy
//      OP_QUERY `isMaster` (with helloOk: true) follows on the same
//      connection; whichever of the two answers first is used and the
//      other's late answer is skipped if it comes;
//   4. the connection closed or reset before any byte of an answer: the
//      caller retries on a new connection starting at OP_QUERY
//      (HandshakeResult::retry_with_op_query).
// Every wait is bounded by the probe's Deadline (the fallback window too).
//
// Failure behaviour: each call returns a Status and never throws:
// transport codes (protocol_timeout, protocol_closed, tcp_reset, tcp_error)
// with a message naming the command; mongodb_protocol_error for bytes that
// are not a reply to it (with what they look like when recognisable: TLS,
// HTTP, SSH). A command the server refused is NOT a failure here: the
// reply document carries ok: 0 and command_error() reads it.
// Memory: a reply buffer grows with the bytes that arrive, kReadChunk at a
// time, never from messageLength alone.
// Ownership and threading: borrows the Connection and the Deadline, which
// must outlive it; one io_context thread; one command at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.h"
#include "common/deadline.h"
#include "common/status.h"
#include "probes/mongodb/mongodb_bson.h"
#include "probes/mongodb/mongodb_wire.h"
#include "probes/transport/connection.h"

namespace plprobe::probes::mongodb {

enum class Wire { op_msg, op_query };
std::string_view to_string(Wire wire);  // "OP_MSG", "OP_QUERY"

// How long the handshake waits for the first byte of an answer to OP_MSG
// before it also sends legacy OP_QUERY. A MongoDB 3.6+ server answers hello
// in one round trip (a few ms, 200 ms across regions); only a server that
// ignores OP_MSG keeps a client waiting longer. Also capped at half of what
// is left of the deadline, so the legacy attempt always has time.
inline constexpr std::chrono::milliseconds kLegacyFallbackAfter{1000};

// Read granularity for a reply: small enough to be the only allocation a
// hostile messageLength can cause, large enough for few wake-ups.
inline constexpr std::size_t kReadChunk = 64 * 1024;

// The client metadata of the handshake (MongoDB handshake spec: driver
// name and version, os.type), so server logs name plprobe.
Document client_metadata();

struct HandshakeOptions {
  Wire start = Wire::op_msg;
  // "<db>.<user>": asks the server which SASL mechanisms the user has
  // (hello's saslSupportedMechs); empty: not asked.
  std::string sasl_supported_mechs_for;
};

struct HandshakeResult {
  Wire wire = Wire::op_msg;
  std::string command;          // "hello" or "isMaster"
  std::string fallback;         // why the first attempt was not used; empty if it was
  bool retry_with_op_query = false;  // the peer closed on OP_MSG: ask again on a new connection
  Document reply;
};

class Channel {
 public:
  Channel(Connection& connection, Deadline& deadline) : connection_(connection), deadline_(deadline) {}

  // The first exchange on the connection; on success the channel keeps
  // using the opcode that worked.
  awaitable<Status> handshake(const HandshakeOptions& options, HandshakeResult& out);

  // Runs `command` (its first key is the command name) against database
  // `db` and returns the server's reply document, ok: 0 included.
  awaitable<Status> run(const Document& command, std::string_view db, Document& reply);

  Wire wire() const { return wire_; }
  void use(Wire wire) { wire_ = wire; }
  Connection& connection() { return connection_; }
  Deadline& deadline() { return deadline_; }

 private:
  awaitable<Status> send(Wire wire, const Document& command, std::string_view db, std::int32_t& request_id);
  // Reads replies until one answers a request in `wanted` (answers to stale
  // requests are skipped). The first byte waits at most until `first_byte`
  // expires; then `window_expired` is set and nothing was read.
  awaitable<Status> receive(const std::vector<std::int32_t>& wanted, Deadline& first_byte, std::string_view what,
                            Reply& reply, bool& window_expired);
  awaitable<Status> read_one(Deadline& first_byte, std::string_view what, Reply& reply, bool& window_expired);
  Status transport_failure(Status status, std::string_view what) const;
  Status protocol_error(std::string_view what, std::string_view problem) const;

  Connection& connection_;
  Deadline& deadline_;
  Wire wire_ = Wire::op_msg;
  std::int32_t next_request_id_ = 1;
  std::vector<std::int32_t> stale_;  // requests whose answers are no longer wanted
};

// A command document: {name: 1} plus `fields`.
Document command(std::string_view name, const Document& fields = Document());

}  // namespace plprobe::probes::mongodb
