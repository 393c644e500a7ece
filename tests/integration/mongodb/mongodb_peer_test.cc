// The MongoDB probe against tests/peers/mongodb/peer.js: replica sets of
// several members on several loopback ports whose advertised names resolve
// through a real test DNS server (unbound), legacy members served by
// mongodb-mock-server (OP_QUERY only), TLS with test-made certificates, and
// SCRAM logins. The peer itself is checked by MongoDB's official Node.js
// driver (PeerIsAcceptedByTheOfficialDriver).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/cli/plprobe_cli.h"
#include "tests/support/certs.h"
#include "tests/support/dns/unbound_server.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/probes/probe_harness.h"

namespace plprobe::probes {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using plprobe::testing::CertificateAuthority;
using plprobe::testing::ChildProcess;
using plprobe::testing::ClosedTcpPort;
using plprobe::testing::LeafSpec;
using plprobe::testing::ProcessOptions;
using plprobe::testing::TempDir;
using plprobe::testing::TestZone;
using plprobe::testing::UnboundServer;
using testing::run_targets;

// Built with append: g++ 12 warns falsely (-Warray-bounds) on `std::string + "..."` temporaries at -O2.
std::string peer_file(std::string_view name) {
  std::string path = PLPROBE_SOURCE_DIR;
  path.append("/tests/peers/mongodb/").append(name);
  return path;
}

// One peer.js process; stopped (SIGTERM to its group) on destruction.
class MongoPeer {
 public:
  explicit MongoPeer(json config) {
    config["max_seconds"] = 300;  // a test that dies leaves nothing behind for long
    const auto path = dir_.write("config.json", config.dump());
    ProcessOptions options;
    options.argv = {"node", "--no-deprecation", peer_file("peer.js"), path.string()};
    process_ = std::make_unique<ChildProcess>(options);
    const bool up = plprobe::testing::wait_until(
        [&] {
          const std::string log = process_->log();
          const auto start = log.find("{\"ready\"");
          const auto end = log.find('\n', start);
          if (start == std::string::npos || end == std::string::npos) return false;
          ready_ = json::parse(log.substr(start, end - start), nullptr, false);
          return !ready_.is_discarded();
        },
        15s);
    if (!up) {
      std::string message = "peer.js did not start (run tests/peers/mongodb/install.sh once):\n";
      message.append(process_->log());
      throw std::runtime_error(message);
    }
  }
  std::uint16_t port(const std::string& name) const {
    for (const auto& member : ready_["members"]) {
      if (member["name"] == name) return member["port"].get<std::uint16_t>();
    }
    throw std::runtime_error(std::string("no member ").append(name));
  }
  std::string log() const { return process_->log(); }

 private:
  TempDir dir_{"plprobe-mongo-peer-"};
  std::unique_ptr<ChildProcess> process_;
  json ready_;
};

class MongoAgainstPeer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // m1-m3 and down resolve to loopback; gone.rs.test does not exist (NXDOMAIN).
    // The zone is test. itself: unbound answers test. locally (RFC 6761)
    // unless the zone it is told not to is exactly that name.
    dns_ = new UnboundServer({TestZone{"test.",
                                       {"m1.rs 300 IN A 127.0.0.1", "m2.rs 300 IN A 127.0.0.1",
                                        "m3.rs 300 IN A 127.0.0.1", "down.rs 300 IN A 127.0.0.1"}}});
    ca_ = new CertificateAuthority(CertificateAuthority::create("plprobe mongodb test CA"));
    dir_ = new TempDir("plprobe-mongo-test-");
    ca_file_ = new std::string(ca_->write_certificate(dir_->path()).string());
    LeafSpec spec;
    spec.common_name = "m1.rs.test";
    spec.dns_names = {"m1.rs.test", "m2.rs.test"};  // not m3: its walk must fail verification
    const auto files = ca_->issue(spec).write(dir_->path(), "member");
    cert_ = new std::string(files.chain.string());
    key_ = new std::string(files.private_key.string());
  }
  static void TearDownTestSuite() {
    delete key_;
    delete cert_;
    delete ca_file_;
    delete dir_;
    delete ca_;
    delete dns_;
  }

  static EngineOptions options(TlsMode tls = TlsMode::disable, std::chrono::milliseconds timeout = 5s) {
    EngineOptions out;
    out.timeout = timeout;
    out.threads = 1;
    out.resolver.servers = {{asio::ip::make_address("127.0.0.1"), dns_->port()}};
    out.tls.ca_file = *ca_file_;
    out.settings.mongodb.tls = tls;
    return out;
  }

  static json replica_set(json members) {
    return {{"set_name", "rs0"}, {"members", std::move(members)}};
  }

  static json users() {
    return json::array({{{"user", "clickpipes"}, {"password", "s3cret"}, {"db", "admin"},
                         {"roles", {"readAnyDatabase", "clusterMonitor"}}},
                        {{"user", "legacy"}, {"password", "s3cret"}, {"db", "admin"},
                         {"mechanisms", {"SCRAM-SHA-1"}}, {"roles", {"readAnyDatabase", "clusterMonitor"}}},
                        {{"user", "nobody"}, {"password", "s3cret"}, {"db", "admin"}, {"roles", json::array()}}});
  }

  static UnboundServer* dns_;
  static CertificateAuthority* ca_;
  static TempDir* dir_;
  static std::string* ca_file_;
  static std::string* cert_;
  static std::string* key_;
};

