#include "bench/load/signals.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace plprobe::bench {
namespace {

int g_pipe[2] = {-1, -1};
struct sigaction g_previous_int {};
struct sigaction g_previous_term {};

extern "C" void on_stop_signal(int) {
  const int saved = errno;
  char byte = 1;
  [[maybe_unused]] auto written = write(g_pipe[1], &byte, 1);
  errno = saved;
}

}  // namespace

StopSignals::StopSignals() {
  if (pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART | SA_RESETHAND;
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
  installed_ = true;
}

StopSignals::~StopSignals() {
  if (!installed_) return;
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
  close(g_pipe[0]);
  close(g_pipe[1]);
  g_pipe[0] = g_pipe[1] = -1;
}

bool StopSignals::wait(Clock::time_point until) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
  left = std::clamp<long long>(left, 0, 1000);
  if (!installed_) {
    ::usleep(static_cast<useconds_t>(left * 1000));
    return false;
  }
  pollfd fd{g_pipe[0], POLLIN, 0};
  if (::poll(&fd, 1, static_cast<int>(left)) > 0) {
    char buffer[16];
    while (read(g_pipe[0], buffer, sizeof buffer) > 0) {
    }
    return true;
  }
  return false;
}

}  // namespace plprobe::bench
