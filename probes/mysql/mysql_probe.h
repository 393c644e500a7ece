// mysql://[USER@]HOST[:3306]: the MySQL/MariaDB connection phase, step by
// step and timed, and (with USER and a password) whether the server is ready
// for ClickPipes CDC.
//
// On the connection the engine hands over (plain TCP; the scheme is not
// tls_first because MySQL negotiates TLS itself):
//   1. the server's greeting: Protocol::HandshakeV10 (protocol version,
//      server version, MySQL or MariaDB, connection id, capability flags,
//      MariaDB's extended capabilities, auth plugin, character set) -> facts;
//      or an ERR packet the server sends instead (host not allowed 1130,
//      blocked 1129, too many connections 1040, ...) -> a mysql_* code;
//   2. TLS per --tls: with CLIENT_SSL offered, Protocol::SSLRequest and the
//      TLS handshake (SNI and certificate details as for tls://; enforced
//      with verify-full, reported otherwise). Without CLIENT_SSL,
//      --tls require/verify-full fail closed (mysql_tls_unavailable);
//      prefer goes on in plaintext;
//   3. a HandshakeResponse41 for the placeholder user "plprobe" with an empty
//      password, never the target's user (whose account a failed login could
//      lock, MySQL 8.0.19+ FAILED_LOGIN_ATTEMPTS). Finishing the handshake
//      this way matters: a client that disconnects mid-handshake counts as
//      a connection error of its host, and after max_connect_errors (100)
//      the server blocks the host (1129) — behind an NLB, everyone behind
//      the same address. The expected answer is "access denied" (1045);
//      "insecure transport" means the server requires TLS
//      (mysql_tls_required);
//   4. with USER and a password: a second connection through MariaDB
//      Connector/C (mysql_client.h) to the same address under the same
//      deadline, TLS when step 2 used it, pinned to the certificate step 2
//      saw; then SHOW GLOBAL VARIABLES and SHOW GRANTS -> facts.cdc
//      (mysql_cdc.h), and mysql_cdc_not_ready when an item is off.
// facts.timings_ms has each step. Never throws; returns by the probe's
// deadline; every connection it opens is closed before it returns. The
// password goes to Connector/C only and never into a result.
#pragma once

#include <memory>
#include <string>

#include "probes/protocol.h"

namespace plprobe::probes::mysql {

class MysqlProtocol final : public Protocol {
 public:
  awaitable<void> handshake(ProbeContext& context, Connection& connection, ProbeResult& result) override;
};

// For the scheme table (probes/scheme.cc).
std::unique_ptr<Protocol> make_mysql_protocol();

// An ERR packet (or Connector/C's report of one) as a Status with a mysql_*
// code; `authenticated`: the login used the target's user and password
// (access denied is then mysql_auth_failed). Pure.
Status classify_error(unsigned code, const std::string& sql_state, const std::string& message, const std::string& peer,
                      bool authenticated);

// The user of the unauthenticated login attempt (step 3).
inline constexpr const char* kPlaceholderUser = "plprobe";

}  // namespace plprobe::probes::mysql
