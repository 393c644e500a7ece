#include "probes/mysql/mysql_cdc.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace plprobe::probes::mysql {
namespace {

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

const std::string* find(const CdcState& state, const std::string& name) {
  auto it = state.variables.find(name);
  return it == state.variables.end() ? nullptr : &it->second;
}

std::string value_or(const CdcState& state, const std::string& name, const std::string& fallback) {
  const auto* value = find(state, name);
  return value ? *value : fallback;
}

// "3 days 4 hours" from seconds, for messages.
std::string duration_text(long long seconds) {
  if (seconds % 86400 == 0) return fmt::format("{} day(s)", seconds / 86400);
  if (seconds % 3600 == 0) return fmt::format("{} hour(s)", seconds / 3600);
  return fmt::format("{} second(s)", seconds);
}

}  // namespace

const std::string& variables_query() {
  static const std::string query =
      "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('version', 'version_comment', 'server_id', 'log_bin', "
      "'binlog_format', 'binlog_row_image', 'binlog_row_metadata', 'binlog_expire_logs_seconds', "
      "'expire_logs_days', 'gtid_mode', 'enforce_gtid_consistency', 'gtid_strict_mode', 'basedir', "
      "'aurora_version', 'require_secure_transport')";
  return query;
}

const std::string& grants_query() {
  static const std::string query = "SHOW GRANTS";
  return query;
}

Grants read_grants(const std::vector<std::string>& lines) {
  Grants grants;
  for (const auto& raw : lines) {
    const std::string line = trim(raw);
    const std::string line_upper = upper(line);
    if (!line_upper.starts_with("GRANT ")) continue;
    const auto on = line_upper.find(" ON ");
    const auto to = line_upper.find(" TO ");
    if (on == std::string::npos || (to != std::string::npos && to < on)) {
      // "GRANT `role` TO `user`@`host`": a role, whose privileges this
      // statement does not list.
      grants.via_roles = true;
      continue;
    }
    std::string what = trim(std::string_view(line_upper).substr(on + 4, to == std::string::npos ? std::string::npos
                                                                                                 : to - on - 4));
    what.erase(std::remove(what.begin(), what.end(), '`'), what.end());
    if (what != "*.*") continue;  // replication privileges are global only
    const std::string list = line_upper.substr(6, on - 6);
    std::size_t start = 0;
    while (start <= list.size()) {
      auto comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      const std::string privilege = trim(std::string_view(list).substr(start, comma - start));
      start = comma + 1;
      if (privilege == "ALL PRIVILEGES" || privilege == "ALL") grants.all_privileges = true;
      if (privilege == "REPLICATION SLAVE" || privilege == "REPLICATION REPLICA") grants.replication_slave = true;
      if (privilege == "REPLICATION CLIENT" || privilege == "BINLOG MONITOR") grants.replication_client = true;
    }
  }
  return grants;
}

bool is_mariadb(const CdcState& state) {
  return value_or(state, "version", "").find("MariaDB") != std::string::npos ||
         value_or(state, "version_comment", "").find("MariaDB") != std::string::npos;
}

bool is_rds(const CdcState& state) {
  return value_or(state, "basedir", "").starts_with("/rdsdbbin/") || find(state, "aurora_version") != nullptr;
}

