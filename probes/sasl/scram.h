// SCRAM client messages (RFC 5802; SHA-256 per RFC 7677, SHA-512 as Kafka's
// SCRAM-SHA-512, KIP-84), shared by the Kafka and MongoDB probes. Pure
// message logic, no I/O: each protocol carries the messages in its own
// frames (Kafka SaslAuthenticate, MongoDB saslStart/saslContinue).
//
// Common to both protocols: no channel binding (gs2 header "n,,"), no
// authzid, user names escaped per RFC 5802 §5.1 ("=" -> "=3D", "," ->
// "=2C"), the password used as the bytes given (SASLprep leaves printable
// ASCII unchanged; nothing here normalises other characters). What differs
// per protocol (the iteration bounds, the password transform MongoDB's
// SCRAM-SHA-1 applies) comes in through ScramPolicy and the caller.
//
// Secrets: the password and every derived key live only as long as the
// client and are wiped (OPENSSL_cleanse); nothing here logs or returns
// them. Failure behaviour: bad server messages give nullopt or false with
// one sentence in `error`; never throws.
// Threading: a ScramClient belongs to one exchange on one thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plprobe::probes::sasl {

enum class ScramHash { sha1, sha256, sha512 };

// "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512".
std::string_view mechanism_name(ScramHash hash);
// The inverse for the mechanisms above; nullopt for any other name.
std::optional<ScramHash> scram_hash_for(std::string_view mechanism);

// What a protocol accepts from its servers. Iteration counts above the
// maximum would make the probe spend seconds of PBKDF2 on its event-loop
// thread; below the minimum the proof is cheap to attack offline for
// anyone who recorded the exchange.
struct ScramPolicy {
  long min_iterations;
  long max_iterations;
  std::string_view protocol;  // "Kafka", "MongoDB": named in error sentences
};

class ScramClient {
 public:
  // `client_nonce`: empty picks 24 random bytes (base64) from OpenSSL's
  // CSPRNG; tests pass the RFCs' nonces to reproduce their vectors.
  ScramClient(ScramHash hash, std::string user, std::string password, ScramPolicy policy,
              std::string client_nonce = {});
  ~ScramClient();
  ScramClient(const ScramClient&) = delete;
  ScramClient& operator=(const ScramClient&) = delete;

  // RFC 5802 §7 client-first-message: "n,,n=<user>,r=<nonce>".
  std::string client_first() const;
  // Parses server-first-message ("r=...,s=...,i=..."), checks that its
  // nonce extends ours and the iteration count is within the policy, and
  // returns client-final-message ("c=biws,r=...,p=<proof>").
  std::optional<std::string> client_final(std::string_view server_first, std::string& error);
  // Checks server-final-message: "v=<signature>" must equal the signature
  // only a server that knows the password's verifier can compute; "e=..."
  // is the server's refusal, returned in `error`.
  bool verify_server_final(std::string_view server_final, std::string& error) const;

 private:
  ScramHash hash_;
  std::string user_;
  std::string password_;
  ScramPolicy policy_;
  std::string client_nonce_;
  std::string client_first_bare_;
  std::vector<unsigned char> expected_server_signature_;
};

// RFC 4648 §4 base64 with padding, as SCRAM uses it. Decoding is strict:
// padding only at the end, no characters outside the alphabet.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace plprobe::probes::sasl
