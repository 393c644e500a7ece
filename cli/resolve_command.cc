// plprobe resolve: what DNS says about names, with c-ares on one event loop.
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/options.h"
#include "cli/render.h"
#include "common/deadline.h"
#include "resolvers/resolver.h"

namespace plprobe::cli {
namespace {

struct ResolveFlags {
  std::vector<std::string> names;
  std::vector<std::string> dns_servers;
  std::string timeout = "3s";
  std::string family = "any";
  bool expect_private = false;
  bool json = false;
};

constexpr const char* kResolveFooter = R"(Examples:
  plprobe resolve vpce-0abc-1234.vpce-svc-0def.us-east-1.vpce.amazonaws.com
  plprobe resolve b-1.mycluster.kafka.us-east-1.amazonaws.com --dns-server 10.0.0.2 --json
  plprobe resolve db.internal --expect-private      # a public answer is a failure

Asks A and AAAA for each name exactly as written (no search domains). Without
--dns-server the system configuration (/etc/resolv.conf, /etc/hosts first) is used.
Outcomes: ok, dns_nxdomain, dns_nodata, dns_servfail, dns_refused, dns_timeout,
dns_bad_answer, dns_server_unreachable, dns_public_address (see 'plprobe codes').)";

ProbeResult to_result(const resolvers::Resolution& resolution) {
  ProbeResult result;
  result.target = resolution.name;
  result.kind = "dns";
  result.host = resolution.name;
  result.outcome = resolution.outcome;
  result.message = resolution.message;
  result.hint = resolution.hint;
  result.phases.dns_ms = resolution.elapsed_ms;
  result.phases.total_ms = resolution.elapsed_ms;
  Json addresses = Json::array();
  for (const auto& entry : resolution.addresses) {
    addresses.push_back({{"address", entry.address.to_string()},
                         {"family", entry.address.is_v4() ? "ipv4" : "ipv6"},
                         {"ttl", entry.ttl},
                         {"class", resolvers::to_string(entry.address_class)}});
  }
  result.facts = {
      {"addresses", addresses},
      {"cname_chain", resolution.cname_chain},
      {"server", resolution.server.empty() ? Json(nullptr) : Json(resolution.server)},
      {"source", resolution.source},
      {"rcode", {{"A", resolution.rcode_a.empty() ? Json(nullptr) : Json(resolution.rcode_a)},
                 {"AAAA", resolution.rcode_aaaa.empty() ? Json(nullptr) : Json(resolution.rcode_aaaa)}}},
  };
  return result;
}

void print_resolution_table(const std::vector<ProbeResult>& results, bool colour) {
  for (const auto& result : results) {
    const bool ok = result.ok();
    const std::string outcome(name(result.outcome));
    fmt::print("{}  {}  {:.3f} ms\n", colour ? fmt::format("{}{}\033[0m", ok ? "\033[32m" : "\033[31m", outcome) : outcome,
               result.target, result.phases.total_ms);
    for (const auto& entry : result.facts["addresses"]) {
      fmt::print("    {:<40} {:<10} ttl {}\n", entry["address"].get<std::string>(), entry["class"].get<std::string>(),
                 entry["ttl"].get<unsigned>());
    }
    if (!result.facts["cname_chain"].empty()) {
      std::string chain = result.target;
      for (const auto& name_in_chain : result.facts["cname_chain"]) chain += " -> " + name_in_chain.get<std::string>();
      fmt::print("    cname: {}\n", chain);
    }
    fmt::print("    {}\n", result.message);
    if (!ok && !result.hint.empty()) fmt::print("    hint: {}\n", result.hint);
  }
}

int run_resolve(const ResolveFlags& flags) {
  resolvers::ResolverOptions options;
  options.servers = parse_dns_servers(flags.dns_servers);
  options.family = parse_family(flags.family);
  const auto timeout = parse_duration_option("--timeout", flags.timeout);
  for (const auto& name_text : flags.names) {
    error_code not_literal;
    asio::ip::make_address(name_text, not_literal);
    if (not_literal && !resolvers::is_valid_host_name(name_text)) {
      throw UsageError(fmt::format("'{}' is not a DNS name", name_text), "give bare names like db.example.com");
    }
  }

  asio::io_context io(1);
  std::string error;
  auto resolver = resolvers::Resolver::create(io, options, error);
  if (!resolver) throw UsageError(error);
  std::vector<ProbeResult> results(flags.names.size());
  for (std::size_t i = 0; i < flags.names.size(); ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> awaitable<void> {
          Deadline deadline(io.get_executor(), timeout);
          results[i] = to_result(co_await resolver->resolve(flags.names[i], deadline, flags.expect_private));
        },
        asio::detached);
  }
  io.run();

  Tally tally;
  for (const auto& result : results) tally.add(result);
  if (flags.json) {
    for (const auto& result : results) write_json_line(stdout, result);
  } else {
    print_resolution_table(results, use_colour(stdout));
  }
  return tally.exit_code();
}

}  // namespace

void add_resolve_command(CLI::App& command, Run& run) {
  auto flags = std::make_shared<ResolveFlags>();
  command.add_option("names", flags->names, "DNS names to resolve")->type_name("NAME")->required();
  command.add_option("--dns-server", flags->dns_servers, "DNS server IP[:PORT] to ask instead of the system's (repeatable)")
      ->type_name("IP[:PORT]");
  command.add_option("-t,--timeout", flags->timeout, "Deadline for each name (3s, 500ms, ...)")
      ->type_name("DURATION")
      ->capture_default_str();
  command.add_option("--family", flags->family, "Address families: 4, 6 or any")->type_name("4|6|any")->capture_default_str();
  command.add_flag("--expect-private", flags->expect_private, "Fail names that resolve to public addresses");
  command.add_flag("--json", flags->json, "Print JSON Lines (the result contract, kind \"dns\")");
  command.footer(kResolveFooter);
  run = [flags] { return run_resolve(*flags); };
}

}  // namespace plprobe::cli
