// plprobe doctor: is this reverse private endpoint ready for ClickPipes, and
// if not, why? Plans the targets, probes them, judges configuration and path
// together and renders one report -- all of it in doctor/; this file parses
// flags, loads files (InputError -> UsageError, exit 2) and picks the output.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/options.h"
#include "doctor/diagnose.h"
#include "doctor/plan.h"
#include "doctor/render.h"
#include "probes/protocol.h"
#include "validator/endpoint.h"
#include "validator/evidence.h"
#include "validator/input_error.h"
#include "validator/json_util.h"
#include "validator/regions.h"
#include "validator/rules.h"

namespace plprobe::cli {
namespace {

namespace v = plprobe::validator;

struct DoctorFlags {
  std::vector<std::string> targets;
  std::string endpoint;
  std::string endpoint_id;
  std::string source;
  std::vector<int> ports;
  std::vector<std::string> evidence;
  std::string clickpipes_region;
  std::vector<std::string> dns_servers;
  int samples = 20;
  std::string interval = "100ms";
  std::string timeout = "3s";
  bool credentials_from_env = false;
  std::string user;
  std::string database;
  std::string sasl_mechanism;
  std::string sasl_user;
  std::string tls_mode = "prefer";
  std::string ca_file;
  std::string sni;
  std::string report;
  bool json = false;
};

constexpr const char* kDoctorFooter = R"(Examples:
  plprobe doctor --endpoint rpe.json --source postgres --evidence evidence/ --report report.html
  plprobe doctor --endpoint rpe.json --source kafka --port 9092 --dns-server 10.0.0.2 --json
  PLPROBE_PASSWORD=... plprobe doctor --endpoint rpe.json --source postgres --user clickpipes --database app \
      --credentials-from-env --evidence evidence/
  plprobe doctor postgres://db.internal:5432          # without an endpoint object: path and readiness only

What it does: reads the endpoint object (its type, status and DNS names), validates the AWS evidence
when given, probes every name x port with the source's protocol (the Kafka broker walk and the MongoDB
member walk included, --samples latency samples per address), and judges everything with the same
checks as 'plprobe validate'. The verdict comes first (READY or NOT READY: N problems), then every
finding (cause and fix), then the endpoint, configuration, DNS, connectivity, protocol, CDC readiness
and latency sections. --report writes the same as one self-contained HTML file.

Credentials only with --credentials-from-env, only from the environment: PLPROBE_PASSWORD (postgres,
mysql, mongodb; with --user) and PLPROBE_SASL_PASSWORD (kafka; with --sasl-mechanism and --sasl-user).

Exit codes: 0 READY, 1 NOT READY, 2 usage or input error.)";

template <typename Fn>
decltype(auto) input(Fn&& fn) {
  try {
    return fn();
  } catch (const v::InputError& e) {
    throw UsageError(e.what(), e.hint());
  }
}

