// plprobe as a user runs it: exit codes, messages, JSON output, against
// real peers on loopback (unbound, in-process TLS and TCP servers).
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "tests/integration/cli/plprobe_cli.h"
#include "tests/support/certs.h"
#include "tests/support/dns/unbound_server.h"
#include "tests/support/listeners.h"
#include "tests/support/ports.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tls_server.h"

namespace plprobe::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(CliUsage, NoArgumentsIsAUsageError) {
  auto run = run_plprobe({});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "plprobe:")) << run.err;
}

TEST(CliUsage, MistypedCommandGetsASuggestion) {
  auto run = run_plprobe({"prob", "tcp://127.0.0.1:1"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "unknown command 'prob'")) << run.err;
  EXPECT_TRUE(contains(run.err, "did you mean 'probe'?")) << run.err;
}

TEST(CliUsage, BadTargetsExitTwoAndListTheAcceptedForms) {
  for (const char* bad : {"http://db:80", "db.example:5432", "tcp://db.example", "tcp://::1:80", "tcp://u:pw@db:5"}) {
    auto run = run_plprobe({"probe", bad});
    EXPECT_EQ(run.exit_code, 2) << bad;
    EXPECT_TRUE(contains(run.err, "tcp://HOST:PORT")) << bad << ": " << run.err;
    EXPECT_TRUE(contains(run.err, "tls://HOST:PORT")) << bad << ": " << run.err;
    EXPECT_TRUE(run.out.empty()) << "nothing on stdout for a usage error";
    EXPECT_FALSE(contains(run.err, "terminate called")) << run.err;
  }
}

TEST(CliUsage, BadOptionValuesExitTwoWithAHint) {
  const std::vector<std::vector<std::string>> cases = {
      {"probe", "tcp://127.0.0.1:1", "--timeout", "soon"},
      {"probe", "tcp://127.0.0.1:1", "--dns-server", "dns.example"},
      {"probe", "tcp://127.0.0.1:1", "--concurrency", "0"},
      {"probe", "--targets", "/nonexistent/targets.txt"},
      {"probe", "tcp://127.0.0.1:1", "--family", "7"},
      {"probe", "tls://127.0.0.1:1", "--ca", "/nonexistent/ca.pem"},
      {"resolve", "bad name"},
      {"probe"},
  };
  for (const auto& args : cases) {
    auto run = run_plprobe(args);
    EXPECT_EQ(run.exit_code, 2) << fmt::format("{}", fmt::join(args, " ")) << "\n" << run.err;
    EXPECT_TRUE(contains(run.err, "plprobe: ")) << run.err;
  }
}

TEST(CliUsage, HelpTeachesWithExamples) {
  auto run = run_plprobe({"probe", "--help"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_TRUE(contains(run.out, "Examples:"));
  EXPECT_TRUE(contains(run.out, "--timeout"));
  EXPECT_TRUE(contains(run.out, "Exit codes"));
}

TEST(CliCodes, ListsEveryCodeAsJson) {
  auto run = run_plprobe({"codes", "--json"});
  ASSERT_EQ(run.exit_code, 0);
  auto lines = json_lines(run.out);
  std::set<std::string> names;
  for (const auto& line : lines) names.insert(line["code"].get<std::string>());
  for (const char* expected : {"ok", "dns_nxdomain", "tcp_refused", "tcp_timeout", "tls_hostname_mismatch",
                               "tls_protocol_too_old", "dns_public_address"}) {
    EXPECT_TRUE(names.count(expected)) << expected;
  }
}

TEST(CliCodes, TheReadmeDocumentsEveryCode) {
  auto run = run_plprobe({"codes", "--json"});
  ASSERT_EQ(run.exit_code, 0);
  auto readme = run_command({"cat", std::string(PLPROBE_SOURCE_DIR) + "/README.md"}, 5s).out;
  for (const auto& line : json_lines(run.out)) {
    const auto code = line["code"].get<std::string>();
    EXPECT_TRUE(contains(readme, "`" + code + "`")) << "README.md does not document " << code;
  }
}

class CliAgainstPeers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dns_ = new UnboundServer({TestZone{"test.",
                                       {"two 300 IN A 127.0.0.1", "two 300 IN A 127.0.0.2", "alias 60 IN CNAME good",
                                        "good 300 IN A 127.0.0.1", "noaddr 300 IN TXT \"none\""}}});
    ca_ = new CertificateAuthority(CertificateAuthority::create("plprobe test CA"));
    dir_ = new TempDir("plprobe-cli-test-");
    ca_file_ = new std::string(ca_->write_certificate(dir_->path()).string());
    LeafSpec spec;
    spec.common_name = "good.test";
    spec.dns_names = {"good.test"};
    auto issued = ca_->issue(spec);
    TlsServerOptions options;
    options.certificate_chain_pem = issued.chain_pem;
    options.private_key_pem = issued.private_key_pem;
    tls_ = new TlsServer(options);
  }
  static void TearDownTestSuite() {
    delete tls_;
    delete ca_file_;
    delete dir_;
    delete ca_;
    delete dns_;
  }
  static UnboundServer* dns_;
  static CertificateAuthority* ca_;
  static TempDir* dir_;
  static std::string* ca_file_;
  static TlsServer* tls_;
};

