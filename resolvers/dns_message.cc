#include "resolvers/dns_message.h"

#include <ares.h>

#include <algorithm>
#include <cctype>

namespace plprobe::resolvers {
namespace {

// RFC 1035 §4.1.1: the header is 12 octets; QDCOUNT at 4, ANCOUNT at 6.
constexpr std::size_t kHeaderSize = 12;
// RFC 1035 §3.2.2: TYPE CNAME is 5. §4.1.3: TYPE, CLASS, TTL, RDLENGTH = 10 octets.
constexpr int kTypeA = 1;
constexpr int kTypeCname = 5;
constexpr int kTypeAaaa = 28;  // RFC 3596 §2.1
constexpr std::size_t kFixedRrFields = 10;
// A chain longer than this is a loop or an attack; resolvers give up far earlier.
constexpr std::size_t kMaxHops = 32;

std::uint16_t read16(const unsigned char* at) { return static_cast<std::uint16_t>((at[0] << 8) | at[1]); }
std::uint32_t read32(const unsigned char* at) {
  return (std::uint32_t{at[0]} << 24) | (std::uint32_t{at[1]} << 16) | (std::uint32_t{at[2]} << 8) | at[3];
}

bool same_name(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Expands the name at `*offset`, advancing it past the encoded name.
std::optional<std::string> expand(const unsigned char* message, std::size_t length, std::size_t& offset) {
  if (offset >= length) return std::nullopt;
  char* name = nullptr;
  long encoded = 0;
  if (ares_expand_name(message + offset, message, static_cast<int>(length), &name, &encoded) != ARES_SUCCESS) {
    return std::nullopt;
  }
  std::string result(name);
  ares_free_string(name);
  if (encoded <= 0 || offset + static_cast<std::size_t>(encoded) > length) return std::nullopt;
  offset += static_cast<std::size_t>(encoded);
  return result;
}

}  // namespace

std::optional<std::vector<CnameHop>> read_cname_chain(const unsigned char* message, std::size_t length) {
  if (message == nullptr || length < kHeaderSize || length > 65535) return std::nullopt;
  const std::uint16_t questions = read16(message + 4);
  const std::uint16_t answers = read16(message + 6);
  if (questions != 1) return std::nullopt;  // every query we send has exactly one question
  std::size_t offset = kHeaderSize;
  auto question = expand(message, length, offset);
  if (!question || offset + 4 > length) return std::nullopt;
  offset += 4;  // QTYPE, QCLASS

  std::vector<CnameHop> records;
  for (std::uint16_t i = 0; i < answers; ++i) {
    auto owner = expand(message, length, offset);
    if (!owner || offset + kFixedRrFields > length) return std::nullopt;
    const int type = read16(message + offset);
    const std::uint32_t ttl = read32(message + offset + 4);
    const std::size_t data_length = read16(message + offset + 8);
    offset += kFixedRrFields;
    if (offset + data_length > length) return std::nullopt;
    // An address record of the wrong size is malformed (RFC 1035 §3.4.1,
    // RFC 3596 §2.2); c-ares skips it silently, a diagnosis must not.
    if ((type == kTypeA && data_length != 4) || (type == kTypeAaaa && data_length != 16)) return std::nullopt;
    if (type == kTypeCname) {
      std::size_t data_offset = offset;
      auto target = expand(message, length, data_offset);
      if (!target || data_offset != offset + data_length) return std::nullopt;
      // RFC 2181 §8: a TTL with the top bit set is treated as zero.
      records.push_back({std::move(*owner), std::move(*target), ttl > 0x7fffffffu ? 0 : ttl});
    }
    offset += data_length;
  }

  std::vector<CnameHop> chain;
  std::string current = *question;
  while (chain.size() < kMaxHops) {
    auto next = std::find_if(records.begin(), records.end(), [&](const CnameHop& hop) { return same_name(hop.owner, current); });
    if (next == records.end()) break;
    chain.push_back(*next);
    current = next->target;
    records.erase(next);
  }
  return chain;
}

}  // namespace plprobe::resolvers
