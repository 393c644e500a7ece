// Runs the built `plprobe` binary as a user would, for end-to-end tests.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.h"

namespace plprobe::testing {

inline const std::string& plprobe_binary() {
  static const std::string path = std::string(PLPROBE_BINARY_DIR) + "/cli/plprobe";
  return path;
}

inline RunResult run_plprobe(std::vector<std::string> args,
                             std::chrono::milliseconds timeout = std::chrono::seconds(30),
                             const Environment& environment = {}) {
  args.insert(args.begin(), plprobe_binary());
  return run_command(args, timeout, environment);
}

// Every line of `out` parsed as JSON; a line that does not parse fails the test.
inline std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::size_t start = 0;
  while (start < out.size()) {
    auto end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    if (end > start) lines.push_back(nlohmann::json::parse(out.substr(start, end - start)));
    start = end + 1;
  }
  return lines;
}

}  // namespace plprobe::testing