probes::TlsMode parse_tls_mode(const std::string& text) {
  const std::string mode = v::to_lower(text);
  if (mode == "disable") return probes::TlsMode::disable;
  if (mode == "prefer") return probes::TlsMode::prefer;
  if (mode == "require") return probes::TlsMode::require;
  if (mode == "verify-full" || mode == "verify_full") return probes::TlsMode::verify_full;
  throw UsageError(fmt::format("--tls '{}' is not disable, prefer, require or verify-full", text),
                   "prefer uses TLS when offered; require and verify-full use TLS or fail (Kafka and MongoDB then "
                   "connect with kafka+tls:// and mongodb+tls://)");
}

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// Passwords: only with --credentials-from-env and only from the variables
// `plprobe probe` reads, so a secret never appears in argv or the shell's
// history. Nothing here ever prints a value.
void apply_credentials(const DoctorFlags& flags, v::SourceKind source, probes::ProbeSettings& settings,
                       bool& credentials) {
  if (!flags.sasl_mechanism.empty() || !flags.sasl_user.empty()) {
    if (source != v::SourceKind::kafka) throw UsageError("--sasl-mechanism and --sasl-user are for --source kafka");
    const std::string mechanism = [&] {
      std::string m = flags.sasl_mechanism;
      for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return m;
    }();
    if (mechanism != "PLAIN" && mechanism != "SCRAM-SHA-256" && mechanism != "SCRAM-SHA-512") {
      throw UsageError(fmt::format("--sasl-mechanism '{}' is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", flags.sasl_mechanism),
                       "without SASL credentials the probe still lists the listener's mechanisms");
    }
    if (flags.sasl_user.empty()) throw UsageError("--sasl-mechanism needs --sasl-user");
    settings.kafka.sasl_mechanism = mechanism;
    settings.kafka.sasl_user = flags.sasl_user;
  }
  if (!flags.credentials_from_env) return;
  if (source == v::SourceKind::kafka) {
    if (settings.kafka.sasl_mechanism.empty()) {
      throw UsageError("--credentials-from-env for kafka needs --sasl-mechanism and --sasl-user",
                       "e.g. --sasl-mechanism SCRAM-SHA-512 --sasl-user clickpipes (password in PLPROBE_SASL_PASSWORD)");
    }
    settings.kafka.sasl_password = environment("PLPROBE_SASL_PASSWORD");
    if (settings.kafka.sasl_password.empty()) {
      throw UsageError("--credentials-from-env: PLPROBE_SASL_PASSWORD is not set", "export PLPROBE_SASL_PASSWORD first");
    }
  } else {
    const std::string password = environment("PLPROBE_PASSWORD");
    if (password.empty()) {
      throw UsageError("--credentials-from-env: PLPROBE_PASSWORD is not set", "export PLPROBE_PASSWORD first");
    }
    settings.postgres.password = password;
    settings.mysql.password = password;
    settings.mongodb.password = password;
  }
  credentials = true;
}

