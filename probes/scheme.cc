#include <array>

#include "probes/kafka/kafka_probe.h"
#include "probes/protocol.h"

namespace plprobe::probes {
namespace {

// The registry: one row per URI scheme. Protocol issues add rows here.
const std::array kSchemes = {
    Scheme{"tcp", "tcp", 0, false, "tcp://HOST:PORT", nullptr},
    Scheme{"tls", "tls", 0, true, "tls://HOST:PORT", nullptr},
    // Kafka's default plaintext port; TLS ports differ (9093 upstream
    // convention, 9094 and 9096 on MSK), so kafka+tls needs one.
    Scheme{"kafka", "kafka", 9092, false, "kafka://HOST[:PORT]", &kafka::make_kafka_protocol},
    Scheme{"kafka+tls", "kafka", 0, true, "kafka+tls://HOST:PORT", &kafka::make_kafka_protocol},
};

}  // namespace

std::span<const Scheme> schemes() { return kSchemes; }

const Scheme* find_scheme(std::string_view name) {
  for (const auto& scheme : kSchemes) {
    if (scheme.name == name) return &scheme;
  }
  return nullptr;
}

}  // namespace plprobe::probes
