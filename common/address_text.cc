#include "common/address_text.h"

#include <charconv>

namespace plprobe {
namespace {

void append_number(std::string& out, unsigned value) {
  char digits[8];
  const auto [end, ignored] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

}  // namespace

void append_address(std::string& out, const asio::ip::address& address) {
  if (address.is_v6()) {
    out.append(address.to_string());
    return;
  }
  const auto octets = address.to_v4().to_bytes();
  for (std::size_t i = 0; i < octets.size(); ++i) {
    if (i > 0) out.push_back('.');
    append_number(out, octets[i]);
  }
}

std::string address_text(const asio::ip::address& address) {
  std::string text;
  append_address(text, address);
  return text;
}

std::string endpoint_text(const asio::ip::address& address, std::uint16_t port) {
  std::string text;
  if (address.is_v6()) text.push_back('[');
  append_address(text, address);
  if (address.is_v6()) text.push_back(']');
  text.push_back(':');
  append_number(text, port);
  return text;
}

}  // namespace plprobe
