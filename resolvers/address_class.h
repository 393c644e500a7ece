// What kind of network an address belongs to, so a report can say "this
// endpoint name resolved to a public address" in plain words.
#pragma once

#include <string_view>

#include "common/asio.h"

namespace plprobe::resolvers {

enum class AddressClass {
  private_range,  // RFC 1918 (10/8, 172.16/12, 192.168/16), IPv6 ULA fc00::/7 (RFC 4193)
  shared,         // RFC 6598 carrier-grade NAT 100.64/10
  loopback,       // 127/8, ::1
  link_local,     // 169.254/16 (RFC 3927), fe80::/10
  reserved,       // unspecified, multicast, documentation, benchmarking, 240/4, ...
  public_range,   // everything else: routable on the internet
};

AddressClass classify(const asio::ip::address& address);

// "private", "shared", "loopback", "link-local", "reserved", "public".
std::string_view to_string(AddressClass value);

// Names that only make sense as private addresses: AWS PrivateLink endpoint
// names (*.vpce.amazonaws.com) and VPC Lattice names (*.on.aws). One of them
// resolving to a public address means private DNS is not in effect
// (see shared/docs/domain.md, rule 10).
bool is_private_endpoint_name(std::string_view name);

}  // namespace plprobe::resolvers
