// A real MariaDB server for tests: Debian's MariaDB (10.11), started as a
// child process on a loopback port in a temporary directory, running as the
// unprivileged `mysql` user (mariadbd --user=mysql; CI runs as root).
//
// Speed: mariadb-install-db runs once per test process into a template data
// directory; every server copies it (cp -a) and starts in well under a
// second. Tests start each server once per suite (SetUpTestSuite).
//
// What it sets up: mariadbd --no-defaults with the port, 127.0.0.1, its own
// socket, --skip-name-resolve (so no DNS lookups of clients), a small
// buffer pool, TLS with the caller's certificate when given (and none
// otherwise: no CLIENT_SSL in the greeting), binary logging per the
// options, the caller's extra server arguments, then the caller's setup SQL
// as root over the Unix socket.
//
// Ownership: owns the directory and the server; the destructor stops it
// (SIGTERM: a clean shutdown) and removes everything. Failure behaviour:
// the constructor throws std::runtime_error with the server's log when it
// cannot get the server ready within 30 s; sql() throws with the client's
// stderr when a statement fails. Threading: one thread.
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

struct MariadbServerOptions {
  // ssl_cert/ssl_key with this certificate; nullopt: no TLS at all.
  std::optional<IssuedCert> tls;
  // --log-bin with this binlog_format; empty: binary logging off.
  std::string binlog_format = "ROW";
  // More mariadbd arguments, e.g. "--binlog-row-metadata=FULL".
  std::vector<std::string> server_args;
  // Run as root once the server is ready, in order.
  std::vector<std::string> setup_sql;
};

class MariadbServer {
 public:
  explicit MariadbServer(MariadbServerOptions options);
  ~MariadbServer();
  MariadbServer(const MariadbServer&) = delete;
  MariadbServer& operator=(const MariadbServer&) = delete;

  std::uint16_t port() const { return port_; }
  const std::filesystem::path& socket() const { return socket_; }
  // Runs SQL as root over the Unix socket (mariadb -N -B), returns stdout
  // without the final newline.
  std::string sql(const std::string& statement) const;
  std::string log() const;
  void stop();

 private:
  void start_once(const std::vector<std::string>& args);
  TempDir dir_;
  std::filesystem::path data_;
  std::filesystem::path socket_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// True when mariadbd and mariadb-install-db are installed.
bool mariadb_available();

}  // namespace plprobe::testing
