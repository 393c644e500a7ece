// `plprobe bench connect`: how fast new connections (and TLS handshakes)
// to one target complete, and how many idle ones it holds.
//
// One request = one TCP connect (plus, with TLS, one full handshake with
// the certificate verified, no session resumption), then the socket is
// closed with RST, as port scanners do: no TIME_WAIT piles up on either side
// at tens of thousands of connects a second. Latency = connect (+
// handshake) time. A port range spreads the connects over its ports in turn.
// With `hold`, each worker connects once and keeps the connection open until
// the run ends (reconnecting if the peer closes it): a capacity test.
//
// Lean on purpose (it must keep up with a bare connect loop): one
// coroutine per worker, no per-connection heap objects but the socket (and
// the SSL object with TLS), timeouts enforced by one sweep timer per thread
// instead of a timer per connect, outcome codes only on failure.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "bench/load/io_pool.h"
#include "bench/load/run.h"
#include "common/asio.h"
#include "probes/transport/tls.h"

namespace plprobe::bench {

struct ConnectSettings {
  std::vector<tcp::endpoint> endpoints;  // one per port (a range has several)
  std::string server_name;               // TLS SNI / name to verify
  std::shared_ptr<probes::TlsClientContext> tls;  // null: plain TCP
  int concurrency = 64;                  // workers in total, split over the threads
  std::optional<double> rate;            // open loop, per second in total
  std::chrono::microseconds timeout{std::chrono::seconds(3)};
  bool hold = false;
};

// What the load threads hold between start_connect_load() and the end of
// the run. Destroy it (after the IoPool stopped) to release everything.
class ConnectLoad {
 public:
  virtual ~ConnectLoad() = default;
  // Connections open right now (hold mode), summed over threads; any thread.
  virtual std::uint64_t held() const = 0;
};

// Spawns the workers on every context of `pool` (not started yet).
std::unique_ptr<ConnectLoad> start_connect_load(Run& run, IoPool& pool, const ConnectSettings& settings);

}  // namespace plprobe::bench
