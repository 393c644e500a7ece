#include "tests/support/dns_replies.h"

namespace plprobe::testing {
namespace {

constexpr std::size_t kHeaderSize = 12;  // RFC 1035 §4.1.1

}  // namespace

std::optional<std::size_t> dns_question_end(std::string_view request) {
  std::size_t at = kHeaderSize;
  // QNAME: labels until the root label; a request carries no compression
  // pointers in its question (RFC 1035 §4.1.4 allows them, resolvers do not
  // send them), so one is treated as malformed. 255 octets at most
  // (RFC 1035 §2.3.4).
  for (;;) {
    if (at >= request.size() || at - kHeaderSize > 255) return std::nullopt;
    const auto length = static_cast<unsigned char>(request[at]);
    if (length == 0) break;
    if (length > 63) return std::nullopt;
    at += 1 + length;
  }
  at += 1 + 4;  // root label, QTYPE, QCLASS
  if (at > request.size()) return std::nullopt;
  return at;
}

std::optional<std::string> dns_reply_without_records(std::string_view request, DnsRcode rcode) {
  const auto end = dns_question_end(request);
  if (!end) return std::nullopt;
  std::string reply(request.substr(0, *end));
  const auto rd = static_cast<unsigned char>(request[2]) & 0x01;
  const auto opcode = static_cast<unsigned char>(request[2]) & 0x78;
  reply[2] = static_cast<char>(0x80 | opcode | rd);                           // QR, OPCODE, RD
  reply[3] = static_cast<char>(0x80 | (static_cast<unsigned char>(rcode) & 0x0f));  // RA, RCODE
  reply[4] = 0;  // QDCOUNT = 1: only the first question is echoed
  reply[5] = 1;
  for (std::size_t i = 6; i < kHeaderSize; ++i) reply[i] = 0;  // ANCOUNT, NSCOUNT, ARCOUNT
  return reply;
}

}  // namespace plprobe::testing
