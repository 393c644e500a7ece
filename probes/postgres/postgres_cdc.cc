#include "probes/postgres/postgres_cdc.h"

#include <charconv>
#include <map>

#include <fmt/format.h>

namespace plprobe::probes::postgres {
namespace {

// Where RDS and Aurora keep the settings a user cannot change with ALTER SYSTEM.
constexpr const char* kRdsParameterGroup =
    "the instance's DB parameter group (Aurora: the DB cluster parameter group), then reboot";

std::optional<int> to_int(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  int value = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

std::optional<bool> to_bool(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  if (*text == "t") return true;
  if (*text == "f") return false;
  return std::nullopt;
}

// An identifier as SQL would need it in a hint: bare when it is a plain
// lower-case name, double-quoted otherwise.
std::string sql_identifier(const std::string& name) {
  bool plain = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) plain = false;
  }
  if (plain) return name;
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

const std::string& cdc_query() {
  static const std::string query = R"(SELECT
  current_setting('server_version') AS server_version,
  current_setting('server_version_num')::int AS server_version_num,
  current_setting('wal_level') AS wal_level,
  current_setting('max_replication_slots')::int AS max_replication_slots,
  (SELECT count(*) FROM pg_catalog.pg_replication_slots)::int AS used_replication_slots,
  current_setting('max_wal_senders')::int AS max_wal_senders,
  (SELECT count(*) FROM pg_catalog.pg_stat_replication)::int AS used_wal_senders,
  r.rolreplication AS replication_attribute,
  r.rolsuper AS superuser,
  EXISTS (SELECT 1 FROM pg_catalog.pg_roles g
          WHERE g.rolname = 'rds_replication' AND pg_catalog.pg_has_role(r.oid, g.oid, 'MEMBER'))
    AS rds_replication_member,
  current_setting('rds.logical_replication', true) AS rds_logical_replication,
  current_user::text AS user_name,
  current_database()::text AS database_name,
  pg_catalog.pg_is_in_recovery() AS in_recovery,
  CASE WHEN $1::text IS NULL THEN NULL
       ELSE EXISTS (SELECT 1 FROM pg_catalog.pg_publication p WHERE p.pubname = $1::text) END
    AS publication_exists
FROM pg_catalog.pg_roles r
WHERE r.rolname = current_user)";
  return query;
}

std::optional<CdcState> read_cdc_state(const QueryResult& result, std::string& why) {
  if (result.rows.size() != 1) {
    why = fmt::format("the readiness query returned {} rows instead of one", result.rows.size());
    return std::nullopt;
  }
  std::map<std::string, std::optional<std::string>> row;
  for (std::size_t i = 0; i < result.columns.size() && i < result.rows[0].size(); ++i) {
    row[result.columns[i]] = result.rows[0][i];
  }
  auto text = [&row](const char* name) { return row.count(name) ? row[name] : std::nullopt; };
  CdcState state;
  const auto version_num = to_int(text("server_version_num"));
  const auto max_slots = to_int(text("max_replication_slots"));
  const auto used_slots = to_int(text("used_replication_slots"));
  const auto max_senders = to_int(text("max_wal_senders"));
  const auto used_senders = to_int(text("used_wal_senders"));
  const auto replication = to_bool(text("replication_attribute"));
  const auto superuser = to_bool(text("superuser"));
  const auto rds_member = to_bool(text("rds_replication_member"));
  const auto recovery = to_bool(text("in_recovery"));
  if (!version_num || !max_slots || !used_slots || !max_senders || !used_senders || !replication || !superuser ||
      !rds_member || !recovery || !text("wal_level")) {
    why = "the readiness query returned values that do not parse";
    return std::nullopt;
  }
  state.server_version = text("server_version").value_or("");
  state.server_version_num = *version_num;
  state.wal_level = *text("wal_level");
  state.max_replication_slots = *max_slots;
  state.used_replication_slots = *used_slots;
  state.max_wal_senders = *max_senders;
  state.used_wal_senders = *used_senders;
  state.replication_attribute = *replication;
  state.superuser = *superuser;
  state.rds_replication_member = *rds_member;
  state.rds_logical_replication = text("rds_logical_replication");
  state.user = text("user_name").value_or("");
  state.database = text("database_name").value_or("");
  state.in_recovery = *recovery;
  state.publication_exists = to_bool(text("publication_exists"));
  return state;
}

Finding version_finding(const std::string& server_version, int server_version_num, bool rds) {
  return {"server_version_unsupported", Severity::error,
          fmt::format("PostgreSQL {} (server_version_num {}) is older than 12, the oldest version ClickPipes supports",
                      server_version, server_version_num),
          rds ? "Upgrade the instance to PostgreSQL 12 or newer (RDS/Aurora: a major version upgrade)."
              : "Upgrade to PostgreSQL 12 or newer."};
}

std::vector<Finding> evaluate(const CdcState& state) {
  std::vector<Finding> findings;
  const bool rds = state.rds_logical_replication.has_value();
  if (state.server_version_num < kOldestSupportedVersionNum) {
    findings.push_back(version_finding(state.server_version, state.server_version_num, rds));
  }
  if (state.wal_level != "logical") {
    findings.push_back(
        {"wal_level_not_logical", Severity::error,
         fmt::format("wal_level is '{}'; logical decoding needs 'logical'", state.wal_level),
         rds ? fmt::format("Set rds.logical_replication = 1 (now {}) in {}; that sets wal_level to logical.",
                           state.rds_logical_replication->empty() ? "unset" : *state.rds_logical_replication,
                           kRdsParameterGroup)
             : "Run ALTER SYSTEM SET wal_level = logical (or set it in postgresql.conf) and restart PostgreSQL."});
  }
  const int free_slots = state.max_replication_slots - state.used_replication_slots;
  const std::string slots_where =
      rds ? fmt::format("raise max_replication_slots in {}", kRdsParameterGroup)
          : std::string("raise max_replication_slots (ALTER SYSTEM SET max_replication_slots = 10) and restart");
  if (state.max_replication_slots <= 0) {
    findings.push_back({"no_replication_slots", Severity::error,
                        "max_replication_slots is 0: the server cannot keep a replication slot for ClickPipes",
                        "ClickPipes recommends at least 4: " + slots_where + "."});
  } else if (free_slots <= 0) {
    findings.push_back(
        {"replication_slots_exhausted", Severity::error,
         fmt::format("all {} replication slots are in use", state.max_replication_slots),
         "Drop slots nobody uses (SELECT slot_name, active FROM pg_replication_slots; then "
         "SELECT pg_drop_replication_slot('name')), or " + slots_where + "."});
  } else if (state.max_replication_slots < kRecommendedReplicationSlots) {
    findings.push_back({"few_replication_slots", Severity::warning,
                        fmt::format("max_replication_slots is {} ({} free); ClickPipes recommends at least {}",
                                    state.max_replication_slots, free_slots, kRecommendedReplicationSlots),
                        slots_where + "."});
  }
  const int free_senders = state.max_wal_senders - state.used_wal_senders;
  const std::string senders_where =
      rds ? fmt::format("raise max_wal_senders in {}", kRdsParameterGroup)
          : std::string("raise max_wal_senders (ALTER SYSTEM SET max_wal_senders = 10) and restart");
  if (state.max_wal_senders <= 0) {
    findings.push_back({"no_wal_senders", Severity::error,
                        "max_wal_senders is 0: the server cannot stream changes to any replication client",
                        "ClickPipes recommends more than 1: " + senders_where + "."});
  } else if (free_senders <= 0) {
    findings.push_back({"wal_senders_exhausted", Severity::error,
                        fmt::format("all {} WAL senders are in use", state.max_wal_senders),
                        "Stop replication clients that are no longer needed (pg_stat_replication lists them), or " +
                            senders_where + "."});
  } else if (state.max_wal_senders < kRecommendedWalSenders) {
    findings.push_back({"few_wal_senders", Severity::warning,
                        fmt::format("max_wal_senders is {}; ClickPipes recommends more than 1", state.max_wal_senders),
                        senders_where + "."});
  }
  if (!state.replication_attribute && !state.superuser && !state.rds_replication_member) {
    const std::string user = sql_identifier(state.user);
    findings.push_back(
        {"replication_privilege_missing", Severity::error,
         fmt::format("user '{}' may not replicate: no REPLICATION attribute{}", state.user,
                     rds ? " and no membership in rds_replication" : ""),
         rds ? fmt::format("As the master user: GRANT rds_replication TO {};", user)
             : fmt::format("As a superuser: ALTER USER {} REPLICATION;", user)});
  }
  if (!state.publication.empty() && state.publication_exists == false) {
    findings.push_back(
        {"publication_missing", Severity::error,
         fmt::format("publication '{}' does not exist in database '{}'", state.publication, state.database),
         fmt::format("In database {}, as the tables' owner: CREATE PUBLICATION {} FOR TABLE schema.table, ...; "
                     "(publications belong to one database: check that the target names the right one).",
                     sql_identifier(state.database), sql_identifier(state.publication))});
  }
  if (state.in_recovery) {
    findings.push_back({"server_is_standby", Severity::warning,
                        "the server is a standby (in recovery): logical replication slots there need PostgreSQL 16+",
                        "Point ClickPipes at the primary (for RDS/Aurora, the writer endpoint), unless you mean to "
                        "replicate from a PostgreSQL 16+ standby with hot_standby_feedback on."});
  }
  return findings;
}

Json cdc_facts(const CdcState& state, const std::vector<Finding>& findings) {
  const char* privilege = state.replication_attribute ? "replication attribute"
                          : state.superuser           ? "superuser"
                          : state.rds_replication_member ? "rds_replication"
                                                         : nullptr;
  Json facts = {
      {"ready", !has_errors(findings)},
      {"server_version", state.server_version},
      {"wal_level", state.wal_level},
      {"replication_slots",
       {{"max", state.max_replication_slots},
        {"used", state.used_replication_slots},
        {"free", state.max_replication_slots - state.used_replication_slots}}},
      {"wal_senders",
       {{"max", state.max_wal_senders},
        {"used", state.used_wal_senders},
        {"free", state.max_wal_senders - state.used_wal_senders}}},
      {"user", state.user},
      {"database", state.database},
      {"replication_privilege", privilege ? Json(privilege) : Json(nullptr)},
      {"rds", state.rds_logical_replication.has_value()},
      {"in_recovery", state.in_recovery},
  };
  if (state.publication.empty()) {
    facts["publication"] = nullptr;
  } else {
    facts["publication"] = {{"name", state.publication},
                            {"exists", state.publication_exists ? Json(*state.publication_exists) : Json(nullptr)}};
  }
  facts["findings"] = to_json(findings);
  return facts;
}

}  // namespace plprobe::probes::postgres
