// SASL client messages for Kafka: PLAIN (RFC 4616) and SCRAM (the shared
// client in probes/sasl/scram.h with Kafka's iteration bounds; SHA-512 is
// Kafka's SCRAM-SHA-512, KIP-84).
//
// Pure message logic, no I/O: the probe carries the tokens in
// SaslAuthenticate requests (KIP-152). Kafka's ScramSaslClient matches the
// shared client: no channel binding, no authzid, the password as UTF-8
// bytes without SASLprep.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "probes/sasl/scram.h"

namespace plprobe::probes::kafka {

using sasl::base64_decode;
using sasl::base64_encode;
using sasl::ScramHash;  // sha1 only for RFC 5802's test vector

// "SCRAM-SHA-256" -> sha256, "SCRAM-SHA-512" -> sha512; nullopt otherwise
// (Kafka has no SCRAM-SHA-1).
std::optional<ScramHash> scram_hash_for(std::string_view mechanism);

// RFC 4616 §2: [authzid] NUL authcid NUL passwd, with no authzid.
std::string plain_initial_response(std::string_view user, std::string_view password);

// Iteration bounds we accept from a broker: Kafka's own (ScramMechanism's
// minimum 4096 and maximum 16384).
inline constexpr long kScramMinIterations = 4096;
inline constexpr long kScramMaxIterations = 16384;
inline constexpr sasl::ScramPolicy kScramPolicy{kScramMinIterations, kScramMaxIterations, "Kafka"};

// The shared SCRAM client with Kafka's policy.
class ScramClient : public sasl::ScramClient {
 public:
  ScramClient(ScramHash hash, std::string user, std::string password, std::string client_nonce = {})
      : sasl::ScramClient(hash, std::move(user), std::move(password), kScramPolicy, std::move(client_nonce)) {}
};

}  // namespace plprobe::probes::kafka