UnboundServer* MongoAgainstPeer::dns_ = nullptr;
CertificateAuthority* MongoAgainstPeer::ca_ = nullptr;
TempDir* MongoAgainstPeer::dir_ = nullptr;
std::string* MongoAgainstPeer::ca_file_ = nullptr;
std::string* MongoAgainstPeer::cert_ = nullptr;
std::string* MongoAgainstPeer::key_ = nullptr;

const json kThreeMembers = json::array({{{"name", "m1"}, {"host", "m1.rs.test"}, {"role", "primary"}},
                                        {{"name", "m2"}, {"host", "m2.rs.test"}, {"role", "secondary"}},
                                        {{"name", "m3"}, {"host", "m3.rs.test"}, {"role", "passive"}}});

TEST_F(MongoAgainstPeer, ReadsHelloAndWalksEveryMember) {
  MongoPeer peer(replica_set(kThreeMembers));
  const auto result =
      run_targets({fmt::format("mongodb://m1.rs.test:{}", peer.port("m1"))}, options()).only();
  ASSERT_EQ(result.outcome, Code::ok) << result.message << "\n" << result.facts.dump(2);
  EXPECT_NE(result.message.find("all 3 advertised members answer"), std::string::npos) << result.message;
  const auto& facts = result.facts;
  EXPECT_EQ(facts["wire"]["opcode"], "OP_MSG");
  EXPECT_EQ(facts["wire"]["command"], "hello");
  EXPECT_EQ(facts["topology"], "replica_set_member");
  EXPECT_EQ(facts["set_name"], "rs0");
  EXPECT_EQ(facts["is_writable_primary"], true);
  EXPECT_EQ(facts["server"]["version"], "7.0");
  EXPECT_EQ(facts["primary"], fmt::format("m1.rs.test:{}", peer.port("m1")));
  ASSERT_EQ(facts["members"].size(), 3u);
  for (const auto& member : facts["members"]) {
    EXPECT_EQ(member["outcome"], "ok") << member.dump();
    EXPECT_EQ(member["walked"], true);
    EXPECT_EQ(member["connected_address"], "127.0.0.1");
    EXPECT_TRUE(member["phases_ms"].contains("dns")) << "each member name resolved through the test DNS server";
  }
  EXPECT_EQ(facts["members"][0]["primary"], true);
  EXPECT_EQ(facts["members"][2]["role"], "passive");
  EXPECT_EQ(facts["members"][1]["answered_as"]["me"], fmt::format("m2.rs.test:{}", peer.port("m2")));
}

