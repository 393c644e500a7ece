// CDC readiness judgement (probes/postgres/postgres_cdc.h) and libpq error
// parsing, on values written out by hand.
#include "probes/postgres/postgres_cdc.h"

#include <algorithm>
#include <optional>

#include <gtest/gtest.h>

namespace plprobe::probes::postgres {
namespace {

CdcState ready_state() {
  CdcState state;
  state.server_version = "15.4";
  state.server_version_num = 150004;
  state.wal_level = "logical";
  state.max_replication_slots = 10;
  state.used_replication_slots = 2;
  state.max_wal_senders = 10;
  state.used_wal_senders = 1;
  state.replication_attribute = true;
  state.user = "clickpipes";
  state.database = "app";
  return state;
}

std::vector<std::string> ids(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& finding : findings) out.push_back(finding.id);
  return out;
}

// A copy: callers often pass evaluate(...)'s temporary.
std::optional<Finding> by_id(const std::vector<Finding>& findings, const std::string& id) {
  auto it = std::find_if(findings.begin(), findings.end(), [&](const Finding& finding) { return finding.id == id; });
  if (it == findings.end()) return std::nullopt;
  return *it;
}

TEST(PostgresCdc, AReadyServerHasNoFindings) {
  const auto findings = evaluate(ready_state());
  EXPECT_TRUE(findings.empty()) << ids(findings).size();
  const Json facts = cdc_facts(ready_state(), findings);
  EXPECT_EQ(facts["ready"], true);
  EXPECT_EQ(facts["replication_slots"]["free"], 8);
  EXPECT_EQ(facts["wal_senders"]["free"], 9);
  EXPECT_EQ(facts["replication_privilege"], "replication attribute");
  EXPECT_TRUE(facts["publication"].is_null());
}

TEST(PostgresCdc, WalLevelReplicaIsAnErrorWithTheSelfManagedFix) {
  auto state = ready_state();
  state.wal_level = "replica";
  const auto findings = evaluate(state);
  auto finding = by_id(findings, "wal_level_not_logical");
  ASSERT_NE(finding, std::nullopt);
  EXPECT_EQ(finding->severity, Severity::error);
  EXPECT_NE(finding->message.find("'replica'"), std::string::npos);
  EXPECT_NE(finding->hint.find("ALTER SYSTEM SET wal_level = logical"), std::string::npos) << finding->hint;
  EXPECT_TRUE(has_errors(findings));
}

TEST(PostgresCdc, OnRdsTheHintNamesTheParameterGroupSetting) {
  auto state = ready_state();
  state.wal_level = "replica";
  state.rds_logical_replication = "off";
  state.max_replication_slots = 2;
  state.used_replication_slots = 0;
  const auto findings = evaluate(state);
  auto wal = by_id(findings, "wal_level_not_logical");
  ASSERT_NE(wal, std::nullopt);
  EXPECT_NE(wal->hint.find("rds.logical_replication = 1"), std::string::npos) << wal->hint;
  EXPECT_NE(wal->hint.find("DB parameter group"), std::string::npos) << wal->hint;
  EXPECT_NE(wal->hint.find("DB cluster parameter group"), std::string::npos) << wal->hint;
  auto few = by_id(findings, "few_replication_slots");
  ASSERT_NE(few, std::nullopt);
  EXPECT_EQ(few->severity, Severity::warning);
  EXPECT_NE(few->hint.find("parameter group"), std::string::npos);
}

TEST(PostgresCdc, SlotsAndSendersZeroOrAllUsedAreErrors) {
  auto none = ready_state();
  none.max_replication_slots = 0;
  none.used_replication_slots = 0;
  none.max_wal_senders = 0;
  none.used_wal_senders = 0;
  auto findings = evaluate(none);
  EXPECT_NE(by_id(findings, "no_replication_slots"), std::nullopt);
  EXPECT_NE(by_id(findings, "no_wal_senders"), std::nullopt);

  auto full = ready_state();
  full.max_replication_slots = 4;
  full.used_replication_slots = 4;
  full.max_wal_senders = 3;
  full.used_wal_senders = 3;
  findings = evaluate(full);
  auto slots = by_id(findings, "replication_slots_exhausted");
  ASSERT_NE(slots, std::nullopt);
  EXPECT_NE(slots->hint.find("pg_drop_replication_slot"), std::string::npos);
  EXPECT_NE(by_id(findings, "wal_senders_exhausted"), std::nullopt);
  EXPECT_EQ(cdc_facts(full, findings)["replication_slots"]["free"], 0);
}

TEST(PostgresCdc, FewSlotsOrSendersAreOnlyWarnings) {
  auto state = ready_state();
  state.max_replication_slots = 3;
  state.used_replication_slots = 0;
  state.max_wal_senders = 1;
  state.used_wal_senders = 0;
  const auto findings = evaluate(state);
  EXPECT_EQ(ids(findings), (std::vector<std::string>{"few_replication_slots", "few_wal_senders"}));
  EXPECT_FALSE(has_errors(findings));
}

TEST(PostgresCdc, ReplicationPrivilegeComesFromTheAttributeSuperuserOrRdsReplication) {
  auto state = ready_state();
  state.replication_attribute = false;
  auto findings = evaluate(state);
  auto missing = by_id(findings, "replication_privilege_missing");
  ASSERT_NE(missing, std::nullopt);
  EXPECT_NE(missing->hint.find("ALTER USER clickpipes REPLICATION;"), std::string::npos) << missing->hint;

  state.rds_logical_replication = "on";
  findings = evaluate(state);
  missing = by_id(findings, "replication_privilege_missing");
  ASSERT_NE(missing, std::nullopt);
  EXPECT_NE(missing->hint.find("GRANT rds_replication TO clickpipes;"), std::string::npos) << missing->hint;

  state.rds_replication_member = true;
  EXPECT_EQ(by_id(evaluate(state), "replication_privilege_missing"), std::nullopt);
  EXPECT_EQ(cdc_facts(state, {})["replication_privilege"], "rds_replication");

  auto super = ready_state();
  super.replication_attribute = false;
  super.superuser = true;
  EXPECT_EQ(by_id(evaluate(super), "replication_privilege_missing"), std::nullopt);
}

TEST(PostgresCdc, HintsQuoteIdentifiersThatNeedIt) {
  auto state = ready_state();
  state.replication_attribute = false;
  state.user = "Click\"Pipes";
  auto missing = by_id(evaluate(state), "replication_privilege_missing");
  ASSERT_NE(missing, std::nullopt);
  EXPECT_NE(missing->hint.find("ALTER USER \"Click\"\"Pipes\" REPLICATION;"), std::string::npos) << missing->hint;
}

TEST(PostgresCdc, MissingPublicationIsAnErrorOnlyWhenOneWasAskedFor) {
  auto state = ready_state();
  EXPECT_EQ(by_id(evaluate(state), "publication_missing"), std::nullopt);
  state.publication = "clickpipes_pub";
  state.publication_exists = false;
  const auto findings = evaluate(state);
  auto missing = by_id(findings, "publication_missing");
  ASSERT_NE(missing, std::nullopt);
  EXPECT_NE(missing->message.find("'clickpipes_pub'"), std::string::npos);
  EXPECT_NE(missing->hint.find("CREATE PUBLICATION clickpipes_pub FOR TABLE"), std::string::npos);
  EXPECT_EQ(cdc_facts(state, findings)["publication"]["exists"], false);
  state.publication_exists = true;
  EXPECT_TRUE(evaluate(state).empty());
}

TEST(PostgresCdc, OldVersionsAndStandbysAreReported) {
  auto state = ready_state();
  state.server_version = "11.20";
  state.server_version_num = 110020;
  state.in_recovery = true;
  const auto findings = evaluate(state);
  auto version = by_id(findings, "server_version_unsupported");
  ASSERT_NE(version, std::nullopt);
  EXPECT_EQ(version->severity, Severity::error);
  auto standby = by_id(findings, "server_is_standby");
  ASSERT_NE(standby, std::nullopt);
  EXPECT_EQ(standby->severity, Severity::warning);
}

TEST(PostgresCdc, ErrorSummarySpellsOutThreeAndCountsTheRest) {
  std::vector<Finding> findings;
  for (int i = 0; i < 5; ++i) findings.push_back({"e" + std::to_string(i), Severity::error, "m" + std::to_string(i), ""});
  findings.push_back({"w", Severity::warning, "warn", ""});
  EXPECT_EQ(error_summary(findings), "m0; m1; m2; and 2 more in facts.cdc.findings");
}

TEST(PostgresCdc, TheQueryRowIsReadByColumnName) {
  QueryResult result;
  result.columns = {"server_version",   "server_version_num", "wal_level",      "max_replication_slots",
                    "used_replication_slots", "max_wal_senders", "used_wal_senders", "replication_attribute",
                    "superuser",        "rds_replication_member", "rds_logical_replication", "user_name",
                    "database_name",    "in_recovery",        "publication_exists"};
  result.rows = {{"15.4", "150004", "logical", "10", "1", "10", "0", "t", "f", "f", std::nullopt, "cdc", "app", "f",
                  "t"}};
  std::string why;
  auto state = read_cdc_state(result, why);
  ASSERT_TRUE(state) << why;
  EXPECT_EQ(state->server_version_num, 150004);
  EXPECT_EQ(state->used_replication_slots, 1);
  EXPECT_TRUE(state->replication_attribute);
  EXPECT_FALSE(state->rds_logical_replication.has_value());
  EXPECT_EQ(state->publication_exists, true);

  result.rows[0][3] = "ten";
  EXPECT_FALSE(read_cdc_state(result, why));
  result.rows.clear();
  EXPECT_FALSE(read_cdc_state(result, why));
  EXPECT_NE(why.find("0 rows"), std::string::npos);
}

TEST(LibpqErrors, VerboseServerErrorsGiveSqlstateAndMessage) {
  const auto error = parse_libpq_error(
      "connection to server at \"db.test\" (127.0.0.1), port 5432 failed: FATAL:  28P01: password authentication "
      "failed for user \"clickpipes\"\nLOCATION:  auth_failed, auth.c:335\n");
  EXPECT_EQ(error.severity, "FATAL");
  EXPECT_EQ(error.sqlstate, "28P01");
  EXPECT_EQ(error.message, "password authentication failed for user \"clickpipes\"");
  EXPECT_FALSE(error.deadline);
}

TEST(LibpqErrors, TheLastAttemptDecides) {
  const auto error = parse_libpq_error(
      "connection to server at \"h\" (127.0.0.1), port 1 failed: FATAL:  28000: no pg_hba.conf entry for host "
      "\"127.0.0.1\", user \"u\", database \"d\", SSL encryption\n"
      "connection to server at \"h\" (127.0.0.1), port 1 failed: FATAL:  28000: no pg_hba.conf entry for host "
      "\"127.0.0.1\", user \"u\", database \"d\", no encryption\n");
  EXPECT_EQ(error.sqlstate, "28000");
  EXPECT_NE(error.message.find("no encryption"), std::string::npos) << error.message;
  EXPECT_EQ(error.message.find("SSL encryption"), std::string::npos) << error.message;
}

TEST(LibpqErrors, ClientSideErrorsHaveNoSqlstate) {
  const auto error = parse_libpq_error(
      "connection to server at \"db.test\" (127.0.0.1), port 5432 failed: server certificate for \"good.test\" does "
      "not match host name \"db.test\"\n");
  EXPECT_TRUE(error.sqlstate.empty());
  EXPECT_EQ(error.message, "server certificate for \"good.test\" does not match host name \"db.test\"");
  EXPECT_EQ(parse_libpq_error("").message, "libpq reported a failure without a message");
}

}  // namespace
}  // namespace plprobe::probes::postgres
