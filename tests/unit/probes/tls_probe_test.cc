// TLS probes against in-process OpenSSL servers with certificates made at
// test time.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/support/certs.h"
#include "tests/support/listeners.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tls_server.h"
#include "tests/unit/probes/probe_harness.h"

namespace plprobe::probes {
namespace {

using namespace std::chrono_literals;
using plprobe::testing::CertificateAuthority;
using plprobe::testing::LeafSpec;
using plprobe::testing::ListenerBehaviour;
using plprobe::testing::TcpListener;
using plprobe::testing::TempDir;
using plprobe::testing::TlsServer;
using plprobe::testing::TlsServerOptions;
using testing::run_targets;

class TlsProbe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new CertificateAuthority(CertificateAuthority::create("plprobe test CA"));
    dir_ = new TempDir("plprobe-tls-test-");
    ca_file_ = ca_->write_certificate(dir_->path()).string();
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete dir_;
  }

  static std::unique_ptr<TlsServer> server_for(LeafSpec spec, int min_version = TLS1_2_VERSION, int max_version = 0) {
    auto issued = ca_->issue(spec);
    TlsServerOptions options;
    options.certificate_chain_pem = issued.chain_pem;
    options.private_key_pem = issued.private_key_pem;
    options.min_version = min_version;
    options.max_version = max_version;
    return std::make_unique<TlsServer>(options);
  }

  static LeafSpec good_spec() {
    LeafSpec spec;
    spec.common_name = "good.test";
    spec.dns_names = {"good.test", "alt.good.test"};
    spec.ip_addresses = {"127.0.0.1"};
    return spec;
  }

  static EngineOptions trusting() {
    EngineOptions options;
    options.tls.ca_file = ca_file_;
    options.timeout = 3s;
    return options;
  }

  static std::string target(const TlsServer& server, const char* host = "127.0.0.1") {
    return fmt::format("tls://{}:{}", host, server.port());
  }

  static CertificateAuthority* ca_;
  static TempDir* dir_;
  static std::string ca_file_;
};

CertificateAuthority* TlsProbe::ca_ = nullptr;
TempDir* TlsProbe::dir_ = nullptr;
std::string TlsProbe::ca_file_;

TEST_F(TlsProbe, VerifiedWithTheRightCaReportsTheSessionAndCertificate) {
  auto server = server_for(good_spec());
  const auto result = run_targets({target(*server)}, trusting()).only();
  ASSERT_EQ(result.outcome, Code::ok) << result.message << " / " << result.hint;
  ASSERT_TRUE(result.tls);
  const auto& tls = *result.tls;
  EXPECT_TRUE(tls.verified);
  EXPECT_TRUE(tls.verify_errors.empty());
  EXPECT_EQ(tls.version, "TLSv1.3");
  EXPECT_FALSE(tls.cipher.empty());
  EXPECT_EQ(tls.subject, "CN=good.test,O=plprobe tests");
  EXPECT_EQ(tls.issuer, "CN=plprobe test CA,O=plprobe tests");
  EXPECT_EQ(tls.sans, (std::vector<std::string>{"good.test", "alt.good.test", "127.0.0.1"}));
  EXPECT_EQ(tls.chain_length, 2);
  EXPECT_EQ(tls.not_after.size(), 20u) << tls.not_after;  // 2026-11-30T19:00:00Z
  EXPECT_TRUE(tls.sni.empty()) << "no SNI for an IP literal (RFC 6066 §3)";
  ASSERT_TRUE(result.phases.tls_ms);
  EXPECT_GT(*result.phases.tls_ms, 0);
  ASSERT_TRUE(plprobe::testing::wait_until([&] { return server->handshakes_completed() >= 1; }, 2s));
  EXPECT_FALSE(server->last_server_name().has_value());
}

