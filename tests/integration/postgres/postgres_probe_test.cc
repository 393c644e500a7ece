// postgres:// against real PostgreSQL 15 servers started by the suite:
//   logical_: wal_level = logical, TLS on (certificate for db.test and
//             127.0.0.1 from a test CA), trust/md5/password/scram/reject and
//             a hostssl-only user in pg_hba.conf, users with and without
//             REPLICATION, an rds_replication member, a publication;
//   replica_: wal_level = replica, TLS off, no replication slots and no WAL
//             senders, rds.logical_replication = off (what an RDS instance
//             without logical replication reports).
// Both start once for the suite; every test has its own deadline.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/cli/plprobe_cli.h"
#include "tests/support/certs.h"
#include "tests/support/db/postgres_server.h"
#include "tests/support/ports.h"
#include "tests/support/temp_dir.h"
#include "tests/support/watchdog.h"
#include "tests/unit/probes/probe_harness.h"

namespace plprobe::probes {
namespace {

using namespace std::chrono_literals;
using plprobe::testing::CertificateAuthority;
using plprobe::testing::ClosedTcpPort;
using plprobe::testing::LeafSpec;
using plprobe::testing::PostgresServer;
using plprobe::testing::PostgresServerOptions;
using plprobe::testing::TempDir;
using plprobe::testing::Watchdog;
using testing::run_targets;

constexpr const char* kCdcPassword = "cdc-secret-7f3a";
constexpr const char* kPlainPassword = "plain-secret-91b2";

bool has_finding(const ProbeResult& result, const std::string& id) {
  if (!result.facts.contains("cdc")) return false;
  for (const auto& finding : result.facts["cdc"]["findings"]) {
    if (finding["id"] == id) return true;
  }
  return false;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class PostgresProbe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Watchdog watchdog(120s, "PostgresProbe servers start");
    dir_ = new TempDir("plprobe-pg-test-");
    ca_ = new CertificateAuthority(CertificateAuthority::create("plprobe test CA"));
    ca_file_ = ca_->write_certificate(dir_->path()).string();
    LeafSpec leaf;
    leaf.common_name = "db.test";
    leaf.dns_names = {"db.test"};
    leaf.ip_addresses = {"127.0.0.1"};

    PostgresServerOptions logical;
    logical.tls = ca_->issue(leaf);
    logical.settings = {"wal_level = logical", "max_replication_slots = 4", "max_wal_senders = 4"};
    logical.hba = {
        "host all trust_user 127.0.0.1/32 trust",
        "host all md5_user 127.0.0.1/32 md5",
        "host all clear_user 127.0.0.1/32 password",
        "host all blocked_user 127.0.0.1/32 reject",
        "hostnossl all tls_user 127.0.0.1/32 reject",
        "host all all 127.0.0.1/32 scram-sha-256",
    };
    logical.setup_sql = {
        fmt::format("CREATE ROLE cdc_user LOGIN REPLICATION PASSWORD '{}'", kCdcPassword),
        fmt::format("CREATE ROLE plain_user LOGIN PASSWORD '{}'", kPlainPassword),
        "CREATE ROLE trust_user LOGIN REPLICATION",
        "CREATE ROLE rds_replication NOLOGIN",
        fmt::format("CREATE ROLE rds_user LOGIN PASSWORD '{}' IN ROLE rds_replication", kCdcPassword),
        "CREATE ROLE clear_user LOGIN PASSWORD 'clear-pw'",
        "CREATE ROLE blocked_user LOGIN PASSWORD 'blocked-pw'",
        "CREATE ROLE tls_user LOGIN PASSWORD 'tls-pw'",
        "SET password_encryption = 'md5'; CREATE ROLE md5_user LOGIN PASSWORD 'md5-pw'",
        "CREATE TABLE events (id bigint PRIMARY KEY, body text)",
        "CREATE PUBLICATION cdc_pub FOR TABLE events",
    };
    logical_ = new PostgresServer(logical);

    PostgresServerOptions replica;
    replica.settings = {"wal_level = replica", "max_replication_slots = 0", "max_wal_senders = 0",
                        "rds.logical_replication = off"};
    replica.hba = {"host all trust_user 127.0.0.1/32 trust", "host all all 127.0.0.1/32 scram-sha-256"};
    replica.setup_sql = {fmt::format("CREATE ROLE cdc_user LOGIN REPLICATION PASSWORD '{}'", kCdcPassword),
                         "CREATE ROLE trust_user LOGIN REPLICATION"};
    replica_ = new PostgresServer(replica);
  }

