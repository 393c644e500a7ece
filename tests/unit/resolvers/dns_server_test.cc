#include "resolvers/resolver.h"

#include <gtest/gtest.h>

namespace plprobe::resolvers {
namespace {

TEST(ParseDnsServer, AcceptsAddressesWithAndWithoutPorts) {
  auto plain = parse_dns_server("10.0.0.2");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->address.to_string(), "10.0.0.2");
  EXPECT_EQ(plain->port, 53);
  auto with_port = parse_dns_server("127.0.0.1:5353");
  ASSERT_TRUE(with_port);
  EXPECT_EQ(with_port->port, 5353);
  auto v6 = parse_dns_server("::1");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->address.is_v6());
  EXPECT_EQ(v6->port, 53);
  auto v6_port = parse_dns_server("[::1]:5353");
  ASSERT_TRUE(v6_port);
  EXPECT_EQ(v6_port->port, 5353);
  EXPECT_EQ(to_string(*v6_port), "[::1]:5353");
  EXPECT_EQ(to_string(*with_port), "127.0.0.1:5353");
}

TEST(ParseDnsServer, RejectsNamesBadPortsAndBrokenBrackets) {
  for (const char* bad : {"", "dns.example.com", "10.0.0.2:", "10.0.0.2:0", "10.0.0.2:65536", "10.0.0.2:53x", "[::1",
                          "[::1]x", "[10.0.0.2]:53x", "1.2.3.4.5"}) {
    EXPECT_FALSE(parse_dns_server(bad).has_value()) << bad;
  }
}

TEST(HostNames, ValidOnesPassAndBrokenOnesDoNot) {
  EXPECT_TRUE(is_valid_host_name("db.example.com"));
  EXPECT_TRUE(is_valid_host_name("db.example.com."));
  EXPECT_TRUE(is_valid_host_name("_kafka._tcp.example.com"));
  // Built with append, not operator+: g++ 12 warns falsely (-Warray-bounds)
  // about the temporary that operator+ makes at -O2.
  std::string longest_label(63, 'a');
  longest_label.append(".example");
  std::string too_long_label(64, 'a');
  too_long_label.append(".example");
  EXPECT_TRUE(is_valid_host_name(longest_label));
  EXPECT_FALSE(is_valid_host_name(too_long_label));
  EXPECT_FALSE(is_valid_host_name(std::string(300, 'a')));
  EXPECT_FALSE(is_valid_host_name(""));
  EXPECT_FALSE(is_valid_host_name("a..b"));
  EXPECT_FALSE(is_valid_host_name(".a"));
  EXPECT_FALSE(is_valid_host_name("db example"));
  EXPECT_FALSE(is_valid_host_name("db/example"));
}

}  // namespace
}  // namespace plprobe::resolvers
