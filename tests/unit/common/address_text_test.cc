#include "common/address_text.h"

#include <gtest/gtest.h>

namespace plprobe {
namespace {

TEST(AddressText, WritesIpv4LikeInetNtop) {
  for (const char* text : {"0.0.0.0", "10.0.1.17", "127.0.0.1", "192.168.100.255", "255.255.255.255", "1.20.255.9"}) {
    const auto address = asio::ip::make_address(text);
    EXPECT_EQ(address_text(address), address.to_string());
    EXPECT_EQ(address_text(address), text);
  }
}

TEST(AddressText, KeepsTheCanonicalIpv6Form) {
  EXPECT_EQ(address_text(asio::ip::make_address("::1")), "::1");
  EXPECT_EQ(address_text(asio::ip::make_address("2001:DB8:0:0::0:1")), "2001:db8::1");
}

TEST(AddressText, BracketsIpv6InEndpoints) {
  EXPECT_EQ(endpoint_text(asio::ip::make_address("10.1.2.3"), 9092), "10.1.2.3:9092");
  EXPECT_EQ(endpoint_text(asio::ip::make_address("::1"), 5432), "[::1]:5432");
  EXPECT_EQ(endpoint_text(asio::ip::make_address("0.0.0.0"), 65535), "0.0.0.0:65535");
}

TEST(AddressText, AppendsAfterWhatIsThere) {
  std::string out = "address=";
  append_address(out, asio::ip::make_address("192.0.2.4"));
  EXPECT_EQ(out, "address=192.0.2.4");
}

}  // namespace
}  // namespace plprobe
