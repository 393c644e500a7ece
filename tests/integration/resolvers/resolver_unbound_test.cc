// The c-ares resolver against a real DNS server (unbound) on loopback.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "resolvers/resolver.h"
#include "tests/support/dns/unbound_server.h"

namespace plprobe::resolvers {
namespace {

using namespace std::chrono_literals;
using testing::TestZone;
using testing::UnboundServer;

class ResolverAgainstUnbound : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new UnboundServer({
        TestZone{"test.",
                 {"a 300 IN A 127.0.0.1", "a 300 IN A 127.0.0.2", "a 120 IN AAAA ::1", "alias 60 IN CNAME mid",
                  "mid 30 IN CNAME a", "dangling 60 IN CNAME noaddr", "noaddr 300 IN TXT \"nothing here\"",
                  "public 300 IN A 52.94.1.10", "private 300 IN A 10.0.1.17", "v6only 300 IN AAAA fd00:ec2::23"}},
        TestZone{"vpce.amazonaws.com.",
                 {"vpce-0good.vpce-svc-0abc.us-east-1 60 IN A 10.0.1.17",
                  "vpce-0bad.vpce-svc-0abc.us-east-1 60 IN A 52.94.1.10"}},
    });
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  Resolution resolve(const std::string& name, bool expect_private = false, Family family = Family::any,
                     std::chrono::milliseconds budget = 3s) {
    asio::io_context io;
    ResolverOptions options;
    options.servers = {*parse_dns_server(server_->address())};
    options.family = family;
    std::string error;
    auto resolver = Resolver::create(io, options, error);
    EXPECT_TRUE(resolver) << error;
    Resolution result;
    asio::co_spawn(
        io,
        [&]() -> awaitable<void> {
          Deadline deadline(io.get_executor(), budget);
          result = co_await resolver->resolve(name, deadline, expect_private);
        },
        asio::detached);
    io.run_for(10s);
    return result;
  }

  static std::set<std::string> addresses(const Resolution& result) {
    std::set<std::string> out;
    for (const auto& entry : result.addresses) out.insert(entry.address.to_string());
    return out;
  }

  static UnboundServer* server_;
};

UnboundServer* ResolverAgainstUnbound::server_ = nullptr;

TEST_F(ResolverAgainstUnbound, ReturnsEveryAAndAaaaWithTtlsAndTheServer) {
  auto result = resolve("a.test");
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(addresses(result), (std::set<std::string>{"127.0.0.1", "127.0.0.2", "::1"}));
  for (const auto& entry : result.addresses) {
    EXPECT_EQ(entry.ttl, entry.address.is_v4() ? 300u : 120u);
    EXPECT_EQ(entry.address_class, AddressClass::loopback);
  }
  EXPECT_EQ(result.server, server_->address());
  EXPECT_EQ(result.rcode_a, "NOERROR");
  EXPECT_EQ(result.rcode_aaaa, "NOERROR");
  EXPECT_EQ(result.source, "dns");
  EXPECT_TRUE(result.cname_chain.empty());
  EXPECT_GT(result.elapsed_ms, 0.0);
}

TEST_F(ResolverAgainstUnbound, FollowsACnameChainInOrder) {
  auto result = resolve("alias.test");
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.cname_chain, (std::vector<std::string>{"mid.test", "a.test"}));
  EXPECT_EQ(addresses(result).size(), 3u);
}

TEST_F(ResolverAgainstUnbound, NxdomainForANameThatDoesNotExist) {
  auto result = resolve("missing.test");
  EXPECT_EQ(result.outcome, Code::dns_nxdomain);
  EXPECT_EQ(result.rcode_a, "NXDOMAIN");
  EXPECT_NE(result.message.find("missing.test"), std::string::npos);
  EXPECT_FALSE(result.hint.empty());
}