int run_doctor(const DoctorFlags& flags) {
  const bool endpoint_mode = !flags.endpoint.empty();
  if (!endpoint_mode && (!flags.user.empty() || !flags.database.empty())) {
    throw UsageError("--user and --database go with --endpoint", "put them in the target: postgres://USER@HOST:PORT/DB");
  }
  if (endpoint_mode && !flags.targets.empty()) {
    throw UsageError("give either --endpoint FILE or target URIs, not both",
                     "the endpoint object's DNS names are the targets");
  }
  if (!endpoint_mode && flags.targets.empty()) {
    throw UsageError("--endpoint FILE or a target URI is required",
                     "plprobe doctor --endpoint rpe.json --source postgres, or plprobe doctor postgres://db.internal:5432");
  }
  std::optional<v::SourceKind> source;
  if (!flags.source.empty()) {
    source = v::source_from_name(flags.source);
    if (!source) {
      throw UsageError(fmt::format("--source '{}' is not a supported source", flags.source),
                       "use kafka, postgres, mysql or mongodb");
    }
  }
  if (!flags.clickpipes_region.empty() && !v::looks_like_region(v::to_lower(flags.clickpipes_region))) {
    throw UsageError(fmt::format("--clickpipes-region '{}' is not an AWS region name", flags.clickpipes_region),
                     "region names look like us-east-1 or eu-central-1");
  }
  std::vector<std::uint16_t> ports;
  for (int port : flags.ports) {
    if (port < 1 || port > 65535) throw UsageError(fmt::format("--port {} is not a TCP port", port), "use 1-65535");
    ports.push_back(static_cast<std::uint16_t>(port));
  }

  doctor::Request request;
  doctor::Report report;
  request.engine.timeout = parse_duration_option("--timeout", flags.timeout);
  request.engine.interval = parse_duration_option("--interval", flags.interval);
  request.engine.repeat = flags.samples;
  // A path that timed out once will time out again: more samples would only
  // make the verdict wait (samples x timeout on a blackholed address).
  request.engine.give_up_after_timeouts = 1;
  request.engine.resolver.servers = parse_dns_servers(flags.dns_servers);
  request.engine.tls.ca_file = flags.ca_file;
  request.engine.settings.sni = flags.sni;
  const auto tls = parse_tls_mode(flags.tls_mode);
  request.engine.settings.postgres.tls = tls;
  request.engine.settings.mysql.tls = tls;
  request.engine.settings.mongodb.tls = tls;
  report.samples = flags.samples;

  std::vector<v::Endpoint> endpoints;
  v::Evidence evidence;
  if (endpoint_mode) {
    endpoints = input([&] { return v::load_endpoints(flags.endpoint); });
    const v::Endpoint& endpoint =
        input([&]() -> const v::Endpoint& { return v::select_endpoint(endpoints, flags.endpoint_id, flags.endpoint); });
    if (endpoint.type == v::EndpointType::other) {
      throw UsageError(fmt::format("{}: endpoint type '{}' is not one plprobe doctor can check", flags.endpoint,
                                   endpoint.type_name.empty() ? "(none)" : endpoint.type_name),
                       "doctor checks AWS endpoints: VPC_RESOURCE, MSK_MULTI_VPC or VPC_ENDPOINT_SERVICE");
    }
    if (!source) {
      if (endpoint.type != v::EndpointType::msk_multi_vpc) {
        throw UsageError("--source is required for this endpoint",
                         "say what the endpoint leads to: --source kafka, postgres, mysql or mongodb");
      }
      source = v::SourceKind::kafka;
    }
    if (!flags.evidence.empty()) evidence = input([&] { return v::load_evidence(flags.evidence); });
    doctor::PlanOptions plan_options;
    plan_options.source = *source;
    plan_options.ports = ports;
    plan_options.user = flags.user;
    plan_options.database = flags.database;
    plan_options.tls = tls == probes::TlsMode::require || tls == probes::TlsMode::verify_full;
    std::string error;
    auto plan = doctor::plan_targets(endpoint, evidence, plan_options, error);
    if (!plan) throw UsageError(fmt::format("{}: {}", flags.endpoint, error), "use the endpoint's API object as saved");
    request.targets = plan->targets;
    request.endpoint = &endpoint;
    request.siblings = endpoints;
    request.evidence = &evidence;
    request.regions = &v::builtin_regions();
    if (!flags.clickpipes_region.empty()) request.clickpipes_region = flags.clickpipes_region;
    request.source = source;
    for (auto p : plan->ports) request.ports.push_back(p);
    request.now = std::chrono::system_clock::now();

    report.endpoint = doctor::EndpointSummary{endpoint.id,         endpoint.type_name,   endpoint.status,
                                              endpoint.service_id, endpoint.description, plan->names};
    report.source = std::string(v::to_string(*source));
    report.ports = plan->ports;
    report.ports_from = plan->ports_from;
    report.evidence_given = !flags.evidence.empty();
    report.evidence_files = evidence.files;
    report.clickpipes_region = flags.clickpipes_region;
  } else {
    request.targets = parse_targets(flags.targets);
    std::string kind;
    for (const auto& t : request.targets) {
      if (kind.empty()) kind = t.scheme->kind;
      if (kind != t.scheme->kind) kind = "-";
    }
    if (kind != "-" && v::source_from_name(kind)) report.source = kind;
    if (!source && !report.source.empty()) source = v::source_from_name(report.source);
    for (const auto& t : request.targets) {
      if (std::find(report.ports.begin(), report.ports.end(), t.port) == report.ports.end()) report.ports.push_back(t.port);
    }
    report.ports_from = "the targets";
  }
  for (const auto& t : request.targets) report.targets.push_back(t.text);
  apply_credentials(flags, source.value_or(v::SourceKind::postgres), request.engine.settings, report.credentials);
  if (report.credentials && source != v::SourceKind::kafka) {
    // A password without a user would log in as nobody in particular.
    for (const auto& t : request.targets) {
      if (t.scheme->kind != "kafka" && t.user.empty()) {
        throw UsageError(fmt::format("--credentials-from-env needs a user, and '{}' names none", t.text),
                         endpoint_mode ? "pass the user ClickPipes connects as: --user USER"
                                       : "put the user in the target: SCHEME://USER@HOST:PORT");
      }
    }
  }

  probes::EngineReport engine_report;
  Status status = doctor::diagnose(request, report, engine_report);
  if (!status.ok()) throw UsageError(status.message, status.hint);

  if (!flags.report.empty()) {
    std::ofstream file(flags.report, std::ios::binary | std::ios::trunc);
    const auto html = doctor::render_html(report);
    file.write(html.data(), static_cast<std::streamsize>(html.size()));
    file.close();
    if (!file) {
      throw UsageError(fmt::format("cannot write --report '{}': {}", flags.report, std::strerror(errno)),
                       "pass a path in a writable directory");
    }
  }
  if (flags.json) {
    doctor::render_json_lines(stdout, report);
  } else {
    doctor::render_text(stdout, report, use_colour(stdout));
    if (!flags.report.empty()) fmt::print("\nHTML report: {}\n", flags.report);
  }
  if (!engine_report.notice.empty()) fmt::print(stderr, "plprobe: note: {}\n", engine_report.notice);
  std::fflush(stdout);
  return report.ready() ? kExitOk : kExitFailure;
}

}  // namespace

