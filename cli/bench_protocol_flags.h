// What the protocol modes of `plprobe bench` (kafka, postgres, mysql,
// mongodb) share on the command line: the target URI and its address, the
// per-request timeout, and the database password.
#pragma once

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>

#include "bench/load/run.h"
#include "bench/protocols/protocol_load.h"
#include "cli/bench_command.h"
#include "probes/protocol.h"
#include "probes/target.h"

namespace plprobe::cli {

struct ProtocolTarget {
  probes::Target target;
  std::string address;  // the IP literal the load goes to (resolved once, with c-ares, for a name)
};

// What the database modes (postgres, mysql, mongodb) all take.
struct DatabaseFlags {
  std::string target;
  bench::RunOptions run;
  LoadShape shape;
  std::string timeout = "5s";
  std::string password_file;
};
// Declares the target (with `target_help`), the shared run options,
// --connections/--rate/--threads, --password-file and --timeout, and the
// loop-shape footer.
void add_database_options(CLI::App& command, DatabaseFlags& flags, const std::string& target_help);
// The password: --password-file, else PLPROBE_PASSWORD, else "".
std::string database_password(const DatabaseFlags& flags);

// Parses `text` as a URI of one of `schemes` (e.g. {"postgres"}) and
// resolves its host once. UsageError (exit 2) for anything else.
ProtocolTarget parse_protocol_target(const std::string& text, std::initializer_list<std::string_view> schemes);

// --connections/--rate/--threads (cli::LoadShape) and --timeout as the drivers take them.
bench::LoadShape load_shape(const LoadShape& shape, const std::string& timeout);

// The settings every protocol mode stores in its result file (never a secret).
Json protocol_settings(const ProtocolTarget& target, const bench::LoadShape& shape);

// Runs `load` under a bench::Run of `info` and `options`; the exit code.
int run_protocol_mode(bench::ProtocolLoad& load, bench::RunInfo info, const bench::RunOptions& options);

}  // namespace plprobe::cli
