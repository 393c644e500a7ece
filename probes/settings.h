// Settings a probe run applies to every target. Protocol issues add their
// own member structs here; the engine hands the whole thing to each probe.
#pragma once

#include <string>

namespace plprobe::probes {

// kafka:// and kafka+tls:// (probes/kafka/kafka_probe.h).
struct KafkaSettings {
  // "" (no SASL), "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512"; the CLI
  // checks the value, the probe reports anything else as unsupported.
  std::string sasl_mechanism;
  std::string sasl_user;
  // Secret: from PLPROBE_SASL_PASSWORD or --sasl-password-file, never argv.
  // Never printed, logged, or copied into a result.
  std::string sasl_password;
  std::string topic;          // --topic: check this topic and its partition leaders
  bool walk_brokers = true;   // connect to every advertised broker after the bootstrap
};

struct ProbeSettings {
  std::string sni;              // --sni: overrides the host name sent and verified
  bool expect_private = false;  // --expect-private: every name must resolve privately
  KafkaSettings kafka;
};

}  // namespace plprobe::probes
