// plprobe_doctor_sandbox: the data sources of scripts/demo.sh's doctor
// tour, on loopback, made with the same test support the integration tests
// use (so the demo shows exactly what the tests check):
//
//   PLPROBE_PASSWORD=... plprobe_doctor_sandbox --dir DIR --broken-broker NAME
//
//   - PostgreSQL (wal_level=logical; user clickpipes with REPLICATION and
//     the password from PLPROBE_PASSWORD; TLS with a certificate for
//     db.internal only, issued by DIR/ca.crt);
//   - MariaDB (binary log in ROW format with FULL row metadata; user
//     clickpipes with the replication grants);
//   - librdkafka's mock cluster (3 brokers, topic events), and a proxy in
//     front of broker 1 whose Metadata answers make broker 2 advertise NAME,
//     as a wrong advertised.listeners does.
//
// Prints one JSON line {"ca", "postgres", "mariadb", "kafka", "kafka_broken"}
// (ports) and serves until standard input closes or SIGINT/SIGTERM arrives;
// then stops every server. Exit status 1 when a server cannot start.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/integration/kafka/metadata_proxy.h"
#include "tests/integration/kafka/mock_cluster.h"
#include "tests/support/certs.h"
#include "tests/support/db/mariadb_server.h"
#include "tests/support/db/postgres_server.h"

namespace {

volatile sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

}  // namespace

int main(int argc, char** argv) {
  using namespace plprobe::testing;
  std::string dir, broken_broker;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--dir") dir = argv[i + 1];
    if (flag == "--broken-broker") broken_broker = argv[i + 1];
  }
  const char* password = std::getenv("PLPROBE_PASSWORD");
  if (dir.empty() || broken_broker.empty() || password == nullptr || *password == '\0') {
    std::fprintf(stderr, "usage: PLPROBE_PASSWORD=... plprobe_doctor_sandbox --dir DIR --broken-broker NAME\n");
    return 2;
  }
  for (const char* p = password; *p != '\0'; ++p) {
    if (*p == '\'' || *p == '\\') {
      std::fprintf(stderr, "plprobe_doctor_sandbox: the demo password must not contain quotes or backslashes\n");
      return 2;
    }
  }
  try {
    auto ca = CertificateAuthority::create("plprobe demo CA");
    const auto ca_path = ca.write_certificate(dir);
    LeafSpec leaf;
    leaf.common_name = "db.internal";
    leaf.dns_names = {"db.internal"};

    PostgresServerOptions pg;
    pg.tls = ca.issue(leaf);
    pg.settings = {"wal_level = logical", "max_replication_slots = 4", "max_wal_senders = 4"};
    pg.hba = {"host all all 127.0.0.1/32 scram-sha-256"};
    pg.setup_sql = {fmt::format("CREATE ROLE clickpipes LOGIN REPLICATION PASSWORD '{}'", password)};
    PostgresServer postgres(pg);

    MariadbServerOptions my;
    my.binlog_format = "ROW";
    my.server_args = {"--binlog-row-metadata=FULL", "--binlog-expire-logs-seconds=604800"};
    my.setup_sql = {fmt::format("CREATE USER 'clickpipes'@'%' IDENTIFIED BY '{}'", password),
                    "GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO 'clickpipes'@'%'"};
    MariadbServer mariadb(my);

    KafkaMockCluster cluster({"--brokers", "3", "--topic", "events:3:3"});
    MetadataRewritingProxy proxy(plprobe::tcp::endpoint(plprobe::asio::ip::make_address("127.0.0.1"), cluster.port(1)),
                                 {{2, broken_broker}});

    nlohmann::json ports = {{"ca", ca_path.string()},     {"postgres", postgres.port()}, {"mariadb", mariadb.port()},
                            {"kafka", cluster.port(1)}, {"kafka_broken", proxy.port()}};
    std::printf("%s\n", ports.dump().c_str());
    std::fflush(stdout);

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!stop_requested) {
      pollfd input{STDIN_FILENO, POLLIN, 0};
      const int ready = poll(&input, 1, 200);
      if (ready > 0) {
        char buffer[256];
        if (read(STDIN_FILENO, buffer, sizeof buffer) <= 0) break;
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plprobe_doctor_sandbox: %s\n", e.what());
    return 1;
  }
}