UnboundServer* CliAgainstPeers::dns_ = nullptr;
CertificateAuthority* CliAgainstPeers::ca_ = nullptr;
TempDir* CliAgainstPeers::dir_ = nullptr;
std::string* CliAgainstPeers::ca_file_ = nullptr;
TlsServer* CliAgainstPeers::tls_ = nullptr;

TEST_F(CliAgainstPeers, EveryAddressOfANameIsProbedAndAFailureExitsOne) {
  // two.test has 127.0.0.1 and 127.0.0.2; the listener is on 127.0.0.1 only.
  TcpListener listener(ListenerBehaviour::accept_and_close);
  auto run = run_plprobe({"probe", fmt::format("tcp://two.test:{}", listener.port()), "--dns-server", dns_->address(),
                          "--json"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  auto lines = json_lines(run.out);
  ASSERT_EQ(lines.size(), 2u) << run.out;
  std::map<std::string, std::string> outcome_by_address;
  for (const auto& line : lines) {
    outcome_by_address[line["address"].get<std::string>()] = line["outcome"].get<std::string>();
    EXPECT_EQ(line["target"], fmt::format("tcp://two.test:{}", listener.port()));
    EXPECT_EQ(line["host"], "two.test");
    EXPECT_TRUE(line["phases_ms"].contains("dns"));
    EXPECT_EQ(line["facts"]["dns"]["server"], dns_->address());
  }
  EXPECT_EQ(outcome_by_address["127.0.0.1"], "ok");
  EXPECT_EQ(outcome_by_address["127.0.0.2"], "tcp_refused");
}

TEST_F(CliAgainstPeers, UnresolvableNamesGiveOneResultWithoutAddress) {
  auto run = run_plprobe({"probe", "tcp://missing.test:80", "tcp://noaddr.test:80", "--dns-server", dns_->address(),
                          "--json"});
  EXPECT_EQ(run.exit_code, 1);
  auto lines = json_lines(run.out);
  ASSERT_EQ(lines.size(), 2u);
  std::set<std::string> outcomes;
  for (const auto& line : lines) {
    EXPECT_TRUE(line["address"].is_null());
    EXPECT_FALSE(line["hint"].get<std::string>().empty());
    outcomes.insert(line["outcome"].get<std::string>());
  }
  EXPECT_EQ(outcomes, (std::set<std::string>{"dns_nxdomain", "dns_nodata"}));
}

TEST_F(CliAgainstPeers, TlsThroughANameWithTheRightCaIsHealthy) {
  auto run = run_plprobe({"probe", fmt::format("tls://good.test:{}", tls_->port()), "--dns-server", dns_->address(),
                          "--ca", *ca_file_, "--json"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto lines = json_lines(run.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["outcome"], "ok");
  EXPECT_EQ(lines[0]["tls"]["sni"], "good.test");
  EXPECT_EQ(lines[0]["tls"]["verified"], true);
  for (const char* phase : {"dns", "connect", "tls", "total"}) EXPECT_TRUE(lines[0]["phases_ms"].contains(phase)) << phase;
}

TEST_F(CliAgainstPeers, TlsThroughAnAliasNeedsSni) {
  // alias.test is a CNAME to good.test; the certificate names good.test only.
  auto mismatch = run_plprobe({"probe", fmt::format("tls://alias.test:{}", tls_->port()), "--dns-server",
                               dns_->address(), "--ca", *ca_file_, "--json"});
  EXPECT_EQ(mismatch.exit_code, 1);
  auto lines = json_lines(mismatch.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["outcome"], "tls_hostname_mismatch");
  EXPECT_TRUE(contains(lines[0]["hint"].get<std::string>(), "--sni good.test"));
  EXPECT_EQ(lines[0]["facts"]["dns"]["cname_chain"], nlohmann::json::array({"good.test"}));
  auto fixed = run_plprobe({"probe", fmt::format("tls://alias.test:{}", tls_->port()), "--dns-server", dns_->address(),
                            "--ca", *ca_file_, "--sni", "good.test", "--json"});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.out;
}

TEST_F(CliAgainstPeers, TableOutputShowsMessagesHintsAndASummary) {
  ClosedTcpPort closed;
  auto run = run_plprobe({"probe", fmt::format("tcp://127.0.0.1:{}", closed.port()),
                          fmt::format("tls://good.test:{}", tls_->port()), "--dns-server", dns_->address(), "--ca",
                          *ca_file_});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(contains(run.out, "tcp_refused"));
  EXPECT_TRUE(contains(run.out, "hint: "));
  EXPECT_TRUE(contains(run.out, "2 results: 1 failed"));
  EXPECT_FALSE(contains(run.out, "\033[")) << "no colour when stdout is not a terminal";
  // Input order, not completion order.
  EXPECT_LT(run.out.find("tcp://127.0.0.1"), run.out.find("tls://good.test"));
}

TEST_F(CliAgainstPeers, TargetsFileSkipsCommentsAndBlankLines) {
  TcpListener listener(ListenerBehaviour::accept_and_close);
  auto file = dir_->write("targets.txt", fmt::format("# the database\n\ntcp://127.0.0.1:{}\n  tcp://good.test:{}  \n",
                                                     listener.port(), listener.port()));
  auto run = run_plprobe({"probe", "--targets", file.string(), "--dns-server", dns_->address(), "--json"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(json_lines(run.out).size(), 2u);
}

TEST_F(CliAgainstPeers, RepeatPrintsSamplesInJson) {
  TcpListener listener(ListenerBehaviour::accept_and_close);
  auto run = run_plprobe({"probe", fmt::format("tcp://127.0.0.1:{}", listener.port()), "--repeat", "4", "--interval",
                          "20ms", "--json"});
  EXPECT_EQ(run.exit_code, 0);
  auto lines = json_lines(run.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["samples"]["count"], 4);
  EXPECT_EQ(lines[0]["samples"]["lost"], 0);
  EXPECT_GE(run.elapsed, 60ms) << "three intervals between four samples";
}

TEST_F(CliAgainstPeers, ResolvePrintsTheContractWithDnsFacts) {
  auto run = run_plprobe({"resolve", "alias.test", "missing.test", "--dns-server", dns_->address(), "--json"});
  EXPECT_EQ(run.exit_code, 1);
  auto lines = json_lines(run.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["target"], "alias.test");
  EXPECT_EQ(lines[0]["kind"], "dns");
  EXPECT_EQ(lines[0]["outcome"], "ok");
  EXPECT_EQ(lines[0]["facts"]["cname_chain"], nlohmann::json::array({"good.test"}));
  EXPECT_EQ(lines[0]["facts"]["addresses"][0]["address"], "127.0.0.1");
  EXPECT_EQ(lines[0]["facts"]["addresses"][0]["class"], "loopback");
  EXPECT_EQ(lines[0]["facts"]["server"], dns_->address());
  EXPECT_EQ(lines[1]["outcome"], "dns_nxdomain");
  EXPECT_EQ(lines[1]["facts"]["rcode"]["A"], "NXDOMAIN");
}

TEST_F(CliAgainstPeers, ResolveEndsAtItsDeadlineWhenTheServerIsSilent) {
  SilentUdpServer silent;
  auto run = run_plprobe({"resolve", "db.test", "--dns-server", fmt::format("127.0.0.1:{}", silent.port()), "--timeout",
                          "500ms", "--json"});
  EXPECT_EQ(run.exit_code, 1);
  auto lines = json_lines(run.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["outcome"], "dns_timeout");
  EXPECT_LT(run.elapsed, 2s) << "the process must not wait for c-ares' own retries";
}

}  // namespace
}  // namespace plprobe::testing
