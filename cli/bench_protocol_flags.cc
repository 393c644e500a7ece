#include "cli/bench_protocol_flags.h"

#include <algorithm>

#include <fmt/format.h>

#include "bench/load/io_pool.h"
#include "bench/load/targets.h"
#include "cli/options.h"

namespace plprobe::cli {

ProtocolTarget parse_protocol_target(const std::string& text, std::initializer_list<std::string_view> schemes) {
  std::string forms;
  for (auto scheme : schemes) {
    if (!forms.empty()) forms.append(" or ");
    forms.append(probes::find_scheme(scheme)->form);
  }
  std::string error;
  auto target = probes::parse_target(text, error);
  if (!target) throw UsageError(error, fmt::format("write {}", forms));
  if (std::find(schemes.begin(), schemes.end(), target->scheme->name) == schemes.end()) {
    throw UsageError(fmt::format("'{}' is not a {} target", text, *schemes.begin()), fmt::format("write {}", forms));
  }
  bench::BenchTarget resolvable;
  resolvable.text = text;
  resolvable.host = target->host;
  resolvable.low_port = resolvable.high_port = target->port;
  if (!bench::resolve_target(resolvable, error) || resolvable.endpoints.empty()) {
    throw UsageError(error, "check the name, or pass an IP address");
  }
  return ProtocolTarget{*target, resolvable.endpoints.front().address().to_string()};
}

void add_database_options(CLI::App& command, DatabaseFlags& flags, const std::string& target_help) {
  command.add_option("target", flags.target, target_help)->required();
  add_run_options(command, flags.run);
  add_load_shape_options(command, flags.shape, "--connections", 8);
  command.add_option("--password-file", flags.password_file,
                     "File holding the password (else PLPROBE_PASSWORD; never on the command line)");
  command.add_option("--timeout", flags.timeout, "Per request, and per connect and login [5s]");
  command.footer(kLoopModesHelp);
}

std::string database_password(const DatabaseFlags& flags) {
  return read_secret("--password-file", flags.password_file, "PLPROBE_PASSWORD");
}

bench::LoadShape load_shape(const LoadShape& shape, const std::string& timeout) {
  bench::LoadShape out;
  out.connections = static_cast<std::size_t>(shape.concurrency);
  out.threads = static_cast<std::size_t>(shape.threads > 0 ? shape.threads : bench::default_threads());
  out.threads = std::min(out.threads, out.connections);
  out.rate = shape.rate.value_or(0);
  out.timeout = parse_duration_option("--timeout", timeout);
  ensure_descriptors(out.connections + 64, "--connections");
  return out;
}

Json protocol_settings(const ProtocolTarget& target, const bench::LoadShape& shape) {
  return Json{{"target", target.target.text},
              {"address", target.address},
              {"port", target.target.port},
              {"connections", shape.connections},
              {"rate", shape.rate > 0 ? Json(shape.rate) : Json(nullptr)},
              {"loop", shape.rate > 0 ? "open" : "closed"},
              {"threads", shape.threads},
              {"timeout_s", std::chrono::duration<double>(shape.timeout).count()}};
}

int run_protocol_mode(bench::ProtocolLoad& load, bench::RunInfo info, const bench::RunOptions& options) {
  info.rate = bench::RateKind::requests;
  info.bytes = true;
  bench::Run run(std::move(info), options, static_cast<int>(load.threads()));
  return bench::run_protocol_load(load, run);
}

}  // namespace plprobe::cli
