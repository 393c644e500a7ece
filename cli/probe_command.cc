// plprobe probe: resolve, connect and handshake with many targets at once.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/options.h"
#include "cli/render.h"
#include "probes/engine.h"
#include "probes/protocol.h"

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
  // Kafka (kafka://, kafka+tls://). The SASL password never comes from argv:
  // PLPROBE_SASL_PASSWORD or --sasl-password-file.
  std::string sasl_mechanism;
  std::string sasl_user;
  std::string sasl_password_file;
  std::string topic;
  bool walk_brokers = true;
  // Databases that negotiate TLS themselves (postgres://, mysql://; shared
  // with any other protocol that takes --tls). The password never comes from
  // argv: PLPROBE_PASSWORD or --password-file.
  std::string tls_mode = "prefer";
  std::string password_file;
  std::string publication;
  // MongoDB (mongodb://, mongodb+tls://): --tls and the password above apply.
  bool walk_members = true;
};

constexpr const char* kProbeFooter = R"(Targets:
  tcp://HOST:PORT         TCP connect to every address HOST resolves to
  tls://HOST:PORT         TCP, then a TLS handshake: SNI is HOST (never an IP), the certificate
                          must chain to a trusted CA (--ca) and name HOST (or --sni)
  kafka://HOST[:PORT]     Kafka: ApiVersions, Metadata (cluster, brokers, topics), then every advertised
                          broker resolved, connected and asked ApiVersions (--no-walk-brokers to skip)
  kafka+tls://HOST:PORT   the same over TLS (SNI = HOST for the bootstrap, each broker's advertised name
                          for the walk; verification on)
  postgres://[USER@]HOST[:5432][/DB]
                          PostgreSQL: SSLRequest and TLS per --tls, StartupMessage, the authentication
                          method (or the server's error); with a password (or a trusted USER) also the
                          server version and ClickPipes CDC readiness (wal_level, slots, WAL senders,
                          REPLICATION, --publication)
  mysql://[USER@]HOST[:3306]
                          MySQL/MariaDB: the initial handshake (version, flavour, capabilities, auth
                          plugin), TLS per --tls; with USER and a password also binlog CDC readiness
                          (log_bin, ROW format, FULL row image, GTID, retention, REPLICATION grants)
  mongodb://[USER@]HOST[:27017][/AUTHDB]
                          MongoDB: TLS per --tls (prefer: try TLS, then plaintext), OP_MSG hello (legacy
                          OP_QUERY isMaster for old servers), replica set, version, then every advertised
                          member resolved, connected and asked hello (--no-walk-members to skip); with
                          USER and a password also SCRAM login and CDC readiness (roles, oplog retention)
  mongodb+tls://[USER@]HOST[:27017][/AUTHDB]
                          the same, TLS from the first byte with the certificate verified
  IPv6 literals go in brackets: tcp://[::1]:5432

Examples:
  plprobe probe tcp://10.0.1.17:9092 tls://db.example.internal:5432
  plprobe probe tls://vpce-0abc.vpce-svc-0123.us-east-1.vpce.amazonaws.com:9094 --sni b-1.mycluster.kafka.us-east-1.amazonaws.com
  plprobe probe --targets targets.txt --concurrency 1024 --timeout 2s --json > results.jsonl
  plprobe probe tcp://db.internal:5432 --repeat 20 --interval 200ms      # latency samples and loss
  plprobe probe kafka://b-1.mycluster.abc123.c2.kafka.us-east-1.amazonaws.com:9092 --topic events
  PLPROBE_SASL_PASSWORD=... plprobe probe kafka+tls://vpce-0abc.vpce-svc-0123.us-east-1.vpce.amazonaws.com:9096 \
      --sni b-1.mycluster.abc123.c2.kafka.us-east-1.amazonaws.com --sasl-mechanism SCRAM-SHA-512 --sasl-user clickpipes
  plprobe probe postgres://db.internal mysql://db.internal --tls require
  PLPROBE_PASSWORD=... plprobe probe postgres://clickpipes@db.internal/app --tls verify-full --ca rds-ca.pem \
      --publication clickpipes_pub
  plprobe probe mysql://clickpipes@db.internal --password-file ~/.plprobe-mysql --tls verify-full --ca rds-ca.pem
  plprobe probe mongodb://vpce-0abc.vpce-svc-0123.us-east-1.vpce.amazonaws.com:27017 --tls disable
  PLPROBE_PASSWORD=... plprobe probe mongodb+tls://clickpipes@mongo-0.db.internal/admin --ca ca.pem

Each target gets one deadline (--timeout) for all its phases together. Results come
per resolved address; --json prints one JSON object per line (see README, "Output").
Exit codes: 0 all ok, 1 at least one failure, 2 usage or input error.)";

