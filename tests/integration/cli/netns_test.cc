// Packets dropped or rejected on the way, in a network namespace the test
// makes itself (nft rules on its loopback): tcp_timeout at the deadline and
// tcp_unreachable. Needs root for `ip netns`; CI runs as root.
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/cli/plprobe_cli.h"

namespace plprobe::testing {
namespace {

using namespace std::chrono_literals;

class BlackholeNamespace : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "network namespaces need root; this test runs in CI, which is root";
    name_ = fmt::format("plprobe-test-{}", getpid());
    ASSERT_EQ(run_command({"ip", "netns", "add", name_}, 10s).exit_code, 0);
    ASSERT_EQ(run_command({"ip", "-n", name_, "link", "set", "lo", "up"}, 10s).exit_code, 0);
    const std::string rules =
        "table inet plprobe_test {\n"
        "  chain output {\n"
        "    type filter hook output priority 0; policy accept;\n"
        "    tcp dport 9 drop\n"
        "    tcp dport 10 reject with icmp type host-unreachable\n"
        "  }\n"
        "}\n";
    auto file = std::string("/tmp/") + name_ + ".nft";
    FILE* out = std::fopen(file.c_str(), "w");
    ASSERT_NE(out, nullptr);
    std::fputs(rules.c_str(), out);
    std::fclose(out);
    auto loaded = run_command({"ip", "netns", "exec", name_, "nft", "-f", file}, 10s);
    std::remove(file.c_str());
    ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  }
  void TearDown() override {
    if (!name_.empty()) run_command({"ip", "netns", "del", name_}, 10s);
  }
  RunResult probe_inside(std::vector<std::string> args) {
    std::vector<std::string> argv = {"ip", "netns", "exec", name_, plprobe_binary(), "probe"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, 30s);
  }
  std::string name_;
};

TEST_F(BlackholeNamespace, DroppedSynTimesOutAtTheDeadline) {
  auto run = probe_inside({"tcp://127.0.0.1:9", "--timeout", "1s", "--json"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  auto lines = json_lines(run.out);
  ASSERT_EQ(lines.size(), 1u) << run.out << run.err;
  EXPECT_EQ(lines[0]["outcome"], "tcp_timeout");
  const double total = lines[0]["phases_ms"]["total"].get<double>();
  EXPECT_GE(total, 1000.0 * 0.9);
  EXPECT_LE(total, 1000.0 * 1.1);
}

TEST_F(BlackholeNamespace, RejectedWithHostUnreachableIsUnreachable) {
  auto run = probe_inside({"tcp://127.0.0.1:10", "--timeout", "2s", "--json"});
  EXPECT_EQ(run.exit_code, 1);
  auto lines = json_lines(run.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["outcome"], "tcp_unreachable");
  EXPECT_LT(lines[0]["phases_ms"]["total"].get<double>(), 1000.0) << "a rejection is immediate";
}

TEST_F(BlackholeNamespace, ManyBlackholedTargetsAllEndAtOneDeadline) {
  const std::string blackholed = "tcp://127.0.0.1:9";
  std::vector<std::string> args(200, blackholed);
  args.insert(args.end(), {"--timeout", "1s", "--json"});
  auto run = probe_inside(args);
  auto lines = json_lines(run.out);
  ASSERT_EQ(lines.size(), 200u);
  for (const auto& line : lines) EXPECT_EQ(line["outcome"], "tcp_timeout");
  EXPECT_LT(run.elapsed, 3s) << "200 targets under concurrency 256 share the same second";
}

}  // namespace
}  // namespace plprobe::testing
