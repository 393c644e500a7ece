#include "resolvers/address_class.h"

#include <gtest/gtest.h>

namespace plprobe::resolvers {
namespace {

struct Case {
  const char* address;
  AddressClass expected;
};

class ClassifyTest : public ::testing::TestWithParam<Case> {};

TEST_P(ClassifyTest, PutsTheAddressInItsRange) {
  const auto& param = GetParam();
  EXPECT_EQ(classify(asio::ip::make_address(param.address)), param.expected) << param.address;
}

INSTANTIATE_TEST_SUITE_P(
    Ranges, ClassifyTest,
    ::testing::Values(Case{"10.0.1.17", AddressClass::private_range}, Case{"10.255.255.255", AddressClass::private_range},
                      Case{"172.16.0.1", AddressClass::private_range}, Case{"172.31.255.254", AddressClass::private_range},
                      Case{"172.32.0.1", AddressClass::public_range}, Case{"172.15.255.255", AddressClass::public_range},
                      Case{"192.168.1.1", AddressClass::private_range}, Case{"100.64.0.1", AddressClass::shared},
                      Case{"100.127.255.255", AddressClass::shared}, Case{"100.128.0.1", AddressClass::public_range},
                      Case{"127.0.0.1", AddressClass::loopback}, Case{"127.255.0.9", AddressClass::loopback},
                      Case{"169.254.169.254", AddressClass::link_local}, Case{"52.94.1.10", AddressClass::public_range},
                      Case{"8.8.8.8", AddressClass::public_range}, Case{"0.0.0.0", AddressClass::reserved},
                      Case{"192.0.2.1", AddressClass::reserved}, Case{"203.0.113.9", AddressClass::reserved},
                      Case{"224.0.0.1", AddressClass::reserved}, Case{"255.255.255.255", AddressClass::reserved},
                      Case{"::1", AddressClass::loopback}, Case{"fe80::1", AddressClass::link_local},
                      Case{"fd00:ec2::23", AddressClass::private_range}, Case{"fc00::1", AddressClass::private_range},
                      Case{"2600:1f18::1", AddressClass::public_range}, Case{"2001:db8::1", AddressClass::reserved},
                      Case{"::", AddressClass::reserved}, Case{"ff02::1", AddressClass::reserved},
                      Case{"::ffff:10.1.2.3", AddressClass::private_range},
                      Case{"::ffff:52.94.1.10", AddressClass::public_range}));

TEST(AddressClassNames, AreTheDocumentedWords) {
  EXPECT_EQ(to_string(AddressClass::private_range), "private");
  EXPECT_EQ(to_string(AddressClass::public_range), "public");
  EXPECT_EQ(to_string(AddressClass::link_local), "link-local");
}

TEST(PrivateEndpointNames, RecogniseAwsEndpointAndLatticeNames) {
  EXPECT_TRUE(is_private_endpoint_name("vpce-0abc-1234.vpce-svc-0def.us-east-1.vpce.amazonaws.com"));
  EXPECT_TRUE(is_private_endpoint_name("VPCE-0ABC.vpce-svc-0def.us-east-1.VPCE.AMAZONAWS.COM."));
  EXPECT_TRUE(is_private_endpoint_name("rcfg-0123.resource-endpoints.us-east-1.on.aws"));
  EXPECT_FALSE(is_private_endpoint_name("vpce.amazonaws.com"));
  EXPECT_FALSE(is_private_endpoint_name("notvpce.amazonaws.com"));
  EXPECT_FALSE(is_private_endpoint_name("b-1.cluster.kafka.us-east-1.amazonaws.com"));
  EXPECT_FALSE(is_private_endpoint_name("example.won.aws"));
}

}  // namespace
}  // namespace plprobe::resolvers
