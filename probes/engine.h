// Runs many probes at once: one io_context and one resolver per thread,
// `concurrency` lanes spread over the threads, each lane pulling the next
// target until none is left (nothing shared on the hot path but an atomic
// index and the result sink).
//
// Per target and sample: one Deadline for everything (DNS, then connect,
// TLS and protocol to every resolved address in parallel). A target whose
// name does not resolve yields one result without address; otherwise one
// result per address. With repeat > 1 each address gets one result with a
// sample summary instead.
//
// Descriptors: the engine counts what the process may still open
// (RLIMIT_NOFILE minus what is open) and lowers the concurrency to fit,
// saying so in EngineReport; a socket() that still fails with EMFILE waits
// and retries, so a run queues rather than failing. Every socket is closed
// on every path before run_probes() returns.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "probes/settings.h"
#include "probes/target.h"
#include "probes/transport/tls.h"
#include "resolvers/resolver.h"

namespace plprobe::probes {

struct EngineOptions {
  int threads = 0;  // 0: one per core
  int concurrency = 256;
  std::chrono::microseconds timeout = std::chrono::seconds(3);
  int repeat = 1;
  std::chrono::microseconds interval = std::chrono::seconds(1);
  // With repeat > 1: stop sampling a target after this many samples in a
  // row in which every address timed out (0: never stop early). A
  // blackholed path then costs that many deadlines instead of repeat of
  // them; the summary counts only the samples taken and says why it ended.
  int give_up_after_timeouts = 0;
  resolvers::ResolverOptions resolver;
  TlsOptions tls;
  ProbeSettings settings;
};

// Receives results as they finish. The engine calls it from its worker
// threads, possibly at the same time: an implementation synchronises
// itself, and should do its expensive work (formatting) outside its lock so
// threads do not queue behind one another.
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual void accept(std::size_t target_index, ProbeResult result) = 0;
};

struct EngineReport {
  int threads = 0;
  int concurrency = 0;
  std::string notice;  // e.g. why the concurrency was lowered; empty if nothing to say
};

// Probes every target and returns when all are done. A failure to start
// (unreadable CA file, no resolver) is returned as a Status before any
// probe runs; network failures are results, never a failed Status.
Status run_probes(const std::vector<Target>& targets, const EngineOptions& options, ResultSink& sink,
                  EngineReport& report);

// Descriptors this process may still open: RLIMIT_NOFILE minus open ones.
long available_descriptors();

// Nearest-rank percentiles over samples in milliseconds.
SampleSummary summarize(std::vector<double> samples_ms, int lost);

}  // namespace plprobe::probes