  static void TearDownTestSuite() {
    delete logical_;
    delete replica_;
    delete ca_;
    delete dir_;
  }

  static EngineOptions options(TlsMode mode = TlsMode::prefer, std::string password = {}) {
    static ClosedTcpPort no_dns;  // IP literals never reach it; nothing here may ask a real DNS server
    EngineOptions engine;
    engine.timeout = 10s;
    engine.threads = 1;
    engine.resolver.servers = {{asio::ip::make_address("127.0.0.1"), no_dns.port()}};
    engine.settings.postgres.tls = mode;
    engine.settings.postgres.password = std::move(password);
    return engine;
  }

  static EngineOptions trusting(TlsMode mode = TlsMode::verify_full, std::string password = {}) {
    auto engine = options(mode, std::move(password));
    engine.tls.ca_file = ca_file_;
    return engine;
  }

  // The database defaults to "postgres" (the server's default would be the
  // user's name, which has no database here).
  static std::string target(const PostgresServer& server, const std::string& user = "",
                            const std::string& db = "postgres") {
    return fmt::format("postgres://{}127.0.0.1:{}{}", user.empty() ? "" : user + "@", server.port(),
                       db.empty() ? "" : "/" + db);
  }

  static ProbeResult probe(const std::string& text, const EngineOptions& engine) {
    Watchdog watchdog(20s, "a probe of " + text);
    return run_targets({text}, engine).only();
  }

