#include "tests/unit/kafka/fake_broker.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <mutex>

#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

namespace plprobe::testing {

namespace kafka = probes::kafka;
using kafka::Bytes;

struct FakeBroker::State {
  std::mutex mutex;
  std::vector<std::string> handshakes;
  std::unique_ptr<asio::ssl::context> tls;
};

namespace {

using Buffer = std::vector<unsigned char>;

std::string b64(const Buffer& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Buffer unb64(const std::string& text) {
  Buffer out(text.size());
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return {};
  std::size_t padding = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

Buffer hmac(const EVP_MD* md, const Buffer& key, const std::string& data) {
  Buffer out(EVP_MAX_MD_SIZE);
  unsigned n = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       out.data(), &n);
  out.resize(n);
  return out;
}

Buffer hash(const EVP_MD* md, const Buffer& data) {
  Buffer out(EVP_MAX_MD_SIZE);
  unsigned n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, md, nullptr);
  out.resize(n);
  return out;
}

std::string attribute(const std::string& message, char key) {
  std::size_t start = 0;
  while (start <= message.size()) {
    const auto comma = message.find(',', start);
    const std::string item = message.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.size() >= 2 && item[0] == key && item[1] == '=') return item.substr(2);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return {};
}

// One SCRAM conversation, server side (RFC 5802 §3, §5).
struct ScramServer {
  const EVP_MD* md = nullptr;
  std::string client_first_bare;
  std::string server_first;
  std::string nonce;
  Buffer salt = {'p', 'l', 'p', 'r', 'o', 'b', 'e', '-', 't', 'e', 's', 't', 's', 'a', 'l', 't'};
};

template <typename Stream>
awaitable<bool> read_frame(Stream& stream, Bytes& payload) {
  std::uint8_t size_bytes[4];
  error_code ec;
  co_await asio::async_read(stream, asio::buffer(size_bytes), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return false;
  const std::uint32_t size = (std::uint32_t{size_bytes[0]} << 24) | (std::uint32_t{size_bytes[1]} << 16) |
                             (std::uint32_t{size_bytes[2]} << 8) | size_bytes[3];
  if (size > (1u << 20)) co_return false;
  payload.resize(size);
  co_await asio::async_read(stream, asio::buffer(payload), asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

template <typename Stream>
awaitable<void> send(Stream& stream, std::int32_t correlation_id, bool flexible, const Bytes& body) {
  const Bytes frame = kafka::encode_response(correlation_id, flexible, body);
  error_code ec;
  co_await asio::async_write(stream, asio::buffer(frame), asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace

FakeBroker::FakeBroker(FakeBrokerOptions options) : options_(std::move(options)), state_(std::make_shared<State>()) {
  if (!options_.certificate_chain_pem.empty()) {
    state_->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    state_->tls->use_certificate_chain(asio::buffer(options_.certificate_chain_pem));
    state_->tls->use_private_key(asio::buffer(options_.private_key_pem), asio::ssl::context::pem);
  }

  auto serve = [this](auto& stream) -> awaitable<void> {
    namespace api = kafka::api;
    bool authenticated = false;
    std::string mechanism;
    ScramServer scram;
    int scram_step = 0;
    Bytes payload;
    std::string problem;
    while (co_await read_frame(stream, payload)) {
      auto request = kafka::decode_request(payload, problem);
      if (!request) co_return;
      const auto key = request->header.api_key;
      const auto version = request->header.api_version;
      const auto correlation = request->header.correlation_id;
      const bool flexible = kafka::response_header_is_flexible(key, version);

      if (key == api::api_versions) {
        kafka::ApiVersionsResponse answer;
        answer.api_keys = {{api::metadata, 1, 12}, {api::sasl_handshake, 0, 1}, {api::api_versions, 0, 3},
                           {api::sasl_authenticate, 0, 2}};
        if (version > 3) answer.error_code = kafka::error::unsupported_version;
        co_await send(stream, correlation, false, kafka::encode_api_versions_response(version, answer));
        continue;
      }
      if (key == api::sasl_handshake) {
        auto asked = kafka::decode_sasl_handshake_request(request->body, version, problem);
        if (!asked) co_return;
        {
          std::lock_guard lock(state_->mutex);
          state_->handshakes.push_back(*asked);
        }
        kafka::SaslHandshakeResponse answer;
        answer.mechanisms = options_.mechanisms;
        if (options_.mechanisms.empty()) {
          // KafkaApis on a listener without SASL: an error, connection kept.
          answer.error_code = kafka::error::illegal_sasl_state;
          co_await send(stream, correlation, false, kafka::encode_sasl_handshake_response(version, answer));
          continue;
        }
        const bool enabled = std::find(options_.mechanisms.begin(), options_.mechanisms.end(), *asked) !=
                             options_.mechanisms.end();
        if (!enabled) answer.error_code = kafka::error::unsupported_sasl_mechanism;
        co_await send(stream, correlation, false, kafka::encode_sasl_handshake_response(version, answer));
        if (!enabled) co_return;  // SaslServerAuthenticator closes after refusing
        mechanism = *asked;
        continue;
      }
      if (key == api::sasl_authenticate) {
        auto token = kafka::decode_sasl_authenticate_request(request->body, version, problem);
        if (!token || mechanism.empty()) co_return;
        const std::string text(token->begin(), token->end());
        kafka::SaslAuthenticateResponse answer;
        bool failed = false;
        if (mechanism == "PLAIN") {
          const std::string expected = std::string(1, '\0') + options_.user + std::string(1, '\0') + options_.password;
          failed = text != expected;
          if (!failed) authenticated = true;
        } else if (scram_step == 0) {
          scram.md = mechanism == "SCRAM-SHA-512" ? EVP_sha512() : EVP_sha256();
          if (!text.starts_with("n,,")) co_return;
          scram.client_first_bare = text.substr(3);
          if (attribute(scram.client_first_bare, 'n') != options_.user) failed = true;
          scram.nonce = attribute(scram.client_first_bare, 'r') + "fAkEsErVeRnOnCe";
          scram.server_first = "r=" + scram.nonce + ",s=" + b64(scram.salt) + ",i=" +
                               std::to_string(options_.scram_iterations);
          answer.auth_bytes.assign(scram.server_first.begin(), scram.server_first.end());
          scram_step = 1;
        } else {
          const auto proof_at = text.find(",p=");
          if (proof_at == std::string::npos || attribute(text, 'r') != scram.nonce) co_return;
          const std::string without_proof = text.substr(0, proof_at);
          const Buffer proof = unb64(text.substr(proof_at + 3));
          const std::string auth_message = scram.client_first_bare + "," + scram.server_first + "," + without_proof;
          Buffer salted(static_cast<std::size_t>(EVP_MD_get_size(scram.md)));
          PKCS5_PBKDF2_HMAC(options_.password.data(), static_cast<int>(options_.password.size()), scram.salt.data(),
                            static_cast<int>(scram.salt.size()), options_.scram_iterations, scram.md,
                            static_cast<int>(salted.size()), salted.data());
          const Buffer stored_key = hash(scram.md, hmac(scram.md, salted, "Client Key"));
          const Buffer client_signature = hmac(scram.md, stored_key, auth_message);
          Buffer client_key(proof.size());
          for (std::size_t i = 0; i < proof.size() && i < client_signature.size(); ++i) {
            client_key[i] = proof[i] ^ client_signature[i];
          }
          failed = proof.size() != client_signature.size() || hash(scram.md, client_key) != stored_key;
          if (!failed) {
            const std::string final_message =
                "v=" + b64(hmac(scram.md, hmac(scram.md, salted, "Server Key"), auth_message));
            answer.auth_bytes.assign(final_message.begin(), final_message.end());
            authenticated = true;
          }
        }
        if (failed) {
          ++failures_;
          answer.error_code = kafka::error::sasl_authentication_failed;
          answer.error_message = mechanism == "PLAIN"
                                     ? "Authentication failed: Invalid username or password"
                                     : "Authentication failed during authentication due to invalid credentials with "
                                       "SASL mechanism " + mechanism;
          answer.auth_bytes.clear();
        } else if (authenticated) {
          ++authenticated_;
          answer.session_lifetime_ms = 3'600'000;
        }
        co_await send(stream, correlation, kafka::response_header_is_flexible(key, version),
                      kafka::encode_sasl_authenticate_response(version, answer));
        if (failed) co_return;
        continue;
      }
      if (key == api::metadata) {
        // SaslServerAuthenticator: anything but ApiVersions and SASL before
        // authentication ends the connection.
        if (!options_.mechanisms.empty() && !authenticated) co_return;
        auto asked = kafka::decode_metadata_request(request->body, version, problem);
        if (!asked) co_return;
        kafka::MetadataResponse answer;
        answer.cluster_id = "fake-cluster";
        answer.controller_id = 1;
        answer.brokers = options_.brokers;
        if (answer.brokers.empty()) answer.brokers = {{1, options_.advertised_host, port(), "az-1"}};
        auto add_topic = [&](const std::string& name, bool known) {
          kafka::MetadataTopic topic;
          topic.name = name;
          if (!known) {
            topic.error_code = kafka::error::unknown_topic_or_partition;
          } else {
            for (int p = 0; p < 2; ++p) topic.partitions.push_back({0, p, answer.brokers.front().node_id, 0, {1}, {1}, {}});
          }
          answer.topics.push_back(std::move(topic));
        };
        if (asked->topics) {
          for (const auto& name : *asked->topics) {
            add_topic(name, std::find(options_.topics.begin(), options_.topics.end(), name) != options_.topics.end());
          }
        } else {
          for (const auto& name : options_.topics) add_topic(name, true);
        }
        co_await send(stream, correlation, flexible, kafka::encode_metadata_response(version, answer));
        continue;
      }
      co_return;  // an API this broker does not speak
    }
  };

  listener_ = std::make_unique<ScriptedListener>([this, serve](tcp::socket& socket) -> awaitable<void> {
    if (state_->tls) {
      asio::ssl::stream<tcp::socket&> tls(socket, *state_->tls);
      error_code ec;
      co_await tls.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      co_await serve(tls);
    } else {
      co_await serve(socket);
    }
  });
}

FakeBroker::~FakeBroker() { listener_->stop(); }

std::vector<std::string> FakeBroker::handshakes() const {
  std::lock_guard lock(state_->mutex);
  return state_->handshakes;
}

}  // namespace plprobe::testing
