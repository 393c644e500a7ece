// plprobe: the thin executable. Parses arguments, runs one subcommand, and
// is the only place that turns exceptions into messages and exit codes.
#include <algorithm>
#include <array>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/bench_command.h"
#include "cli/command.h"

namespace {

using plprobe::cli::Command;

constexpr std::array kCommands = {
    Command{"doctor", "Is this endpoint ready? Probes, checks and explains the whole path (text, JSON, HTML)", plprobe::cli::add_doctor_command},
    Command{"resolve", "Resolve names with c-ares and classify every address", plprobe::cli::add_resolve_command},
    Command{"probe", "Connect to targets (tcp://, tls://, ...) and report each phase", plprobe::cli::add_probe_command},
    Command{"codes", "List every outcome code with its meaning and hint", plprobe::cli::add_codes_command},
    Command{"validate", "Check a reverse private endpoint against AWS CLI evidence and probe results", plprobe::cli::add_validate_command},
    Command{"subnets", "Free /28 blocks per resource gateway subnet (how many more endpoints fit)", plprobe::cli::add_subnets_command},
    Command{"bench", "Load a link: connect rate, throughput, protocol request rates, latency percentiles", plprobe::cli::add_bench_command},
    Command{"serve", "Sink/source peer for bench throughput and connect (plain or TLS), e.g. behind an NLB", plprobe::cli::add_serve_command},
    Command{"merge", "Combine bench result files from several hosts into one exact report", plprobe::cli::add_merge_command},
};

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "did you mean" for a mistyped subcommand, as ninja does for tools.
std::string suggestion_for(std::string_view word) {
  std::string best;
  std::size_t best_distance = 3;  // more than two edits away is another word
  for (const auto& command : kCommands) {
    auto distance = edit_distance(word, command.name);
    if (distance < best_distance) {
      best_distance = distance;
      best = command.name;
    }
  }
  return best;
}

constexpr const char* kFooter = R"(Examples:
  plprobe doctor --endpoint rpe.json --source postgres --evidence evidence/ --report report.html
  plprobe resolve b-1.example.vpce.amazonaws.com --dns-server 10.0.0.2
  plprobe probe tls://db.example.internal:5432 --sni db.example.com --json
  plprobe probe --targets targets.txt --concurrency 512 --timeout 2s

Exit codes: 0 all healthy, 1 at least one failure, 2 usage or input error.
Run 'plprobe COMMAND --help' for a command's options, 'plprobe codes' for outcome codes.)";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"plprobe: prove that a private network path to Kafka, Postgres, MySQL or MongoDB works, and say why not."};
  app.name("plprobe");
  app.footer(kFooter);
  app.set_version_flag("--version", std::string("plprobe ") + PLPROBE_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  std::vector<plprobe::cli::Run> runs(kCommands.size());
  for (std::size_t i = 0; i < kCommands.size(); ++i) {
    auto* sub = app.add_subcommand(kCommands[i].name, kCommands[i].summary);
    kCommands[i].add(*sub, runs[i]);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    std::string hint;
    if (argc > 1 && argv[1][0] != '-' && app.get_subcommands().empty()) {
      auto guess = suggestion_for(argv[1]);
      message = fmt::format("unknown command '{}'", argv[1]);
      hint = guess.empty() ? "run 'plprobe --help' for the list of commands" : fmt::format("did you mean '{}'?", guess);
    } else {
      hint = "run 'plprobe --help' or 'plprobe COMMAND --help'";
    }
    fmt::print(stderr, "plprobe: {}\nhint: {}\n", message, hint);
    return plprobe::cli::kExitUsage;
  }

  try {
    for (std::size_t i = 0; i < kCommands.size(); ++i) {
      if (app.got_subcommand(kCommands[i].name) && runs[i]) return runs[i]();
    }
    return plprobe::cli::kExitUsage;
  } catch (const plprobe::cli::UsageError& e) {
    fmt::print(stderr, "plprobe: {}\n", e.what());
    if (!e.hint().empty()) fmt::print(stderr, "hint: {}\n", e.hint());
    return plprobe::cli::kExitUsage;
  } catch (const std::exception& e) {
    // Library code reports failures as results; reaching this is a bug or
    // an environment problem (out of memory, ...), still not a stack trace.
    fmt::print(stderr, "plprobe: internal error: {}\n", e.what());
    return plprobe::cli::kExitUsage;
  }
}
