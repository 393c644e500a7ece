#include "tests/support/certs.h"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"
#include "tests/support/watchdog.h"

namespace plprobe::testing {
namespace {

using namespace std::chrono_literals;
using SystemClock = std::chrono::system_clock;

struct VerifyOptions {
  const CertificateAuthority* trusted = nullptr;  // nullptr: an empty store
  std::string host;
  std::string ip;
};

// X509_verify_cert as a TLS client does it: sslserver purpose, optional
// host or IP check. Returns the X509_V_* result.
int verify(const IssuedCert& issued, const VerifyOptions& options) {
  X509_STORE* store = X509_STORE_new();
  if (options.trusted != nullptr) X509_STORE_add_cert(store, options.trusted->certificate().get());
  const auto leaf = Certificate::from_pem(issued.certificate_pem);
  X509_STORE_CTX* context = X509_STORE_CTX_new();
  X509_STORE_CTX_init(context, store, leaf.get(), nullptr);
  X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(context);
  if (!options.host.empty()) X509_VERIFY_PARAM_set1_host(param, options.host.c_str(), 0);
  if (!options.ip.empty()) X509_VERIFY_PARAM_set1_ip_asc(param, options.ip.c_str());
  const int ok = X509_verify_cert(context);
  const int error = X509_STORE_CTX_get_error(context);
  X509_STORE_CTX_free(context);
  X509_STORE_free(store);
  return ok == 1 ? X509_V_OK : error;
}

std::vector<std::string> san_entries(const IssuedCert& issued) {
  const auto leaf = Certificate::from_pem(issued.certificate_pem);
  std::vector<std::string> entries;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    int type = 0;
    auto* value = static_cast<ASN1_STRING*>(GENERAL_NAME_get0_value(name, &type));
    if (type == GEN_DNS) {
      entries.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                                             static_cast<std::size_t>(ASN1_STRING_length(value))));
    } else if (type == GEN_IPADD) {
      char text[INET6_ADDRSTRLEN] = {};
      const int family = ASN1_STRING_length(value) == 4 ? AF_INET : AF_INET6;
      ::inet_ntop(family, ASN1_STRING_get0_data(value), text, sizeof(text));
      entries.push_back(std::string("IP:") + text);
    }
  }
  GENERAL_NAMES_free(names);
  return entries;
}

LeafSpec localhost_spec() {
  LeafSpec spec;
  spec.common_name = "localhost";
  spec.dns_names = {"localhost", "db.test"};
  spec.ip_addresses = {"127.0.0.1", "::1"};
  return spec;
}

TEST(CertificateAuthority, IssuedLeafVerifiesAgainstTheCa) {
  Watchdog watchdog(5s, "CertificateAuthority.IssuedLeafVerifiesAgainstTheCa");
  const auto ca = CertificateAuthority::create("plprobe test CA");
  const auto issued = ca.issue(localhost_spec());
  EXPECT_EQ(verify(issued, {&ca, "localhost", ""}), X509_V_OK);
  EXPECT_EQ(verify(issued, {&ca, "db.test", ""}), X509_V_OK);
  EXPECT_EQ(verify(issued, {&ca, "", "127.0.0.1"}), X509_V_OK);
  EXPECT_EQ(verify(issued, {&ca, "", "::1"}), X509_V_OK);
}

