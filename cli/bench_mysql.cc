// plprobe bench mysql: COM_PING on N logged-in connections (bench/protocols/mysql_load.h).
#include <memory>

#include <fmt/format.h>

#include "bench/protocols/mysql_load.h"
#include "cli/bench_protocol_flags.h"
#include "cli/options.h"

namespace plprobe::cli {
namespace {

struct MysqlFlags : DatabaseFlags {
  std::string tls = "prefer";
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
  options.password = database_password(flags);
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
  add_database_options(command, *flags, "mysql://USER@HOST[:3306]");
  command.add_option("--tls", flags->tls, "disable or prefer (no TLS), require (TLS, encryption only) [prefer]");
  run = [flags] { return run_mysql(*flags); };
}

}  // namespace plprobe::cli
