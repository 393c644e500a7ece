#include "probes/mysql/mysql_probe.h"

#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <exception>

#include <fmt/format.h>

#include "probes/mysql/mysql_cdc.h"
#include "probes/mysql/mysql_client.h"
#include "probes/mysql/mysql_packets.h"

namespace plprobe::probes::mysql {
namespace {

// Server error numbers (MySQL "Server Error Message Reference", MariaDB
// "MariaDB Error Codes").
constexpr unsigned kConCountError = 1040;
constexpr unsigned kDbAccessDenied = 1044;
constexpr unsigned kAccessDenied = 1045;
constexpr unsigned kHostIsBlocked = 1129;
constexpr unsigned kHostNotPrivileged = 1130;
constexpr unsigned kTooManyUserConnections = 1203;
constexpr unsigned kNotSupportedAuthMode = 1251;
constexpr unsigned kAccessDeniedNoPassword = 1698;
constexpr unsigned kSecureTransportRequired = 3159;        // MySQL 5.7+
constexpr unsigned kMariadbSecureTransportRequired = 4151;  // MariaDB 10.5.2+
// Client errors (errmsg.h): CR_SSL_CONNECTION_ERROR.
constexpr unsigned kClientSslConnectionError = 2026;
// Auth rounds after the HandshakeResponse: one AuthSwitchRequest and its
// answer are all an empty password can need.
constexpr int kMaxAuthRounds = 3;

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace

// An ERR packet (or Connector/C's report of one) as a Status.
Status classify_error(unsigned code, const std::string& sql_state, const std::string& message, const std::string& peer,
                      bool authenticated) {
  const std::string what =
      fmt::format("{} refused the connection: error {}{}: {}", peer, code,
                  sql_state.empty() ? std::string() : fmt::format(" ({})", sql_state), message);
  if (code == kHostNotPrivileged) return Status::failure(Code::mysql_host_not_allowed, what);
  if (code == kHostIsBlocked) return Status::failure(Code::mysql_host_blocked, what);
  if (code == kConCountError || code == kTooManyUserConnections) {
    return Status::failure(Code::mysql_too_many_connections, what);
  }
  if (code == kSecureTransportRequired || code == kMariadbSecureTransportRequired ||
      contains(message, "insecure transport")) {
    return Status::failure(Code::mysql_tls_required, what);
  }
  if (authenticated && (code == kAccessDenied || code == kDbAccessDenied || code == kAccessDeniedNoPassword ||
                        code == kNotSupportedAuthMode)) {
    return Status::failure(Code::mysql_auth_failed, what);
  }
  return Status::failure(Code::mysql_server_error, what);
}

namespace {

Json err_json(const ErrPacket& err) {
  return {{"code", err.code}, {"sql_state", err.sql_state.empty() ? Json(nullptr) : Json(err.sql_state)},
          {"message", err.message}};
}

// The peer certificate's DER: what the authenticated connection pins.
std::string certificate_der(SSL* ssl) {
  if (ssl == nullptr) return {};
  X509* certificate = SSL_get1_peer_certificate(ssl);
  if (certificate == nullptr) return {};
  std::string der;
  const int length = i2d_X509(certificate, nullptr);
  if (length > 0) {
    der.resize(static_cast<std::size_t>(length));
    auto* out = reinterpret_cast<unsigned char*>(der.data());
    if (i2d_X509(certificate, &out) != length) der.clear();
  }
  X509_free(certificate);
  return der;
}

class MysqlRun {
 public:
  MysqlRun(ProbeContext& context, Connection& connection, ProbeResult& result)
      : context_(context),
        connection_(connection),
        result_(result),
        settings_(context.settings.mysql),
        server_name_(context.settings.sni.empty() ? context.target.host : context.settings.sni) {}

