// What to probe, as the user wrote it: SCHEME://[USER@]HOST[:PORT][/PATH].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/asio.h"

namespace plprobe::probes {

struct Scheme;

struct Target {
  std::string text;    // exactly as given, for the report
  const Scheme* scheme = nullptr;
  std::string host;    // brackets removed from IPv6 literals
  std::uint16_t port = 0;
  std::string user;    // "" when absent
  std::string path;    // without the leading '/', e.g. a database name
  bool host_is_literal = false;
  asio::ip::address literal_address;  // the parsed host when host_is_literal
};

// Parses a target URI. On failure returns nullopt and sets `error` to one
// sentence naming what is wrong; accepted_forms() lists what would do.
std::optional<Target> parse_target(std::string_view text, std::string& error);

// "tcp://HOST:PORT, tls://HOST:PORT, ..." from the scheme table.
std::string accepted_forms();

}  // namespace plprobe::probes
