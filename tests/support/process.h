// Child processes for tests: servers that run while a test does
// (ChildProcess) and commands that run to completion (run_command).
//
// Both start the program directly with posix_spawn (no shell, so no
// quoting), in a new process group whose id is the child's pid, with stdin
// from /dev/null, every descriptor but 0-2 closed, default signal
// dispositions and an empty signal mask (so a test that ignores SIGPIPE does
// not hand that on). argv[0] is a path, or a name looked up in PATH.
//
// Exit statuses: the exit code when the process exited, 128 + the signal
// number when a signal killed it (the shell's convention).
//
// Nothing waits forever: every wait takes a timeout, stop() escalates from
// SIGTERM to SIGKILL, and the destructor stops the group.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace plprobe::testing {

class TempDir;

// Variables added to (or replacing those of) the test's own environment.
using Environment = std::vector<std::pair<std::string, std::string>>;

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0]: the program; must not be empty
  Environment environment;
  std::filesystem::path working_directory;  // empty: the test's own
  // stdout and stderr both go here (created or truncated). Empty: a file
  // "process.log" in a TempDir that the ChildProcess owns.
  std::filesystem::path log_file;
};

// A program running in the background, for as long as the object lives.
//
// Ownership: owns the child and its process group; destruction calls
// stop(), so the group gets SIGTERM, then SIGKILL after the grace period.
// Processes that leave the group (setsid, a daemon's double fork) are out of
// reach. Threading: not thread-safe; use one ChildProcess from one thread.
// Failure behaviour: the constructor throws std::system_error when the
// program cannot be started (errno ENOENT: not found, EACCES, ...).
class ChildProcess {
 public:
  explicit ChildProcess(ProcessOptions options);
  // Shorthand: argv only, log in an owned TempDir.
  explicit ChildProcess(std::vector<std::string> argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // True until the child has exited. The child is reaped only by stop() (or
  // the destructor): until then its pid, and so its group id, stay reserved
  // and cannot be reused by an unrelated process that stop() would signal.
  bool running();
  // Waits up to `timeout` for the child to exit; its status, or nullopt
  // when it still runs. Returns the same status again once it has exited.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // SIGTERM to the whole group; after `grace`, SIGKILL to the whole group.
  // Then the same (TERM, grace, KILL) for members of the group that outlive
  // the child, e.g. what `pg_ctl start` leaves running. Returns once the
  // child is reaped (or after 5 s more if even SIGKILL did not end it, which
  // only a process stuck in the kernel can do). Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(2));
  // The exit status, once known.
  std::optional<int> exit_status() const { return status_; }

  const std::filesystem::path& log_path() const { return log_path_; }
  // What the child wrote to stdout and stderr so far.
  std::string log() const;

 private:
  std::unique_ptr<TempDir> log_dir_;
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  std::optional<int> status_;
  bool group_ended_ = false;
};

struct RunResult {
  int exit_code = -1;      // 128 + signal when killed by a signal (then the timeout's SIGKILL: 137)
  bool timed_out = false;  // true when run_command killed it at the timeout
  std::string out;         // everything written to stdout
  std::string err;         // everything written to stderr
  std::chrono::milliseconds elapsed{0};
};

// Runs argv to completion with stdout and stderr captured apart. At
// `timeout` the whole process group gets SIGKILL and the result says
// timed_out (with whatever output came before). When the command ends, what
// is left of its group is killed too. Throws std::system_error when the
// program cannot be started. Thread-safe (each call is independent).
RunResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                      const Environment& environment = {});

// Polls `condition` every `poll` until it is true or `timeout` has passed;
// returns its last value. `condition` runs on the calling thread.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(20));

}  // namespace plprobe::testing
