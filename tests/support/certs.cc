#include "tests/support/certs.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

namespace plprobe::testing {
namespace {

using SystemClock = std::chrono::system_clock;

// Everything in OpenSSL's error queue, oldest first, and the queue emptied.
[[noreturn]] void throw_openssl(std::string_view what) {
  std::string text(what);
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    text += fmt::format(": {}", buffer.data());
  }
  throw std::runtime_error(text);
}

struct BioFree {
  void operator()(BIO* bio) const noexcept { BIO_free_all(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memory_bio() {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) throw_openssl("BIO_new");
  return bio;
}

BioPtr read_bio(std::string_view text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) throw_openssl("BIO_new_mem_buf");
  return bio;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length > 0 ? length : 0));
}

void write_file(const std::filesystem::path& path, std::string_view contents, std::filesystem::perms perms) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::system_error(errno, std::generic_category(), fmt::format("open {}", path.string()));
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) throw std::system_error(errno, std::generic_category(), fmt::format("write {}", path.string()));
  std::filesystem::permissions(path, perms, std::filesystem::perm_options::replace);
}

// 16 random bytes with the top bit cleared (positive, RFC 5280 §4.1.2.2
// allows up to 20 octets) and the next one set (never zero, fixed length).
void set_random_serial(X509* certificate) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw_openssl("RAND_bytes");
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);
  BIGNUM* number = BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr);
  if (number == nullptr) throw_openssl("BN_bin2bn");
  const bool ok = BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate)) != nullptr;
  BN_free(number);
  if (!ok) throw_openssl("BN_to_ASN1_INTEGER");
}

void set_validity(X509* certificate, SystemClock::time_point not_before, SystemClock::time_point not_after) {
  if (ASN1_TIME_set(X509_getm_notBefore(certificate), SystemClock::to_time_t(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(certificate), SystemClock::to_time_t(not_after)) == nullptr) {
    throw_openssl("ASN1_TIME_set");
  }
}

void set_subject(X509* certificate, const std::string& common_name) {
  X509_NAME* name = X509_get_subject_name(certificate);
  const auto add = [name](const char* field, const std::string& value) {
    if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.c_str()),
                                   -1, -1, 0) != 1) {
      throw_openssl(fmt::format("subject {}={}", field, value));
    }
  };
  add("O", "plprobe tests");
  if (!common_name.empty()) add("CN", common_name);
}

// Adds one extension written in OpenSSL's config syntax (only constant
// strings from this file: no user text is ever parsed this way).
void add_extension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  if (extension == nullptr) throw_openssl(fmt::format("extension {}={}", OBJ_nid2sn(nid), value));
  const bool ok = X509_add_ext(certificate, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  if (!ok) throw_openssl("X509_add_ext");
}

// subjectAltName built entry by entry, so a name containing a comma or
// "IP:" cannot change the meaning of the config string.
void add_subject_alt_names(X509* certificate, const LeafSpec& spec) {
  if (spec.dns_names.empty() && spec.ip_addresses.empty()) return;
  GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
  if (names == nullptr) throw_openssl("sk_GENERAL_NAME_new_null");
  std::unique_ptr<GENERAL_NAMES, void (*)(GENERAL_NAMES*)> owned(names, GENERAL_NAMES_free);
  for (const auto& dns : spec.dns_names) {
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    if (text == nullptr || ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_IA5STRING_free(text);
      throw_openssl("dNSName");
    }
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (name == nullptr) {
      ASN1_IA5STRING_free(text);
      throw_openssl("GENERAL_NAME_new");
    }
    GENERAL_NAME_set0_value(name, GEN_DNS, text);
    sk_GENERAL_NAME_push(names, name);
  }
  for (const auto& ip : spec.ip_addresses) {
    ASN1_OCTET_STRING* address = a2i_IPADDRESS(ip.c_str());
    if (address == nullptr) {
      ERR_clear_error();
      throw std::invalid_argument(fmt::format("LeafSpec: not an IP address: '{}'", ip));
    }
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (name == nullptr) {
      ASN1_OCTET_STRING_free(address);
      throw_openssl("GENERAL_NAME_new");
    }
    GENERAL_NAME_set0_value(name, GEN_IPADD, address);
    sk_GENERAL_NAME_push(names, name);
  }
  // RFC 5280 §4.2.1.6: critical when the subject is empty.
  const int critical = spec.common_name.empty() ? 1 : 0;
  if (X509_add1_ext_i2d(certificate, NID_subject_alt_name, names, critical, X509V3_ADD_DEFAULT) != 1) {
    throw_openssl("subjectAltName");
  }
}

std::unique_ptr<X509, X509Free> new_certificate(const KeyPair& subject_key, const std::string& common_name,
                                                SystemClock::time_point not_before,
                                                SystemClock::time_point not_after) {
  std::unique_ptr<X509, X509Free> certificate(X509_new());
  if (!certificate) throw_openssl("X509_new");
  if (X509_set_version(certificate.get(), X509_VERSION_3) != 1) throw_openssl("X509_set_version");
  set_random_serial(certificate.get());
  set_subject(certificate.get(), common_name);
  set_validity(certificate.get(), not_before, not_after);
  if (X509_set_pubkey(certificate.get(), subject_key.get()) != 1) throw_openssl("X509_set_pubkey");
  return certificate;
}

