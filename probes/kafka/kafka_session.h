// The Kafka exchanges one connection goes through, shared by the bootstrap
// connection and every broker of the walk: ApiVersions negotiation, SASL
// (handshake, then PLAIN or SCRAM over SaslAuthenticate), and Metadata.
//
// Failure behaviour: each returns a Status (never throws): the Channel's
// codes for transport and framing problems, and for a Kafka error code in
// an answer the plprobe code that fits it (code_for_error) with the
// broker's error name, and its error message when it sent one.
// Threading: one io_context thread; the Channel must outlive the call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/result.h"
#include "common/status.h"
#include "probes/kafka/kafka_channel.h"
#include "probes/kafka/kafka_codec.h"
#include "probes/settings.h"

namespace plprobe::probes::kafka {

// The plprobe code for a Kafka error code found in an answer:
// authorization and SASL failures -> kafka_auth_failed, unsupported SASL
// mechanism or SASL on a listener without it -> kafka_sasl_mechanism_unsupported,
// unknown topic -> kafka_topic_missing, anything else -> kafka_protocol_error.
Code code_for_error(std::int16_t kafka_error);

// The highest version of `api_key` both the broker (per ApiVersions) and
// plprobe speak; -1 when the ranges do not meet or the broker lacks the API.
std::int16_t usable_version(const ApiVersionsResponse& apis, std::int16_t api_key, std::int16_t our_min,
                            std::int16_t our_max);

struct ApiVersionsResult {
  std::int16_t version = 0;  // the version whose answer was accepted
  int attempts = 0;          // 2 when the broker asked for an older version (KIP-511)
  ApiVersionsResponse response;
};

// Sends ApiVersions at `first_version` (kApiVersionsMax unless a sibling
// broker already told us better). On UNSUPPORTED_VERSION it retries once,
// on the same connection, at the highest version the broker listed for
// ApiVersions, or v0 when its answer listed none (KIP-511).
awaitable<Status> negotiate_api_versions(Channel& channel, std::int16_t first_version, ApiVersionsResult& out);

struct SaslResult {
  std::string mechanism;              // asked for; empty when only listing
  std::vector<std::string> enabled;   // what the broker said it enables
  bool handshake_answered = false;
  bool listener_without_sasl = false;  // ILLEGAL_SASL_STATE: this listener does not do SASL
  bool authenticated = false;
  std::int64_t session_lifetime_ms = 0;
};

// SaslHandshake v1 for settings.sasl_mechanism, then the mechanism's
// SaslAuthenticate rounds with settings.sasl_user/sasl_password.
// On ILLEGAL_SASL_STATE (a PLAINTEXT or SSL listener answering through its
// normal request path) the connection stays usable: the Status is
// kafka_sasl_mechanism_unsupported and out.listener_without_sasl is set.
// After any other failure the broker closes the connection.
awaitable<Status> authenticate(Channel& channel, const ApiVersionsResponse& apis, const KafkaSettings& settings,
                               SaslResult& out);

// Learns the enabled mechanisms without credentials: SaslHandshake with a
// mechanism no broker enables ("PLPROBE-LIST-MECHANISMS"), which a SASL
// listener answers with UNSUPPORTED_SASL_MECHANISM and its list, then
// closes. So it is always the last request on its connection.
awaitable<Status> list_mechanisms(Channel& channel, const ApiVersionsResponse& apis, SaslResult& out);

struct MetadataResult {
  std::int16_t version = 0;
  bool all_topics = true;  // false when only `topic` was asked for
  MetadataResponse response;
};

// Metadata at the highest common version in [kMetadataMin, kMetadataMax].
// With a topic and v4+ it asks for that topic only, with
// allow_auto_topic_creation = false; below v4 a named request may create
// the topic on brokers with auto.create.topics.enable, so it asks for
// every topic instead and the caller looks the name up (a probe must never
// change the cluster).
awaitable<Status> fetch_metadata(Channel& channel, const ApiVersionsResponse& apis, const std::string& topic,
                                 MetadataResult& out);

// facts["api_versions"]: the version used, every API range, and what the
// ranges say about the broker software.
Json api_versions_facts(const ApiVersionsResult& result);
// "Apache Kafka 2.8 or newer (DescribeCluster, KIP-700)", ...; empty when nothing can be said.
std::string broker_software_hint(const ApiVersionsResponse& apis);
Json sasl_facts(const SaslResult& result, bool offered);

}  // namespace plprobe::probes::kafka
