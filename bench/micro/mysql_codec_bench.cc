// MySQL connection-phase codec and CDC judgement: the work the probe does
// per connection besides waiting (probes/mysql/mysql_packets.h, mysql_cdc.h).
#include <benchmark/benchmark.h>

#include <string>

#include "probes/mysql/mysql_cdc.h"
#include "probes/mysql/mysql_packets.h"

namespace my = plprobe::probes::mysql;

namespace {

std::string le(std::uint32_t value, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  return out;
}

// A MariaDB 10.11 greeting as Debian's server sends it.
std::string mariadb_greeting() {
  const std::uint32_t caps = 0xf7fefffe;
  std::string payload = "\x0a";
  payload += std::string("5.5.5-10.11.6-MariaDB-0+deb12u1\0", 32);
  payload += le(1234, 4) + "abcdefgh" + std::string(1, '\0') + le(caps & 0xffff, 2) + "\x2d" + le(2, 2) +
             le(caps >> 16, 2) + "\x15" + std::string(6, '\0') + le(0x1d, 4) + "ijklmnopqrst" + std::string(1, '\0');
  payload += std::string("mysql_native_password\0", 22);
  return payload;
}

void BM_MysqlParseGreeting(benchmark::State& state) {
  const std::string payload = mariadb_greeting();
  std::string why;
  for (auto _ : state) {
    auto handshake = my::parse_handshake(payload, why);
    benchmark::DoNotOptimize(handshake);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(payload.size()));
}
BENCHMARK(BM_MysqlParseGreeting);

void BM_MysqlPlaceholderLogin(benchmark::State& state) {
  std::string why;
  const auto handshake = *my::parse_handshake(mariadb_greeting(), why);
  for (auto _ : state) {
    const auto flags = my::client_capabilities(handshake, true);
    auto packet = my::frame_packet(my::handshake_response_payload(flags, "plprobe", "", handshake.auth_plugin), 2);
    benchmark::DoNotOptimize(packet);
  }
}
BENCHMARK(BM_MysqlPlaceholderLogin);

void BM_MysqlCdcJudgement(benchmark::State& state) {
  my::CdcState cdc;
  cdc.variables = {{"version", "8.0.36"},        {"log_bin", "ON"},          {"binlog_format", "ROW"},
                   {"binlog_row_image", "FULL"}, {"binlog_row_metadata", "MINIMAL"},
                   {"binlog_expire_logs_seconds", "3600"}, {"gtid_mode", "OFF"}, {"server_id", "1"}};
  const std::vector<std::string> grants = {"GRANT USAGE ON *.* TO `clickpipes`@`%`",
                                           "GRANT SELECT ON `app`.* TO `clickpipes`@`%`",
                                           "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `clickpipes`@`%`"};
  for (auto _ : state) {
    cdc.grants = my::read_grants(grants);
    auto findings = my::evaluate(cdc);
    benchmark::DoNotOptimize(findings);
  }
}
BENCHMARK(BM_MysqlCdcJudgement);

}  // namespace
