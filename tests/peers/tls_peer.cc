// plprobe_tls_peer: real TLS servers on loopback with certificates made at
// start, for the demo and for end-to-end tests. One process serves every
// kind of certificate problem at once:
//
//   plprobe_tls_peer --dir DIR [--name NAME]...
//
// writes DIR/ca.crt (the CA that issued the good certificate), prints one
// JSON line {"ca": PATH, "good": PORT, "wrong_name": PORT, "expired": PORT,
// "self_signed": PORT, "tls10": PORT|null} and serves until standard input
// closes or SIGINT/SIGTERM arrives. The good certificate names every --name
// (default "localhost") and 127.0.0.1; the wrong-name one names
// other.example only. Every server listens on 127.0.0.1 only.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/certs.h"
#include "tests/support/tls_server.h"

namespace {

using plprobe::testing::CertificateAuthority;
using plprobe::testing::LeafSpec;
using plprobe::testing::TlsServer;
using plprobe::testing::TlsServerOptions;

std::unique_ptr<TlsServer> serve(const plprobe::testing::IssuedCert& issued, int min_version = TLS1_2_VERSION,
                                 int max_version = 0) {
  TlsServerOptions options;
  options.certificate_chain_pem = issued.chain_pem;
  options.private_key_pem = issued.private_key_pem;
  options.min_version = min_version;
  options.max_version = max_version;
  options.after_handshake = TlsServerOptions::After::close;
  return std::make_unique<TlsServer>(options);
}

volatile sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

int usage() {
  std::fprintf(stderr, "usage: plprobe_tls_peer --dir DIR [--name NAME]...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (arg == "--name" && i + 1 < argc) {
      names.emplace_back(argv[++i]);
    } else {
      return usage();
    }
  }
  if (dir.empty()) return usage();
  if (names.empty()) names.emplace_back("localhost");

  try {
    const auto now = std::chrono::system_clock::now();
    auto ca = CertificateAuthority::create("plprobe demo CA");
    const auto ca_path = ca.write_certificate(dir, "ca.crt");

    LeafSpec good;
    good.common_name = names.front();
    good.dns_names = names;
    good.ip_addresses = {"127.0.0.1"};
    LeafSpec wrong_name;
    wrong_name.common_name = "other.example";
    wrong_name.dns_names = {"other.example"};
    LeafSpec expired = good;
    expired.not_before = now - std::chrono::hours(24 * 30);
    expired.not_after = now - std::chrono::hours(24);
    LeafSpec self_signed = good;
    self_signed.self_signed = true;

    auto good_server = serve(ca.issue(good));
    auto wrong_server = serve(ca.issue(wrong_name));
    auto expired_server = serve(ca.issue(expired));
    auto self_signed_server = serve(ca.issue(self_signed));
    std::unique_ptr<TlsServer> tls10_server;
    if (TlsServer::tls10_supported()) tls10_server = serve(ca.issue(good), TLS1_VERSION, TLS1_1_VERSION);

    nlohmann::json ports = {
        {"ca", ca_path.string()},
        {"good", good_server->port()},
        {"wrong_name", wrong_server->port()},
        {"expired", expired_server->port()},
        {"self_signed", self_signed_server->port()},
        {"tls10", tls10_server ? nlohmann::json(tls10_server->port()) : nlohmann::json(nullptr)},
    };
    std::printf("%s\n", ports.dump().c_str());
    std::fflush(stdout);

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    // Serve until stdin closes (the parent went away) or a signal arrives.
    while (!stop_requested) {
      pollfd input{STDIN_FILENO, POLLIN, 0};
      const int ready = poll(&input, 1, 200);
      if (ready > 0) {
        char buffer[256];
        if (read(STDIN_FILENO, buffer, sizeof buffer) <= 0) break;
      }
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "plprobe_tls_peer: %s\n", error.what());
    return 1;
  }
  return 0;
}
