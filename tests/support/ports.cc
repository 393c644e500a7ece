#include "tests/support/ports.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace plprobe::testing {
namespace {

// A sockaddr for a loopback address, or std::invalid_argument.
struct LoopbackAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNSPEC;

  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
  void set_port(std::uint16_t port) {
    if (family == AF_INET) {
      reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
    } else {
      reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
    }
  }
};

LoopbackAddress parse_loopback(const char* address) {
  LoopbackAddress result;
  in_addr v4{};
  in6_addr v6{};
  if (address != nullptr && ::inet_pton(AF_INET, address, &v4) == 1) {
    // 127.0.0.0/8, RFC 1122 §3.2.1.3 (g).
    if ((ntohl(v4.s_addr) >> 24) == 127) {
      auto* in = reinterpret_cast<sockaddr_in*>(&result.storage);
      in->sin_family = AF_INET;
      in->sin_addr = v4;
      result.family = AF_INET;
      result.length = sizeof(sockaddr_in);
      return result;
    }
  } else if (address != nullptr && ::inet_pton(AF_INET6, address, &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) {
      auto* in = reinterpret_cast<sockaddr_in6*>(&result.storage);
      in->sin6_family = AF_INET6;
      in->sin6_addr = v6;
      result.family = AF_INET6;
      result.length = sizeof(sockaddr_in6);
      return result;
    }
  }
  throw std::invalid_argument(fmt::format("not a loopback address: {}", address ? address : "(null)"));
}

class Socket {
 public:
  Socket(int family, int type) : fd_(::socket(family, type | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::uint16_t bound_port(int fd) {
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    throw std::system_error(errno, std::generic_category(), "getsockname");
  }
  if (bound.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
}

// Binds a socket of `type` to address:port; false on EADDRINUSE.
bool try_bind(Socket& socket, LoopbackAddress address, std::uint16_t port) {
  address.set_port(port);
  if (::bind(socket.get(), address.get(), address.length) == 0) return true;
  if (errno == EADDRINUSE) return false;
  throw std::system_error(errno, std::generic_category(), "bind");
}

}  // namespace

void require_loopback(const std::string& address) { parse_loopback(address.c_str()); }

std::uint16_t free_tcp_port(const char* address) {
  auto loopback = parse_loopback(address);
  Socket socket(loopback.family, SOCK_STREAM);
  try_bind(socket, loopback, 0);
  return bound_port(socket.get());
}

std::uint16_t free_udp_tcp_port(const char* address) {
  auto loopback = parse_loopback(address);
  // The kernel picks TCP and UDP ports independently; a TCP port is free
  // for UDP too nearly always, so a few tries suffice.
  for (int attempt = 0; attempt < 64; ++attempt) {
    Socket tcp(loopback.family, SOCK_STREAM);
    try_bind(tcp, loopback, 0);
    const std::uint16_t port = bound_port(tcp.get());
    Socket udp(loopback.family, SOCK_DGRAM);
    if (try_bind(udp, loopback, port)) return port;
  }
  throw std::runtime_error("free_udp_tcp_port: no port free for both TCP and UDP after 64 tries");
}

std::uint16_t closed_tcp_port(const char* address) { return ClosedTcpPort(address).port(); }

ClosedTcpPort::ClosedTcpPort(const char* address) {
  auto loopback = parse_loopback(address);
  Socket socket(loopback.family, SOCK_STREAM);
  try_bind(socket, loopback, 0);
  port_ = bound_port(socket.get());
  fd_ = socket.release();
}

ClosedTcpPort::~ClosedTcpPort() {
  if (fd_ >= 0) ::close(fd_);
}

bool tcp_port_open(const char* address, std::uint16_t port, std::chrono::milliseconds timeout) {
  auto loopback = parse_loopback(address);
  loopback.set_port(port);
  Socket socket(loopback.family, SOCK_STREAM | SOCK_NONBLOCK);
  if (::connect(socket.get(), loopback.get(), loopback.length) == 0) return true;
  if (errno != EINPROGRESS) return false;
  pollfd waiting{socket.get(), POLLOUT, 0};
  int ready = 0;
  do {
    ready = ::poll(&waiting, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return false;
  int error = 0;
  socklen_t length = sizeof(error);
  if (::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) return false;
  return error == 0;
}

bool ipv6_loopback_available() {
  static const bool available = [] {
    const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    ::close(fd);
    return bound;
  }();
  return available;
}

}  // namespace plprobe::testing
