#include "resolvers/address_class.h"

#include <array>
#include <cstdint>

namespace plprobe::resolvers {
namespace {

struct V4Range {
  std::uint32_t network;
  int prefix;
  AddressClass cls;
};

constexpr std::uint32_t v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return (std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) | d;
}

// IANA IPv4 Special-Purpose Address Registry (RFC 6890 and updates).
constexpr std::array kV4Ranges = {
    V4Range{v4(10, 0, 0, 0), 8, AddressClass::private_range},
    V4Range{v4(172, 16, 0, 0), 12, AddressClass::private_range},
    V4Range{v4(192, 168, 0, 0), 16, AddressClass::private_range},
    V4Range{v4(100, 64, 0, 0), 10, AddressClass::shared},
    V4Range{v4(127, 0, 0, 0), 8, AddressClass::loopback},
    V4Range{v4(169, 254, 0, 0), 16, AddressClass::link_local},
    V4Range{v4(0, 0, 0, 0), 8, AddressClass::reserved},         // "this network"
    V4Range{v4(192, 0, 0, 0), 24, AddressClass::reserved},       // IETF protocol assignments
    V4Range{v4(192, 0, 2, 0), 24, AddressClass::reserved},       // TEST-NET-1 (RFC 5737)
    V4Range{v4(198, 51, 100, 0), 24, AddressClass::reserved},    // TEST-NET-2
    V4Range{v4(203, 0, 113, 0), 24, AddressClass::reserved},     // TEST-NET-3
    V4Range{v4(198, 18, 0, 0), 15, AddressClass::reserved},      // benchmarking (RFC 2544)
    V4Range{v4(224, 0, 0, 0), 4, AddressClass::reserved},        // multicast
    V4Range{v4(240, 0, 0, 0), 4, AddressClass::reserved},        // future use + broadcast
};

bool in_range(std::uint32_t address, std::uint32_t network, int prefix) {
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (address & mask) == (network & mask);
}

AddressClass classify_v4(std::uint32_t address) {
  for (const auto& range : kV4Ranges) {
    if (in_range(address, range.network, range.prefix)) return range.cls;
  }
  return AddressClass::public_range;
}

AddressClass classify_v6(const asio::ip::address_v6& address) {
  if (address.is_v4_mapped()) {
    return classify_v4(asio::ip::make_address_v4(asio::ip::v4_mapped, address).to_uint());
  }
  const auto bytes = address.to_bytes();
  if (address.is_loopback()) return AddressClass::loopback;
  if (address.is_unspecified() || address.is_multicast()) return AddressClass::reserved;
  if ((bytes[0] & 0xfe) == 0xfc) return AddressClass::private_range;                      // fc00::/7
  if (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80) return AddressClass::link_local;     // fe80::/10
  if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8) {
    return AddressClass::reserved;  // 2001:db8::/32 documentation (RFC 3849)
  }
  if ((bytes[0] & 0xe0) == 0x20) return AddressClass::public_range;  // 2000::/3 global unicast
  return AddressClass::reserved;
}

bool ends_with_label(std::string_view name, std::string_view suffix) {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.size() <= suffix.size()) return false;
  auto tail = name.substr(name.size() - suffix.size());
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    char c = tail[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return name[name.size() - suffix.size() - 1] == '.';
}

}  // namespace

AddressClass classify(const asio::ip::address& address) {
  if (address.is_v4()) return classify_v4(address.to_v4().to_uint());
  return classify_v6(address.to_v6());
}

std::string_view to_string(AddressClass value) {
  switch (value) {
    case AddressClass::private_range: return "private";
    case AddressClass::shared: return "shared";
    case AddressClass::loopback: return "loopback";
    case AddressClass::link_local: return "link-local";
    case AddressClass::reserved: return "reserved";
    case AddressClass::public_range: return "public";
  }
  return "reserved";
}

bool is_private_endpoint_name(std::string_view name) {
  return ends_with_label(name, "vpce.amazonaws.com") || ends_with_label(name, "on.aws");
}

}  // namespace plprobe::resolvers