TEST_F(TlsProbe, SniOverrideIsSentAndVerified) {
  auto server = server_for(good_spec());
  auto options = trusting();
  options.settings.sni = "alt.good.test";
  const auto result = run_targets({target(*server)}, options).only();
  EXPECT_EQ(result.outcome, Code::ok) << result.message;
  ASSERT_TRUE(result.tls);
  EXPECT_EQ(result.tls->sni, "alt.good.test");
  // With TLS 1.3 the client is done before the server has read its
  // Finished: wait for the server's side of the handshake.
  ASSERT_TRUE(plprobe::testing::wait_until([&] { return server->handshakes_completed() >= 1; }, 2s));
  EXPECT_EQ(server->last_server_name(), "alt.good.test");
}

TEST_F(TlsProbe, HostnameMismatchNamesTheCertificatesNamesAndSuggestsSni) {
  auto server = server_for(good_spec());
  auto options = trusting();
  options.settings.sni = "vpce-0abc.vpce-svc-0123.us-east-1.vpce.amazonaws.com";
  const auto result = run_targets({target(*server)}, options).only();
  EXPECT_EQ(result.outcome, Code::tls_hostname_mismatch);
  EXPECT_NE(result.message.find("good.test"), std::string::npos) << result.message;
  EXPECT_NE(result.hint.find("--sni good.test"), std::string::npos) << result.hint;
  EXPECT_NE(result.hint.find("not disable verification"), std::string::npos);
  ASSERT_TRUE(result.tls);
  EXPECT_FALSE(result.tls->verified);
}

TEST_F(TlsProbe, WrongIpLiteralIsAMismatchToo) {
  auto spec = good_spec();
  spec.ip_addresses = {"127.0.0.9"};
  auto server = server_for(spec);
  const auto result = run_targets({target(*server)}, trusting()).only();
  EXPECT_EQ(result.outcome, Code::tls_hostname_mismatch) << result.message;
}

TEST_F(TlsProbe, ExpiredCertificate) {
  auto spec = good_spec();
  spec.not_before = std::chrono::system_clock::now() - 48h;
  spec.not_after = std::chrono::system_clock::now() - 1h;
  auto server = server_for(spec);
  const auto result = run_targets({target(*server)}, trusting()).only();
  EXPECT_EQ(result.outcome, Code::tls_cert_expired);
  EXPECT_NE(result.message.find("expired on"), std::string::npos);
}

TEST_F(TlsProbe, NotYetValidCertificate) {
  auto spec = good_spec();
  spec.not_before = std::chrono::system_clock::now() + 2h;
  spec.not_after = std::chrono::system_clock::now() + 48h;
  auto server = server_for(spec);
  EXPECT_EQ(run_targets({target(*server)}, trusting()).only().outcome, Code::tls_cert_not_yet_valid);
}

TEST_F(TlsProbe, SelfSignedCertificateIsUntrusted) {
  auto spec = good_spec();
  spec.self_signed = true;
  auto server = server_for(spec);
  const auto result = run_targets({target(*server)}, trusting()).only();
  EXPECT_EQ(result.outcome, Code::tls_cert_untrusted);
  EXPECT_NE(result.hint.find("--ca"), std::string::npos);
}

TEST_F(TlsProbe, WithoutTheCaTheChainIsUntrusted) {
  auto server = server_for(good_spec());
  EngineOptions options;
  options.tls.ca_file = dir_->write("empty-bundle.pem", ca_->certificate_pem().substr(0, 0) + "\n").string();
  const auto run = run_targets({target(*server)}, options);
  // An empty bundle is not a usable CA file: that is a usage error, not a result.
  EXPECT_FALSE(run.status.ok());
  EngineOptions system_cas;  // the system's CAs never trust a test CA
  EXPECT_EQ(run_targets({target(*server)}, system_cas).only().outcome, Code::tls_cert_untrusted);
}

TEST_F(TlsProbe, UntrustedAndMismatchedReportsUntrustedFirstAndListsBoth) {
  auto spec = good_spec();
  spec.self_signed = true;
  auto server = server_for(spec);
  auto options = trusting();
  options.settings.sni = "other.test";
  const auto result = run_targets({target(*server)}, options).only();
  EXPECT_EQ(result.outcome, Code::tls_cert_untrusted);
  ASSERT_TRUE(result.tls);
  EXPECT_GE(result.tls->verify_errors.size(), 2u);
}

