// Certificates made at test time with the OpenSSL 3 C API (no `openssl`
// command, no files checked in that expire one day).
//
// What they look like (what OpenSSL's default verification and real TLS
// servers expect):
//   CA:   X.509 v3, EC P-256, self-signed, SHA-256, basicConstraints
//         critical CA:TRUE, keyUsage critical keyCertSign+cRLSign,
//         subjectKeyIdentifier; valid from 1 day ago for 365 days.
//   Leaf: X.509 v3, EC P-256 (or RSA 2048), SHA-256, signed by the CA (or by
//         itself), basicConstraints critical CA:FALSE, keyUsage critical
//         digitalSignature (+keyEncipherment for RSA), extendedKeyUsage
//         serverAuth (+clientAuth on request), subjectAltName with the DNS
//         names and IP addresses asked for (RFC 5280 §4.2.1.6; critical
//         when the subject is empty), subject/authority key identifiers.
//   Both: random positive 128-bit serial numbers (RFC 5280 §4.1.2.2),
//         subject O=plprobe tests, CN=<common name> when one is given.
//
// Failure behaviour: every function throws std::runtime_error with
// OpenSSL's error text when OpenSSL fails, and std::invalid_argument for an
// IP address that does not parse. Tests treat both as setup failures.
// Threading: objects are immutable after creation; const member functions
// may be called from several threads at once.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace plprobe::testing {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct X509Free {
  void operator()(X509* certificate) const noexcept { X509_free(certificate); }
};

enum class KeyType { ec_p256, rsa_2048 };

// A private key (with its public half). Owns one EVP_PKEY.
class KeyPair {
 public:
  static KeyPair generate(KeyType type = KeyType::ec_p256);
  static KeyPair from_pem(std::string_view private_key_pem);

  EVP_PKEY* get() const { return key_.get(); }  // still owned by the KeyPair
  std::string private_key_pem() const;          // PKCS#8 "PRIVATE KEY", unencrypted
  std::string public_key_pem() const;           // SubjectPublicKeyInfo "PUBLIC KEY"

 private:
  explicit KeyPair(EVP_PKEY* owned) : key_(owned) {}
  std::unique_ptr<EVP_PKEY, EvpPkeyFree> key_;
};

// One certificate. Owns one X509.
class Certificate {
 public:
  explicit Certificate(X509* owned) : certificate_(owned) {}
  // The first certificate in `pem`.
  static Certificate from_pem(std::string_view pem);

  X509* get() const { return certificate_.get(); }  // still owned by the Certificate
  std::string pem() const;

 private:
  std::unique_ptr<X509, X509Free> certificate_;
};

struct LeafSpec {
  std::string common_name;
  std::vector<std::string> dns_names;     // subjectAltName dNSName entries, e.g. "localhost", "*.test"
  std::vector<std::string> ip_addresses;  // subjectAltName iPAddress entries, e.g. "127.0.0.1", "::1"
  // Expired: not_before = now - 48h, not_after = now - 1h.
  // Not yet valid: not_before = now + 1h.
  std::chrono::system_clock::time_point not_before = std::chrono::system_clock::now() - std::chrono::hours(1);
  std::chrono::system_clock::time_point not_after = std::chrono::system_clock::now() + std::chrono::hours(24);
  bool self_signed = false;  // signed with its own key, not the CA's (issuer = subject)
  KeyType key_type = KeyType::ec_p256;
  bool client_auth = false;  // add extendedKeyUsage clientAuth (for mutual TLS peers)
};

// Paths written by IssuedCert::write().
struct CertFiles {
  std::filesystem::path certificate;  // <stem>.crt: the leaf alone
  std::filesystem::path private_key;  // <stem>.key: mode 0600
  std::filesystem::path chain;        // <stem>.chain.crt: leaf then CA (what a server presents)
};

struct IssuedCert {
  std::string certificate_pem;
  std::string private_key_pem;  // PKCS#8, unencrypted
  std::string chain_pem;        // leaf + issuing CA; the leaf alone when self-signed

  // Writes the three files into `dir` (which must exist), replacing files
  // of the same names. The key is mode 0600 and owned by the test's user: a
  // server that runs as another user (postgres) needs a chown first.
  // Throws std::system_error on I/O failure.
  CertFiles write(const std::filesystem::path& dir, std::string_view stem) const;
};

// A test CA: its key and self-signed certificate live in memory only.
// Movable, not copyable.
class CertificateAuthority {
 public:
  static CertificateAuthority create(std::string common_name);

  IssuedCert issue(const LeafSpec& spec) const;
  std::string certificate_pem() const { return certificate_.pem(); }
  const Certificate& certificate() const { return certificate_; }
  const KeyPair& key() const { return key_; }
  // Writes the CA certificate (what a client loads with --ca-file) to
  // dir/name; returns its path. Throws std::system_error on I/O failure.
  std::filesystem::path write_certificate(const std::filesystem::path& dir, std::string_view name = "ca.crt") const;

 private:
  CertificateAuthority(KeyPair key, Certificate certificate)
      : key_(std::move(key)), certificate_(std::move(certificate)) {}
  KeyPair key_;
  Certificate certificate_;
};

}  // namespace plprobe::testing
