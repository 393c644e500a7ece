// A real PostgreSQL server for tests: Debian's PostgreSQL (15), started as
// a child process on a loopback port, in a temporary directory, as the
// unprivileged `postgres` user (CI runs as root; initdb and postgres refuse
// to run as root).
//
// Speed: initdb runs once per test process into a template cluster (a few
// seconds on a busy 2-core machine); every server copies the template
// (cp -a, well under a second) and starts in a fraction of a second. Tests
// start each server once per suite (SetUpTestSuite).
//
// What it sets up: postgresql.conf additions (listen_addresses=127.0.0.1,
// the port, the socket directory, fsync off, and the caller's settings),
// pg_hba.conf ("local all all trust" for the superuser over the socket,
// then the caller's lines), TLS with the caller's certificate (key owned by
// postgres, mode 0600), then the caller's setup SQL as superuser.
//
// Ownership: owns the directory and the server; the destructor stops it
// (fast shutdown, SIGINT to the postmaster, then the process group) and
// removes everything. Failure behaviour: the constructor throws
// std::runtime_error with the server's log when it cannot get the server
// ready within 30 s; sql() throws with psql's stderr when a statement fails.
// Threading: construct, use and destroy on one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/certs.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace plprobe::testing {

struct PostgresServerOptions {
  // postgresql.conf lines ("wal_level = logical", "max_wal_senders = 0").
  std::vector<std::string> settings;
  // pg_hba.conf lines after "local all all trust" (first match wins), e.g.
  // "host all md5_user 127.0.0.1/32 md5".
  std::vector<std::string> hba;
  // ssl = on with this certificate (chain) and key; nullopt: ssl = off.
  std::optional<IssuedCert> tls;
  // Run as the superuser once the server is ready, in order.
  std::vector<std::string> setup_sql;
};

class PostgresServer {
 public:
  explicit PostgresServer(PostgresServerOptions options);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  std::uint16_t port() const { return port_; }
  // Runs SQL as the superuser over the Unix socket (psql -At), returns
  // stdout without the final newline.
  std::string sql(const std::string& statement, const std::string& database = "postgres") const;
  std::string log() const;
  void stop();

 private:
  void start_once();
  TempDir dir_;
  std::filesystem::path data_;
  std::filesystem::path socket_dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// True when Debian's PostgreSQL server binaries are installed.
bool postgres_available();
// Directory of the newest installed server's binaries (/usr/lib/postgresql/N/bin).
std::filesystem::path postgres_bin_dir();

}  // namespace plprobe::testing
