// The protocol modes of `plprobe bench` against real peers on loopback:
// PostgreSQL and MariaDB from Debian, librdkafka's mock cluster, and the
// MongoDB peer (tests/peers/mongodb/peer.js). Each suite starts its peer
// once; each run lasts well under two seconds. Nothing here asserts a
// speed: the counts must be consistent, errors counted under their codes,
// and open-loop latency must run from the intended send times.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/protocols/kafka_load.h"
#include "bench/protocols/mongodb_load.h"
#include "bench/protocols/mysql_load.h"
#include "bench/protocols/postgres_load.h"
#include "tests/integration/cli/plprobe_cli.h"
#include "tests/integration/kafka/mock_cluster.h"
#include "tests/support/db/mariadb_server.h"
#include "tests/support/db/postgres_server.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/watchdog.h"

namespace plprobe::bench {
namespace {

using namespace std::chrono_literals;
using plprobe::testing::ClosedTcpPort;

// What a run recorded, over all its threads.
struct Totals {
  std::uint64_t requests = 0;
  std::uint64_t bytes = 0;
  std::chrono::microseconds max{0};
  std::map<std::string, std::uint64_t, std::less<>> errors;
  Json summary;

  std::uint64_t errors_of(Code code) const {
    auto it = errors.find(name(code));
    return it == errors.end() ? 0 : it->second;
  }
  std::string describe() const {
    std::string out = fmt::format("requests {} bytes {} max {} us errors:", requests, bytes, max.count());
    for (const auto& [code, count] : errors) out.append(fmt::format(" {}={}", code, count));
    return out;
  }
};

// Runs `load` for `duration` (no warm-up) on its threads, each with its own
// Recorder of the load core, and merges them, as `plprobe bench` does.
Totals run_for(ProtocolLoad& load, Clock::duration duration, std::function<void()> midway = {}) {
  plprobe::testing::Watchdog watchdog(std::chrono::duration_cast<std::chrono::milliseconds>(duration) + 20s,
                                      "bench run");
  Window measured;
  RunWindow window;
  window.start = Clock::now();
  window.end = window.start + duration;
  measured.measure_begin = window.start;
  std::vector<std::unique_ptr<Recorder>> recorders;
  for (std::size_t i = 0; i < load.threads(); ++i) recorders.push_back(std::make_unique<Recorder>(measured));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < recorders.size(); ++i) {
    threads.emplace_back([&, i] { load.run(i, *recorders[i], window); });
  }
  if (midway) {
    std::this_thread::sleep_for(duration / 2);
    midway();
  }
  std::this_thread::sleep_until(window.end);
  measured.stopped = true;
  for (auto& thread : threads) thread.join();
  Stats stats;
  for (const auto& recorder : recorders) stats.merge(recorder->total());
  Totals totals;
  totals.requests = stats.requests;
  totals.bytes = stats.bytes;
  totals.max = std::chrono::microseconds(stats.latency_us.max());
  totals.errors = stats.errors;
  totals.summary = load.summary();
  return totals;
}

// ---- PostgreSQL -----------------------------------------------------------

class PostgresBench : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new plprobe::testing::PostgresServer(options());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

 public:
  static plprobe::testing::PostgresServerOptions options() {
    plprobe::testing::PostgresServerOptions options;
    options.hba = {"host all all 127.0.0.1/32 scram-sha-256"};
    options.setup_sql = {"CREATE ROLE bench LOGIN PASSWORD 'bench-pw'", "CREATE DATABASE bench OWNER bench"};
    return options;
  }
  static PostgresLoadOptions load(std::uint16_t port) {
    PostgresLoadOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.user = "bench";
    options.database = "bench";
    options.password = "bench-pw";
    options.tls = probes::TlsMode::disable;
    options.shape.connections = 2;
    options.shape.threads = 1;
    options.shape.timeout = 5s;
    return options;
  }

 protected:
  static plprobe::testing::PostgresServer* server_;
};
plprobe::testing::PostgresServer* PostgresBench::server_ = nullptr;

TEST_F(PostgresBench, SelectOneOnEveryConnectionCountsEveryAnswer) {
  auto options = load(server_->port());
  options.shape.threads = 2;
  PostgresLoad driver(options);
  const Totals totals = run_for(driver, 700ms);
  EXPECT_GT(totals.requests, 0u) << totals.describe();
  EXPECT_TRUE(totals.errors.empty()) << totals.describe();
  EXPECT_EQ(totals.bytes, totals.requests) << "SELECT 1 answers one byte per request";
}

