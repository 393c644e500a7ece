// mysql:// against real MariaDB 10.11 servers started by the suite:
//   binlog_: TLS on (certificate for db.test and 127.0.0.1 from a test CA),
//            binary log in ROW format with FULL row metadata and a week of
//            retention, a CDC user with REPLICATION SLAVE and REPLICATION
//            CLIENT and a user without them;
//   plain_:  no TLS, binary logging off.
// Both start once for the suite; every test has its own deadline.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/cli/plprobe_cli.h"
#include "tests/support/certs.h"
#include "tests/support/db/mariadb_server.h"
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
using plprobe::testing::MariadbServer;
using plprobe::testing::MariadbServerOptions;
using plprobe::testing::TempDir;
using plprobe::testing::Watchdog;
using testing::run_targets;

constexpr const char* kCdcPassword = "cdc-secret-5e8c";

bool has_finding(const ProbeResult& result, const std::string& id) {
  if (!result.facts.contains("cdc")) return false;
  for (const auto& finding : result.facts["cdc"]["findings"]) {
    if (finding["id"] == id) return true;
  }
  return false;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class MysqlProbe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Watchdog watchdog(120s, "MysqlProbe servers start");
    dir_ = new TempDir("plprobe-mysql-test-");
    ca_ = new CertificateAuthority(CertificateAuthority::create("plprobe test CA"));
    ca_file_ = ca_->write_certificate(dir_->path()).string();
    LeafSpec leaf;
    leaf.common_name = "db.test";
    leaf.dns_names = {"db.test"};
    leaf.ip_addresses = {"127.0.0.1"};
    const std::vector<std::string> users = {
        fmt::format("CREATE USER 'cdc'@'%' IDENTIFIED BY '{}'", kCdcPassword),
        "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'cdc'@'%'",
        "CREATE USER 'plain'@'%' IDENTIFIED BY 'plain-pw'",
        "GRANT SELECT ON mysql.* TO 'plain'@'%'",
    };

    MariadbServerOptions binlog;
    binlog.tls = ca_->issue(leaf);
    binlog.binlog_format = "ROW";
    binlog.server_args = {"--binlog-row-metadata=FULL", "--binlog-expire-logs-seconds=604800"};
    binlog.setup_sql = users;
    binlog_ = new MariadbServer(binlog);

    MariadbServerOptions plain;
    plain.binlog_format = "";
    plain.setup_sql = users;
    plain_ = new MariadbServer(plain);
  }

  static void TearDownTestSuite() {
    delete binlog_;
    delete plain_;
    delete ca_;
    delete dir_;
  }

  static EngineOptions options(TlsMode mode = TlsMode::prefer, std::string password = {}) {
    static ClosedTcpPort no_dns;
    EngineOptions engine;
    engine.timeout = 10s;
    engine.threads = 1;
    engine.resolver.servers = {{asio::ip::make_address("127.0.0.1"), no_dns.port()}};
    engine.settings.mysql.tls = mode;
    engine.settings.mysql.password = std::move(password);
    return engine;
  }

  static EngineOptions trusting(TlsMode mode = TlsMode::verify_full, std::string password = {}) {
    auto engine = options(mode, std::move(password));
    engine.tls.ca_file = ca_file_;
    return engine;
  }

  static std::string target(const MariadbServer& server, const std::string& user = "") {
    return fmt::format("mysql://{}127.0.0.1:{}", user.empty() ? "" : user + "@", server.port());
  }

  static ProbeResult probe(const std::string& text, const EngineOptions& engine) {
    Watchdog watchdog(20s, "a probe of " + text);
    return run_targets({text}, engine).only();
  }

  static long status_counter(const MariadbServer& server, const std::string& name) {
    const std::string row = server.sql(fmt::format("SHOW GLOBAL STATUS LIKE '{}'", name));
    const auto tab = row.find('\t');
    return tab == std::string::npos ? -1 : std::atol(row.c_str() + tab + 1);
  }

  static TempDir* dir_;
  static CertificateAuthority* ca_;
  static std::string ca_file_;
  static MariadbServer* binlog_;
  static MariadbServer* plain_;
};

TempDir* MysqlProbe::dir_ = nullptr;
CertificateAuthority* MysqlProbe::ca_ = nullptr;
std::string MysqlProbe::ca_file_;
MariadbServer* MysqlProbe::binlog_ = nullptr;
MariadbServer* MysqlProbe::plain_ = nullptr;

