#include "probes/mysql/mysql_client.h"

#include <mysql.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <mutex>

#include <fmt/format.h>

#include "probes/transport/descriptor_wait.h"

namespace plprobe::probes::mysql {
namespace {

// After the socket is shut down, each pending operation fails on its next
// step; a connect or query takes a handful of steps at most.
constexpr int kMaxStepsAfterAbort = 16;

// mysql_library_init is not thread-safe and mysql_init would call it
// lazily; the engine runs one io_context per thread, so do it once here.
void library_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

// Blocks SIGPIPE in this thread for one Connector/C call and swallows a
// SIGPIPE that call raised (its TLS writes go through OpenSSL's socket BIO,
// which uses write() without MSG_NOSIGNAL). The same technique as libpq's
// pq_block_sigpipe/pq_reset_sigpipe.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&sigpipe_);
    sigaddset(&sigpipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeBlock() {
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec no_wait{0, 0};
        sigtimedwait(&sigpipe_, nullptr, &no_wait);
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t sigpipe_{};
  sigset_t previous_{};
  bool was_pending_ = false;
};

unsigned seconds_left(const Deadline& deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline.remaining()).count();
  return static_cast<unsigned>(std::max<long long>(1, (left + 999) / 1000));
}

}  // namespace

std::string peer_fingerprint(const std::string& der) {
  // Connector/C 3.4 added SHA-2 fingerprints (ma_pvio_tls_compare_fp picks
  // the hash by the pin's length); 3.3 compares SHA-1 only.
  const EVP_MD* digest = mysql_get_client_version() >= 30400 ? EVP_sha256() : EVP_sha1();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  if (der.empty() || EVP_Digest(der.data(), der.size(), md, &length, digest, nullptr) != 1) return {};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string hex;
  for (unsigned i = 0; i < length; ++i) {
    hex.push_back(kHex[md[i] >> 4]);
    hex.push_back(kHex[md[i] & 0x0f]);
  }
  return hex;
}

ClientSession::ClientSession(asio::any_io_executor executor) : executor_(std::move(executor)) {
  library_init_once();
  mysql_ = mysql_init(nullptr);
}

ClientSession::~ClientSession() {
  if (mysql_ == nullptr) return;
  SigpipeBlock block;
  // Whatever is pending fails at once on a shut-down socket, so
  // mysql_close()'s COM_QUIT cannot block.
  const my_socket fd = mysql_get_socket(mysql_);
  if (fd != MARIADB_INVALID_SOCKET && aborted_) ::shutdown(fd, SHUT_RDWR);
  mysql_close(mysql_);
}

ClientError ClientSession::last_error() const {
  if (mysql_ == nullptr) return {false, 0, "", "Connector/C could not allocate a connection"};
  ClientError error;
  error.code = mysql_errno(mysql_);
  error.sql_state = mysql_sqlstate(mysql_);
  error.message = mysql_error(mysql_);
  if (error.message.empty()) error.message = "Connector/C reported a failure without a message";
  return error;
}

std::string ClientSession::server_version() const {
  const char* info = mysql_ != nullptr ? mysql_get_server_info(mysql_) : nullptr;
  return info != nullptr ? std::string(info) : std::string();
}

std::string ClientSession::tls_version() const {
  if (mysql_ == nullptr || mysql_get_ssl_cipher(mysql_) == nullptr) return {};
  const char* version = nullptr;
  if (mariadb_get_infov(mysql_, MARIADB_CONNECTION_TLS_VERSION, &version) != 0 || version == nullptr) return {};
  return version;
}

// Runs one non-blocking operation on `handle`: `start()` and then
// `resume(events)` while Connector/C asks to wait.
template <typename Start, typename Resume>
awaitable<ClientSession::Drive> ClientSession::drive(st_mysql* handle, Start start, Resume resume,
                                                     Deadline& deadline) {
  int status = 0;
  {
    SigpipeBlock block;
    status = start();
  }
  bool cut_short = false;
  int steps_after_abort = 0;
  while (status != 0) {
    int events = 0;
    if (!cut_short) {
      const my_socket fd = mysql_get_socket(handle);
      std::optional<Clock::time_point> library_timeout;
      if (status & MYSQL_WAIT_TIMEOUT) {
        library_timeout = Clock::now() + std::chrono::milliseconds(mysql_get_timeout_value_ms(handle));
      }
      const bool write = (status & MYSQL_WAIT_WRITE) != 0 && (status & MYSQL_WAIT_READ) == 0;
      error_code ec;
      Readiness readiness = Readiness::error;
      if (fd != MARIADB_INVALID_SOCKET) {
        readiness = co_await wait_descriptor(
            executor_, static_cast<int>(fd),
            write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read, deadline,
            library_timeout, ec);
      }
      switch (readiness) {
        case Readiness::ready:
          events = write ? MYSQL_WAIT_WRITE : MYSQL_WAIT_READ;
          break;
        case Readiness::library_timeout:
          events = MYSQL_WAIT_TIMEOUT;
          break;
        case Readiness::deadline:
        case Readiness::error:
          cut_short = true;
          aborted_ = true;
          if (fd != MARIADB_INVALID_SOCKET) ::shutdown(fd, SHUT_RDWR);
          break;
      }
    }
    if (cut_short) {
      // The socket is shut down: reads see EOF and writes fail, so every
      // step returns at once; report whatever the operation waits for.
      if (++steps_after_abort > kMaxStepsAfterAbort) break;
      events = status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE | MYSQL_WAIT_EXCEPT);
      if (events == 0) events = MYSQL_WAIT_TIMEOUT;
    }
    SigpipeBlock block;
    status = resume(events);
  }
  if (!cut_short) co_return Drive::finished;
  co_return status == 0 ? Drive::cut_short : Drive::abandoned;
}

