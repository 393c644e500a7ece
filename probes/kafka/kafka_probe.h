// kafka:// and kafka+tls://: what a Kafka client does on its first
// connection, step by step and timed, followed by the broker walk.
//
// On the connection the engine hands over (TCP, plus TLS for kafka+tls):
//   1. ApiVersions (v3, falling back per KIP-511): the broker's API ranges;
//   2. with --sasl-mechanism: SaslHandshake v1 and SaslAuthenticate
//      (PLAIN or SCRAM-SHA-256/512), before anything a SASL listener would
//      refuse to serve unauthenticated;
//   3. Metadata: cluster id, controller, every broker's node id,
//      advertised host:port and rack, and the topics (or --topic and its
//      partition leaders). Never with auto-creation;
//   4. without credentials, when the listener closes the connection at
//      Metadata: SaslHandshake on a second connection to list the enabled
//      mechanisms (it is last on its connection because a SASL listener
//      closes after refusing a mechanism), -> kafka_auth_required;
//   5. unless --no-walk-brokers: the broker walk (kafka_walk.h), every
//      advertised broker at once, under the same deadline.
// Results: facts.api_versions, facts.sasl, facts.metadata_version,
// facts.cluster_id, facts.controller_id, facts.brokers (one report per
// broker), facts.topics / facts.topic_count or facts.topic, facts.msk,
// facts.timings_ms. The outcome is ok only when the bootstrap and every
// broker are; otherwise the most important problem (auth first, then
// advertised-listener problems, then protocol errors, then a missing topic),
// with the others in the message.
//
// Never throws (std::bad_alloc included: it becomes kafka_protocol_error);
// returns by the probe's deadline; every connection it opens is closed
// before it returns. The SASL password is used for the exchange only and
// never appears in a result.
#pragma once

#include <memory>

#include "probes/protocol.h"

namespace plprobe::probes::kafka {

class KafkaProtocol final : public Protocol {
 public:
  awaitable<void> handshake(ProbeContext& context, Connection& connection, ProbeResult& result) override;
};

// For the scheme table (probes/scheme.cc).
std::unique_ptr<Protocol> make_kafka_protocol();

}  // namespace plprobe::probes::kafka
