// The Kafka probe end to end against fake_broker.h: SASL (which
// librdkafka's mock cluster lacks), SASL listeners that refuse Metadata
// before authentication, TLS listeners, the named-topic Metadata path
// (v4+), and walks over several brokers. The healthy, down, RTT and
// error-injection cases run against the real mock cluster in
// tests/integration/kafka/.
#include <algorithm>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "probes/kafka/kafka_codec.h"
#include "tests/support/certs.h"
#include "tests/support/ports.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/kafka/fake_broker.h"
#include "tests/unit/probes/probe_harness.h"

namespace plprobe::probes {
namespace {

using namespace std::chrono_literals;
using plprobe::testing::CertificateAuthority;
using plprobe::testing::ClosedTcpPort;
using plprobe::testing::FakeBroker;
using plprobe::testing::FakeBrokerOptions;
using plprobe::testing::LeafSpec;
using plprobe::testing::TempDir;
using testing::run_targets;

constexpr const char* kPassword = "pencil-Secret-42";

EngineOptions base_options() {
  static ClosedTcpPort no_dns;  // nothing here may reach a real DNS server
  EngineOptions options;
  options.timeout = 3s;
  options.threads = 1;
  options.resolver.servers = {{asio::ip::make_address("127.0.0.1"), no_dns.port()}};
  return options;
}

EngineOptions with_sasl(const std::string& mechanism, const std::string& password = kPassword) {
  auto options = base_options();
  options.settings.kafka.sasl_mechanism = mechanism;
  options.settings.kafka.sasl_user = "clickpipes";
  options.settings.kafka.sasl_password = password;
  return options;
}

FakeBrokerOptions sasl_listener(std::vector<std::string> mechanisms) {
  FakeBrokerOptions options;
  options.mechanisms = std::move(mechanisms);
  options.password = kPassword;
  return options;
}

ProbeResult probe(const FakeBroker& broker, const EngineOptions& options, const char* scheme = "kafka") {
  return run_targets({fmt::format("{}://127.0.0.1:{}", scheme, broker.port())}, options).only();
}

void expect_no_password(const ProbeResult& result) {
  EXPECT_EQ(result.message.find(kPassword), std::string::npos);
  EXPECT_EQ(result.hint.find(kPassword), std::string::npos);
  EXPECT_EQ(to_json(result).dump().find(kPassword), std::string::npos);
}

TEST(KafkaProbe, SpeaksApiVersionsV3AndMetadataV12ToAModernBroker) {
  FakeBroker broker({});
  const auto result = probe(broker, base_options());
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.kind, "kafka");
  EXPECT_EQ(result.facts["api_versions"]["version"], 3);
  EXPECT_EQ(result.facts["api_versions"]["attempts"], 1);
  EXPECT_EQ(result.facts["metadata_version"], 12);
  EXPECT_EQ(result.facts["cluster_id"], "fake-cluster");
  EXPECT_EQ(result.facts["topic_count"], 1);
  ASSERT_EQ(result.facts["brokers"].size(), 1u);
  const auto& walked = result.facts["brokers"][0];
  EXPECT_EQ(walked["outcome"], "ok");
  EXPECT_EQ(walked["rack"], "az-1");
  EXPECT_EQ(walked["controller"], true);
  EXPECT_EQ(walked["api_versions_version"], 3);
  EXPECT_TRUE(walked["phases_ms"].contains("connect"));
  EXPECT_TRUE(walked["phases_ms"].contains("handshake"));
  EXPECT_EQ(result.facts["sasl"]["offered"], true);
  EXPECT_EQ(result.facts["sasl"]["required"], false);
  EXPECT_EQ(broker.accepted(), 2u) << "the bootstrap connection and one walk connection";
  EXPECT_TRUE(broker.handshakes().empty()) << "no SaslHandshake when Metadata needs no authentication";
}

TEST(KafkaProbe, ListsTheMechanismsOfASaslListenerWithoutCredentials) {
  FakeBroker broker(sasl_listener({"SCRAM-SHA-512", "PLAIN"}));
  const auto result = probe(broker, base_options());
  EXPECT_EQ(result.outcome, Code::kafka_auth_required) << result.message;
  EXPECT_NE(result.message.find("SCRAM-SHA-512, PLAIN"), std::string::npos) << result.message;
  EXPECT_NE(result.hint.find("--sasl-mechanism SCRAM-SHA-512"), std::string::npos) << result.hint;
  EXPECT_EQ(result.facts["sasl"]["enabled"], (Json{"SCRAM-SHA-512", "PLAIN"}));
  EXPECT_EQ(result.facts["sasl"]["required"], true);
  EXPECT_EQ(broker.handshakes(), std::vector<std::string>{"PLPROBE-LIST-MECHANISMS"})
      << "the listing happens on a connection of its own, after Metadata was refused";
}

TEST(KafkaProbe, ExplainsThatIamCannotBeDoneHere) {
  FakeBroker broker(sasl_listener({"AWS_MSK_IAM"}));
  const auto result = probe(broker, base_options());
  EXPECT_EQ(result.outcome, Code::kafka_auth_required) << result.message;
  EXPECT_NE(result.hint.find("IAM"), std::string::npos) << result.hint;
}

class KafkaSasl : public ::testing::TestWithParam<std::string> {};

TEST_P(KafkaSasl, AuthenticatesTheBootstrapAndEveryWalkedBroker) {
  FakeBroker broker(sasl_listener({"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}));
  const auto result = probe(broker, with_sasl(GetParam()));
  ASSERT_EQ(result.outcome, Code::ok) << result.message << " / " << result.hint;
  EXPECT_EQ(result.facts["sasl"]["mechanism"], GetParam());
  EXPECT_EQ(result.facts["sasl"]["authenticated"], true);
  EXPECT_EQ(result.facts["sasl"]["session_lifetime_ms"], 3600000);
  EXPECT_NE(result.message.find("authenticated as clickpipes with " + GetParam()), std::string::npos) << result.message;
  EXPECT_EQ(result.facts["brokers"][0]["sasl"]["authenticated"], true);
  EXPECT_EQ(broker.authenticated(), 2u) << "the bootstrap and the walked broker";
  EXPECT_TRUE(result.facts["timings_ms"].contains("sasl"));
  expect_no_password(result);
}

TEST_P(KafkaSasl, AWrongPasswordIsAuthFailedWithTheBrokersReason) {
  FakeBroker broker(sasl_listener({"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}));
  const auto result = probe(broker, with_sasl(GetParam(), "not-the-password"));
  EXPECT_EQ(result.outcome, Code::kafka_auth_failed) << result.message;
  EXPECT_NE(result.message.find("SASL_AUTHENTICATION_FAILED"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("Authentication failed"), std::string::npos) << result.message;
  EXPECT_FALSE(result.facts.contains("brokers")) << "no Metadata without authentication";
  EXPECT_EQ(broker.authentication_failures(), 1u);
  EXPECT_EQ(to_json(result).dump().find("not-the-password"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Mechanisms, KafkaSasl, ::testing::Values("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(KafkaProbe, AMechanismTheListenerDoesNotEnableIsNamedWithTheEnabledOnes) {
  FakeBroker broker(sasl_listener({"SCRAM-SHA-512"}));
  const auto result = probe(broker, with_sasl("PLAIN"));
  EXPECT_EQ(result.outcome, Code::kafka_sasl_mechanism_unsupported) << result.message;
  EXPECT_NE(result.message.find("does not enable PLAIN; it enables SCRAM-SHA-512"), std::string::npos)
      << result.message;
  EXPECT_EQ(result.facts["sasl"]["enabled"], Json{"SCRAM-SHA-512"});
}

TEST(KafkaProbe, CredentialsForAListenerWithoutSaslStillShowTheBrokers) {
  FakeBroker broker({});
  const auto result = probe(broker, with_sasl("SCRAM-SHA-512"));
  EXPECT_EQ(result.outcome, Code::kafka_sasl_mechanism_unsupported) << result.message;
  EXPECT_NE(result.message.find("not a SASL listener"), std::string::npos) << result.message;
  EXPECT_EQ(result.facts["sasl"]["listener_sasl"], false);
  ASSERT_EQ(result.facts["brokers"].size(), 1u);
  EXPECT_EQ(result.facts["brokers"][0]["outcome"], "ok") << "walked without SASL, like the bootstrap";
}

TEST(KafkaProbe, ANamedTopicIsAskedForAloneAndItsLeadersReported) {
  FakeBroker broker({});
  auto options = base_options();
  options.settings.kafka.topic = "events";
  const auto result = probe(broker, options);
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  const auto& topic = result.facts["topic"];
  EXPECT_EQ(topic["exists"], true);
  EXPECT_EQ(topic["partition_count"], 2);
  EXPECT_EQ(topic["partitions"][0]["leader"], 1);
  EXPECT_EQ(topic["partitions"][0]["leader_advertised"], fmt::format("127.0.0.1:{}", broker.port()));
  EXPECT_FALSE(result.facts.contains("topics")) << "v12 asked for the one topic, not the list";
  EXPECT_NE(result.message.find("topic 'events' has 2 partitions"), std::string::npos) << result.message;
}

TEST(KafkaProbe, AMissingNamedTopicIsTopicMissing) {
  FakeBroker broker({});
  auto options = base_options();
  options.settings.kafka.topic = "orders";
  const auto result = probe(broker, options);
  EXPECT_EQ(result.outcome, Code::kafka_topic_missing) << result.message;
  EXPECT_NE(result.message.find("UNKNOWN_TOPIC_OR_PARTITION"), std::string::npos) << result.message;
  EXPECT_EQ(result.facts["topic"]["exists"], false);
  EXPECT_EQ(result.facts["brokers"][0]["outcome"], "ok") << "the walk still ran";
}

TEST(KafkaProbe, WalksEveryBrokerAndNamesTheOneThatFails) {
  FakeBroker second({});
  ClosedTcpPort closed;
  FakeBrokerOptions first_options;
  first_options.brokers = {{1, "127.0.0.1", 0, "az-1"},
                           {2, "127.0.0.1", second.port(), "az-2"},
                           {3, "127.0.0.1", closed.port(), "az-3"}};
  // The first broker's own port is known only once it listens; it advertises 0 here.
  FakeBroker first(first_options);
  const auto result = probe(first, base_options());
  EXPECT_EQ(result.outcome, Code::kafka_advertised_mismatch) << "port 0 is an unusable advertised listener";
  const auto& brokers = result.facts["brokers"];
  ASSERT_EQ(brokers.size(), 3u);
  EXPECT_EQ(brokers[0]["outcome"], "kafka_advertised_mismatch");
  EXPECT_EQ(brokers[1]["outcome"], "ok");
  EXPECT_EQ(brokers[2]["outcome"], "kafka_broker_unreachable");
  EXPECT_EQ(brokers[2]["underlying"], "tcp_refused");
  EXPECT_NE(result.message.find("2 of 3 advertised brokers fail"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("node 3"), std::string::npos) << result.message;
  EXPECT_NE(result.hint.find("advertised.listeners"), std::string::npos) << result.hint;
}

TEST(KafkaProbe, ABrokerNameThatCannotBeResolvedIsUnresolvable) {
  FakeBrokerOptions options;
  options.brokers = {{7, "b-7.kafka.test", 9092, std::nullopt}};
  FakeBroker broker(options);
  auto engine = base_options();
  engine.resolver.try_timeout = 200ms;  // the "DNS server" is a closed port: fail fast
  engine.resolver.tries = 1;
  const auto result = probe(broker, engine);
  EXPECT_EQ(result.outcome, Code::kafka_broker_unresolvable) << result.message;
  const auto& walked = result.facts["brokers"][0];
  EXPECT_EQ(walked["node_id"], 7);
  EXPECT_EQ(walked["advertised"], "b-7.kafka.test:9092");
  EXPECT_EQ(walked["underlying"].get<std::string>().rfind("dns_", 0), 0u) << walked.dump();
  EXPECT_TRUE(walked["phases_ms"].contains("dns"));
}

TEST(KafkaProbe, NoWalkBrokersListsThemWithoutConnecting) {
  ClosedTcpPort closed;
  FakeBrokerOptions options;
  options.brokers = {{1, "127.0.0.1", closed.port(), std::nullopt}};
  FakeBroker broker(options);
  auto engine = base_options();
  engine.settings.kafka.walk_brokers = false;
  const auto result = probe(broker, engine);
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.facts["brokers"][0]["walked"], false);
  EXPECT_NE(result.message.find("not walked"), std::string::npos) << result.message;
  EXPECT_EQ(broker.accepted(), 1u);
}

class KafkaTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new CertificateAuthority(CertificateAuthority::create("plprobe kafka test CA"));
    dir_ = new TempDir("plprobe-kafka-tls-");
    ca_file_ = ca_->write_certificate(dir_->path()).string();
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete dir_;
  }
  static FakeBrokerOptions tls_listener(LeafSpec spec) {
    const auto issued = ca_->issue(spec);
    FakeBrokerOptions options;
    options.certificate_chain_pem = issued.chain_pem;
    options.private_key_pem = issued.private_key_pem;
    options.mechanisms = {"SCRAM-SHA-512"};
    options.password = kPassword;
    return options;
  }
  static EngineOptions trusting() {
    auto options = with_sasl("SCRAM-SHA-512");
    options.tls.ca_file = ca_file_;
    return options;
  }
  static CertificateAuthority* ca_;
  static TempDir* dir_;
  static std::string ca_file_;
};

CertificateAuthority* KafkaTls::ca_ = nullptr;
TempDir* KafkaTls::dir_ = nullptr;
std::string KafkaTls::ca_file_;

TEST_F(KafkaTls, AuthenticatesOverVerifiedTlsOnTheBootstrapAndTheWalk) {
  LeafSpec spec;
  spec.common_name = "broker.test";
  spec.ip_addresses = {"127.0.0.1"};
  FakeBroker broker(tls_listener(spec));
  const auto result = probe(broker, trusting(), "kafka+tls");
  ASSERT_EQ(result.outcome, Code::ok) << result.message << " / " << result.hint;
  ASSERT_TRUE(result.tls);
  EXPECT_TRUE(result.tls->verified);
  const auto& walked = result.facts["brokers"][0];
  EXPECT_EQ(walked["tls"]["verified"], true);
  EXPECT_TRUE(walked["phases_ms"].contains("tls"));
  EXPECT_EQ(walked["sasl"]["authenticated"], true);
}

TEST_F(KafkaTls, ABrokerCertificateThatDoesNotNameTheAdvertisedHostFailsTheWalk) {
  // Reached as bootstrap.test (--sni), the brokers advertise 127.0.0.1,
  // which the certificate does not name: a client would fail there.
  LeafSpec spec;
  spec.common_name = "bootstrap.test";
  spec.dns_names = {"bootstrap.test"};
  FakeBroker broker(tls_listener(spec));
  auto options = trusting();
  options.settings.sni = "bootstrap.test";
  const auto result = probe(broker, options, "kafka+tls");
  EXPECT_EQ(result.outcome, Code::kafka_broker_unreachable) << result.message;
  const auto& walked = result.facts["brokers"][0];
  EXPECT_EQ(walked["underlying"], "tls_hostname_mismatch");
  EXPECT_NE(walked["hint"].get<std::string>().find("--sni"), std::string::npos) << walked["hint"];
}

}  // namespace
}  // namespace plprobe::probes
