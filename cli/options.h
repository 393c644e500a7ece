// Option parsing shared by subcommands: durations, DNS servers, target
// lists, and how output is shown. Bad values throw UsageError (exit 2).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "probes/settings.h"
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

// A secret (password) from `file` when given (the file holds the secret
// alone; a trailing newline is dropped; `file_flag` names it in errors),
// else from the environment variable, else "". Secrets never come from argv
// and no message shows any part of one. UsageError: unreadable or empty file.
std::string read_secret(const std::string& file_flag, const std::string& file, const char* environment_variable);

// --tls disable|prefer|require|verify-full (case-insensitive); UsageError otherwise.
probes::TlsMode parse_tls_mode(const std::string& value);

// Kafka topic names: 1 to 249 of [a-zA-Z0-9._-] (Kafka's Topic.validate).
bool is_valid_topic_name(const std::string& name);

// --sasl-mechanism, upper-cased: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; UsageError otherwise.
std::string parse_sasl_mechanism(const std::string& value);

// Colour only when the stream is a terminal and NO_COLOR is not set.
bool use_colour(std::FILE* stream);

}  // namespace plprobe::cli