TEST_F(PostgresBench, PipelineModeKeepsDepthQueriesInFlight) {
  auto options = load(server_->port());
  options.pipeline = 16;
  options.query = "SELECT 12345";
  PostgresLoad driver(options);
  const Totals totals = run_for(driver, 700ms);
  EXPECT_GT(totals.requests, 0u) << totals.describe();
  EXPECT_TRUE(totals.errors.empty()) << totals.describe();
  EXPECT_EQ(totals.bytes, 5 * totals.requests) << "every answer is the five bytes of 12345";
  const Json& pipeline = totals.summary.at("pipeline");
  EXPECT_EQ(pipeline.at("connections_in_pipeline_mode"), 2) << totals.summary.dump();
  EXPECT_EQ(pipeline.at("max_in_flight"), 16) << totals.summary.dump();
}

TEST_F(PostgresBench, PipelinedQueryErrorsAreCountedOneByOne) {
  auto options = load(server_->port());
  options.pipeline = 4;
  options.query = "SELECT 1/0";
  PostgresLoad driver(options);
  const Totals totals = run_for(driver, 500ms);
  EXPECT_EQ(totals.requests, 0u) << totals.describe();
  EXPECT_GT(totals.errors_of(Code::postgres_server_error), 4u) << totals.describe();
  EXPECT_EQ(totals.errors.size(), 1u) << totals.describe();
}

