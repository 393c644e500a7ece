#include "probes/target.h"

#include <gtest/gtest.h>

#include "probes/protocol.h"

namespace plprobe::probes {
namespace {

Target parse_ok(const std::string& text) {
  std::string error;
  auto target = parse_target(text, error);
  EXPECT_TRUE(target.has_value()) << text << ": " << error;
  return target.value_or(Target{});
}

std::string parse_error(const std::string& text) {
  std::string error;
  auto target = parse_target(text, error);
  EXPECT_FALSE(target.has_value()) << text;
  return error;
}

TEST(ParseTarget, ReadsSchemeHostAndPort) {
  auto target = parse_ok("tcp://db.example.internal:5432");
  ASSERT_NE(target.scheme, nullptr);
  EXPECT_EQ(target.scheme->name, "tcp");
  EXPECT_EQ(target.host, "db.example.internal");
  EXPECT_EQ(target.port, 5432);
  EXPECT_FALSE(target.host_is_literal);
  EXPECT_EQ(target.text, "tcp://db.example.internal:5432");
}

TEST(ParseTarget, AcceptsBracketedIpv6AndIpv4Literals) {
  auto v6 = parse_ok("tls://[::1]:8443");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_TRUE(v6.host_is_literal);
  EXPECT_EQ(v6.port, 8443);
  auto v4 = parse_ok("tcp://127.0.0.1:80");
  EXPECT_TRUE(v4.host_is_literal);
  auto upper = parse_ok("TLS://Example.COM:443");
  EXPECT_EQ(upper.scheme->name, "tls");
}

TEST(ParseTarget, KeepsUserAndPath) {
  auto target = parse_ok("tcp://replicator@db.internal:5432/app");
  EXPECT_EQ(target.user, "replicator");
  EXPECT_EQ(target.path, "app");
}

TEST(ParseTarget, ExplainsEveryKindOfMistake) {
  EXPECT_NE(parse_error("db.example:5432").find("no scheme"), std::string::npos);
  EXPECT_NE(parse_error("http://db:80").find("unknown scheme 'http'"), std::string::npos);
  EXPECT_NE(parse_error("tcp://db.example").find("needs a port"), std::string::npos);
  EXPECT_NE(parse_error("tcp://::1:80").find("brackets"), std::string::npos);
  EXPECT_NE(parse_error("tcp://[::1:80").find("never closes"), std::string::npos);
  EXPECT_NE(parse_error("tcp://[127.0.0.1]:80").find("only IPv6"), std::string::npos);
  EXPECT_NE(parse_error("tcp://db:0").find("not a port"), std::string::npos);
  EXPECT_NE(parse_error("tcp://db:65536").find("not a port"), std::string::npos);
  EXPECT_NE(parse_error("tcp://db:80x").find("not a port"), std::string::npos);
  EXPECT_NE(parse_error("tcp://db:").find("no port"), std::string::npos);
  EXPECT_NE(parse_error("tcp://:80").find("no host"), std::string::npos);
  EXPECT_NE(parse_error("tcp://bad host:80").find("not a valid host"), std::string::npos);
  EXPECT_NE(parse_error("tcp://user:secret@db:80").find("password"), std::string::npos);
  EXPECT_NE(parse_error("tcp://db:80?x=1").find("query"), std::string::npos);
  EXPECT_NE(parse_error("tcp://@db:80").find("empty user"), std::string::npos);
}

TEST(ParseTarget, AcceptedFormsListEveryScheme) {
  const auto forms = accepted_forms();
  for (const auto& scheme : schemes()) EXPECT_NE(forms.find(scheme.form), std::string::npos) << scheme.name;
}

}  // namespace
}  // namespace plprobe::probes
