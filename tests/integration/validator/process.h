// Runs a shell command line for the CLI-level tests and returns its exit
// status with its standard output and standard error.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace plprobe::validator::testing {

struct Output {
  int status = -1;
  std::string out;
  std::string err;
  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::size_t start = 0;
    while (start < out.size()) {
      auto end = out.find('\n', start);
      result.push_back(out.substr(start, end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return result;
  }
};

inline std::string plprobe_binary() { return std::string(PLPROBE_BINARY_DIR) + "/cli/plprobe"; }

inline std::string quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A fresh directory under the system's temporary directory, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "plprobe-validator-XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) != nullptr) path_ = buffer.data();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// `command` is a shell command line; stdout and stderr go to files in a
// temporary directory so neither can block the other.
inline Output run_shell(const std::string& command) {
  TempDir dir;
  std::string out_file = dir.path() + "/out", err_file = dir.path() + "/err";
  std::string line = "( " + command + " ) </dev/null >" + quote(out_file) + " 2>" + quote(err_file);
  int raw = std::system(line.c_str());
  Output output;
  output.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  output.out = slurp(out_file);
  output.err = slurp(err_file);
  return output;
}

inline Output plprobe(const std::string& arguments) {
  return run_shell("NO_COLOR=1 " + quote(plprobe_binary()) + " " + arguments);
}

}  // namespace plprobe::validator::testing
