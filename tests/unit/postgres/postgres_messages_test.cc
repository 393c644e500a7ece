// The PostgreSQL start-up codec (probes/postgres/postgres_messages.h)
// against byte strings written out by hand from chapter 55.7 of the
// PostgreSQL documentation.
#include "probes/postgres/postgres_messages.h"

#include <gtest/gtest.h>

namespace plprobe::probes::postgres {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int value : values) out.push_back(static_cast<char>(value));
  return out;
}

// Byte1 type, Int32 length (body + 4), body.
std::string message(char type, const std::string& body) {
  const auto length = static_cast<std::uint32_t>(body.size() + 4);
  std::string out(1, type);
  out += bytes({static_cast<int>(length >> 24), static_cast<int>((length >> 16) & 0xff),
                static_cast<int>((length >> 8) & 0xff), static_cast<int>(length & 0xff)});
  return out + body;
}

TEST(PostgresMessages, SslRequestIsLengthEightAndTheMagicCode) {
  EXPECT_EQ(ssl_request(), bytes({0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}));  // 80877103 = 0x04d2162f
}

TEST(PostgresMessages, StartupMessageCarriesVersionThreeAndTerminatedPairs) {
  const std::string startup = startup_message({{"user", "clickpipes"}, {"database", "app"}});
  std::string body = bytes({0, 3, 0, 0});
  body.append("user").push_back('\0');
  body.append("clickpipes").push_back('\0');
  body.append("database").push_back('\0');
  body.append("app").push_back('\0');
  body.push_back('\0');
  const auto length = static_cast<int>(body.size() + 4);
  EXPECT_EQ(startup, bytes({0, 0, 0, length}) + body);
}

TEST(PostgresMessages, StartupMessageCutsNamesAtNul) {
  const std::string startup = startup_message({{"user", std::string("evil\0user", 9)}});
  EXPECT_EQ(startup.find("evil"), 13u);  // length (4), version (4), "user\0" (5)
  EXPECT_EQ(startup.find("user", 14), std::string::npos) << "what followed the NUL is gone";
  EXPECT_EQ(startup.substr(startup.size() - 6), std::string("evil\0\0", 6));
}

TEST(PostgresMessages, TerminateIsXAndLengthFour) { EXPECT_EQ(terminate_message(), bytes({'X', 0, 0, 0, 4})); }

TEST(PostgresMessages, FramingNeedsTheWholeMessage) {
  const std::string auth_ok = message('R', bytes({0, 0, 0, 0}));
  Frame frame;
  std::size_t size = 0;
  std::string why;
  for (std::size_t cut = 0; cut < auth_ok.size(); ++cut) {
    EXPECT_EQ(next_frame(auth_ok.substr(0, cut), kMaxStartupMessageBody, frame, size, why), Framing::incomplete)
        << cut;
  }
  const std::string stream = auth_ok + "Z";  // the frame points into it
  ASSERT_EQ(next_frame(stream, kMaxStartupMessageBody, frame, size, why), Framing::complete);
  EXPECT_EQ(frame.type, 'R');
  EXPECT_EQ(frame.body, bytes({0, 0, 0, 0}));
  EXPECT_EQ(size, 9u);
}

TEST(PostgresMessages, FramingRefusesImpossibleLengthsAndTypes) {
  Frame frame;
  std::size_t size = 0;
  std::string why;
  EXPECT_EQ(next_frame(bytes({'R', 0, 0, 0, 3}), kMaxStartupMessageBody, frame, size, why), Framing::invalid);
  EXPECT_NE(why.find("below the 4 bytes"), std::string::npos) << why;
  EXPECT_EQ(next_frame(bytes({'E', 0x7f, 0xff, 0xff, 0xff}), kMaxStartupMessageBody, frame, size, why),
            Framing::invalid);
  EXPECT_NE(why.find("more than"), std::string::npos) << why;
  EXPECT_EQ(next_frame(bytes({'R', 0xff, 0xff, 0xff, 0xff}), kMaxStartupMessageBody, frame, size, why),
            Framing::invalid);
  EXPECT_EQ(next_frame(bytes({0x16, 3, 1, 0, 5}), kMaxStartupMessageBody, frame, size, why), Framing::invalid);
  EXPECT_NE(why.find("not a PostgreSQL message type"), std::string::npos) << why;
  // Exactly at the limit is fine.
  const auto limit = static_cast<std::uint32_t>(kMaxStartupMessageBody + 4);
  EXPECT_TRUE(body_length(bytes({'E', static_cast<int>(limit >> 24), static_cast<int>((limit >> 16) & 0xff),
                                 static_cast<int>((limit >> 8) & 0xff), static_cast<int>(limit & 0xff)}),
                          kMaxStartupMessageBody, why));
}

