// How a subcommand plugs into `plprobe`.
//
// Each subcommand lives in its own file and exposes one `add_*` function that
// declares its options on a CLI11 subcommand and stores, in `run`, the work
// to do once parsing succeeded. main.cc lists them in one table (as ninja's
// kTools does) and turns exceptions into messages and exit codes:
//   0 everything healthy, 1 a failure or an error finding, 2 usage or input error.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

namespace plprobe::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

using Run = std::function<int()>;

// Bad flags, files or input: main prints "plprobe: <what>" and, when set,
// "hint: <hint>", then exits 2. Never used for network failures, which are
// results, not errors.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& what, std::string hint = {})
      : std::runtime_error(what), hint_(std::move(hint)) {}
  const std::string& hint() const { return hint_; }

 private:
  std::string hint_;
};

struct Command {
  const char* name;
  const char* summary;
  void (*add)(CLI::App& command, Run& run);
};

void add_resolve_command(CLI::App& command, Run& run);
void add_probe_command(CLI::App& command, Run& run);
void add_codes_command(CLI::App& command, Run& run);
void add_validate_command(CLI::App& command, Run& run);
void add_subnets_command(CLI::App& command, Run& run);
void add_doctor_command(CLI::App& command, Run& run);

}  // namespace plprobe::cli
