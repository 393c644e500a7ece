// Reading the parts of a DNS answer that c-ares 1.18's parsers leave out.
//
// ares_parse_a_reply() returns addresses with TTLs but reports the CNAME
// chain unreliably (its hostent's h_name is the first CNAME target, not the
// last). This walker reads the answer section itself, defensively: every
// length is checked against the message, names are expanded with
// ares_expand_name() (which bounds compression pointers), and anything
// malformed yields std::nullopt instead of a partial chain.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace plprobe::resolvers {

struct CnameHop {
  std::string owner;   // the name that is an alias
  std::string target;  // what it points to
  std::uint32_t ttl = 0;
};

// The CNAME records of `message`'s answer section, ordered as a chain
// starting at the question name (records that do not continue the chain are
// dropped). nullopt when the message is malformed, including an A or AAAA
// record whose data is not 4 or 16 bytes long.
std::optional<std::vector<CnameHop>> read_cname_chain(const unsigned char* message, std::size_t length);

}  // namespace plprobe::resolvers
