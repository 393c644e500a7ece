// A real DNS server for tests: unbound, started as a child process on a
// loopback port, authoritative for a test zone built from zone-file lines.
//
// What it answers (shared/docs and issue 2's test list):
//   - names in the zone: their records (A, AAAA, CNAME chains, TXT, ...);
//   - a name in the zone without records: NXDOMAIN; with only TXT: NODATA;
//   - anything under refused.<first zone>: REFUSED (unbound local-zone always_refuse);
//   - any name outside the zone: SERVFAIL. Unbound forwards those to itself
//     from 127.0.0.2, which its access control refuses; a refused upstream
//     makes it answer SERVFAIL at once. So it never sends a packet off this
//     machine, and SERVFAIL comes from a real server doing real work.
//
// Ownership: owns the unbound process and its directory; the destructor
// stops it. Failure behaviour: start() throws std::runtime_error with
// unbound's log when it cannot get the server answering within 10 s.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace plprobe::testing {

struct TestZone {
  std::string name;                  // "test." (the final dot may be left out)
  std::vector<std::string> records;  // zone-file lines relative to it, e.g.
                                     // "a 300 IN A 127.0.0.1", "alias 60 IN CNAME a"
};

class UnboundServer {
 public:
  explicit UnboundServer(std::vector<TestZone> zones);
  ~UnboundServer();

  std::uint16_t port() const { return port_; }
  // "127.0.0.1:PORT", the form --dns-server takes.
  std::string address() const;
  std::string log() const;

 private:
  TempDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// True when an unbound binary is installed (scripts/setup.sh installs it).
bool unbound_available();

}  // namespace plprobe::testing
