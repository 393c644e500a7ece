// plprobe probe: resolve, connect and handshake with many targets at once.
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/options.h"
#include "cli/render.h"
#include "probes/engine.h"

namespace plprobe::cli {
namespace {

struct ProbeFlags {
  std::vector<std::string> targets;
  std::string targets_file;
  int concurrency = 256;
  int threads = 0;
  std::string timeout = "3s";
  int repeat = 1;
  std::string interval = "1s";
  std::string sni;
  std::string ca_file;
  bool insecure = false;
  std::vector<std::string> alpn;
  std::vector<std::string> dns_servers;
  std::string family = "any";
  bool expect_private = false;
  bool json = false;
};

constexpr const char* kProbeFooter = R"(Targets:
  tcp://HOST:PORT         TCP connect to every address HOST resolves to
  tls://HOST:PORT         TCP, then a TLS handshake: SNI is HOST (never an IP), the certificate
                          must chain to a trusted CA (--ca) and name HOST (or --sni)
  IPv6 literals go in brackets: tcp://[::1]:5432

Examples:
  plprobe probe tcp://10.0.1.17:9092 tls://db.example.internal:5432
  plprobe probe tls://vpce-0abc.vpce-svc-0123.us-east-1.vpce.amazonaws.com:9094 --sni b-1.mycluster.kafka.us-east-1.amazonaws.com
  plprobe probe --targets targets.txt --concurrency 1024 --timeout 2s --json > results.jsonl
  plprobe probe tcp://db.internal:5432 --repeat 20 --interval 200ms      # latency samples and loss

Each target gets one deadline (--timeout) for all its phases together. Results come
per resolved address; --json prints one JSON object per line (see README, "Output").
Exit codes: 0 all ok, 1 at least one failure, 2 usage or input error.)";

int run_probe(const ProbeFlags& flags) {
  std::vector<std::string> texts = flags.targets;
  if (!flags.targets_file.empty()) {
    auto from_file = read_list_file(flags.targets_file, "targets");
    texts.insert(texts.end(), from_file.begin(), from_file.end());
  }
  if (texts.empty()) {
    throw UsageError("no targets given", "pass TARGET... or --targets FILE; accepted forms: " + probes::accepted_forms());
  }
  probes::EngineOptions options;
  options.concurrency = flags.concurrency;
  options.threads = flags.threads;
  options.timeout = parse_duration_option("--timeout", flags.timeout);
  options.repeat = flags.repeat;
  options.interval = parse_duration_option("--interval", flags.interval);
  options.resolver.servers = parse_dns_servers(flags.dns_servers);
  options.resolver.family = parse_family(flags.family);
  options.tls.ca_file = flags.ca_file;
  options.tls.insecure = flags.insecure;
  options.tls.alpn = flags.alpn;
  options.settings.sni = flags.sni;
  options.settings.expect_private = flags.expect_private;
  const auto targets = parse_targets(texts);

  if (flags.insecure) {
    fmt::print(stderr, "plprobe: warning: --insecure: certificate errors are reported but do not fail the probe\n");
  }
  std::setvbuf(stdout, nullptr, _IOFBF, 1 << 16);
  probes::EngineReport report;
  Status status;
  int exit_code = kExitOk;
  if (flags.json) {
    JsonLinesSink sink(stdout);
    status = probes::run_probes(targets, options, sink, report);
    exit_code = sink.tally().exit_code();
  } else {
    TableSink sink(stdout, use_colour(stdout));
    status = probes::run_probes(targets, options, sink, report);
    if (status.ok()) sink.finish();
    exit_code = sink.tally().exit_code();
  }
  std::fflush(stdout);
  if (!status.ok()) throw UsageError(status.message, status.hint);
  if (!report.notice.empty()) fmt::print(stderr, "plprobe: note: {}\n", report.notice);
  return exit_code;
}

}  // namespace

void add_probe_command(CLI::App& command, Run& run) {
  auto flags = std::make_shared<ProbeFlags>();
  command.add_option("targets", flags->targets, "Targets as URIs: tcp://HOST:PORT, tls://HOST:PORT, ...");
  command.add_option("--targets", flags->targets_file, "Read more targets from FILE, one per line ('-' = stdin, '#' comments)");
  command.add_option("-c,--concurrency", flags->concurrency, "Targets probed at once (lowered to fit the descriptor limit)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  command.add_option("--threads", flags->threads, "Event-loop threads (default: one per core)")->check(CLI::Range(0, 256));
  command.add_option("-t,--timeout", flags->timeout, "Deadline per target for all phases together (3s, 500ms, ...)")
      ->capture_default_str();
  command.add_option("-n,--repeat", flags->repeat, "Samples per target; prints min/p50/p90/p99/max and loss")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  command.add_option("-i,--interval", flags->interval, "Time between the starts of two samples")->capture_default_str();
  command.add_option("--sni", flags->sni, "TLS server name to send and verify instead of the target's host");
  command.add_option("--ca", flags->ca_file, "PEM file of CA certificates to trust instead of the system's");
  command.add_flag("--insecure", flags->insecure, "Do not fail on certificate errors (they are still reported)");
  command.add_option("--alpn", flags->alpn, "ALPN protocol to offer (repeatable), e.g. h2");
  command.add_option("--dns-server", flags->dns_servers, "DNS server IP[:PORT] to ask instead of the system's (repeatable)");
  command.add_option("--family", flags->family, "Address families to resolve: 4, 6 or any")->capture_default_str();
  command.add_flag("--expect-private", flags->expect_private,
                   "Every name must resolve to private addresses (AWS endpoint names always must)");
  command.add_flag("--json", flags->json, "Print JSON Lines: one result object per target and address");
  command.footer(kProbeFooter);
  run = [flags] { return run_probe(*flags); };
}

}  // namespace plprobe::cli
