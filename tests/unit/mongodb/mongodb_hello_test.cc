// Reading hello/isMaster answers, the wire-version table and member addresses.
#include "probes/mongodb/mongodb_hello.h"

#include <gtest/gtest.h>

#include "probes/mongodb/mongodb_readiness.h"
#include "probes/mongodb/mongodb_walk.h"

namespace plprobe::probes::mongodb {
namespace {

Document replica_set_primary() {
  Builder builder;
  builder.boolean("isWritablePrimary", true)
      .strings("hosts", {"m1.rs.test:27017", "m2.rs.test:27018"})
      .strings("passives", {"p1.rs.test:27019"})
      .strings("arbiters", {"a1.rs.test:27020"})
      .string("setName", "rs0")
      .int32("setVersion", 3)
      .boolean("secondary", false)
      .string("primary", "m1.rs.test:27017")
      .string("me", "m1.rs.test:27017")
      .int32("maxBsonObjectSize", 16777216)
      .int32("maxMessageSizeBytes", 48000000)
      .int32("maxWriteBatchSize", 100000)
      .int32("logicalSessionTimeoutMinutes", 30)
      .int64("connectionId", 12)
      .int32("minWireVersion", 0)
      .int32("maxWireVersion", 21)
      .strings("saslSupportedMechs", {"SCRAM-SHA-256"})
      .number("ok", 1.0);
  return *builder.finish();
}

TEST(MongoHello, ReadsAReplicaSetPrimary) {
  HelloInfo hello;
  ASSERT_TRUE(parse_hello(replica_set_primary(), hello).ok());
  EXPECT_EQ(hello.topology, Topology::replica_set_member);
  EXPECT_TRUE(hello.is_writable_primary);
  EXPECT_EQ(hello.set_name, "rs0");
  EXPECT_EQ(hello.set_version, 3);
  EXPECT_EQ(hello.hosts.size(), 2u);
  EXPECT_EQ(hello.primary, "m1.rs.test:27017");
  EXPECT_EQ(hello.max_wire_version, 21);
  EXPECT_EQ(hello.connection_id, 12);
  EXPECT_EQ(hello.sasl_supported_mechs, std::vector<std::string>{"SCRAM-SHA-256"});
  const Json facts = hello_facts(hello);
  EXPECT_EQ(facts["topology"], "replica_set_member");
  EXPECT_EQ(facts["server"]["version"], "7.0");
  EXPECT_EQ(facts["server"]["clickpipes_supported"], true);
  EXPECT_EQ(facts["passives"].size(), 1u);
}

TEST(MongoHello, ReadsTheLegacyIsmasterSpelling) {
  Builder builder;
  builder.boolean("ismaster", true).int32("maxWireVersion", 5).boolean("helloOk", true).int32("ok", 1);
  HelloInfo hello;
  ASSERT_TRUE(parse_hello(*builder.finish(), hello).ok());
  EXPECT_TRUE(hello.is_writable_primary);
  EXPECT_TRUE(hello.hello_ok);
  EXPECT_EQ(hello.topology, Topology::standalone);
  EXPECT_EQ(server_version_for(5).text, "3.4");
  ASSERT_TRUE(version_finding(hello));
  EXPECT_EQ(version_finding(hello)->id, "server_version_below_5_1");
}

TEST(MongoHello, TellsMongosUninitiatedAndStandaloneApart) {
  Builder mongos;
  mongos.boolean("isWritablePrimary", true).string("msg", "isdbgrid").int32("maxWireVersion", 25).int32("ok", 1);
  HelloInfo hello;
  ASSERT_TRUE(parse_hello(*mongos.finish(), hello).ok());
  EXPECT_EQ(hello.topology, Topology::mongos);
  Builder ghost;
  ghost.boolean("isWritablePrimary", false).boolean("isreplicaset", true).int32("maxWireVersion", 25).int32("ok", 1);
  ASSERT_TRUE(parse_hello(*ghost.finish(), hello).ok());
  EXPECT_EQ(hello.topology, Topology::uninitiated_member);
}

TEST(MongoHello, RefusesAnswersWithoutWireVersionOrWithAnError) {
  Builder no_wire;
  no_wire.boolean("isWritablePrimary", true).int32("ok", 1);
  HelloInfo hello;
  auto status = parse_hello(*no_wire.finish(), hello);
  EXPECT_EQ(status.code, Code::mongodb_protocol_error);
  EXPECT_NE(status.message.find("maxWireVersion"), std::string::npos);
  Builder refused;
  refused.number("ok", 0).string("errmsg", "not master").int32("code", 10107);
  status = parse_hello(*refused.finish(), hello);
  EXPECT_EQ(status.code, Code::mongodb_protocol_error);
  EXPECT_NE(status.message.find("not master"), std::string::npos);
}

TEST(MongoHello, WireVersionsMapToReleases) {
  EXPECT_EQ(server_version_for(0).text, "2.4 or older");
  EXPECT_EQ(server_version_for(2).text, "2.6");
  EXPECT_EQ(server_version_for(6).text, "3.6");
  EXPECT_EQ(server_version_for(13).text, "5.0");
  EXPECT_EQ(server_version_for(14).text, "5.1");
  EXPECT_TRUE(server_version_for(14).rapid_release);
  EXPECT_EQ(server_version_for(17).text, "6.0");
  EXPECT_FALSE(server_version_for(17).rapid_release);
  EXPECT_EQ(server_version_for(25).text, "8.0");
  EXPECT_NE(server_version_for(40).text.find("newer than 8.2"), std::string::npos);
}

TEST(MongoHello, ParsesMemberAddresses) {
  auto plain = parse_member("m1.rs.test:27018");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host, "m1.rs.test");
  EXPECT_EQ(plain->port, 27018);
  EXPECT_EQ(parse_member("m1.rs.test")->port, kDefaultPort);
  auto v6 = parse_member("[::1]:27019");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(format_member(*v6), "[::1]:27019");
  EXPECT_FALSE(parse_member(""));
  EXPECT_FALSE(parse_member(":27017"));
  EXPECT_FALSE(parse_member("m1:0"));
  EXPECT_FALSE(parse_member("m1:70000"));
  EXPECT_FALSE(parse_member("m1:27x"));
  EXPECT_FALSE(parse_member("[::1"));
  EXPECT_TRUE(same_member(*parse_member("M1.RS.test.:27017"), *parse_member("m1.rs.test:27017")));
  EXPECT_FALSE(same_member(*parse_member("m1.rs.test:27017"), *parse_member("m1.rs.test:27018")));
}

TEST(MongoHello, MemberReportsListHostsPassivesAndArbiters) {
  HelloInfo hello;
  ASSERT_TRUE(parse_hello(replica_set_primary(), hello).ok());
  const auto reports = member_reports(hello);
  ASSERT_EQ(reports.size(), 4u);
  EXPECT_TRUE(reports[0].is_primary);
  EXPECT_FALSE(reports[1].is_primary);
  EXPECT_EQ(reports[2].role, MemberRole::passive);
  EXPECT_EQ(reports[3].role, MemberRole::arbiter);
  const Json json = to_json(reports[3]);
  EXPECT_EQ(json["walked"], false);
  EXPECT_EQ(json["role"], "arbiter");
}

}  // namespace
}  // namespace plprobe::probes::mongodb
