// Loopback ports for tests.
//
// Every function takes a loopback address (127.0.0.0/8 or ::1) and throws
// std::invalid_argument for anything else: tests never touch other hosts.
// Socket failures throw std::system_error. All are thread-safe.
//
// The race: a port found "free" is free when the function returns; another
// process (or test) may bind it before the caller does. The kernel hands
// out port-0 ports in a moving sequence, so a reuse within the few
// milliseconds before the caller binds it is rare; a test that cannot
// tolerate that binds port 0 itself and asks for the port (all servers in
// this library do). ClosedTcpPort holds its port and has no race.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace plprobe::testing {

// A TCP port that nothing listens on right now (bind port 0, read, close).
std::uint16_t free_tcp_port(const char* address = "127.0.0.1");

// A port free for both TCP and UDP at once (a DNS server wants both).
std::uint16_t free_udp_tcp_port(const char* address = "127.0.0.1");

// A port where a TCP connect is refused (RST): bound without listen(), then
// closed. Same race as free_tcp_port(); prefer ClosedTcpPort.
std::uint16_t closed_tcp_port(const char* address = "127.0.0.1");

// Keeps a TCP socket bound without listen() for its lifetime: a connect to
// port() is refused (RST) and no one else can bind the port meanwhile.
// Owns one descriptor. Not copyable.
class ClosedTcpPort {
 public:
  explicit ClosedTcpPort(const char* address = "127.0.0.1");
  ~ClosedTcpPort();
  ClosedTcpPort(const ClosedTcpPort&) = delete;
  ClosedTcpPort& operator=(const ClosedTcpPort&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// True when a TCP connect to address:port completes within `timeout`
// (blocking; the connection is closed at once, so a listener there sees one
// accepted connection that ends without data).
bool tcp_port_open(const char* address, std::uint16_t port,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(200));

// True when this host can bind ::1 (containers often run without IPv6).
// Tests of IPv6 peers GTEST_SKIP() when it is false.
bool ipv6_loopback_available();

// Throws std::invalid_argument unless `address` parses and is loopback.
void require_loopback(const std::string& address);

}  // namespace plprobe::testing
