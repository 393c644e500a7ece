#include "tests/integration/kafka/mock_cluster.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace plprobe::testing {

const char* kafka_mock_cluster_binary() { return PLPROBE_KAFKA_MOCK_CLUSTER; }

KafkaMockCluster::KafkaMockCluster(std::vector<std::string> flags) {
  ProcessOptions options;
  options.argv = {kafka_mock_cluster_binary()};
  options.argv.insert(options.argv.end(), flags.begin(), flags.end());
  // A test that dies leaves no cluster behind for long.
  options.argv.insert(options.argv.end(), {"--lifetime", "300"});
  process_ = std::make_unique<ChildProcess>(options);
  nlohmann::json ready;
  const bool up = wait_until(
      [&] {
        const std::string log = process_->log();
        const auto start = log.find("{\"bootstrap\"");
        const auto end = log.find('\n', start);
        if (start == std::string::npos || end == std::string::npos) return false;
        ready = nlohmann::json::parse(log.substr(start, end - start), nullptr, false);
        return !ready.is_discarded();
      },
      std::chrono::seconds(10));
  if (!up) throw std::runtime_error("the Kafka mock cluster did not start:\n" + process_->log());
  bootstrap_ = ready["bootstrap"].get<std::string>();
  for (const auto& broker : ready["brokers"]) {
    brokers_.push_back({broker["id"].get<int>(), broker["host"].get<std::string>(),
                        broker["port"].get<std::uint16_t>()});
  }
}

std::uint16_t KafkaMockCluster::port(int broker_id) const {
  for (const auto& broker : brokers_) {
    if (broker.id == broker_id) return broker.port;
  }
  throw std::out_of_range("no mock broker " + std::to_string(broker_id));
}

}  // namespace plprobe::testing
