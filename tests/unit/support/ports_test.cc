#include "tests/support/ports.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include <gtest/gtest.h>

#include "tests/support/listeners.h"
#include "tests/support/watchdog.h"
#include "tests/unit/support/clients.h"

namespace plprobe::testing {
namespace {

using namespace std::chrono_literals;

bool can_bind(int type, std::uint16_t port) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return bound;
}

TEST(Ports, FreeTcpPortCanBeBound) {
  Watchdog watchdog(5s, "Ports.FreeTcpPortCanBeBound");
  const auto port = free_tcp_port();
  EXPECT_NE(port, 0);
  EXPECT_TRUE(can_bind(SOCK_STREAM, port));
}

TEST(Ports, FreeUdpTcpPortCanBeBoundForBoth) {
  Watchdog watchdog(5s, "Ports.FreeUdpTcpPortCanBeBoundForBoth");
  const auto port = free_udp_tcp_port();
  EXPECT_TRUE(can_bind(SOCK_STREAM, port));
  EXPECT_TRUE(can_bind(SOCK_DGRAM, port));
}

TEST(Ports, ClosedTcpPortRefusesConnections) {
  Watchdog watchdog(5s, "Ports.ClosedTcpPortRefusesConnections");
  ClosedTcpPort closed;
  RawClient client(tcp::endpoint(asio::ip::make_address("127.0.0.1"), closed.port()));
  EXPECT_EQ(client.connect_error(), ECONNREFUSED);
  EXPECT_FALSE(tcp_port_open("127.0.0.1", closed.port()));
  EXPECT_FALSE(tcp_port_open("127.0.0.1", closed_tcp_port()));
}

TEST(Ports, TcpPortOpenSeesAListener) {
  Watchdog watchdog(5s, "Ports.TcpPortOpenSeesAListener");
  TcpListener listener(ListenerBehaviour::accept_and_close);
  EXPECT_TRUE(tcp_port_open("127.0.0.1", listener.port()));
}

TEST(Ports, RefuseAddressesOtherThanLoopback) {
  Watchdog watchdog(5s, "Ports.RefuseAddressesOtherThanLoopback");
  EXPECT_THROW(free_tcp_port("0.0.0.0"), std::invalid_argument);
  EXPECT_THROW(free_tcp_port("192.0.2.1"), std::invalid_argument);
  EXPECT_THROW(tcp_port_open("93.184.216.34", 80), std::invalid_argument);
  EXPECT_THROW(tcp_port_open("::ffff:127.0.0.1", 80), std::invalid_argument);
  EXPECT_THROW(ClosedTcpPort("localhost"), std::invalid_argument);
  EXPECT_NO_THROW(free_tcp_port("127.0.0.2"));
}

TEST(Ports, Ipv6LoopbackWorksWhereAvailable) {
  Watchdog watchdog(5s, "Ports.Ipv6LoopbackWorksWhereAvailable");
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no ::1 on this host";
  EXPECT_NE(free_tcp_port("::1"), 0);
  ClosedTcpPort closed("::1");
  EXPECT_FALSE(tcp_port_open("::1", closed.port()));
}

}  // namespace
}  // namespace plprobe::testing
