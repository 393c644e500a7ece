#include "validator/capacity.h"

#include <gtest/gtest.h>

#include "tests/unit/validator/fixtures.h"

namespace plprobe::validator {
namespace {

using testing::fixture;
using testing::files_of;

TEST(GatewayCapacity, UsesTheGatewaySubnetsAndTheirInterfacesAndReservations) {
  auto evidence = load_evidence(files_of("vpc_resource/healthy"));
  auto reports = subnet_reports(evidence);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_TRUE(reports[0].in_gateway);
  ASSERT_TRUE(reports[0].capacity);
  // 10.0.1.0/24: reserved + .10 (block 0), .20 (block 1), prefix .32/28
  // (block 2), reservation .64/28 (block 4), broadcast (block 15).
  EXPECT_EQ(reports[0].capacity->used, 39u);
  EXPECT_EQ(reports[0].capacity->free_28_blocks, 11u);
  EXPECT_EQ(reports[0].network_interfaces, 2u);
  EXPECT_EQ(reports[0].reservations, 1u);
  ASSERT_TRUE(reports[1].capacity);
  EXPECT_EQ(reports[1].capacity->free_28_blocks, 12u);
  EXPECT_EQ(gateway_capacity(reports), 11u);
}

TEST(GatewayCapacity, FragmentedSubnetLimitsTheGatewayToZero) {
  auto evidence = load_evidence(files_of("vpc_resource/healthy", {"network-interfaces.json"},
                                         {"vpc_resource/cases/network-interfaces-fragmented.json"}));
  auto reports = subnet_reports(evidence);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[1].capacity->free_28_blocks, 0u);
  EXPECT_EQ(reports[1].capacity->free_addresses, 222u);
  EXPECT_EQ(gateway_capacity(reports), 0u);
}

TEST(GatewayCapacity, WithoutAGatewayEverySubnetIsReported) {
  auto evidence = load_evidence({fixture("vpc_resource/healthy/subnets.json")});
  auto reports = subnet_reports(evidence);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_FALSE(reports[0].in_gateway);
  EXPECT_EQ(reports[0].capacity->free_28_blocks, 14u);  // upper bound: nothing else known
}

TEST(GatewayCapacity, MissingSubnetHasNoCapacity) {
  auto evidence = load_evidence(files_of("vpc_resource/healthy", {"resource-gateway.json"},
                                         {"vpc_resource/cases/gateway-extra-subnet.json"}));
  auto reports = subnet_reports(evidence);
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports[2].subnet, nullptr);
  EXPECT_FALSE(reports[2].capacity);
  EXPECT_EQ(gateway_capacity(reports), 11u);
}

}  // namespace
}  // namespace plprobe::validator
