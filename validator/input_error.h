// Bad input: a file that cannot be read, is not JSON, or is not one of the
// documents the validator knows.
//
// The validator throws InputError and nothing else for bad input; the CLI
// turns it into exit code 2 with `what()` and `hint()`. Messages always name
// the file (and the line and column, or the JSON Lines line, when there is
// one), and never contain raw control bytes from the input.
#pragma once

#include <stdexcept>
#include <string>

namespace plprobe::validator {

class InputError : public std::runtime_error {
 public:
  InputError(const std::string& what, std::string hint) : std::runtime_error(what), hint_(std::move(hint)) {}
  const std::string& hint() const { return hint_; }

 private:
  std::string hint_;
};

}  // namespace plprobe::validator
