#include "tests/support/tls_server.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/certs.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/watchdog.h"
#include "tests/unit/support/clients.h"

namespace plprobe::testing {
namespace {

using namespace std::chrono_literals;

// One CA and leaf for the whole file: key generation is the slow part.
struct Pki {
  CertificateAuthority ca = CertificateAuthority::create("plprobe test CA");
  IssuedCert leaf = ca.issue([] {
    LeafSpec spec;
    spec.common_name = "localhost";
    spec.dns_names = {"localhost"};
    spec.ip_addresses = {"127.0.0.1", "::1"};
    return spec;
  }());
};

const Pki& pki() {
  static const Pki instance;
  return instance;
}

TlsServerOptions server_options() {
  TlsServerOptions options;
  options.certificate_chain_pem = pki().leaf.chain_pem;
  options.private_key_pem = pki().leaf.private_key_pem;
  return options;
}

TlsClientOptions verifying_client() {
  TlsClientOptions options;
  options.ca_pem = pki().ca.certificate_pem();
  options.host = "localhost";
  return options;
}

TEST(TlsServer, CompletesATls13HandshakeThatTheClientVerifies) {
  Watchdog watchdog(10s, "TlsServer.CompletesATls13HandshakeThatTheClientVerifies");
  TlsServer server(server_options());
  TlsClient client(verifying_client());
  ASSERT_FALSE(client.connect_and_handshake(server.endpoint()));
  EXPECT_EQ(SSL_version(client.native()), TLS1_3_VERSION);
  EXPECT_TRUE(wait_until([&] { return server.handshakes_completed() == 1; }, 2s));
  EXPECT_EQ(server.accepted(), 1u);
  EXPECT_EQ(server.handshakes_failed(), 0u);
  EXPECT_EQ(server.last_server_name(), std::optional<std::string>("localhost"));
}

TEST(TlsServer, ClosesWithCloseNotifyAfterTheHandshakeByDefault) {
  Watchdog watchdog(10s, "TlsServer.ClosesWithCloseNotifyAfterTheHandshakeByDefault");
  TlsServer server(server_options());
  TlsClient client(verifying_client());
  ASSERT_FALSE(client.connect_and_handshake(server.endpoint()));
  std::string data;
  // A clean close_notify reads as EOF; a bare FIN would be stream_truncated.
  EXPECT_EQ(client.read_some(data), asio::error::eof);
  EXPECT_TRUE(data.empty());
}

TEST(TlsServer, EchoesApplicationData) {
  Watchdog watchdog(10s, "TlsServer.EchoesApplicationData");
  auto options = server_options();
  options.after_handshake = TlsServerOptions::After::echo;
  TlsServer server(options);
  TlsClient client(verifying_client());
  ASSERT_FALSE(client.connect_and_handshake(server.endpoint()));
  ASSERT_FALSE(client.write("ping\n"));
  std::string echoed;
  while (echoed.size() < 5) ASSERT_FALSE(client.read_some(echoed));
  EXPECT_EQ(echoed, "ping\n");
}

TEST(TlsServer, HoldSendsNothingAfterTheHandshake) {
  Watchdog watchdog(10s, "TlsServer.HoldSendsNothingAfterTheHandshake");
  auto options = server_options();
  options.after_handshake = TlsServerOptions::After::hold;
  TlsServer server(options);
  TlsClient client(verifying_client(), 300ms);
  ASSERT_FALSE(client.connect_and_handshake(server.endpoint()));
  std::string data;
  EXPECT_EQ(client.read_some(data), asio::error::timed_out);
}

TEST(TlsServer, SelectsTheFirstOfItsAlpnProtocolsThatTheClientOffers) {
  Watchdog watchdog(10s, "TlsServer.SelectsTheFirstOfItsAlpnProtocolsThatTheClientOffers");
  auto options = server_options();
  options.alpn = {"http/1.1", "h2"};
  TlsServer server(options);
  auto client_options = verifying_client();
  client_options.alpn = {"h2", "http/1.1"};
  TlsClient client(client_options);
  ASSERT_FALSE(client.connect_and_handshake(server.endpoint()));
  EXPECT_EQ(client.alpn(), "http/1.1");
  EXPECT_TRUE(wait_until([&] { return server.last_alpn() == "http/1.1"; }, 2s));
}

TEST(TlsServer, RefusesAClientWithNoCommonAlpnProtocol) {
  Watchdog watchdog(10s, "TlsServer.RefusesAClientWithNoCommonAlpnProtocol");
  auto options = server_options();
  options.alpn = {"http/1.1"};
  TlsServer server(options);
  auto client_options = verifying_client();
  client_options.alpn = {"h2"};
  TlsClient client(client_options);
  EXPECT_TRUE(client.connect_and_handshake(server.endpoint()));
  EXPECT_TRUE(wait_until([&] { return server.handshakes_failed() == 1; }, 2s));
}

TEST(TlsServer, TlsTenOnlyServerRefusesAClientWhoseMinimumIsTls12) {
  Watchdog watchdog(10s, "TlsServer.TlsTenOnlyServerRefusesAClientWhoseMinimumIsTls12");
  if (!TlsServer::tls10_supported()) GTEST_SKIP() << "this OpenSSL cannot speak TLS 1.0 at all";
  auto options = server_options();
  options.min_version = TLS1_VERSION;
  options.max_version = TLS1_VERSION;
  TlsServer server(options);

  auto modern = verifying_client();
  modern.min_version = TLS1_2_VERSION;
  TlsClient refused(modern);
  EXPECT_TRUE(refused.connect_and_handshake(server.endpoint()));
  EXPECT_TRUE(wait_until([&] { return server.handshakes_failed() == 1; }, 2s));

  auto legacy = verifying_client();
  legacy.min_version = TLS1_VERSION;
  legacy.legacy_ciphers = true;
  TlsClient accepted(legacy);
  ASSERT_FALSE(accepted.connect_and_handshake(server.endpoint()));
  EXPECT_EQ(SSL_version(accepted.native()), TLS1_VERSION);
}

TEST(TlsServer, ReportsWhichOldVersionsThisOpensslCanSpeak) {
  Watchdog watchdog(10s, "TlsServer.ReportsWhichOldVersionsThisOpensslCanSpeak");
  EXPECT_TRUE(TlsServer::tls_version_supported(TLS1_2_VERSION));
  EXPECT_TRUE(TlsServer::tls_version_supported(TLS1_3_VERSION));
  // Informational: which way this goes depends on the OpenSSL build.
  std::printf("TLS 1.0 supported here: %s; TLS 1.1: %s\n", TlsServer::tls10_supported() ? "yes" : "no",
              TlsServer::tls_version_supported(TLS1_1_VERSION) ? "yes" : "no");
  EXPECT_EQ(TlsServer::tls10_supported(), TlsServer::tls10_supported());  // cached, stable
}

TEST(TlsServer, SilentClientDoesNotBlockOthers) {
  Watchdog watchdog(10s, "TlsServer.SilentClientDoesNotBlockOthers");
  TlsServer server(server_options());
  RawClient silent(server.endpoint());
  ASSERT_EQ(silent.connect_error(), 0);
  ASSERT_TRUE(wait_until([&] { return server.accepted() == 1; }, 2s));
  TlsClient client(verifying_client());
  EXPECT_FALSE(client.connect_and_handshake(server.endpoint()));
}

TEST(TlsServer, ServesHundredsOfConcurrentClients) {
  Watchdog watchdog(30s, "TlsServer.ServesHundredsOfConcurrentClients");
  auto options = server_options();
  options.after_handshake = TlsServerOptions::After::hold;
  TlsServer server(options);
  // All clients connect and handshake at once from one io_context, and stay
  // connected: the server must interleave them all.
  constexpr int kClients = 300;
  asio::io_context io;
  asio::ssl::context context(asio::ssl::context::tls_client);
  context.add_certificate_authority(asio::buffer(pki().ca.certificate_pem()));
  context.set_verify_mode(asio::ssl::verify_peer);
  std::vector<std::unique_ptr<asio::ssl::stream<tcp::socket>>> streams;
  int completed = 0;
  for (int i = 0; i < kClients; ++i) {
    streams.push_back(std::make_unique<asio::ssl::stream<tcp::socket>>(io, context));
    auto& stream = *streams.back();
    stream.next_layer().async_connect(server.endpoint(), [&stream, &completed](const error_code& ec) {
      if (ec) return;
      stream.async_handshake(asio::ssl::stream_base::client, [&completed](const error_code& handshake_ec) {
        if (!handshake_ec) ++completed;
      });
    });
  }
  io.run_for(20s);
  EXPECT_EQ(completed, kClients);
  EXPECT_TRUE(wait_until([&] { return server.handshakes_completed() == kClients; }, 2s));
}

TEST(TlsServer, ConnectionLimitClosesAnIdleConnection) {
  Watchdog watchdog(10s, "TlsServer.ConnectionLimitClosesAnIdleConnection");
  auto options = server_options();
  options.connection_limit = 200ms;
  TlsServer server(options);
  RawClient silent(server.endpoint());
  const auto read = silent.read(1, 3s);
  EXPECT_FALSE(read.timed_out);
  EXPECT_TRUE(read.eof || read.error != 0);
}

TEST(TlsServer, StopEndsHeldConnectionsPromptly) {
  Watchdog watchdog(10s, "TlsServer.StopEndsHeldConnectionsPromptly");
  auto options = server_options();
  options.after_handshake = TlsServerOptions::After::hold;
  TlsServer server(options);
  TlsClient client(verifying_client());
  ASSERT_FALSE(client.connect_and_handshake(server.endpoint()));
  RawClient silent(server.endpoint());
  ASSERT_TRUE(wait_until([&] { return server.accepted() == 2; }, 2s));
  const auto started = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_FALSE(silent.read(1, 2s).timed_out);
  EXPECT_FALSE(tcp_port_open("127.0.0.1", server.port()));
  server.stop();  // idempotent
}

TEST(TlsServer, ListensOnIpv6Loopback) {
  Watchdog watchdog(10s, "TlsServer.ListensOnIpv6Loopback");
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no ::1 on this host";
  auto options = server_options();
  options.listen_address = "::1";
  TlsServer server(options);
  EXPECT_TRUE(server.endpoint().address().is_v6());
  TlsClient client(verifying_client());
  EXPECT_FALSE(client.connect_and_handshake(server.endpoint()));
}

TEST(TlsServer, RefusesToListenAnywhereButLoopback) {
  Watchdog watchdog(10s, "TlsServer.RefusesToListenAnywhereButLoopback");
  for (const char* address : {"0.0.0.0", "::", "192.0.2.1", "not an address"}) {
    auto options = server_options();
    options.listen_address = address;
    EXPECT_THROW(TlsServer server(options), std::invalid_argument) << address;
  }
}

TEST(TlsServer, RejectsAKeyThatDoesNotMatchTheCertificate) {
  Watchdog watchdog(10s, "TlsServer.RejectsAKeyThatDoesNotMatchTheCertificate");
  auto options = server_options();
  options.private_key_pem = KeyPair::generate().private_key_pem();
  EXPECT_THROW(TlsServer server(options), std::exception);
}

}  // namespace
}  // namespace plprobe::testing
