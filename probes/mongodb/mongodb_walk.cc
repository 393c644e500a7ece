#include "probes/mongodb/mongodb_walk.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "common/when_all.h"

namespace plprobe::probes::mongodb {
namespace {

std::string normalised_host(std::string_view host) {
  std::string out(host);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

bool is_localhost_name(std::string_view host) {
  const std::string name = normalised_host(host);
  return name == "localhost" || name.ends_with(".localhost") || name == "localhost.localdomain";
}

// From the client, these addresses are the client itself or nowhere.
bool points_nowhere_useful(resolvers::AddressClass value) {
  using resolvers::AddressClass;
  return value == AddressClass::loopback || value == AddressClass::link_local || value == AddressClass::reserved;
}

// Transport trouble and silence mean "a driver cannot use this member"; an
// answer that is not MongoDB keeps its own code.
Code member_code_for(const Status& status) {
  return status.code == Code::mongodb_protocol_error ? status.code : Code::mongodb_member_unreachable;
}

Json answered_json(const HelloInfo& hello) {
  Json out = Json::object();
  out["me"] = hello.me ? Json(*hello.me) : Json(nullptr);
  out["set_name"] = hello.set_name ? Json(*hello.set_name) : Json(nullptr);
  out["is_writable_primary"] = hello.is_writable_primary;
  out["secondary"] = hello.secondary;
  out["max_wire_version"] = hello.max_wire_version ? Json(*hello.max_wire_version) : Json(nullptr);
  return out;
}

}  // namespace

std::string_view to_string(MemberRole role) {
  switch (role) {
    case MemberRole::host:
      return "host";
    case MemberRole::passive:
      return "passive";
    case MemberRole::arbiter:
      return "arbiter";
  }
  return "host";
}

bool same_member(const MemberAddress& a, const MemberAddress& b) {
  return a.port == b.port && normalised_host(a.host) == normalised_host(b.host);
}

std::vector<MemberReport> member_reports(const HelloInfo& hello) {
  std::vector<MemberReport> reports;
  const auto primary = hello.primary ? parse_member(*hello.primary) : std::nullopt;
  auto add = [&](const std::vector<std::string>& list, MemberRole role) {
    for (const auto& advertised : list) {
      MemberReport& report = reports.emplace_back();
      report.advertised = advertised;
      report.member = parse_member(advertised);
      report.role = role;
      report.is_primary = primary && report.member && same_member(*primary, *report.member);
    }
  };
  add(hello.hosts, MemberRole::host);
  add(hello.passives, MemberRole::passive);
  add(hello.arbiters, MemberRole::arbiter);
  return reports;
}

awaitable<Status> connect_and_hello(Connection& connection, const tcp::endpoint& endpoint, TlsClientContext* tls_context,
                                    const TlsPolicy& policy, const std::string& server_name, Deadline& deadline,
                                    const HandshakeOptions& options, HandshakeResult& result,
                                    std::optional<TlsDetails>& tls, PhaseTimes& phases) {
  auto phase_start = Clock::now();
  Status status = co_await connection.connect(endpoint, deadline);
  phases.connect_ms = elapsed_ms(phase_start);
  if (status.ok() && policy.use_tls) {
    phase_start = Clock::now();
    TlsDetails details;
    if (tls_context == nullptr) {
      status = Status::failure(Code::tls_handshake_failed, "no TLS context is available for this connection");
    } else {
      status = co_await connection.start_tls(*tls_context, server_name, deadline, details);
    }
    phases.tls_ms = elapsed_ms(phase_start);
    if (status.ok() && policy.verify) status = judge(details, server_name);
    if (!details.version.empty()) tls = std::move(details);
  }
  if (status.ok()) {
    phase_start = Clock::now();
    Channel channel(connection, deadline);
    status = co_await channel.handshake(options, result);
    phases.handshake_ms = elapsed_ms(phase_start);
  }
  co_return status;
}

awaitable<void> walk_member(const WalkSettings& settings, MemberReport& report) {
  const auto started = Clock::now();
  report.walked = true;
  const bool seed_is_local = points_nowhere_useful(settings.seed.address_class);

  if (!report.member) {
    report.outcome = Code::mongodb_member_unreachable;
    report.message = fmt::format("advertises '{}', which is not a usable host:port", report.advertised);
    report.hint = std::string(info(Code::mongodb_member_unreachable).hint);
    report.phases.total_ms = elapsed_ms(started);
    co_return;
  }
  const MemberAddress& member = *report.member;
  const std::string advertised = format_member(member);
  if (is_localhost_name(member.host) && !seed_is_local) {
    report.outcome = Code::mongodb_member_unreachable;
    report.message = fmt::format("advertises {}, which every client resolves to itself; not connecting", advertised);
    report.hint = "The replica set was initiated with localhost names: rs.reconfig() with each member's host name as "
                  "clients reach it (over PrivateLink: a private DNS name per member).";
    report.phases.total_ms = elapsed_ms(started);
    co_return;
  }

  const auto resolution = co_await settings.resolver.resolve(member.host, settings.deadline, settings.expect_private);
  if (resolution.source != "literal") report.phases.dns_ms = resolution.elapsed_ms;
  report.addresses = resolution.addresses;
  if (!resolution.ok()) {
    report.underlying = resolution.outcome;
    if (resolution.outcome == Code::dns_public_address) {
      // As the engine does: a public answer says nothing about the private
      // path, and connecting would send the traffic out of the VPC.
      report.outcome = Code::mongodb_member_unreachable;
      report.message = fmt::format("advertises {}, which resolves to a public address here ({}); not connecting",
                                   advertised, resolution.message);
      report.hint = resolution.hint;
    } else {
      report.outcome = Code::mongodb_member_unresolvable;
      report.message = fmt::format("advertises {}, which does not resolve here: {}", advertised, resolution.message);
      report.hint = std::string(info(Code::mongodb_member_unresolvable).hint);
    }
    report.phases.total_ms = elapsed_ms(started);
    co_return;
  }
  if (!seed_is_local && !resolution.addresses.empty() &&
      std::all_of(resolution.addresses.begin(), resolution.addresses.end(),
                  [](const auto& entry) { return points_nowhere_useful(entry.address_class); })) {
    report.outcome = Code::mongodb_member_unreachable;
    report.message = fmt::format("advertises {}, which resolves to {} addresses: from this client that is not the "
                                 "member; not connecting",
                                 advertised, resolvers::to_string(resolution.addresses.front().address_class));
    report.hint = std::string(info(Code::mongodb_member_unreachable).hint);
    report.phases.total_ms = elapsed_ms(started);
    co_return;
  }

  Status last;
  HandshakeOptions options;
  options.start = settings.wire;
  for (const auto& entry : resolution.addresses) {
    Connection connection(settings.executor);
    HandshakeResult handshake;
    Status status = co_await connect_and_hello(connection, tcp::endpoint(entry.address, member.port),
                                               settings.tls, settings.tls_policy, member.host, settings.deadline,
                                               options, handshake, report.tls, report.phases);
    if (status.ok()) {
      HelloInfo hello;
      status = parse_hello(handshake.reply, hello);
      if (status.ok()) report.answered = std::move(hello);
    }
    connection.close();
    report.attempts.push_back({entry.address.to_string(), status.code, status.message});
    last = std::move(status);
    if (last.ok()) {
      report.connected_address = entry.address.to_string();
      break;
    }
    if (settings.deadline.expired()) break;
  }

  if (!last.ok()) {
    report.outcome = member_code_for(last);
    if (report.outcome == Code::mongodb_member_unreachable) {
      report.underlying = last.code;
      report.message = fmt::format("advertises {}, which this client cannot use: {}", advertised, last.message);
      // A certificate problem keeps its TLS hint (it names the certificate's
      // names); other failures are about reaching the member.
      report.hint = info(last.code).phase == "tls" ? last.hint : std::string(info(report.outcome).hint);
    } else {
      report.message = fmt::format("advertises {}: {}", advertised, last.message);
      report.hint = last.hint;
    }
  } else if (report.answered) {
    const HelloInfo& answered = *report.answered;
    const auto me = answered.me ? parse_member(*answered.me) : std::nullopt;
    if (settings.seed.set_name && answered.set_name != settings.seed.set_name) {
      report.outcome = Code::mongodb_member_mismatch;
      report.message = fmt::format("advertises {}, but the server that answers there {}", advertised,
                                   answered.set_name ? fmt::format("belongs to replica set '{}', not '{}'",
                                                                   *answered.set_name, *settings.seed.set_name)
                                                     : std::string("is not a replica-set member"));
      report.hint = std::string(info(report.outcome).hint);
    } else if (me && !same_member(*me, member)) {
      report.outcome = Code::mongodb_member_mismatch;
      report.message = fmt::format("advertises {}, but the member that answers there is {}", advertised,
                                   format_member(*me));
      report.hint = std::string(info(report.outcome).hint);
    }
  }
  report.phases.total_ms = elapsed_ms(started);
}

awaitable<void> walk_members(const WalkSettings& settings, std::vector<MemberReport>& reports) {
  std::vector<awaitable<void>> tasks;
  std::size_t taken = 0;
  for (auto& report : reports) {
    if (report.role == MemberRole::arbiter) continue;
    if (taken++ >= kMaxWalkedMembers) break;
    tasks.push_back(walk_member(settings, report));
  }
  co_await when_all(std::move(tasks));
}

Json to_json(const MemberReport& report) {
  Json out = Json::object();
  out["advertised"] = report.advertised;
  out["host"] = report.member ? Json(report.member->host) : Json(nullptr);
  out["port"] = report.member ? Json(report.member->port) : Json(nullptr);
  out["role"] = to_string(report.role);
  out["primary"] = report.is_primary;
  out["walked"] = report.walked;
  if (!report.walked) return out;
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
  out["phases_ms"] = plprobe::to_json(report.phases);
  if (report.tls) {
    out["tls"] = {{"version", report.tls->version},
                  {"sni", report.tls->sni.empty() ? Json(nullptr) : Json(report.tls->sni)},
                  {"subject", report.tls->subject},
                  {"verified", report.tls->verified}};
  }
  if (report.answered) out["answered_as"] = answered_json(*report.answered);
  if (report.attempts.size() > 1) {
    Json attempts = Json::array();
    for (const auto& attempt : report.attempts) {
      attempts.push_back({{"address", attempt.address}, {"outcome", name(attempt.outcome)}, {"message", attempt.message}});
    }
    out["attempts"] = std::move(attempts);
  }
  return out;
}

}  // namespace plprobe::probes::mongodb
