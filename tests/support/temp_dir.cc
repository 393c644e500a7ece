#include "tests/support/temp_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

namespace plprobe::testing {

TempDir::TempDir(std::string_view prefix, Access access) {
  const char* base = std::getenv("TMPDIR");
  std::filesystem::path parent = (base != nullptr && *base != '\0') ? base : "/tmp";
  std::string pattern = (parent / std::string(prefix)).string() + "XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  // mkdtemp, not a name made up here: it creates the directory atomically
  // with mode 0700, so no other process can race us to the name.
  if (::mkdtemp(buffer.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), fmt::format("mkdtemp {}", pattern));
  }
  path_ = buffer.data();
  if (access == Access::world_access) allow_other_users();
}

TempDir::~TempDir() { remove(); }

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

std::filesystem::path TempDir::file(std::string_view name) const { return path_ / std::string(name); }

std::filesystem::path TempDir::write(std::string_view name, std::string_view contents) const {
  const auto target = file(name);
  std::filesystem::create_directories(target.parent_path());
  std::ofstream out(target, std::ios::binary | std::ios::trunc);
  if (!out) throw std::system_error(errno, std::generic_category(), fmt::format("open {}", target.string()));
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) throw std::system_error(errno, std::generic_category(), fmt::format("write {}", target.string()));
  return target;
}

void TempDir::allow_other_users() const {
  if (::chmod(path_.c_str(), 0755) != 0) {
    throw std::system_error(errno, std::generic_category(), fmt::format("chmod {}", path_.string()));
  }
}

void TempDir::remove() noexcept {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  if (ec) fmt::print(stderr, "TempDir: cannot remove {}: {}\n", path_.string(), ec.message());
  path_.clear();
}

}  // namespace plprobe::testing
