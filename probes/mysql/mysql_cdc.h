// What ClickPipes MySQL/MariaDB CDC needs from a server, read with two
// statements as the user ClickPipes will use, and judged into findings.
//
// Requirements (ClickPipes "Generic MySQL source setup" and "Generic MariaDB
// source setup" guides; MySQL Reference Manual 19.1.6.4 "Binary Logging
// Options and Variables"; MariaDB "Replication and Binary Log System
// Variables"):
//   - log_bin = ON with a non-zero server_id;
//   - binlog_format = ROW, binlog_row_image = FULL, binlog_row_metadata = FULL
//     where the server has it (MySQL 8.0.1+, MariaDB 10.5+);
//   - binary logs kept at least one day (binlog_expire_logs_seconds, or
//     expire_logs_days); on RDS/Aurora the 'binlog retention hours'
//     setting decides, which needs CALL mysql.rds_show_configuration;
//   - MySQL: GTID mode ON with enforce_gtid_consistency (MariaDB always has
//     GTIDs) — a warning, ClickPipes can replicate by file position;
//   - the user holds REPLICATION SLAVE and REPLICATION CLIENT (MariaDB
//     10.5+: BINLOG MONITOR) on *.*, or ALL PRIVILEGES.
//
// Pure functions (no I/O); thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "probes/readiness.h"

namespace plprobe::probes::mysql {

// ClickPipes' guides: "binlog_expire_logs_seconds = 86400 -- 1 day or higher".
inline constexpr long long kMinimumRetentionSeconds = 86400;

// SHOW GLOBAL VARIABLES for the variables evaluate() reads (a server lacks
// some of them; SHOW ... WHERE then simply returns fewer rows).
const std::string& variables_query();
// SHOW GRANTS for the current user (and, on MariaDB, its current role).
const std::string& grants_query();

struct Grants {
  bool all_privileges = false;
  bool replication_slave = false;
  bool replication_client = false;  // or MariaDB's BINLOG MONITOR
  bool via_roles = false;           // some privileges come from roles, which SHOW GRANTS does not expand
};

// Reads SHOW GRANTS lines ("GRANT A, B ON *.* TO `u`@`%` ..."); only grants
// on *.* count. The lines may hold password hashes: never report them.
Grants read_grants(const std::vector<std::string>& lines);

struct CdcState {
  std::map<std::string, std::string> variables;  // names in lower case
  Grants grants;
  std::string user;  // as the server sees it: 'user'@'host'
};

bool is_mariadb(const CdcState& state);
// RDS or Aurora (basedir /rdsdbbin/..., or an aurora_version variable).
bool is_rds(const CdcState& state);

// Every requirement that is not met, most important first.
std::vector<Finding> evaluate(const CdcState& state);

// facts.cdc: the values read (never the grant lines) and the findings.
Json cdc_facts(const CdcState& state, const std::vector<Finding>& findings);

}  // namespace plprobe::probes::mysql
