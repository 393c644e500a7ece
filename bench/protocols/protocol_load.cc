#include "bench/protocols/protocol_load.h"

#include <thread>
#include <vector>

namespace plprobe::bench {

int run_protocol_load(ProtocolLoad& load, Run& run) {
  RunWindow window;
  window.start = run.started();
  window.end = run.planned_end();
  window.interrupted = &run.window().stopped;
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < load.threads(); ++i) {
    threads.emplace_back([&load, &run, &window, i] { load.run(i, run.recorder(static_cast<int>(i)), window); });
  }
  // Drivers watch window.interrupted themselves; each stops within a
  // watchdog tick (or a Kafka poll) and closes what it opened.
  run.drive();
  for (auto& thread : threads) thread.join();
  return run.finish(load.summary());
}

}  // namespace plprobe::bench