  awaitable<void> run() {
    result_.facts["tls_mode"] = to_string(settings_.tls);
    // Each step's verdict goes into a local first: g++ 12 lays out the
    // coroutine frame wrongly for `if (!co_await step()) co_return;` here
    // (the resumed frame is read 8 bytes off), so no co_await sits inside a
    // condition in this file.
    const bool greeted = co_await read_greeting();
    if (!greeted) co_return;
    const bool secured = co_await negotiate_tls();
    if (!secured) co_return;
    const bool answered = co_await placeholder_login();
    if (!answered) co_return;
    connection_.close();
    if (!settings_.password.empty() && !context_.target.user.empty()) {
      co_await check_cdc();
    } else {
      result_.message = summary();
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

  // "MySQL Packets": 3-byte payload length, 1-byte sequence id.
  awaitable<Status> read_packet(std::string& payload, std::uint8_t& sequence) {
    char header[kPacketHeaderSize];
    Status status = co_await connection_.read_exact(asio::buffer(header), context_.deadline);
    if (!status.ok()) co_return status;
    const std::string_view header_view(header, kPacketHeaderSize);
    const PacketHeader parsed = parse_header(header_view);
    if (parsed.length == 0 || parsed.length > kMaxConnectionPacket) {
      const std::string other = identify_other_protocol(header_view);
      co_return Status::failure(
          Code::mysql_protocol_error,
          fmt::format("{} sent {}: a MySQL packet of {} bytes, which the connection phase never has{}", peer(),
                      printable(header_view), parsed.length,
                      other.empty() ? std::string(": not a MySQL server") : "; it looks like " + other));
    }
    payload.resize(parsed.length);
    status = co_await connection_.read_exact(asio::buffer(payload), context_.deadline);
    sequence = parsed.sequence;
    co_return status;
  }

  awaitable<Status> send_packet(std::string_view payload, std::uint8_t sequence) {
    const std::string packet = frame_packet(payload, sequence);
    const Status status = co_await connection_.write(asio::buffer(packet), context_.deadline);
    co_return status;
  }

  // "Connection Phase": the server speaks first.
  awaitable<bool> read_greeting() {
    const auto step = Clock::now();
    std::string payload;
    std::uint8_t sequence = 0;
    Status status = co_await read_packet(payload, sequence);
    timings_["greeting"] = round_ms(elapsed_ms(step));
    if (!status.ok()) {
      if (status.code == Code::protocol_timeout) {
        status.message = fmt::format("{} sent no greeting before the deadline", peer());
        status.hint = "MySQL and MariaDB greet first; a port that waits for the client speaks something else "
                      "(PostgreSQL, HTTP, TLS) or a proxy holds the connection: check the port and the path.";
      } else if (status.code == Code::protocol_closed) {
        status.message = fmt::format("{} closed the connection before greeting", peer());
      }
      fail(status);
      co_return false;
    }
    Json& facts = result_.facts;
    std::string why;
    if (static_cast<unsigned char>(payload[0]) == 0xff) {
      auto err = parse_err(payload, why);
      if (!err) {
        fail(Code::mysql_protocol_error, fmt::format("{} sent a malformed ERR packet: {}", peer(), why));
        co_return false;
      }
      facts["error"] = err_json(*err);
      fail(classify_error(err->code, err->sql_state, err->message, peer(), false));
      co_return false;
    }
    auto handshake = parse_handshake(payload, why);
    if (!handshake) {
      fail(Code::mysql_protocol_error, fmt::format("{} sent a greeting plprobe cannot read: {}", peer(), why));
      co_return false;
    }
    if (sequence != 0) {
      fail(Code::mysql_protocol_error,
           fmt::format("{} sent its greeting with sequence id {} instead of 0", peer(), sequence));
      co_return false;
    }
    handshake_ = std::move(*handshake);
    facts["protocol_version"] = handshake_.protocol_version;
    facts["server_version"] = display_version(handshake_);
    if (facts["server_version"] != handshake_.server_version) facts["server_version_raw"] = handshake_.server_version;
    facts["flavor"] = is_mariadb(handshake_) ? "mariadb" : "mysql";
    facts["connection_id"] = handshake_.connection_id;
    facts["capabilities"] = capability_names(handshake_.capabilities);
    if (handshake_.mariadb_capabilities != 0) {
      facts["mariadb_capabilities"] = mariadb_capability_names(handshake_.mariadb_capabilities);
    }
    facts["auth_plugin"] = handshake_.auth_plugin.empty() ? Json(nullptr) : Json(handshake_.auth_plugin);
    facts["character_set"] = handshake_.character_set ? Json(*handshake_.character_set) : Json(nullptr);
    facts["status_flags"] = handshake_.status_flags;
    facts["tls_offered"] = (handshake_.capabilities & capability::ssl) != 0;
    if (!(handshake_.capabilities & capability::protocol_41)) {
      fail(Code::mysql_protocol_error,
           fmt::format("{} ({}) does not speak the 4.1 protocol (no CLIENT_PROTOCOL_41): a server older than 4.1",
                       peer(), handshake_.server_version));
      co_return false;
    }
    co_return true;
  }

  awaitable<bool> negotiate_tls() {
    const bool offered = (handshake_.capabilities & capability::ssl) != 0;
    if (settings_.tls == TlsMode::disable) co_return true;
    if (!offered) {
      if (settings_.tls == TlsMode::require || settings_.tls == TlsMode::verify_full) {
        fail(Code::mysql_tls_unavailable,
             fmt::format("{} ({}) does not offer TLS (no CLIENT_SSL in its greeting), and --tls {} requires it", peer(),
                         display_version(handshake_), to_string(settings_.tls)));
        co_return false;
      }
      warnings_.push_back("the server does not offer TLS: this connection, and a password sent over it, is not "
                          "encrypted");
      co_return true;
    }
    // Protocol::SSLRequest, then TLS; the login continues with the next sequence id.
    Status status = co_await send_packet(ssl_request_payload(client_capabilities(handshake_, true)), 1);
    if (!status.ok()) {
      fail(status);
      co_return false;
    }
    sequence_ = 2;
    if (const std::size_t stray = connection_.unread_bytes(); stray > 0) {
      // A server sends nothing between the SSLRequest and the TLS
      // handshake; what arrives there would be mistaken for TLS data.
      fail(Code::mysql_protocol_error,
           fmt::format("{} sent {} byte(s) before the TLS handshake: refusing to go on", peer(), stray));
      co_return false;
    }
    if (context_.tls == nullptr) {
      fail(Code::tls_handshake_failed, "no TLS context is available for the upgrade");
      co_return false;
    }
    const auto step = Clock::now();
    TlsDetails details;
    status = co_await connection_.start_tls(*context_.tls, server_name_, context_.deadline, details);
    result_.phases.tls_ms = elapsed_ms(step);
    timings_["tls"] = round_ms(*result_.phases.tls_ms);
    if (status.ok() || !details.version.empty()) result_.tls = details;
    if (!status.ok()) {
      fail(status);
      co_return false;
    }
    certificate_der_ = certificate_der(connection_.ssl());
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

  // Step 3 of mysql_probe.h: finish the handshake with a login that is
  // meant to be refused.
  awaitable<bool> placeholder_login() {
    const auto step = Clock::now();
    const bool tls = connection_.tls_active();
    const std::uint32_t flags = client_capabilities(handshake_, tls);
    const std::string plugin =
        handshake_.auth_plugin.empty() ? std::string("mysql_native_password") : handshake_.auth_plugin;
    Status status = co_await send_packet(handshake_response_payload(flags, kPlaceholderUser, "", plugin), sequence_);
    Json login = {{"user", kPlaceholderUser}};
    std::string payload;
    std::uint8_t sequence = 0;
    bool done = false;
    for (int round = 0; status.ok() && !done && round < kMaxAuthRounds; ++round) {
      status = co_await read_packet(payload, sequence);
      if (!status.ok()) break;
      const auto first = static_cast<unsigned char>(payload[0]);
      std::string why;
      if (first == 0xff) {
        auto err = parse_err(payload, why);
        if (!err) {
          status = Status::failure(Code::mysql_protocol_error,
                                   fmt::format("{} sent a malformed ERR packet: {}", peer(), why));
          break;
        }
        login["error"] = err_json(*err);
        if (err->code == kAccessDenied || err->code == kAccessDeniedNoPassword || err->code == kDbAccessDenied) {
          login["result"] = "refused, as expected for the placeholder user";
          done = true;
          break;
        }
        result_.facts["placeholder_login"] = login;
        status = classify_error(err->code, err->sql_state, err->message, peer(), false);
        break;
      }
      if (first == 0x00) {
        login["result"] = "logged in";
        warnings_.push_back(fmt::format("the server let user '{}' in without a password", kPlaceholderUser));
        const std::string quit = quit_payload();
        (void)co_await send_packet(quit, 0);  // COM_QUIT starts a new command: sequence 0
        done = true;
        break;
      }
      if (first == 0xfe) {
        auto request = parse_auth_switch(payload, why);
        if (!request) {
          status = Status::failure(Code::mysql_protocol_error,
                                   fmt::format("{} sent a malformed AuthSwitchRequest: {}", peer(), why));
          break;
        }
        login["auth_switch"] = request->plugin;
        // Protocol::AuthSwitchResponse: the (empty) answer for that plugin.
        status = co_await send_packet("", static_cast<std::uint8_t>(sequence + 1));
        continue;
      }
      if (first == 0x01) {
        // AuthMoreData (caching_sha2_password asks for the full exchange):
        // the server has answered; an empty password goes no further.
        login["result"] = "the server asked for more authentication data";
        done = true;
        break;
      }
      status = Status::failure(Code::mysql_protocol_error,
                               fmt::format("{} answered the login with an unexpected packet starting {}", peer(),
                                           printable(payload)));
    }
    timings_["login"] = round_ms(elapsed_ms(step));
    if (!status.ok()) {
      if (!result_.facts.contains("placeholder_login")) result_.facts["placeholder_login"] = login;
      if (status.code == Code::protocol_closed) {
        status.message = fmt::format("{} closed the connection after the login packet without an answer", peer());
      }
      fail(status);
      co_return false;
    }
    if (!done) {
      fail(Code::mysql_protocol_error,
           fmt::format("{} did not decide on the login after {} rounds", peer(), kMaxAuthRounds));
      co_return false;
    }
    result_.facts["placeholder_login"] = login;
    co_return true;
  }

  std::string tls_summary() const {
    if (!result_.tls) return "no TLS";
    return fmt::format("{}, certificate {}", result_.tls->version, result_.tls->verified ? "verified" : "NOT verified");
  }

  std::string summary() const {
    return fmt::format("{} {} at {} (connection {}, auth plugin {}); {}",
                       is_mariadb(handshake_) ? "MariaDB" : "MySQL", display_version(handshake_), peer(),
                       handshake_.connection_id,
                       handshake_.auth_plugin.empty() ? std::string("not named") : handshake_.auth_plugin,
                       tls_summary());
  }

  awaitable<void> check_cdc() {
    Json& facts = result_.facts;
    ClientSession session(context_.executor);
    ConnectOptions options;
    options.address = connection_.peer().address().to_string();
    options.port = connection_.peer().port();
    options.user = context_.target.user;
    options.password = settings_.password;
    options.tls = connection_.tls_active();
    options.tls_certificate_der = certificate_der_;
    auto step = Clock::now();
    auto failed = co_await session.connect(options, context_.deadline);
    timings_["authenticated_login"] = round_ms(elapsed_ms(step));
    const std::string address = peer();
    if (failed) {
      if (failed->deadline) {
        fail(Code::protocol_timeout,
             fmt::format("{} did not finish the authenticated login (Connector/C) before the deadline", address));
      } else if (failed->code == kClientSslConnectionError) {
        fail(Code::tls_handshake_failed,
             fmt::format("the authenticated connection to {} failed its TLS check: {}", address, failed->message),
             "The server presented a different certificate on the second connection than on the first (a load "
             "balancer with several certificates?), or refused TLS: check the servers behind the endpoint.");
      } else if (failed->code >= 2000 && failed->code < 3000) {
        fail(Code::mysql_server_error,
             fmt::format("Connector/C could not log in to {}: error {}: {}", address, failed->code, failed->message));
      } else {
        Status status = classify_error(failed->code, failed->sql_state, failed->message, address, true);
        if (status.code == Code::mysql_auth_failed && !connection_.tls_active() &&
            (handshake_.capabilities & capability::ssl)) {
          // MariaDB answers 1045 also when the account REQUIRE SSL or the
          // server has require_secure_transport = ON.
          status.hint += " If the account requires TLS (REQUIRE SSL, require_secure_transport), MariaDB refuses a "
                         "plaintext login with this same error: probe with --tls require.";
        }
        fail(status);
      }
      co_return;
    }
    facts["login"] = {{"user", context_.target.user},
                      {"tls", session.tls_version().empty() ? Json(nullptr) : Json(session.tls_version())}};
    CdcState state;
    std::optional<ClientError> error;
    step = Clock::now();
    const Rows variables = co_await session.query(variables_query(), context_.deadline, error);
    Rows grants;
    Rows user;
    if (!error) grants = co_await session.query(grants_query(), context_.deadline, error);
    if (!error) user = co_await session.query("SELECT CURRENT_USER()", context_.deadline, error);
    timings_["cdc_queries"] = round_ms(elapsed_ms(step));
    if (error) {
      if (error->deadline) {
        fail(Code::protocol_timeout, fmt::format("{} did not answer the readiness queries before the deadline", address));
      } else {
        fail(Code::mysql_query_failed, fmt::format("a readiness query failed on {}: error {}: {}", address,
                                                   error->code, error->message));
      }
      co_return;
    }
    co_await session.close(context_.deadline);
    for (const auto& row : variables.rows) {
      if (row.size() < 2 || !row[0]) continue;
      std::string variable = *row[0];
      for (auto& c : variable) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      state.variables[variable] = row[1].value_or("");
    }
    std::vector<std::string> grant_lines;
    for (const auto& row : grants.rows) {
      if (!row.empty() && row[0]) grant_lines.push_back(*row[0]);
    }
    state.grants = read_grants(grant_lines);
    if (!user.rows.empty() && !user.rows[0].empty() && user.rows[0][0]) {
      const std::string& current = *user.rows[0][0];
      const auto at = current.rfind('@');
      state.user = at == std::string::npos ? "'" + current + "'"
                                           : fmt::format("'{}'@'{}'", current.substr(0, at), current.substr(at + 1));
    }
    const auto findings = evaluate(state);
    facts["cdc"] = cdc_facts(state, findings);
    if (has_errors(findings)) {
      const auto first = std::find_if(findings.begin(), findings.end(),
                                      [](const Finding& finding) { return finding.severity == Severity::error; });
      fail(Code::mysql_cdc_not_ready,
           fmt::format("{} {} at {} is not ready for ClickPipes CDC as {}: {}",
                       is_mariadb(state) ? "MariaDB" : "MySQL", display_version(handshake_), address, state.user,
                       error_summary(findings)),
           first->hint + (findings.size() > 1 ? " (facts.cdc.findings has every item and its fix)" : ""));
      co_return;
    }
    result_.message = fmt::format("{} {} at {} is ready for ClickPipes CDC as {} (binlog ROW, FULL row image, "
                                  "REPLICATION SLAVE and CLIENT); {}",
                                  is_mariadb(state) ? "MariaDB" : "MySQL", display_version(handshake_), address,
                                  state.user, tls_summary());
    std::string notes;
    for (const auto& finding : findings) {
      if (finding.severity == Severity::warning) notes += (notes.empty() ? "" : "; ") + finding.message;
    }
    if (!notes.empty()) result_.message += "; warnings: " + notes;
  }

  ProbeContext& context_;
  Connection& connection_;
  ProbeResult& result_;
  const MysqlSettings& settings_;
  const std::string server_name_;
  Handshake handshake_;
  std::uint8_t sequence_ = 1;
  std::string certificate_der_;
  Json timings_ = Json::object();
  std::vector<std::string> warnings_;
};

// The run's state lives in this coroutine's frame, outside any try block.
awaitable<void> run_mysql(ProbeContext& context, Connection& connection, ProbeResult& result) {
  MysqlRun session(context, connection, result);
  co_await session.run();
}

}  // namespace

awaitable<void> MysqlProtocol::handshake(ProbeContext& context, Connection& connection, ProbeResult& result) {
  try {
    co_await run_mysql(context, connection, result);
  } catch (const std::exception& error) {
    result.fail(Code::mysql_protocol_error, fmt::format("the MySQL probe stopped: {}", error.what()));
  }
}

std::unique_ptr<Protocol> make_mysql_protocol() { return std::make_unique<MysqlProtocol>(); }

}  // namespace plprobe::probes::mysql