TEST(CertificateAuthority, LeafFailsVerificationWithoutTheCa) {
  Watchdog watchdog(5s, "CertificateAuthority.LeafFailsVerificationWithoutTheCa");
  const auto ca = CertificateAuthority::create("plprobe test CA");
  EXPECT_EQ(verify(ca.issue(localhost_spec()), {}), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST(CertificateAuthority, LeafFromAnotherCaIsUntrusted) {
  Watchdog watchdog(5s, "CertificateAuthority.LeafFromAnotherCaIsUntrusted");
  const auto ca = CertificateAuthority::create("trusted CA");
  const auto other = CertificateAuthority::create("other CA");
  EXPECT_NE(verify(other.issue(localhost_spec()), {&ca, "localhost", ""}), X509_V_OK);
}

TEST(CertificateAuthority, ExpiredLeafIsReportedExpired) {
  Watchdog watchdog(5s, "CertificateAuthority.ExpiredLeafIsReportedExpired");
  const auto ca = CertificateAuthority::create("plprobe test CA");
  auto spec = localhost_spec();
  spec.not_before = SystemClock::now() - 48h;
  spec.not_after = SystemClock::now() - 1h;
  EXPECT_EQ(verify(ca.issue(spec), {&ca, "localhost", ""}), X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST(CertificateAuthority, FutureLeafIsReportedNotYetValid) {
  Watchdog watchdog(5s, "CertificateAuthority.FutureLeafIsReportedNotYetValid");
  const auto ca = CertificateAuthority::create("plprobe test CA");
  auto spec = localhost_spec();
  spec.not_before = SystemClock::now() + 1h;
  spec.not_after = SystemClock::now() + 48h;
  EXPECT_EQ(verify(ca.issue(spec), {&ca, "localhost", ""}), X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST(CertificateAuthority, NameNotInTheSubjectAltNamesIsAMismatch) {
  Watchdog watchdog(5s, "CertificateAuthority.NameNotInTheSubjectAltNamesIsAMismatch");
  const auto ca = CertificateAuthority::create("plprobe test CA");
  const auto issued = ca.issue(localhost_spec());
  EXPECT_EQ(verify(issued, {&ca, "example.org", ""}), X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_EQ(verify(issued, {&ca, "", "127.0.0.2"}), X509_V_ERR_IP_ADDRESS_MISMATCH);
}

TEST(CertificateAuthority, SelfSignedLeafIsNotVouchedForByTheCa) {
  Watchdog watchdog(5s, "CertificateAuthority.SelfSignedLeafIsNotVouchedForByTheCa");
  const auto ca = CertificateAuthority::create("plprobe test CA");
  auto spec = localhost_spec();
  spec.self_signed = true;
  const auto issued = ca.issue(spec);
  EXPECT_EQ(verify(issued, {&ca, "localhost", ""}), X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  EXPECT_EQ(issued.chain_pem, issued.certificate_pem);
}

TEST(CertificateAuthority, LeafCarriesTheRequestedSubjectAltNames) {
  Watchdog watchdog(5s, "CertificateAuthority.LeafCarriesTheRequestedSubjectAltNames");
  const auto ca = CertificateAuthority::create("plprobe test CA");
  const auto entries = san_entries(ca.issue(localhost_spec()));
  EXPECT_EQ(entries, (std::vector<std::string>{"DNS:localhost", "DNS:db.test", "IP:127.0.0.1", "IP:::1"}));
}

TEST(CertificateAuthority, LeafIsAServerCertificateThatIsNotACa) {
  Watchdog watchdog(5s, "CertificateAuthority.LeafIsAServerCertificateThatIsNotACa");
  const auto ca = CertificateAuthority::create("plprobe test CA");
  const auto leaf = Certificate::from_pem(ca.issue(localhost_spec()).certificate_pem);
  EXPECT_EQ(X509_check_ca(leaf.get()), 0);
  EXPECT_EQ(X509_check_purpose(leaf.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_NE(X509_get_extended_key_usage(leaf.get()) & XKU_SSL_SERVER, 0u);
  EXPECT_EQ(X509_get_extended_key_usage(leaf.get()) & XKU_SSL_CLIENT, 0u);
  EXPECT_EQ(X509_get_signature_nid(leaf.get()), NID_ecdsa_with_SHA256);
  EXPECT_GE(X509_check_ca(ca.certificate().get()), 1);
}

TEST(CertificateAuthority, SerialNumbersDiffer) {
  Watchdog watchdog(5s, "CertificateAuthority.SerialNumbersDiffer");
  const auto ca = CertificateAuthority::create("plprobe test CA");
  const auto first = Certificate::from_pem(ca.issue(localhost_spec()).certificate_pem);
  const auto second = Certificate::from_pem(ca.issue(localhost_spec()).certificate_pem);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(first.get()), X509_get0_serialNumber(second.get())), 0);
}

TEST(CertificateAuthority, RsaLeafForMutualTlsVerifies) {
  Watchdog watchdog(10s, "CertificateAuthority.RsaLeafForMutualTlsVerifies");
  const auto ca = CertificateAuthority::create("plprobe test CA");
  auto spec = localhost_spec();
  spec.key_type = KeyType::rsa_2048;
  spec.client_auth = true;
  const auto issued = ca.issue(spec);
  EXPECT_EQ(verify(issued, {&ca, "localhost", ""}), X509_V_OK);
  const auto leaf = Certificate::from_pem(issued.certificate_pem);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(leaf.get())), EVP_PKEY_RSA);
  EXPECT_NE(X509_get_extended_key_usage(leaf.get()) & XKU_SSL_CLIENT, 0u);
}

TEST(CertificateAuthority, BadIpAddressIsRejected) {
  Watchdog watchdog(5s, "CertificateAuthority.BadIpAddressIsRejected");
  const auto ca = CertificateAuthority::create("plprobe test CA");
  LeafSpec spec;
  spec.ip_addresses = {"127.0.0.300"};
  EXPECT_THROW(ca.issue(spec), std::invalid_argument);
}

TEST(IssuedCert, WritesCertificateKeyAndChainFiles) {
  Watchdog watchdog(5s, "IssuedCert.WritesCertificateKeyAndChainFiles");
  TempDir dir;
  const auto ca = CertificateAuthority::create("plprobe test CA");
  const auto issued = ca.issue(localhost_spec());
  const auto files = issued.write(dir.path(), "server");
  const auto ca_file = ca.write_certificate(dir.path());

  struct stat info {};
  ASSERT_EQ(::stat(files.private_key.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(files.certificate.filename(), "server.crt");
  EXPECT_EQ(files.chain.filename(), "server.chain.crt");
  EXPECT_EQ(ca_file.filename(), "ca.crt");

  const auto leaf = Certificate::from_pem(issued.certificate_pem);
  const auto key = KeyPair::from_pem(issued.private_key_pem);
  EXPECT_EQ(X509_check_private_key(leaf.get(), key.get()), 1);
  EXPECT_EQ(issued.chain_pem, issued.certificate_pem + ca.certificate_pem());
}

}  // namespace
}  // namespace plprobe::testing
