// `plprobe doctor` as a user runs it, against a sandbox on loopback:
//   - unbound serving the endpoints' names (*.on.aws VPC Lattice names and
//     *.vpce.amazonaws.com endpoint service names) -> 127.0.0.1, and a
//     zone where the MSK-style broker names do not exist (NXDOMAIN);
//   - PostgreSQL with wal_level=logical, a REPLICATION user and a
//     certificate for db.internal only (not for the endpoint names);
//   - librdkafka's mock cluster, once directly and once behind a proxy
//     whose Metadata makes broker 2 advertise an unresolvable MSK name;
//   - AWS evidence from tests/fixtures/validator, healthy and exhausted.
// Healthy endpoints are READY (exit 0); each broken one names its problem
// first (exit 1); bad input exits 2 with one line. The HTML report is
// checked in headless Chromium, in a network namespace of its own.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/cli/plprobe_cli.h"
#include "tests/integration/kafka/metadata_proxy.h"
#include "tests/integration/kafka/mock_cluster.h"
#include "tests/support/certs.h"
#include "tests/support/db/postgres_server.h"
#include "tests/support/dns/unbound_server.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/watchdog.h"

namespace plprobe::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPassword = "doct0r-Sandbox-pw";
constexpr const char* kLatticeName =
    "vpce-0d9e8f7a6b5c4d3e2-snra-4bd2a1c9.rcfg-07129f3acded87625.4232ccc.vpc-lattice-rsc.us-east-1.on.aws";
constexpr const char* kServiceName =
    "vpce-0abed31004e618123-4gq1ukpt.vpce-svc-0e7555fb6441987e1.us-east-1.vpce.amazonaws.com";
constexpr const char* kUnresolvableBroker = "b-2.events.xuy0sb.c5.kafka.us-east-1.amazonaws.com";

std::string fixture(const std::string& relative) {
  std::string path = PLPROBE_SOURCE_DIR;
  path.append("/tests/fixtures/validator/");
  path.append(relative);
  return path;
}

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

