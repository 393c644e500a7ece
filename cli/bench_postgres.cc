// plprobe bench postgres: libpq on N connections (bench/protocols/postgres_load.h).
#include <cctype>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "bench/protocols/postgres_load.h"
#include "cli/bench_protocol_flags.h"
#include "cli/options.h"

namespace plprobe::cli {
namespace {

struct PostgresFlags : DatabaseFlags {
  std::string tls = "prefer";
  std::string query = "SELECT 1";
  std::size_t pipeline = 0;
  std::string copy;
};

// "65536", "64k", "64KiB", "1M", "1MiB" (powers of 1024) -> bytes.
std::uint64_t parse_size(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  std::string unit = end != nullptr ? std::string(end) : std::string();
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double scale = 0;
  if (unit.empty() || unit == "b") scale = 1;
  if (unit == "k" || unit == "kb" || unit == "kib") scale = 1024;
  if (unit == "m" || unit == "mb" || unit == "mib") scale = 1024.0 * 1024;
  const double bytes = value * scale;
  if (end == text.c_str() || scale == 0 || !(bytes >= static_cast<double>(bench::kCopyRowBytes)) || bytes > 1024.0 * 1024 * 1024) {
    throw UsageError(fmt::format("{} '{}' is not a size between {} bytes and 1GiB", flag, text, bench::kCopyRowBytes),
                     "write bytes, or with a unit: 64k, 1MiB (units are powers of 1024)");
  }
  return static_cast<std::uint64_t>(bytes);
}

int run_postgres(PostgresFlags& flags) {
  const auto target = parse_protocol_target(flags.target, {"postgres"});
  bench::PostgresLoadOptions options;
  options.shape = load_shape(flags.shape, flags.timeout);
  options.host = target.address;
  options.port = target.target.port;
  options.user = target.target.user.empty() ? "postgres" : target.target.user;
  options.database = target.target.path;
  options.tls = parse_tls_mode(flags.tls);
  options.password = database_password(flags);
  options.query = flags.query;
  options.pipeline = flags.pipeline;
  if (!flags.copy.empty()) options.copy_bytes = parse_size("--copy", flags.copy);
  if (options.pipeline > 0 && options.copy_bytes > 0) {
    throw UsageError("--pipeline and --copy do not go together", "measure queries with --pipeline, bulk load with --copy");
  }
  if (options.query.empty()) throw UsageError("--query is empty", "give one SQL statement, e.g. --query 'SELECT 1'");

  bench::RunInfo info;
  info.mode = "postgres";
  info.settings = protocol_settings(target, options.shape);
  info.settings["user"] = options.user;
  info.settings["tls"] = probes::to_string(options.tls);
  if (options.copy_bytes > 0) {
    info.settings["copy_bytes"] = options.copy_bytes;
  } else {
    info.settings["query"] = options.query;
    info.settings["pipeline"] = options.pipeline;
  }
  bench::PostgresLoad load(std::move(options));
  return run_protocol_mode(load, std::move(info), flags.run);
}

}  // namespace

void add_bench_postgres(CLI::App& command, Run& run) {
  auto flags = std::make_shared<PostgresFlags>();
  add_database_options(command, *flags, "postgres://[USER@]HOST[:5432][/DB] (USER defaults to postgres)");
  command.add_option("--query", flags->query, "The statement every request runs (simple protocol) [SELECT 1]");
  command.add_option("--pipeline", flags->pipeline,
                     "libpq pipeline mode: up to DEPTH queries in flight per connection (extended protocol)")
      ->check(CLI::Range(1, 100000));
  command.add_option("--copy", flags->copy,
                     "Measure COPY FROM STDIN instead: SIZE bytes per COPY (e.g. 1MiB) into a temporary table");
  command.add_option("--tls", flags->tls, "disable, prefer, require or verify-full (libpq sslmode) [prefer]");
  run = [flags] { return run_postgres(*flags); };
}

}  // namespace plprobe::cli
