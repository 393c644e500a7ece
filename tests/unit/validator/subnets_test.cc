#include "validator/subnets.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace plprobe::validator {
namespace {

std::uint32_t ip(const char* text) {
  auto parsed = parse_ipv4(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(0);
}

Ipv4Cidr cidr(const char* text) {
  auto parsed = Ipv4Cidr::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Ipv4Cidr{});
}

struct Case {
  const char* name;
  const char* subnet;
  std::vector<const char*> addresses;
  std::vector<const char*> prefixes;
  std::vector<const char*> reservations;
  std::uint64_t used;
  std::uint64_t free_28_blocks;
  std::uint64_t ignored_outside = 0;
};

// Block numbers below are /28 blocks of the subnet: block 0 holds the
// network address and the next three AWS-reserved ones, the last block the
// broadcast address, so those two are never free.
const Case kCases[] = {
    {"EmptySlash24KeepsAllButTheTwoEdgeBlocks", "10.0.0.0/24", {}, {}, {}, 5, 14},
    {"Slash28NeverHasAFreeBlock", "10.0.0.0/28", {}, {}, {}, 5, 0},
    {"Slash27NeverHasAFreeBlockEither", "10.0.0.0/27", {}, {}, {}, 5, 0},
    {"Slash26HasTwoFreeBlocks", "10.0.0.0/26", {}, {}, {}, 5, 2},
    {"AddressInFirstBlockCostsNoBlock", "10.0.0.0/24", {"10.0.0.4"}, {}, {}, 6, 14},
    {"AddressInLastBlockCostsNoBlock", "10.0.0.0/24", {"10.0.0.254"}, {}, {}, 6, 14},
    {"AddressOnBlockBoundaryTakesThatBlock", "10.0.0.0/24", {"10.0.0.16"}, {}, {}, 6, 13},
    {"AddressAtBlockEndTakesThatBlock", "10.0.0.0/24", {"10.0.0.31"}, {}, {}, 6, 13},
    {"DuplicateAddressesCountOnce", "10.0.0.0/24", {"10.0.0.20", "10.0.0.20", "10.0.0.21"}, {}, {}, 7, 13},
    {"FragmentedSubnetHasManyFreeAddressesButNoBlock",
     "10.0.0.0/24",
     {"10.0.0.17", "10.0.0.33", "10.0.0.49", "10.0.0.65", "10.0.0.81", "10.0.0.97", "10.0.0.113", "10.0.0.129",
      "10.0.0.145", "10.0.0.161", "10.0.0.177", "10.0.0.193", "10.0.0.209", "10.0.0.225"},
     {},
     {},
     19,
     0},
    {"PrefixTakesItsWholeBlock", "10.0.0.0/24", {}, {"10.0.0.48/28"}, {}, 21, 13},
    {"ReservationTakesEveryBlockItCovers", "10.0.0.0/24", {}, {}, {"10.0.0.128/25"}, 132, 7},
    {"OverlapsAreCountedOnce", "10.0.0.0/24", {"10.0.0.70"}, {"10.0.0.64/28"}, {"10.0.0.64/27"}, 37, 12},
    {"ItemsOutsideTheSubnetAreIgnored", "10.0.0.0/24", {"10.0.1.5"}, {"10.0.2.0/28"}, {}, 5, 14, 2},
    {"ReservationWiderThanTheSubnetIsClipped", "10.0.0.0/24", {}, {}, {"10.0.0.0/23"}, 256, 0},
    {"EmptySlash16", "10.1.0.0/16", {}, {}, {}, 5, 4094},
    {"Slash16WithPrefixesAndReservations",
     "10.1.0.0/16",
     {"10.1.0.10"},
     {"10.1.1.0/28", "10.1.1.16/28"},
     {"10.1.128.0/17"},
     5 + 1 + 32 + 32768 - 1,  // the broadcast address lies inside the reservation
     2048 - 1 - 2},
};

class SubnetCapacityTable : public ::testing::TestWithParam<Case> {};

TEST_P(SubnetCapacityTable, CountsUsedAddressesAndFreeAlignedBlocks) {
  const Case& c = GetParam();
  SubnetUsage usage;
  usage.subnet_id = "subnet-test";
  usage.cidr = cidr(c.subnet);
  for (const char* a : c.addresses) usage.addresses.push_back(ip(a));
  for (const char* p : c.prefixes) usage.prefixes.push_back(cidr(p));
  for (const char* r : c.reservations) usage.reservations.push_back(cidr(r));
  auto capacity = compute_capacity(usage);
  EXPECT_EQ(capacity.size, usage.cidr.size());
  EXPECT_EQ(capacity.used, c.used);
  EXPECT_EQ(capacity.free_addresses, capacity.size - c.used);
  EXPECT_EQ(capacity.free_28_blocks, c.free_28_blocks);
  EXPECT_EQ(capacity.ignored_outside, c.ignored_outside);
  EXPECT_EQ(capacity.aws_reserved, 5u);
}

INSTANTIATE_TEST_SUITE_P(Table, SubnetCapacityTable, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& param_info) { return std::string(param_info.param.name); });