  static TempDir* dir_;
  static CertificateAuthority* ca_;
  static std::string ca_file_;
  static PostgresServer* logical_;
  static PostgresServer* replica_;
};

TempDir* PostgresProbe::dir_ = nullptr;
CertificateAuthority* PostgresProbe::ca_ = nullptr;
std::string PostgresProbe::ca_file_;
PostgresServer* PostgresProbe::logical_ = nullptr;
PostgresServer* PostgresProbe::replica_ = nullptr;

TEST_F(PostgresProbe, WithoutAUserTheServerAsksForScramOverVerifiedTls) {
  const auto result = probe(target(*logical_), trusting());
  ASSERT_EQ(result.outcome, Code::ok) << result.message << " / " << result.hint;
  EXPECT_EQ(result.kind, "postgres");
  EXPECT_EQ(result.port, logical_->port());
  EXPECT_EQ(result.facts["auth_method"], "scram-sha-256");
  // Over TLS the server offers channel binding first (SCRAM-SHA-256-PLUS).
  EXPECT_EQ(result.facts["sasl_mechanisms"], (Json{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
  EXPECT_EQ(result.facts["user"], "plprobe");
  EXPECT_EQ(result.facts["tls_mode"], "verify-full");
  EXPECT_EQ(result.facts["tls_offered"], true);
  ASSERT_TRUE(result.tls);
  EXPECT_TRUE(result.tls->verified);
  EXPECT_EQ(result.tls->subject, "CN=db.test,O=plprobe tests");
  EXPECT_TRUE(result.phases.tls_ms.has_value());
  EXPECT_TRUE(result.phases.handshake_ms.has_value());
  for (const char* step : {"ssl_request", "tls", "startup"}) EXPECT_TRUE(result.facts["timings_ms"].contains(step));
  EXPECT_TRUE(contains(result.message, "asks user 'plprobe' for scram-sha-256")) << result.message;
  EXPECT_FALSE(result.facts.contains("warnings"));
}

TEST_F(PostgresProbe, PreferReportsAnUnverifiedCertificateWithoutFailing) {
  const auto result = probe(target(*logical_), options(TlsMode::prefer));
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  ASSERT_TRUE(result.tls);
  EXPECT_FALSE(result.tls->verified);
  ASSERT_TRUE(result.facts.contains("warnings"));
  EXPECT_TRUE(contains(result.facts["warnings"][0].get<std::string>(), "tls_cert_untrusted"));
  EXPECT_TRUE(contains(result.message, "NOT verified")) << result.message;
}

TEST_F(PostgresProbe, VerifyFullEnforcesTheChainAndTheName) {
  EXPECT_EQ(probe(target(*logical_), options(TlsMode::verify_full)).outcome, Code::tls_cert_untrusted);
  auto wrong_name = trusting();
  wrong_name.settings.sni = "other.test";
  const auto mismatch = probe(target(*logical_), wrong_name);
  EXPECT_EQ(mismatch.outcome, Code::tls_hostname_mismatch) << mismatch.message;
  EXPECT_TRUE(contains(mismatch.hint, "--sni db.test")) << mismatch.hint;
  auto right_name = trusting();
  right_name.settings.sni = "db.test";
  const auto verified = probe(target(*logical_), right_name);
  EXPECT_EQ(verified.outcome, Code::ok) << verified.message;
  ASSERT_TRUE(verified.tls);
  EXPECT_EQ(verified.tls->sni, "db.test");
}

TEST_F(PostgresProbe, EachAuthenticationMethodIsNamed) {
  EXPECT_EQ(probe(target(*logical_, "md5_user"), trusting()).facts["auth_method"], "md5");
  const auto clear = probe(target(*logical_, "clear_user"), trusting());
  EXPECT_EQ(clear.facts["auth_method"], "password");
  EXPECT_FALSE(clear.facts.contains("warnings")) << "cleartext inside TLS is no warning";
  const auto clear_plain = probe(target(*logical_, "clear_user"), options(TlsMode::disable));
  EXPECT_EQ(clear_plain.facts["auth_method"], "password");
  ASSERT_TRUE(clear_plain.facts.contains("warnings"));
  EXPECT_TRUE(contains(clear_plain.facts["warnings"].dump(), "cleartext"));
  EXPECT_EQ(clear_plain.facts["tls_offered"], nullptr);
  EXPECT_FALSE(clear_plain.tls.has_value());
}

TEST_F(PostgresProbe, HbaRejectionsAreReportedWithTheServersFields) {
  const auto blocked = probe(target(*logical_, "blocked_user"), trusting());
  EXPECT_EQ(blocked.outcome, Code::postgres_auth_rejected) << blocked.message;
  EXPECT_EQ(blocked.facts["error"]["code"], "28000");
  EXPECT_EQ(blocked.facts["error"]["severity"], "FATAL");
  EXPECT_TRUE(contains(blocked.facts["error"]["message"].get<std::string>(), "pg_hba.conf rejects connection"));
  EXPECT_TRUE(contains(blocked.hint, "pg_hba.conf")) << blocked.hint;
}

TEST_F(PostgresProbe, AHostsslOnlyUserWithoutTlsIsTlsRequired) {
  const auto plain = probe(target(*logical_, "tls_user"), options(TlsMode::disable));
  EXPECT_EQ(plain.outcome, Code::postgres_tls_required) << plain.message;
  EXPECT_TRUE(contains(plain.message, "no encryption")) << plain.message;
  const auto over_tls = probe(target(*logical_, "tls_user"), trusting());
  EXPECT_EQ(over_tls.outcome, Code::ok) << over_tls.message;
  EXPECT_EQ(over_tls.facts["auth_method"], "scram-sha-256");
}

TEST_F(PostgresProbe, ATrustedUserIsCheckedForCdcWithoutAPassword) {
  const auto result = probe(target(*logical_, "trust_user"), trusting());
  ASSERT_EQ(result.outcome, Code::ok) << result.message << " / " << result.hint;
  EXPECT_EQ(result.facts["auth_method"], "trust");
  EXPECT_TRUE(contains(result.facts["server_version"].get<std::string>(), "15")) << result.facts.dump();
  ASSERT_TRUE(result.facts.contains("cdc"));
  EXPECT_EQ(result.facts["cdc"]["ready"], true);
  EXPECT_EQ(result.facts["cdc"]["wal_level"], "logical");
  EXPECT_EQ(result.facts["login"]["tls"], "TLSv1.3") << "libpq verified the same CA (sslmode=verify-full)";
  EXPECT_TRUE(result.facts["timings_ms"].contains("login"));
  EXPECT_TRUE(result.facts["timings_ms"].contains("cdc_query"));
}

TEST_F(PostgresProbe, AReplicationUserWithAPasswordIsReadyAndThePublicationChecked) {
  auto engine = trusting(TlsMode::verify_full, kCdcPassword);
  engine.settings.postgres.publication = "cdc_pub";
  const auto result = probe(target(*logical_, "cdc_user"), engine);
  ASSERT_EQ(result.outcome, Code::ok) << result.message << " / " << result.hint;
  const auto& cdc = result.facts["cdc"];
  EXPECT_EQ(cdc["replication_privilege"], "replication attribute");
  EXPECT_EQ(cdc["replication_slots"]["max"], 4);
  EXPECT_EQ(cdc["wal_senders"]["max"], 4);
  EXPECT_EQ(cdc["publication"]["exists"], true);
  EXPECT_EQ(cdc["rds"], false);
  EXPECT_EQ(cdc["user"], "cdc_user");
  EXPECT_TRUE(contains(result.message, "ready for ClickPipes CDC")) << result.message;
  EXPECT_TRUE(contains(result.message, "publication 'cdc_pub' exists")) << result.message;
  EXPECT_FALSE(contains(to_json(result).dump(), kCdcPassword));

  engine.settings.postgres.publication = "no_such_pub";
  const auto missing = probe(target(*logical_, "cdc_user"), engine);
  EXPECT_EQ(missing.outcome, Code::postgres_cdc_not_ready) << missing.message;
  EXPECT_TRUE(has_finding(missing, "publication_missing"));
  EXPECT_TRUE(contains(missing.hint, "CREATE PUBLICATION no_such_pub")) << missing.hint;
}

TEST_F(PostgresProbe, AUserWithoutReplicationIsNotReady) {
  const auto result = probe(target(*logical_, "plain_user"), trusting(TlsMode::verify_full, kPlainPassword));
  EXPECT_EQ(result.outcome, Code::postgres_cdc_not_ready) << result.message;
  EXPECT_TRUE(has_finding(result, "replication_privilege_missing"));
  EXPECT_EQ(result.facts["cdc"]["replication_privilege"], nullptr);
  EXPECT_TRUE(contains(result.hint, "ALTER USER plain_user REPLICATION;")) << result.hint;
  EXPECT_TRUE(contains(result.message, "may not replicate")) << result.message;
}

TEST_F(PostgresProbe, MembershipInRdsReplicationCounts) {
  const auto result = probe(target(*logical_, "rds_user"), trusting(TlsMode::verify_full, kCdcPassword));
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.facts["cdc"]["replication_privilege"], "rds_replication");
}

TEST_F(PostgresProbe, Md5LoginWorksThroughLibpq) {
  const auto result = probe(target(*logical_, "md5_user"), trusting(TlsMode::require, "md5-pw"));
  EXPECT_EQ(result.outcome, Code::postgres_cdc_not_ready) << result.message;  // logged in; no REPLICATION
  EXPECT_EQ(result.facts["auth_method"], "md5");
  EXPECT_TRUE(has_finding(result, "replication_privilege_missing"));
}

TEST_F(PostgresProbe, AWrongPasswordIsAuthFailedAndNeverShown) {
  const std::string wrong = "wrong-password-c4d5";
  const auto result = probe(target(*logical_, "cdc_user"), trusting(TlsMode::verify_full, wrong));
  EXPECT_EQ(result.outcome, Code::postgres_auth_failed) << result.message;
  EXPECT_TRUE(contains(result.message, "28P01")) << result.message;
  EXPECT_FALSE(contains(to_json(result).dump(), wrong));
}

TEST_F(PostgresProbe, AMissingDatabaseIsNamed) {
  const auto trusted = probe(target(*logical_, "trust_user", "nosuchdb"), trusting());
  EXPECT_EQ(trusted.outcome, Code::postgres_database_missing) << trusted.message;
  EXPECT_EQ(trusted.facts["error"]["code"], "3D000");
  const auto with_password =
      probe(target(*logical_, "cdc_user", "nosuchdb"), trusting(TlsMode::verify_full, kCdcPassword));
  EXPECT_EQ(with_password.outcome, Code::postgres_database_missing) << with_password.message;
}

TEST_F(PostgresProbe, ExhaustedReplicationSlotsAreAFinding) {
  for (int i = 0; i < 4; ++i) {
    logical_->sql(fmt::format("SELECT pg_create_logical_replication_slot('plprobe_slot_{}', 'pgoutput')", i));
  }
  const auto result = probe(target(*logical_, "cdc_user"), trusting(TlsMode::verify_full, kCdcPassword));
  for (int i = 0; i < 4; ++i) logical_->sql(fmt::format("SELECT pg_drop_replication_slot('plprobe_slot_{}')", i));
  EXPECT_EQ(result.outcome, Code::postgres_cdc_not_ready) << result.message;
  EXPECT_TRUE(has_finding(result, "replication_slots_exhausted"));
  EXPECT_EQ(result.facts["cdc"]["replication_slots"]["free"], 0);
  EXPECT_TRUE(contains(result.hint, "pg_drop_replication_slot")) << result.hint;
}

TEST_F(PostgresProbe, WithoutTlsOnTheServerRequireFailsClosedAndPreferWarns) {
  for (TlsMode mode : {TlsMode::require, TlsMode::verify_full}) {
    const auto result = probe(target(*replica_, "cdc_user"), trusting(mode, kCdcPassword));
    EXPECT_EQ(result.outcome, Code::postgres_tls_unavailable) << result.message;
    EXPECT_FALSE(result.facts.contains("auth_method")) << "no StartupMessage after 'N'";
    EXPECT_FALSE(result.facts.contains("cdc")) << "no password in plaintext";
  }
  const auto prefer = probe(target(*replica_), options(TlsMode::prefer));
  ASSERT_EQ(prefer.outcome, Code::ok) << prefer.message;
  EXPECT_EQ(prefer.facts["tls_offered"], false);
  EXPECT_TRUE(contains(prefer.facts["warnings"].dump(), "does not offer TLS"));
  EXPECT_TRUE(contains(prefer.message, "no TLS")) << prefer.message;
}

TEST_F(PostgresProbe, AReplicaLevelServerGetsEveryFindingWithRdsHints) {
  const auto result = probe(target(*replica_, "cdc_user"), options(TlsMode::prefer, kCdcPassword));
  EXPECT_EQ(result.outcome, Code::postgres_cdc_not_ready) << result.message;
  for (const char* id : {"wal_level_not_logical", "no_replication_slots", "no_wal_senders"}) {
    EXPECT_TRUE(has_finding(result, id)) << id << ": " << result.facts.dump();
  }
  EXPECT_EQ(result.facts["cdc"]["rds"], true);
  EXPECT_EQ(result.facts["cdc"]["wal_level"], "replica");
  EXPECT_TRUE(contains(result.hint, "rds.logical_replication = 1")) << result.hint;
  EXPECT_TRUE(contains(result.hint, "parameter group")) << result.hint;
  EXPECT_TRUE(contains(result.message, "wal_level is 'replica'")) << result.message;
}

TEST_F(PostgresProbe, ManyProbesAtOnceAllSucceed) {
  std::vector<std::string> targets(200, target(*logical_));
  auto engine = options(TlsMode::disable);
  engine.concurrency = 64;
  Watchdog watchdog(30s, "200 postgres probes");
  const auto run = run_targets(targets, engine);
  ASSERT_EQ(run.results.size(), 200u);
  for (const auto& result : run.results) ASSERT_EQ(result.outcome, Code::ok) << result.message;
}

// The CLI as a user runs it: the password from the environment or a file,
// never printed; usage errors exit 2.
TEST_F(PostgresProbe, CliTakesThePasswordFromTheEnvironmentOrAFileAndNeverPrintsIt) {
  using plprobe::testing::json_lines;
  using plprobe::testing::run_plprobe;
  const std::string url = target(*logical_, "cdc_user");
  auto run = run_plprobe({"probe", url, "--tls", "verify-full", "--ca", ca_file_, "--publication", "cdc_pub", "--json"},
                         30s, {{"PLPROBE_PASSWORD", kCdcPassword}});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto lines = json_lines(run.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["outcome"], "ok");
  EXPECT_EQ(lines[0]["facts"]["cdc"]["ready"], true);
  EXPECT_FALSE(contains(run.out + run.err, kCdcPassword));

  const auto file = dir_->write("password", std::string(kCdcPassword) + "\n");
  run = run_plprobe({"probe", url, "--tls", "verify-full", "--ca", ca_file_, "--password-file", file.string(), "--json"},
                    30s, {{"PLPROBE_PASSWORD", "ignored-when-a-file-is-given"}});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_FALSE(contains(run.out + run.err, kCdcPassword));

  run = run_plprobe({"probe", url, "--tls", "verify-full", "--ca", ca_file_}, 30s,
                    {{"PLPROBE_PASSWORD", "wrong-and-secret"}});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(contains(run.out, "postgres_auth_failed")) << run.out;
  EXPECT_FALSE(contains(run.out + run.err, "wrong-and-secret"));
}

TEST_F(PostgresProbe, CliUsageErrorsExitTwo) {
  using plprobe::testing::run_plprobe;
  const std::vector<std::vector<std::string>> cases = {
      {"probe", target(*logical_), "--tls", "sometimes"},
      {"probe", fmt::format("postgres://cdc_user:{}@127.0.0.1:{}", kCdcPassword, logical_->port())},
      {"probe", target(*logical_), "--password-file", "/nonexistent/password"},
  };
  for (const auto& args : cases) {
    auto run = run_plprobe(args, 30s);
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_TRUE(contains(run.err, "plprobe: ")) << run.err;
    EXPECT_FALSE(contains(run.err, kCdcPassword)) << run.err;
  }
  auto no_user = run_plprobe({"probe", target(*logical_)}, 30s, {{"PLPROBE_PASSWORD", "x"}});
  EXPECT_EQ(no_user.exit_code, 2);
  EXPECT_TRUE(contains(no_user.err, "names no user")) << no_user.err;
}

}  // namespace
}  // namespace plprobe::probes