class DoctorSandbox : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Watchdog watchdog(120s, "doctor sandbox start");
    dir_ = new TempDir("plprobe-doctor-test-", TempDir::Access::world_access);
    dns_ = new UnboundServer({
        {"on.aws.", {"vpce-0d9e8f7a6b5c4d3e2-snra-4bd2a1c9.rcfg-07129f3acded87625.4232ccc.vpc-lattice-rsc.us-east-1 60 IN A 127.0.0.1"}},
        {"vpce.amazonaws.com.", {"vpce-0abed31004e618123-4gq1ukpt.vpce-svc-0e7555fb6441987e1.us-east-1 60 IN A 127.0.0.1"}},
        // The cluster's own broker names exist only inside its VPC: here they do not resolve.
        {"c5.kafka.us-east-1.amazonaws.com.", {"other 60 IN TXT \"no brokers here\""}},
        // MongoDB members advertise their own names; "gone" is advertised but not in DNS.
        {"rs.internal.", {"m1 60 IN A 127.0.0.1", "m2 60 IN A 127.0.0.1"}},
    });

    ca_ = new CertificateAuthority(CertificateAuthority::create("plprobe doctor test CA"));
    ca_file_ = ca_->write_certificate(dir_->path()).string();
    LeafSpec leaf;
    leaf.common_name = "db.internal";
    leaf.dns_names = {"db.internal"};
    PostgresServerOptions options;
    options.tls = ca_->issue(leaf);
    options.settings = {"wal_level = logical", "max_replication_slots = 4", "max_wal_senders = 4"};
    options.hba = {"host all all 127.0.0.1/32 scram-sha-256"};
    options.setup_sql = {fmt::format("CREATE ROLE clickpipes LOGIN REPLICATION PASSWORD '{}'", kPassword)};
    postgres_ = new PostgresServer(options);

    cluster_ = new KafkaMockCluster({"--brokers", "3", "--topic", "events:3:3"});
    proxy_ = new MetadataRewritingProxy(tcp::endpoint(asio::ip::make_address("127.0.0.1"), cluster_->port(1)),
                                        {{2, kUnresolvableBroker}});

    // Endpoint objects as the ClickHouse Cloud API returns them, and the
    // AWS evidence with the resource configuration opened on the port the
    // test's PostgreSQL listens on.
    write_file("healthy/rpe.json", read(fixture("vpc_resource/healthy/rpe.json")));
    write_file("exhausted/rpe.json", read(fixture("vpc_resource/healthy/rpe.json")));
    for (const auto& entry : std::filesystem::directory_iterator(fixture("vpc_resource/healthy"))) {
      const auto name = entry.path().filename().string();
      if (name == "rpe.json") continue;
      std::string text = read(entry.path());
      if (name == "resource-configuration.json") {
        auto at = text.find("\"5432\"");
        text.replace(at, 6, fmt::format("\"{}\"", postgres_->port()));
      }
      write_file("healthy/evidence/" + name, text);
      // Exhausted: the same gateway, its subnets fragmented by other interfaces.
      if (name == "network-interfaces.json") {
        write_file("exhausted/evidence/" + name, read(fixture("vpc_resource/cases/network-interfaces-fragmented.json")));
      } else {
        write_file("exhausted/evidence/" + name, text);
      }
    }
    auto service = nlohmann::json::parse(read(fixture("endpoint_service/healthy/rpe.json")))["result"][0];
    service["vpcEndpointServiceName"] = "com.amazonaws.vpce.us-east-1.vpce-svc-0e7555fb6441987e1";
    service["dnsNames"] = {kServiceName};
    service["privateDnsNames"] = nlohmann::json::array();
    write_file("kafka/rpe.json", service.dump(2));
    write_file("gcp/rpe.json", read(fixture("vpc_resource/cases/rpe-gcp.json")));
  }

  static void TearDownTestSuite() {
    delete proxy_;
    delete cluster_;
    delete postgres_;
    delete ca_;
    delete dns_;
    delete dir_;
  }

  static void write_file(const std::string& relative, const std::string& text) { dir_->write(relative, text); }
  static std::string path(const std::string& relative) { return dir_->file(relative).string(); }

  static RunResult doctor(std::vector<std::string> args, const Environment& environment = {}) {
    args.insert(args.begin(), "doctor");
    args.insert(args.end(), {"--dns-server", dns_->address(), "--samples", "3", "--interval", "20ms", "--timeout", "5s"});
    return run_plprobe(args, 60s, environment);
  }

  static std::vector<std::string> postgres_args(const std::string& variant) {
    return {"--endpoint", path(variant + "/rpe.json"), "--source", "postgres", "--port",
            std::to_string(postgres_->port()), "--evidence", path(variant + "/evidence"), "--user", "clickpipes",
            "--database", "postgres", "--credentials-from-env"};
  }

  static std::vector<std::string> finding_ids(const std::string& json_out) {
    std::vector<std::string> ids;
    for (const auto& line : json_lines(json_out)) {
      if (line.contains("id") && line.contains("severity")) ids.push_back(line["id"]);
    }
    return ids;
  }

  static TempDir* dir_;
  static UnboundServer* dns_;
  static CertificateAuthority* ca_;
  static std::string ca_file_;
  static PostgresServer* postgres_;
  static KafkaMockCluster* cluster_;
  static MetadataRewritingProxy* proxy_;
};

TempDir* DoctorSandbox::dir_ = nullptr;
UnboundServer* DoctorSandbox::dns_ = nullptr;
CertificateAuthority* DoctorSandbox::ca_ = nullptr;
std::string DoctorSandbox::ca_file_;
PostgresServer* DoctorSandbox::postgres_ = nullptr;
KafkaMockCluster* DoctorSandbox::cluster_ = nullptr;
MetadataRewritingProxy* DoctorSandbox::proxy_ = nullptr;

