// The Kafka probe against librdkafka's mock cluster (a real Kafka protocol
// implementation, started as a process on loopback), and, for advertised
// names, against that cluster behind a Metadata-rewriting proxy with
// unbound answering for the names. The probe's resolver only ever asks
// that unbound (or a closed loopback port): never the system resolver.
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "probes/engine.h"
#include "tests/integration/kafka/metadata_proxy.h"
#include "tests/integration/kafka/mock_cluster.h"
#include "tests/support/dns/unbound_server.h"
#include "tests/support/ports.h"
#include "tests/unit/probes/probe_harness.h"

namespace plprobe::probes {
namespace {

using namespace std::chrono_literals;
using plprobe::testing::ClosedTcpPort;
using plprobe::testing::KafkaMockCluster;
using plprobe::testing::MetadataRewritingProxy;
using plprobe::testing::TestZone;
using plprobe::testing::UnboundServer;
using testing::run_targets;

EngineOptions options(std::chrono::milliseconds timeout = 5s) {
  static ClosedTcpPort no_dns;  // IP literals never reach it; nothing else may either
  EngineOptions engine;
  engine.timeout = timeout;
  engine.threads = 1;
  engine.resolver.servers = {{asio::ip::make_address("127.0.0.1"), no_dns.port()}};
  return engine;
}

ProbeResult probe(std::uint16_t port, const EngineOptions& engine = options()) {
  return run_targets({fmt::format("kafka://127.0.0.1:{}", port)}, engine).only();
}

const Json& broker(const ProbeResult& result, int node_id) {
  for (const auto& entry : result.facts["brokers"]) {
    if (entry["node_id"] == node_id) return entry;
  }
  static const Json none;
  ADD_FAILURE() << "no broker " << node_id << " in " << result.facts["brokers"].dump();
  return none;
}

TEST(KafkaMockCluster, HealthyThreeBrokerClusterIsWalkedBrokerByBroker) {
  KafkaMockCluster cluster({"--brokers", "3", "--topic", "events:3:3", "--topic", "orders:1:1", "--rack", "2:use1-az2"});
  const auto result = probe(cluster.port(1));
  ASSERT_EQ(result.outcome, Code::ok) << result.message << "\n" << cluster.log();
  EXPECT_EQ(result.kind, "kafka");
  EXPECT_NE(result.message.find("all 3 advertised brokers answer"), std::string::npos) << result.message;
  EXPECT_EQ(result.facts["cluster_id"].get<std::string>().rfind("mockCluster", 0), 0u);
  EXPECT_EQ(result.facts["metadata_version"], 2) << "the mock serves Metadata v0-v2";
  EXPECT_EQ(result.facts["api_versions"]["attempts"], 2) << "the mock refuses ApiVersions v3 (KIP-511 fallback)";
  EXPECT_EQ(result.facts["topic_count"], 2);
  std::set<std::string> topics;
  for (const auto& topic : result.facts["topics"]) topics.insert(topic["name"].get<std::string>());
  EXPECT_EQ(topics, (std::set<std::string>{"events", "orders"}));
  ASSERT_EQ(result.facts["brokers"].size(), 3u);
  for (const auto& mock : cluster.brokers()) {
    const auto& walked = broker(result, mock.id);
    EXPECT_EQ(walked["outcome"], "ok") << walked.dump();
    EXPECT_EQ(walked["advertised"], fmt::format("127.0.0.1:{}", mock.port));
    EXPECT_EQ(walked["connected_address"], "127.0.0.1");
    EXPECT_EQ(walked["addresses"][0]["class"], "loopback");
    EXPECT_GT(walked["phases_ms"]["connect"].get<double>(), 0.0);
    EXPECT_GT(walked["phases_ms"]["handshake"].get<double>(), 0.0);
  }
  EXPECT_EQ(broker(result, 2)["rack"], "use1-az2");
  EXPECT_TRUE(result.facts["timings_ms"].contains("walk"));
}

TEST(KafkaMockCluster, ABrokerSetDownIsReportedUnreachableByName) {
  KafkaMockCluster cluster({"--brokers", "3", "--down", "3"});
  const auto result = probe(cluster.port(1));
  EXPECT_EQ(result.outcome, Code::kafka_broker_unreachable) << result.message;
  EXPECT_NE(result.message.find("1 of 3 advertised brokers fail"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find(fmt::format("node 3 advertises 127.0.0.1:{}", cluster.port(3))), std::string::npos)
      << result.message;
  EXPECT_NE(result.hint.find("advertised.listeners"), std::string::npos) << result.hint;
  EXPECT_EQ(broker(result, 1)["outcome"], "ok");
  EXPECT_EQ(broker(result, 2)["outcome"], "ok");
  EXPECT_EQ(broker(result, 3)["outcome"], "kafka_broker_unreachable");
  EXPECT_EQ(broker(result, 3)["underlying"], "tcp_refused");
}

TEST(KafkaMockCluster, NoWalkBrokersReportsTheClusterWithoutTouchingTheBrokers) {
  KafkaMockCluster cluster({"--brokers", "3", "--down", "3"});
  auto engine = options();
  engine.settings.kafka.walk_brokers = false;
  const auto result = probe(cluster.port(1), engine);
  EXPECT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(broker(result, 3)["walked"], false);
}

TEST(KafkaMockCluster, AnInjectedAuthorizationErrorIsAuthFailed) {
  // CLUSTER_AUTHORIZATION_FAILED (31) on the next ApiVersions request.
  KafkaMockCluster cluster({"--brokers", "3", "--error", "18:31:1"});
  const auto result = probe(cluster.port(1));
  EXPECT_EQ(result.outcome, Code::kafka_auth_failed) << result.message;
  EXPECT_NE(result.message.find("CLUSTER_AUTHORIZATION_FAILED"), std::string::npos) << result.message;
  EXPECT_FALSE(result.facts.contains("brokers"));
}

TEST(KafkaMockCluster, AnInjectedErrorOnOneBrokerFailsThatBrokerOnly) {
  // REQUEST_TIMED_OUT (7) for ApiVersions on broker 2 only.
  KafkaMockCluster cluster({"--brokers", "3", "--broker-error", "2:18:7:1"});
  const auto result = probe(cluster.port(1));
  EXPECT_EQ(result.outcome, Code::kafka_protocol_error) << result.message;
  EXPECT_EQ(broker(result, 1)["outcome"], "ok");
  EXPECT_EQ(broker(result, 3)["outcome"], "ok");
  const auto& failed = broker(result, 2);
  EXPECT_EQ(failed["outcome"], "kafka_protocol_error");
  EXPECT_NE(failed["message"].get<std::string>().find("REQUEST_TIMED_OUT"), std::string::npos) << failed.dump();
  EXPECT_NE(result.message.find("node 2"), std::string::npos) << result.message;
}

TEST(KafkaMockCluster, AddedRoundTripTimeShowsInTheHandshakePhases) {
  constexpr double kRtt = 150;
  KafkaMockCluster cluster({"--brokers", "3", "--rtt", fmt::format("-1:{}", static_cast<int>(kRtt))});
  const auto result = probe(cluster.port(1), options(10s));
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  // Bootstrap: ApiVersions v3 (refused), ApiVersions v0, Metadata: three
  // answers, each held back by the broker for the RTT.
  ASSERT_TRUE(result.phases.handshake_ms);
  EXPECT_GE(*result.phases.handshake_ms, 4 * kRtt) << "three exchanges at the bootstrap, one per walked broker";
  EXPECT_GE(result.facts["timings_ms"]["api_versions"].get<double>(), 2 * kRtt);
  EXPECT_GE(result.facts["timings_ms"]["metadata"].get<double>(), kRtt);
  for (const auto& walked : result.facts["brokers"]) {
    EXPECT_GE(walked["phases_ms"]["handshake"].get<double>(), kRtt) << walked.dump();
  }
}

TEST(KafkaMockCluster, TheDeadlineBoundsAClusterThatAnswersTooSlowly) {
  KafkaMockCluster cluster({"--brokers", "1", "--rtt", "-1:3000"});
  const auto start = std::chrono::steady_clock::now();
  const auto result = probe(cluster.port(1), options(700ms));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.outcome, Code::protocol_timeout) << result.message;
  EXPECT_LT(elapsed, 1500ms);
}

TEST(KafkaMockCluster, ATopicIsReportedWithItsPartitionLeaders) {
  KafkaMockCluster cluster({"--brokers", "3", "--topic", "events:3:3"});
  auto engine = options();
  engine.settings.kafka.topic = "events";
  const auto result = probe(cluster.port(1), engine);
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  const auto& topic = result.facts["topic"];
  EXPECT_EQ(topic["exists"], true);
  ASSERT_EQ(topic["partition_count"], 3);
  std::set<std::string> mock_addresses;
  for (const auto& mock : cluster.brokers()) mock_addresses.insert(fmt::format("127.0.0.1:{}", mock.port));
  for (const auto& partition : topic["partitions"]) {
    EXPECT_TRUE(mock_addresses.count(partition["leader_advertised"].get<std::string>())) << partition.dump();
    EXPECT_EQ(partition["replicas"].size(), 3u);
  }
}

TEST(KafkaMockCluster, AMissingTopicIsReportedAndNeverCreated) {
  KafkaMockCluster cluster({"--brokers", "3", "--topic", "events:1:1"});
  auto engine = options();
  engine.settings.kafka.topic = "orders";
  const auto result = probe(cluster.port(1), engine);
  EXPECT_EQ(result.outcome, Code::kafka_topic_missing) << result.message;
  EXPECT_NE(result.message.find("'orders'"), std::string::npos) << result.message;
  EXPECT_EQ(result.facts["topic"]["exists"], false);
  // The mock auto-creates topics named in a Metadata request below v4,
  // like a broker with auto.create.topics.enable: the probe must not have
  // named it.
  const auto again = probe(cluster.port(1));
  EXPECT_EQ(again.facts["topic_count"], 1) << again.facts["topics"].dump();
}

// ---- Advertised names (proxy + unbound) ----

class KafkaAdvertisedNames : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(plprobe::testing::unbound_available()) << "scripts/setup.sh installs unbound";
    dns_ = new UnboundServer({
        // Not under .test: unbound serves test. itself (RFC 6761) unless told otherwise.
        TestZone{"kafka.example.", {"bootstrap 60 IN A 127.0.0.1", "b-1 60 IN A 127.0.0.1", "b-2 60 IN A 127.0.0.1"}},
        TestZone{"brokers.example.", {"b-1 60 IN A 127.0.0.1", "b-2 60 IN A 127.0.0.1", "b-3 60 IN A 127.0.0.1"}},
        TestZone{"vpce.amazonaws.com.", {"vpce-0abc-1xyz.vpce-svc-0123.us-east-1 60 IN A 127.0.0.1"}},
        TestZone{"events.xuy0sb.c5.kafka.us-east-1.amazonaws.com.",
                 {"b-1 60 IN A 127.0.0.1", "b-2 60 IN A 127.0.0.1", "b-3 60 IN A 127.0.0.1"}},
    });
    cluster_ = new KafkaMockCluster({"--brokers", "3", "--topic", "events:3:3"});
  }
  static void TearDownTestSuite() {
    delete cluster_;
    delete dns_;
  }

