// postgres://[USER@]HOST[:5432][/DB]: what a PostgreSQL client meets on its
// way in, step by step and timed, and (with credentials) whether the server
// is ready for ClickPipes CDC.
//
// On the connection the engine hands over (plain TCP; the scheme is not
// tls_first because PostgreSQL negotiates TLS itself):
//   1. unless --tls disable: SSLRequest (55.2.10). 'S': the TLS handshake
//      with SNI and certificate details as for tls://; verified against --ca
//      and the host (or --sni) and enforced with --tls verify-full, reported
//      otherwise. Any byte after 'S' and before the handshake fails the probe
//      (postgres_bytes_before_tls, CVE-2021-23222). 'N': fails closed with
//      --tls require/verify-full (postgres_tls_unavailable), goes on in
//      plaintext with --tls prefer. An ErrorResponse here is not shown
//      (55.2.10: the server is not authenticated yet; CVE-2024-10977);
//   2. StartupMessage (55.2.1) for USER (or "plprobe") and DB (or the
//      server's default, the user's name). The first answer tells the
//      authentication method (facts.auth_method, facts.sasl_mechanisms), or
//      is an ErrorResponse (facts.error: severity, SQLSTATE, message, detail,
//      hint) mapped to a postgres_* code — except that a refusal of the
//      placeholder user (no USER in the target) is reported with an ok
//      outcome, since it proves PostgreSQL answers. No password goes over this
//      connection: it is closed once the method is known. A server that
//      trusts the user answers AuthenticationOk, ParameterStatus
//      (facts.server_version) and ReadyForQuery; the probe says Terminate;
//   3. for a USER named in the target, with a password (or when the server
//      trusts that user): a second connection through libpq to the same address,
//      PQconnectStartParams/PQconnectPoll on the Asio loop under the same
//      deadline (postgres_libpq.h), with sslmode following --tls (verify-full
//      with --ca or the system CAs, host = the target's host or --sni,
//      hostaddr = this address), then the CDC readiness query
//      (postgres_cdc.h) -> facts.cdc, and postgres_cdc_not_ready when an
//      item is off.
// facts.timings_ms has each step. Never throws; returns by the probe's
// deadline; every connection it opens is closed before it returns. The
// password goes to libpq only and never into a result.
#pragma once

#include <memory>

#include "probes/protocol.h"

namespace plprobe::probes::postgres {

class PostgresProtocol final : public Protocol {
 public:
  awaitable<void> handshake(ProbeContext& context, Connection& connection, ProbeResult& result) override;
};

// For the scheme table (probes/scheme.cc).
std::unique_ptr<Protocol> make_postgres_protocol();

// The user name sent in the StartupMessage when the target names none.
inline constexpr const char* kDefaultUser = "plprobe";

}  // namespace plprobe::probes::postgres
