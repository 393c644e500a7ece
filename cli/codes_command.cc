// plprobe codes: the outcome vocabulary, so a script's author can look up
// what any "outcome" value means and what to do about it.
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "common/codes.h"

namespace plprobe::cli {

void add_codes_command(CLI::App& command, Run& run) {
  auto json = std::make_shared<bool>(false);
  command.add_flag("--json", *json, "Print JSON Lines: code, phase, meaning, hint");
  run = [json] {
    for (const auto& entry : all_codes()) {
      if (*json) {
        nlohmann::json line = {{"code", entry.name}, {"phase", entry.phase}, {"meaning", entry.summary}, {"hint", entry.hint}};
        fmt::print("{}\n", line.dump());
      } else {
        fmt::print("{:<24} {:<10} The probe {}.\n", entry.name, entry.phase.empty() ? "-" : entry.phase, entry.summary);
        if (!entry.hint.empty()) fmt::print("{:<35} {}\n", "", entry.hint);
      }
    }
    return kExitOk;
  };
}

}  // namespace plprobe::cli
