// Judging the addresses Kafka brokers advertise against how the bootstrap
// was reached, and recognising Amazon MSK names and ports.
//
// Why this exists: a Kafka client uses the bootstrap only to fetch
// Metadata; every later connection goes to the host:port each broker
// advertises (its advertised.listeners). Over PrivateLink the bootstrap is
// usually an endpoint name while the brokers advertise their own names,
// which resolve or route only inside the broker's VPC. See
// shared/docs/domain.md, "What goes wrong in practice".
//
// Pure functions over strings and addresses: no I/O, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.h"
#include "common/result.h"
#include "resolvers/address_class.h"

namespace plprobe::probes::kafka {

// How the bootstrap was reached.
struct BootstrapView {
  std::string host;  // as the user wrote it
  bool host_is_literal = false;
  std::uint16_t port = 0;
  resolvers::AddressClass address_class = resolvers::AddressClass::public_range;
};

// What the walk saw for one advertised broker.
enum class WalkVerdict { ok, unresolvable, unreachable };

// Everything after the first label, lower-cased: "b-1.c.kafka.us-east-1.amazonaws.com" ->
// "c.kafka.us-east-1.amazonaws.com". Empty for single-label names and IP literals.
std::string parent_domain(std::string_view host);

bool is_ip_literal(std::string_view host);

// A reason, in one clause, why `advertised_host` cannot be what a client
// reaching the bootstrap as `bootstrap` should be told to use; nullopt
// when nothing is wrong with it. Rules, in order:
//   1. it is "localhost" (or *.localhost), or all its addresses are
//      loopback, link-local or unspecified while the bootstrap's is not:
//      from the client that is the client itself, whatever happens next;
//   2. the walk failed (unresolvable or unreachable) and the bootstrap was
//      reached by name while the broker advertises an IP literal or a name
//      in another domain: the advertised listener belongs to another
//      network (internal names, the broker VPC's own addresses).
// A broker that answers is never judged by rule 2: a different domain
// that works is the one-endpoint-per-broker pattern done right.
std::optional<std::string> advertised_mismatch(const BootstrapView& bootstrap, std::string_view advertised_host,
                                               const std::vector<resolvers::AddressClass>& resolved_classes,
                                               WalkVerdict verdict);

// ---- Amazon MSK ----

// b-1.cluster.abc123.c2.kafka.us-east-1.amazonaws.com (provisioned brokers,
// also b-1-public. for public access), boot-xxxx.c1.kafka-serverless.<region>.amazonaws.com
// (serverless), with .amazonaws.com.cn in China regions.
bool is_msk_name(std::string_view host);

struct MskPort {
  std::string_view auth;    // "plaintext", "TLS", "SASL/SCRAM", "IAM", or "unknown (per-broker multi-VPC port)"
  std::string_view access;  // "private", "public", "private IPv6 network type", "multi-VPC private connectivity"
};

// MSK's documented listener ports (MSK developer guide, "Port
// information"): 9092 plaintext, 9094 TLS, 9096 SASL/SCRAM, 9098 IAM
// inside AWS; 9194/9196/9198 for public access; 20092/20094/20096/20098
// on clusters with the IPv6 network type. Ports 14001-14100 are where
// multi-VPC private connectivity puts one port per broker (read the real
// ones from BootstrapBrokerStringVpcConnectivity* of get-bootstrap-brokers);
// the port alone does not say which auth those use.
std::optional<MskPort> msk_port(std::uint16_t port);

// facts["msk"] when the bootstrap or any advertised broker has an MSK name
// or the bootstrap uses an MSK port; null otherwise.
Json msk_facts(const BootstrapView& bootstrap, const std::vector<std::string>& advertised_hosts);

// The part of a hint that explains advertised.listeners for this cluster,
// MSK-specific when MSK names are in play.
std::string advertised_listeners_hint(bool msk);

}  // namespace plprobe::probes::kafka