TEST_F(TlsProbe, InsecureReportsTheErrorsButDoesNotFail) {
  auto spec = good_spec();
  spec.self_signed = true;
  auto server = server_for(spec);
  auto options = trusting();
  options.tls.insecure = true;
  const auto result = run_targets({target(*server)}, options).only();
  EXPECT_EQ(result.outcome, Code::ok);
  ASSERT_TRUE(result.tls);
  EXPECT_FALSE(result.tls->verified);
  EXPECT_TRUE(result.tls->insecure);
  EXPECT_FALSE(result.tls->verify_errors.empty());
  EXPECT_NE(result.message.find("NOT verified"), std::string::npos) << result.message;
}

TEST_F(TlsProbe, ServerOfferingOnlyOldVersionsIsTooOld) {
  ASSERT_TRUE(TlsServer::tls_version_supported(TLS1_VERSION))
      << "this OpenSSL cannot speak TLS 1.0 even at security level 0";
  auto server = server_for(good_spec(), TLS1_VERSION, TLS1_1_VERSION);
  const auto result = run_targets({target(*server)}, trusting()).only();
  EXPECT_EQ(result.outcome, Code::tls_protocol_too_old) << result.message;
}

TEST_F(TlsProbe, AlpnIsOfferedAndTheSelectionReported) {
  auto issued = ca_->issue(good_spec());
  TlsServerOptions server_options;
  server_options.certificate_chain_pem = issued.chain_pem;
  server_options.private_key_pem = issued.private_key_pem;
  server_options.alpn = {"h2"};
  TlsServer server(server_options);
  auto options = trusting();
  options.tls.alpn = {"h2", "http/1.1"};
  const auto result = run_targets({target(server)}, options).only();
  ASSERT_EQ(result.outcome, Code::ok) << result.message;
  EXPECT_EQ(result.tls->alpn, "h2");
}

TEST_F(TlsProbe, PlaintextPortIsNamedAsSuch) {
  TcpListener ssh(ListenerBehaviour::accept_and_send, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
  const auto result = run_targets({fmt::format("tls://127.0.0.1:{}", ssh.port())}, trusting()).only();
  EXPECT_EQ(result.outcome, Code::tls_handshake_failed);
  EXPECT_NE(result.message.find("plaintext"), std::string::npos) << result.message;
}

TEST_F(TlsProbe, PeerThatNeverAnswersTimesOutAtTheDeadline) {
  TcpListener silent(ListenerBehaviour::accept_and_hold);
  auto options = trusting();
  options.timeout = 400ms;
  const auto result = run_targets({fmt::format("tls://127.0.0.1:{}", silent.port())}, options).only();
  EXPECT_EQ(result.outcome, Code::tls_timeout);
  EXPECT_GE(result.phases.total_ms, 400.0);
  EXPECT_LT(result.phases.total_ms, 400.0 * 1.25) << "ends at the deadline, give or take scheduling";
}

TEST_F(TlsProbe, PeerThatClosesOrResetsDuringTheHandshake) {
  TcpListener closing(ListenerBehaviour::accept_and_close);
  TcpListener resetting(ListenerBehaviour::accept_and_reset);
  auto run = run_targets({fmt::format("tls://127.0.0.1:{}", closing.port()),
                          fmt::format("tls://127.0.0.1:{}", resetting.port())},
                         trusting());
  ASSERT_EQ(run.results.size(), 2u);
  EXPECT_EQ(run.results[0].outcome, Code::tls_handshake_failed);
  EXPECT_NE(run.results[0].message.find("closed the connection"), std::string::npos) << run.results[0].message;
  EXPECT_TRUE(run.results[1].outcome == Code::tcp_reset || run.results[1].outcome == Code::tls_handshake_failed)
      << name(run.results[1].outcome) << ": " << run.results[1].message;
}

}  // namespace
}  // namespace plprobe::probes
