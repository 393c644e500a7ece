// plprobe bench mongodb: ping on N connections (bench/protocols/mongodb_load.h).
#include <memory>

#include <fmt/format.h>

#include "bench/protocols/mongodb_load.h"
#include "cli/bench_protocol_flags.h"
#include "cli/options.h"

namespace plprobe::cli {
namespace {

struct MongoFlags : DatabaseFlags {
  std::string ca_file;
  std::string sni;
};

int run_mongodb(MongoFlags& flags) {
  const auto target = parse_protocol_target(flags.target, {"mongodb", "mongodb+tls"});
  bench::MongoLoadOptions options;
  options.shape = load_shape(flags.shape, flags.timeout);
  options.host = target.address;
  options.port = target.target.port;
  options.tls = target.target.scheme->tls_first;
  options.server_name = flags.sni.empty() ? target.target.host : flags.sni;
  options.ca_file = flags.ca_file;
  options.user = target.target.user;
  if (!target.target.path.empty()) options.auth_database = target.target.path;
  options.password = database_password(flags);
  if (!options.password.empty() && options.user.empty()) {
    throw UsageError(fmt::format("a password was given but '{}' names no user", flags.target),
                     "write mongodb://USER@HOST[/AUTHDB] (the authentication database defaults to admin)");
  }
  if (options.tls) {
    // Checked once here, so a bad --ca is a usage error, not a run of failures.
    std::string error;
    if (!probes::TlsClientContext::create(probes::TlsOptions{options.ca_file, false, {}}, error)) throw UsageError(error);
  }

  bench::RunInfo info;
  info.mode = "mongodb";
  info.settings = protocol_settings(target, options.shape);
  info.settings["user"] = options.user.empty() ? Json(nullptr) : Json(options.user);
  info.settings["tls"] = options.tls;
  info.settings["request"] = "ping";
  bench::MongoLoad load(std::move(options));
  return run_protocol_mode(load, std::move(info), flags.run);
}

}  // namespace

void add_bench_mongodb(CLI::App& command, Run& run) {
  auto flags = std::make_shared<MongoFlags>();
  add_database_options(command, *flags,
                       "mongodb://[USER@]HOST[:27017][/AUTHDB] or mongodb+tls://... (TLS, certificate verified)");
  command.add_option("--ca", flags->ca_file, "CA file for mongodb+tls:// [the system's CAs]");
  command.add_option("--sni", flags->sni, "Server name to send and verify for mongodb+tls:// [the target's host]");
  run = [flags] { return run_mongodb(*flags); };
}

}  // namespace plprobe::cli
