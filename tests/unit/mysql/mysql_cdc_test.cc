// CDC readiness judgement for MySQL and MariaDB (probes/mysql/mysql_cdc.h)
// on variables and SHOW GRANTS lines written out by hand.
#include "probes/mysql/mysql_cdc.h"

#include <algorithm>
#include <optional>

#include <gtest/gtest.h>

namespace plprobe::probes::mysql {
namespace {

CdcState ready_mysql() {
  CdcState state;
  state.variables = {{"version", "8.0.36"},
                     {"version_comment", "MySQL Community Server - GPL"},
                     {"server_id", "1"},
                     {"log_bin", "ON"},
                     {"binlog_format", "ROW"},
                     {"binlog_row_image", "FULL"},
                     {"binlog_row_metadata", "FULL"},
                     {"binlog_expire_logs_seconds", "2592000"},
                     {"expire_logs_days", "0"},
                     {"gtid_mode", "ON"},
                     {"enforce_gtid_consistency", "ON"},
                     {"basedir", "/usr/"}};
  state.grants = read_grants({"GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `clickpipes`@`%`"});
  state.user = "'clickpipes'@'%'";
  return state;
}

CdcState ready_mariadb() {
  CdcState state;
  state.variables = {{"version", "10.11.6-MariaDB-0+deb12u1-log"},
                     {"server_id", "1"},
                     {"log_bin", "ON"},
                     {"binlog_format", "ROW"},
                     {"binlog_row_image", "FULL"},
                     {"binlog_row_metadata", "FULL"},
                     {"binlog_expire_logs_seconds", "0"},
                     {"expire_logs_days", "7.000000"}};
  state.grants = read_grants(
      {"GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `cdc`@`%` IDENTIFIED BY PASSWORD '*ABCDEF0123456789'"});
  state.user = "'cdc'@'%'";
  return state;
}

// A copy: callers often pass evaluate(...)'s temporary.
std::optional<Finding> by_id(const std::vector<Finding>& findings, const std::string& id) {
  auto it = std::find_if(findings.begin(), findings.end(), [&](const Finding& finding) { return finding.id == id; });
  if (it == findings.end()) return std::nullopt;
  return *it;
}

TEST(MysqlCdc, ReadyServersHaveNoErrors) {
  for (const auto& state : {ready_mysql(), ready_mariadb()}) {
    const auto findings = evaluate(state);
    EXPECT_FALSE(has_errors(findings)) << error_summary(findings);
    EXPECT_EQ(cdc_facts(state, findings)["ready"], true);
  }
  EXPECT_EQ(cdc_facts(ready_mariadb(), {})["flavor"], "mariadb");
  EXPECT_EQ(cdc_facts(ready_mysql(), {})["flavor"], "mysql");
}

TEST(MysqlCdc, BinlogOffAndWrongFormatsAreErrors) {
  auto state = ready_mariadb();
  state.variables["log_bin"] = "OFF";
  state.variables["binlog_format"] = "MIXED";
  state.variables["binlog_row_image"] = "MINIMAL";
  state.variables["binlog_row_metadata"] = "NO_LOG";
  const auto findings = evaluate(state);
  for (const char* id : {"log_bin_off", "binlog_format_not_row", "binlog_row_image_not_full",
                         "binlog_row_metadata_not_full"}) {
    auto finding = by_id(findings, id);
    ASSERT_NE(finding, std::nullopt) << id;
    EXPECT_EQ(finding->severity, Severity::error) << id;
  }
  EXPECT_NE(by_id(findings, "binlog_format_not_row")->message.find("MIXED"), std::string::npos);
  EXPECT_NE(by_id(findings, "binlog_format_not_row")->hint.find("binlog_format = ROW"), std::string::npos);
  EXPECT_NE(by_id(findings, "log_bin_off")->hint.find("log_bin"), std::string::npos);
}

TEST(MysqlCdc, OlderServersWithoutRowMetadataGetANote) {
  auto state = ready_mysql();
  state.variables.erase("binlog_row_metadata");
  auto finding = by_id(evaluate(state), "binlog_row_metadata_unavailable");
  ASSERT_NE(finding, std::nullopt);
  EXPECT_EQ(finding->severity, Severity::info);
}

TEST(MysqlCdc, RetentionUnderOneDayIsAnErrorAndZeroMeansNeverPurged) {
  auto state = ready_mysql();
  state.variables["binlog_expire_logs_seconds"] = "3600";
  auto findings = evaluate(state);
  auto short_retention = by_id(findings, "binlog_retention_short");
  ASSERT_NE(short_retention, std::nullopt);
  EXPECT_NE(short_retention->message.find("1 hour(s)"), std::string::npos) << short_retention->message;
  EXPECT_NE(short_retention->hint.find("binlog_expire_logs_seconds = 86400"), std::string::npos);

  auto mariadb = ready_mariadb();
  mariadb.variables["expire_logs_days"] = "0.500000";
  findings = evaluate(mariadb);
  short_retention = by_id(findings, "binlog_retention_short");
  ASSERT_NE(short_retention, std::nullopt);
  EXPECT_NE(short_retention->message.find("12 hour(s)"), std::string::npos) << short_retention->message;
  EXPECT_NE(short_retention->hint.find("expire_logs_days = 1"), std::string::npos) << short_retention->hint;

  mariadb.variables["expire_logs_days"] = "0";
  auto never = by_id(evaluate(mariadb), "binlog_never_purged");
  ASSERT_NE(never, std::nullopt);
  EXPECT_EQ(never->severity, Severity::info);
}

TEST(MysqlCdc, OnRdsTheRetentionIsAWarningAndHintsNameTheParameterGroup) {
  auto state = ready_mysql();
  state.variables["basedir"] = "/rdsdbbin/mysql-8.0.36.R2/";
  state.variables["binlog_format"] = "MIXED";
  const auto findings = evaluate(state);
  auto retention = by_id(findings, "binlog_retention_rds");
  ASSERT_NE(retention, std::nullopt);
  EXPECT_EQ(retention->severity, Severity::warning);
  EXPECT_NE(retention->hint.find("mysql.rds_set_configuration('binlog retention hours'"), std::string::npos);
  EXPECT_NE(by_id(findings, "binlog_format_not_row")->hint.find("the DB parameter group"), std::string::npos);

  state.variables["aurora_version"] = "3.05.2";
  EXPECT_NE(by_id(evaluate(state), "binlog_format_not_row")->hint.find("DB cluster parameter group"),
            std::string::npos);
}

TEST(MysqlCdc, GtidIsAWarningForMysqlAndNotCheckedForMariadb) {
  auto state = ready_mysql();
  state.variables["gtid_mode"] = "OFF";
  const auto findings = evaluate(state);
  auto gtid = by_id(findings, "gtid_mode_off");
  ASSERT_NE(gtid, std::nullopt);
  EXPECT_EQ(gtid->severity, Severity::warning);
  EXPECT_FALSE(has_errors(findings));

  auto consistency = ready_mysql();
  consistency.variables["enforce_gtid_consistency"] = "WARN";
  EXPECT_NE(by_id(evaluate(consistency), "gtid_consistency_not_enforced"), std::nullopt);

  auto mariadb = ready_mariadb();
  mariadb.variables["gtid_mode"] = "OFF";  // not a MariaDB variable; ignored
  EXPECT_EQ(by_id(evaluate(mariadb), "gtid_mode_off"), std::nullopt);
}

TEST(MysqlCdc, ServerIdZeroIsAnError) {
  auto state = ready_mysql();
  state.variables["server_id"] = "0";
  EXPECT_NE(by_id(evaluate(state), "server_id_zero"), std::nullopt);
}

TEST(MysqlCdc, GrantsAreReadFromGlobalPrivilegesOnly) {
  auto grants = read_grants({"GRANT USAGE ON *.* TO `u`@`%`",
                             "GRANT SELECT, REPLICATION SLAVE ON `app`.* TO `u`@`%`"});
  EXPECT_FALSE(grants.replication_slave) << "REPLICATION SLAVE on a database grants nothing";
  EXPECT_FALSE(grants.replication_client);

  grants = read_grants({"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"});
  EXPECT_TRUE(grants.all_privileges);

  grants = read_grants({"GRANT REPLICATION CLIENT,REPLICATION SLAVE ON *.* TO 'u'@'%'"});  // MySQL 8 dynamic style
  EXPECT_TRUE(grants.replication_client);
  EXPECT_TRUE(grants.replication_slave);

  grants = read_grants({"GRANT `cdc_role` TO `u`@`%`", "grant replication replica on *.* to u@'%'"});
  EXPECT_TRUE(grants.via_roles);
  EXPECT_TRUE(grants.replication_slave);
}

TEST(MysqlCdc, MissingPrivilegesAreErrorsWithTheGrantStatement) {
  auto state = ready_mysql();
  state.grants = read_grants({"GRANT USAGE ON *.* TO `clickpipes`@`%`", "GRANT `r` TO `clickpipes`@`%`"});
  const auto findings = evaluate(state);
  auto slave = by_id(findings, "replication_slave_missing");
  ASSERT_NE(slave, std::nullopt);
  EXPECT_NE(slave->hint.find("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'clickpipes'@'%';"),
            std::string::npos)
      << slave->hint;
  EXPECT_NE(slave->message.find("roles"), std::string::npos);
  EXPECT_NE(by_id(findings, "replication_client_missing"), std::nullopt);
}

TEST(MysqlCdc, FactsNeverCarryGrantLines) {
  const auto state = ready_mariadb();
  const std::string facts = cdc_facts(state, evaluate(state)).dump();
  EXPECT_EQ(facts.find("*ABCDEF0123456789"), std::string::npos) << "password hashes stay out of results";
  EXPECT_NE(facts.find("\"replication_client\":true"), std::string::npos) << facts;
}

}  // namespace
}  // namespace plprobe::probes::mysql
