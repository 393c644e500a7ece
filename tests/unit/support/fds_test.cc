#include "tests/support/fds.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/certs.h"
#include "tests/support/listeners.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tls_server.h"
#include "tests/support/watchdog.h"
#include "tests/unit/support/clients.h"

namespace plprobe::testing {
namespace {

using namespace std::chrono_literals;

TEST(OpenDescriptorCount, CountsOpenAndClosedDescriptors) {
  Watchdog watchdog(5s, "OpenDescriptorCount.CountsOpenAndClosedDescriptors");
  const auto before = open_descriptor_count();
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(open_descriptor_count(), before + 1);
  ::close(fd);
  EXPECT_EQ(open_descriptor_count(), before);
}

TEST(ScopedFdLimit, LowersTheSoftLimitAndRestoresIt) {
  Watchdog watchdog(5s, "ScopedFdLimit.LowersTheSoftLimitAndRestoresIt");
  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &before), 0);
  {
    ScopedFdLimit limit(open_descriptor_count() + 64);
    rlimit during{};
    ::getrlimit(RLIMIT_NOFILE, &during);
    EXPECT_EQ(during.rlim_cur, limit.soft());
    EXPECT_EQ(during.rlim_max, before.rlim_max);
  }
  rlimit after{};
  ::getrlimit(RLIMIT_NOFILE, &after);
  EXPECT_EQ(after.rlim_cur, before.rlim_cur);
}

TEST(ScopedFdLimit, MakesNewDescriptorsFailWithEmfile) {
  Watchdog watchdog(5s, "ScopedFdLimit.MakesNewDescriptorsFailWithEmfile");
  const int lowest_free = ::dup(0);
  ::close(lowest_free);
  ScopedFdLimit limit(static_cast<rlim_t>(lowest_free));
  errno = 0;
  EXPECT_LT(::socket(AF_INET, SOCK_STREAM, 0), 0);
  EXPECT_EQ(errno, EMFILE);
}

TEST(ScopedFdLimit, ClampsARequestAboveTheHardLimit) {
  Watchdog watchdog(5s, "ScopedFdLimit.ClampsARequestAboveTheHardLimit");
  rlimit before{};
  ::getrlimit(RLIMIT_NOFILE, &before);
  if (before.rlim_max == RLIM_INFINITY) GTEST_SKIP() << "no hard limit";
  ScopedFdLimit limit(before.rlim_max + 1000);
  EXPECT_EQ(limit.soft(), before.rlim_max);
}

// Every peer of this library, used once and destroyed: the process is left
// with exactly the descriptors it had (no leaked socket, epoll, eventfd,
// timer, pipe or log file; no thread either, or a join would hang).
void use_every_peer_once(const IssuedCert& leaf) {
  TlsServerOptions tls;
  tls.certificate_chain_pem = leaf.chain_pem;
  tls.private_key_pem = leaf.private_key_pem;
  tls.after_handshake = TlsServerOptions::After::hold;
  TlsServer tls_server(tls);
  TlsClient tls_client({});
  ASSERT_FALSE(tls_client.connect_and_handshake(tls_server.endpoint()));

  TcpListener hold(ListenerBehaviour::accept_and_hold);
  RawClient held(hold.endpoint());
  TcpListener reset(ListenerBehaviour::accept_and_reset);
  RawClient was_reset(reset.endpoint());
  ScriptedListener scripted([](tcp::socket&) -> awaitable<void> { co_return; });
  RawClient scripted_client(scripted.endpoint());

  UdpResponder responder([](std::string_view request) { return std::optional<std::string>(request); });
  SilentUdpServer silent;

  ChildProcess child({"/bin/sleep", "30"});
  const auto result = run_command({"/bin/echo", "hello"}, 2s);
  ASSERT_EQ(result.out, "hello\n");
  TempDir dir;
  dir.write("file", "contents");
  ASSERT_TRUE(wait_until([&] { return hold.accepted() == 1 && tls_server.handshakes_completed() == 1; }, 2s));
}

TEST(OpenDescriptorCount, ReturnsToItsStartAfterPeersAreDestroyed) {
  Watchdog watchdog(20s, "OpenDescriptorCount.ReturnsToItsStartAfterPeersAreDestroyed");
  const auto ca = CertificateAuthority::create("plprobe test CA");
  LeafSpec spec;
  spec.dns_names = {"localhost"};
  const auto leaf = ca.issue(spec);
  // One round first: libraries open what they keep for the process's life
  // (OpenSSL's random source, glibc's /proc handle) on first use.
  use_every_peer_once(leaf);
  const auto before = open_descriptor_count();
  for (int round = 0; round < 3; ++round) use_every_peer_once(leaf);
  EXPECT_EQ(open_descriptor_count(), before);
}

}  // namespace
}  // namespace plprobe::testing
