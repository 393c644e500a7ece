#include "tests/support/process.h"

#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"
#include "tests/support/watchdog.h"

namespace plprobe::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Alive and not a zombie (a zombie is dead, only not yet reaped by init).
bool process_alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

TEST(ChildProcess, StopEndsASleepingProcessFast) {
  Watchdog watchdog(5s, "ChildProcess.StopEndsASleepingProcessFast");
  ChildProcess child({"/bin/sleep", "30"});
  EXPECT_TRUE(child.running());
  EXPECT_FALSE(child.wait_for(50ms));
  const auto started = Clock::now();
  child.stop();
  EXPECT_LT(Clock::now() - started, 1s);
  EXPECT_FALSE(child.running());
  EXPECT_EQ(child.exit_status(), 128 + SIGTERM);
  EXPECT_FALSE(process_alive(child.pid()));
}

TEST(ChildProcess, StopEscalatesToSigkillWhenSigtermIsIgnored) {
  Watchdog watchdog(5s, "ChildProcess.StopEscalatesToSigkillWhenSigtermIsIgnored");
  TempDir dir;
  const auto ready = dir.file("ready");
  // The trap is set before the marker appears, and an ignored signal stays
  // ignored in sleep too.
  ChildProcess child({"/bin/sh", "-c", "trap '' TERM; touch \"$1\"; sleep 30", "sh", ready.string()});
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(ready); }, 2s));
  const auto started = Clock::now();
  child.stop(200ms);
  EXPECT_LT(Clock::now() - started, 2s);
  EXPECT_EQ(child.exit_status(), 128 + SIGKILL);
}

TEST(ChildProcess, StopEndsWhatTheChildLeftRunningInItsGroup) {
  Watchdog watchdog(5s, "ChildProcess.StopEndsWhatTheChildLeftRunningInItsGroup");
  ChildProcess child({"/bin/sh", "-c", "sleep 30 & echo $!"});
  ASSERT_EQ(child.wait_for(2s), 0);
  ASSERT_TRUE(wait_until([&] { return child.log().find('\n') != std::string::npos; }, 2s));
  const pid_t straggler = std::stoi(child.log());
  EXPECT_TRUE(process_alive(straggler));
  child.stop(500ms);
  EXPECT_TRUE(wait_until([&] { return !process_alive(straggler); }, 2s));
}

TEST(ChildProcess, ReportsTheExitCode) {
  Watchdog watchdog(5s, "ChildProcess.ReportsTheExitCode");
  ChildProcess child({"/bin/sh", "-c", "exit 3"});
  EXPECT_EQ(child.wait_for(2s), 3);
  EXPECT_EQ(child.wait_for(0ms), 3);
  EXPECT_FALSE(child.running());
}

TEST(ChildProcess, LogsStdoutAndStderrTogether) {
  Watchdog watchdog(5s, "ChildProcess.LogsStdoutAndStderrTogether");
  TempDir dir;
  ProcessOptions options;
  options.argv = {"/bin/sh", "-c", "echo out; echo err >&2"};
  options.log_file = dir.file("server.log");
  ChildProcess child(options);
  ASSERT_EQ(child.wait_for(2s), 0);
  EXPECT_EQ(child.log(), "out\nerr\n");
  EXPECT_EQ(child.log_path(), dir.file("server.log"));
}

TEST(ChildProcess, PassesEnvironmentAndWorkingDirectory) {
  Watchdog watchdog(5s, "ChildProcess.PassesEnvironmentAndWorkingDirectory");
  TempDir dir;
  ProcessOptions options;
  options.argv = {"sh", "-c", "echo \"$PLPROBE_TEST_VALUE\"; pwd; echo \"${PATH:+path}\""};
  options.environment = {{"PLPROBE_TEST_VALUE", "a b 'c'"}};
  options.working_directory = dir.path();
  ChildProcess child(options);
  ASSERT_EQ(child.wait_for(2s), 0);
  EXPECT_EQ(child.log(), "a b 'c'\n" + std::filesystem::canonical(dir.path()).string() + "\npath\n");
}

