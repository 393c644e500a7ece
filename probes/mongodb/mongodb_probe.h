// mongodb:// and mongodb+tls://: what a MongoDB driver does on its first
// connection, step by step and timed, then the replica-set member walk,
// then (with credentials) what ClickPipes CDC needs.
//
// On the connection the engine hands over (TCP, plus TLS for mongodb+tls):
//   0. mongodb:// only, per --tls (MongoDB has no in-protocol TLS upgrade:
//      a TLS port speaks TLS from the first byte):
//        disable      plaintext;
//        prefer       (the default) a TLS handshake first, bounded by
//                     kTlsPreferWindow; when the port does not speak TLS,
//                     plaintext on a new connection; certificate problems
//                     are reported, not enforced;
//        require      TLS from the first byte or fail; certificate not enforced;
//        verify-full  TLS, and the certificate must verify as for tls://.
//      mongodb+tls:// is TLS from the first byte, verified (--insecure aside),
//      whatever --tls says;
//   1. the handshake (mongodb_channel.h): OP_MSG hello, falling back to
//      OP_MSG isMaster or legacy OP_QUERY isMaster for old servers;
//   2. the answer (mongodb_hello.h): topology, set name, members, primary,
//      wire version -> server version; a standalone (or uninitiated) server
//      -> mongodb_not_replica_set; a server older than 5.1 -> a CDC finding;
//   3. unless --no-walk-members: the member walk (mongodb_walk.h), every
//      advertised member at once, under the same deadline;
//   4. with a user in the target (mongodb://USER@HOST[:PORT][/AUTHDB]) and a
//      password (PLPROBE_PASSWORD or --password-file): SCRAM login on the
//      seed connection and the readiness checks (mongodb_readiness.h).
// Results: facts.tls_mode, facts.wire, facts.topology, facts.set_name,
// facts.hosts, facts.primary, facts.me, facts.server (wire versions,
// version range, clickpipes_supported), facts.members (one report per
// advertised member), facts.auth, facts.cdc (findings), facts.timings_ms.
// The outcome is ok only when the seed and every walked member are and no
// error finding stands; otherwise the most important problem (auth first,
// then not a replica set, then member problems, then privileges and CDC
// findings, then protocol errors), with the others in the message.
//
// Never throws (std::bad_alloc included: it becomes mongodb_protocol_error);
// returns by the probe's deadline; every connection it opens is closed
// before it returns. The password is used for the SCRAM exchange only and
// never appears in a result.
#pragma once

#include <chrono>
#include <memory>

#include "probes/protocol.h"

namespace plprobe::probes::mongodb {

// How long --tls prefer waits for a TLS handshake before it tries
// plaintext: a TLS server completes one in two round trips; a plaintext
// mongod closes at once on a ClientHello (it reads it as a bad message
// length), but some peers just wait for more bytes.
inline constexpr std::chrono::milliseconds kTlsPreferWindow{1500};

class MongoProtocol final : public Protocol {
 public:
  awaitable<void> handshake(ProbeContext& context, Connection& connection, ProbeResult& result) override;
};

// For the scheme table (probes/scheme.cc).
std::unique_ptr<Protocol> make_mongodb_protocol();

}  // namespace plprobe::probes::mongodb