  // The cluster's first broker behind a proxy that makes node N advertise names[N-1].
  static std::unique_ptr<MetadataRewritingProxy> proxy(const std::vector<std::string>& names) {
    std::map<std::int32_t, std::string> hosts;
    for (std::size_t i = 0; i < names.size(); ++i) hosts[static_cast<std::int32_t>(i + 1)] = names[i];
    return std::make_unique<MetadataRewritingProxy>(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), cluster_->port(1)), hosts);
  }

  static ProbeResult probe_name(const std::string& host, std::uint16_t port) {
    EngineOptions engine;
    engine.timeout = 5s;
    engine.threads = 1;
    engine.resolver.servers = {*resolvers::parse_dns_server(dns_->address())};
    engine.resolver.family = resolvers::Family::v4;
    return run_targets({fmt::format("kafka://{}:{}", host, port)}, engine).only();
  }

  static UnboundServer* dns_;
  static KafkaMockCluster* cluster_;
};

UnboundServer* KafkaAdvertisedNames::dns_ = nullptr;
KafkaMockCluster* KafkaAdvertisedNames::cluster_ = nullptr;

TEST_F(KafkaAdvertisedNames, AnAdvertisedNameThatDoesNotResolveIsUnresolvable) {
  auto rewriting = proxy({"b-1.kafka.example", "b-2.kafka.example", "b-3.kafka.example"});
  const auto result = probe_name("bootstrap.kafka.example", rewriting->port());
  EXPECT_EQ(result.outcome, Code::kafka_broker_unresolvable) << result.message;
  EXPECT_GE(rewriting->rewritten(), 1u);
  EXPECT_EQ(broker(result, 1)["outcome"], "ok") << broker(result, 1).dump();
  EXPECT_EQ(broker(result, 1)["advertised"], fmt::format("b-1.kafka.example:{}", cluster_->port(1)));
  EXPECT_TRUE(broker(result, 1)["phases_ms"].contains("dns"));
  EXPECT_EQ(broker(result, 2)["outcome"], "ok");
  const auto& missing = broker(result, 3);
  EXPECT_EQ(missing["outcome"], "kafka_broker_unresolvable") << missing.dump();
  EXPECT_EQ(missing["underlying"], "dns_nxdomain");
  EXPECT_NE(result.message.find("node 3 advertises b-3.kafka.example"), std::string::npos) << result.message;
  EXPECT_NE(result.hint.find("advertised.listeners"), std::string::npos) << result.hint;
}