TEST(SubnetCapacity, Slash16WithSixtyThousandContiguousAddresses) {
  SubnetUsage usage;
  usage.cidr = cidr("10.2.0.0/16");
  for (std::uint32_t i = 0; i < 60000; ++i) usage.addresses.push_back(usage.cidr.base + 4 + i);
  auto capacity = compute_capacity(usage);
  EXPECT_EQ(capacity.used, 60005u);  // 4 reserved + 60,000 + broadcast
  EXPECT_EQ(capacity.free_addresses, 65536u - 60005u);
  // Offsets 0..60003 fill blocks 0..3750; the broadcast takes block 4095.
  EXPECT_EQ(capacity.free_28_blocks, 4095u - 3751u);
}

// Speed is measured by bench/micro/subnets_bench.cc, not asserted here.
TEST(SubnetCapacity, Slash16WithSixtyThousandScatteredAddresses) {
  SubnetUsage usage;
  usage.cidr = cidr("10.3.0.0/16");
  // 15 of every 16 addresses in blocks 0..3999, shuffled order (reverse).
  for (std::uint32_t block = 4000; block-- > 0;) {
    for (std::uint32_t offset = 0; offset < 15; ++offset) usage.addresses.push_back(usage.cidr.base + block * 16 + offset);
  }
  ASSERT_EQ(usage.addresses.size(), 60000u);
  auto capacity = compute_capacity(usage);
  EXPECT_EQ(capacity.used, 60001u);  // reserved .0-.3 are among them; + broadcast
  EXPECT_EQ(capacity.free_addresses, 5535u);
  EXPECT_EQ(capacity.free_28_blocks, 95u);  // blocks 4000..4094
}

TEST(Ipv4Parsing, AcceptsDottedQuadsOnly) {
  EXPECT_EQ(parse_ipv4("10.0.1.17"), 0x0a000111u);
  EXPECT_EQ(parse_ipv4("255.255.255.255"), 0xffffffffu);
  EXPECT_EQ(parse_ipv4("0.0.0.0"), 0u);
  for (const char* bad : {"", "256.1.1.1", "1.2.3", "1.2.3.4.5", " 1.2.3.4", "1.2.3.4 ", "1..2.3", "a.b.c.d",
                          "1.2.3.4/32", "1234.1.1.1", "::1"}) {
    EXPECT_FALSE(parse_ipv4(bad).has_value()) << bad;
  }
  EXPECT_EQ(format_ipv4(0x0a000111u), "10.0.1.17");
}

TEST(Ipv4Parsing, CidrNeedsAPrefixAndClearHostBits) {
  auto parsed = Ipv4Cidr::parse("10.0.1.0/24");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->size(), 256u);
  EXPECT_EQ(format_ipv4(parsed->last()), "10.0.1.255");
  EXPECT_EQ(parsed->to_string(), "10.0.1.0/24");
  EXPECT_EQ(Ipv4Cidr::parse("0.0.0.0/0")->size(), 1ull << 32);
  for (const char* bad : {"10.0.1.5/24", "10.0.1.0", "10.0.1.0/33", "10.0.1.0/", "10.0.1.0/2x", "10.0.1.0/024"}) {
    EXPECT_FALSE(Ipv4Cidr::parse(bad).has_value()) << bad;
  }
}

TEST(SubnetCapacity, WholeAddressSpaceDoesNotOverflow) {
  SubnetUsage usage;
  usage.cidr = cidr("0.0.0.0/0");
  usage.addresses.push_back(0xffffffffu);
  auto capacity = compute_capacity(usage);
  EXPECT_EQ(capacity.size, 1ull << 32);
  EXPECT_EQ(capacity.used, 5u);
  EXPECT_EQ(capacity.free_28_blocks, (1ull << 28) - 2);
}

}  // namespace
}  // namespace plprobe::validator
