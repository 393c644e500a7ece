#include <array>

#include "probes/protocol.h"

namespace plprobe::probes {
namespace {

// The registry: one row per URI scheme. Protocol issues add rows here.
const std::array kSchemes = {
    Scheme{"tcp", "tcp", 0, false, "tcp://HOST:PORT", nullptr},
    Scheme{"tls", "tls", 0, true, "tls://HOST:PORT", nullptr},
};

}  // namespace

std::span<const Scheme> schemes() { return kSchemes; }

const Scheme* find_scheme(std::string_view name) {
  for (const auto& scheme : kSchemes) {
    if (scheme.name == name) return &scheme;
  }
  return nullptr;
}

}  // namespace plprobe::probes