TEST(ChildProcess, DoesNotInheritTheTestsDescriptors) {
  Watchdog watchdog(5s, "ChildProcess.DoesNotInheritTheTestsDescriptors");
  ChildProcess child({"/bin/sh", "-c", "ls /proc/self/fd"});
  ASSERT_EQ(child.wait_for(2s), 0);
  // 0, 1, 2 and the descriptor ls uses to list the directory.
  EXPECT_EQ(child.log(), "0\n1\n2\n3\n");
}

TEST(ChildProcess, MissingProgramThrows) {
  Watchdog watchdog(5s, "ChildProcess.MissingProgramThrows");
  try {
    ChildProcess child({"/nonexistent/plprobe-program"});
    FAIL() << "started a program that does not exist";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), ENOENT);
  }
  EXPECT_THROW(ChildProcess(std::vector<std::string>{"plprobe-no-such-program-in-path"}), std::system_error);
}

TEST(RunCommand, CapturesStdoutStderrAndExitCodeApart) {
  Watchdog watchdog(5s, "RunCommand.CapturesStdoutStderrAndExitCodeApart");
  const auto result = run_command({"/bin/sh", "-c", "echo '{\"ok\":true}'; echo warning >&2; exit 4"}, 2s);
  EXPECT_EQ(result.out, "{\"ok\":true}\n");
  EXPECT_EQ(result.err, "warning\n");
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_FALSE(result.timed_out);
}

TEST(RunCommand, KillsTheCommandAtTheTimeout) {
  Watchdog watchdog(5s, "RunCommand.KillsTheCommandAtTheTimeout");
  const auto started = Clock::now();
  const auto result = run_command({"/bin/sh", "-c", "echo started; sleep 30"}, 300ms);
  EXPECT_LT(Clock::now() - started, 2s);
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.exit_code, 128 + SIGKILL);
  EXPECT_EQ(result.out, "started\n");
  EXPECT_GE(result.elapsed, 300ms);
}

TEST(RunCommand, CapturesLargeOutputWhole) {
  Watchdog watchdog(5s, "RunCommand.CapturesLargeOutputWhole");
  const auto result = run_command({"/bin/sh", "-c", "head -c 3000000 /dev/zero; head -c 100000 /dev/zero >&2"}, 3s);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out.size(), 3000000u);
  EXPECT_EQ(result.err.size(), 100000u);
}

TEST(RunCommand, DoesNotWaitForABackgroundChildHoldingItsOutput) {
  Watchdog watchdog(10s, "RunCommand.DoesNotWaitForABackgroundChildHoldingItsOutput");
  const auto started = Clock::now();
  const auto result = run_command({"/bin/sh", "-c", "sleep 30 & echo $!"}, 5s);
  EXPECT_LT(Clock::now() - started, 3s);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 0);
  const pid_t straggler = std::stoi(result.out);
  EXPECT_TRUE(wait_until([&] { return !process_alive(straggler); }, 2s));
}

TEST(RunCommand, PassesEnvironmentAdditions) {
  Watchdog watchdog(5s, "RunCommand.PassesEnvironmentAdditions");
  const auto result = run_command({"/bin/sh", "-c", "printf %s \"$PLPROBE_X\""}, 2s, {{"PLPROBE_X", "42"}});
  EXPECT_EQ(result.out, "42");
}

TEST(WaitUntil, ReturnsTrueAsSoonAsTheConditionHolds) {
  Watchdog watchdog(5s, "WaitUntil.ReturnsTrueAsSoonAsTheConditionHolds");
  const auto started = Clock::now();
  int calls = 0;
  EXPECT_TRUE(wait_until([&] { return ++calls == 3; }, 2s, 10ms));
  EXPECT_LT(Clock::now() - started, 1s);
}

TEST(WaitUntil, ReturnsFalseAfterTheTimeout) {
  Watchdog watchdog(5s, "WaitUntil.ReturnsFalseAfterTheTimeout");
  const auto started = Clock::now();
  EXPECT_FALSE(wait_until([] { return false; }, 100ms));
  const auto elapsed = Clock::now() - started;
  EXPECT_GE(elapsed, 100ms);
  EXPECT_LT(elapsed, 1s);
}

}  // namespace
}  // namespace plprobe::testing