TEST_F(MysqlProbe, TheGreetingIsReadAndTlsVerified) {
  const auto result = probe(target(*binlog_), trusting());
  ASSERT_EQ(result.outcome, Code::ok) << result.message << " / " << result.hint;
  EXPECT_EQ(result.kind, "mysql");
  EXPECT_EQ(result.facts["protocol_version"], 10);
  EXPECT_EQ(result.facts["flavor"], "mariadb");
  EXPECT_TRUE(result.facts["server_version"].get<std::string>().starts_with("10.11")) << result.facts.dump();
  EXPECT_TRUE(result.facts["server_version_raw"].get<std::string>().starts_with("5.5.5-10.11"));
  EXPECT_GT(result.facts["connection_id"].get<long>(), 0);
  EXPECT_EQ(result.facts["auth_plugin"], "mysql_native_password");
  EXPECT_EQ(result.facts["tls_offered"], true);
  EXPECT_TRUE(contains(result.facts["capabilities"].dump(), "CLIENT_SSL"));
  EXPECT_TRUE(result.facts.contains("mariadb_capabilities"));
  EXPECT_EQ(result.facts["placeholder_login"]["error"]["code"], 1045);
  ASSERT_TRUE(result.tls);
  EXPECT_TRUE(result.tls->verified);
  EXPECT_EQ(result.tls->subject, "CN=db.test,O=plprobe tests");
  EXPECT_TRUE(result.phases.tls_ms.has_value());
  for (const char* step : {"greeting", "tls", "login"}) EXPECT_TRUE(result.facts["timings_ms"].contains(step)) << step;
  EXPECT_TRUE(contains(result.message, "MariaDB 10.11")) << result.message;
}

TEST_F(MysqlProbe, UnauthenticatedProbesFinishTheHandshakeSoTheHostIsNeverBlocked) {
  // A client that drops the connection mid-handshake counts as a connection
  // error (Aborted_connects_preauth; MySQL's host cache blocks a host after
  // max_connect_errors of them). The probe's placeholder login must not.
  const long before = status_counter(*binlog_, "Aborted_connects_preauth");
  ASSERT_GE(before, 0);
  const auto run = run_targets(std::vector<std::string>(20, target(*binlog_)), trusting());
  for (const auto& result : run.results) ASSERT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(status_counter(*binlog_, "Aborted_connects_preauth"), before);
  // The control: a bare TCP connect-and-close does count, so the counter works.
  ASSERT_TRUE(plprobe::testing::tcp_port_open("127.0.0.1", binlog_->port()));
  EXPECT_TRUE(plprobe::testing::wait_until(
      [&] { return status_counter(*binlog_, "Aborted_connects_preauth") > before; }, 5s));
}

TEST_F(MysqlProbe, VerifyFullChecksTheCertificate) {
  EXPECT_EQ(probe(target(*binlog_), options(TlsMode::verify_full)).outcome, Code::tls_cert_untrusted);
  auto wrong = trusting();
  wrong.settings.sni = "other.test";
  const auto mismatch = probe(target(*binlog_), wrong);
  EXPECT_EQ(mismatch.outcome, Code::tls_hostname_mismatch) << mismatch.message;
  const auto prefer = probe(target(*binlog_), options(TlsMode::prefer));
  ASSERT_EQ(prefer.outcome, Code::ok) << prefer.message;
  EXPECT_TRUE(contains(prefer.facts["warnings"].dump(), "certificate not verified"));
}

TEST_F(MysqlProbe, WithoutTlsOnTheServerRequireFailsClosedAndPreferWarns) {
  for (TlsMode mode : {TlsMode::require, TlsMode::verify_full}) {
    const auto result = probe(target(*plain_, "cdc"), trusting(mode, kCdcPassword));
    EXPECT_EQ(result.outcome, Code::mysql_tls_unavailable) << result.message;
    EXPECT_EQ(result.facts["tls_offered"], false);
    EXPECT_FALSE(result.facts.contains("placeholder_login")) << "nothing sent in plaintext";
  }
  const auto prefer = probe(target(*plain_), options(TlsMode::prefer));
  ASSERT_EQ(prefer.outcome, Code::ok) << prefer.message;
  EXPECT_TRUE(contains(prefer.facts["warnings"].dump(), "does not offer TLS"));
  EXPECT_FALSE(contains(prefer.facts["capabilities"].dump(), "CLIENT_SSL"));
}