TEST_F(KafkaAdvertisedNames, NamesFromAnotherNetworkThatDoNotResolveAreAMismatch) {
  auto rewriting = proxy({"ip-10-0-1-17.ec2.internal", "ip-10-0-2-17.ec2.internal", "ip-10-0-3-17.ec2.internal"});
  const auto result = probe_name("bootstrap.kafka.example", rewriting->port());
  EXPECT_EQ(result.outcome, Code::kafka_advertised_mismatch) << result.message;
  for (int node = 1; node <= 3; ++node) {
    const auto& walked = broker(result, node);
    EXPECT_EQ(walked["outcome"], "kafka_advertised_mismatch") << walked.dump();
    EXPECT_NE(walked["message"].get<std::string>().find("another domain (ec2.internal)"), std::string::npos)
        << walked.dump();
  }
  EXPECT_NE(result.message.find("3 of 3 advertised brokers fail"), std::string::npos) << result.message;
}

TEST_F(KafkaAdvertisedNames, NamesFromAnotherDomainThatResolveAndAnswerAreFine) {
  auto rewriting = proxy({"b-1.brokers.example", "b-2.brokers.example", "b-3.brokers.example"});
  const auto result = probe_name("bootstrap.kafka.example", rewriting->port());
  EXPECT_EQ(result.outcome, Code::ok) << result.message;
  for (int node = 1; node <= 3; ++node) EXPECT_EQ(broker(result, node)["outcome"], "ok");
}

