// plprobe merge: one report from result files of runs on several hosts,
// combined exactly (histograms add bucket by bucket; rates add).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/load/result_file.h"
#include "cli/bench_command.h"

namespace plprobe::cli {
namespace {

struct MergeFlags {
  std::vector<std::string> files;
  bool json = false;
  std::string out;
};

int run_merge(const MergeFlags& flags) {
  std::vector<bench::ParsedResult> results;
  for (const auto& path : flags.files) {
    std::string error;
    auto parsed = bench::read_result_file(path, error);
    if (!parsed) {
      throw UsageError(fmt::format("cannot merge: {}", error),
                       "pass result files written by 'plprobe bench ... --out FILE' of the same plprobe version");
    }
    results.push_back(std::move(*parsed));
  }
  std::string error;
  auto merged = bench::merge_results(results, error);
  if (!merged) throw UsageError(fmt::format("cannot merge: {}", error), "merge runs of the same bench mode only");
  const auto& summary = (*merged)["summary"];
  if (flags.json) {
    std::fputs((summary.dump() + "\n").c_str(), stdout);
  } else {
    const auto& info = results.front().info;
    auto parsed = bench::parse_result(*merged, error);
    bench::SummaryInput input{&info, &parsed->stats, summary["duration_s"].get<double>(), 0, 0,
                              summary["interrupted"].get<bool>()};
    if (auto it = summary.find("connections_per_s"); it != summary.end()) input.requests_per_s = it->get<double>();
    if (auto it = summary.find("requests_per_s"); it != summary.end()) input.requests_per_s = it->get<double>();
    if (auto it = summary.find("bytes_per_s"); it != summary.end()) input.bytes_per_s = it->get<double>();
    std::fprintf(stdout, "merged %zu runs (", results.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      std::fprintf(stdout, "%s%s", i ? ", " : "", results[i].meta.host.c_str());
    }
    std::fputs("); rates add up, latency from the combined histograms\n", stdout);
    bench::print_summary_text(stdout, input);
  }
  if (!flags.out.empty() && !bench::write_file_atomically(flags.out, merged->dump() + "\n", error)) {
    throw UsageError(fmt::format("cannot write the merged result: {}", error));
  }
  return summary["errors"].empty() ? kExitOk : kExitFailure;
}

}  // namespace

void add_merge_command(CLI::App& command, Run& run) {
  auto flags = std::make_shared<MergeFlags>();
  command.add_option("files", flags->files, "Result files from 'plprobe bench ... --out FILE'")
      ->required()
      ->check(CLI::ExistingFile);
  command.add_flag("--json", flags->json, "Print the merged summary as one JSON object");
  command.add_option("--out", flags->out, "Write the merged result file (it can be merged again)");
  command.footer(
      "Runs are assumed to have loaded the target at the same time (several hosts, one endpoint):\n"
      "counts and latency histograms add exactly, rates add, duration is the longest run's.\n"
      "Files of different modes or formats are refused (exit 2).");
  run = [flags] { return run_merge(*flags); };
}

}  // namespace plprobe::cli