void apply_kafka_flags(const ProbeFlags& flags, const std::vector<probes::Target>& targets,
                       probes::KafkaSettings& kafka) {
  kafka.walk_brokers = flags.walk_brokers;
  if (!flags.topic.empty() && !is_valid_topic_name(flags.topic)) {
    throw UsageError(fmt::format("--topic '{}' is not a Kafka topic name", flags.topic),
                     "topic names are 1 to 249 letters, digits, '.', '_' or '-'");
  }
  kafka.topic = flags.topic;
  if (flags.sasl_mechanism.empty()) {
    if (!flags.sasl_user.empty() || !flags.sasl_password_file.empty()) {
      throw UsageError("--sasl-user and --sasl-password-file need --sasl-mechanism",
                       "add --sasl-mechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
    }
    return;
  }
  const std::string mechanism = parse_sasl_mechanism(flags.sasl_mechanism);
  if (flags.sasl_user.empty()) {
    throw UsageError("--sasl-mechanism needs --sasl-user", "pass the SASL user name with --sasl-user USER");
  }
  kafka.sasl_mechanism = mechanism;
  kafka.sasl_user = flags.sasl_user;
  kafka.sasl_password = read_secret("--sasl-password-file", flags.sasl_password_file, "PLPROBE_SASL_PASSWORD");
  if (kafka.sasl_password.empty()) {
    throw UsageError("no SASL password given",
                     "set PLPROBE_SASL_PASSWORD or pass --sasl-password-file FILE (never on the command line)");
  }
  const bool plaintext_kafka = std::any_of(targets.begin(), targets.end(), [](const probes::Target& target) {
    return target.scheme->name == "kafka";
  });
  if (mechanism == "PLAIN" && plaintext_kafka) {
    fmt::print(stderr, "plprobe: warning: SASL PLAIN over kafka:// sends the password unencrypted; "
                       "prefer kafka+tls://\n");
  }
}

// --tls, --password-file / PLPROBE_PASSWORD and --publication for the
// database probes. The password goes into the settings of each protocol that
// takes it and nowhere else: no message ever shows any part of it.
void apply_database_flags(const ProbeFlags& flags, const std::vector<probes::Target>& targets,
                          probes::ProbeSettings& settings) {
  const probes::TlsMode tls = parse_tls_mode(flags.tls_mode);
  settings.postgres.tls = tls;
  settings.mysql.tls = tls;
  settings.postgres.publication = flags.publication;

  const std::string password = read_secret("--password-file", flags.password_file, "PLPROBE_PASSWORD");
  if (password.empty()) return;
  for (const auto& target : targets) {
    const auto kind = target.scheme->kind;
    if ((kind == "postgres" || kind == "mysql") && target.user.empty()) {
      throw UsageError(fmt::format("a password was given but '{}' names no user", target.text),
                       fmt::format("put the user in the target: {}://USER@{}", target.scheme->name, target.host));
    }
  }
  settings.postgres.password = password;
  settings.mysql.password = password;
  if (tls == probes::TlsMode::disable) {
    fmt::print(stderr, "plprobe: warning: --tls disable: a server that asks for a cleartext password gets it "
                       "unencrypted\n");
  }
}

// mongodb:// takes --tls and the password as parsed for the other
// databases (apply_database_flags runs first); a password needs a user in
// every MongoDB target, as it does for postgres:// and mysql://.
void apply_mongodb_flags(const ProbeFlags& flags, const std::vector<probes::Target>& targets,
                         probes::ProbeSettings& settings) {
  settings.mongodb.tls = settings.postgres.tls;
  settings.mongodb.walk_members = flags.walk_members;
  const std::string& password = settings.postgres.password;
  if (password.empty()) return;
  for (const auto& target : targets) {
    if (target.scheme->kind == "mongodb" && target.user.empty()) {
      throw UsageError(fmt::format("a password was given but '{}' names no user", target.text),
                       fmt::format("put the user (and its authentication database, default admin) in the target: "
                                   "{}://USER@{}/admin",
                                   target.scheme->name, target.host));
    }
  }
  settings.mongodb.password = password;
}

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
  apply_kafka_flags(flags, targets, options.settings.kafka);
  apply_database_flags(flags, targets, options.settings);
  apply_mongodb_flags(flags, targets, options.settings);

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
  command.add_option("targets", flags->targets, "Targets as URIs: tcp://HOST:PORT, tls://HOST:PORT, ...")->type_name("TARGET");
  command.add_option("--targets", flags->targets_file, "Read more targets from FILE, one per line ('-' = stdin, '#' comments)")
      ->type_name("FILE");
  command.add_option("-c,--concurrency", flags->concurrency, "Targets probed at once (lowered to fit the descriptor limit)")
      ->type_name("N")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  command.add_option("--threads", flags->threads, "Event-loop threads (default: one per core)")->type_name("N")->check(CLI::Range(0, 256));
  command.add_option("-t,--timeout", flags->timeout, "Deadline per target for all phases together (3s, 500ms, ...)")
      ->type_name("DURATION")
      ->capture_default_str();
  command.add_option("-n,--repeat", flags->repeat, "Samples per target; prints min/p50/p90/p99/max and loss")
      ->type_name("N")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  command.add_option("-i,--interval", flags->interval, "Time between the starts of two samples")
      ->type_name("DURATION")
      ->capture_default_str();
  command.add_option("--sni", flags->sni, "TLS server name to send and verify instead of the target's host")
      ->type_name("NAME");
  command.add_option("--ca", flags->ca_file, "PEM file of CA certificates to trust instead of the system's")
      ->type_name("FILE");
  command.add_flag("--insecure", flags->insecure, "Do not fail on certificate errors (they are still reported)");
  command.add_option("--alpn", flags->alpn, "ALPN protocol to offer (repeatable), e.g. h2")->type_name("PROTOCOL");
  command.add_option("--dns-server", flags->dns_servers, "DNS server IP[:PORT] to ask instead of the system's (repeatable)")
      ->type_name("IP[:PORT]");
  command.add_option("--family", flags->family, "Address families to resolve: 4, 6 or any")
      ->type_name("4|6|any")
      ->capture_default_str();
  command.add_flag("--expect-private", flags->expect_private,
                   "Every name must resolve to private addresses (AWS endpoint names always must)");
  command.add_flag("--json", flags->json, "Print JSON Lines: one result object per target and address");
  command.add_option("--sasl-mechanism", flags->sasl_mechanism,
                     "Kafka: authenticate with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (needs --sasl-user and a "
                     "password)");
  command.add_option("--sasl-user", flags->sasl_user, "Kafka: SASL user name");
  command.add_option("--sasl-password-file", flags->sasl_password_file,
                     "Kafka: read the SASL password from FILE (else from PLPROBE_SASL_PASSWORD; never argv)");
  command.add_option("--topic", flags->topic, "Kafka: check this topic exists and report its partition leaders");
  command.add_flag("--walk-brokers,!--no-walk-brokers", flags->walk_brokers,
                   "Kafka: connect to every advertised broker after the bootstrap (default: on)");
  command.add_option("--tls", flags->tls_mode,
                     "postgres/mysql: disable, prefer (TLS if offered), require (TLS or fail) or verify-full "
                     "(TLS, certificate checked against --ca and the host or --sni)")
      ->capture_default_str();
  command.add_option("--password-file", flags->password_file,
                     "postgres/mysql: read the password from FILE (else from PLPROBE_PASSWORD; never argv); "
                     "with a USER@ in the target, checks CDC readiness");
  command.add_option("--publication", flags->publication,
                     "postgres: check that this publication exists (with a password)");
  command.add_flag("--walk-members,!--no-walk-members", flags->walk_members,
                   "MongoDB: connect to every advertised replica-set member after the seed (default: on)");
  command.footer(kProbeFooter);
  run = [flags] { return run_probe(*flags); };
}

}  // namespace plprobe::cli
