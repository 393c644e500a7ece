// The /28 capacity computation on the size the issue names: a /16 with
// 60,000 used addresses (plus prefixes and reservations), in the order
// describe-network-interfaces would list them (not sorted).
#include <cstdint>
#include <algorithm>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "validator/subnets.h"

namespace {

using plprobe::validator::compute_capacity;
using plprobe::validator::Ipv4Cidr;
using plprobe::validator::SubnetUsage;

SubnetUsage make_usage(std::uint32_t used) {
  SubnetUsage usage;
  usage.subnet_id = "subnet-bench";
  usage.cidr = *Ipv4Cidr::parse("10.16.0.0/16");
  // Distinct addresses drawn uniformly (a fixed seed, so runs compare):
  // the worst case for fragmentation, every /28 block touched.
  std::vector<std::uint32_t> all(usage.cidr.size() - 5);
  for (std::uint32_t i = 0; i < all.size(); ++i) all[i] = usage.cidr.base + 4 + i;
  std::mt19937 rng(20240501);
  std::shuffle(all.begin(), all.end(), rng);
  usage.addresses.assign(all.begin(), all.begin() + used);
  for (std::uint32_t i = 0; i < 64; ++i) usage.prefixes.push_back(Ipv4Cidr{usage.cidr.base + 0x8000 + i * 16, 28});
  usage.reservations.push_back(*Ipv4Cidr::parse("10.16.255.0/24"));
  return usage;
}

void BM_SubnetCapacitySlash16(benchmark::State& state) {
  auto usage = make_usage(static_cast<std::uint32_t>(state.range(0)));
  for (auto _ : state) {
    auto capacity = compute_capacity(usage);
    benchmark::DoNotOptimize(capacity.free_28_blocks);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["used_addresses"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_SubnetCapacitySlash16)->Arg(1000)->Arg(60000)->Unit(benchmark::kMillisecond);

}  // namespace
