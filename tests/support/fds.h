// Descriptor accounting for leak tests.
#pragma once

#include <sys/resource.h>

#include <cstddef>

namespace plprobe::testing {

// How many descriptors this process has open (entries of /proc/self/fd, not
// counting the one used to list it). Thread-safe, but only meaningful when
// no other thread is opening or closing descriptors meanwhile. Throws
// std::system_error when /proc is not mounted.
std::size_t open_descriptor_count();

// Sets the soft RLIMIT_NOFILE for its lifetime and restores the previous
// soft limit on destruction. The hard limit is never touched; a request
// above it is clamped to it (so this can also raise the soft limit, e.g.
// for a test that needs 5,000 sockets). Process-wide: do not let two of
// these overlap from different threads. Throws std::system_error when
// setrlimit fails.
class ScopedFdLimit {
 public:
  explicit ScopedFdLimit(rlim_t soft);
  ~ScopedFdLimit();
  ScopedFdLimit(const ScopedFdLimit&) = delete;
  ScopedFdLimit& operator=(const ScopedFdLimit&) = delete;

  rlim_t soft() const { return applied_; }  // the limit in force (after clamping)

 private:
  rlimit previous_{};
  rlim_t applied_ = 0;
};

}  // namespace plprobe::testing
