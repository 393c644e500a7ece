// `plprobe probe kafka://...` as a user runs it: flags, exit codes, JSON
// output, and the SASL password's path (environment or file, never argv,
// never in the output).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "tests/integration/cli/plprobe_cli.h"
#include "tests/integration/kafka/mock_cluster.h"
#include "tests/support/ports.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/kafka/fake_broker.h"

namespace plprobe::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPassword = "Tr1cky,pass=word";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Every probe run here resolves through a closed loopback port: IP
// literals never ask, and nothing may reach a real DNS server.
std::vector<std::string> probe_args(std::uint16_t port, std::vector<std::string> more = {}) {
  static ClosedTcpPort no_dns;
  std::vector<std::string> args = {"probe", fmt::format("kafka://127.0.0.1:{}", port), "--json", "--dns-server",
                                   fmt::format("127.0.0.1:{}", no_dns.port())};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

FakeBrokerOptions scram_listener() {
  FakeBrokerOptions options;
  options.mechanisms = {"SCRAM-SHA-256", "SCRAM-SHA-512"};
  options.password = kPassword;
  return options;
}

TEST(KafkaCli, ProbesAMockClusterAndPrintsOneJsonLineWithEveryBroker) {
  KafkaMockCluster cluster({"--brokers", "3", "--topic", "events:2:2"});
  auto run = run_plprobe(probe_args(cluster.port(2)));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  auto lines = json_lines(run.out);
  ASSERT_EQ(lines.size(), 1u);
  const auto& line = lines[0];
  EXPECT_EQ(line["kind"], "kafka");
  EXPECT_EQ(line["outcome"], "ok");
  EXPECT_EQ(line["facts"]["brokers"].size(), 3u);
  EXPECT_TRUE(line["phases_ms"].contains("handshake"));
}

TEST(KafkaCli, ExitsOneWhenABrokerIsDownAndSaysWhich) {
  KafkaMockCluster cluster({"--brokers", "3", "--down", "2"});
  auto run = run_plprobe({"probe", fmt::format("kafka://127.0.0.1:{}", cluster.port(1)), "--dns-server",
                          "127.0.0.1:1"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "kafka_broker_unreachable")) << run.out;
  EXPECT_TRUE(contains(run.out, "hint:")) << run.out;
  // The table lists the walk broker by broker under the result.
  EXPECT_TRUE(contains(run.out, fmt::format("node 1  127.0.0.1:{}  ok", cluster.port(1)))) << run.out;
  EXPECT_TRUE(contains(run.out, fmt::format("node 2  127.0.0.1:{}  kafka_broker_unreachable (tcp_refused)",
                                            cluster.port(2))))
      << run.out;
}

TEST(KafkaCli, NoWalkBrokersFlagSkipsTheWalk) {
  KafkaMockCluster cluster({"--brokers", "3", "--down", "2"});
  auto run = run_plprobe(probe_args(cluster.port(1), {"--no-walk-brokers"}));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(json_lines(run.out)[0]["facts"]["brokers"][1]["walked"], false);
}

TEST(KafkaCli, TopicFlagReportsAMissingTopic) {
  KafkaMockCluster cluster({"--brokers", "1", "--topic", "events:1:1"});
  auto run = run_plprobe(probe_args(cluster.port(1), {"--topic", "nope"}));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_EQ(json_lines(run.out)[0]["outcome"], "kafka_topic_missing");
}

TEST(KafkaCli, BadKafkaFlagsAreUsageErrorsWithAHint) {
  const std::vector<std::vector<std::string>> cases = {
      {"--sasl-mechanism", "AWS_MSK_IAM", "--sasl-user", "u"},
      {"--sasl-mechanism", "SCRAM-SHA-256"},
      {"--sasl-user", "u"},
      {"--sasl-mechanism", "PLAIN", "--sasl-user", "u"},  // no password anywhere
      {"--topic", "bad name!"},
      {"--sasl-mechanism", "PLAIN", "--sasl-user", "u", "--sasl-password-file", "/nonexistent/pw"},
  };
  for (const auto& flags : cases) {
    std::vector<std::string> args = {"probe", "kafka://127.0.0.1:1"};
    args.insert(args.end(), flags.begin(), flags.end());
    auto run = run_plprobe(args, 30s, {{"PLPROBE_SASL_PASSWORD", ""}});
    EXPECT_EQ(run.exit_code, 2) << fmt::format("{}", fmt::join(flags, " ")) << "\n" << run.err;
    EXPECT_TRUE(contains(run.err, "plprobe: ")) << run.err;
    EXPECT_TRUE(contains(run.err, "hint: ")) << run.err;
  }
}

TEST(KafkaCli, APasswordInTheTargetUriIsRefused) {
  auto run = run_plprobe({"probe", "kafka://user:secret@127.0.0.1:9092"});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_FALSE(contains(run.err, "secret")) << run.err;
}

TEST(KafkaCli, AuthenticatesWithThePasswordFromTheEnvironmentAndNeverPrintsIt) {
  FakeBroker broker(scram_listener());
  auto run = run_plprobe(probe_args(broker.port(), {"--sasl-mechanism", "scram-sha-512", "--sasl-user", "clickpipes"}),
                         30s, {{"PLPROBE_SASL_PASSWORD", kPassword}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto line = json_lines(run.out)[0];
  EXPECT_EQ(line["facts"]["sasl"]["mechanism"], "SCRAM-SHA-512");
  EXPECT_EQ(line["facts"]["sasl"]["authenticated"], true);
  EXPECT_FALSE(contains(run.out, kPassword));
  EXPECT_FALSE(contains(run.err, kPassword));
  EXPECT_EQ(broker.authenticated(), 2u);
}

TEST(KafkaCli, ThePasswordFileWinsOverTheEnvironment) {
  FakeBroker broker(scram_listener());
  TempDir dir;
  const auto file = dir.write("password", std::string(kPassword) + "\n");
  auto run = run_plprobe(probe_args(broker.port(), {"--sasl-mechanism", "SCRAM-SHA-256", "--sasl-user", "clickpipes",
                                                    "--sasl-password-file", file.string()}),
                         30s, {{"PLPROBE_SASL_PASSWORD", "wrong"}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(json_lines(run.out)[0]["facts"]["sasl"]["authenticated"], true);
}

TEST(KafkaCli, AWrongPasswordExitsOneWithAuthFailedAndNoSecretInTheOutput) {
  FakeBroker broker(scram_listener());
  auto run = run_plprobe(probe_args(broker.port(), {"--sasl-mechanism", "SCRAM-SHA-256", "--sasl-user", "clickpipes"}),
                         30s, {{"PLPROBE_SASL_PASSWORD", "guess-0f-the-day"}});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_EQ(json_lines(run.out)[0]["outcome"], "kafka_auth_failed");
  EXPECT_FALSE(contains(run.out + run.err, "guess-0f-the-day"));
}

TEST(KafkaCli, PlainOverPlaintextWarns) {
  FakeBrokerOptions options;
  options.mechanisms = {"PLAIN"};
  options.password = kPassword;
  FakeBroker broker(options);
  auto run = run_plprobe(probe_args(broker.port(), {"--sasl-mechanism", "PLAIN", "--sasl-user", "clickpipes"}), 30s,
                         {{"PLPROBE_SASL_PASSWORD", kPassword}});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.err, "unencrypted")) << run.err;
}

TEST(KafkaCli, HelpListsTheKafkaSchemesAndFlags) {
  auto run = run_plprobe({"probe", "--help"});
  EXPECT_EQ(run.exit_code, 0);
  for (const char* text : {"kafka://HOST", "kafka+tls://HOST:PORT", "--sasl-mechanism", "--sasl-password-file",
                           "--no-walk-brokers", "--topic"}) {
    EXPECT_TRUE(contains(run.out, text)) << text;
  }
}

}  // namespace
}  // namespace plprobe::testing