TEST_F(MysqlProbe, TheCdcUserIsReadyOverPinnedTls) {
  const auto result = probe(target(*binlog_, "cdc"), trusting(TlsMode::verify_full, kCdcPassword));
  ASSERT_EQ(result.outcome, Code::ok) << result.message << " / " << result.hint;
  const auto& cdc = result.facts["cdc"];
  EXPECT_EQ(cdc["ready"], true);
  EXPECT_EQ(cdc["flavor"], "mariadb");
  EXPECT_EQ(cdc["user"], "'cdc'@'%'");
  EXPECT_EQ(cdc["variables"]["binlog_format"], "ROW");
  EXPECT_EQ(cdc["variables"]["log_bin"], "ON");
  EXPECT_EQ(cdc["privileges"]["replication_slave"], true);
  EXPECT_EQ(cdc["privileges"]["replication_client"], true);
  EXPECT_FALSE(result.facts["login"]["tls"].is_null()) << "the authenticated connection used TLS";
  EXPECT_TRUE(contains(result.message, "ready for ClickPipes CDC")) << result.message;
  EXPECT_TRUE(result.facts["timings_ms"].contains("authenticated_login"));
  EXPECT_FALSE(contains(to_json(result).dump(), kCdcPassword));
}

TEST_F(MysqlProbe, AUserWithoutReplicationGrantsIsNotReady) {
  const auto result = probe(target(*binlog_, "plain"), trusting(TlsMode::verify_full, "plain-pw"));
  EXPECT_EQ(result.outcome, Code::mysql_cdc_not_ready) << result.message;
  EXPECT_TRUE(has_finding(result, "replication_slave_missing"));
  EXPECT_TRUE(has_finding(result, "replication_client_missing"));
  EXPECT_TRUE(contains(result.hint, "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'plain'@'%';"))
      << result.hint;
}

TEST_F(MysqlProbe, AServerWithoutBinaryLoggingIsNotReady) {
  const auto result = probe(target(*plain_, "cdc"), options(TlsMode::prefer, kCdcPassword));
  EXPECT_EQ(result.outcome, Code::mysql_cdc_not_ready) << result.message;
  EXPECT_TRUE(has_finding(result, "log_bin_off"));
  EXPECT_TRUE(has_finding(result, "binlog_format_not_row")) << "MariaDB's default is MIXED";
  EXPECT_TRUE(result.facts["login"]["tls"].is_null());
  EXPECT_TRUE(contains(result.message, "binary logging is off")) << result.message;
}

TEST_F(MysqlProbe, AWrongPasswordIsAuthFailedAndNeverShown) {
  const std::string wrong = "wrong-password-81aa";
  const auto result = probe(target(*binlog_, "cdc"), trusting(TlsMode::verify_full, wrong));
  EXPECT_EQ(result.outcome, Code::mysql_auth_failed) << result.message;
  EXPECT_TRUE(contains(result.message, "1045")) << result.message;
  EXPECT_FALSE(contains(to_json(result).dump(), wrong));
}

TEST_F(MysqlProbe, AHostNoAccountMayComeFromIsRefusedBeforeTheGreeting) {
  // With --skip-name-resolve only IP patterns match; move every account
  // that matches 127.0.0.1 away, probe, and move them back.
  const std::vector<std::string> accounts = {"'root'@'127.0.0.1'", "'root'@'::1'", "'cdc'@'%'", "'plain'@'%'"};
  // FLUSH PRIVILEGES: MariaDB decides "any host may connect" when accounts
  // load, not on RENAME USER.
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    plain_->sql(fmt::format("RENAME USER {} TO 'parked{}'@'10.9.9.9'", accounts[i], i));
  }
  plain_->sql("FLUSH PRIVILEGES");
  const auto result = probe(target(*plain_), options());
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    plain_->sql(fmt::format("RENAME USER 'parked{}'@'10.9.9.9' TO {}", i, accounts[i]));
  }
  plain_->sql("FLUSH PRIVILEGES");
  ASSERT_EQ(result.outcome, Code::mysql_host_not_allowed) << result.message;
  EXPECT_EQ(result.facts["error"]["code"], 1130);
  EXPECT_TRUE(contains(result.message, "is not allowed to connect")) << result.message;
}

TEST_F(MysqlProbe, CliTakesThePasswordFromTheEnvironmentAndNeverPrintsIt) {
  using plprobe::testing::json_lines;
  using plprobe::testing::run_plprobe;
  auto run = run_plprobe({"probe", target(*binlog_, "cdc"), "--tls", "verify-full", "--ca", ca_file_, "--json"}, 30s,
                         {{"PLPROBE_PASSWORD", kCdcPassword}});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto lines = json_lines(run.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["outcome"], "ok");
  EXPECT_EQ(lines[0]["facts"]["cdc"]["ready"], true);
  EXPECT_FALSE(contains(run.out + run.err, kCdcPassword));

  run = run_plprobe({"probe", target(*plain_, "cdc"), "--tls", "require"}, 30s, {{"PLPROBE_PASSWORD", kCdcPassword}});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(contains(run.out, "mysql_tls_unavailable")) << run.out;
}

}  // namespace
}  // namespace plprobe::probes
