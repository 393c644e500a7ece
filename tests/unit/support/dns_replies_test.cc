#include "tests/support/dns_replies.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/listeners.h"
#include "tests/support/watchdog.h"

namespace plprobe::testing {
namespace {

using namespace std::chrono_literals;

// ID 0xabcd, RD, one question: example.test IN A, plus an OPT record.
const std::string kQuery = std::string(
    "\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01"
    "\x07" "example" "\x04" "test" "\x00"
    "\x00\x01\x00\x01"
    "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00",
    12 + 14 + 4 + 11);

TEST(DnsReply, ServfailKeepsTheIdAndQuestionAndDropsTheRest) {
  Watchdog watchdog(5s, "DnsReply.ServfailKeepsTheIdAndQuestionAndDropsTheRest");
  const auto reply = dns_reply_without_records(kQuery);
  ASSERT_TRUE(reply);
  const std::string expected = std::string(
      "\xab\xcd\x81\x82\x00\x01\x00\x00\x00\x00\x00\x00"
      "\x07" "example" "\x04" "test" "\x00"
      "\x00\x01\x00\x01",
      12 + 14 + 4);
  EXPECT_EQ(*reply, expected);
  EXPECT_EQ(dns_reply_without_records(kQuery, DnsRcode::name_error)->at(3), '\x83');
}

TEST(DnsReply, TruncatedRequestsGetNoReply) {
  Watchdog watchdog(5s, "DnsReply.TruncatedRequestsGetNoReply");
  for (std::size_t size : {0, 5, 12, 20, 29}) {
    EXPECT_FALSE(dns_reply_without_records(std::string_view(kQuery).substr(0, size))) << size;
  }
  EXPECT_EQ(dns_question_end(kQuery), 30u);
}

TEST(DnsReply, UdpResponderAnswersServfail) {
  Watchdog watchdog(5s, "DnsReply.UdpResponderAnswersServfail");
  UdpResponder responder([](std::string_view request) { return dns_reply_without_records(request); });
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const auto& peer = responder.endpoint();
  ::sendto(fd, kQuery.data(), kQuery.size(), 0, peer.data(), static_cast<socklen_t>(peer.size()));
  pollfd waiting{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&waiting, 1, 2000), 1);
  char buffer[512];
  const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
  ::close(fd);
  ASSERT_EQ(n, 30);
  EXPECT_EQ(buffer[3] & 0x0f, 2);
}

}  // namespace
}  // namespace plprobe::testing
