// The MySQL connection-phase codec (probes/mysql/mysql_packets.h) against
// packets built by hand from the protocol documentation.
#include "probes/mysql/mysql_packets.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "tests/unit/mysql/mysql_greetings.h"

namespace plprobe::probes::mysql {
namespace {

using testing::err_payload;
using testing::greeting_payload;
using testing::GreetingSpec;
using testing::le;

bool has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(MysqlPackets, AMysqlGreetingIsReadCompletely) {
  GreetingSpec spec;
  spec.tls = true;
  std::string why;
  auto handshake = parse_handshake(greeting_payload(spec), why);
  ASSERT_TRUE(handshake) << why;
  EXPECT_EQ(handshake->protocol_version, 10);
  EXPECT_EQ(handshake->server_version, "8.0.36");
  EXPECT_EQ(handshake->connection_id, 77u);
  EXPECT_EQ(handshake->auth_data, "abcdefghijklmnopqrst");
  EXPECT_EQ(handshake->auth_plugin, "caching_sha2_password");
  EXPECT_EQ(handshake->character_set, 33);
  EXPECT_EQ(handshake->status_flags, 2);
  EXPECT_TRUE(handshake->capabilities & capability::ssl);
  EXPECT_EQ(handshake->mariadb_capabilities, 0u);
  EXPECT_FALSE(is_mariadb(*handshake));
  EXPECT_EQ(display_version(*handshake), "8.0.36");
  const auto names = capability_names(handshake->capabilities);
  EXPECT_TRUE(has(names, "CLIENT_SSL"));
  EXPECT_TRUE(has(names, "CLIENT_PLUGIN_AUTH"));
  EXPECT_TRUE(has(names, "CLIENT_PROTOCOL_41"));
}

TEST(MysqlPackets, MariadbIsRecognisedWithItsExtendedCapabilities) {
  GreetingSpec spec;
  spec.version = "5.5.5-10.11.6-MariaDB-0+deb12u1";
  spec.capabilities &= ~1u;  // MariaDB clears CLIENT_MYSQL ...
  spec.mariadb_capabilities = 0x1d;  // ... and announces its own flags in the reserved bytes
  spec.plugin = "mysql_native_password";
  std::string why;
  auto handshake = parse_handshake(greeting_payload(spec), why);
  ASSERT_TRUE(handshake) << why;
  EXPECT_TRUE(is_mariadb(*handshake));
  EXPECT_EQ(display_version(*handshake), "10.11.6-MariaDB-0+deb12u1");
  EXPECT_EQ(handshake->mariadb_capabilities, 0x1du);
  const auto names = mariadb_capability_names(handshake->mariadb_capabilities);
  EXPECT_TRUE(has(names, "MARIADB_CLIENT_PROGRESS"));
  EXPECT_TRUE(has(names, "MARIADB_CLIENT_STMT_BULK_OPERATIONS"));
  EXPECT_TRUE(has(names, "MARIADB_CLIENT_EXTENDED_METADATA"));
  EXPECT_TRUE(has(names, "MARIADB_CLIENT_CACHE_METADATA"));
  EXPECT_FALSE(has(names, "MARIADB_CLIENT_COM_MULTI"));
}

TEST(MysqlPackets, APluginNameWithoutItsNulRunsToTheEnd) {
  std::string payload = greeting_payload(GreetingSpec{});
  payload.pop_back();
  std::string why;
  auto handshake = parse_handshake(payload, why);
  ASSERT_TRUE(handshake) << why;
  EXPECT_EQ(handshake->auth_plugin, "caching_sha2_password");
}

TEST(MysqlPackets, EveryTruncationOfAGreetingIsRefusedOrReadSafely) {
  const std::string full = greeting_payload(GreetingSpec{});
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    std::string why;
    auto handshake = parse_handshake(full.substr(0, cut), why);
    if (!handshake) {
      EXPECT_FALSE(why.empty()) << cut;
    } else {
      EXPECT_LE(handshake->auth_data.size(), 20u);
    }
  }
  std::string why;
  EXPECT_FALSE(parse_handshake(std::string("\x0a" "8.0", 4), why));
  EXPECT_NE(why.find("not terminated"), std::string::npos);
}

TEST(MysqlPackets, OtherProtocolVersionsAreRefusedByName) {
  std::string why;
  EXPECT_FALSE(parse_handshake(std::string("\x09" "3.21\0", 6), why));
  EXPECT_NE(why.find("protocol version 9"), std::string::npos) << why;
  EXPECT_FALSE(parse_handshake("\xff\x6a\x04Host is blocked", why));
  EXPECT_FALSE(parse_handshake("", why));
}

TEST(MysqlPackets, ErrPacketsWithAndWithoutSqlState) {
  std::string why;
  auto blocked = parse_err(err_payload(1129, "", "Host '10.0.0.5' is blocked because of many connection errors"), why);
  ASSERT_TRUE(blocked) << why;
  EXPECT_EQ(blocked->code, 1129);
  EXPECT_TRUE(blocked->sql_state.empty());
  EXPECT_EQ(blocked->message, "Host '10.0.0.5' is blocked because of many connection errors");
  auto denied = parse_err(err_payload(1045, "28000", "Access denied for user 'plprobe'@'127.0.0.1'"), why);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->code, 1045);
  EXPECT_EQ(denied->sql_state, "28000");
  EXPECT_EQ(denied->message, "Access denied for user 'plprobe'@'127.0.0.1'");
  EXPECT_FALSE(parse_err("\xff\x01", why));
  EXPECT_FALSE(parse_err("\x00\x01\x02", why));
}