TEST_F(MongoAgainstPeer, NamesUnresolvableAndUnreachableMembers) {
  ClosedTcpPort closed;
  json config = replica_set(kThreeMembers);
  config["extra_hosts"] = {"gone.rs.test:27017", fmt::format("down.rs.test:{}", closed.port())};
  MongoPeer peer(config);
  const auto result =
      run_targets({fmt::format("mongodb://m2.rs.test:{}", peer.port("m2"))}, options()).only();
  EXPECT_EQ(result.outcome, Code::mongodb_member_unresolvable) << result.message;
  EXPECT_NE(result.message.find("2 of 5 advertised members fail"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("gone.rs.test:27017"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("down.rs.test"), std::string::npos) << "the second problem is named too";
  EXPECT_FALSE(result.hint.empty());
  std::map<std::string, json> by_host;
  for (const auto& member : result.facts["members"]) by_host[member["host"]] = member;
  EXPECT_EQ(by_host["gone.rs.test"]["outcome"], "mongodb_member_unresolvable");
  EXPECT_EQ(by_host["gone.rs.test"]["underlying"], "dns_nxdomain");
  EXPECT_EQ(by_host["down.rs.test"]["outcome"], "mongodb_member_unreachable");
  EXPECT_EQ(by_host["down.rs.test"]["underlying"], "tcp_refused");
  EXPECT_EQ(by_host["m1.rs.test"]["outcome"], "ok");
  EXPECT_EQ(by_host["m3.rs.test"]["outcome"], "ok");
}

TEST_F(MongoAgainstPeer, LegacyMembersAreReadOverOpQuery) {
  // mongodb-mock-server speaks OP_QUERY only and drops OP_MSG silently, as
  // MongoDB 3.4 does; it answers as a 3.4 server (wire version 5).
  MongoPeer peer(replica_set(json::array({{{"name", "m1"}, {"host", "m1.rs.test"}, {"role", "primary"}, {"kind", "legacy"}},
                                          {{"name", "m2"}, {"host", "m2.rs.test"}, {"kind", "legacy"}}})));
  const auto start = std::chrono::steady_clock::now();
  const auto result =
      run_targets({fmt::format("mongodb://m1.rs.test:{}", peer.port("m1"))}, options()).only();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.outcome, Code::mongodb_cdc_not_ready) << result.message << "\n" << peer.log();
  EXPECT_EQ(result.facts["wire"]["opcode"], "OP_QUERY");
  EXPECT_EQ(result.facts["wire"]["command"], "isMaster");
  EXPECT_NE(result.facts["wire"]["fallback"].get<std::string>().find("no answer to OP_MSG hello"), std::string::npos);
  EXPECT_EQ(result.facts["server"]["version"], "3.4");
  EXPECT_EQ(result.facts["cdc"]["findings"][0]["id"], "server_version_below_5_1");
  ASSERT_EQ(result.facts["members"].size(), 2u);
  for (const auto& member : result.facts["members"]) EXPECT_EQ(member["outcome"], "ok") << member.dump();
  EXPECT_GE(elapsed, 900ms) << "the OP_MSG window is waited once, for the seed; members are asked OP_QUERY at once";
  EXPECT_LT(elapsed, 2500ms);
}

TEST_F(MongoAgainstPeer, TlsMembersAreVerifiedByTheirOwnNames) {
  json members = kThreeMembers;
  for (auto& member : members) member["tls"] = true;
  json config = replica_set(members);
  config["tls"] = {{"cert", *cert_}, {"key", *key_}};
  MongoPeer peer(config);
  const auto result =
      run_targets({fmt::format("mongodb+tls://m1.rs.test:{}", peer.port("m1"))}, options()).only();
  ASSERT_TRUE(result.tls.has_value());
  EXPECT_TRUE(result.tls->verified);
  EXPECT_EQ(result.tls->sni, "m1.rs.test");
  // m3's name is not in the certificate: the walk, verifying each member by
  // the name it advertises, must say so.
  EXPECT_EQ(result.outcome, Code::mongodb_member_unreachable) << result.message;
  const auto& members_out = result.facts["members"];
  ASSERT_EQ(members_out.size(), 3u);
  EXPECT_EQ(members_out[0]["outcome"], "ok");
  EXPECT_EQ(members_out[0]["tls"]["verified"], true);
  EXPECT_EQ(members_out[1]["tls"]["sni"], "m2.rs.test");
  EXPECT_EQ(members_out[1]["outcome"], "ok");
  EXPECT_EQ(members_out[2]["outcome"], "mongodb_member_unreachable");
  EXPECT_EQ(members_out[2]["underlying"], "tls_hostname_mismatch");
}

TEST_F(MongoAgainstPeer, TlsPreferUsesTlsWhereThePortSpeaksIt) {
  json members = json::array({{{"name", "m1"}, {"host", "m1.rs.test"}, {"role", "primary"}, {"tls", true}}});
  json config = replica_set(members);
  config["tls"] = {{"cert", *cert_}, {"key", *key_}};
  MongoPeer peer(config);
  const auto result =
      run_targets({fmt::format("mongodb://m1.rs.test:{}", peer.port("m1"))}, options(TlsMode::prefer)).only();
  EXPECT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.facts["tls_mode"], "prefer");
  EXPECT_FALSE(result.facts.contains("tls_fallback"));
  ASSERT_TRUE(result.tls.has_value());
  EXPECT_TRUE(result.phases.tls_ms.has_value());
  EXPECT_EQ(result.facts["members"][0]["tls"]["version"].get<std::string>().substr(0, 4), "TLSv");
}

