#include "probes/engine.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "common/address_text.h"
#include "common/when_all.h"
#include "probes/protocol.h"

namespace plprobe::probes {
namespace {

// Descriptors kept back from the concurrency budget: stdio, the output
// file, and each thread's DNS sockets (c-ares opens one UDP socket per
// server, plus TCP for truncated answers).
constexpr long kReservedDescriptors = 16;
constexpr long kReservedPerThread = 4;

Json dns_facts(const resolvers::Resolution& resolution, const resolvers::ResolvedAddress* address) {
  Json facts = {
      {"source", resolution.source},
      {"server", resolution.server.empty() ? Json(nullptr) : Json(resolution.server)},
      {"cname_chain", resolution.cname_chain},
  };
  if (!resolution.rcode_a.empty()) facts["rcode_a"] = resolution.rcode_a;
  if (!resolution.rcode_aaaa.empty()) facts["rcode_aaaa"] = resolution.rcode_aaaa;
  if (address != nullptr) facts["ttl"] = address->ttl;
  return facts;
}

bool timed_out(Code code) {
  return code == Code::dns_timeout || code == Code::tcp_timeout || code == Code::tls_timeout ||
         code == Code::protocol_timeout;
}

struct Shared {
  Shared(const std::vector<Target>& all, const EngineOptions& engine_options, ResultSink& result_sink,
         std::shared_ptr<TlsClientContext> tls_context)
      : targets(all), options(engine_options), sink(result_sink), tls(std::move(tls_context)) {}

  const std::vector<Target>& targets;
  const EngineOptions& options;
  ResultSink& sink;
  std::shared_ptr<TlsClientContext> tls;
  std::atomic<std::size_t> next{0};

  void emit(std::size_t index, ProbeResult result) { sink.accept(index, std::move(result)); }
};

class Worker {
 public:
  explicit Worker(Shared& shared) : shared_(shared) {}

  Status init() {
    std::string error;
    resolver_ = resolvers::Resolver::create(io_, shared_.options.resolver, error);
    if (!resolver_) return Status::failure(Code::dns_server_unreachable, error);
    return Status::success();
  }

  void start_lanes(int lanes) {
    for (int i = 0; i < lanes; ++i) asio::co_spawn(io_, lane(), asio::detached);
  }

  void run() {
    io_.run();
    resolver_.reset();  // closes its sockets; pending handlers are dropped
  }

 private:
  awaitable<void> lane() {
    for (;;) {
      const std::size_t index = shared_.next.fetch_add(1, std::memory_order_relaxed);
      if (index >= shared_.targets.size()) co_return;
      co_await probe_target(index);
    }
  }

  awaitable<void> probe_target(std::size_t index) {
    const Target& target = shared_.targets[index];
    const int repeat = std::max(1, shared_.options.repeat);
    if (repeat == 1) {
      for (auto& result : co_await probe_once(target)) shared_.emit(index, std::move(result));
      co_return;
    }
    struct Samples {
      ProbeResult last;
      std::vector<double> ok_ms;
      int count = 0;
      int lost = 0;
      std::map<Code, int> failures;
      std::size_t first_seen = 0;
    };
    std::map<std::string, Samples> by_address;
    std::size_t order = 0;
    asio::steady_timer pacing(io_);
    const int give_up_after = shared_.options.give_up_after_timeouts;
    bool gave_up = false;
    int timeouts_in_a_row = 0;
    for (int sample = 0; sample < repeat; ++sample) {
      const auto sample_start = Clock::now();
      auto results = co_await probe_once(target);
      const bool all_timed_out = !results.empty() && std::all_of(results.begin(), results.end(), [](const auto& r) {
        return timed_out(r.outcome);
      });
      timeouts_in_a_row = all_timed_out ? timeouts_in_a_row + 1 : 0;
      for (auto& result : results) {
        auto [entry, inserted] = by_address.try_emplace(result.address.value_or(""));
        auto& samples = entry->second;
        if (inserted) samples.first_seen = order++;
        ++samples.count;
        if (result.ok()) {
          samples.ok_ms.push_back(result.phases.total_ms);
        } else {
          ++samples.lost;
          ++samples.failures[result.outcome];
        }
        samples.last = std::move(result);
      }
      if (give_up_after > 0 && timeouts_in_a_row >= give_up_after) {
        gave_up = true;
        break;
      }
      if (sample + 1 < repeat) {
        pacing.expires_at(sample_start + shared_.options.interval);
        error_code ignored;
        co_await pacing.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      }
    }
    std::vector<Samples*> ordered;
    for (auto& [address, samples] : by_address) ordered.push_back(&samples);
    std::sort(ordered.begin(), ordered.end(), [](auto* a, auto* b) { return a->first_seen < b->first_seen; });
    for (auto* samples : ordered) {
      ProbeResult result = std::move(samples->last);
      result.samples = summarize(samples->ok_ms, samples->lost);
      result.samples->count = samples->count;
      if (samples->lost > 0) {
        auto worst = std::max_element(samples->failures.begin(), samples->failures.end(),
                                      [](const auto& a, const auto& b) { return a.second < b.second; });
        std::string counts;
        for (const auto& [code, count] : samples->failures) {
          counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", name(code), count);
        }
        std::string last_message = result.ok() ? std::string() : "; last: " + result.message;
        if (gave_up) {
          last_message += fmt::format("; stopped after {} timed-out sample{} in a row", give_up_after,
                                      give_up_after == 1 ? "" : "s");
        }
        const std::string hint = result.ok() ? std::string(info(worst->first).hint) : result.hint;
        result.fail(worst->first,
                    fmt::format("{} of {} samples failed ({}){}", samples->lost, samples->count, counts, last_message),
                    hint);
      }
      shared_.emit(index, std::move(result));
    }
  }

