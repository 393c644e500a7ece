#include "tests/support/dns/unbound_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "tests/support/ports.h"

namespace plprobe::testing {
namespace {

constexpr const char* kUnbound = "/usr/sbin/unbound";

// Sends one A query for `name` over UDP and waits up to `wait` for any answer.
bool answers(std::uint16_t port, const std::string& name, std::chrono::milliseconds wait) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(port);
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string query("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);  // RD, one question
  std::size_t start = 0;
  while (start <= name.size()) {
    auto dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    if (dot > start) {
      query.push_back(static_cast<char>(dot - start));
      query.append(name, start, dot - start);
    }
    start = dot + 1;
  }
  query.append(std::string("\x00\x00\x01\x00\x01", 5));
  bool answered = false;
  if (::sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&server), sizeof server) > 0) {
    pollfd wait_for{fd, POLLIN, 0};
    if (::poll(&wait_for, 1, static_cast<int>(wait.count())) == 1) {
      char buffer[512];
      answered = ::recv(fd, buffer, sizeof buffer, 0) >= 12;
    }
  }
  ::close(fd);
  return answered;
}

}  // namespace

bool unbound_available() { return ::access(kUnbound, X_OK) == 0; }

UnboundServer::UnboundServer(std::vector<TestZone> zones) : dir_("plprobe-unbound-") {
  if (zones.empty()) throw std::invalid_argument("UnboundServer needs at least one zone");
  std::string zone_config;
  for (std::size_t i = 0; i < zones.size(); ++i) {
    auto& zone = zones[i].name;
    if (zone.empty() || zone.back() != '.') zone += '.';
    std::string zone_file = fmt::format(
        "$ORIGIN {0}\n$TTL 300\n@ 300 IN SOA ns.{0} admin.{0} 1 3600 600 86400 300\n@ 300 IN NS ns.{0}\n"
        "ns 300 IN A 127.0.0.1\n",
        zone);
    for (const auto& line : zones[i].records) zone_file += line + "\n";
    const auto file = dir_.write(fmt::format("zone{}.db", i), zone_file);
    // nodefault: unbound serves some names (test., invalid., ...) itself
    // per RFC 6761 unless told not to.
    zone_config += fmt::format("  local-zone: \"{}\" nodefault\n", zone);
    zone_config += fmt::format("auth-zone:\n  name: \"{}\"\n  zonefile: \"{}\"\n  for-downstream: yes\n  for-upstream: yes\nserver:\n",
                               zone, file.string());
  }
  const std::string& first_zone = zones.front().name;

  // The port is found free and then handed to unbound (it cannot bind port
  // 0 and say which it got); on the rare collision, try another.
  std::string last_log;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_udp_tcp_port();
    const std::string config = fmt::format(R"(server:
  interface: 127.0.0.1@{port}
  outgoing-interface: 127.0.0.2
  do-ip6: no
  username: ""
  chroot: ""
  directory: "{dir}"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  num-threads: 1
  so-reuseport: no
  module-config: "iterator"
  do-not-query-localhost: no
  access-control: 127.0.0.1/32 allow
  access-control: 127.0.0.2/32 refuse
  local-zone: "refused.{zone}" always_refuse
{zones}forward-zone:
  name: "."
  forward-addr: 127.0.0.1@{port}
remote-control:
  control-enable: no
)",
                                           fmt::arg("port", port_), fmt::arg("dir", dir_.path().string()),
                                           fmt::arg("zone", first_zone), fmt::arg("zones", zone_config));
    dir_.write("unbound.conf", config);
    ProcessOptions options;
    options.argv = {kUnbound, "-d", "-c", dir_.file("unbound.conf").string()};
    options.log_file = dir_.file(fmt::format("unbound-{}.log", attempt));
    process_ = std::make_unique<ChildProcess>(options);
    const bool ready = wait_until(
        [&] { return !process_->running() || answers(port_, "ns." + first_zone, std::chrono::milliseconds(100)); },
        std::chrono::seconds(10));
    if (ready && process_->running()) return;
    last_log = process_->log();
    process_->stop();
  }
  throw std::runtime_error("unbound did not start: " + last_log);
}

UnboundServer::~UnboundServer() {
  if (process_) process_->stop();
}

std::string UnboundServer::address() const { return fmt::format("127.0.0.1:{}", port_); }

std::string UnboundServer::log() const { return process_ ? process_->log() : std::string(); }

}  // namespace plprobe::testing
