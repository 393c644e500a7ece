#include "bench/load/targets.h"

#include <charconv>

#include <fmt/core.h>

#include "common/deadline.h"
#include "resolvers/resolver.h"

namespace plprobe::bench {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view text, bool allow_zero) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || (value == 0 && !allow_zero) || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<BenchTarget> parse_target(const std::string& text, bool allow_range, std::string& error,
                                        bool allow_port_zero) {
  BenchTarget target;
  target.text = text;
  std::string_view rest = text;
  for (std::string_view scheme : {"tcp://", "tls://"}) {
    if (rest.substr(0, scheme.size()) == scheme) rest.remove_prefix(scheme.size());
  }
  std::string_view ports;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      error = fmt::format("'{}' is not [IPv6]:PORT", text);
      return std::nullopt;
    }
    target.host = std::string(rest.substr(1, close - 1));
    ports = rest.substr(close + 2);
  } else {
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      error = fmt::format("'{}' has no port: write HOST:PORT", text);
      return std::nullopt;
    }
    target.host = std::string(rest.substr(0, colon));
    ports = rest.substr(colon + 1);
  }
  auto dash = ports.find('-');
  auto low = parse_port(ports.substr(0, dash), allow_port_zero);
  auto high = dash == std::string_view::npos ? low : parse_port(ports.substr(dash + 1), false);
  if (!low || !high || *high < *low) {
    error = fmt::format("'{}': the port must be 1-65535{}", text, allow_range ? " (or a range LOW-HIGH)" : "");
    return std::nullopt;
  }
  if (dash != std::string_view::npos && !allow_range) {
    error = fmt::format("'{}': a port range is only for bench connect", text);
    return std::nullopt;
  }
  target.low_port = *low;
  target.high_port = *high;
  return target;
}

bool resolve_target(BenchTarget& target, std::string& error) {
  error_code ec;
  auto literal = asio::ip::make_address(target.host, ec);
  asio::ip::address address;
  if (!ec) {
    address = literal;
  } else {
    asio::io_context io;
    std::string create_error;
    auto resolver = resolvers::Resolver::create(io, {}, create_error);
    if (!resolver) {
      error = fmt::format("cannot resolve {}: {}", target.host, create_error);
      return false;
    }
    resolvers::Resolution resolution;
    Deadline deadline(io.get_executor(), std::chrono::seconds(5));
    asio::co_spawn(
        io, [&]() -> awaitable<void> { resolution = co_await resolver->resolve(target.host, deadline); },
        asio::detached);
    io.run();
    if (!resolution.ok() || resolution.addresses.empty()) {
      error = fmt::format("cannot resolve {}: {} ({})", target.host, resolution.message, name(resolution.outcome));
      return false;
    }
    address = resolution.addresses.front().address;
  }
  target.endpoints.clear();
  for (unsigned port = target.low_port; port <= target.high_port; ++port) {
    target.endpoints.emplace_back(address, static_cast<std::uint16_t>(port));
  }
  return true;
}

}  // namespace plprobe::bench
