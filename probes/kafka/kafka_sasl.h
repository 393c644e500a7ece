// SASL client messages for Kafka: PLAIN (RFC 4616) and SCRAM (RFC 5802,
// with SHA-256 per RFC 7677 and SHA-512 as Kafka's SCRAM-SHA-512, KIP-84).
//
// Pure message logic, no I/O: the probe carries the tokens in
// SaslAuthenticate requests (KIP-152). Kafka specifics, from its
// ScramSaslClient/ScramFormatter: no channel binding (gs2 header "n,,"),
// no authzid, user names escaped per RFC 5802 §5.1 ("=" -> "=3D",
// "," -> "=2C"), the password used as UTF-8 bytes without SASLprep, and
// iteration counts between 4096 and 16384 (ScramMechanism's limits).
//
// Secrets: the password lives in the ScramClient only as long as the
// client does and is wiped (OPENSSL_cleanse) on destruction; nothing here
// logs or returns it. Failure behaviour: bad server messages give nullopt
// or false with one sentence in `error`; never throws.
// Threading: a ScramClient belongs to one exchange on one thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plprobe::probes::kafka {

enum class ScramHash { sha1, sha256, sha512 };  // sha1 only for RFC 5802's test vector

// "SCRAM-SHA-256" -> sha256, "SCRAM-SHA-512" -> sha512; nullopt otherwise.
std::optional<ScramHash> scram_hash_for(std::string_view mechanism);

// RFC 4616 §2: [authzid] NUL authcid NUL passwd, with no authzid.
std::string plain_initial_response(std::string_view user, std::string_view password);

// Iteration bounds we accept from a server (see the file comment). A count
// above the maximum would make the client spend seconds in PBKDF2 on the
// probe's event-loop thread; one below the minimum weakens the proof a
// listener could replay offline.
inline constexpr long kScramMinIterations = 4096;
inline constexpr long kScramMaxIterations = 16384;

class ScramClient {
 public:
  // `client_nonce`: empty picks 24 random bytes (base64) from OpenSSL's
  // CSPRNG; tests pass the RFC's nonce to reproduce its vectors.
  ScramClient(ScramHash hash, std::string user, std::string password, std::string client_nonce = {});
  ~ScramClient();
  ScramClient(const ScramClient&) = delete;
  ScramClient& operator=(const ScramClient&) = delete;

  // RFC 5802 §7 client-first-message: "n,,n=<user>,r=<nonce>".
  std::string client_first() const;
  // Parses server-first-message ("r=...,s=...,i=..."), checks that its
  // nonce extends ours and the iteration count is in bounds, and returns
  // client-final-message ("c=biws,r=...,p=<proof>").
  std::optional<std::string> client_final(std::string_view server_first, std::string& error);
  // Checks server-final-message: "v=<signature>" must equal the signature
  // only a server that knows the password's verifier can compute; "e=..."
  // is the server's refusal, returned in `error`.
  bool verify_server_final(std::string_view server_final, std::string& error) const;

 private:
  ScramHash hash_;
  std::string user_;
  std::string password_;
  std::string client_nonce_;
  std::string client_first_bare_;
  std::vector<unsigned char> expected_server_signature_;
};

// RFC 4648 §4 base64 with padding, as SCRAM uses it.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace plprobe::probes::kafka
