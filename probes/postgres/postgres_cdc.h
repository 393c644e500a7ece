// What ClickPipes Postgres CDC needs from a server, checked with one query
// as the user ClickPipes will use, and judged into findings.
//
// Requirements (ClickPipes "Postgres source setup" guides, PostgreSQL docs
// chapter 31 "Logical Replication", 31.10 "Configuration Settings"):
//   - PostgreSQL 12 or newer;
//   - wal_level = logical (RDS/Aurora: rds.logical_replication = 1 in the
//     DB / DB cluster parameter group);
//   - max_replication_slots and max_wal_senders above 0 with one free each
//     (ClickPipes recommends at least 4 slots and more than 1 sender);
//   - the user has the REPLICATION attribute, is a superuser, or (RDS/Aurora)
//     is a member of rds_replication;
//   - the publication named with --publication exists in the database.
// The server being a standby is reported as a warning.
//
// Pure functions (no I/O); thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "probes/postgres/postgres_libpq.h"
#include "probes/readiness.h"

namespace plprobe::probes::postgres {

// ClickPipes supports PostgreSQL 12 and newer.
inline constexpr int kOldestSupportedVersionNum = 120000;
// ClickPipes' guide: "max_replication_slots >= 4", "max_wal_senders > 1".
inline constexpr int kRecommendedReplicationSlots = 4;
inline constexpr int kRecommendedWalSenders = 2;

struct CdcState {
  std::string server_version;
  int server_version_num = 0;
  std::string wal_level;
  int max_replication_slots = 0;
  int used_replication_slots = 0;
  int max_wal_senders = 0;
  int used_wal_senders = 0;
  bool replication_attribute = false;
  bool superuser = false;
  bool rds_replication_member = false;
  std::optional<std::string> rds_logical_replication;  // present only on RDS and Aurora
  std::string user;
  std::string database;
  bool in_recovery = false;
  std::string publication;                // "" when none was asked for
  std::optional<bool> publication_exists;  // nullopt when none was asked for
};

// The readiness query: one row; $1 is the publication name or NULL. Needs
// PostgreSQL 10 or newer (pg_publication); every catalog is readable by any
// user.
const std::string& cdc_query();

// Reads the row of cdc_query() into a CdcState; nullopt (with `why`) when
// the row is missing or a value does not parse.
std::optional<CdcState> read_cdc_state(const QueryResult& result, std::string& why);

// Every requirement that is not met, most important first.
std::vector<Finding> evaluate(const CdcState& state);

// A finding for servers too old for cdc_query() (before PostgreSQL 10).
Finding version_finding(const std::string& server_version, int server_version_num, bool rds);

// facts.cdc: the values read and the findings.
Json cdc_facts(const CdcState& state, const std::vector<Finding>& findings);

}  // namespace plprobe::probes::postgres
