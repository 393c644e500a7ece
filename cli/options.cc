#include "cli/options.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "common/duration.h"

namespace plprobe::cli {

std::chrono::microseconds parse_duration_option(const std::string& flag, const std::string& value) {
  auto parsed = parse_duration(value);
  if (!parsed || parsed->count() == 0) {
    throw UsageError(fmt::format("{} '{}' is not a duration", flag, value),
                     "write it like 3s, 500ms, 1.5s or 2m (a bare number means seconds; at most one day)");
  }
  return *parsed;
}

std::vector<resolvers::DnsServer> parse_dns_servers(const std::vector<std::string>& values) {
  std::vector<resolvers::DnsServer> servers;
  for (const auto& value : values) {
    auto server = resolvers::parse_dns_server(value);
    if (!server) {
      throw UsageError(fmt::format("--dns-server '{}' is not an address", value),
                       "write IP, IP:PORT or [IPv6]:PORT, e.g. 10.0.0.2 or 127.0.0.1:5353");
    }
    servers.push_back(*server);
  }
  return servers;
}

resolvers::Family parse_family(const std::string& value) {
  if (value == "any") return resolvers::Family::any;
  if (value == "4" || value == "ipv4") return resolvers::Family::v4;
  if (value == "6" || value == "ipv6") return resolvers::Family::v6;
  throw UsageError(fmt::format("--family '{}' is not 4, 6 or any", value));
}

std::vector<std::string> read_list_file(const std::string& path, const std::string& what) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path);
    if (!file) {
      throw UsageError(fmt::format("cannot read {} file '{}': {}", what, path, std::strerror(errno)));
    }
    in = &file;
  }
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(*in, line)) {
    auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos || line[begin] == '#') continue;
    auto end = line.find_last_not_of(" \t\r");
    lines.push_back(line.substr(begin, end - begin + 1));
  }
  return lines;
}

std::vector<probes::Target> parse_targets(const std::vector<std::string>& texts) {
  std::vector<probes::Target> targets;
  targets.reserve(texts.size());
  for (const auto& text : texts) {
    std::string error;
    auto target = probes::parse_target(text, error);
    if (!target) throw UsageError(error, "accepted forms: " + probes::accepted_forms());
    targets.push_back(std::move(*target));
  }
  return targets;
}

bool use_colour(std::FILE* stream) {
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour != nullptr && *no_colour != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return isatty(fileno(stream)) == 1;
}

}  // namespace plprobe::cli
