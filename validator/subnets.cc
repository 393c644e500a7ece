#include "validator/subnets.h"

#include <algorithm>

#include <fmt/format.h>

namespace plprobe::validator {

namespace {

// Closed interval [first, last] of addresses.
struct Range {
  std::uint64_t first;
  std::uint64_t last;
};

constexpr std::uint64_t kBlock = 16;  // a /28

}  // namespace

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
  std::uint32_t out = 0;
  int parts = 0;
  std::size_t i = 0;
  while (parts < 4) {
    std::size_t start = i;
    std::uint32_t value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 3) {
      value = value * 10 + static_cast<std::uint32_t>(text[i] - '0');
      ++i;
    }
    if (i == start || value > 255) return std::nullopt;
    out = (out << 8) | value;
    ++parts;
    if (parts < 4) {
      if (i >= text.size() || text[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != text.size()) return std::nullopt;
  return out;
}

std::string format_ipv4(std::uint32_t address) {
  return fmt::format("{}.{}.{}.{}", address >> 24, (address >> 16) & 0xff, (address >> 8) & 0xff, address & 0xff);
}

std::optional<Ipv4Cidr> Ipv4Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto address = parse_ipv4(text.substr(0, slash));
  auto bits = text.substr(slash + 1);
  if (!address || bits.empty() || bits.size() > 2) return std::nullopt;
  int prefix = 0;
  for (char c : bits) {
    if (c < '0' || c > '9') return std::nullopt;
    prefix = prefix * 10 + (c - '0');
  }
  if (prefix > 32) return std::nullopt;
  Ipv4Cidr cidr{*address, prefix};
  std::uint32_t host_mask = prefix == 0 ? 0xffffffffu : static_cast<std::uint32_t>((std::uint64_t{1} << (32 - prefix)) - 1);
  if ((*address & host_mask) != 0) return std::nullopt;
  return cidr;
}

std::string Ipv4Cidr::to_string() const { return fmt::format("{}/{}", format_ipv4(base), prefix); }

SubnetCapacity compute_capacity(const SubnetUsage& usage) {
  SubnetCapacity out;
  out.subnet_id = usage.subnet_id;
  out.cidr = usage.cidr;
  out.size = usage.cidr.size();
  out.total_28_blocks = usage.cidr.prefix <= 28 ? out.size / kBlock : 0;

  const std::uint64_t low = usage.cidr.base;
  const std::uint64_t high = low + out.size - 1;

  std::vector<Range> taken;
  taken.reserve(usage.addresses.size() + usage.prefixes.size() + usage.reservations.size() + 2);

  // The 5 AWS-reserved addresses: the first four and the last. In a subnet
  // of fewer than 5 addresses (AWS does not allow one, but a file may say
  // so) that is every address.
  out.aws_reserved = std::min<std::uint64_t>(5, out.size);
  taken.push_back({low, std::min(high, low + 3)});
  taken.push_back({high, high});

  auto add = [&](std::uint64_t first, std::uint64_t last) {
    if (last < low || first > high) {
      ++out.ignored_outside;
      return;
    }
    // A range that straddles the subnet's edge counts only inside it.
    taken.push_back({std::max(first, low), std::min(last, high)});
  };
  for (auto address : usage.addresses) add(address, address);
  for (const auto& prefix : usage.prefixes) add(prefix.base, prefix.last());
  for (const auto& reservation : usage.reservations) add(reservation.base, reservation.last());

  std::sort(taken.begin(), taken.end(), [](const Range& a, const Range& b) { return a.first < b.first; });

  // Walk the taken ranges in order; each gap between them is free, and the
  // aligned /28 blocks wholly inside a gap are the free blocks.
  std::uint64_t used = 0;
  std::uint64_t blocks = 0;
  std::uint64_t next_free = low;  // first address not yet known to be taken
  auto count_gap = [&](std::uint64_t first, std::uint64_t end_exclusive) {
    if (end_exclusive <= first || usage.cidr.prefix > 28) return;
    std::uint64_t aligned = (first + kBlock - 1) / kBlock * kBlock;
    if (end_exclusive >= aligned + kBlock) blocks += (end_exclusive - aligned) / kBlock;
  };
  for (const auto& range : taken) {
    if (range.first > next_free) count_gap(next_free, range.first);
    if (range.last + 1 > next_free) {
      used += range.last + 1 - std::max(range.first, next_free);
      next_free = range.last + 1;
    }
  }
  count_gap(next_free, high + 1);

  out.used = used;
  out.free_addresses = out.size - used;
  out.free_28_blocks = blocks;
  return out;
}

}  // namespace plprobe::validator
