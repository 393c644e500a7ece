// Free aligned /28 blocks in a subnet: how many more reverse private
// endpoints a resource gateway subnet can take.
//
// Every endpoint that uses a resource gateway needs, in every subnet of the
// gateway, one free block of 16 contiguous addresses aligned on a /28
// boundary (docs: domain.md, rules 2 and 3). An address is taken when it is
//   - one of the 5 addresses AWS reserves in every subnet: the network
//     address, +1 (VPC router), +2 (DNS), +3 (reserved for future use) and
//     the broadcast address (Amazon VPC User Guide, "Subnet CIDR blocks");
//   - a private IPv4 address of a network interface in the subnet;
//   - inside an IPv4 prefix delegated to a network interface
//     (Amazon EC2 User Guide, "Assign prefixes to network interfaces");
//   - inside a subnet CIDR reservation, prefix or explicit
//     (Amazon VPC User Guide, "Subnet CIDR reservations").
// A subnet can have many free addresses and still no free aligned block, so
// the computation counts blocks, not addresses.
//
// Cost: O(n log n) in the number of used addresses and ranges, independent
// of the subnet size (interval arithmetic; no per-address map), so a /16
// with 60,000 used addresses takes a few milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plprobe::validator {

struct Ipv4Cidr {
  std::uint32_t base = 0;  // network address (host bits cleared)
  int prefix = 32;         // 0..32

  std::uint64_t size() const { return std::uint64_t{1} << (32 - prefix); }
  std::uint32_t last() const { return static_cast<std::uint32_t>(base + size() - 1); }
  std::string to_string() const;

  // "10.0.1.0/24". Host bits must be zero ("10.0.1.5/24" is rejected): AWS
  // never prints such a CIDR, so one means a hand-edited or foreign file.
  static std::optional<Ipv4Cidr> parse(std::string_view text);
};

// Dotted quad without leading zeros' octal ambiguity: each part 0..255,
// at most three digits.
std::optional<std::uint32_t> parse_ipv4(std::string_view text);
std::string format_ipv4(std::uint32_t address);

// What is known to be taken inside one subnet. Items outside the subnet's
// range are ignored (and counted), since AWS lists them only by mistake of
// the file's owner (e.g. network interfaces of every subnet in one file:
// the loader assigns them by SubnetId, this is a second guard).
struct SubnetUsage {
  std::string subnet_id;
  Ipv4Cidr cidr;
  std::vector<std::uint32_t> addresses;  // ENI private IPv4 addresses
  std::vector<Ipv4Cidr> prefixes;        // ENI delegated IPv4 prefixes
  std::vector<Ipv4Cidr> reservations;    // subnet CIDR reservations
};

struct SubnetCapacity {
  std::string subnet_id;
  Ipv4Cidr cidr;
  std::uint64_t size = 0;            // addresses in the CIDR
  std::uint64_t aws_reserved = 0;    // 5, or fewer for a subnet smaller than 5 addresses
  std::uint64_t used = 0;            // distinct taken addresses, AWS-reserved included
  std::uint64_t free_addresses = 0;  // size - used
  std::uint64_t free_28_blocks = 0;  // aligned /28 blocks with no taken address
  std::uint64_t total_28_blocks = 0; // aligned /28 blocks in the CIDR (0 below /28)
  std::uint64_t ignored_outside = 0; // addresses/ranges given that lie outside the CIDR
};

SubnetCapacity compute_capacity(const SubnetUsage& usage);

}  // namespace plprobe::validator