TEST_F(KafkaAdvertisedNames, MskBrokersBehindAnEndpointNameWithoutPerBrokerDnsAreExplained) {
  // The PrivateLink failure in its usual form: the bootstrap is an endpoint
  // name, the brokers advertise their MSK names, which nothing resolves here.
  auto rewriting = proxy({"b-1.orders.xuy0sb.c5.kafka.us-east-1.amazonaws.com",
                          "b-2.orders.xuy0sb.c5.kafka.us-east-1.amazonaws.com",
                          "b-3.orders.xuy0sb.c5.kafka.us-east-1.amazonaws.com"});
  const auto result = probe_name("vpce-0abc-1xyz.vpce-svc-0123.us-east-1.vpce.amazonaws.com", rewriting->port());
  EXPECT_EQ(result.outcome, Code::kafka_advertised_mismatch) << result.message;
  EXPECT_NE(result.hint.find("one NLB + endpoint service + reverse private endpoint per broker"), std::string::npos)
      << result.hint;
  ASSERT_TRUE(result.facts.contains("msk")) << result.facts.dump();
  EXPECT_EQ(result.facts["msk"]["bootstrap_is_msk_name"], false);
  EXPECT_EQ(result.facts["msk"]["brokers_with_msk_names"], 3);
}

TEST_F(KafkaAdvertisedNames, MskBrokersWithPerBrokerPrivateDnsPass) {
  // The same, fixed: each broker's own name resolves to its own path.
  auto rewriting = proxy({"b-1.events.xuy0sb.c5.kafka.us-east-1.amazonaws.com",
                          "b-2.events.xuy0sb.c5.kafka.us-east-1.amazonaws.com",
                          "b-3.events.xuy0sb.c5.kafka.us-east-1.amazonaws.com"});
  const auto result = probe_name("vpce-0abc-1xyz.vpce-svc-0123.us-east-1.vpce.amazonaws.com", rewriting->port());
  EXPECT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.facts["msk"]["brokers_with_msk_names"], 3);
}

}  // namespace
}  // namespace plprobe::probes