TEST_F(PostgresBench, CopyRowsReportedEqualRowsTheServerCounts) {
  auto options = load(server_->port());
  options.copy_bytes = 50'000;
  PostgresLoad driver(options);
  const Totals totals = run_for(driver, 700ms);
  EXPECT_GT(totals.requests, 0u) << totals.describe();
  EXPECT_TRUE(totals.errors.empty()) << totals.describe();
  EXPECT_EQ(totals.bytes, totals.requests * 50'000) << totals.describe();
  const Json& copy = totals.summary.at("copy");
  EXPECT_GT(copy.at("rows_copied").get<std::uint64_t>(), 0u) << totals.summary.dump();
  EXPECT_EQ(copy.at("rows_copied"), copy.at("rows_in_tables")) << totals.summary.dump();
}

TEST_F(PostgresBench, WrongPasswordCountsAuthFailures) {
  auto options = load(server_->port());
  options.password = "wrong";
  PostgresLoad driver(options);
  const Totals totals = run_for(driver, 400ms);
  EXPECT_EQ(totals.requests, 0u);
  EXPECT_GT(totals.errors_of(Code::postgres_auth_failed), 0u) << totals.describe();
  EXPECT_EQ(totals.errors.size(), 1u) << totals.describe();
}

TEST_F(PostgresBench, ClosedPortCountsRefusedConnects) {
  ClosedTcpPort closed;
  PostgresLoad driver(load(closed.port()));
  const Totals totals = run_for(driver, 400ms);
  EXPECT_EQ(totals.requests, 0u);
  EXPECT_GT(totals.errors_of(Code::tcp_refused), 0u) << totals.describe();
  EXPECT_EQ(totals.errors.size(), 1u) << totals.describe();
}

TEST_F(PostgresBench, OpenLoopLatencyRunsFromTheIntendedSendTime) {
  // One connection, a request due every 100 ms, each taking 300 ms: the
  // k-th request starts 200k ms late, so the latency from its intended time
  // is at least 300 + 200k ms. Measured from the actual send it would stay
  // near 300 ms.
  auto options = load(server_->port());
  options.shape.connections = 1;
  options.shape.rate = 10;
  options.query = "SELECT pg_sleep(0.3)";
  PostgresLoad driver(options);
  const Totals totals = run_for(driver, 1300ms);
  ASSERT_GE(totals.requests, 3u) << totals.describe();
  EXPECT_GE(totals.max, 700ms) << totals.describe();
}

TEST(PostgresBenchServerStops, MidRunFailuresAreCountedByCode) {
  auto server = std::make_unique<plprobe::testing::PostgresServer>(PostgresBench::options());
  PostgresLoad driver(PostgresBench::load(server->port()));
  const Totals totals = run_for(driver, 1200ms, [&] { server->stop(); });
  EXPECT_GT(totals.requests, 0u) << totals.describe();
  // Shutdown reaches each connection as an admin-shutdown error
  // (postgres_server_unavailable) or a closed connection, then reconnects are refused.
  EXPECT_GT(totals.errors_of(Code::tcp_refused), 0u) << totals.describe();
  for (const auto& [code, count] : totals.errors) {
    EXPECT_TRUE(code == name(Code::tcp_refused) || code == name(Code::protocol_closed) ||
                code == name(Code::postgres_server_unavailable))
        << totals.describe();
  }
}

TEST_F(PostgresBench, CommandLineRunsWriteResultFilesThatMergeAddsUp) {
  plprobe::testing::TempDir dir("plprobe-bench-pg-cli-");
  const std::string target = fmt::format("postgres://bench@127.0.0.1:{}/bench", server_->port());
  const plprobe::testing::Environment secret = {{"PLPROBE_PASSWORD", "bench-pw"}};
  std::vector<nlohmann::json> summaries;
  for (const char* name : {"a.json", "b.json"}) {
    const auto out = (dir.path() / name).string();
    const auto result = plprobe::testing::run_plprobe(
        {"bench", "postgres", target, "--connections", "2", "--threads", "1", "--pipeline", "4", "--duration", "400ms",
         "--warmup", "0", "--tls", "disable", "--json", "--out", out},
        30s, secret);
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    const auto lines = plprobe::testing::json_lines(result.out);
    ASSERT_FALSE(lines.empty());
    const auto& summary = lines.back();
    EXPECT_EQ(summary["type"], "summary");
    EXPECT_EQ(summary["mode"], "postgres");
    EXPECT_GT(summary["requests"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(summary["pipeline"]["max_in_flight"], 4);
    summaries.push_back(summary);
    std::ifstream file(out);
    const std::string written((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    EXPECT_EQ(written.find("bench-pw"), std::string::npos) << "the password must never reach a result file";
    EXPECT_EQ(result.out.find("bench-pw"), std::string::npos);
  }
  const auto merged = plprobe::testing::run_plprobe(
      {"merge", (dir.path() / "a.json").string(), (dir.path() / "b.json").string(), "--json"});
  ASSERT_EQ(merged.exit_code, 0) << merged.out << merged.err;
  const auto lines = plprobe::testing::json_lines(merged.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["requests"].get<std::uint64_t>(),
            summaries[0]["requests"].get<std::uint64_t>() + summaries[1]["requests"].get<std::uint64_t>())
      << merged.out;
}

TEST_F(PostgresBench, CommandLineRejectsBadFlagsWithExitTwo) {
  const std::string target = fmt::format("postgres://bench@127.0.0.1:{}/bench", server_->port());
  for (std::vector<std::string> args : {std::vector<std::string>{"--copy", "12 parsecs"},
                                        std::vector<std::string>{"--pipeline", "4", "--copy", "1MiB"},
                                        std::vector<std::string>{"--tls", "maybe"}}) {
    args.insert(args.begin(), {"bench", "postgres", target});
    const auto result = plprobe::testing::run_plprobe(args);
    EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
    EXPECT_NE(result.err.find("plprobe: "), std::string::npos) << result.err;
  }
}

// ---- MariaDB ----------------------------------------------------------------

class MysqlBench : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    plprobe::testing::MariadbServerOptions options;
    options.binlog_format = "";
    options.setup_sql = {"CREATE USER 'bench'@'%' IDENTIFIED BY 'bench-pw'"};
    server_ = new plprobe::testing::MariadbServer(options);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static MysqlLoadOptions load(std::uint16_t port) {
    MysqlLoadOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.user = "bench";
    options.password = "bench-pw";
    options.shape.connections = 2;
    options.shape.timeout = 5s;
    return options;
  }
  static plprobe::testing::MariadbServer* server_;
};
plprobe::testing::MariadbServer* MysqlBench::server_ = nullptr;

TEST_F(MysqlBench, PingOnEveryConnectionCountsEveryAnswer) {
  MysqlLoad driver(load(server_->port()));
  const Totals totals = run_for(driver, 700ms);
  EXPECT_GT(totals.requests, 0u) << totals.describe();
  EXPECT_TRUE(totals.errors.empty()) << totals.describe();
  EXPECT_EQ(totals.bytes, totals.requests * kPingBytes);
}

TEST_F(MysqlBench, WrongPasswordCountsAuthFailures) {
  auto options = load(server_->port());
  options.password = "wrong";
  MysqlLoad driver(options);
  const Totals totals = run_for(driver, 400ms);
  EXPECT_EQ(totals.requests, 0u);
  EXPECT_GT(totals.errors_of(Code::mysql_auth_failed), 0u) << totals.describe();
  EXPECT_EQ(totals.errors.size(), 1u) << totals.describe();
}

TEST_F(MysqlBench, ClosedPortCountsRefusedConnects) {
  ClosedTcpPort closed;
  MysqlLoad driver(load(closed.port()));
  const Totals totals = run_for(driver, 400ms);
  EXPECT_EQ(totals.requests, 0u);
  EXPECT_GT(totals.errors_of(Code::tcp_refused), 0u) << totals.describe();
  EXPECT_EQ(totals.errors.size(), 1u) << totals.describe();
}

// ---- MongoDB ----------------------------------------------------------------

class MongoBench : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new plprobe::testing::TempDir("plprobe-bench-mongo-");
    const nlohmann::json config = {
        {"set_name", "rs0"},
        {"max_seconds", 300},
        {"members", {{{"name", "m1"}, {"host", "127.0.0.1"}, {"kind", "modern"}, {"role", "primary"}}}},
        {"users", {{{"user", "bench"}, {"password", "bench-pw"}, {"db", "admin"}, {"roles", {"clusterMonitor"}}}}}};
    const auto path = dir_->write("config.json", config.dump());
    std::string peer = PLPROBE_SOURCE_DIR;
    peer.append("/tests/peers/mongodb/peer.js");
    peer_ = new plprobe::testing::ChildProcess({"node", "--no-deprecation", peer, path.string()});
    nlohmann::json ready;
    const bool up = plprobe::testing::wait_until(
        [&] {
          const std::string log = peer_->log();
          const auto start = log.find("{\"ready\"");
          const auto end = log.find('\n', start);
          if (start == std::string::npos || end == std::string::npos) return false;
          ready = nlohmann::json::parse(log.substr(start, end - start), nullptr, false);
          return !ready.is_discarded();
        },
        15s);
    if (!up) throw std::runtime_error("peer.js did not start (run tests/peers/mongodb/install.sh once):\n" + peer_->log());
    port_ = ready["members"][0]["port"].get<std::uint16_t>();
  }
  static void TearDownTestSuite() {
    delete peer_;
    delete dir_;
  }
  static MongoLoadOptions load(std::uint16_t port) {
    MongoLoadOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.user = "bench";
    options.password = "bench-pw";
    options.shape.connections = 2;
    options.shape.timeout = 5s;
    return options;
  }
  static plprobe::testing::TempDir* dir_;
  static plprobe::testing::ChildProcess* peer_;
  static std::uint16_t port_;
};
plprobe::testing::TempDir* MongoBench::dir_ = nullptr;
plprobe::testing::ChildProcess* MongoBench::peer_ = nullptr;
std::uint16_t MongoBench::port_ = 0;

TEST_F(MongoBench, PingAfterLoginCountsEveryAnswer) {
  MongoLoad driver(load(port_));
  const Totals totals = run_for(driver, 700ms);
  EXPECT_GT(totals.requests, 0u) << totals.describe();
  EXPECT_TRUE(totals.errors.empty()) << totals.describe();
  EXPECT_GT(totals.bytes, totals.requests * 40) << "each round trip carries two framed documents";
}

TEST_F(MongoBench, WrongPasswordCountsAuthFailures) {
  auto options = load(port_);
  options.password = "wrong";
  MongoLoad driver(options);
  const Totals totals = run_for(driver, 400ms);
  EXPECT_EQ(totals.requests, 0u);
  EXPECT_GT(totals.errors_of(Code::mongodb_auth_failed), 0u) << totals.describe();
  EXPECT_EQ(totals.errors.size(), 1u) << totals.describe();
}

TEST_F(MongoBench, ClosedPortCountsRefusedConnects) {
  ClosedTcpPort closed;
  MongoLoad driver(load(closed.port()));
  const Totals totals = run_for(driver, 400ms);
  EXPECT_EQ(totals.requests, 0u);
  EXPECT_GT(totals.errors_of(Code::tcp_refused), 0u) << totals.describe();
  EXPECT_EQ(totals.errors.size(), 1u) << totals.describe();
}

// ---- Kafka ------------------------------------------------------------------

class KafkaBench : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new plprobe::testing::KafkaMockCluster(
        {"--brokers", "1", "--topic", "produce:3:1", "--topic", "consume:2:1"});
    // The open-loop test's broker answers every request 100 ms late.
    slow_ = new plprobe::testing::KafkaMockCluster({"--brokers", "1", "--topic", "slow:1:1", "--rtt", "1:100"});
  }
  static void TearDownTestSuite() {
    delete slow_;
    delete cluster_;
  }
  static KafkaLoadOptions load(const std::string& bootstrap, const std::string& topic) {
    KafkaLoadOptions options;
    options.bootstrap = bootstrap;
    options.topic = topic;
    options.message_size = 100;
    options.acks = "all";
    options.timeout = 5s;
    return options;
  }
  static plprobe::testing::KafkaMockCluster* cluster_;
  static plprobe::testing::KafkaMockCluster* slow_;
};
plprobe::testing::KafkaMockCluster* KafkaBench::cluster_ = nullptr;
plprobe::testing::KafkaMockCluster* KafkaBench::slow_ = nullptr;