TEST_F(MongoAgainstPeer, AStandaloneServerIsNotAReplicaSet) {
  MongoPeer peer({{"set_name", nullptr}, {"members", json::array({{{"name", "m1"}, {"host", "m1.rs.test"}}})}});
  const auto result =
      run_targets({fmt::format("mongodb://127.0.0.1:{}", peer.port("m1"))}, options()).only();
  EXPECT_EQ(result.outcome, Code::mongodb_not_replica_set) << result.message;
  EXPECT_NE(result.message.find("standalone"), std::string::npos) << result.message;
  EXPECT_EQ(result.facts["topology"], "standalone");
  EXPECT_TRUE(result.facts["members"].empty());
}

TEST_F(MongoAgainstPeer, LogsInAndFindsTheSourceReadyForCdc) {
  json config = replica_set(kThreeMembers);
  config["users"] = users();
  config["oplog_min_retention_hours"] = 72;
  MongoPeer peer(config);
  auto engine = options();
  engine.settings.mongodb.password = "s3cret";
  const auto result =
      run_targets({fmt::format("mongodb://clickpipes@m1.rs.test:{}/admin", peer.port("m1"))}, engine).only();
  ASSERT_EQ(result.outcome, Code::ok) << result.message << "\n" << result.facts.dump(2);
  EXPECT_NE(result.message.find("ready for ClickPipes CDC"), std::string::npos) << result.message;
  EXPECT_EQ(result.facts["auth"]["mechanism"], "SCRAM-SHA-256");
  EXPECT_EQ(result.facts["auth"]["authenticated"], true);
  EXPECT_EQ(result.facts["cdc"]["checked"], true);
  EXPECT_EQ(result.facts["cdc"]["oplog"]["present"], true);
  EXPECT_EQ(result.facts["cdc"]["oplog"]["min_retention_hours"], 72);
  EXPECT_EQ(result.facts["cdc"]["repl_set_get_status"]["set"], "rs0");
  EXPECT_EQ(result.facts["cdc"]["repl_set_get_status"]["members"].size(), 3u);
  EXPECT_EQ(result.facts.dump().find("s3cret"), std::string::npos) << "the password never appears in a result";
}

TEST_F(MongoAgainstPeer, ScramSha1UsersLogInWithSha1) {
  json config = replica_set(kThreeMembers);
  config["users"] = users();
  config["oplog_min_retention_hours"] = 24;
  MongoPeer peer(config);
  auto engine = options();
  engine.settings.mongodb.password = "s3cret";
  const auto result =
      run_targets({fmt::format("mongodb://legacy@m1.rs.test:{}", peer.port("m1"))}, engine).only();
  EXPECT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.facts["auth"]["mechanism"], "SCRAM-SHA-1");
}

TEST_F(MongoAgainstPeer, AWrongPasswordIsAuthFailed) {
  json config = replica_set(kThreeMembers);
  config["users"] = users();
  MongoPeer peer(config);
  auto engine = options();
  engine.settings.mongodb.password = "wrong";
  const auto result =
      run_targets({fmt::format("mongodb://clickpipes@m1.rs.test:{}", peer.port("m1"))}, engine).only();
  EXPECT_EQ(result.outcome, Code::mongodb_auth_failed) << result.message;
  EXPECT_NE(result.message.find("Authentication failed"), std::string::npos) << result.message;
  EXPECT_EQ(result.facts["cdc"]["checked"], false);
}

