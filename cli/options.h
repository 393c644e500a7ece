// Option parsing shared by subcommands: durations, DNS servers, target
// lists, and how output is shown. Bad values throw UsageError (exit 2).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "probes/target.h"
#include "resolvers/resolver.h"

namespace plprobe::cli {

std::chrono::microseconds parse_duration_option(const std::string& flag, const std::string& value);
std::vector<resolvers::DnsServer> parse_dns_servers(const std::vector<std::string>& values);
resolvers::Family parse_family(const std::string& value);

// Lines of a file ('-' is standard input), without blank lines and '#' comments.
std::vector<std::string> read_list_file(const std::string& path, const std::string& what);

// Parses every target; the first bad one throws UsageError listing the accepted forms.
std::vector<probes::Target> parse_targets(const std::vector<std::string>& texts);

// Colour only when the stream is a terminal and NO_COLOR is not set.
bool use_colour(std::FILE* stream);

}  // namespace plprobe::cli
