#include "probes/sasl/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include <fmt/format.h>

namespace plprobe::probes::sasl {
namespace {

using Buffer = std::vector<unsigned char>;

const EVP_MD* digest_for(ScramHash hash) {
  switch (hash) {
    case ScramHash::sha1:
      return EVP_sha1();
    case ScramHash::sha256:
      return EVP_sha256();
    case ScramHash::sha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

Buffer hmac(const EVP_MD* md, const Buffer& key, std::string_view data) {
  Buffer out(EVP_MAX_MD_SIZE);
  unsigned length = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), out.data(), &length) == nullptr) {
    return {};
  }
  out.resize(length);
  return out;
}

Buffer digest(const EVP_MD* md, const Buffer& data) {
  Buffer out(EVP_MAX_MD_SIZE);
  unsigned length = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &length, md, nullptr) != 1) return {};
  out.resize(length);
  return out;
}

void wipe(Buffer& buffer) {
  if (!buffer.empty()) OPENSSL_cleanse(buffer.data(), buffer.size());
}

// RFC 5802 §5.1: "=" and "," in a user name travel as "=3D" and "=2C".
std::string escape_sasl_name(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (c == '=') {
      out += "=3D";
    } else if (c == ',') {
      out += "=2C";
    } else {
      out += c;
    }
  }
  return out;
}

// The value of attribute `key` ("r", "s", "i", "v", "e") in a
// comma-separated SCRAM message; nullopt when absent.
std::optional<std::string_view> attribute(std::string_view message, char key) {
  while (!message.empty()) {
    const auto comma = message.find(',');
    const std::string_view item = message.substr(0, comma);
    if (item.size() >= 2 && item[0] == key && item[1] == '=') return item.substr(2);
    if (comma == std::string_view::npos) break;
    message.remove_prefix(comma + 1);
  }
  return std::nullopt;
}

}  // namespace

std::string_view mechanism_name(ScramHash hash) {
  switch (hash) {
    case ScramHash::sha1:
      return "SCRAM-SHA-1";
    case ScramHash::sha256:
      return "SCRAM-SHA-256";
    case ScramHash::sha512:
      return "SCRAM-SHA-512";
  }
  return "SCRAM-SHA-256";
}

std::optional<ScramHash> scram_hash_for(std::string_view mechanism) {
  for (const auto hash : {ScramHash::sha1, ScramHash::sha256, ScramHash::sha512}) {
    if (mechanism == mechanism_name(hash)) return hash;
  }
  return std::nullopt;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(std::max(written, 0)));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (c == '=') {
      if (i + 2 < text.size()) return std::nullopt;  // padding only in the last two places
      ++padding;
    } else if (!alphabet || padding > 0) {
      return std::nullopt;
    }
  }
  std::string out(3 * (text.size() / 4) + 1, '\0');
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (written < 0 || static_cast<std::size_t>(written) < padding) return std::nullopt;
  out.resize(static_cast<std::size_t>(written) - padding);
  return out;
}

ScramClient::ScramClient(ScramHash hash, std::string user, std::string password, ScramPolicy policy,
                         std::string client_nonce)
    : hash_(hash),
      user_(std::move(user)),
      password_(std::move(password)),
      policy_(policy),
      client_nonce_(std::move(client_nonce)) {
  if (client_nonce_.empty()) {
    unsigned char random[24];
    if (RAND_bytes(random, sizeof random) == 1) {
      client_nonce_ = base64_encode(std::string_view(reinterpret_cast<const char*>(random), sizeof random));
    } else {
      // Only when the CSPRNG cannot be seeded: the nonce must be unique,
      // SCRAM does not need it secret.
      client_nonce_ = base64_encode(fmt::format("{}-{}", static_cast<const void*>(this),
                                                std::chrono::steady_clock::now().time_since_epoch().count()));
    }
  }
  client_first_bare_ = fmt::format("n={},r={}", escape_sasl_name(user_), client_nonce_);
}

ScramClient::~ScramClient() {
  if (!password_.empty()) OPENSSL_cleanse(password_.data(), password_.size());
  wipe(expected_server_signature_);
}

std::string ScramClient::client_first() const { return "n,," + client_first_bare_; }