TEST(MysqlPackets, AuthSwitchRequests) {
  std::string why;
  auto request = parse_auth_switch(std::string("\xfemysql_native_password\0scramble", 31), why);
  ASSERT_TRUE(request) << why;
  EXPECT_EQ(request->plugin, "mysql_native_password");
  EXPECT_EQ(request->data, "scramble");
  EXPECT_FALSE(parse_auth_switch("\xfeunterminated", why));
  EXPECT_FALSE(parse_auth_switch("", why));
}

TEST(MysqlPackets, SslRequestIsThirtyTwoBytesWithTheClientFlags) {
  GreetingSpec spec;
  spec.tls = true;
  std::string why;
  auto handshake = parse_handshake(greeting_payload(spec), why);
  ASSERT_TRUE(handshake);
  const std::uint32_t flags = client_capabilities(*handshake, true);
  EXPECT_TRUE(flags & capability::ssl);
  EXPECT_TRUE(flags & capability::protocol_41);
  EXPECT_FALSE(flags & capability::connect_with_db);
  EXPECT_FALSE(flags & capability::connect_attrs);
  const std::string payload = ssl_request_payload(flags);
  ASSERT_EQ(payload.size(), 32u);
  EXPECT_EQ(payload.substr(0, 4), le(flags, 4));
  EXPECT_EQ(payload.substr(4, 4), le(0xffffff, 4));
  EXPECT_EQ(payload[8], '\x21');
  EXPECT_EQ(payload.substr(9), std::string(23, '\0'));
}

TEST(MysqlPackets, HandshakeResponseCarriesUserEmptyAuthAndPlugin) {
  const std::uint32_t flags = capability::protocol_41 | capability::secure_connection | capability::plugin_auth |
                              capability::plugin_auth_lenenc_client_data;
  const std::string payload = handshake_response_payload(flags, "plprobe", "", "mysql_native_password");
  std::string expected = le(flags, 4) + le(0xffffff, 4) + "\x21" + std::string(23, '\0');
  expected += std::string("plprobe\0", 8);
  expected.push_back('\0');  // length-encoded empty auth response
  expected += std::string("mysql_native_password\0", 22);
  EXPECT_EQ(payload, expected);

  const std::string old = handshake_response_payload(capability::protocol_41, "u", "pw", "ignored");
  EXPECT_EQ(old.substr(32), std::string("u\0pw\0", 5));
}

TEST(MysqlPackets, FramesAndHeaders) {
  EXPECT_EQ(frame_packet("\x01", 0), std::string("\x01\x00\x00\x00\x01", 5));
  const auto header = parse_header(std::string("\x4a\x00\x00\x00", 4));
  EXPECT_EQ(header.length, 0x4au);
  EXPECT_EQ(header.sequence, 0);
  EXPECT_EQ(parse_header("\xff\xff\xff\x07").length, 0xffffffu);
  EXPECT_EQ(quit_payload(), "\x01");
}

TEST(MysqlPackets, OtherProtocolsAreRecognised) {
  EXPECT_NE(identify_other_protocol("\x15\x03\x03\x00\x02\x02\x46").find("TLS"), std::string::npos);
  EXPECT_NE(identify_other_protocol("HTTP/1.0 200 OK").find("HTTP"), std::string::npos);
  EXPECT_NE(identify_other_protocol("SSH-2.0-x").find("SSH"), std::string::npos);
  EXPECT_EQ(identify_other_protocol("\x4a\x00\x00\x00"), "");
}

}  // namespace
}  // namespace plprobe::probes::mysql
