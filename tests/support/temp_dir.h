// A directory of its own for one test, removed with everything in it.
//
// Ownership: a TempDir owns its directory tree; the destructor removes it
// recursively (failures are printed to stderr, never thrown). Movable, not
// copyable; a moved-from TempDir owns nothing.
// Threading: none of its own; const member functions may be called from
// several threads at once (they only touch the file system).
// Failure behaviour: construction and write() throw std::system_error (a
// test setup error, which GoogleTest reports as a failure).
#pragma once

#include <filesystem>
#include <string_view>

namespace plprobe::testing {

class TempDir {
 public:
  enum class Access {
    owner_only,    // 0700, what mkdtemp makes
    world_access,  // 0755: servers started as another user (postgres, mysql) can read and enter it
  };

  // Creates $TMPDIR/<prefix>XXXXXX (or /tmp/... when TMPDIR is unset or empty).
  explicit TempDir(std::string_view prefix = "plprobe-test-", Access access = Access::owner_only);
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // path() / name; creates nothing.
  std::filesystem::path file(std::string_view name) const;
  // Creates or truncates path()/name (and its missing parent directories
  // inside path()) with `contents`; returns its path. Mode 0644 less umask.
  std::filesystem::path write(std::string_view name, std::string_view contents) const;
  // chmod 0755 on the directory itself (not on what is inside).
  void allow_other_users() const;

 private:
  void remove() noexcept;
  std::filesystem::path path_;
};

}  // namespace plprobe::testing
