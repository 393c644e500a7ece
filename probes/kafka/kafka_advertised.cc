#include "probes/kafka/kafka_advertised.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace plprobe::probes::kafka {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!out.empty() && out.back() == '.') out.pop_back();  // "name." is the same name
  return out;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Addresses that, seen from the client, are the client itself or nowhere.
bool points_nowhere_useful(resolvers::AddressClass value) {
  using resolvers::AddressClass;
  return value == AddressClass::loopback || value == AddressClass::link_local || value == AddressClass::reserved;
}

}  // namespace

bool is_ip_literal(std::string_view host) {
  error_code ec;
  asio::ip::make_address(std::string(host), ec);
  return !ec;
}

std::string parent_domain(std::string_view host) {
  if (is_ip_literal(host)) return {};
  const std::string name = lower(host);
  const auto dot = name.find('.');
  return dot == std::string::npos ? std::string() : name.substr(dot + 1);
}

std::optional<std::string> advertised_mismatch(const BootstrapView& bootstrap, std::string_view advertised_host,
                                               const std::vector<resolvers::AddressClass>& resolved_classes,
                                               WalkVerdict verdict) {
  const std::string name = lower(advertised_host);
  if (name == "localhost" || ends_with(name, ".localhost") || name == "localhost.localdomain") {
    return fmt::format("it advertises '{}', which every client resolves to itself", advertised_host);
  }
  if (!resolved_classes.empty() && !points_nowhere_useful(bootstrap.address_class) &&
      std::all_of(resolved_classes.begin(), resolved_classes.end(), points_nowhere_useful)) {
    return fmt::format("it advertises {}, a {} address: from this client that is not the broker", advertised_host,
                       resolvers::to_string(resolved_classes.front()));
  }
  if (verdict == WalkVerdict::ok || bootstrap.host_is_literal) return std::nullopt;
  if (is_ip_literal(advertised_host)) {
    return fmt::format("the bootstrap was reached by name ({}) but the broker advertises a bare address ({}), "
                       "which belongs to the broker's own network",
                       bootstrap.host, advertised_host);
  }
  const std::string ours = parent_domain(bootstrap.host);
  const std::string theirs = parent_domain(advertised_host);
  if (ours != theirs) {
    return fmt::format("the bootstrap was reached as {} but the broker advertises {}, a name in another domain ({})",
                       bootstrap.host, advertised_host, theirs.empty() ? std::string("a single-label name") : theirs);
  }
  return std::nullopt;
}

bool is_msk_name(std::string_view host) {
  const std::string name = lower(host);
  if (!ends_with(name, ".amazonaws.com") && !ends_with(name, ".amazonaws.com.cn")) return false;
  const bool kafka_zone = name.find(".kafka.") != std::string::npos || name.find(".kafka-serverless.") != std::string::npos;
  if (!kafka_zone) return false;
  // Broker names start with b-<n> (b-1, b-1-public); bootstrap names with boot-.
  if (name.starts_with("boot-")) return true;
  return name.size() > 2 && name.starts_with("b-") && std::isdigit(static_cast<unsigned char>(name[2]));
}

std::optional<MskPort> msk_port(std::uint16_t port) {
  switch (port) {
    case 9092:
      return MskPort{"plaintext", "private"};
    case 9094:
      return MskPort{"TLS", "private"};
    case 9096:
      return MskPort{"SASL/SCRAM", "private"};
    case 9098:
      return MskPort{"IAM", "private"};
    case 9194:
      return MskPort{"TLS", "public"};
    case 9196:
      return MskPort{"SASL/SCRAM", "public"};
    case 9198:
      return MskPort{"IAM", "public"};
    case 20092:
      return MskPort{"plaintext", "private IPv6 network type"};
    case 20094:
      return MskPort{"TLS", "private IPv6 network type"};
    case 20096:
      return MskPort{"SASL/SCRAM", "private IPv6 network type"};
    case 20098:
      return MskPort{"IAM", "private IPv6 network type"};
    default:
      break;
  }
  if (port >= 14001 && port <= 14100) {
    return MskPort{"unknown (per-broker multi-VPC port: see BootstrapBrokerStringVpcConnectivity*)",
                   "multi-VPC private connectivity"};
  }
  return std::nullopt;
}

Json msk_facts(const BootstrapView& bootstrap, const std::vector<std::string>& advertised_hosts) {
  const bool bootstrap_msk = is_msk_name(bootstrap.host);
  const auto brokers_msk = std::count_if(advertised_hosts.begin(), advertised_hosts.end(),
                                         [](const std::string& host) { return is_msk_name(host); });
  const auto port = msk_port(bootstrap.port);
  if (!bootstrap_msk && brokers_msk == 0) return nullptr;
  Json facts = {{"bootstrap_is_msk_name", bootstrap_msk},
                {"brokers_with_msk_names", brokers_msk},
                {"port", bootstrap.port},
                {"port_auth", port ? Json(port->auth) : Json(nullptr)},
                {"port_access", port ? Json(port->access) : Json(nullptr)}};
  if (!bootstrap_msk && brokers_msk > 0) {
    facts["note"] =
        "The bootstrap is reached through a name that is not the brokers' own: after Metadata every client "
        "connects to b-N.<cluster>...amazonaws.com, so each broker name needs its own private path (one endpoint "
        "per broker with that broker's name as its custom private DNS name), or use MSK multi-VPC private "
        "connectivity, which gives every broker a port of its own.";
  } else if (!port) {
    facts["note"] = "The port is not one of MSK's standard listener ports (9092/9094/9096/9098, 9194-9198 public, "
                    "20092-20098 IPv6, 14001+ multi-VPC).";
  }
  return facts;
}

std::string advertised_listeners_hint(bool msk) {
  std::string hint =
      "A Kafka client uses the bootstrap only to read Metadata; it then connects to the host:port every broker "
      "advertises (advertised.listeners). Each of those must resolve and route from this network.";
  if (msk) {
    hint += " For MSK over an endpoint service: one NLB + endpoint service + reverse private endpoint per broker, "
            "with the broker's own name (b-N....amazonaws.com) as the custom private DNS name; or MSK multi-VPC "
            "private connectivity, whose bootstrap string (BootstrapBrokerStringVpcConnectivity*) lists one port per "
            "broker.";
  } else {
    hint += " Behind an NLB or endpoint service, give every broker its own listener port or endpoint and set its "
            "advertised.listeners to a name that resolves, on the client side, to that path.";
  }
  return hint;
}

}  // namespace plprobe::probes::kafka
