// Renderers for probe results: JSON Lines (the result contract, streamed
// as results finish) and a readable table (printed in input order when the
// run ends; colour only on a terminal).
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "probes/engine.h"

namespace plprobe::cli {

// Counts outcomes for the closing summary and the exit code.
struct Tally {
  int results = 0;
  int failures = 0;
  std::map<std::string, int, std::less<>> by_outcome;
  void add(const ProbeResult& result);
  int exit_code() const;  // 0 all ok, 1 any failure
};

// Formats each result on the calling thread, then writes it under a lock.
class JsonLinesSink final : public probes::ResultSink {
 public:
  explicit JsonLinesSink(std::FILE* out) : out_(out) {}
  void accept(std::size_t target_index, ProbeResult result) override;
  const Tally& tally() const { return tally_; }

 private:
  std::FILE* out_;
  std::mutex mutex_;
  Tally tally_;
};

class TableSink final : public probes::ResultSink {
 public:
  TableSink(std::FILE* out, bool colour) : out_(out), colour_(colour) {}
  void accept(std::size_t target_index, ProbeResult result) override;  // thread-safe
  // Prints every result, ordered by target then arrival, and a summary line.
  void finish();
  const Tally& tally() const { return tally_; }

 private:
  std::FILE* out_;
  bool colour_;
  std::mutex mutex_;
  Tally tally_;
  std::vector<std::pair<std::size_t, ProbeResult>> results_;
};

// Prints one line of JSON (the contract) for a result.
void write_json_line(std::FILE* out, const ProbeResult& result);

// Renders results as the table TableSink prints (used by `resolve` too).
void print_table(std::FILE* out, const std::vector<const ProbeResult*>& results, bool colour);
void print_summary(std::FILE* out, const Tally& tally, bool colour);

}  // namespace plprobe::cli