std::optional<std::string> ScramClient::client_final(std::string_view server_first, std::string& error) {
  if (server_first.starts_with("m=")) {
    error = fmt::format("the server demands a SCRAM extension (m=) that {} clients do not speak", policy_.protocol);
    return std::nullopt;
  }
  const auto nonce = attribute(server_first, 'r');
  const auto salt_text = attribute(server_first, 's');
  const auto iterations_text = attribute(server_first, 'i');
  if (!nonce || !salt_text || !iterations_text) {
    error = "the server's first SCRAM message lacks its nonce, salt or iteration count";
    return std::nullopt;
  }
  // RFC 5802 §5.1: the server's nonce is ours followed by its own part.
  if (nonce->size() <= client_nonce_.size() || !nonce->starts_with(client_nonce_)) {
    error = "the server's SCRAM nonce does not extend ours (a replayed or forged exchange)";
    return std::nullopt;
  }
  const auto salt = base64_decode(*salt_text);
  if (!salt || salt->empty()) {
    error = "the server's SCRAM salt is not base64";
    return std::nullopt;
  }
  long iterations = 0;
  const auto [end, ec] = std::from_chars(iterations_text->data(), iterations_text->data() + iterations_text->size(),
                                         iterations);
  if (ec != std::errc() || end != iterations_text->data() + iterations_text->size()) {
    error = "the server's SCRAM iteration count is not a number";
    return std::nullopt;
  }
  if (iterations < policy_.min_iterations || iterations > policy_.max_iterations) {
    error = fmt::format("the server asks for {} SCRAM iterations; plprobe accepts {} to {} for {}", iterations,
                        policy_.min_iterations, policy_.max_iterations, policy_.protocol);
    return std::nullopt;
  }
  const EVP_MD* md = digest_for(hash_);
  const auto md_size = static_cast<std::size_t>(EVP_MD_get_size(md));
  // RFC 5802 §3: SaltedPassword := Hi(Normalize(password), salt, i) = PBKDF2-HMAC.
  Buffer salted(md_size);
  if (PKCS5_PBKDF2_HMAC(password_.data(), static_cast<int>(password_.size()),
                        reinterpret_cast<const unsigned char*>(salt->data()), static_cast<int>(salt->size()),
                        static_cast<int>(iterations), md, static_cast<int>(md_size), salted.data()) != 1) {
    error = "PBKDF2 failed (OpenSSL)";
    return std::nullopt;
  }
  const std::string without_proof = fmt::format("c=biws,r={}", *nonce);  // biws = base64("n,,")
  std::string auth_message = client_first_bare_;
  auth_message.append(",").append(server_first).append(",").append(without_proof);
  Buffer client_key = hmac(md, salted, "Client Key");
  Buffer stored_key = digest(md, client_key);
  Buffer client_signature = hmac(md, stored_key, auth_message);
  Buffer server_key = hmac(md, salted, "Server Key");
  expected_server_signature_ = hmac(md, server_key, auth_message);
  wipe(salted);
  wipe(server_key);
  wipe(stored_key);
  if (client_key.size() != md_size || client_signature.size() != md_size || expected_server_signature_.size() != md_size) {
    wipe(client_key);
    error = "HMAC failed (OpenSSL)";
    return std::nullopt;
  }
  std::string proof(md_size, '\0');
  for (std::size_t i = 0; i < md_size; ++i) proof[i] = static_cast<char>(client_key[i] ^ client_signature[i]);
  wipe(client_key);
  std::string out = without_proof;
  out.append(",p=").append(base64_encode(proof));
  OPENSSL_cleanse(proof.data(), proof.size());
  return out;
}

bool ScramClient::verify_server_final(std::string_view server_final, std::string& error) const {
  if (const auto refusal = attribute(server_final, 'e')) {
    error = fmt::format("the server refused the SCRAM proof: {}", *refusal);
    return false;
  }
  const auto signature_text = attribute(server_final, 'v');
  if (!signature_text) {
    error = "the server's final SCRAM message carries no signature";
    return false;
  }
  const auto signature = base64_decode(*signature_text);
  if (expected_server_signature_.empty() || !signature || signature->size() != expected_server_signature_.size() ||
      CRYPTO_memcmp(signature->data(), expected_server_signature_.data(), signature->size()) != 0) {
    error = "the server's SCRAM signature is wrong: the server does not hold this user's credentials";
    return false;
  }
  return true;
}

}  // namespace plprobe::probes::sasl