std::vector<Finding> evaluate(const CdcState& state) {
  std::vector<Finding> findings;
  const bool mariadb = is_mariadb(state);
  const bool rds = is_rds(state);
  const bool aurora = find(state, "aurora_version") != nullptr;
  const std::string parameter_group = aurora ? "the DB cluster parameter group" : "the DB parameter group";
  auto setting_hint = [&](const std::string& name, const std::string& value) {
    if (rds) return fmt::format("Set {} = {} in {} and reboot the instance.", name, value, parameter_group);
    return fmt::format("Set {0} = {1} in the server's configuration ([mysqld] {0} = {1}) and restart (SET GLOBAL "
                       "changes only new sessions and is lost at restart).",
                       name, value);
  };

  const std::string log_bin = upper(value_or(state, "log_bin", "OFF"));
  if (log_bin != "ON" && log_bin != "1") {
    findings.push_back(
        {"log_bin_off", Severity::error, "binary logging is off (log_bin = OFF): there is no change stream to read",
         rds ? std::string("Turn on automated backups (a backup retention period above 0): RDS enables the binary "
                           "log with them; Aurora MySQL enables it with binlog_format in the DB cluster parameter "
                           "group. Then reboot.")
             : std::string("Start the server with log_bin (e.g. log_bin = mysql-bin in [mysqld]) and a non-zero "
                           "server_id, then restart.")});
  }
  if (const auto* server_id = find(state, "server_id"); server_id != nullptr && *server_id == "0") {
    findings.push_back({"server_id_zero", Severity::error,
                        "server_id is 0: the server refuses binary log clients",
                        setting_hint("server_id", "a unique number above 0")});
  }
  const std::string format = upper(value_or(state, "binlog_format", ""));
  if (format != "ROW") {
    findings.push_back({"binlog_format_not_row", Severity::error,
                        fmt::format("binlog_format is {} (CDC needs ROW)", format.empty() ? "unknown" : format),
                        setting_hint("binlog_format", "ROW")});
  }
  if (const auto* image = find(state, "binlog_row_image"); image != nullptr && upper(*image) != "FULL") {
    findings.push_back({"binlog_row_image_not_full", Severity::error,
                        fmt::format("binlog_row_image is {} (CDC needs FULL: every column of every changed row)",
                                    upper(*image)),
                        setting_hint("binlog_row_image", "FULL")});
  }
  if (const auto* metadata = find(state, "binlog_row_metadata"); metadata == nullptr) {
    findings.push_back({"binlog_row_metadata_unavailable", Severity::info,
                        mariadb ? "the server has no binlog_row_metadata (MariaDB before 10.5)"
                                : "the server has no binlog_row_metadata (MySQL before 8.0.1)",
                        "ClickPipes then cannot exclude columns; upgrade to get column metadata in row events."});
  } else if (upper(*metadata) != "FULL") {
    findings.push_back({"binlog_row_metadata_not_full", Severity::error,
                        fmt::format("binlog_row_metadata is {} (ClickPipes needs FULL: column names in row events)",
                                    upper(*metadata)),
                        setting_hint("binlog_row_metadata", "FULL")});
  }

  // Retention: binlog_expire_logs_seconds wins when above 0 (MySQL 8.0,
  // MariaDB 10.6+), else expire_logs_days (fractional on MariaDB 10.6+);
  // both 0 means never purged automatically.
  const double expire_seconds = std::atof(value_or(state, "binlog_expire_logs_seconds", "0").c_str());
  const double expire_days = std::atof(value_or(state, "expire_logs_days", "0").c_str());
  const long long retention = expire_seconds > 0 ? std::llround(expire_seconds) : std::llround(expire_days * 86400.0);
  if (rds) {
    findings.push_back({"binlog_retention_rds", Severity::warning,
                        "on RDS and Aurora the 'binlog retention hours' setting decides how long binary logs stay "
                        "(default NULL: purged as soon as possible); plprobe does not read it",
                        "Check it with CALL mysql.rds_show_configuration; set at least 24 hours, e.g. "
                        "CALL mysql.rds_set_configuration('binlog retention hours', 72);"});
  } else if (retention > 0 && retention < kMinimumRetentionSeconds) {
    findings.push_back(
        {"binlog_retention_short", Severity::error,
         fmt::format("binary logs are purged after {} (ClickPipes needs at least 1 day: a pipe paused longer "
                     "must resync from scratch)",
                     duration_text(retention)),
         setting_hint(expire_seconds > 0 || !mariadb ? "binlog_expire_logs_seconds" : "expire_logs_days",
                      expire_seconds > 0 || !mariadb ? "86400" : "1")});
  } else if (retention == 0) {
    findings.push_back({"binlog_never_purged", Severity::info,
                        "binary logs are never purged automatically (expiry 0)",
                        "Fine for CDC; watch the disk, or set an expiry of at least 1 day."});
  }

  if (!mariadb) {
    const auto* gtid_mode = find(state, "gtid_mode");
    if (gtid_mode != nullptr && upper(*gtid_mode) != "ON") {
      findings.push_back({"gtid_mode_off", Severity::warning,
                          fmt::format("gtid_mode is {}: ClickPipes then follows the binary log by file and position",
                                      upper(*gtid_mode)),
                          rds ? fmt::format("Set gtid-mode = ON and enforce_gtid_consistency = ON in {} and reboot.",
                                            parameter_group)
                              : std::string("Move gtid_mode step by step to ON (OFF_PERMISSIVE, ON_PERMISSIVE, ON) "
                                            "with enforce_gtid_consistency = ON.")});
    }
    const auto* enforce = find(state, "enforce_gtid_consistency");
    if (gtid_mode != nullptr && upper(*gtid_mode) == "ON" && enforce != nullptr && upper(*enforce) != "ON") {
      findings.push_back({"gtid_consistency_not_enforced", Severity::warning,
                          fmt::format("enforce_gtid_consistency is {}", upper(*enforce)),
                          setting_hint("enforce_gtid_consistency", "ON")});
    }
  }

  const auto& grants = state.grants;
  const std::string roles_note =
      grants.via_roles ? " (some privileges come from roles, which plprobe does not expand: check them)" : "";
  const std::string account = state.user.empty() ? std::string("'user'@'host'") : state.user;
  if (!grants.all_privileges && !grants.replication_slave) {
    findings.push_back({"replication_slave_missing", Severity::error,
                        "the user lacks REPLICATION SLAVE on *.*: it cannot read the binary log" + roles_note,
                        fmt::format("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO {};", account)});
  }
  if (!grants.all_privileges && !grants.replication_client) {
    findings.push_back(
        {"replication_client_missing", Severity::error,
         std::string("the user lacks REPLICATION CLIENT") + (mariadb ? " (BINLOG MONITOR)" : "") +
             " on *.*: it cannot see binary log positions" + roles_note,
         fmt::format("GRANT REPLICATION CLIENT ON *.* TO {};", account)});
  }
  return findings;
}

Json cdc_facts(const CdcState& state, const std::vector<Finding>& findings) {
  Json variables = Json::object();
  for (const auto& [name, value] : state.variables) variables[name] = value;
  return {
      {"ready", !has_errors(findings)},
      {"flavor", is_mariadb(state) ? "mariadb" : "mysql"},
      {"rds", is_rds(state)},
      {"user", state.user},
      {"variables", variables},
      {"privileges",
       {{"replication_slave", state.grants.all_privileges || state.grants.replication_slave},
        {"replication_client", state.grants.all_privileges || state.grants.replication_client},
        {"all_privileges", state.grants.all_privileges},
        {"via_roles", state.grants.via_roles}}},
      {"findings", to_json(findings)},
  };
}

}  // namespace plprobe::probes::mysql
