#include "probes/mongodb/mongodb_probe.h"

#include <algorithm>
#include <exception>
#include <optional>

#include <fmt/format.h>

#include "probes/mongodb/mongodb_channel.h"
#include "probes/mongodb/mongodb_hello.h"
#include "probes/mongodb/mongodb_readiness.h"
#include "probes/mongodb/mongodb_walk.h"

namespace plprobe::probes::mongodb {
namespace {

// Problems spelled out in the result's message; the rest are in facts.
constexpr std::size_t kMaxProblemsInMessage = 3;

struct Issue {
  Code code;
  std::string message;
  std::string hint;
};

// Most important first: nothing works without logging in; CDC is
// impossible without a replica set; then the member problems this probe
// exists to find; then privileges and CDC findings; wrong answers last.
int importance(Code code) {
  switch (code) {
    case Code::mongodb_auth_failed:
      return 0;
    case Code::mongodb_auth_mechanism_unsupported:
      return 1;
    case Code::mongodb_not_replica_set:
      return 2;
    case Code::mongodb_member_unresolvable:
      return 3;
    case Code::mongodb_member_unreachable:
      return 4;
    case Code::mongodb_member_mismatch:
      return 5;
    case Code::mongodb_not_authorized:
      return 6;
    case Code::mongodb_cdc_not_ready:
      return 7;
    default:
      return 8;
  }
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

class MongoRun {
 public:
  MongoRun(ProbeContext& context, Connection& connection, ProbeResult& result)
      : context_(context), result_(result), settings_(context.settings.mongodb), seed_(&connection) {}

  awaitable<void> run() {
    Json& facts = result_.facts;
    server_name_ = context_.settings.sni.empty() ? context_.target.host : context_.settings.sni;

    // 0. TLS for mongodb:// per --tls.
    Status status = co_await establish_tls();
    if (!status.ok()) {
      result_.fail(status);
      co_return;
    }

    // 1. The handshake.
    auto step_start = Clock::now();
    HandshakeOptions options;
    if (has_credentials()) options.sasl_supported_mechs_for = fmt::format("{}.{}", auth_database(), context_.target.user);
    channel_.emplace(*seed_, context_.deadline);
    HandshakeResult handshake;
    status = co_await channel_->handshake(options, handshake);
    if (!status.ok() && handshake.retry_with_op_query) {
      // The seed closed on OP_MSG: ask again the legacy way on a new connection.
      const std::string reason = handshake.fallback;
      const tcp::endpoint peer = seed_->peer();
      seed_->close();
      second_.emplace(context_.executor);
      seed_ = &*second_;
      std::optional<TlsDetails> tls;
      PhaseTimes phases;
      options.start = Wire::op_query;
      status = co_await connect_and_hello(*seed_, peer, context_.tls, policy_, server_name_, context_.deadline, options,
                                          handshake, tls, phases);
      handshake.fallback = reason;
      channel_.emplace(*seed_, context_.deadline);
      channel_->use(Wire::op_query);
    }
    timings_["hello"] = round_ms(elapsed_ms(step_start));
    facts["timings_ms"] = timings_;
    if (!handshake.command.empty() || !handshake.fallback.empty()) {
      facts["wire"] = {{"opcode", std::string(to_string(handshake.wire))},
                       {"command", handshake.command},
                       {"fallback", handshake.fallback.empty() ? Json(nullptr) : Json(handshake.fallback)}};
    }
    if (!status.ok()) {
      result_.fail(with_tls_note(std::move(status)));
      co_return;
    }

    // 2. What the seed says.
    HelloInfo hello;
    status = parse_hello(handshake.reply, hello);
    if (!status.ok()) {
      result_.fail(with_tls_note(std::move(status)));
      co_return;
    }
    facts["wire"]["hello_ok"] = hello.hello_ok;
    const Json seed_facts = hello_facts(hello);  // named: items() must not outlive a temporary
    for (const auto& [key, value] : seed_facts.items()) facts[key] = value;

    std::vector<Issue> issues;
    if (hello.topology == Topology::standalone || hello.topology == Topology::uninitiated_member) {
      issues.push_back({Code::mongodb_not_replica_set,
                        hello.topology == Topology::standalone
                            ? fmt::format("{} is a standalone MongoDB server, not a replica-set member: it keeps no "
                                          "oplog, so ClickPipes CDC is impossible",
                                          seed_->peer_text())
                            : fmt::format("{} was started with --replSet but the replica set was never initiated "
                                          "(isreplicaset: true): run rs.initiate()",
                                          seed_->peer_text()),
                        {}});
    }
    if (auto finding = version_finding(hello)) findings_.push_back(std::move(*finding));

    // 3. The member walk.
    std::vector<MemberReport> reports = member_reports(hello);
    if (settings_.walk_members && !reports.empty()) {
      step_start = Clock::now();
      WalkSettings walk{context_.executor,
                        context_.resolver,
                        context_.tls,
                        policy_,
                        context_.settings.expect_private,
                        context_.deadline,
                        channel_->wire(),
                        SeedView{context_.target.host, context_.target.host_is_literal,
                                 resolvers::classify(seed_->peer().address()), hello.set_name}};
      co_await walk_members(walk, reports);
      timings_["walk"] = round_ms(elapsed_ms(step_start));
      facts["timings_ms"] = timings_;
    }
    Json members = Json::array();
    int walked = 0;
    int failed = 0;
    for (const auto& report : reports) {
      members.push_back(to_json(report));
      if (!report.walked) continue;
      ++walked;
      if (report.outcome != Code::ok) {
        ++failed;
        issues.push_back({report.outcome, report.message, report.hint});
      }
    }
    facts["members"] = std::move(members);
    const auto not_walked = std::count_if(reports.begin(), reports.end(), [](const MemberReport& report) {
      return !report.walked && report.role != MemberRole::arbiter;
    });
    if (settings_.walk_members && not_walked > 0) facts["members_not_walked"] = not_walked;

    // 4. With credentials: login and CDC readiness.
    ReadinessReport readiness;
    if (has_credentials()) {
      step_start = Clock::now();
      Credentials credentials{context_.target.user, settings_.password, auth_database()};
      co_await check_readiness(*channel_, hello, credentials, readiness);
      timings_["readiness"] = round_ms(elapsed_ms(step_start));
      facts["timings_ms"] = timings_;
      if (readiness.facts.contains("auth")) facts["auth"] = readiness.facts["auth"];
      if (readiness.blocking) {
        issues.push_back({readiness.blocking->code, readiness.blocking->message, readiness.blocking->hint});
      }
      if (!readiness.missing_roles.empty()) {
        issues.push_back({Code::mongodb_not_authorized,
                          fmt::format("user {} may not run what ClickPipes needs: grant {}", context_.target.user,
                                      join(readiness.missing_roles, " and ")),
                          fmt::format("db.getSiblingDB(\"{}\").grantRolesToUser(\"{}\", [\"readAnyDatabase\", "
                                      "\"clusterMonitor\"]) — the roles ClickPipes documents.",
                                      auth_database(), context_.target.user)});
      }
      findings_.insert(findings_.end(), readiness.findings.begin(), readiness.findings.end());
    }
    Json cdc = readiness.facts.contains("cdc") ? readiness.facts["cdc"] : Json::object();
    cdc["checked"] = has_credentials() && !readiness.blocking;
    cdc["findings"] = to_json(findings_);
    facts["cdc"] = std::move(cdc);
    if (has_errors(findings_)) {
      issues.push_back({Code::mongodb_cdc_not_ready, fmt::format("not ready for ClickPipes CDC: {}", error_summary(findings_)),
                        findings_.size() == 1 ? findings_.front().hint : std::string()});
    }

    summarise(hello, walked, failed, issues);
  }

 private:
  bool has_credentials() const { return !context_.target.user.empty() && !settings_.password.empty(); }
  std::string auth_database() const { return context_.target.path.empty() ? std::string("admin") : context_.target.path; }

  // For mongodb://: the TLS the user asked for with --tls. Sets policy_ for
  // the walk and fills result.tls.
  awaitable<Status> establish_tls() {
    Json& facts = result_.facts;
    if (context_.target.scheme->tls_first) {
      // The engine did TLS and enforced verification (or --insecure).
      policy_ = {true, true};
      facts["tls_mode"] = "tls-first (mongodb+tls://)";
      co_return Status::success();
    }
    const TlsMode mode = settings_.tls;
    facts["tls_mode"] = to_string(mode);
    if (mode == TlsMode::disable) {
      policy_ = {false, false};
      co_return Status::success();
    }
    if (context_.tls == nullptr) {
      co_return Status::failure(Code::tls_handshake_failed, "no TLS context is available (check --ca)");
    }
    const bool prefer = mode == TlsMode::prefer;
    policy_ = {true, mode == TlsMode::verify_full};
    const auto started = Clock::now();
    TlsDetails details;
    Status status;
    if (prefer) {
      Deadline window(context_.executor, std::min(context_.deadline.at(), started + kTlsPreferWindow));
      status = co_await seed_->start_tls(*context_.tls, server_name_, window, details);
    } else {
      status = co_await seed_->start_tls(*context_.tls, server_name_, context_.deadline, details);
    }
    result_.phases.tls_ms = elapsed_ms(started);
    if (!details.version.empty()) result_.tls = details;
    if (status.ok()) {
      if (policy_.verify) co_return judge(details, server_name_);
      co_return Status::success();
    }
    if (!prefer || context_.deadline.expired()) co_return status;

    // prefer: this port does not speak TLS (or not to us); plaintext on a new connection.
    tls_attempt_ = status.message;
    facts["tls_fallback"] = fmt::format("TLS was tried first and failed ({}: {}); plaintext was used",
                                        name(status.code), status.message);
    result_.tls.reset();
    policy_ = {false, false};
    const tcp::endpoint peer = seed_->peer();
    seed_->close();
    second_.emplace(context_.executor);
    seed_ = &*second_;
    co_return co_await seed_->connect(peer, context_.deadline);
  }

  Status with_tls_note(Status status) const {
    if (!tls_attempt_.empty()) status.message += fmt::format(" (TLS was tried first: {})", tls_attempt_);
    return status;
  }

  void summarise(const HelloInfo& hello, int walked, int failed, std::vector<Issue> issues) {
    const std::string version = server_version_for(hello.max_wire_version.value_or(-1)).text;
    std::string what;
    switch (hello.topology) {
      case Topology::replica_set_member:
        what = fmt::format("MongoDB {} replica set '{}' ({})", version, *hello.set_name,
                           hello.is_writable_primary ? "seed is the primary"
                           : hello.secondary         ? "seed is a secondary"
                           : hello.arbiter_only      ? "seed is an arbiter"
                                                     : "seed is neither primary nor secondary");
        break;
      case Topology::mongos:
        what = fmt::format("MongoDB {} mongos (sharded cluster)", version);
        break;
      default:
        what = fmt::format("MongoDB {} {}", version, to_string(hello.topology));
        break;
    }
    if (issues.empty()) {
      std::string message = what;
      if (!settings_.walk_members) {
        message += "; members not walked (--no-walk-members)";
      } else if (walked > 0) {
        message += fmt::format(": all {} advertised member{} answer at their advertised addresses", walked,
                               walked == 1 ? "" : "s");
      }
      if (has_credentials()) {
        message += fmt::format("; logged in as {}, ready for ClickPipes CDC", context_.target.user);
      }
      if (!tls_attempt_.empty()) message += "; plaintext (TLS was tried first and refused)";
      result_.message = std::move(message);
      return;
    }
    std::stable_sort(issues.begin(), issues.end(),
                     [](const Issue& a, const Issue& b) { return importance(a.code) < importance(b.code); });
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < issues.size() && i < kMaxProblemsInMessage; ++i) parts.push_back(issues[i].message);
    std::string message = what;
    if (failed > 0) message += fmt::format(", but {} of {} advertised members fail", failed, walked);
    message += ": " + join(parts, "; ");
    if (issues.size() > kMaxProblemsInMessage) {
      message += fmt::format("; {} more problem{} in facts", issues.size() - kMaxProblemsInMessage,
                             issues.size() - kMaxProblemsInMessage == 1 ? "" : "s");
    }
    result_.fail(issues.front().code, std::move(message), issues.front().hint);
  }

  ProbeContext& context_;
  ProbeResult& result_;
  const MongoSettings& settings_;
  Connection* seed_;                  // the engine's connection, or second_
  std::optional<Connection> second_;  // a new connection after a fallback; closed when the run ends
  std::optional<Channel> channel_;
  std::string server_name_;
  TlsPolicy policy_;
  std::string tls_attempt_;  // why TLS failed under --tls prefer
  std::vector<Finding> findings_;
  Json timings_ = Json::object();
};

}  // namespace

awaitable<void> MongoProtocol::handshake(ProbeContext& context, Connection& connection, ProbeResult& result) {
  try {
    MongoRun run(context, connection, result);
    co_await run.run();
  } catch (const std::exception& error) {
    // Only allocation failure can get here (the codec and transport report
    // everything else as Status); a probe result is still owed.
    result.facts.erase("members");
    result.fail(Code::mongodb_protocol_error, fmt::format("the MongoDB exchange failed inside plprobe: {}", error.what()),
                "The answer was too large to hold in memory.");
  }
}

std::unique_ptr<Protocol> make_mongodb_protocol() { return std::make_unique<MongoProtocol>(); }

}  // namespace plprobe::probes::mongodb