awaitable<std::optional<ClientError>> ClientSession::connect(const ConnectOptions& options, Deadline& deadline) {
  if (mysql_ == nullptr) co_return last_error();
  mysql_options(mysql_, MYSQL_OPT_NONBLOCK, nullptr);
  // Connector/C's own timeouts only back up the deadline (whole seconds).
  const unsigned timeout = seconds_left(deadline);
  mysql_options(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(mysql_, MYSQL_OPT_READ_TIMEOUT, &timeout);
  mysql_options(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
  const unsigned protocol = MYSQL_PROTOCOL_TCP;
  mysql_options(mysql_, MYSQL_OPT_PROTOCOL, &protocol);
  // A malicious server could ask for a local file (LOAD DATA LOCAL).
  const my_bool no = 0;
  mysql_options(mysql_, MYSQL_OPT_LOCAL_INFILE, &no);
  mysql_options4(mysql_, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", "plprobe");
  if (options.tls) {
    const my_bool yes = 1;
    mysql_options(mysql_, MYSQL_OPT_SSL_ENFORCE, &yes);
    mysql_options(mysql_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &no);
    const std::string fingerprint = peer_fingerprint(options.tls_certificate_der);
    if (!fingerprint.empty()) mysql_options(mysql_, MARIADB_OPT_TLS_PEER_FP, fingerprint.c_str());
  }
  MYSQL* connected = nullptr;
  const Drive outcome = co_await drive(
      mysql_,
      [&] {
        return mysql_real_connect_start(&connected, mysql_, options.address.c_str(), options.user.c_str(),
                                        options.password.c_str(), nullptr, options.port, nullptr, 0);
      },
      [&](int events) { return mysql_real_connect_cont(&connected, mysql_, events); }, deadline);
  if (outcome != Drive::finished) {
    ClientError error;
    error.deadline = deadline.expired();
    error.message = error.deadline ? "the server did not finish the login before the deadline"
                                   : "waiting on Connector/C's socket failed";
    co_return error;
  }
  if (connected == nullptr) co_return last_error();
  co_return std::nullopt;
}

awaitable<Rows> ClientSession::query(const std::string& sql, Deadline& deadline, std::optional<ClientError>& error) {
  Rows out;
  error.reset();
  int failed = 0;
  Drive outcome = co_await drive(
      mysql_, [&] { return mysql_real_query_start(&failed, mysql_, sql.c_str(), static_cast<unsigned long>(sql.size())); },
      [&](int events) { return mysql_real_query_cont(&failed, mysql_, events); }, deadline);
  MYSQL_RES* result = nullptr;
  if (outcome == Drive::finished && failed == 0) {
    outcome = co_await drive(
        mysql_, [&] { return mysql_store_result_start(&result, mysql_); },
        [&](int events) { return mysql_store_result_cont(&result, mysql_, events); }, deadline);
  }
  if (outcome != Drive::finished) {
    ClientError cut;
    cut.deadline = deadline.expired();
    cut.message = cut.deadline ? "the server did not answer the query before the deadline"
                               : "waiting on Connector/C's socket failed";
    error = cut;
    if (result != nullptr) mysql_free_result(result);
    co_return out;
  }
  if (failed != 0 || result == nullptr) {
    error = last_error();
    if (result != nullptr) mysql_free_result(result);
    co_return out;
  }
  // store_result read everything: fetching rows does no I/O.
  const unsigned columns = mysql_num_fields(result);
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    const unsigned long* lengths = mysql_fetch_lengths(result);
    auto& values = out.rows.emplace_back();
    for (unsigned i = 0; i < columns; ++i) {
      if (row[i] == nullptr) {
        values.emplace_back(std::nullopt);
      } else {
        values.emplace_back(std::string(row[i], lengths != nullptr ? lengths[i] : std::char_traits<char>::length(row[i])));
      }
    }
  }
  mysql_free_result(result);
  co_return out;
}

awaitable<std::optional<ClientError>> ClientSession::ping(Deadline& deadline) {
  if (mysql_ == nullptr || aborted_) co_return last_error();
  int failed = 0;
  const Drive outcome = co_await drive(
      mysql_, [&] { return mysql_ping_start(&failed, mysql_); },
      [&](int events) { return mysql_ping_cont(&failed, mysql_, events); }, deadline);
  if (outcome != Drive::finished) {
    ClientError cut;
    cut.deadline = deadline.expired();
    cut.message = cut.deadline ? "the server did not answer the ping before the deadline"
                               : "waiting on Connector/C's socket failed";
    co_return cut;
  }
  if (failed != 0) co_return last_error();
  co_return std::nullopt;
}

void ClientSession::shutdown() {
  if (mysql_ == nullptr) return;
  const my_socket fd = mysql_get_socket(mysql_);
  if (fd != MARIADB_INVALID_SOCKET) ::shutdown(fd, SHUT_RDWR);
}

awaitable<void> ClientSession::close(Deadline& deadline) {
  if (mysql_ == nullptr) co_return;
  MYSQL* handle = mysql_;
  mysql_ = nullptr;  // mysql_close_start/_cont free the handle when they finish
  const Drive outcome = co_await drive(
      handle, [&] { return mysql_close_start(handle); },
      [&](int events) { return mysql_close_cont(handle, events); }, deadline);
  if (outcome == Drive::abandoned) {
    // The socket is shut down; mysql_close() fails its COM_QUIT at once
    // and frees the handle (a completed close has freed it already).
    SigpipeBlock block;
    mysql_close(handle);
  }
}

}  // namespace plprobe::probes::mysql