TEST(PostgresMessages, AuthenticationRequestsNameTheirMethod) {
  std::string why;
  auto trust = parse_authentication(bytes({0, 0, 0, 0}), why);
  ASSERT_TRUE(trust);
  EXPECT_EQ(auth_method_name(*trust), "trust");
  auto cleartext = parse_authentication(bytes({0, 0, 0, 3}), why);
  ASSERT_TRUE(cleartext);
  EXPECT_EQ(auth_method_name(*cleartext), "password");
  auto md5 = parse_authentication(bytes({0, 0, 0, 5, 1, 2, 3, 4}), why);
  ASSERT_TRUE(md5);
  EXPECT_EQ(auth_method_name(*md5), "md5");
  EXPECT_EQ(md5->md5_salt, bytes({1, 2, 3, 4}));
  auto gss = parse_authentication(bytes({0, 0, 0, 7}), why);
  ASSERT_TRUE(gss);
  EXPECT_EQ(auth_method_name(*gss), "gss");
  auto sspi = parse_authentication(bytes({0, 0, 0, 9}), why);
  ASSERT_TRUE(sspi);
  EXPECT_EQ(auth_method_name(*sspi), "sspi");
}

TEST(PostgresMessages, SaslListsEveryMechanism) {
  std::string body = bytes({0, 0, 0, 10});
  body.append("SCRAM-SHA-256-PLUS").push_back('\0');
  body.append("SCRAM-SHA-256").push_back('\0');
  body.push_back('\0');
  std::string why;
  auto sasl = parse_authentication(body, why);
  ASSERT_TRUE(sasl) << why;
  EXPECT_EQ(sasl->mechanisms, (std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
  EXPECT_EQ(auth_method_name(*sasl), "scram-sha-256");

  std::string other = bytes({0, 0, 0, 10});
  other.append("OAUTHBEARER").push_back('\0');
  other.push_back('\0');
  auto oauth = parse_authentication(other, why);
  ASSERT_TRUE(oauth);
  EXPECT_EQ(auth_method_name(*oauth), "sasl");
}

TEST(PostgresMessages, MalformedAuthenticationRequestsAreRefused) {
  std::string why;
  EXPECT_FALSE(parse_authentication(bytes({0, 0, 0}), why));
  EXPECT_FALSE(parse_authentication(bytes({0, 0, 0, 5, 1, 2}), why)) << "md5 without its salt";
  EXPECT_FALSE(parse_authentication(bytes({0, 0, 0, 10, 'S', 'C'}), why)) << "unterminated mechanism";
  EXPECT_FALSE(parse_authentication(bytes({0, 0, 0, 10, 0}), why)) << "no mechanism at all";
  EXPECT_FALSE(parse_authentication(bytes({0, 0, 0, 42}), why));
  EXPECT_NE(why.find("42"), std::string::npos);
  EXPECT_FALSE(parse_authentication(bytes({0xff, 0xff, 0xff, 0xff}), why));
}

TEST(PostgresMessages, ErrorFieldsArePickedOutAndUnknownOnesKept) {
  std::string body;
  for (auto [type, value] : std::initializer_list<std::pair<char, const char*>>{
           {'S', "FATAL"}, {'V', "FATAL"}, {'C', "28000"}, {'M', "no pg_hba.conf entry"}, {'D', "detail"},
           {'H', "hint"}, {'R', "ClientAuthentication"}, {'F', "auth.c"}, {'L', "543"}}) {
    body.push_back(type);
    body.append(value).push_back('\0');
  }
  body.push_back('\0');
  std::string why;
  auto fields = parse_error_fields(body, why);
  ASSERT_TRUE(fields) << why;
  EXPECT_EQ(fields->severity, "FATAL");
  EXPECT_EQ(fields->code, "28000");
  EXPECT_EQ(fields->message, "no pg_hba.conf entry");
  EXPECT_EQ(fields->detail, "detail");
  EXPECT_EQ(fields->hint, "hint");
  EXPECT_EQ(fields->routine, "ClientAuthentication");
  ASSERT_EQ(fields->other.size(), 2u);
  EXPECT_EQ(fields->other[0].first, 'F');
}

TEST(PostgresMessages, LocalizedSeverityIsUsedOnlyWithoutTheNonLocalizedOne) {
  std::string body = "SFATAL";
  body.push_back('\0');
  body += "C53300";
  body.push_back('\0');
  body.push_back('\0');
  std::string why;
  auto fields = parse_error_fields(body, why);
  ASSERT_TRUE(fields);
  EXPECT_EQ(fields->severity, "FATAL");
  EXPECT_EQ(fields->code, "53300");
}

TEST(PostgresMessages, UnterminatedErrorFieldsAreRefused) {
  std::string why;
  EXPECT_FALSE(parse_error_fields("", why));
  EXPECT_FALSE(parse_error_fields("C28000", why));
  EXPECT_FALSE(parse_error_fields(std::string("C28000\0", 7), why)) << "no final zero byte";
}

TEST(PostgresMessages, ManyUnknownErrorFieldsAreCapped) {
  std::string body;
  for (int i = 0; i < 1000; ++i) body += std::string("Zx\0", 3);
  body.push_back('\0');
  std::string why;
  auto fields = parse_error_fields(body, why);
  ASSERT_TRUE(fields);
  EXPECT_EQ(fields->other.size(), 16u);
}

TEST(PostgresMessages, ParameterStatusAndProtocolNegotiation) {
  auto parameter = parse_parameter_status(std::string("server_version\0" "15.4\0", 20));
  ASSERT_TRUE(parameter);
  EXPECT_EQ(parameter->first, "server_version");
  EXPECT_EQ(parameter->second, "15.4");
  EXPECT_FALSE(parse_parameter_status(std::string("server_version\0" "15", 17)));

  std::string negotiation = bytes({0, 0, 0, 0, 0, 0, 0, 1});
  negotiation.append("_pq_.x").push_back('\0');
  auto parsed = parse_negotiate_protocol_version(negotiation);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->unrecognized_options, std::vector<std::string>{"_pq_.x"});
  // A count the body cannot hold fails at the end of the body.
  EXPECT_FALSE(parse_negotiate_protocol_version(bytes({0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff})));
  EXPECT_FALSE(parse_negotiate_protocol_version(bytes({0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})));
}

TEST(PostgresMessages, OtherProtocolsAreRecognisedFromTheirFirstBytes) {
  EXPECT_NE(identify_other_protocol(bytes({0x15, 0x03, 0x01, 0x00, 0x02})).find("TLS"), std::string::npos);
  EXPECT_NE(identify_other_protocol("HTTP/1.1 400 Bad Request").find("HTTP"), std::string::npos);
  EXPECT_NE(identify_other_protocol("SSH-2.0-OpenSSH_9.2").find("SSH"), std::string::npos);
  EXPECT_NE(identify_other_protocol(bytes({0x5b, 0, 0, 0, 0x0a, '1', '0'})).find("MySQL"), std::string::npos);
  EXPECT_EQ(identify_other_protocol("garbage"), "");
  EXPECT_EQ(printable(bytes({'S', 0, 0x7f, '\\'})), "S\\x00\\x7f\\x5c");
  EXPECT_EQ(printable(std::string(40, 'a'), 4), "aaaa...");
}

}  // namespace
}  // namespace plprobe::probes::postgres
