#include "probes/kafka/kafka_walk.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/when_all.h"
#include "probes/kafka/kafka_channel.h"
#include "probes/transport/connection.h"

namespace plprobe::probes::kafka {
namespace {

std::string host_port(const std::string& host, std::int32_t port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

// Transport and silence problems mean "a client cannot use this broker";
// a Kafka answer that is wrong or refuses us keeps its own code.
Code broker_code_for(const Status& status) {
  switch (status.code) {
    case Code::kafka_protocol_error:
    case Code::kafka_auth_failed:
    case Code::kafka_sasl_mechanism_unsupported:
    case Code::kafka_auth_required:
      return status.code;
    default:
      return Code::kafka_broker_unreachable;
  }
}

// One address of one broker: connect, TLS, ApiVersions, SASL.
awaitable<Status> try_address(const WalkSettings& settings, BrokerReport& report, const asio::ip::address& address) {
  Deadline& deadline = settings.deadline;
  Connection connection(settings.executor);
  const tcp::endpoint endpoint(address, static_cast<std::uint16_t>(report.broker.port));
  auto phase_start = Clock::now();
  Status status = co_await connection.connect(endpoint, deadline);
  report.phases.connect_ms = elapsed_ms(phase_start);
  if (status.ok() && settings.tls_first) {
    phase_start = Clock::now();
    TlsDetails details;
    if (settings.tls == nullptr) {
      status = Status::failure(Code::tls_handshake_failed, "no TLS context is available for the broker walk");
    } else {
      // SNI and verification use the advertised name: that is the name a
      // client connects with, and the one the broker's certificate must carry.
      status = co_await connection.start_tls(*settings.tls, report.broker.host, deadline, details);
    }
    report.phases.tls_ms = elapsed_ms(phase_start);
    if (status.ok()) status = judge(details, report.broker.host);
    if (!details.version.empty()) report.tls = std::move(details);
  }
  if (status.ok()) {
    phase_start = Clock::now();
    Channel channel(connection, deadline);
    ApiVersionsResult versions;
    status = co_await negotiate_api_versions(channel, settings.api_versions_version, versions);
    if (status.ok()) report.api_versions_version = versions.version;
    if (status.ok() && settings.authenticate) {
      SaslResult sasl;
      status = co_await authenticate(channel, versions.response, settings.kafka, sasl);
      report.sasl = std::move(sasl);
    }
    report.phases.handshake_ms = elapsed_ms(phase_start);
  }
  connection.close();
  co_return status;
}

}  // namespace

awaitable<void> walk_broker(const WalkSettings& settings, BrokerReport& report) {
  const auto started = Clock::now();
  report.walked = true;
  const std::string& host = report.broker.host;
  const std::string advertised = host_port(host, report.broker.port);
  WalkVerdict verdict = WalkVerdict::ok;
  std::vector<resolvers::AddressClass> classes;

  if (host.empty() || report.broker.port <= 0 || report.broker.port > 65535) {
    report.outcome = Code::kafka_advertised_mismatch;
    report.message = fmt::format("advertises '{}', which is not a usable address", advertised);
    report.hint = advertised_listeners_hint(is_msk_name(settings.bootstrap.host));
    report.phases.total_ms = elapsed_ms(started);
    co_return;
  }

  const auto resolution = co_await settings.resolver.resolve(host, settings.deadline, settings.expect_private);
  if (resolution.source != "literal") report.phases.dns_ms = resolution.elapsed_ms;
  report.addresses = resolution.addresses;
  for (const auto& entry : resolution.addresses) classes.push_back(entry.address_class);

  if (!resolution.ok()) {
    report.underlying = resolution.outcome;
    if (resolution.outcome == Code::dns_public_address) {
      // Same rule as the engine: a public answer says nothing about the
      // private path, and connecting would send the traffic out of the VPC.
      verdict = WalkVerdict::unreachable;
      report.outcome = Code::kafka_advertised_mismatch;
      report.message = fmt::format("advertises {}, which resolves to a public address here ({}); not connecting",
                                   advertised, resolution.message);
    } else {
      verdict = WalkVerdict::unresolvable;
      report.outcome = Code::kafka_broker_unresolvable;
      report.message = fmt::format("advertises {}, which does not resolve here: {}", advertised, resolution.message);
    }
  } else {
    Status last;
    for (const auto& entry : resolution.addresses) {
      Status status = co_await try_address(settings, report, entry.address);
      report.attempts.push_back({entry.address.to_string(), status.code, status.message});
      if (status.ok()) {
        report.connected_address = entry.address.to_string();
        last = Status::success();
        break;
      }
      last = std::move(status);
      if (settings.deadline.expired()) break;
    }
    if (!last.ok()) {
      report.outcome = broker_code_for(last);
      report.hint = last.hint;
      if (report.outcome == Code::kafka_broker_unreachable) {
        report.underlying = last.code;
        verdict = WalkVerdict::unreachable;
        report.message = fmt::format("advertises {}, which this client cannot use: {}", advertised, last.message);
      } else {
        report.message = last.message;
      }
    }
  }

  if (auto reason = advertised_mismatch(settings.bootstrap, host, classes, verdict)) {
    const bool failed = report.outcome != Code::ok;
    report.message = failed ? fmt::format("{}; {}", *reason, report.message) : *reason;
    report.outcome = Code::kafka_advertised_mismatch;
  }
  // A certificate problem keeps the TLS hint (it names the certificate's
  // names); every other failure to use a broker is about advertised.listeners.
  const bool tls_problem = report.underlying && info(*report.underlying).phase == "tls";
  if (report.outcome == Code::kafka_advertised_mismatch || report.outcome == Code::kafka_broker_unresolvable ||
      (report.outcome == Code::kafka_broker_unreachable && !tls_problem)) {
    report.hint = advertised_listeners_hint(is_msk_name(settings.bootstrap.host) || is_msk_name(host));
  }
  report.phases.total_ms = elapsed_ms(started);
}

awaitable<void> walk_brokers(const WalkSettings& settings, std::vector<BrokerReport>& reports) {
  std::vector<awaitable<void>> tasks;
  const std::size_t count = std::min(reports.size(), kMaxWalkedBrokers);
  tasks.reserve(count);
  for (std::size_t i = 0; i < count; ++i) tasks.push_back(walk_broker(settings, reports[i]));
  co_await when_all(std::move(tasks));
}

Json to_json(const BrokerReport& report) {
  Json out = {
      {"node_id", report.broker.node_id},
      {"advertised", host_port(report.broker.host, report.broker.port)},
      {"host", report.broker.host},
      {"port", report.broker.port},
      {"rack", report.broker.rack ? Json(*report.broker.rack) : Json(nullptr)},
      {"controller", report.controller},
  };
  if (!report.walked) {
    out["walked"] = false;
    return out;
  }
  Json addresses = Json::array();
  for (const auto& entry : report.addresses) {
    addresses.push_back({{"address", entry.address.to_string()},
                         {"class", std::string(resolvers::to_string(entry.address_class))}});
  }
  out["addresses"] = std::move(addresses);
  out["connected_address"] = report.connected_address.empty() ? Json(nullptr) : Json(report.connected_address);
  out["outcome"] = name(report.outcome);
  out["message"] = report.message;
  out["hint"] = report.hint;
  if (report.underlying) out["underlying"] = name(*report.underlying);
  out["phases_ms"] = to_json(report.phases);
  if (report.api_versions_version >= 0) out["api_versions_version"] = report.api_versions_version;
  if (report.tls) {
    out["tls"] = {{"version", report.tls->version},
                  {"sni", report.tls->sni.empty() ? Json(nullptr) : Json(report.tls->sni)},
                  {"subject", report.tls->subject},
                  {"verified", report.tls->verified}};
  }
  if (report.sasl) out["sasl"] = sasl_facts(*report.sasl, true);
  if (report.attempts.size() > 1) {
    Json attempts = Json::array();
    for (const auto& attempt : report.attempts) {
      attempts.push_back({{"address", attempt.address}, {"outcome", name(attempt.outcome)}, {"message", attempt.message}});
    }
    out["attempts"] = std::move(attempts);
  }
  return out;
}

}  // namespace plprobe::probes::kafka
