// A small scripted Kafka broker on loopback, for what librdkafka's mock
// cluster cannot do: SASL (rdkafka_mock.h 2.0.2 has no SaslHandshake or
// SaslAuthenticate), a listener that requires SASL before Metadata, and
// TLS listeners. It speaks ApiVersions v0-v3 (with the KIP-511 fallback),
// SaslHandshake v0-v1, SaslAuthenticate v0-v2 and Metadata v1-v12, and
// behaves like Kafka's SaslServerAuthenticator where the probe depends on
// it:
//   - a SASL listener answers an unknown mechanism with
//     UNSUPPORTED_SASL_MECHANISM and its list, then closes;
//   - a SASL listener closes the connection when Metadata comes before
//     authentication;
//   - a listener without SASL answers SaslHandshake with ILLEGAL_SASL_STATE
//     and keeps serving;
//   - failed authentication: SASL_AUTHENTICATION_FAILED with Kafka's
//     message, then close.
// The SCRAM server side is written here against OpenSSL directly (not
// with plprobe's client code), per RFC 5802 §3 and §5.
//
// Each broker advertises itself (advertised_host:its port) as node 1, or
// the list given in `brokers`. Runs on its own thread (ScriptedListener);
// stop() or the destructor ends every connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "probes/kafka/kafka_codec.h"
#include "tests/support/listeners.h"

namespace plprobe::testing {

struct FakeBrokerOptions {
  // Enabled SASL mechanisms: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512. Empty:
  // the listener does not do SASL (PLAINTEXT or SSL listener).
  std::vector<std::string> mechanisms;
  std::string user = "clickpipes";
  std::string password;
  int scram_iterations = 4096;
  std::string advertised_host = "127.0.0.1";
  // Brokers listed in Metadata; empty: just this one, as node 1.
  std::vector<probes::kafka::MetadataBroker> brokers;
  std::vector<std::string> topics = {"events"};
  // TLS listener when set (PEM chain and key, e.g. from CertificateAuthority).
  std::string certificate_chain_pem;
  std::string private_key_pem;
};

class FakeBroker {
 public:
  explicit FakeBroker(FakeBrokerOptions options);
  ~FakeBroker();
  FakeBroker(const FakeBroker&) = delete;
  FakeBroker& operator=(const FakeBroker&) = delete;

  std::uint16_t port() const { return listener_->port(); }
  std::uint64_t accepted() const { return listener_->accepted(); }
  // Connections that finished a SASL authentication successfully / that failed one.
  std::uint64_t authenticated() const { return authenticated_.load(); }
  std::uint64_t authentication_failures() const { return failures_.load(); }
  // Every SaslHandshake mechanism name received, in order.
  std::vector<std::string> handshakes() const;
  void stop() { listener_->stop(); }

 private:
  struct State;
  FakeBrokerOptions options_;
  std::atomic<std::uint64_t> authenticated_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::shared_ptr<State> state_;
  std::unique_ptr<ScriptedListener> listener_;
};

}  // namespace plprobe::testing
