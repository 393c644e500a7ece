// Stable outcome codes: the public vocabulary of plprobe results.
//
// Every result a probe or the resolver produces carries exactly one Code.
// The code names (`tcp_refused`, `dns_nxdomain`, ...) are a contract with
// users' scripts and with the validator: never rename or reuse one; add new
// ones at the end of their group. `plprobe codes` prints this table and the
// README lists it.
//
// Codes are also a boost::system error category (as Beast does with its
// error enums), so asynchronous code passes them around as error_code and
// only the edge turns them into a Result.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/system/error_code.hpp>

namespace plprobe {

enum class Code : int {
  ok = 0,
  // Name resolution (resolvers/).
  dns_nxdomain,
  dns_nodata,
  dns_servfail,
  dns_refused,
  dns_timeout,
  dns_bad_answer,
  dns_server_unreachable,
  dns_public_address,
  // TCP transport (probes/transport).
  tcp_refused,
  tcp_timeout,
  tcp_reset,
  tcp_unreachable,
  tcp_error,
  // TLS transport (probes/transport).
  tls_handshake_failed,
  tls_timeout,
  tls_cert_untrusted,
  tls_cert_expired,
  tls_cert_not_yet_valid,
  tls_hostname_mismatch,
  tls_protocol_too_old,
  // Application protocols share these when nothing more specific fits.
  protocol_timeout,
  protocol_closed,
  stream_protocol_error,
  // Kafka (probes/kafka).
  kafka_broker_unresolvable,
  kafka_broker_unreachable,
  kafka_advertised_mismatch,
  kafka_sasl_mechanism_unsupported,
  kafka_auth_failed,
  kafka_auth_required,
  kafka_protocol_error,
  kafka_topic_missing,
  // Postgres (probes/postgres).
  postgres_protocol_error,
  postgres_tls_unavailable,
  postgres_bytes_before_tls,
  postgres_tls_required,
  postgres_auth_rejected,
  postgres_auth_failed,
  postgres_database_missing,
  postgres_server_unavailable,
  postgres_server_error,
  postgres_query_failed,
  postgres_cdc_not_ready,
  // MySQL and MariaDB (probes/mysql).
  mysql_protocol_error,
  mysql_tls_unavailable,
  mysql_tls_required,
  mysql_host_not_allowed,
  mysql_host_blocked,
  mysql_too_many_connections,
  mysql_auth_failed,
  mysql_server_error,
  mysql_query_failed,
  mysql_cdc_not_ready,
  // MongoDB (probes/mongodb).
  mongodb_protocol_error,
  mongodb_not_replica_set,
  mongodb_member_unresolvable,
  mongodb_member_unreachable,
  mongodb_member_mismatch,
  mongodb_auth_failed,
  mongodb_auth_mechanism_unsupported,
  mongodb_not_authorized,
  mongodb_cdc_not_ready,
};

// What a code means, for humans. `summary` completes "The probe ...",
// `hint` says what to do next when the site has nothing more specific.
struct CodeInfo {
  Code code;
  std::string_view name;
  std::string_view phase;  // dns, connect, tls, handshake
  std::string_view summary;
  std::string_view hint;
};

const CodeInfo& info(Code code);
std::string_view name(Code code);
std::span<const CodeInfo> all_codes();
std::optional<Code> code_from_name(std::string_view name);

const boost::system::error_category& plprobe_category();
boost::system::error_code make_error_code(Code code);

}  // namespace plprobe

template <>
struct boost::system::is_error_code_enum<plprobe::Code> : std::true_type {};
