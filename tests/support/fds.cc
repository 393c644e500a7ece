#include "tests/support/fds.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

namespace plprobe::testing {

std::size_t open_descriptor_count() {
  DIR* directory = ::opendir("/proc/self/fd");
  if (directory == nullptr) throw std::system_error(errno, std::generic_category(), "opendir /proc/self/fd");
  const int own = ::dirfd(directory);
  std::size_t count = 0;
  while (dirent* entry = ::readdir(directory)) {
    const std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    if (name == std::to_string(own)) continue;
    ++count;
  }
  ::closedir(directory);
  return count;
}

ScopedFdLimit::ScopedFdLimit(rlim_t soft) {
  if (::getrlimit(RLIMIT_NOFILE, &previous_) != 0) {
    throw std::system_error(errno, std::generic_category(), "getrlimit RLIMIT_NOFILE");
  }
  rlimit wanted = previous_;
  wanted.rlim_cur = previous_.rlim_max == RLIM_INFINITY ? soft : std::min(soft, previous_.rlim_max);
  if (::setrlimit(RLIMIT_NOFILE, &wanted) != 0) {
    throw std::system_error(errno, std::generic_category(), fmt::format("setrlimit RLIMIT_NOFILE {}", soft));
  }
  applied_ = wanted.rlim_cur;
}

ScopedFdLimit::~ScopedFdLimit() {
  if (::setrlimit(RLIMIT_NOFILE, &previous_) != 0) {
    fmt::print(stderr, "ScopedFdLimit: cannot restore RLIMIT_NOFILE: {}\n", std::generic_category().message(errno));
  }
}

}  // namespace plprobe::testing
