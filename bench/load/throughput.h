// `plprobe bench throughput`: bytes per second over one or more streams to
// `plprobe serve` (stream_protocol.h), plain or TLS, up, down or both.
//
// Each stream connects and handshakes with the probes' transport
// (probes::Connection: the same connect, TLS and outcome codes as
// `plprobe probe`), then moves 128 KiB frames until the run ends. Bytes are
// counted in the Recorder as they move (so warm-up bytes are not counted);
// each stream also keeps its exact total and checks it against the peer's
// at the end: `exact` in the summary says every byte arrived.
// `both` opens one up and one down connection per stream.
//
// Stopping: when the run ends (duration or SIGINT) every stream finishes
// the protocol (end frame / stop byte, totals exchanged) within `grace`;
// streams still running then are cut (and not exact).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "bench/load/io_pool.h"
#include "bench/load/run.h"
#include "bench/load/stream_protocol.h"
#include "probes/transport/tls.h"

namespace plprobe::bench {

enum class ThroughputDirection { up, down, both };

struct ThroughputSettings {
  tcp::endpoint endpoint;
  std::string server_name;
  std::shared_ptr<probes::TlsClientContext> tls;  // null: plain
  int streams = 1;
  ThroughputDirection direction = ThroughputDirection::up;
  std::chrono::microseconds connect_timeout{std::chrono::seconds(5)};
  std::chrono::seconds grace{5};
};

struct StreamReport {
  std::uint32_t id = 0;
  stream::Direction direction = stream::Direction::up;
  std::uint64_t bytes = 0;        // payload bytes this side sent (up) or received (down)
  std::uint64_t peer_bytes = 0;   // what the peer reported
  bool finished = false;          // totals were exchanged
  bool exact = false;             // finished and both totals equal
  std::string outcome = "ok";     // a stable code when the stream failed
};

// Runs the whole throughput run: connects, drives `run` (intervals,
// SIGINT), finishes the streams, and returns one report per connection.
std::vector<StreamReport> run_throughput(Run& run, IoPool& pool, const ThroughputSettings& settings);

}  // namespace plprobe::bench
