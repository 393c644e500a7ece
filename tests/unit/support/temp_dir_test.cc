#include "tests/support/temp_dir.h"

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/watchdog.h"

namespace plprobe::testing {
namespace {

using namespace std::chrono_literals;

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned mode(const std::filesystem::path& path) {
  struct stat info {};
  ::stat(path.c_str(), &info);
  return info.st_mode & 0777;
}

TEST(TempDir, CreatesAPrivateDirectoryAndRemovesItWithItsContents) {
  Watchdog watchdog(5s, "TempDir.CreatesAPrivateDirectoryAndRemovesItWithItsContents");
  std::filesystem::path kept;
  {
    TempDir dir;
    kept = dir.path();
    EXPECT_TRUE(std::filesystem::is_directory(kept));
    EXPECT_EQ(mode(kept), 0700u);
    const auto written = dir.write("sub/dir/file.txt", std::string("a\0b", 3));
    EXPECT_EQ(written, dir.file("sub/dir/file.txt"));
    EXPECT_EQ(read(written), std::string("a\0b", 3));
  }
  EXPECT_FALSE(std::filesystem::exists(kept));
}

TEST(TempDir, TwoDirectoriesDiffer) {
  Watchdog watchdog(5s, "TempDir.TwoDirectoriesDiffer");
  TempDir first;
  TempDir second;
  EXPECT_NE(first.path(), second.path());
}

TEST(TempDir, CanBeOpenedToOtherUsers) {
  Watchdog watchdog(5s, "TempDir.CanBeOpenedToOtherUsers");
  TempDir dir("plprobe-shared-", TempDir::Access::world_access);
  EXPECT_EQ(mode(dir.path()), 0755u);
}

TEST(TempDir, HonoursTmpdir) {
  Watchdog watchdog(5s, "TempDir.HonoursTmpdir");
  TempDir parent;
  const char* previous = std::getenv("TMPDIR");
  const std::string saved = previous ? previous : "";
  ::setenv("TMPDIR", parent.path().c_str(), 1);
  {
    TempDir inside;
    EXPECT_EQ(inside.path().parent_path(), parent.path());
  }
  if (previous) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
}

TEST(TempDir, MovingTransfersOwnership) {
  Watchdog watchdog(5s, "TempDir.MovingTransfersOwnership");
  TempDir original;
  const auto path = original.path();
  {
    TempDir moved(std::move(original));
    EXPECT_EQ(moved.path(), path);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace plprobe::testing
