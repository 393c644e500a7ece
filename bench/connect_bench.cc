// plprobe_connect_bench: the two sides of the connect-rate benchmark
// (bench/connect_rate.sh), written as plainly as possible so it measures
// the kernel, not a framework.
//
//   plprobe_connect_bench listen LO HI
//       binds and listens on 127.0.0.1 ports LO..HI (never accepts: the
//       kernel completes handshakes into the backlog), prints "ready", and
//       holds them until standard input closes.
//   plprobe_connect_bench connect LO HI [CONCURRENCY] [PASSES]
//       the ceiling: a bare non-blocking connect loop on one epoll, each
//       socket closed with RST as soon as its connect completes or fails,
//       over the ports PASSES times (default 1); prints one line of JSON
//       with the counts and the rate.
//
// Loopback only; ports must stay below 32768 (the kernel's own ephemeral
// ports start there).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

void raise_descriptor_limit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

int listen_on(int low, int high) {
  raise_descriptor_limit();
  std::vector<int> sockets;
  for (int port = low; port <= high; ++port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    auto address = loopback(port);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(fd, 128) != 0) {
      std::fprintf(stderr, "cannot listen on 127.0.0.1:%d: %s\n", port, std::strerror(errno));
      return 1;
    }
    sockets.push_back(fd);
  }
  std::printf("ready\n");
  std::fflush(stdout);
  char buffer[64];
  while (read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
  }
  for (int fd : sockets) close(fd);
  return 0;
}

int connect_loop(int low, int high, int concurrency, int passes) {
  raise_descriptor_limit();
  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  int next = low, in_flight = 0, open = 0, refused = 0, other = 0;
  const int range = high - low + 1;
  long remaining = static_cast<long>(range) * passes;
  const linger abort_on_close{1, 0};
  const auto started = std::chrono::steady_clock::now();
  auto start_one = [&] {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    auto address = loopback(next++);
    if (next > high) next = low;
    --remaining;
    if (fd < 0) {  // out of descriptors or memory: count it, never wait for it
      ++other;
      return;
    }
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
      ++open;
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
      close(fd);
      return;
    }
    epoll_event event{};
    event.events = EPOLLOUT;
    event.data.fd = fd;
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) != 0) {
      ++other;
      close(fd);
      return;
    }
    ++in_flight;
  };
  std::vector<epoll_event> events(1024);
  while (remaining > 0 || in_flight > 0) {
    while (remaining > 0 && in_flight < concurrency) start_one();
    const int ready = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 1000);
    for (int i = 0; i < ready; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      int error = 0;
      socklen_t length = sizeof error;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
      if (error == 0) ++open;
      else if (error == ECONNREFUSED) ++refused;
      else ++other;
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
      close(fd);  // also removes it from the epoll set
      --in_flight;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("{\"tool\":\"bare-connect-loop\",\"open\":%d,\"refused\":%d,\"other\":%d,\"seconds\":%.4f,\"connects_per_s\":%.0f}\n",
              open, refused, other, seconds, (open + refused + other) / seconds);
  close(epoll);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::string_view(argv[1]) == "listen") return listen_on(std::atoi(argv[2]), std::atoi(argv[3]));
  if (argc >= 4 && std::string_view(argv[1]) == "connect") {
    return connect_loop(std::atoi(argv[2]), std::atoi(argv[3]), argc >= 5 ? std::atoi(argv[4]) : 256,
                        argc >= 6 ? std::max(1, std::atoi(argv[5])) : 1);
  }
  std::fprintf(stderr, "usage: plprobe_connect_bench listen LO HI | connect LO HI [CONCURRENCY] [PASSES]\n");
  return 2;
}
