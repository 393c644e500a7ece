// The broker walk: after the bootstrap's Metadata, do what a Kafka client
// does next, for every advertised broker at once: resolve its advertised
// host, connect (with the same TLS settings, SNI = the advertised host),
// ApiVersions, and SASL when the bootstrap authenticated. Each broker gets
// its own report with phases, so a user sees which broker fails and why.
//
// Failure behaviour: never throws; every broker ends with a report by the
// probe's deadline. Per-broker outcomes: ok, kafka_broker_unresolvable,
// kafka_broker_unreachable (transport failures, or a broker that accepts
// TCP but does not answer Kafka), kafka_advertised_mismatch (see
// kafka_advertised.h), kafka_protocol_error, kafka_auth_failed,
// kafka_sasl_mechanism_unsupported; `underlying` keeps the DNS or
// transport code behind the first two.
// Ownership: every connection is opened and closed inside walk_broker().
// Threading: the executor's single thread; the referenced objects must
// outlive the walk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/deadline.h"
#include "common/result.h"
#include "probes/kafka/kafka_advertised.h"
#include "probes/kafka/kafka_codec.h"
#include "probes/kafka/kafka_session.h"
#include "probes/settings.h"
#include "probes/transport/tls.h"
#include "resolvers/resolver.h"

namespace plprobe::probes::kafka {

// Brokers walked at most, each holding one socket at a time. Far above
// real clusters (MSK allows 30 brokers by default); keeps one probe from
// taking thousands of descriptors when Metadata is hostile.
inline constexpr std::size_t kMaxWalkedBrokers = 256;

struct WalkSettings {
  asio::any_io_executor executor;
  resolvers::Resolver& resolver;
  TlsClientContext* tls = nullptr;  // required when tls_first
  bool tls_first = false;
  bool expect_private = false;
  Deadline& deadline;
  const KafkaSettings& kafka;
  bool authenticate = false;  // the bootstrap authenticated, so every broker must
  std::int16_t api_versions_version = kApiVersionsMax;  // what the bootstrap settled on
  BootstrapView bootstrap;
};

struct BrokerAttempt {
  std::string address;
  Code outcome = Code::ok;
  std::string message;
};

struct BrokerReport {
  MetadataBroker broker;
  bool controller = false;
  bool walked = false;
  std::vector<resolvers::ResolvedAddress> addresses;
  std::string connected_address;
  Code outcome = Code::ok;
  std::string message;
  std::string hint;
  std::optional<Code> underlying;  // the DNS or transport code behind the outcome
  PhaseTimes phases;
  std::int16_t api_versions_version = -1;
  std::optional<TlsDetails> tls;
  std::optional<SaslResult> sasl;
  std::vector<BrokerAttempt> attempts;  // one per address tried
};

awaitable<void> walk_broker(const WalkSettings& settings, BrokerReport& report);
// Walks the first kMaxWalkedBrokers reports concurrently (when_all).
awaitable<void> walk_brokers(const WalkSettings& settings, std::vector<BrokerReport>& reports);

Json to_json(const BrokerReport& report);

}  // namespace plprobe::probes::kafka
