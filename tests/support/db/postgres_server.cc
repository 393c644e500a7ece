#include "tests/support/db/postgres_server.h"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "tests/support/ports.h"

namespace plprobe::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kServerUser = "postgres";

void chown_to_server_user(const fs::path& path) {
  const passwd* user = ::getpwnam(kServerUser);
  if (user == nullptr) throw std::runtime_error("there is no 'postgres' user (is PostgreSQL installed?)");
  if (::chown(path.c_str(), user->pw_uid, user->pw_gid) != 0) {
    throw std::system_error(errno, std::generic_category(), "chown " + path.string());
  }
}

void append(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::app);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// initdb once per process: the slow part of a server's start, shared by
// every server the process starts (each copies it).
const fs::path& template_cluster() {
  static std::mutex mutex;
  static std::unique_ptr<TempDir> dir;
  std::lock_guard lock(mutex);
  if (!dir) {
    auto made = std::make_unique<TempDir>("plprobe-pg-template-", TempDir::Access::world_access);
    const fs::path data = made->file("data");
    fs::create_directory(data);
    chown_to_server_user(data);
    fs::permissions(data, fs::perms::owner_all, fs::perm_options::replace);
    auto run = run_command({"runuser", "-u", kServerUser, "--", (postgres_bin_dir() / "initdb").string(), "-D",
                            data.string(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
                            "--no-instructions"},
                           120s);
    if (run.exit_code != 0) throw std::runtime_error("initdb failed: " + run.out + run.err);
    dir = std::move(made);
  }
  static const fs::path data = dir->file("data");
  return data;
}

}  // namespace

fs::path postgres_bin_dir() {
  fs::path best;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    if (!fs::exists(bin / "postgres", ec)) continue;
    // Numeric compare of the version directory (15 > 9.6).
    auto version = [](const fs::path& path) { return std::atof(path.parent_path().filename().c_str()); };
    if (best.empty() || version(bin) > version(best)) best = bin;
  }
  return best;
}

bool postgres_available() { return !postgres_bin_dir().empty() && ::getpwnam(kServerUser) != nullptr; }

PostgresServer::PostgresServer(PostgresServerOptions options)
    : dir_("plprobe-pg-", TempDir::Access::world_access) {
  if (!postgres_available()) throw std::runtime_error("PostgreSQL is not installed (scripts/setup.sh installs it)");
  data_ = dir_.file("data");
  socket_dir_ = dir_.file("run");
  auto copy = run_command({"cp", "-a", template_cluster().string(), data_.string()}, 60s);
  if (copy.exit_code != 0) throw std::runtime_error("cannot copy the template cluster: " + copy.err);
  fs::create_directory(socket_dir_);
  chown_to_server_user(socket_dir_);

  std::string conf = fmt::format(
      "\n# plprobe tests\n"
      "listen_addresses = '127.0.0.1'\n"
      "unix_socket_directories = '{}'\n"
      // A test server's data is thrown away: never wait for the disk.
      "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
      "shared_buffers = 16MB\nmax_connections = 200\n"
      "log_destination = 'stderr'\nlogging_collector = off\nlog_connections = off\n",
      socket_dir_.string());
  if (options.tls) {
    const fs::path tls_dir = dir_.file("tls");
    fs::create_directory(tls_dir);
    const auto files = options.tls->write(tls_dir, "server");
    chown_to_server_user(tls_dir);
    chown_to_server_user(files.chain);
    chown_to_server_user(files.private_key);  // postgres refuses a key it does not own (or root's with group access)
    fs::permissions(files.private_key, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
    conf += fmt::format("ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n", files.chain.string(),
                        files.private_key.string());
  } else {
    conf += "ssl = off\n";
  }
  for (const auto& setting : options.settings) conf += setting + "\n";
  append(data_ / "postgresql.conf", conf);

  std::string hba = "local all all trust\n";
  for (const auto& line : options.hba) hba += line + "\n";
  {
    std::ofstream out(data_ / "pg_hba.conf", std::ios::trunc);
    out << hba;
  }

  start_once();
  for (const auto& statement : options.setup_sql) sql(statement);
}

void PostgresServer::start_once() {
  // The port is found free and handed to postgres (which cannot bind port
  // 0 and say which it got); on the rare collision, try another.
  std::string last_log;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_tcp_port();
    ProcessOptions process;
    process.argv = {"runuser", "-u", kServerUser, "--", (postgres_bin_dir() / "postgres").string(), "-D",
                    data_.string(), "-c", fmt::format("port={}", port_)};
    process.log_file = dir_.file(fmt::format("server-{}.log", attempt));
    process_ = std::make_unique<ChildProcess>(process);
    const bool ready = wait_until(
        [&] {
          return !process_->running() ||
                 process_->log().find("database system is ready to accept connections") != std::string::npos;
        },
        30s);
    if (ready && process_->running()) return;
    last_log = process_->log();
    process_->stop();
  }
  throw std::runtime_error("PostgreSQL did not start: " + last_log);
}

PostgresServer::~PostgresServer() { stop(); }

void PostgresServer::stop() {
  if (!process_) return;
  // Fast shutdown (SIGINT to the postmaster): no waiting for sessions.
  const std::string pid_file = read_file(data_ / "postmaster.pid");
  const pid_t postmaster = static_cast<pid_t>(std::atol(pid_file.c_str()));
  if (postmaster > 1 && process_->running()) {
    ::kill(postmaster, SIGINT);
    process_->wait_for(10s);
  }
  process_->stop();
  process_.reset();
}

std::string PostgresServer::log() const { return process_ ? process_->log() : std::string(); }

std::string PostgresServer::sql(const std::string& statement, const std::string& database) const {
  auto run = run_command({(postgres_bin_dir() / "psql").string(), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h",
                          socket_dir_.string(), "-p", std::to_string(port_), "-U", "postgres", "-d", database, "-c",
                          statement},
                         30s);
  if (run.exit_code != 0) {
    throw std::runtime_error(fmt::format("psql failed ({}): {}\nstatement: {}", run.exit_code, run.err, statement));
  }
  while (!run.out.empty() && run.out.back() == '\n') run.out.pop_back();
  return run.out;
}

}  // namespace plprobe::testing