TEST_F(MongoAgainstPeer, MissingRolesAreNamed) {
  json config = replica_set(kThreeMembers);
  config["users"] = users();
  config["oplog_min_retention_hours"] = 72;
  MongoPeer peer(config);
  auto engine = options();
  engine.settings.mongodb.password = "s3cret";
  const auto result =
      run_targets({fmt::format("mongodb://nobody@m1.rs.test:{}", peer.port("m1"))}, engine).only();
  EXPECT_EQ(result.outcome, Code::mongodb_not_authorized) << result.message;
  EXPECT_NE(result.message.find("clusterMonitor"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("readAnyDatabase"), std::string::npos) << result.message;
  EXPECT_NE(result.hint.find("grantRolesToUser"), std::string::npos) << result.hint;
}

TEST_F(MongoAgainstPeer, AnOplogWithoutMinimumRetentionIsNotReady) {
  json config = replica_set(kThreeMembers);
  config["users"] = users();
  config["oplog_min_retention_hours"] = nullptr;
  MongoPeer peer(config);
  auto engine = options();
  engine.settings.mongodb.password = "s3cret";
  const auto result =
      run_targets({fmt::format("mongodb://clickpipes@m1.rs.test:{}", peer.port("m1"))}, engine).only();
  EXPECT_EQ(result.outcome, Code::mongodb_cdc_not_ready) << result.message;
  ASSERT_FALSE(result.facts["cdc"]["findings"].empty());
  EXPECT_EQ(result.facts["cdc"]["findings"][0]["id"], "oplog_retention_unset");
  EXPECT_NE(result.hint.find("replSetResizeOplog"), std::string::npos) << result.hint;
}

TEST_F(MongoAgainstPeer, CommandLineProbePrintsJsonAndNeverThePassword) {
  json config = replica_set(kThreeMembers);
  config["users"] = users();
  config["oplog_min_retention_hours"] = 72;
  MongoPeer peer(config);
  auto run = plprobe::testing::run_plprobe(
      {"probe", fmt::format("mongodb://clickpipes@m1.rs.test:{}", peer.port("m1")), "--dns-server", dns_->address(),
       "--tls", "disable", "--json"},
      30s, {{"PLPROBE_PASSWORD", "s3cret"}});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto lines = plprobe::testing::json_lines(run.out);
  ASSERT_EQ(lines.size(), 1u) << run.out;
  EXPECT_EQ(lines[0]["kind"], "mongodb");
  EXPECT_EQ(lines[0]["outcome"], "ok");
  EXPECT_EQ(lines[0]["facts"]["members"].size(), 3u);
  EXPECT_EQ(run.out.find("s3cret"), std::string::npos);
  EXPECT_EQ(run.err.find("s3cret"), std::string::npos);
}

TEST_F(MongoAgainstPeer, PeerIsAcceptedByTheOfficialDriver) {
  // MongoDB's own Node.js driver (npm "mongodb") as the independent client:
  // it must complete its handshake and both SCRAM mechanisms against the
  // peer the tests above trust.
  json config = replica_set(kThreeMembers);
  config["users"] = users();
  MongoPeer peer(config);
  const std::string address = fmt::format("127.0.0.1:{}", peer.port("m1"));
  for (const char* mechanism : {"SCRAM-SHA-256", "SCRAM-SHA-1"}) {
    const auto check = plprobe::testing::run_command(
        {"node", peer_file("selfcheck.js"), address, "clickpipes", "s3cret", mechanism}, 30s);
    EXPECT_EQ(check.exit_code, 0) << mechanism << ": " << check.out << check.err;
    EXPECT_NE(check.out.find("\"replSetGetStatus\":\"rs0\""), std::string::npos) << check.out;
  }
  const auto refused = plprobe::testing::run_command(
      {"node", peer_file("selfcheck.js"), address, "clickpipes", "wrong", "SCRAM-SHA-256"}, 30s);
  EXPECT_NE(refused.exit_code, 0) << refused.out;
}

}  // namespace
}  // namespace plprobe::probes
