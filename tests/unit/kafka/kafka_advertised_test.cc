// Judging advertised listeners, and recognising MSK names and ports.
#include "probes/kafka/kafka_advertised.h"

#include <gtest/gtest.h>

namespace plprobe::probes::kafka {
namespace {

using resolvers::AddressClass;

BootstrapView by_name(std::string host, AddressClass address_class = AddressClass::private_range) {
  return BootstrapView{std::move(host), false, 9096, address_class};
}

const std::string kVpce = "vpce-0abc-1xyz.vpce-svc-0123.us-east-1.vpce.amazonaws.com";
const std::string kBroker = "b-1.events.xuy0sb.c5.kafka.us-east-1.amazonaws.com";

TEST(AdvertisedListeners, ParentDomainDropsTheFirstLabel) {
  EXPECT_EQ(parent_domain("B-1.Events.Example.COM."), "events.example.com");
  EXPECT_EQ(parent_domain("kafka"), "");
  EXPECT_EQ(parent_domain("10.0.0.1"), "");
  EXPECT_EQ(parent_domain("::1"), "");
}

TEST(AdvertisedListeners, LocalhostIsAlwaysAMismatch) {
  EXPECT_TRUE(advertised_mismatch(by_name(kVpce), "localhost", {AddressClass::loopback}, WalkVerdict::ok));
  EXPECT_TRUE(advertised_mismatch(by_name(kVpce), "broker.localhost", {}, WalkVerdict::unresolvable));
}

TEST(AdvertisedListeners, LoopbackOrLinkLocalAddressesMismatchUnlessTheBootstrapWasLoopbackToo) {
  auto reason = advertised_mismatch(by_name(kVpce), "127.0.0.1", {AddressClass::loopback}, WalkVerdict::ok);
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("loopback"), std::string::npos) << *reason;
  EXPECT_TRUE(advertised_mismatch(by_name(kVpce), "169.254.0.7", {AddressClass::link_local}, WalkVerdict::ok));
  // Everything on one machine (tests, a laptop): consistent, no finding.
  EXPECT_FALSE(advertised_mismatch(BootstrapView{"127.0.0.1", true, 9092, AddressClass::loopback}, "127.0.0.1",
                                   {AddressClass::loopback}, WalkVerdict::ok));
}

TEST(AdvertisedListeners, ANameInAnotherDomainThatFailsIsAMismatch) {
  auto reason = advertised_mismatch(by_name(kVpce), kBroker, {}, WalkVerdict::unresolvable);
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("kafka.us-east-1.amazonaws.com"), std::string::npos) << *reason;
  EXPECT_TRUE(advertised_mismatch(by_name("bootstrap.kafka.test"), "ip-10-0-1-17.ec2.internal", {},
                                  WalkVerdict::unreachable));
  EXPECT_TRUE(advertised_mismatch(by_name("bootstrap.kafka.test"), "10.0.1.17", {AddressClass::private_range},
                                  WalkVerdict::unreachable))
      << "a bare address behind a bootstrap name belongs to the broker's network";
}

TEST(AdvertisedListeners, ANameInAnotherDomainThatWorksIsFine) {
  // The one-endpoint-per-broker pattern done right.
  EXPECT_FALSE(advertised_mismatch(by_name(kVpce), kBroker, {AddressClass::private_range}, WalkVerdict::ok));
}

TEST(AdvertisedListeners, AFailingBrokerInTheSameDomainIsNotAMismatch) {
  EXPECT_FALSE(advertised_mismatch(by_name("b-1.kafka.test"), "b-3.kafka.test", {}, WalkVerdict::unresolvable));
  // Bootstrap by address: nothing to compare names with.
  EXPECT_FALSE(advertised_mismatch(BootstrapView{"10.0.0.5", true, 9092, AddressClass::private_range}, "10.0.0.6",
                                   {AddressClass::private_range}, WalkVerdict::unreachable));
}

TEST(Msk, RecognisesBrokerAndBootstrapNames) {
  EXPECT_TRUE(is_msk_name(kBroker));
  EXPECT_TRUE(is_msk_name("b-12-public.events.xuy0sb.c5.kafka.eu-west-1.amazonaws.com"));
  EXPECT_TRUE(is_msk_name("boot-abcd1234.c1.kafka-serverless.us-east-1.amazonaws.com"));
  EXPECT_TRUE(is_msk_name("b-1.events.xuy0sb.c2.kafka.cn-north-1.amazonaws.com.cn"));
  EXPECT_FALSE(is_msk_name(kVpce));
  EXPECT_FALSE(is_msk_name("b-1.kafka.example.com"));
  EXPECT_FALSE(is_msk_name("bx.events.xuy0sb.c5.kafka.us-east-1.amazonaws.com"));
}

TEST(Msk, PortsSayWhichAuthTheListenerUses) {
  EXPECT_EQ(msk_port(9092)->auth, "plaintext");
  EXPECT_EQ(msk_port(9094)->auth, "TLS");
  EXPECT_EQ(msk_port(9096)->auth, "SASL/SCRAM");
  EXPECT_EQ(msk_port(9098)->auth, "IAM");
  EXPECT_EQ(msk_port(9198)->access, "public");
  EXPECT_EQ(msk_port(20096)->auth, "SASL/SCRAM");
  EXPECT_EQ(msk_port(14002)->access, "multi-VPC private connectivity");
  EXPECT_FALSE(msk_port(9093));
}

TEST(Msk, FactsExplainAnEndpointInFrontOfMskBrokers) {
  Json facts = msk_facts(by_name(kVpce), {kBroker, "b-2.events.xuy0sb.c5.kafka.us-east-1.amazonaws.com"});
  ASSERT_TRUE(facts.is_object());
  EXPECT_EQ(facts["bootstrap_is_msk_name"], false);
  EXPECT_EQ(facts["brokers_with_msk_names"], 2);
  EXPECT_EQ(facts["port_auth"], "SASL/SCRAM");
  EXPECT_NE(facts["note"].get<std::string>().find("per broker"), std::string::npos);
  EXPECT_TRUE(msk_facts(by_name("bootstrap.kafka.test"), {"b-1.kafka.test"}).is_null());
}

TEST(Msk, HintsMentionAdvertisedListenersAndMskPatterns) {
  EXPECT_NE(advertised_listeners_hint(false).find("advertised.listeners"), std::string::npos);
  const auto msk = advertised_listeners_hint(true);
  EXPECT_NE(msk.find("multi-VPC"), std::string::npos);
  EXPECT_NE(msk.find("per broker"), std::string::npos);
}

}  // namespace
}  // namespace plprobe::probes::kafka
