// Password authentication with a MongoDB server: SCRAM-SHA-256 (RFC 7677)
// and SCRAM-SHA-1 (RFC 5802), carried in saslStart / saslContinue commands
// as MongoDB drivers do (MongoDB Driver Authentication spec, "SCRAM-SHA-1"
// and "SCRAM-SHA-256"; MongoDB manual, "SCRAM").
//
// MongoDB specifics, each with its reason:
//   - mechanism: the one hello's saslSupportedMechs offers for "db.user",
//     SCRAM-SHA-256 first; without that list (unknown user, server before
//     4.0) SCRAM-SHA-256 from wire version 7 (4.0) on, else SCRAM-SHA-1;
//   - SCRAM-SHA-1 hashes the password first, as every MongoDB driver must:
//     hex(MD5(user ":mongo:" password)) (the server stores that digest);
//   - SCRAM-SHA-256 uses the password as UTF-8 bytes. RFC 7677 asks for
//     SASLprep (RFC 4013), which leaves printable ASCII unchanged; plprobe
//     does not normalise other characters (no NFKC), so a password with
//     non-ASCII characters must already be in normal form;
//   - saslStart carries options.skipEmptyExchange so the server finishes in
//     two round trips; an old server that still wants the empty third
//     message gets it.
//   - iteration counts between kScramMinIterations and kScramMaxIterations.
//
// Secrets: the password lives in a ScramClient only as long as the client
// does and is wiped (OPENSSL_cleanse) with every derived key; nothing here
// logs it or returns it. Failure behaviour: never throws; a Status with
// mongodb_auth_failed, mongodb_auth_mechanism_unsupported, or the channel's
// transport and protocol codes.
// Threading: one exchange on one io_context thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.h"
#include "common/result.h"
#include "common/status.h"
#include "probes/mongodb/mongodb_channel.h"
#include "probes/sasl/scram.h"

namespace plprobe::probes::mongodb {

using sasl::base64_decode;
using sasl::base64_encode;
using sasl::mechanism_name;
using sasl::ScramHash;  // MongoDB speaks sha1 and sha256

// RFC 7677 §4 asks for at least 4096 iterations; MongoDB's own minimum is
// 5000 and its defaults 10000 (SHA-1) and 15000 (SHA-256). Above 100,000
// the PBKDF2 work (tens of ms of CPU on the probe's event-loop thread per
// member) would stall every other probe on that thread; no deployment we
// know of goes that high.
inline constexpr long kScramMinIterations = 4096;
inline constexpr long kScramMaxIterations = 100'000;
inline constexpr sasl::ScramPolicy kScramPolicy{kScramMinIterations, kScramMaxIterations, "MongoDB"};

// The shared SCRAM client (probes/sasl/scram.h) with MongoDB's policy.
// `password` as the mechanism uses it (see mongodb_password()).
class ScramClient : public sasl::ScramClient {
 public:
  ScramClient(ScramHash hash, std::string user, std::string password, std::string client_nonce = {})
      : sasl::ScramClient(hash, std::move(user), std::move(password), kScramPolicy, std::move(client_nonce)) {}
};

// The password bytes a mechanism hashes: SHA-1's MD5 digest (hex), or the
// password itself for SHA-256.
std::string mongodb_password(ScramHash hash, std::string_view user, std::string_view password);

// Which mechanism to use given hello's saslSupportedMechs and the server's
// wire version; nullopt when the list names only mechanisms plprobe does
// not speak (the list is then in `offered`).
std::optional<ScramHash> choose_mechanism(const std::vector<std::string>& sasl_supported_mechs,
                                          std::int64_t max_wire_version);

struct AuthResult {
  std::string mechanism;
  std::string database;
  bool authenticated = false;
  int round_trips = 0;
};

// Runs the whole conversation on `channel` against `database`.
awaitable<Status> authenticate(Channel& channel, ScramHash hash, std::string_view database, std::string_view user,
                               std::string_view password, AuthResult& out);

}  // namespace plprobe::probes::mongodb