TEST_F(DoctorSandbox, HealthyPostgresEndpointIsReadyWithCdcChecked) {
  auto run = doctor(postgres_args("healthy"), {{"PLPROBE_PASSWORD", kPassword}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(first_line(run.out), "READY") << run.out;
  EXPECT_FALSE(contains(run.out, "[error]")) << run.out;
  EXPECT_TRUE(contains(run.out, fmt::format("{} 127.0.0.1:{}  reachable", kLatticeName, postgres_->port()))) << run.out;
  EXPECT_TRUE(contains(run.out, fmt::format("postgres 127.0.0.1:{}  ready", postgres_->port()))) << run.out;
  EXPECT_FALSE(contains(run.out + run.err, kPassword));
}

TEST_F(DoctorSandbox, HealthyKafkaEndpointIsReadyAsJsonWithASummary) {
  auto run = doctor({"--endpoint", path("kafka/rpe.json"), "--source", "kafka", "--port",
                     std::to_string(cluster_->port(1)), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  auto lines = json_lines(run.out);
  ASSERT_FALSE(lines.empty());
  const auto& summary = lines.back();
  EXPECT_EQ(summary["verdict"], "ready") << run.out;
  EXPECT_EQ(summary["problems"], 0);
  const auto& result = lines[lines.size() - 2];
  EXPECT_EQ(result["kind"], "kafka");
  EXPECT_EQ(result["facts"]["brokers"].size(), 3u);
  EXPECT_EQ(result["samples"]["count"], 3);
}

TEST_F(DoctorSandbox, ExhaustedSubnetsComeFirst) {
  auto run = doctor(postgres_args("exhausted"), {{"PLPROBE_PASSWORD", kPassword}});
  ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_TRUE(first_line(run.out).starts_with("NOT READY: ")) << run.out;
  auto json = doctor([] {
    auto args = postgres_args("exhausted");
    args.push_back("--json");
    return args;
  }(), {{"PLPROBE_PASSWORD", kPassword}});
  auto ids = finding_ids(json.out);
  ASSERT_FALSE(ids.empty()) << json.out;
  EXPECT_EQ(ids.front(), "subnet_no_free_28") << json.out;
  // The path itself works: no path finding among the problems.
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "port_refused"), 0);
}

TEST_F(DoctorSandbox, ABrokerAdvertisingAnUnresolvableNameComesFirst) {
  auto run = doctor({"--endpoint", path("kafka/rpe.json"), "--source", "kafka", "--port",
                     std::to_string(proxy_->port()), "--json"});
  ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
  auto ids = finding_ids(run.out);
  ASSERT_FALSE(ids.empty()) << run.out;
  EXPECT_EQ(ids.front(), "kafka_advertised_mismatch") << run.out;
  EXPECT_TRUE(contains(run.out, kUnresolvableBroker)) << run.out;
  EXPECT_EQ(json_lines(run.out).back()["problems"], 1) << run.out;
}

TEST_F(DoctorSandbox, ATlsNameMismatchThroughTheEndpointNameComesFirst) {
  auto args = postgres_args("healthy");
  args.insert(args.end(), {"--tls", "verify-full", "--ca", ca_file_});
  auto run = doctor(args, {{"PLPROBE_PASSWORD", kPassword}});
  ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_EQ(first_line(run.out), "NOT READY: 1 problem") << run.out;
  EXPECT_TRUE(contains(run.out, "\n[error] tls_name_mismatch: ")) << run.out;
  const auto after_verdict = run.out.substr(run.out.find('\n') + 2);
  EXPECT_TRUE(after_verdict.starts_with("[error] tls_name_mismatch: ")) << run.out;
  EXPECT_TRUE(contains(run.out, "    fix: ")) << run.out;
}

TEST_F(DoctorSandbox, BadInputExitsTwoWithOneClearLine) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--endpoint", path("missing/rpe.json"), "--source", "postgres"}, "missing/rpe.json"},
      {{"--endpoint", fixture("malformed/truncated.json"), "--source", "postgres"}, "truncated.json"},
      {{"--endpoint", path("healthy/rpe.json"), "--source", "oracle"}, "--source 'oracle'"},
      {{"--endpoint", path("gcp/rpe.json"), "--source", "postgres"}, "GCP_PSC_SERVICE_ATTACHMENT"},
      {{"--endpoint", path("healthy/rpe.json"), "--source", "postgres", "--credentials-from-env"}, "needs a user"},
      {{"--endpoint", path("healthy/rpe.json"), "--source", "postgres", "--user", "clickpipes",
        "--credentials-from-env"},
       "PLPROBE_PASSWORD is not set"},
  };
  for (const auto& [args, mention] : cases) {
    auto run = doctor(args, {{"PLPROBE_PASSWORD", mention == "needs a user" ? "pw" : ""}});
    EXPECT_EQ(run.exit_code, 2) << mention << "\n" << run.out << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
    EXPECT_TRUE(first_line(run.err).starts_with("plprobe: ")) << run.err;
    EXPECT_TRUE(contains(first_line(run.err), mention)) << run.err;
  }
}