TEST_F(ResolverAgainstUnbound, NodataForANameWithoutAddresses) {
  auto result = resolve("noaddr.test");
  EXPECT_EQ(result.outcome, Code::dns_nodata);
  EXPECT_EQ(result.rcode_a, "NOERROR");
  auto dangling = resolve("dangling.test");
  EXPECT_EQ(dangling.outcome, Code::dns_nodata);
  EXPECT_EQ(dangling.cname_chain, (std::vector<std::string>{"noaddr.test"}));
}

TEST_F(ResolverAgainstUnbound, RefusedWhenTheServerRefuses) {
  auto result = resolve("db.refused.test");
  EXPECT_EQ(result.outcome, Code::dns_refused);
  EXPECT_EQ(result.rcode_a, "REFUSED");
}

TEST_F(ResolverAgainstUnbound, ServfailWhenTheServerCannotAnswer) {
  auto result = resolve("db.outside.example");
  EXPECT_EQ(result.outcome, Code::dns_servfail) << result.message;
  EXPECT_EQ(result.rcode_a, "SERVFAIL");
}

TEST_F(ResolverAgainstUnbound, EndpointNameWithPublicAddressIsFlagged) {
  auto bad = resolve("vpce-0bad.vpce-svc-0abc.us-east-1.vpce.amazonaws.com");
  EXPECT_EQ(bad.outcome, Code::dns_public_address);
  EXPECT_NE(bad.message.find("52.94.1.10"), std::string::npos);
  auto good = resolve("vpce-0good.vpce-svc-0abc.us-east-1.vpce.amazonaws.com");
  EXPECT_EQ(good.outcome, Code::ok);
  ASSERT_EQ(good.addresses.size(), 1u);
  EXPECT_EQ(good.addresses[0].address_class, AddressClass::private_range);
}

TEST_F(ResolverAgainstUnbound, NamesMarkedPrivateMustNotBePublic) {
  EXPECT_EQ(resolve("public.test").outcome, Code::ok);
  EXPECT_EQ(resolve("public.test", /*expect_private=*/true).outcome, Code::dns_public_address);
  EXPECT_EQ(resolve("private.test", /*expect_private=*/true).outcome, Code::ok);
}

TEST_F(ResolverAgainstUnbound, FamilyRestrictsTheQuestionsAsked) {
  auto v4 = resolve("a.test", false, Family::v4);
  EXPECT_EQ(addresses(v4), (std::set<std::string>{"127.0.0.1", "127.0.0.2"}));
  EXPECT_TRUE(v4.rcode_aaaa.empty());
  auto v6 = resolve("v6only.test", false, Family::v6);
  EXPECT_EQ(v6.outcome, Code::ok);
  EXPECT_EQ(resolve("v6only.test", false, Family::v4).outcome, Code::dns_nodata);
}

TEST_F(ResolverAgainstUnbound, ManyConcurrentLookupsAllComplete) {
  asio::io_context io;
  ResolverOptions options;
  options.servers = {*parse_dns_server(server_->address())};
  std::string error;
  auto resolver = Resolver::create(io, options, error);
  ASSERT_TRUE(resolver) << error;
  const std::vector<std::string> names = {"a.test", "alias.test", "missing.test", "noaddr.test", "private.test"};
  std::map<Code, int> outcomes;
  int done = 0;
  for (int i = 0; i < 500; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> awaitable<void> {
          Deadline deadline(io.get_executor(), 5s);
          auto result = co_await resolver->resolve(names[static_cast<std::size_t>(i) % names.size()], deadline);
          ++outcomes[result.outcome];
          ++done;
        },
        asio::detached);
  }
  io.run_for(20s);
  EXPECT_EQ(done, 500);
  EXPECT_EQ(outcomes[Code::ok], 300);
  EXPECT_EQ(outcomes[Code::dns_nxdomain], 100);
  EXPECT_EQ(outcomes[Code::dns_nodata], 100);
}

}  // namespace
}  // namespace plprobe::resolvers