TEST_F(KafkaBench, ProducedBytesAreMessageSizeTimesMessages) {
  auto options = load(cluster_->bootstrap(), "produce");
  options.message_size = 123;
  KafkaLoad driver(options);
  const Totals totals = run_for(driver, 800ms);
  EXPECT_GT(totals.requests, 0u) << totals.describe();
  EXPECT_TRUE(totals.errors.empty()) << totals.describe();
  EXPECT_EQ(totals.bytes, totals.requests * 123);
}

TEST_F(KafkaBench, ConsumerReadsEveryMessageProduced) {
  auto producer_options = load(cluster_->bootstrap(), "consume");
  producer_options.rate = 2000;
  KafkaLoad producer(producer_options);
  const Totals produced = run_for(producer, 500ms);
  ASSERT_GT(produced.requests, 0u) << produced.describe();
  ASSERT_TRUE(produced.errors.empty()) << produced.describe();

  auto consumer_options = load(cluster_->bootstrap(), "consume");
  consumer_options.consume = true;
  KafkaLoad consumer(consumer_options);
  const Totals consumed = run_for(consumer, 1500ms);
  EXPECT_TRUE(consumed.errors.empty()) << consumed.describe();
  // Messages produced and purged after the producer's window may be
  // delivered too; never fewer than were counted.
  EXPECT_GE(consumed.requests, produced.requests) << consumed.describe();
  EXPECT_EQ(consumed.bytes, consumed.requests * 100);
  EXPECT_EQ(consumed.summary.at("partitions"), 2);
}

