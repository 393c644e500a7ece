// Addresses as text, fast: a scan formats two or three per probe, and
// Asio's to_string() goes through inet_ntop, which formats each IPv4 octet
// with sprintf (about 1,500 instructions an address, more than the rest of
// the result line). IPv4 is written digit by digit; IPv6 keeps inet_ntop's
// canonical form (RFC 5952), which is rare enough in a scan not to matter.
#pragma once

#include <cstdint>
#include <string>

#include "common/asio.h"

namespace plprobe {

// "10.0.1.17", "::1" (never bracketed).
void append_address(std::string& out, const asio::ip::address& address);
std::string address_text(const asio::ip::address& address);

// "10.0.1.17:9092", "[::1]:9092".
std::string endpoint_text(const asio::ip::address& address, std::uint16_t port);

}  // namespace plprobe