void sign(X509* certificate, const KeyPair& signer) {
  if (X509_sign(certificate, signer.get(), EVP_sha256()) <= 0) throw_openssl("X509_sign");
}

}  // namespace

KeyPair KeyPair::generate(KeyType type) {
  EVP_PKEY* key = type == KeyType::rsa_2048 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  if (key == nullptr) throw_openssl("key generation");
  return KeyPair(key);
}

KeyPair KeyPair::from_pem(std::string_view private_key_pem) {
  auto bio = read_bio(private_key_pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) throw_openssl("PEM_read_bio_PrivateKey");
  return KeyPair(key);
}

std::string KeyPair::private_key_pem() const {
  auto bio = memory_bio();
  if (PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw_openssl("PEM_write_bio_PrivateKey");
  }
  return bio_text(bio.get());
}

std::string KeyPair::public_key_pem() const {
  auto bio = memory_bio();
  if (PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) throw_openssl("PEM_write_bio_PUBKEY");
  return bio_text(bio.get());
}

Certificate Certificate::from_pem(std::string_view pem) {
  auto bio = read_bio(pem);
  X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (certificate == nullptr) throw_openssl("PEM_read_bio_X509");
  return Certificate(certificate);
}

std::string Certificate::pem() const {
  auto bio = memory_bio();
  if (PEM_write_bio_X509(bio.get(), certificate_.get()) != 1) throw_openssl("PEM_write_bio_X509");
  return bio_text(bio.get());
}

CertFiles IssuedCert::write(const std::filesystem::path& dir, std::string_view stem) const {
  using std::filesystem::perms;
  const std::string base(stem);
  CertFiles files{dir / (base + ".crt"), dir / (base + ".key"), dir / (base + ".chain.crt")};
  const auto readable = perms::owner_read | perms::owner_write | perms::group_read | perms::others_read;
  write_file(files.certificate, certificate_pem, readable);
  // Servers refuse a private key that others can read (PostgreSQL insists).
  write_file(files.private_key, private_key_pem, perms::owner_read | perms::owner_write);
  write_file(files.chain, chain_pem, readable);
  return files;
}

CertificateAuthority CertificateAuthority::create(std::string common_name) {
  auto key = KeyPair::generate(KeyType::ec_p256);
  const auto now = SystemClock::now();
  // Valid from a day ago for a year: valid at any moment a test verifies a
  // chain. (Verification checks each certificate against the current time,
  // not a leaf's dates against its CA's, so expired leaves need no
  // expired CA.)
  auto certificate = new_certificate(key, common_name, now - std::chrono::hours(24), now + std::chrono::hours(24 * 365));
  if (X509_set_issuer_name(certificate.get(), X509_get_subject_name(certificate.get())) != 1) {
    throw_openssl("X509_set_issuer_name");
  }
  add_extension(certificate.get(), certificate.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(certificate.get(), certificate.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(certificate.get(), certificate.get(), NID_subject_key_identifier, "hash");
  sign(certificate.get(), key);
  return CertificateAuthority(std::move(key), Certificate(certificate.release()));
}

IssuedCert CertificateAuthority::issue(const LeafSpec& spec) const {
  auto key = KeyPair::generate(spec.key_type);
  auto certificate = new_certificate(key, spec.common_name, spec.not_before, spec.not_after);
  X509* issuer = spec.self_signed ? certificate.get() : certificate_.get();
  if (X509_set_issuer_name(certificate.get(), X509_get_subject_name(issuer)) != 1) {
    throw_openssl("X509_set_issuer_name");
  }
  add_extension(certificate.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
  // RSA key exchange (TLS 1.0-1.2 without ECDHE) encrypts to the key.
  add_extension(certificate.get(), issuer, NID_key_usage,
                spec.key_type == KeyType::rsa_2048 ? "critical,digitalSignature,keyEncipherment"
                                                   : "critical,digitalSignature");
  add_extension(certificate.get(), issuer, NID_ext_key_usage, spec.client_auth ? "serverAuth,clientAuth" : "serverAuth");
  add_extension(certificate.get(), issuer, NID_subject_key_identifier, "hash");
  if (!spec.self_signed) add_extension(certificate.get(), issuer, NID_authority_key_identifier, "keyid:always");
  add_subject_alt_names(certificate.get(), spec);
  sign(certificate.get(), spec.self_signed ? key : key_);

  IssuedCert issued;
  issued.certificate_pem = Certificate(certificate.release()).pem();
  issued.private_key_pem = key.private_key_pem();
  issued.chain_pem = spec.self_signed ? issued.certificate_pem : issued.certificate_pem + certificate_pem();
  return issued;
}

std::filesystem::path CertificateAuthority::write_certificate(const std::filesystem::path& dir,
                                                              std::string_view name) const {
  using std::filesystem::perms;
  const auto path = dir / std::string(name);
  write_file(path, certificate_pem(),
             perms::owner_read | perms::owner_write | perms::group_read | perms::others_read);
  return path;
}

}  // namespace plprobe::testing
