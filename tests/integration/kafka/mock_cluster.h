// Starts tests/peers/kafka_mock_cluster.cc (librdkafka's mock brokers) as a
// child process and reads its ready line: the brokers' ids and ports.
//
// Ownership: owns the process; the destructor stops it (SIGTERM, then
// SIGKILL after the grace period). Failure behaviour: the constructor
// throws std::runtime_error with the peer's output when it does not print
// its ready line within 10 s. Threading: one test thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace plprobe::testing {

struct MockBroker {
  int id = 0;
  std::string host;
  std::uint16_t port = 0;
};

class KafkaMockCluster {
 public:
  // `flags` are the peer's own (--brokers 3 --topic events:3:3 --down 3 ...).
  explicit KafkaMockCluster(std::vector<std::string> flags);

  const std::vector<MockBroker>& brokers() const { return brokers_; }
  std::uint16_t port(int broker_id) const;  // broker ids start at 1
  std::string bootstrap() const { return bootstrap_; }
  std::string log() const { return process_->log(); }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::vector<MockBroker> brokers_;
  std::string bootstrap_;
};

// The peer program's path (a CMake generator expression, set per test target).
const char* kafka_mock_cluster_binary();

}  // namespace plprobe::testing