void add_doctor_command(CLI::App& command, Run& run) {
  auto flags = std::make_shared<DoctorFlags>();
  command.add_option("targets", flags->targets, "Without --endpoint: target URIs (postgres://HOST:5432, kafka://HOST, ...)")
      ->type_name("TARGET");
  command.add_option("--endpoint", flags->endpoint, "ClickHouse Cloud API reverse private endpoint JSON (rpe.json)")
      ->type_name("FILE");
  command.add_option("--endpoint-id", flags->endpoint_id, "Which endpoint to check when the file lists several")
      ->type_name("ID");
  command.add_option("--source", flags->source, "What the endpoint leads to: kafka, postgres, mysql or mongodb")
      ->type_name("NAME");
  command.add_option("--port", flags->ports,
                     "Port the source serves on (repeatable; default: MSK ports from the evidence, else the source's)")
      ->type_name("PORT")
      ->allow_extra_args(false);
  command.add_option("--evidence", flags->evidence, "AWS CLI JSON files or directories of them (validated as by "
                                                    "'plprobe validate')")
      ->type_name("DIR|FILE");
  command.add_option("--clickpipes-region", flags->clickpipes_region,
                     "Region of the ClickPipe (default: read from the endpoint's DNS names)")
      ->type_name("REGION");
  command.add_option("--dns-server", flags->dns_servers, "DNS server IP[:PORT] to ask instead of the system's (repeatable)")
      ->type_name("IP[:PORT]")
      ->allow_extra_args(false);
  command.add_option("--samples", flags->samples, "Latency samples per address")
      ->type_name("N")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  command.add_option("--interval", flags->interval, "Time between the starts of two samples")
      ->type_name("DURATION")
      ->capture_default_str();
  command.add_option("-t,--timeout", flags->timeout, "Deadline per probe for all its phases together")
      ->type_name("DURATION")
      ->capture_default_str();
  command.add_flag("--credentials-from-env", flags->credentials_from_env,
                   "Log in with PLPROBE_PASSWORD (databases) or PLPROBE_SASL_PASSWORD (kafka) to check CDC readiness "
                   "and SASL");
  command.add_option("--user", flags->user, "postgres/mysql/mongodb: the user ClickPipes connects as")->type_name("USER");
  command.add_option("--database", flags->database,
                     "postgres: the database ClickPipes reads (default: the user's name); mongodb: the "
                     "authentication database")
      ->type_name("DB");
  command.add_option("--sasl-mechanism", flags->sasl_mechanism, "kafka: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
  command.add_option("--sasl-user", flags->sasl_user, "kafka: SASL user name");
  command.add_option("--tls", flags->tls_mode,
                     "disable, prefer, require or verify-full (kafka and mongodb: require/verify-full use TLS "
                     "schemes)")
      ->capture_default_str();
  command.add_option("--ca", flags->ca_file, "PEM file of CA certificates to trust instead of the system's")
      ->type_name("FILE");
  command.add_option("--sni", flags->sni, "TLS server name to send and verify instead of the endpoint name")
      ->type_name("NAME");
  command.add_option("--report", flags->report, "Also write a self-contained HTML report to FILE")->type_name("FILE");
  command.add_flag("--json", flags->json, "JSON Lines: findings, probe results, then a summary object");
  command.footer(kDoctorFooter);
  run = [flags] { return run_doctor(*flags); };
}

}  // namespace plprobe::cli
