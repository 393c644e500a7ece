// plprobe bench mysql: COM_PING on N logged-in connections (bench/protocols/mysql_load.h).
#include <memory>

#include <fmt/format.h>

#include "bench/protocols/mysql_load.h"
#include "cli/bench_protocol_flags.h"
#include "cli/options.h"

namespace plprobe::cli {
namespace {

struct MysqlFlags {
  std::string target;
  bench::RunOptions run;
  LoadShape shape;
  std::string timeout = "5s";
  std::string tls = "prefer";
  std::string password_file;
};

int run_mysql(MysqlFlags& flags) {
  const auto target = parse_protocol_target(flags.target, {"mysql"});
  if (target.target.user.empty()) {
    throw UsageError(fmt::format("'{}' names no user", flags.target),
                     "round trips need a login: write mysql://USER@HOST and give the password in PLPROBE_PASSWORD "
                     "or --password-file");
  }
  bench::MysqlLoadOptions options;
  options.shape = load_shape(flags.shape, flags.timeout);
  options.host = target.address;
  options.port = target.target.port;
  options.user = target.target.user;
  options.password = read_secret("--password-file", flags.password_file, "PLPROBE_PASSWORD");
  const auto tls = parse_tls_mode(flags.tls);
  if (tls == probes::TlsMode::verify_full) {
    throw UsageError("bench mysql does not take --tls verify-full",
                     "verify the certificate once with 'plprobe probe mysql://... --tls verify-full', then bench with "
                     "--tls require");
  }
  // Connector/C has no "prefer": prefer runs without TLS, require with it.
  options.tls = tls == probes::TlsMode::require;

  bench::RunInfo info;
  info.mode = "mysql";
  info.settings = protocol_settings(target, options.shape);
  info.settings["user"] = options.user;
  info.settings["tls"] = options.tls;
  info.settings["request"] = "COM_PING";
  bench::MysqlLoad load(std::move(options));
  return run_protocol_mode(load, std::move(info), flags.run);
}

}  // namespace

void add_bench_mysql(CLI::App& command, Run& run) {
  auto flags = std::make_shared<MysqlFlags>();
  command.add_option("target", flags->target, "mysql://USER@HOST[:3306]")->required();
  add_run_options(command, flags->run);
  add_load_shape_options(command, flags->shape, "--connections", 8);
  command.add_option("--tls", flags->tls, "disable or prefer (no TLS), require (TLS, encryption only) [prefer]");
  command.add_option("--password-file", flags->password_file,
                     "File holding the password (else PLPROBE_PASSWORD; never on the command line)");
  command.add_option("--timeout", flags->timeout, "Per request, and per connect and login [5s]");
  command.footer(kLoopModesHelp);
  run = [flags] { return run_mysql(*flags); };
}

}  // namespace plprobe::cli
