// Settings a probe run applies to every target. Protocol issues add their
// own member structs here; the engine hands the whole thing to each probe.
#pragma once

#include <string>

namespace plprobe::probes {

struct ProbeSettings {
  std::string sni;              // --sni: overrides the host name sent and verified
  bool expect_private = false;  // --expect-private: every name must resolve privately
};

}  // namespace plprobe::probes
