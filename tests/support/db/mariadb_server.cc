#include "tests/support/db/mariadb_server.h"

#include <pwd.h>
#include <unistd.h>

#include <mutex>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "tests/support/ports.h"

namespace plprobe::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kServerUser = "mysql";
constexpr const char* kServer = "/usr/sbin/mariadbd";
constexpr const char* kInstallDb = "/usr/bin/mariadb-install-db";
constexpr const char* kClient = "/usr/bin/mariadb";
// Small and fast: a test server holds a few rows. The redo log size must
// match between install and start (or InnoDB resizes it at start).
constexpr const char* kBufferPool = "--innodb-buffer-pool-size=32M";
constexpr const char* kLogFile = "--innodb-log-file-size=8M";

void chown_to_server_user(const fs::path& path) {
  const passwd* user = ::getpwnam(kServerUser);
  if (user == nullptr) throw std::runtime_error("there is no 'mysql' user (is MariaDB installed?)");
  if (::chown(path.c_str(), user->pw_uid, user->pw_gid) != 0) {
    throw std::system_error(errno, std::generic_category(), "chown " + path.string());
  }
}

// mariadb-install-db once per process; every server copies the result.
fs::path template_data() {
  static std::mutex mutex;
  static std::unique_ptr<TempDir> dir;
  std::lock_guard lock(mutex);
  if (!dir) {
    auto made = std::make_unique<TempDir>("plprobe-mariadb-template-", TempDir::Access::world_access);
    const fs::path data = made->file("data");
    fs::create_directory(data);
    chown_to_server_user(data);
    // --auth-root-authentication-method=normal: root@localhost logs in
    // over the socket without a password (tests use it for setup);
    // --skip-test-db: no anonymous accounts or test database.
    auto run = run_command({kInstallDb, "--no-defaults", "--datadir=" + data.string(), "--user=mysql",
                            "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
                            kBufferPool, kLogFile},
                           120s);
    if (run.exit_code != 0) throw std::runtime_error("mariadb-install-db failed: " + run.out + run.err);
    dir = std::move(made);
  }
  return dir->file("data");
}

}  // namespace

bool mariadb_available() { return ::access(kServer, X_OK) == 0 && ::access(kInstallDb, X_OK) == 0; }

MariadbServer::MariadbServer(MariadbServerOptions options) : dir_("plprobe-mariadb-", TempDir::Access::world_access) {
  if (!mariadb_available()) throw std::runtime_error("MariaDB is not installed (scripts/setup.sh installs it)");
  data_ = dir_.file("data");
  const fs::path run_dir = dir_.file("run");
  socket_ = run_dir / "mysqld.sock";
  auto copy = run_command({"cp", "-a", template_data().string(), data_.string()}, 60s);
  if (copy.exit_code != 0) throw std::runtime_error("cannot copy the template data directory: " + copy.err);
  fs::create_directory(run_dir);
  chown_to_server_user(run_dir);

  std::vector<std::string> args = {kServer,
                                   "--no-defaults",
                                   "--user=mysql",
                                   "--datadir=" + data_.string(),
                                   "--bind-address=127.0.0.1",
                                   "--socket=" + socket_.string(),
                                   "--pid-file=" + (run_dir / "mysqld.pid").string(),
                                   "--skip-name-resolve",
                                   kBufferPool,
                                   kLogFile,
                                   "--innodb-flush-log-at-trx-commit=0"};
  if (options.tls) {
    const fs::path tls_dir = dir_.file("tls");
    fs::create_directory(tls_dir);
    const auto files = options.tls->write(tls_dir, "server");
    chown_to_server_user(tls_dir);
    chown_to_server_user(files.chain);
    chown_to_server_user(files.private_key);
    args.push_back("--ssl-cert=" + files.chain.string());
    args.push_back("--ssl-key=" + files.private_key.string());
  } else {
    args.push_back("--skip-ssl");
  }
  if (!options.binlog_format.empty()) {
    args.push_back("--log-bin=" + (run_dir / "binlog").string());
    args.push_back("--server-id=1");
    args.push_back("--binlog-format=" + options.binlog_format);
  } else {
    args.push_back("--skip-log-bin");
  }
  args.insert(args.end(), options.server_args.begin(), options.server_args.end());
  start_once(args);
  for (const auto& statement : options.setup_sql) sql(statement);
}

void MariadbServer::start_once(const std::vector<std::string>& args) {
  std::string last_log;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_tcp_port();
    ProcessOptions process;
    process.argv = args;
    process.argv.push_back(fmt::format("--port={}", port_));
    process.log_file = dir_.file(fmt::format("server-{}.log", attempt));
    process_ = std::make_unique<ChildProcess>(process);
    const bool ready = wait_until(
        [&] { return !process_->running() || process_->log().find("ready for connections") != std::string::npos; },
        30s);
    if (ready && process_->running()) return;
    last_log = process_->log();
    process_->stop();
  }
  throw std::runtime_error("MariaDB did not start: " + last_log);
}

MariadbServer::~MariadbServer() { stop(); }

void MariadbServer::stop() {
  if (!process_) return;
  // SIGTERM is mariadbd's normal shutdown; allow it the time InnoDB needs.
  process_->stop(10s);
  process_.reset();
}

std::string MariadbServer::log() const { return process_ ? process_->log() : std::string(); }

std::string MariadbServer::sql(const std::string& statement) const {
  auto run = run_command({kClient, "--no-defaults", "-S", socket_.string(), "-u", "root", "-N", "-B", "-e", statement},
                         30s);
  if (run.exit_code != 0) {
    throw std::runtime_error(fmt::format("mariadb failed ({}): {}\nstatement: {}", run.exit_code, run.err, statement));
  }
  while (!run.out.empty() && run.out.back() == '\n') run.out.pop_back();
  return run.out;
}

}  // namespace plprobe::testing