  awaitable<std::vector<ProbeResult>> probe_once(const Target& target) {
    const auto started = Clock::now();
    Deadline deadline(io_.get_executor(), started + shared_.options.timeout);
    const bool expect_private = shared_.options.settings.expect_private;
    resolvers::Resolution resolution;
    if (target.host_is_literal) {
      resolution = resolvers::literal_resolution(target.literal_address, target.host, expect_private);
    } else {
      resolution = co_await resolver_->resolve(target.host, deadline, expect_private);
    }

    std::vector<ProbeResult> results;
    if (!resolution.ok() && resolution.outcome != Code::dns_public_address) {
      ProbeResult& result = results.emplace_back(blank_result(target));
      result.fail(resolution.outcome, resolution.message, resolution.hint);
      result.phases.dns_ms = resolution.elapsed_ms;
      result.phases.total_ms = elapsed_ms(started);
      result.facts["dns"] = dns_facts(resolution, nullptr);
      co_return results;
    }
    results.resize(resolution.addresses.size(), blank_result(target));
    if (results.size() == 1) {
      co_await probe_address(target, resolution, 0, deadline, started, results[0]);
    } else {
      std::vector<awaitable<void>> tasks;
      for (std::size_t i = 0; i < results.size(); ++i) {
        tasks.push_back(probe_address(target, resolution, i, deadline, started, results[i]));
      }
      co_await when_all(std::move(tasks));
    }
    co_return results;
  }

  static ProbeResult blank_result(const Target& target) {
    ProbeResult result;
    result.target = target.text;
    result.kind = std::string(target.scheme->kind);
    result.host = target.host;
    result.port = target.port;
    return result;
  }

  awaitable<void> probe_address(const Target& target, const resolvers::Resolution& resolution, std::size_t which,
                                Deadline& deadline, Clock::time_point started, ProbeResult& result) {
    const auto& resolved = resolution.addresses[which];
    result.address = address_text(resolved.address);
    result.address_class = std::string(resolvers::to_string(resolved.address_class));
    if (!target.host_is_literal) {
      result.phases.dns_ms = resolution.elapsed_ms;
      result.facts["dns"] = dns_facts(resolution, &resolved);
    }
    if (resolution.outcome == Code::dns_public_address) {
      // Not connecting: over a public address the answer would say nothing
      // about the private path, and the traffic would leave the VPC.
      result.fail(resolution.outcome, resolution.message, resolution.hint);
      result.phases.total_ms = elapsed_ms(started);
      co_return;
    }

    Connection connection(io_.get_executor());
    const tcp::endpoint endpoint(resolved.address, target.port);
    auto phase_start = Clock::now();
    const bool transport_only = target.scheme->make_protocol == nullptr;
    Status status = co_await connection.connect(endpoint, deadline, /*no_delay=*/!transport_only);
    result.phases.connect_ms = elapsed_ms(phase_start);
    const auto& settings = shared_.options.settings;
    const std::string server_name = settings.sni.empty() ? target.host : settings.sni;

    if (status.ok() && target.scheme->tls_first) {
      phase_start = Clock::now();
      TlsDetails details;
      status = co_await connection.start_tls(*shared_.tls, server_name, deadline, details);
      result.phases.tls_ms = elapsed_ms(phase_start);
      if (status.ok() || !details.version.empty()) result.tls = std::move(details);
      if (status.ok()) status = judge(*result.tls, server_name);
    }
    if (status.ok() && target.scheme->make_protocol != nullptr) {
      auto protocol = target.scheme->make_protocol();
      ProbeContext context{io_.get_executor(), *resolver_, shared_.tls.get(), settings, deadline, target};
      phase_start = Clock::now();
      co_await protocol->handshake(context, connection, result);
      result.phases.handshake_ms = elapsed_ms(phase_start);
    } else if (!status.ok()) {
      result.fail(status);
    }
    // A bare TCP probe sent nothing: close with RST and keep no TIME_WAIT
    // (see Connection::abort). After TLS, close gracefully so the server
    // reads our Finished message and does not log a failed handshake.
    if (transport_only && !target.scheme->tls_first) {
      connection.abort();
    } else {
      connection.close();
    }
    result.phases.total_ms = elapsed_ms(started);
    if (result.ok() && result.message.empty()) result.message = success_message(connection, result);
  }

