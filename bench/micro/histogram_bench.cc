// The load core's hot path: recording a latency, merging per-thread
// histograms (once per interval and at the end), reading percentiles.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "bench/load/histogram.h"
#include "bench/load/recorder.h"

namespace {

using plprobe::bench::Histogram;

std::vector<std::int64_t> latencies(std::size_t n) {
  std::mt19937_64 random(1);
  std::lognormal_distribution<double> dist(std::log(300.0), 1.0);
  std::vector<std::int64_t> values(n);
  for (auto& v : values) v = static_cast<std::int64_t>(dist(random));
  return values;
}

void BM_HistogramRecord(benchmark::State& state) {
  Histogram h;
  auto values = latencies(4096);
  std::size_t i = 0;
  for (auto _ : state) {
    h.record(values[i++ & 4095]);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

// What a load thread pays per request: the Recorder's lock and two records.
void BM_RecorderSuccess(benchmark::State& state) {
  plprobe::bench::Window window;
  window.measure_begin = plprobe::Clock::now();
  plprobe::bench::Recorder recorder(window);
  const auto t = window.measure_begin;
  auto values = latencies(4096);
  std::size_t i = 0;
  for (auto _ : state) {
    recorder.success(t, t + std::chrono::microseconds(values[i++ & 4095]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecorderSuccess);

void BM_HistogramMerge(benchmark::State& state) {
  Histogram a, b;
  for (auto v : latencies(100'000)) a.record(v);
  for (auto _ : state) {
    b.merge(a);
  }
  benchmark::DoNotOptimize(b.count());
}
BENCHMARK(BM_HistogramMerge);

void BM_HistogramPercentiles(benchmark::State& state) {
  Histogram h;
  for (auto v : latencies(100'000)) h.record(v);
  for (auto _ : state) {
    benchmark::DoNotOptimize(h.percentile(50) + h.percentile(90) + h.percentile(99) + h.percentile(99.9));
  }
}
BENCHMARK(BM_HistogramPercentiles);

void BM_HistogramToJson(benchmark::State& state) {
  Histogram h;
  for (auto v : latencies(100'000)) h.record(v);
  for (auto _ : state) {
    benchmark::DoNotOptimize(h.to_json().dump());
  }
}
BENCHMARK(BM_HistogramToJson);

}  // namespace
