#include "probes/mongodb/mongodb_readiness.h"

#include <algorithm>

#include <fmt/format.h>

#include "probes/mongodb/mongodb_auth.h"

namespace plprobe::probes::mongodb {
namespace {

// MongoDB error codes (error_codes.yml).
constexpr std::int64_t kUnauthorized = 13;
constexpr std::int64_t kNoReplicationEnabled = 76;
constexpr std::int64_t kNotYetInitialized = 94;

std::string describe(const CommandError& error) {
  return fmt::format("{} (code {}{})", error.message, error.code, error.code_name.empty() ? "" : " " + error.code_name);
}

void note_missing_role(ReadinessReport& out, const std::string& role) {
  if (std::find(out.missing_roles.begin(), out.missing_roles.end(), role) == out.missing_roles.end()) {
    out.missing_roles.push_back(role);
  }
}

Json command_failure(const CommandError& error) {
  return {{"ok", false}, {"code", error.code}, {"code_name", error.code_name}, {"message", error.message}};
}

}  // namespace

std::optional<Finding> version_finding(const HelloInfo& hello) {
  const auto wire = hello.max_wire_version.value_or(-1);
  if (wire >= kClickPipesMinWireVersion) return std::nullopt;
  return Finding{"server_version_below_5_1", Severity::error,
                 fmt::format("the server is MongoDB {} (wire version {}); ClickPipes needs 5.1 or later",
                             server_version_for(wire).text, wire),
                 "Upgrade the deployment to MongoDB 5.1 or later (6.0, 7.0 or 8.0 are current releases)."};
}

awaitable<void> check_readiness(Channel& channel, const HelloInfo& hello, const Credentials& credentials,
                                ReadinessReport& out) {
  Json auth = Json::object();
  auth["user"] = credentials.user;
  auth["database"] = credentials.database;
  const auto hash = choose_mechanism(hello.sasl_supported_mechs, hello.max_wire_version.value_or(0));
  if (!hash) {
    std::string offered;
    for (const auto& mechanism : hello.sasl_supported_mechs) offered += (offered.empty() ? "" : ", ") + mechanism;
    auth["offered"] = hello.sasl_supported_mechs;
    out.facts["auth"] = std::move(auth);
    out.blocking = Status::failure(Code::mongodb_auth_mechanism_unsupported,
                                   fmt::format("the server offers {} only {} for {}.{}; plprobe speaks SCRAM-SHA-256 "
                                               "and SCRAM-SHA-1",
                                               offered, hello.sasl_supported_mechs.size() == 1 ? "mechanism" : "mechanisms",
                                               credentials.database, credentials.user));
    co_return;
  }
  AuthResult result;
  Status status = co_await authenticate(channel, *hash, credentials.database, credentials.user, credentials.password,
                                        result);
  auth["mechanism"] = result.mechanism;
  auth["authenticated"] = result.authenticated;
  if (!status.ok()) {
    out.facts["auth"] = std::move(auth);
    if (status.code == Code::mongodb_auth_failed) {
      status.message = fmt::format("authentication as {} (database {}) failed: {}", credentials.user,
                                   credentials.database, status.message);
    }
    out.blocking = std::move(status);
    co_return;
  }

  Json cdc = Json::object();
  Document reply;
  // ping: the session works.
  status = co_await channel.run(command("ping"), "admin", reply);
  if (!status.ok()) {
    out.facts["auth"] = std::move(auth);
    out.blocking = std::move(status);
    co_return;
  }
  cdc["ping"] = !command_error(reply).has_value();

  // connectionStatus: the user's roles, for the record.
  status = co_await channel.run(command("connectionStatus"), "admin", reply);
  if (status.ok() && !command_error(reply)) {
    Json roles = Json::array();
    if (auto auth_info = reply.document("authInfo")) {
      for (const auto& role : auth_info->documents("authenticatedUserRoles")) {
        roles.push_back(fmt::format("{}@{}", role.string("role").value_or("?"), role.string("db").value_or("?")));
      }
    }
    auth["roles"] = std::move(roles);
  }
  out.facts["auth"] = std::move(auth);
  if (!status.ok()) {
    out.blocking = std::move(status);
    co_return;
  }

  // replSetGetStatus (clusterMonitor).
  status = co_await channel.run(command("replSetGetStatus"), "admin", reply);
  if (!status.ok()) {
    out.blocking = std::move(status);
    co_return;
  }
  bool replicating = false;
  if (auto error = command_error(reply)) {
    cdc["repl_set_get_status"] = command_failure(*error);
    if (error->code == kUnauthorized) {
      note_missing_role(out, "clusterMonitor");
    } else if (error->code == kNoReplicationEnabled || error->code == kNotYetInitialized) {
      out.findings.push_back({"replication_not_running", Severity::error,
                              fmt::format("replSetGetStatus says replication is not running: {}", describe(*error)),
                              "Start mongod with --replSet NAME and run rs.initiate() once."});
    }
  } else {
    replicating = true;
    Json members = Json::array();
    for (const auto& member : reply.documents("members")) {
      members.push_back({{"name", member.string("name").value_or("")},
                         {"state", member.string("stateStr").value_or("")},
                         {"health", member.number("health").value_or(0)},
                         {"self", member.boolean("self").value_or(false)}});
    }
    cdc["repl_set_get_status"] = {{"ok", true},
                                  {"set", reply.string("set").value_or("")},
                                  {"my_state", reply.integer("myState").value_or(0)},
                                  {"members", std::move(members)}};
  }

  // listDatabases over every database (readAnyDatabase grants it).
  Builder list_options;
  list_options.boolean("nameOnly", true).boolean("authorizedDatabases", false);
  status = co_await channel.run(command("listDatabases", list_options.finish().value_or(Document())), "admin", reply);
  if (!status.ok()) {
    out.blocking = std::move(status);
    co_return;
  }
  if (auto error = command_error(reply)) {
    cdc["list_databases"] = command_failure(*error);
    if (error->code == kUnauthorized) note_missing_role(out, "readAnyDatabase");
  } else {
    cdc["list_databases"] = {{"ok", true}, {"count", reply.documents("databases").size()}};
  }

  // local.oplog.rs: the whole list when the user may list local, else the
  // collections it has privileges on (authorizedCollections).
  Json oplog = Json::object();
  bool definitive = true;
  Builder filter;
  filter.string("name", "oplog.rs");
  Builder collections;
  collections.document("filter", filter).boolean("nameOnly", true);
  status = co_await channel.run(command("listCollections", collections.finish().value_or(Document())), "local", reply);
  if (status.ok() && command_error(reply) && command_error(reply)->code == kUnauthorized) {
    definitive = false;
    Builder authorized;
    authorized.document("filter", filter).boolean("nameOnly", true).boolean("authorizedCollections", true);
    status = co_await channel.run(command("listCollections", authorized.finish().value_or(Document())), "local", reply);
  }
  if (!status.ok()) {
    out.blocking = std::move(status);
    co_return;
  }
  if (auto error = command_error(reply)) {
    oplog["present"] = nullptr;
    oplog["error"] = describe(*error);
  } else {
    bool present = false;
    if (auto cursor = reply.document("cursor")) {
      for (const auto& entry : cursor->documents("firstBatch")) present = present || entry.string("name") == "oplog.rs";
    }
    if (present) {
      oplog["present"] = true;
    } else if (definitive) {
      oplog["present"] = false;
      out.findings.push_back({"oplog_missing", Severity::error,
                              "local.oplog.rs does not exist: this server keeps no oplog for change streams",
                              "Run the server as a replica-set member (--replSet, rs.initiate()); a standalone has no "
                              "oplog."});
    } else {
      oplog["present"] = replicating ? Json(true) : Json(nullptr);
      oplog["note"] = "the user may not list local; presence inferred from replSetGetStatus";
    }
  }

  // serverStatus: oplogTruncation.oplogMinRetentionHours (clusterMonitor).
  status = co_await channel.run(command("serverStatus"), "admin", reply);
  if (!status.ok()) {
    out.blocking = std::move(status);
    co_return;
  }
  if (auto error = command_error(reply)) {
    oplog["min_retention_hours"] = nullptr;
    if (error->code == kUnauthorized) note_missing_role(out, "clusterMonitor");
  } else {
    const auto truncation = reply.document("oplogTruncation");
    const auto hours = truncation ? truncation->number("oplogMinRetentionHours") : std::nullopt;
    oplog["min_retention_hours"] = hours ? Json(*hours) : Json(nullptr);
    if (replicating && !hours) {
      out.findings.push_back({"oplog_retention_unset", Severity::error,
                              "no minimum oplog retention is set (serverStatus has no "
                              "oplogTruncation.oplogMinRetentionHours): the oplog is capped by size only",
                              "Run on every member: db.adminCommand({replSetResizeOplog: 1, minRetentionHours: 72}) "
                              "(ClickPipes needs at least 24 hours and recommends 72; in Atlas: Minimum Oplog Window)."});
    } else if (hours && *hours < kClickPipesMinOplogHours) {
      out.findings.push_back({"oplog_retention_below_24h", Severity::error,
                              fmt::format("the minimum oplog retention is {} hours; ClickPipes needs at least {}",
                                          *hours, kClickPipesMinOplogHours),
                              "Run on every member: db.adminCommand({replSetResizeOplog: 1, minRetentionHours: 72})."});
    }
  }
  cdc["oplog"] = std::move(oplog);
  out.facts["cdc"] = std::move(cdc);
}

}  // namespace plprobe::probes::mongodb
