// `plprobe serve`: the peer for `bench throughput` and `bench connect`,
// small enough to run behind an NLB / endpoint service to test a link
// before the database exists.
//
// Speaks the stream protocol (stream_protocol.h), plain or TLS, on one
// listening socket; serves any number of clients at once on `threads`
// event loops (accepted connections are spread round-robin). A connection
// that sends no hello is held open (that is what `bench connect --hold`
// measures) until `idle_timeout`, then closed.
//
// Output (`out`): a "listening" line first (with the real port, so port 0
// works), one line per finished stream, one line when stopped; text, or
// JSON objects with --json ({"type": "listening" | "stream" | "stopped"}).
//
// Lifetime: serve() returns after SIGINT/SIGTERM (or once `stop` is set,
// for tests), with every connection closed and every thread joined.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "common/asio.h"

namespace plprobe::bench {

struct ServeSettings {
  tcp::endpoint listen;
  bool tls = false;
  std::string cert_file;  // PEM chain (leaf first)
  std::string key_file;
  int threads = 1;
  std::chrono::seconds idle_timeout{600};
  bool json = false;
};

// Returns the exit code: 0 after a clean stop, 2 when it cannot listen or
// load the certificate (the reason on stderr as "plprobe: ...").
int serve(const ServeSettings& settings, std::FILE* out = stdout, std::FILE* err = stderr);

}  // namespace plprobe::bench