  static std::string success_message(const Connection& connection, const ProbeResult& result) {
    if (!result.tls) return fmt::format("connected to {}", connection.peer_text());
    const auto& tls = *result.tls;
    if (tls.verified) {
      return fmt::format("{} with {} ({}), certificate verified", tls.version, connection.peer_text(), tls.subject);
    }
    std::string errors;
    for (const auto& error : tls.verify_errors) errors += (errors.empty() ? "" : "; ") + error;
    return fmt::format("{} with {}, certificate NOT verified (ignored under --insecure: {})", tls.version,
                       connection.peer_text(), errors);
  }

  Shared& shared_;
  asio::io_context io_{1};
  std::unique_ptr<resolvers::Resolver> resolver_;
};

}  // namespace

long available_descriptors() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 1L << 20;
  long open_now = 0;
  std::error_code std_ignored;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", std_ignored);
       it != std::filesystem::directory_iterator(); it.increment(std_ignored)) {
    if (std_ignored) break;
    ++open_now;
  }
  return static_cast<long>(limit.rlim_cur) - open_now;
}

SampleSummary summarize(std::vector<double> samples_ms, int lost) {
  SampleSummary summary;
  summary.count = static_cast<int>(samples_ms.size()) + lost;
  summary.lost = lost;
  if (samples_ms.empty()) return summary;
  std::sort(samples_ms.begin(), samples_ms.end());
  // Nearest-rank: the smallest sample with at least p% of samples at or below it.
  auto rank = [&samples_ms](double percent) {
    const auto n = samples_ms.size();
    auto index = static_cast<std::size_t>(std::ceil(percent / 100.0 * static_cast<double>(n)));
    return samples_ms[std::clamp<std::size_t>(index, 1, n) - 1];
  };
  summary.min_ms = samples_ms.front();
  summary.p50_ms = rank(50);
  summary.p90_ms = rank(90);
  summary.p99_ms = rank(99);
  summary.max_ms = samples_ms.back();
  return summary;
}

Status run_probes(const std::vector<Target>& targets, const EngineOptions& options, ResultSink& sink,
                  EngineReport& report) {
  // Loading the system's CA bundle costs tens of milliseconds: only runs
  // that may speak TLS pay for it (and a given --ca is always checked).
  const bool may_use_tls = !options.tls.ca_file.empty() || std::any_of(targets.begin(), targets.end(), [](const Target& t) {
    return t.scheme->tls_first || (t.scheme->make_protocol != nullptr && t.scheme->may_start_tls);
  });
  std::shared_ptr<TlsClientContext> tls;
  if (may_use_tls) {
    std::string error;
    tls = TlsClientContext::create(options.tls, error);
    if (!tls) return Status::failure(Code::tls_handshake_failed, error, "Check the --ca file: it must be PEM.");
  }
  Shared shared(targets, options, sink, std::move(tls));
  if (targets.empty()) return Status::success();

  int threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  long concurrency = std::max(1, options.concurrency);
  concurrency = std::min<long>(concurrency, static_cast<long>(targets.size()));
  const long budget = available_descriptors() - kReservedDescriptors - kReservedPerThread * threads;
  if (concurrency > std::max(1L, budget)) {
    report.notice = fmt::format(
        "concurrency lowered from {} to {}: the descriptor limit (ulimit -n) leaves room for no more; "
        "raise it with 'ulimit -n 65536' to probe more targets at once",
        concurrency, std::max(1L, budget));
    concurrency = std::max(1L, budget);
  }
  threads = static_cast<int>(std::min<long>(threads, concurrency));
  report.threads = threads;
  report.concurrency = static_cast<int>(concurrency);

  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < threads; ++i) {
    auto& worker = workers.emplace_back(std::make_unique<Worker>(shared));
    if (auto status = worker->init(); !status.ok()) return status;
    // Lanes spread evenly; the first threads take the remainder.
    worker->start_lanes(static_cast<int>(concurrency / threads + (i < concurrency % threads ? 1 : 0)));
  }
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&worker = *workers[static_cast<std::size_t>(i)]] { worker.run(); });
  workers.front()->run();
  for (auto& thread : pool) thread.join();
  return Status::success();
}

}  // namespace plprobe::probes