TEST_F(DoctorSandbox, WithoutAnEndpointItProbesTheUriAndItsReadiness) {
  auto run = doctor({fmt::format("postgres://clickpipes@127.0.0.1:{}/postgres", postgres_->port()), "--credentials-from-env"},
                    {{"PLPROBE_PASSWORD", kPassword}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(first_line(run.out), "READY");
  EXPECT_TRUE(contains(run.out, fmt::format("postgres 127.0.0.1:{}  ready", postgres_->port()))) << run.out;
}

// A replica set behind an endpoint name whose primary also advertises a
// member that does not resolve (tests/peers/mongodb/peer.js, started here:
// only this case needs it).
TEST_F(DoctorSandbox, AMongodbMemberThatDoesNotResolveComesFirst) {
  nlohmann::json config = {
      {"set_name", "rs0"},
      {"max_seconds", 120},
      {"members", {{{"name", "m1"}, {"host", "m1.rs.internal"}, {"role", "primary"}},
                   {{"name", "m2"}, {"host", "m2.rs.internal"}, {"role", "secondary"}}}},
      {"extra_hosts", {"gone.rs.internal:27017"}}};
  const auto config_path = dir_->write("mongo/config.json", config.dump());
  ProcessOptions options;
  std::string peer = PLPROBE_SOURCE_DIR;
  peer.append("/tests/peers/mongodb/peer.js");
  options.argv = {"node", "--no-deprecation", peer, config_path.string()};
  ChildProcess process(options);
  std::uint16_t seed_port = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        const std::string log = process.log();
        const auto start = log.find("{\"ready\"");
        const auto end = log.find('\n', start);
        if (start == std::string::npos || end == std::string::npos) return false;
        auto ready = nlohmann::json::parse(log.substr(start, end - start), nullptr, false);
        if (ready.is_discarded()) return false;
        seed_port = ready["members"][0]["port"].get<std::uint16_t>();
        return true;
      },
      15s))
      << process.log();

  auto run = doctor({"--endpoint", path("kafka/rpe.json"), "--source", "mongodb", "--port", std::to_string(seed_port),
                     "--tls", "disable", "--json"});
  ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
  auto ids = finding_ids(run.out);
  ASSERT_FALSE(ids.empty()) << run.out;
  EXPECT_EQ(ids.front(), "mongodb_member_unreachable") << run.out;
  EXPECT_TRUE(contains(run.out, "gone.rs.internal")) << run.out;
  EXPECT_EQ(json_lines(run.out).back()["problems"], 1) << run.out;
}

// The HTML report in a real browser: Debian's Chromium, headless, in a new
// network namespace (only a loopback that is down), so opening the report
// cannot send a packet anywhere. Two launches: the DOM, then a screenshot.
TEST_F(DoctorSandbox, HtmlReportRendersInHeadlessChromium) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium")) << "scripts/setup.sh installs chromium";
  const std::string report = path("broken-report.html");
  auto run = doctor({"--endpoint", path("kafka/rpe.json"), "--source", "kafka", "--port",
                     std::to_string(proxy_->port()), "--report", report, "--json"});
  ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
  const auto lines = json_lines(run.out);
  const auto findings = finding_ids(run.out).size();
  std::size_t addresses = 0;
  for (const auto& line : lines) {
    if (line.contains("target") && line["address"].is_string()) ++addresses;
  }
  ASSERT_GT(addresses, 0u);

  TempDir profile("plprobe-chromium-");
  auto chromium = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {"timeout", "60", "unshare", "--net", "/usr/bin/chromium", "--headless",
                                     "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                     "--disable-component-update", "--no-first-run", "--disable-sync",
                                     "--disable-extensions", "--user-data-dir=" + profile.path().string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("file://" + report);
    return run_command(argv, 90s);
  };

  auto dom = chromium({"--dump-dom"});
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_TRUE(contains(dom.out, "<h1 id=\"verdict\" class=\"not-ready\">NOT READY: 1 problem</h1>")) << dom.out;
  EXPECT_EQ(count(dom.out, "<li class=\"finding "), findings);
  EXPECT_GE(count(dom.out, "<line class=\"hop fail\""), 1u);
  EXPECT_TRUE(contains(dom.out, "stroke=\"#d32f2f\""));
  EXPECT_TRUE(contains(dom.out, kUnresolvableBroker));
  EXPECT_EQ(count(dom.out, "<svg class=\"latency-chart\""), addresses);

  const char* keep = std::getenv("PLPROBE_KEEP_SCREENSHOT");
  const std::string png = keep != nullptr && *keep != '\0' ? std::string(keep) : path("report.png");
  auto shot = chromium({"--screenshot=" + png, "--window-size=1200,2000", "--hide-scrollbars"});
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  const std::string bytes = read(png);
  ASSERT_GE(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // IHDR: width and height, big-endian, at bytes 16..23.
  auto be32 = [&](std::size_t at) {
    return (static_cast<unsigned char>(bytes[at]) << 24) | (static_cast<unsigned char>(bytes[at + 1]) << 16) |
           (static_cast<unsigned char>(bytes[at + 2]) << 8) | static_cast<unsigned char>(bytes[at + 3]);
  };
  EXPECT_EQ(be32(16), 1200u);
  EXPECT_EQ(be32(20), 2000u);
  // A blank page compresses to a few kilobytes; the report's text and diagram do not.
  EXPECT_GT(bytes.size(), 20'000u);
  EXPECT_LT(bytes.size(), 20'000'000u);
}

}  // namespace
}  // namespace plprobe::testing