TEST_F(KafkaBench, OpenLoopLatencyRunsFromTheIntendedSendTime) {
  // One message in the producer's queue at a time (the next is accepted
  // only after the last delivery) and a broker that answers 100 ms late:
  // message k is due at 50k ms but cannot be delivered before 100(k+1) ms,
  // so measured from its intended time its latency is at least
  // 50k + 100 ms, and the largest of N is at least 50(N-1) + 100 ms.
  // Measured from the actual send it would stay near 100 ms (plus the
  // connection set-up for the first).
  auto options = load(slow_->bootstrap(), "slow");
  options.rate = 20;
  options.extra_config = {{"queue.buffering.max.messages", "1"}};
  KafkaLoad driver(options);
  const Totals totals = run_for(driver, 2s);
  ASSERT_GE(totals.requests, 8u) << totals.describe();
  EXPECT_GE(totals.max, std::chrono::milliseconds(50 * (totals.requests - 1) + 100)) << totals.describe();
}

TEST_F(KafkaBench, ClosedPortCountsUndeliveredMessagesByCode) {
  ClosedTcpPort closed;
  auto options = load(fmt::format("127.0.0.1:{}", closed.port()), "produce");
  options.timeout = 200ms;
  options.rate = 200;
  KafkaLoad driver(options);
  // librdkafka looks for timed-out messages once a second.
  const Totals totals = run_for(driver, 1500ms);
  EXPECT_EQ(totals.requests, 0u);
  EXPECT_GT(totals.errors_of(Code::tcp_refused), 0u) << totals.describe();
  EXPECT_EQ(totals.errors.size(), 1u) << totals.describe();
}

}  // namespace
}  // namespace plprobe::bench
