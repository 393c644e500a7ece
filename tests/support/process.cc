#include "tests/support/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "tests/support/temp_dir.h"

extern char** environ;

namespace plprobe::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long to wait for a process that got SIGKILL: only a process stuck in
// uninterruptible sleep takes longer, and then waiting more will not help.
constexpr milliseconds kKillWait{5000};

[[noreturn]] void throw_errno(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

// A descriptor closed on every path.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::vector<std::string> merged_environment(const Environment& additions) {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    variables[std::string(text.substr(0, equals))] = std::string(text.substr(equals + 1));
  }
  for (const auto& [name, value] : additions) variables[name] = value;
  std::vector<std::string> merged;
  merged.reserve(variables.size());
  for (const auto& [name, value] : variables) merged.push_back(name + "=" + value);
  return merged;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (auto& text : strings) result.push_back(text.data());
  result.push_back(nullptr);
  return result;
}

// Starts argv with stdout/stderr on the given descriptors. posix_spawn (not
// fork) because a test process has threads (Asio servers): after fork only
// async-signal-safe calls are allowed, and glibc's posix_spawn reports exec
// failures (ENOENT) as its own return value.
pid_t spawn(const std::vector<std::string>& argv, const Environment& environment,
            const std::filesystem::path& working_directory, int stdout_fd, int stderr_fd) {
  if (argv.empty() || argv.front().empty()) throw std::invalid_argument("spawn: argv must name a program");
  std::vector<std::string> args = argv;
  std::vector<std::string> env = merged_environment(environment);
  auto arg_pointers = pointers(args);
  auto env_pointers = pointers(env);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);

  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
  // Asio opens sockets without O_CLOEXEC: without this, a server started by
  // a test would inherit the test's listeners and keep their ports open.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!working_directory.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_directory.c_str());

  // Group id = the child's pid, so stop() can signal everything it starts.
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = -1;
  const bool search_path = argv.front().find('/') == std::string::npos;
  const int error = search_path
                        ? posix_spawnp(&pid, args.front().c_str(), &actions, &attributes, arg_pointers.data(),
                                       env_pointers.data())
                        : posix_spawn(&pid, args.front().c_str(), &actions, &attributes, arg_pointers.data(),
                                      env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) throw_errno(error, fmt::format("spawn {}", argv.front()));
  return pid;
}

// The exit status of `pid` if it has exited, without reaping it: a zombie
// leader keeps its pid, and so its process group id, from being reused
// while we may still signal the group.
std::optional<int> peek_exit(pid_t pid) {
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno != EINTR) return std::nullopt;
  }
  if (info.si_pid != pid) return std::nullopt;
  if (info.si_code == CLD_EXITED) return info.si_status;
  return 128 + info.si_status;
}

std::optional<int> wait_exit(pid_t pid, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  milliseconds pause{1};
  for (;;) {
    if (auto status = peek_exit(pid)) return status;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, milliseconds(20));
  }
}

void reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

// Live members of process group `group` other than `except` (zombies do not
// count: they only wait for their parent).
std::vector<pid_t> group_members(pid_t group, pid_t except) {
  std::vector<pid_t> members;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return members;
  while (dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || pid == except) continue;
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string stat;
    if (!std::getline(in, stat)) continue;
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 1));
    char state = 0;
    long parent = 0;
    long pgrp = 0;
    if (!(fields >> state >> parent >> pgrp)) continue;
    if (pgrp == group && state != 'Z') members.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return members;
}

// TERM, then KILL, to what is left of the group once its leader has exited.
void end_stragglers(pid_t group, milliseconds grace) {
  auto empty = [group] { return group_members(group, group).empty(); };
  if (empty()) return;
  ::kill(-group, SIGTERM);
  if (wait_until(empty, grace, milliseconds(10))) return;
  ::kill(-group, SIGKILL);
  if (!wait_until(empty, kKillWait, milliseconds(10))) {
    fmt::print(stderr, "plprobe::testing: process group {} survived SIGKILL\n", group);
  }
}

void read_available(int fd, std::string& sink, bool& eof) {
  std::array<char, 16384> buffer{};
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
      sink.append(buffer.data(), static_cast<std::size_t>(n));
    } else if (n == 0) {
      eof = true;
      return;
    } else if (errno == EINTR) {
      continue;
    } else {
      if (errno != EAGAIN) eof = true;
      return;
    }
  }
}

}  // namespace

