// The outcome of one step: a stable code, one sentence, and what to do.
//
// Like leveldb's Status, a small value type returned by every step that can
// fail (connect, TLS, a protocol exchange). `ok()` carries no text. The
// hint defaults to the code's own hint (codes.h) when the site has nothing
// more specific to say.
#pragma once

#include <string>

#include "common/codes.h"

namespace plprobe {

struct Status {
  Code code = Code::ok;
  std::string message;
  std::string hint;

  bool ok() const { return code == Code::ok; }

  static Status success() { return {}; }
  static Status failure(Code code, std::string message, std::string hint = {}) {
    if (hint.empty()) hint = std::string(info(code).hint);
    return {code, std::move(message), std::move(hint)};
  }
};

}  // namespace plprobe
