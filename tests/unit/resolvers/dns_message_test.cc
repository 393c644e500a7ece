#include "resolvers/dns_message.h"

#include <gtest/gtest.h>

#include "tests/unit/resolvers/dns_wire.h"

namespace plprobe::resolvers {
namespace {

using namespace testing;

std::optional<std::vector<CnameHop>> chain_of(const std::string& message) {
  return read_cname_chain(reinterpret_cast<const unsigned char*>(message.data()), message.size());
}

TEST(CnameChain, FollowsRecordsFromTheQuestionNameInOrder) {
  std::string message = header(7, 0x8180, 1, 3) + question("alias.test", 1);
  // Out of order on purpose: the walker orders by following the chain.
  message += record("mid.test", 5, 30, encode_name("a.test"));
  message += record("alias.test", 5, 60, encode_name("mid.test"));
  message += record("a.test", 1, 300, std::string("\x7f\x00\x00\x01", 4));
  auto chain = chain_of(message);
  ASSERT_TRUE(chain);
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_EQ((*chain)[0].owner, "alias.test");
  EXPECT_EQ((*chain)[0].target, "mid.test");
  EXPECT_EQ((*chain)[0].ttl, 60u);
  EXPECT_EQ((*chain)[1].target, "a.test");
}

TEST(CnameChain, EmptyWithoutCnames) {
  std::string message = header(7, 0x8180, 1, 1) + question("a.test", 1) +
                        record("a.test", 1, 300, std::string("\x7f\x00\x00\x01", 4));
  auto chain = chain_of(message);
  ASSERT_TRUE(chain);
  EXPECT_TRUE(chain->empty());
}

TEST(CnameChain, StopsOnALoopInsteadOfSpinning) {
  std::string message = header(7, 0x8180, 1, 2) + question("x.test", 1);
  message += record("x.test", 5, 1, encode_name("y.test"));
  message += record("y.test", 5, 1, encode_name("x.test"));
  auto chain = chain_of(message);
  ASSERT_TRUE(chain);
  EXPECT_EQ(chain->size(), 2u);
}

TEST(CnameChain, RejectsTruncatedAndLyingMessages) {
  std::string good = header(7, 0x8180, 1, 1) + question("alias.test", 1) +
                     record("alias.test", 5, 60, encode_name("a.test"));
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(chain_of(good.substr(0, cut)).has_value()) << "cut at " << cut;
  }
  std::string too_many_answers = header(7, 0x8180, 1, 9) + question("alias.test", 1) +
                                 record("alias.test", 5, 60, encode_name("a.test"));
  EXPECT_FALSE(chain_of(too_many_answers).has_value());
  std::string pointer_loop = header(7, 0x8180, 1, 0) + std::string("\xc0\x0c", 2);
  EXPECT_FALSE(chain_of(pointer_loop).has_value());
  std::string two_questions = header(7, 0x8180, 2, 0) + question("a.test", 1) + question("b.test", 1);
  EXPECT_FALSE(chain_of(two_questions).has_value());
  std::string rdata_overrun = header(7, 0x8180, 1, 1) + question("alias.test", 1) +
                              record("alias.test", 5, 60, encode_name("a.test") + "junk");
  EXPECT_FALSE(chain_of(rdata_overrun).has_value()) << "CNAME rdata must be exactly one name";
  EXPECT_FALSE(read_cname_chain(nullptr, 0).has_value());
  std::string short_address = header(7, 0x8180, 1, 1) + question("a.test", 1) +
                              record("a.test", 1, 60, std::string("\x0a\x00\x01", 3));
  EXPECT_FALSE(chain_of(short_address).has_value()) << "an A record must hold 4 bytes";
  std::string short_v6 = header(7, 0x8180, 1, 1) + question("a.test", 28) + record("a.test", 28, 60, std::string(15, '\0'));
  EXPECT_FALSE(chain_of(short_v6).has_value()) << "an AAAA record must hold 16 bytes";
}

TEST(CnameChain, TreatsTtlsWithTheTopBitAsZero) {
  std::string message = header(7, 0x8180, 1, 1) + question("alias.test", 1) +
                        record("alias.test", 5, 0x80000001u, encode_name("a.test"));
  auto chain = chain_of(message);
  ASSERT_TRUE(chain);
  ASSERT_EQ(chain->size(), 1u);
  EXPECT_EQ((*chain)[0].ttl, 0u);
}

}  // namespace
}  // namespace plprobe::resolvers
