#include "probes/target.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "common/address_text.h"
#include "common/asio.h"
#include "probes/protocol.h"
#include "resolvers/resolver.h"

namespace plprobe::probes {
std::string accepted_forms() {
  std::string forms;
  for (const auto& scheme : schemes()) {
    if (!forms.empty()) forms += ", ";
    forms += scheme.form;
  }
  return forms;
}

std::optional<Target> parse_target(std::string_view text, std::string& error) {
  Target target;
  target.text = std::string(text);
  const auto separator = text.find("://");
  if (separator == std::string_view::npos) {
    error = fmt::format("'{}' is not a target URI (no scheme)", text);
    return std::nullopt;
  }
  std::string scheme_name(text.substr(0, separator));
  std::transform(scheme_name.begin(), scheme_name.end(), scheme_name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  target.scheme = find_scheme(scheme_name);
  if (target.scheme == nullptr) {
    error = fmt::format("unknown scheme '{}' in '{}'", scheme_name, text);
    return std::nullopt;
  }
  std::string_view rest = text.substr(separator + 3);
  const auto path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  if (path_start != std::string_view::npos) target.path = std::string(rest.substr(path_start + 1));
  if (authority.find_first_of("?#") != std::string_view::npos) {
    error = fmt::format("'{}' has a query or fragment, which targets do not take", text);
    return std::nullopt;
  }

  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view user = authority.substr(0, at);
    if (user.find(':') != std::string_view::npos) {
      error = fmt::format("'{}' carries a password; passwords never go on the command line "
                          "(use the PLPROBE_PASSWORD environment variable or --password-file)",
                          target.scheme->form);
      return std::nullopt;
    }
    if (user.empty()) {
      error = fmt::format("'{}' has an empty user name before '@'", text);
      return std::nullopt;
    }
    target.user = std::string(user);
    authority = authority.substr(at + 1);
  }

  std::string_view host = authority;
  std::string_view port;
  bool bracketed = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      error = fmt::format("'{}' opens '[' for an IPv6 address but never closes it", text);
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    bracketed = true;
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        error = fmt::format("'{}' has '{}' after the IPv6 address; expected ':PORT'", text, after);
        return std::nullopt;
      }
      port = after.substr(1);
      if (port.empty()) {
        error = fmt::format("'{}' has ':' but no port", text);
        return std::nullopt;
      }
    }
  } else {
    const auto colons = std::count(authority.begin(), authority.end(), ':');
    if (colons > 1) {
      error = fmt::format("'{}': IPv6 addresses go in brackets, e.g. {}://[::1]:{}", text, target.scheme->name,
                          target.scheme->default_port ? target.scheme->default_port : 443);
      return std::nullopt;
    }
    if (colons == 1) {
      const auto colon = authority.find(':');
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) {
        error = fmt::format("'{}' has ':' but no port", text);
        return std::nullopt;
      }
    }
  }

  if (host.empty()) {
    error = fmt::format("'{}' has no host", text);
    return std::nullopt;
  }
  error_code ec;
  // Most hosts in a scan are IPv4 literals: try only the parser that can
  // match (inet_pton for both families costs more than the rest of parsing).
  const std::string host_text(host);
  asio::ip::address literal;
  if (host.find(':') == std::string_view::npos) {
    literal = asio::ip::make_address_v4(host_text, ec);
  } else {
    literal = asio::ip::make_address_v6(host_text, ec);
  }
  if (bracketed && (ec || !literal.is_v6())) {
    error = fmt::format("'{}': only IPv6 addresses go in brackets", text);
    return std::nullopt;
  }
  if (!ec) {
    target.host_is_literal = true;
    target.literal_address = literal;
    target.host = address_text(literal);
  } else if (resolvers::is_valid_host_name(host)) {
    target.host = std::string(host);
  } else {
    error = fmt::format("'{}' is not a valid host name or address in '{}'", host, text);
    return std::nullopt;
  }

  if (!port.empty()) {
    unsigned value = 0;
    auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (err != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      error = fmt::format("'{}' is not a port (1-65535) in '{}'", port, text);
      return std::nullopt;
    }
    target.port = static_cast<std::uint16_t>(value);
  } else if (target.scheme->default_port != 0) {
    target.port = target.scheme->default_port;
  } else {
    error = fmt::format("'{}' needs a port: {}", text, target.scheme->form);
    return std::nullopt;
  }
  return target;
}

}  // namespace plprobe::probes
