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
