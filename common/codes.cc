#include "common/codes.h"

#include <array>
#include <string>

namespace plprobe {
namespace {

// Order follows the enum; a unit test checks that every entry sits at the
// index of its code, so a lookup is an array index.
constexpr std::array kCodes = {
    CodeInfo{Code::ok, "ok", "", "succeeded", ""},
    CodeInfo{Code::dns_nxdomain, "dns_nxdomain", "dns", "got NXDOMAIN: the name does not exist",
             "Check the spelling; for an endpoint name, copy it from the endpoint's dnsNames and query "
             "the VPC resolver (the .2 address of the VPC) from inside the VPC."},
    CodeInfo{Code::dns_nodata, "dns_nodata", "dns", "got an answer with no address for the name",
             "The name exists but has no A/AAAA record: check the private hosted zone or the endpoint's "
             "private DNS setting; a CNAME to a name without addresses also ends here."},
    CodeInfo{Code::dns_servfail, "dns_servfail", "dns", "got SERVFAIL from the DNS server",
             "The server could not answer (upstream down, DNSSEC failure, broken forwarding): query another "
             "resolver with --dns-server to compare."},
    CodeInfo{Code::dns_refused, "dns_refused", "dns", "was refused by the DNS server",
             "The server does not serve this client or zone: use the VPC resolver or a server that allows "
             "recursion for this host."},
    CodeInfo{Code::dns_timeout, "dns_timeout", "dns", "got no DNS answer before the deadline",
             "Check that UDP and TCP port 53 to the DNS server are open (security groups, NACLs) and that "
             "the server is up; raise --timeout if the path is slow."},
    CodeInfo{Code::dns_bad_answer, "dns_bad_answer", "dns", "got a malformed DNS answer",
             "Something between you and the server mangles DNS (middlebox, broken server): try another "
             "server with --dns-server."},
    CodeInfo{Code::dns_server_unreachable, "dns_server_unreachable", "dns",
             "could not reach the DNS server (connection refused)",
             "Nothing answers on that server's DNS port: check the --dns-server address and port."},
    CodeInfo{Code::dns_public_address, "dns_public_address", "dns",
             "resolved a name that must be private to a public address",
             "Private DNS is not in effect: enable private DNS names on the VPC endpoint (or the private "
             "hosted zone association) and query the VPC resolver, not a public one."},
    CodeInfo{Code::tcp_refused, "tcp_refused", "connect", "was refused: nothing listens on that port",
             "Check the port (Postgres 5432, MySQL 3306, MongoDB 27017, Kafka 9092/9094/9096/9098), the NLB "
             "listener for it, and that the service is running."},
    CodeInfo{Code::tcp_timeout, "tcp_timeout", "connect", "got no answer to the TCP connect before the deadline",
             "Packets are dropped on the way: check security groups (inbound from the endpoint's subnets), "
             "NACLs and routes; an NLB with no healthy target also looks like this."},
    CodeInfo{Code::tcp_reset, "tcp_reset", "connect", "was reset by the peer",
             "The server or a middlebox closed the connection abruptly: check the server's logs, TLS/plaintext "
             "port mix-ups and NLB target health."},
    CodeInfo{Code::tcp_unreachable, "tcp_unreachable", "connect", "could not route to the address",
             "The host or network is unreachable: check route tables and that the address belongs to the "
             "endpoint's VPC."},
    CodeInfo{Code::tcp_error, "tcp_error", "connect", "failed with a socket error",
             "See the message for the system error; it is neither a refusal nor a timeout."},
    CodeInfo{Code::tls_handshake_failed, "tls_handshake_failed", "tls", "failed the TLS handshake",
             "Check that the port speaks TLS (not plaintext), and the server's TLS settings; the message "
             "carries OpenSSL's reason."},
    CodeInfo{Code::tls_timeout, "tls_timeout", "tls", "connected but got no TLS answer before the deadline",
             "The port accepts TCP but does not answer a TLS ClientHello: it may expect plaintext, or a "
             "proxy in the path holds the connection."},
    CodeInfo{Code::tls_cert_untrusted, "tls_cert_untrusted", "tls",
             "got a certificate that does not chain to a trusted CA",
             "Pass the CA that issued the server certificate with --ca FILE; do not turn verification off."},
    CodeInfo{Code::tls_cert_expired, "tls_cert_expired", "tls", "got an expired certificate",
             "Renew the server certificate; clients with verification on reject it."},
    CodeInfo{Code::tls_cert_not_yet_valid, "tls_cert_not_yet_valid", "tls", "got a certificate that is not valid yet",
             "Check the server's certificate dates and both machines' clocks."},
    CodeInfo{Code::tls_hostname_mismatch, "tls_hostname_mismatch", "tls",
             "got a certificate that does not name the host",
             "Connect with one of the certificate's names via --sni (or a DNS name that the certificate "
             "lists); do not disable verification."},
    CodeInfo{Code::tls_protocol_too_old, "tls_protocol_too_old", "tls",
             "found a server that only offers TLS versions older than 1.2",
             "Enable TLS 1.2 or 1.3 on the server; ClickPipes does not connect with older versions."},
    CodeInfo{Code::protocol_timeout, "protocol_timeout", "handshake",
             "connected but the server did not finish the protocol handshake before the deadline",
             "The port answers TCP but not the protocol: check that the port belongs to the right service "
             "and that TLS settings match on both sides."},
    CodeInfo{Code::protocol_closed, "protocol_closed", "handshake",
             "connected but the server closed the connection during the protocol handshake",
             "The server rejected the connection before answering: check its logs and TLS requirements."},
    CodeInfo{Code::stream_protocol_error, "stream_protocol_error", "handshake",
             "a peer of plprobe serve or bench throughput sent bytes that are not plprobe's stream protocol",
             "Point bench throughput at a plprobe serve of the same version, and serve only at plprobe clients; "
             "something else answers on that port, or sits in the path rewriting bytes."},
    // Kafka: the bootstrap answered; these say what a Kafka client would hit next.
    CodeInfo{Code::kafka_broker_unresolvable, "kafka_broker_unresolvable", "handshake",
             "reached the bootstrap broker, but a broker's advertised host name does not resolve",
             "Clients connect to the host:port each broker advertises (advertised.listeners), not to the bootstrap "
             "address: make every advertised name resolve from this network (private hosted zone, or the endpoint's "
             "custom private DNS name for each broker)."},
    CodeInfo{Code::kafka_broker_unreachable, "kafka_broker_unreachable", "handshake",
             "reached the bootstrap broker, but could not connect to a broker at its advertised address",
             "Every broker must be reachable at the host:port it advertises: check the NLB listener and target for "
             "that broker's port, security groups, and that the broker is up."},
    CodeInfo{Code::kafka_advertised_mismatch, "kafka_advertised_mismatch", "handshake",
             "reached the bootstrap through one name, but the brokers advertise addresses this network cannot use",
             "Set advertised.listeners to names that resolve and route from the client's network, or give every "
             "advertised name a private DNS record that leads to that broker (MSK: one endpoint per broker, or "
             "multi-VPC private connectivity with its per-broker ports)."},
    CodeInfo{Code::kafka_sasl_mechanism_unsupported, "kafka_sasl_mechanism_unsupported", "handshake",
             "found that the listener does not enable the SASL mechanism asked for",
             "Use one of the mechanisms the broker lists (see facts.sasl), or the port of the listener that enables "
             "yours (MSK: 9096 SASL/SCRAM, 9098 IAM, 9094 TLS, 9092 plaintext)."},
    CodeInfo{Code::kafka_auth_failed, "kafka_auth_failed", "handshake",
             "was refused by the broker: authentication or authorization failed",
             "Check the user name, the password (PLPROBE_SASL_PASSWORD or --sasl-password-file) and the mechanism; "
             "for MSK SASL/SCRAM, the secret must be associated with the cluster and ACLs must allow the user."},
    CodeInfo{Code::kafka_auth_required, "kafka_auth_required", "handshake",
             "found a SASL listener and had no credentials to read metadata and walk the brokers",
             "Pass --sasl-mechanism, --sasl-user and the password (PLPROBE_SASL_PASSWORD or --sasl-password-file), "
             "or probe the cluster's TLS or plaintext port to see its brokers."},
    CodeInfo{Code::kafka_protocol_error, "kafka_protocol_error", "handshake",
             "got an answer that is not valid Kafka protocol, or a Kafka error code",
             "Check that the port belongs to a Kafka listener and that TLS matches (kafka:// for plaintext, "
             "kafka+tls:// for TLS); the message names the broker's error code when there was one."},
    CodeInfo{Code::kafka_topic_missing, "kafka_topic_missing", "handshake",
             "found the cluster healthy but not the topic asked for",
             "Check the topic name (names are case-sensitive) and that it exists on this cluster; auto-creation is "
             "never triggered by plprobe."},
    // Postgres: what a PostgreSQL client meets on its way in (Frontend/Backend Protocol, chapter 55).
    CodeInfo{Code::postgres_protocol_error, "postgres_protocol_error", "handshake",
             "got an answer that is not PostgreSQL wire protocol (v3)",
             "Check that the port belongs to PostgreSQL (default 5432) and not to another service or a proxy that "
             "speaks something else; the message says what answered when it could tell."},
    CodeInfo{Code::postgres_tls_unavailable, "postgres_tls_unavailable", "tls",
             "asked for TLS and the server declined it (answered 'N' to SSLRequest)",
             "The server has ssl = off (or a proxy in front strips TLS): turn TLS on (RDS and Aurora always offer "
             "it), or run with --tls prefer to see what else answers. plprobe never falls back to plaintext when "
             "--tls require or verify-full asks for TLS."},
    CodeInfo{Code::postgres_bytes_before_tls, "postgres_bytes_before_tls", "tls",
             "received bytes after the server's 'S' and before the TLS handshake",
             "Something between you and the server injects data into the connection (CVE-2021-23222 buffer "
             "stuffing): a server or proxy must send nothing after 'S' but the TLS handshake. Check proxies and "
             "load balancers on the path; do not connect clients through it."},
    CodeInfo{Code::postgres_tls_required, "postgres_tls_required", "tls",
             "was refused because the server accepts this connection only over TLS",
             "pg_hba.conf only has hostssl lines for this user and address (or RDS rds.force_ssl = 1): probe with "
             "--tls prefer, require or verify-full, and connect ClickPipes with TLS."},
    CodeInfo{Code::postgres_auth_rejected, "postgres_auth_rejected", "handshake",
             "was refused before authentication: no pg_hba.conf entry allows this host, user and database",
             "Add a pg_hba.conf line (host or hostssl) for the ClickPipes user, the database and the client address "
             "range (the VPC endpoint's or NAT's addresses, as the server sees them) and reload "
             "(SELECT pg_reload_conf()); check that the role exists and may log in."},
    CodeInfo{Code::postgres_auth_failed, "postgres_auth_failed", "handshake",
             "was refused: authentication failed for the user",
             "Check the user name and the password (PLPROBE_PASSWORD or --password-file); the message names the "
             "method the server asked for (md5, SCRAM-SHA-256, ...)."},
    CodeInfo{Code::postgres_database_missing, "postgres_database_missing", "handshake",
             "was told that the database does not exist",
             "Check the database name in the target (postgres://USER@HOST/DB; without one the server uses the "
             "user's name); names are case-sensitive."},
    CodeInfo{Code::postgres_server_unavailable, "postgres_server_unavailable", "handshake",
             "was turned away: too many connections, or the server is starting, stopping or in recovery",
             "Try again later; if it persists, raise max_connections (RDS: the DB parameter group) or close idle "
             "sessions, and check that the endpoint leads to the primary, not a standby that refuses connections."},
    CodeInfo{Code::postgres_server_error, "postgres_server_error", "handshake",
             "got an error from the server during the handshake",
             "The message carries the server's severity, SQLSTATE and text; see PostgreSQL's Appendix A (error "
             "codes) and the server log for the same time."},
    CodeInfo{Code::postgres_query_failed, "postgres_query_failed", "handshake",
             "logged in, but a CDC readiness query failed",
             "The message carries the SQLSTATE: a permission problem means the user cannot read pg_settings or "
             "pg_roles (grant pg_read_all_settings); otherwise see the server log."},
    CodeInfo{Code::postgres_cdc_not_ready, "postgres_cdc_not_ready", "handshake",
             "logged in, but the server is not ready for ClickPipes CDC",
             "See facts.cdc.findings: each says what to change (wal_level = logical, replication slots and WAL "
             "senders, the REPLICATION attribute or rds_replication, the publication)."},
    // MySQL and MariaDB (MySQL client/server protocol, "Connection Phase").
    CodeInfo{Code::mysql_protocol_error, "mysql_protocol_error", "handshake",
             "got an answer that is not the MySQL client/server protocol",
             "Check that the port belongs to MySQL or MariaDB (default 3306); the message says what answered when "
             "it could tell (TLS, HTTP, SSH, PostgreSQL, ...)."},
    CodeInfo{Code::mysql_tls_unavailable, "mysql_tls_unavailable", "tls",
             "asked for TLS and the server does not offer it (no CLIENT_SSL capability)",
             "Configure ssl_cert and ssl_key on the server (RDS and Aurora always offer TLS), or run with "
             "--tls prefer to see what else answers. plprobe never falls back to plaintext when --tls require or "
             "verify-full asks for TLS."},
    CodeInfo{Code::mysql_tls_required, "mysql_tls_required", "tls",
             "was refused because the server accepts only TLS connections",
             "The server has require_secure_transport = ON (or the account REQUIRE SSL): probe with --tls prefer, "
             "require or verify-full, and connect ClickPipes with TLS."},
    CodeInfo{Code::mysql_host_not_allowed, "mysql_host_not_allowed", "handshake",
             "was refused at once: no account may connect from this client address (error 1130)",
             "Create the ClickPipes user for the address the server sees (the endpoint's or NAT's addresses, or "
             "'%'): CREATE USER 'user'@'10.0.%' ...; with skip_name_resolve, host names in accounts never match."},
    CodeInfo{Code::mysql_host_blocked, "mysql_host_blocked", "handshake",
             "was refused at once: the server blocks this client address after too many connection errors (1129)",
             "Run FLUSH HOSTS (or mysqladmin flush-hosts; on MySQL 8 TRUNCATE performance_schema.host_cache) and "
             "raise max_connect_errors. Load balancer health checks that open and close TCP connections count as "
             "errors: this is common behind an NLB."},
    CodeInfo{Code::mysql_too_many_connections, "mysql_too_many_connections", "handshake",
             "was turned away: the server (or this user) has too many connections (1040/1203)",
             "Close idle sessions or raise max_connections (RDS: the DB parameter group) or the user's "
             "MAX_USER_CONNECTIONS."},
    CodeInfo{Code::mysql_auth_failed, "mysql_auth_failed", "handshake",
             "was refused: access denied for the user (1045 or 1044)",
             "Check the user name, the password (PLPROBE_PASSWORD or --password-file) and the account's host "
             "part: 'user'@'%' and 'user'@'10.0.%' are different accounts."},
    CodeInfo{Code::mysql_server_error, "mysql_server_error", "handshake",
             "got an error packet from the server",
             "The message carries the server's error number, SQLSTATE and text; see the MySQL or MariaDB error "
             "reference and the server's error log."},
    CodeInfo{Code::mysql_query_failed, "mysql_query_failed", "handshake",
             "logged in, but a CDC readiness query failed",
             "The message carries the server's error; SHOW GLOBAL VARIABLES and SHOW GRANTS need no special "
             "privilege, so check the server log."},
    CodeInfo{Code::mysql_cdc_not_ready, "mysql_cdc_not_ready", "handshake",
             "logged in, but the server is not ready for ClickPipes CDC",
             "See facts.cdc.findings: each says what to change (log_bin, binlog_format = ROW, binlog_row_image = "
             "FULL, binlog retention, REPLICATION SLAVE and REPLICATION CLIENT)."},
    // MongoDB: the seed answered hello; these say what a driver (and ClickPipes) would hit next.
    CodeInfo{Code::mongodb_protocol_error, "mongodb_protocol_error", "handshake",
             "got an answer that is not MongoDB wire protocol, or a refused handshake",
             "Check that the port belongs to mongod or mongos (default 27017) and that TLS matches (mongodb+tls:// or "
             "--tls require for a TLS port); the message says what answered when it could tell."},
    CodeInfo{Code::mongodb_not_replica_set, "mongodb_not_replica_set", "handshake",
             "found a standalone MongoDB server (or a replica set that was never initiated)",
             "ClickPipes reads changes from the oplog, which only a replica set keeps: start mongod with --replSet "
             "and run rs.initiate() (a one-member replica set is enough), or point ClickPipes at a mongos."},
    CodeInfo{Code::mongodb_member_unresolvable, "mongodb_member_unresolvable", "handshake",
             "reached the seed, but a replica-set member's advertised host name does not resolve",
             "Drivers connect to the host:port each member advertises in the replica-set configuration (rs.conf()), "
             "not to the seed address: make every member name resolve from this network (private hosted zone, or the "
             "endpoint's custom private DNS name for each member)."},
    CodeInfo{Code::mongodb_member_unreachable, "mongodb_member_unreachable", "handshake",
             "reached the seed, but could not connect to a member at its advertised address",
             "Every member must be reachable at the host:port it advertises: check the NLB listener and target for "
             "that member's port, security groups, and that the member is up; members advertising localhost or "
             "internal addresses need rs.reconfig() with names clients can use."},
    CodeInfo{Code::mongodb_member_mismatch, "mongodb_member_mismatch", "handshake",
             "connected to a member's advertised address, but another server answered there",
             "The answer names another member or replica set: the listener or DNS record for this member leads to "
             "the wrong server (one NLB listener and target per member, each member's name to its own path)."},
    CodeInfo{Code::mongodb_auth_failed, "mongodb_auth_failed", "handshake",
             "was refused by the server: authentication failed",
             "Check the user name, the authentication database (mongodb://USER@HOST/AUTHDB, default admin) and the "
             "password (PLPROBE_PASSWORD or --password-file)."},
    CodeInfo{Code::mongodb_auth_mechanism_unsupported, "mongodb_auth_mechanism_unsupported", "handshake",
             "found no password mechanism plprobe speaks (SCRAM-SHA-256 or SCRAM-SHA-1) for this user",
             "ClickPipes authenticates MongoDB users with SCRAM: create the user with a password (SCRAM-SHA-256) in "
             "the admin database; x.509, LDAP, Kerberos and AWS IAM users cannot be used."},
    CodeInfo{Code::mongodb_not_authorized, "mongodb_not_authorized", "handshake",
             "logged in, but the user may not run what ClickPipes needs",
             "Grant the roles ClickPipes documents: db.getSiblingDB(\"admin\").grantRolesToUser(USER, "
             "[\"readAnyDatabase\", \"clusterMonitor\"])."},
    CodeInfo{Code::mongodb_cdc_not_ready, "mongodb_cdc_not_ready", "handshake",
             "found the server not ready for ClickPipes CDC",
             "See facts.cdc.findings: each says what to change (MongoDB 5.1 or later, an oplog, oplog retention of "
             "at least 24 hours via replSetResizeOplog minRetentionHours)."},
};

// boost::system::error_category has a protected non-virtual destructor by
// design (categories are never deleted through a base pointer).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "plprobe"; }
  std::string message(int value) const override {
    if (value < 0 || static_cast<std::size_t>(value) >= kCodes.size()) return "unknown plprobe code";
    return std::string(kCodes[static_cast<std::size_t>(value)].summary);
  }
};
#pragma GCC diagnostic pop

}  // namespace

const CodeInfo& info(Code code) { return kCodes[static_cast<std::size_t>(code)]; }

std::string_view name(Code code) { return info(code).name; }

std::span<const CodeInfo> all_codes() { return kCodes; }

std::optional<Code> code_from_name(std::string_view code_name) {
  for (const auto& entry : kCodes) {
    if (entry.name == code_name) return entry.code;
  }
  return std::nullopt;
}

const boost::system::error_category& plprobe_category() {
  static const Category category;
  return category;
}

boost::system::error_code make_error_code(Code code) {
  return {static_cast<int>(code), plprobe_category()};
}

}  // namespace plprobe