ChildProcess::ChildProcess(ProcessOptions options) {
  if (options.log_file.empty()) {
    log_dir_ = std::make_unique<TempDir>("plprobe-child-");
    log_path_ = log_dir_->file("process.log");
  } else {
    log_path_ = options.log_file;
  }
  Fd log(::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (log.get() < 0) throw_errno(errno, fmt::format("open {}", log_path_.string()));
  pid_ = spawn(options.argv, options.environment, options.working_directory, log.get(), log.get());
}

ChildProcess::ChildProcess(std::vector<std::string> argv) : ChildProcess(ProcessOptions{std::move(argv), {}, {}, {}}) {}

ChildProcess::~ChildProcess() { stop(); }

bool ChildProcess::running() {
  if (status_) return false;
  status_ = peek_exit(pid_);
  return !status_;
}

std::optional<int> ChildProcess::wait_for(milliseconds timeout) {
  if (!status_) status_ = wait_exit(pid_, timeout);
  return status_;
}

void ChildProcess::stop(milliseconds grace) {
  if (pid_ <= 0 || group_ended_) return;
  if (running()) {
    ::kill(-pid_, SIGTERM);
    if (!wait_for(grace)) {
      ::kill(-pid_, SIGKILL);
      if (!wait_for(kKillWait)) {
        fmt::print(stderr, "plprobe::testing: pid {} survived SIGKILL; not reaped\n", pid_);
        return;
      }
    }
  }
  end_stragglers(pid_, grace);
  reap(pid_);
  group_ended_ = true;
}

std::string ChildProcess::log() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

RunResult run_command(const std::vector<std::string>& argv, milliseconds timeout, const Environment& environment) {
  const auto started = Clock::now();
  const auto deadline = started + timeout;
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
  Fd out_read(out_pipe[0]);
  Fd out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
  Fd err_read(err_pipe[0]);
  Fd err_write(err_pipe[1]);
  ::fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err_read.get(), F_SETFL, O_NONBLOCK);

  const pid_t pid = spawn(argv, environment, {}, out_write.get(), err_write.get());
  // Our copies of the write ends must go, or the pipes never reach EOF.
  out_write.reset();
  err_write.reset();

  RunResult result;
  bool out_eof = false;
  bool err_eof = false;
  std::optional<int> status;
  // A command may leave a background process holding its stdout open; once
  // the command itself has exited, give such output 1 s, not the whole
  // timeout.
  std::optional<Clock::time_point> drain_until;
  for (;;) {
    if (!status) {
      status = peek_exit(pid);
      if (status) drain_until = Clock::now() + milliseconds(1000);
    }
    if (out_eof && err_eof && status) break;
    const auto now = Clock::now();
    const auto limit = drain_until ? std::min(deadline, *drain_until) : deadline;
    if (now >= limit) break;
    std::array<pollfd, 2> fds{{{out_eof ? -1 : out_read.get(), POLLIN, 0}, {err_eof ? -1 : err_read.get(), POLLIN, 0}}};
    // Short slices: a child's exit is noticed by polling, not by a signal.
    const auto slice = std::min<milliseconds>(std::chrono::duration_cast<milliseconds>(limit - now) + milliseconds(1),
                                              milliseconds(out_eof && err_eof ? 2 : 20));
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(slice.count()));
    if (ready < 0 && errno != EINTR) throw_errno(errno, "poll");
    if (!out_eof) read_available(out_read.get(), result.out, out_eof);
    if (!err_eof) read_available(err_read.get(), result.err, err_eof);
  }

  if (!status) {
    result.timed_out = true;
    ::kill(-pid, SIGKILL);
    status = wait_exit(pid, kKillWait);
  }
  // Whatever else the command started in its group goes with it; the
  // leader is still an unreaped zombie here, so the group id is ours.
  ::kill(-pid, SIGKILL);
  if (!out_eof) read_available(out_read.get(), result.out, out_eof);
  if (!err_eof) read_available(err_read.get(), result.err, err_eof);
  if (status) {
    reap(pid);
    result.exit_code = *status;
  } else {
    fmt::print(stderr, "plprobe::testing: {} (pid {}) survived SIGKILL; not reaped\n", argv.front(), pid);
  }
  result.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  return result;
}

bool wait_until(const std::function<bool()>& condition, milliseconds timeout, milliseconds poll) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    const auto now = Clock::now();
    if (now >= deadline) return condition();
    std::this_thread::sleep_for(std::min<Clock::duration>(poll, deadline - now));
  }
}

}  // namespace plprobe::testing
