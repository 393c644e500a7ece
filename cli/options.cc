#include "cli/options.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

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

std::string read_secret(const std::string& file_flag, const std::string& file, const char* environment_variable) {
  std::string secret;
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      throw UsageError(fmt::format("cannot read {} '{}': {}", file_flag, file, std::strerror(errno)),
                       "the file holds the password alone (a trailing newline is ignored)");
    }
    secret.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!secret.empty() && secret.back() == '\n') secret.pop_back();
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
    if (secret.empty()) throw UsageError(fmt::format("{} '{}' is empty", file_flag, file));
  } else if (const char* from_environment = std::getenv(environment_variable)) {
    secret = from_environment;
  }
  return secret;
}

probes::TlsMode parse_tls_mode(const std::string& value) {
  std::string mode = value;
  std::transform(mode.begin(), mode.end(), mode.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (mode == "disable") return probes::TlsMode::disable;
  if (mode == "prefer") return probes::TlsMode::prefer;
  if (mode == "require") return probes::TlsMode::require;
  if (mode == "verify-full" || mode == "verify_full") return probes::TlsMode::verify_full;
  throw UsageError(fmt::format("--tls '{}' is not disable, prefer, require or verify-full", value),
                   "prefer (the default) uses TLS when the server offers it; require fails without TLS; "
                   "verify-full also checks the certificate against --ca and the host name");
}

bool is_valid_topic_name(const std::string& name) {
  return !name.empty() && name.size() <= 249 && name != "." && name != ".." &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) {
           return std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-';
         });
}

std::string parse_sasl_mechanism(const std::string& value) {
  std::string mechanism = value;
  std::transform(mechanism.begin(), mechanism.end(), mechanism.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (mechanism != "PLAIN" && mechanism != "SCRAM-SHA-256" && mechanism != "SCRAM-SHA-512") {
    throw UsageError(fmt::format("--sasl-mechanism '{}' is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", value),
                     "plprobe cannot authenticate with MSK IAM (AWS_MSK_IAM) or OAUTHBEARER; without credentials it "
                     "still lists a listener's mechanisms, and MSK's SCRAM (9096) or TLS (9094) listener shows the "
                     "brokers");
  }
  return mechanism;
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
