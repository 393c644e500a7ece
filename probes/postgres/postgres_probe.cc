#include "probes/postgres/postgres_probe.h"

#include <libpq-fe.h>
#include <openssl/x509.h>

#include <algorithm>
#include <exception>
#include <map>

#include <fmt/format.h>

#include "probes/postgres/postgres_cdc.h"
#include "probes/postgres/postgres_libpq.h"
#include "probes/postgres/postgres_messages.h"

namespace plprobe::probes::postgres {
namespace {

// Start-up is a handful of messages; a server that sends more than this
// many notices or parameters before deciding is not one to wait for.
constexpr int kMaxStartupMessages = 256;
// Notices kept in facts.notices.
constexpr std::size_t kMaxNotices = 8;
// ParameterStatus values worth reporting (55.2.7 lists what servers send).
constexpr std::string_view kReportedParameters[] = {"server_version", "server_encoding", "session_authorization",
                                                    "is_superuser",   "in_hot_standby",  "default_transaction_read_only",
                                                    "integer_datetimes"};

Json error_json(const ErrorFields& fields) {
  Json out = {{"severity", fields.severity}, {"code", fields.code}, {"message", fields.message}};
  if (!fields.detail.empty()) out["detail"] = fields.detail;
  if (!fields.hint.empty()) out["hint"] = fields.hint;
  if (!fields.routine.empty()) out["routine"] = fields.routine;
  return out;
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace

// A server's refusal (ErrorResponse at start-up, or libpq's report of one)
// as a Status. `named_user`: the target named the user (otherwise the
// probe sent kDefaultUser and an hba refusal may be about that name only).
Status classify_server_error(const std::string& sqlstate, const std::string& severity, const std::string& text,
                             bool tls_active, bool named_user, const std::string& peer) {
  const std::string what = fmt::format("{} refused the connection: {} {}: {}", peer, severity.empty() ? "ERROR" : severity,
                                       sqlstate.empty() ? "(no SQLSTATE)" : sqlstate, text);
  // Appendix A, "PostgreSQL Error Codes".
  if (sqlstate == "28000") {
    // pg_hba.conf: "no pg_hba.conf entry for host ..., no encryption" (14+;
    // "SSL off" before) when only hostssl lines would match.
    if (!tls_active && (contains(text, "no encryption") || contains(text, "SSL off"))) {
      return Status::failure(Code::postgres_tls_required, what);
    }
    if (named_user) return Status::failure(Code::postgres_auth_rejected, what,
                                           "Add a pg_hba.conf line (host or hostssl) for this user, database and the "
                                           "client address the server sees, then reload (SELECT pg_reload_conf()); "
                                           "on RDS/Aurora check that the user may log in (rolcanlogin).");
    return Status::failure(Code::postgres_auth_rejected, what);
  }
  if (sqlstate == "28P01") return Status::failure(Code::postgres_auth_failed, what);
  if (sqlstate == "3D000") return Status::failure(Code::postgres_database_missing, what);
  if (sqlstate.starts_with("53") || sqlstate == "57P03" || sqlstate == "57P01" || sqlstate == "57P02") {
    return Status::failure(Code::postgres_server_unavailable, what);
  }
  return Status::failure(Code::postgres_server_error, what);
}

// libpq's failure to connect or to log in, as a Status.
Status classify_libpq_error(const LibpqError& error, bool tls_active, bool named_user, const std::string& peer) {
  if (error.deadline) {
    return Status::failure(Code::protocol_timeout,
                           fmt::format("{} did not finish the authenticated login (libpq) before the deadline", peer));
  }
  if (!error.sqlstate.empty()) {
    return classify_server_error(error.sqlstate, error.severity, error.message, tls_active, named_user, peer);
  }
  const std::string& text = error.message;
  const std::string what = fmt::format("libpq could not log in to {}: {}", peer, text);
  if (contains(text, "server does not support SSL")) return Status::failure(Code::postgres_tls_unavailable, what);
  if (contains(text, "does not match host name")) return Status::failure(Code::tls_hostname_mismatch, what);
  if (contains(text, "certificate verify failed") || contains(text, "root certificate file")) {
    return Status::failure(Code::tls_cert_untrusted, what);
  }
  if (contains(text, "SSL")) return Status::failure(Code::tls_handshake_failed, what);
  if (contains(text, "Connection refused")) return Status::failure(Code::tcp_refused, what);
  if (contains(text, "closed the connection") || contains(text, "server closed")) {
    return Status::failure(Code::protocol_closed, what);
  }
  if (contains(text, "password") || contains(text, "authentication")) {
    return Status::failure(Code::postgres_auth_failed, what);
  }
  return Status::failure(Code::postgres_server_error, what);
}

namespace {

// The CA bundle libpq verifies against when --ca is not given: OpenSSL's
// default file, as our own TLS context uses (libpq 15 has no
// sslrootcert=system).
std::string system_ca_file() {
  const char* file = X509_get_default_cert_file();
  return file != nullptr ? std::string(file) : std::string();
}

class PostgresRun {
 public:
  PostgresRun(ProbeContext& context, Connection& connection, ProbeResult& result)
      : context_(context),
        connection_(connection),
        result_(result),
        settings_(context.settings.postgres),
        server_name_(context.settings.sni.empty() ? context.target.host : context.settings.sni),
        user_(context.target.user.empty() ? std::string(kDefaultUser) : context.target.user) {}

  awaitable<void> run() {
    Json& facts = result_.facts;
    facts["tls_mode"] = to_string(settings_.tls);
    // Verdicts go into locals: g++ 12 lays out some coroutine frames wrongly
    // for `if (!co_await step()) co_return;` (see mysql_probe.cc).
    if (settings_.tls != TlsMode::disable) {
      const bool negotiated = co_await negotiate_tls();
      if (!negotiated) co_return;
    } else {
      facts["tls_offered"] = nullptr;  // not asked
    }
    const bool started = co_await start_up();
    if (!started) co_return;
    // The wire connection has told what it can; the authenticated check
    // (if any) uses a connection of its own.
    connection_.close();
    // Only for a user the target names: the placeholder user never logs in.
    const bool authenticate = !context_.target.user.empty() && (!settings_.password.empty() || trusted_);
    if (authenticate) {
      co_await check_cdc();
    } else {
      result_.message = unauthenticated_summary();
    }
    finish_facts();
  }

 private:
  void finish_facts() {
    result_.facts["timings_ms"] = timings_;
    if (!warnings_.empty()) result_.facts["warnings"] = warnings_;
  }

  void fail(const Status& status) {
    result_.fail(status);
    finish_facts();
  }

  void fail(Code code, std::string message, std::string hint = {}) {
    result_.fail(code, std::move(message), std::move(hint));
    finish_facts();
  }

  std::string peer() const { return connection_.peer_text(); }

  // 55.2.10 "SSL Session Encryption".
  awaitable<bool> negotiate_tls() {
    auto step = Clock::now();
    const std::string request = ssl_request();
    Status status = co_await connection_.write(asio::buffer(request), context_.deadline);
    char answer[64];
    std::size_t received = 0;
    if (status.ok()) status = co_await connection_.read_some(asio::buffer(answer), context_.deadline, received);
    timings_["ssl_request"] = round_ms(elapsed_ms(step));
    if (!status.ok()) {
      if (status.code == Code::protocol_closed) {
        status.message = fmt::format("{} closed the connection after the SSLRequest instead of answering 'S' or 'N'",
                                     peer());
      } else if (status.code == Code::protocol_timeout) {
        status.message = fmt::format("{} did not answer the SSLRequest before the deadline", peer());
        status.hint = "The port accepts TCP but does not speak PostgreSQL (or a proxy holds the connection): check "
                      "that it leads to PostgreSQL.";
      }
      fail(status);
      co_return false;
    }
    const std::string_view reply(answer, received);
    Json& facts = result_.facts;
    if (reply[0] == 'S') {
      facts["tls_offered"] = true;
      // CVE-2021-23222: whatever follows 'S' before the handshake would be
      // read as if it had come over TLS. Count what arrived with it and what
      // waits in the socket.
      const std::size_t extra = (received - 1) + connection_.unread_bytes();
      if (extra > 0) {
        fail(Code::postgres_bytes_before_tls,
             fmt::format("{} answered 'S' and then sent {} more byte(s) before the TLS handshake ({}): refusing to "
                         "go on, as libpq 14.1+ does",
                         peer(), extra, printable(reply.substr(1))));
        co_return false;
      }
      const bool upgraded = co_await upgrade_to_tls();
      co_return upgraded;
    }
    if (reply[0] == 'N') {
      facts["tls_offered"] = false;
      if (received > 1 || connection_.unread_bytes() > 0) {
        fail(Code::postgres_protocol_error,
             fmt::format("{} answered 'N' and then sent more bytes unasked: not a PostgreSQL server", peer()));
        co_return false;
      }
      if (settings_.tls == TlsMode::require || settings_.tls == TlsMode::verify_full) {
        fail(Code::postgres_tls_unavailable,
             fmt::format("{} answered 'N' to the SSLRequest: it does not accept TLS, and --tls {} requires it", peer(),
                         to_string(settings_.tls)));
        co_return false;
      }
      warnings_.push_back("the server does not offer TLS: this connection, and any password sent over it, is not "
                          "encrypted");
      co_return true;
    }
    if (reply[0] == 'E') {
      fail(Code::postgres_protocol_error,
           fmt::format("{} answered the SSLRequest with an ErrorResponse (as PostgreSQL before 7.0 did); plprobe does "
                       "not show its text, because nothing has authenticated the server yet (CVE-2024-10977)",
                       peer()),
           "Upgrade the server or check what listens on this port; run with --tls disable to see its start-up "
           "answer.");
      co_return false;
    }
    const std::string other = identify_other_protocol(reply);
    fail(Code::postgres_protocol_error,
         fmt::format("{} answered the SSLRequest with '{}' instead of 'S' or 'N'{}", peer(), printable(reply),
                     other.empty() ? std::string(": not a PostgreSQL server") : "; it looks like " + other));
    co_return false;
  }

  awaitable<bool> upgrade_to_tls() {
    if (context_.tls == nullptr) {
      fail(Code::tls_handshake_failed, "no TLS context is available for the upgrade");
      co_return false;
    }
    const auto step = Clock::now();
    TlsDetails details;
    Status status = co_await connection_.start_tls(*context_.tls, server_name_, context_.deadline, details);
    result_.phases.tls_ms = elapsed_ms(step);
    timings_["tls"] = round_ms(*result_.phases.tls_ms);
    if (status.ok() || !details.version.empty()) result_.tls = details;
    if (!status.ok()) {
      fail(status);
      co_return false;
    }
    const Status verdict = judge(details, server_name_);
    if (!verdict.ok()) {
      if (settings_.tls == TlsMode::verify_full) {
        fail(verdict);
        co_return false;
      }
      warnings_.push_back(fmt::format("certificate not verified ({}; --tls {} does not enforce it): {}",
                                      name(verdict.code), to_string(settings_.tls), verdict.message));
    }
    co_return true;
  }

  awaitable<Status> read_message(Frame& frame, std::string& storage) {
    char header[kHeaderSize];
    Status status = co_await connection_.read_exact(asio::buffer(header), context_.deadline);
    if (!status.ok()) co_return status;
    std::string why;
    const std::string_view header_view(header, kHeaderSize);
    auto length = body_length(header_view, kMaxStartupMessageBody, why);
    if (!length) {
      std::string other = identify_other_protocol(header_view);
      if (other.empty() && header[0] == 'E') {
        // Protocol 2.0 errors are 'E' and a string, no length (55.1).
        other = "a server of the pre-7.4 protocol 2.0 (an 'E' followed by text)";
      }
      co_return Status::failure(Code::postgres_protocol_error,
                                fmt::format("{} sent {} during start-up: {}{}", peer(), printable(header_view), why,
                                            other.empty() ? std::string() : "; it looks like " + other));
    }
    storage.resize(*length);
    if (*length > 0) status = co_await connection_.read_exact(asio::buffer(storage), context_.deadline);
    if (!status.ok()) co_return status;
    frame.type = header[0];
    frame.body = storage;
    co_return Status::success();
  }

  // 55.2.1 "Start-up".
  awaitable<bool> start_up() {
    const auto step = Clock::now();
    std::vector<std::pair<std::string, std::string>> parameters = {{"user", user_}};
    if (!context_.target.path.empty()) parameters.emplace_back("database", context_.target.path);
    parameters.emplace_back("application_name", "plprobe");
    const std::string startup = startup_message(parameters);
    Status status = co_await connection_.write(asio::buffer(startup), context_.deadline);
    Json& facts = result_.facts;
    facts["user"] = user_;
    if (!context_.target.path.empty()) facts["database"] = context_.target.path;
    std::string storage;
    Json notices = Json::array();
    Json parameters_seen = Json::object();
    bool done = false;
    for (int count = 0; status.ok() && !done; ++count) {
      if (count == kMaxStartupMessages) {
        status = Status::failure(Code::postgres_protocol_error,
                                 fmt::format("{} sent {} messages without deciding on the start-up", peer(), count));
        break;
      }
      Frame frame;
      status = co_await read_message(frame, storage);
      if (!status.ok()) break;
      std::string why;
      switch (frame.type) {
        case 'R': {
          auto request = parse_authentication(frame.body, why);
          if (!request) {
            status = Status::failure(Code::postgres_protocol_error,
                                     fmt::format("{} sent a malformed authentication request: {}", peer(), why));
            break;
          }
          if (request->code == AuthCode::sasl_continue || request->code == AuthCode::sasl_final ||
              request->code == AuthCode::gss_continue) {
            status = Status::failure(Code::postgres_protocol_error,
                                     fmt::format("{} continued an authentication exchange that never started", peer()));
            break;
          }
          if (request->code == AuthCode::ok) {
            if (trusted_) {
              status = Status::failure(Code::postgres_protocol_error,
                                       fmt::format("{} sent AuthenticationOk twice", peer()));
              break;
            }
            trusted_ = true;
            facts["auth_method"] = "trust";
            continue;  // ParameterStatus, BackendKeyData and ReadyForQuery follow (55.2.1)
          }
          facts["auth_method"] = auth_method_name(*request);
          if (!request->mechanisms.empty()) facts["sasl_mechanisms"] = request->mechanisms;
          if (request->code == AuthCode::cleartext_password && !connection_.tls_active()) {
            warnings_.push_back("the server asks for the password in cleartext over an unencrypted connection");
          }
          done = true;  // the method is known; no password goes over this connection
          break;
        }
        case 'E': {
          auto fields = parse_error_fields(frame.body, why);
          if (!fields) {
            status = Status::failure(Code::postgres_protocol_error,
                                     fmt::format("{} sent a malformed ErrorResponse: {}", peer(), why));
            break;
          }
          facts["error"] = error_json(*fields);
          std::string text = fields->message;
          if (!fields->detail.empty()) text += " (" + fields->detail + ")";
          status = classify_server_error(fields->code, fields->severity, text, connection_.tls_active(),
                                         !context_.target.user.empty(), peer());
          // Refusing the placeholder user says nothing about ClickPipes' user:
          // the server has answered as PostgreSQL, which is what a probe
          // without a user proves. The message says how to check further.
          if (context_.target.user.empty() &&
              (status.code == Code::postgres_auth_rejected || status.code == Code::postgres_auth_failed ||
               status.code == Code::postgres_database_missing)) {
            placeholder_refusal_ = fmt::format("{} {}: {}", fields->severity, fields->code, text);
            status = Status::success();
            done = true;
          }
          break;
        }
        case 'N': {
          auto fields = parse_error_fields(frame.body, why);
          if (fields && notices.size() < kMaxNotices) notices.push_back(error_json(*fields));
          break;
        }
        case 'v': {
          // 55.2.1: the server supports an older minor version or not all
          // protocol options; we ask for 3.0 without options, so this is news.
          auto negotiation = parse_negotiate_protocol_version(frame.body);
          if (negotiation) {
            facts["protocol_negotiation"] = {{"newest_minor", negotiation->newest_minor},
                                             {"unrecognized_options", negotiation->unrecognized_options}};
          }
          break;
        }
        case 'S': {
          if (auto parameter = parse_parameter_status(frame.body)) {
            const auto reported = std::find(std::begin(kReportedParameters), std::end(kReportedParameters),
                                            parameter->first) != std::end(kReportedParameters);
            if (reported) parameters_seen[parameter->first] = parameter->second;
          }
          break;
        }
        case 'K':
          break;  // BackendKeyData: the cancel key is a secret of the session; not reported
        case 'Z':
          if (!trusted_) {
            status = Status::failure(Code::postgres_protocol_error,
                                     fmt::format("{} said ReadyForQuery without authenticating", peer()));
            break;
          }
          done = true;
          break;
        default:
          status = Status::failure(Code::postgres_protocol_error,
                                   fmt::format("{} sent an unexpected '{}' message during start-up", peer(),
                                               printable(std::string_view(&frame.type, 1))));
          break;
      }
    }
    timings_["startup"] = round_ms(elapsed_ms(step));
    if (!notices.empty()) facts["notices"] = notices;
    if (!parameters_seen.empty()) {
      facts["parameters"] = parameters_seen;
      if (parameters_seen.contains("server_version")) facts["server_version"] = parameters_seen["server_version"];
    }
    if (!status.ok()) {
      if (status.code == Code::protocol_closed) {
        status.message = fmt::format("{} closed the connection after the StartupMessage without an answer", peer());
      } else if (status.code == Code::protocol_timeout) {
        status.message = fmt::format("{} did not answer the StartupMessage before the deadline", peer());
      }
      fail(status);
      co_return false;
    }
    if (trusted_) {
      // 55.2.9 "Termination": Terminate, then close.
      const std::string goodbye = terminate_message();
      (void)co_await connection_.write(asio::buffer(goodbye), context_.deadline);
    }
    co_return true;
  }

  std::string tls_summary() const {
    if (!result_.tls) return "no TLS";
    return fmt::format("{}, certificate {}", result_.tls->version, result_.tls->verified ? "verified" : "NOT verified");
  }

  std::string unauthenticated_summary() const {
    const Json& facts = result_.facts;
    std::string method = facts.value("auth_method", std::string("?"));
    if (facts.contains("sasl_mechanisms")) {
      std::string list;
      for (const auto& mechanism : facts["sasl_mechanisms"]) {
        list += (list.empty() ? "" : ", ") + mechanism.get<std::string>();
      }
      method += " (" + list + ")";
    }
    const std::string version =
        facts.contains("server_version") ? " " + facts["server_version"].get<std::string>() : std::string();
    if (!placeholder_refusal_.empty()) {
      return fmt::format("PostgreSQL{} at {} answered and refused the placeholder user '{}' ({}); name the ClickPipes "
                         "user (postgres://USER@HOST/DB) to check its access; {}",
                         version, peer(), user_, placeholder_refusal_, tls_summary());
    }
    if (trusted_) {
      return fmt::format("PostgreSQL{} at {} lets user '{}' in without a password (trust); {}", version, peer(),
                         user_, tls_summary());
    }
    return fmt::format("PostgreSQL{} at {} asks user '{}' for {}; {}", version, peer(), user_, method, tls_summary());
  }

  std::vector<std::pair<std::string, std::string>> libpq_parameters() const {
    const auto& target = context_.target;
    std::vector<std::pair<std::string, std::string>> parameters = {
        // host: the name libpq sends as SNI and verifies (verify-full);
        // hostaddr: the address this result is for, so libpq resolves nothing.
        {"host", server_name_},
        {"hostaddr", connection_.peer().address().to_string()},
        {"port", std::to_string(connection_.peer().port())},
        {"user", user_},
        {"application_name", "plprobe"},
        {"sslsni", "1"},
        // GSSAPI encryption would be tried before TLS when Kerberos
        // credentials exist; plprobe checks the TLS path ClickPipes uses.
        {"gssencmode", "disable"},
        {"client_encoding", "UTF8"},
    };
    if (!target.path.empty()) parameters.emplace_back("dbname", target.path);
    if (!settings_.password.empty()) parameters.emplace_back("password", settings_.password);
    const bool insecure = context_.tls != nullptr && context_.tls->options().insecure;
    switch (settings_.tls) {
      case TlsMode::disable:
        parameters.emplace_back("sslmode", "disable");
        break;
      case TlsMode::prefer:
        parameters.emplace_back("sslmode", "prefer");
        break;
      case TlsMode::require:
        parameters.emplace_back("sslmode", "require");
        break;
      case TlsMode::verify_full:
        if (insecure) {
          parameters.emplace_back("sslmode", "require");
        } else {
          parameters.emplace_back("sslmode", "verify-full");
          const std::string ca = context_.tls != nullptr && !context_.tls->options().ca_file.empty()
                                     ? context_.tls->options().ca_file
                                     : system_ca_file();
          parameters.emplace_back("sslrootcert", ca);
        }
        break;
    }
    return parameters;
  }

  awaitable<void> check_cdc() {
    Json& facts = result_.facts;
    const bool named_user = !context_.target.user.empty();
    LibpqSession session(context_.executor);
    auto step = Clock::now();
    auto failed = co_await session.connect(libpq_parameters(), context_.deadline);
    timings_["login"] = round_ms(elapsed_ms(step));
    const std::string address = peer();
    if (failed) {
      fail(classify_libpq_error(*failed, settings_.tls != TlsMode::disable && connection_.tls_active(), named_user,
                                address));
      co_return;
    }
    const std::string version = session.parameter("server_version");
    facts["server_version"] = version;
    const std::string login_tls = session.tls_version();
    facts["login"] = {{"user", user_}, {"tls", login_tls.empty() ? Json(nullptr) : Json(login_tls)}};
    const int version_num = PQserverVersion(session.native());
    std::vector<Finding> findings;
    if (version_num < 100000) {
      // pg_publication (10+) is part of the readiness query.
      findings.push_back(version_finding(version, version_num, false));
      facts["cdc"] = {{"ready", false}, {"server_version", version}, {"findings", to_json(findings)}};
    } else {
      step = Clock::now();
      std::optional<LibpqError> query_error;
      std::vector<std::optional<std::string>> parameters = {
          settings_.publication.empty() ? std::nullopt : std::optional<std::string>(settings_.publication)};
      const auto rows = co_await session.query(cdc_query(), parameters, context_.deadline, query_error);
      timings_["cdc_query"] = round_ms(elapsed_ms(step));
      if (query_error) {
        if (query_error->deadline) {
          fail(Code::protocol_timeout, fmt::format("{} did not answer the readiness query before the deadline", address));
        } else {
          fail(Code::postgres_query_failed,
               fmt::format("the readiness query failed on {}: {} {}: {}", address, query_error->severity,
                           query_error->sqlstate, query_error->message));
        }
        co_return;
      }
      std::string why;
      auto state = read_cdc_state(rows, why);
      if (!state) {
        fail(Code::postgres_query_failed, fmt::format("cannot read the readiness of {}: {}", address, why));
        co_return;
      }
      state->publication = settings_.publication;
      findings = evaluate(*state);
      facts["cdc"] = cdc_facts(*state, findings);
    }
    if (has_errors(findings)) {
      const auto first = std::find_if(findings.begin(), findings.end(),
                                      [](const Finding& finding) { return finding.severity == Severity::error; });
      fail(Code::postgres_cdc_not_ready,
           fmt::format("PostgreSQL {} at {} is not ready for ClickPipes CDC as user '{}': {}", version, address, user_,
                       error_summary(findings)),
           first->hint + (findings.size() > 1 ? " (facts.cdc.findings has every item and its fix)" : ""));
      co_return;
    }
    const Json& cdc = facts["cdc"];
    result_.message = fmt::format(
        "PostgreSQL {} at {} is ready for ClickPipes CDC as user '{}' (wal_level logical, {} of {} replication "
        "slots and {} of {} WAL senders free{}); {}",
        version, address, user_, cdc["replication_slots"]["free"].get<int>(),
        cdc["replication_slots"]["max"].get<int>(), cdc["wal_senders"]["free"].get<int>(),
        cdc["wal_senders"]["max"].get<int>(),
        settings_.publication.empty() ? std::string() : fmt::format(", publication '{}' exists", settings_.publication),
        tls_summary());
    if (!findings.empty()) {
      std::string notes;
      for (const auto& finding : findings) notes += (notes.empty() ? "" : "; ") + finding.message;
      result_.message += "; warnings: " + notes;
    }
  }

  ProbeContext& context_;
  Connection& connection_;
  ProbeResult& result_;
  const PostgresSettings& settings_;
  const std::string server_name_;
  const std::string user_;
  bool trusted_ = false;
  std::string placeholder_refusal_;  // the server's refusal of kDefaultUser, when it refused
  Json timings_ = Json::object();
  std::vector<std::string> warnings_;
};

}  // namespace

awaitable<void> PostgresProtocol::handshake(ProbeContext& context, Connection& connection, ProbeResult& result) {
  try {
    PostgresRun run(context, connection, result);
    co_await run.run();
  } catch (const std::exception& error) {
    // std::bad_alloc or a library surprise: a result, never an escape.
    result.fail(Code::postgres_protocol_error, fmt::format("the PostgreSQL probe stopped: {}", error.what()));
  }
}

std::unique_ptr<Protocol> make_postgres_protocol() { return std::make_unique<PostgresProtocol>(); }

}  // namespace plprobe::probes::postgres
