// Bench targets: HOST:PORT, HOST:LOW-HIGH (a port range, connect mode) or
// [IPv6]:PORT. A host name is resolved once, before the run, with the
// project's resolver (c-ares); the load then goes to that one address.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/asio.h"

namespace plprobe::bench {

struct BenchTarget {
  std::string text;         // as the user wrote it
  std::string host;         // name or literal (also the TLS server name)
  std::uint16_t low_port = 0;
  std::uint16_t high_port = 0;  // == low_port unless a range
  std::vector<tcp::endpoint> endpoints;  // filled by resolve_target(): one per port
};

// Syntax only; nullopt and `error` (one sentence) when malformed. Port 0
// only with `allow_port_zero` (a listen address: any free port).
std::optional<BenchTarget> parse_target(const std::string& text, bool allow_range, std::string& error,
                                        bool allow_port_zero = false);

// Resolves target.host (literal: no lookup; name: c-ares, 5 s budget) and
// fills target.endpoints. False and `error` set when it does not resolve.
bool resolve_target(BenchTarget& target, std::string& error);

}  // namespace plprobe::bench
