// Raw DNS replies for UdpResponder callbacks (RFC 1035 §4.1). Deliberately
// independent of resolvers/: a test peer must not share the parser it is
// testing.
//
// All functions are pure (thread-safe) and never throw; a request too
// malformed to answer gives nullopt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace plprobe::testing {

// RCODE values, RFC 1035 §4.1.1.
enum class DnsRcode : std::uint8_t { no_error = 0, format_error = 1, server_failure = 2, name_error = 3, refused = 5 };

// A reply with the request's ID, RD bit and first question, QR=1, RA=1, the
// given RCODE and no records (for SERVFAIL, NXDOMAIN, REFUSED, or an empty
// NOERROR answer). nullopt when the request has no complete header and
// question.
std::optional<std::string> dns_reply_without_records(std::string_view request,
                                                     DnsRcode rcode = DnsRcode::server_failure);

// The byte length of the request's header plus first question (where
// answer records would start), or nullopt when that is not all there.
std::optional<std::size_t> dns_question_end(std::string_view request);

}  // namespace plprobe::testing
