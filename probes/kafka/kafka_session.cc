#include "probes/kafka/kafka_session.h"

#include <algorithm>

#include <fmt/format.h>

#include "probes/kafka/kafka_sasl.h"

namespace plprobe::probes::kafka {
namespace {

// A mechanism name no broker enables, so that SaslHandshake lists the
// enabled ones (SaslHandshakeResponse.mechanisms) without starting one.
constexpr std::string_view kListMechanisms = "PLPROBE-LIST-MECHANISMS";

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? std::string("none") : out;
}

Status decode_failure(Channel& channel, std::string_view what, const std::string& why) {
  return Status::failure(Code::kafka_protocol_error,
                         fmt::format("{} sent a malformed {} answer: {}", channel.connection().peer_text(), what, why));
}

Status kafka_error(Channel& channel, std::string_view what, std::int16_t code, const std::optional<std::string>& text) {
  return Status::failure(code_for_error(code),
                         fmt::format("{} answered {} with {}{}", channel.connection().peer_text(), what, error_name(code),
                                     text && !text->empty() ? fmt::format(" ({})", *text) : std::string()));
}

}  // namespace

Code code_for_error(std::int16_t kafka_error) {
  switch (kafka_error) {
    case error::none:
      return Code::ok;
    case error::topic_authorization_failed:
    case error::group_authorization_failed:
    case error::cluster_authorization_failed:
    case error::sasl_authentication_failed:
    case 53:  // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      return Code::kafka_auth_failed;
    case error::unsupported_sasl_mechanism:
    case error::illegal_sasl_state:
      return Code::kafka_sasl_mechanism_unsupported;
    case error::unknown_topic_or_partition:
    case error::unknown_topic_id:
      return Code::kafka_topic_missing;
    default:
      return Code::kafka_protocol_error;
  }
}

std::int16_t usable_version(const ApiVersionsResponse& apis, std::int16_t api_key, std::int16_t our_min,
                            std::int16_t our_max) {
  const auto* range = apis.find(api_key);
  if (range == nullptr) return -1;
  const std::int16_t high = std::min(range->max_version, our_max);
  const std::int16_t low = std::max(range->min_version, our_min);
  return high >= low ? high : -1;
}

awaitable<Status> negotiate_api_versions(Channel& channel, std::int16_t first_version, ApiVersionsResult& out) {
  std::int16_t version = std::clamp<std::int16_t>(first_version, 0, kApiVersionsMax);
  for (int attempt = 1; attempt <= 2; ++attempt) {
    out.attempts = attempt;
    Response response;
    Status status = co_await channel.call(
        api::api_versions, version, encode_api_versions_request(version, kClientId, client_software_version()), response);
    if (!status.ok()) co_return status;
    std::string problem;
    auto decoded = decode_api_versions_response(response.body(), version, problem);
    if (!decoded) co_return decode_failure(channel, fmt::format("ApiVersions v{}", version), problem);
    if (decoded->error_code == error::unsupported_version && attempt == 1 && version > 0) {
      // KIP-511: retry at the broker's own highest ApiVersions version,
      // or v0, which every broker since 0.10 answers.
      const auto* own = decoded->find(api::api_versions);
      version = own ? std::clamp<std::int16_t>(own->max_version, 0, static_cast<std::int16_t>(version - 1)) : 0;
      continue;
    }
    if (decoded->error_code != error::none) {
      co_return kafka_error(channel, fmt::format("ApiVersions v{}", version), decoded->error_code, std::nullopt);
    }
    out.version = version;
    out.response = std::move(*decoded);
    co_return Status::success();
  }
  co_return Status::failure(Code::kafka_protocol_error,
                            fmt::format("{} refused every ApiVersions version plprobe offered",
                                        channel.connection().peer_text()));
}

namespace {

// One SaslAuthenticate round trip: sends `token`, returns the broker's token.
awaitable<Status> authenticate_round(Channel& channel, std::int16_t version, std::string_view token,
                                     std::string& reply, SaslResult& out) {
  Response response;
  const ByteView bytes(reinterpret_cast<const std::uint8_t*>(token.data()), token.size());
  Status status =
      co_await channel.call(api::sasl_authenticate, version, encode_sasl_authenticate_request(version, bytes), response);
  if (!status.ok()) co_return status;
  std::string problem;
  auto decoded = decode_sasl_authenticate_response(response.body(), version, problem);
  if (!decoded) co_return decode_failure(channel, "SaslAuthenticate", problem);
  if (decoded->error_code != error::none) {
    co_return kafka_error(channel, fmt::format("SaslAuthenticate ({})", out.mechanism), decoded->error_code,
                          decoded->error_message);
  }
  out.session_lifetime_ms = decoded->session_lifetime_ms;
  reply.assign(decoded->auth_bytes.begin(), decoded->auth_bytes.end());
  co_return Status::success();
}

awaitable<Status> handshake(Channel& channel, const ApiVersionsResponse& apis, std::string_view mechanism,
                            SaslResult& out, std::int16_t& handshake_version) {
  handshake_version = usable_version(apis, api::sasl_handshake, 0, kSaslHandshakeMax);
  if (handshake_version < 0) {
    co_return Status::failure(
        Code::kafka_sasl_mechanism_unsupported,
        fmt::format("{} does not offer SASL at all (no SaslHandshake in its ApiVersions)", channel.connection().peer_text()),
        "This listener takes no SASL: drop --sasl-mechanism, or probe the port of the SASL listener "
        "(MSK: 9096 for SASL/SCRAM).");
  }
  Response response;
  Status status = co_await channel.call(api::sasl_handshake, handshake_version,
                                        encode_sasl_handshake_request(handshake_version, mechanism), response);
  if (!status.ok()) co_return status;
  std::string problem;
  auto decoded = decode_sasl_handshake_response(response.body(), handshake_version, problem);
  if (!decoded) co_return decode_failure(channel, "SaslHandshake", problem);
  out.handshake_answered = true;
  out.enabled = decoded->mechanisms;
  const std::int16_t code = decoded->error_code;
  if (code != error::none && code != error::unsupported_sasl_mechanism && code != error::illegal_sasl_state) {
    co_return kafka_error(channel, "SaslHandshake", code, std::nullopt);
  }
  if (code == error::illegal_sasl_state) {
    out.listener_without_sasl = true;
    co_return Status::failure(
        Code::kafka_sasl_mechanism_unsupported,
        fmt::format("{} is not a SASL listener (it answered SaslHandshake with ILLEGAL_SASL_STATE)",
                    channel.connection().peer_text()),
        "This port takes no SASL: probe it without --sasl-mechanism, or use the SASL listener's port "
        "(MSK: 9096 SASL/SCRAM, 9098 IAM).");
  }
  co_return Status::success();
}

}  // namespace

awaitable<Status> authenticate(Channel& channel, const ApiVersionsResponse& apis, const KafkaSettings& settings,
                               SaslResult& out) {
  out.mechanism = settings.sasl_mechanism;
  std::int16_t handshake_version = 0;
  Status status = co_await handshake(channel, apis, settings.sasl_mechanism, out, handshake_version);
  if (!status.ok()) co_return status;
  const std::string peer = channel.connection().peer_text();
  // UNSUPPORTED_SASL_MECHANISM comes with the list of what is enabled.
  if (std::find(out.enabled.begin(), out.enabled.end(), settings.sasl_mechanism) == out.enabled.end()) {
    co_return Status::failure(Code::kafka_sasl_mechanism_unsupported,
                              fmt::format("{} does not enable {}; it enables {}", peer, settings.sasl_mechanism,
                                          join(out.enabled)));
  }
  if (handshake_version < 1) {
    co_return Status::failure(Code::kafka_protocol_error,
                              fmt::format("{} speaks only SaslHandshake v0 (Kafka before 1.0), whose raw SASL "
                                          "tokens plprobe does not send",
                                          peer),
                              "Upgrade the brokers; every supported Kafka speaks SaslHandshake v1 (KIP-152).");
  }
  const std::int16_t version = usable_version(apis, api::sasl_authenticate, 0, kSaslAuthenticateMax);
  if (version < 0) {
    co_return Status::failure(Code::kafka_protocol_error,
                              fmt::format("{} accepted SaslHandshake v1 but lists no SaslAuthenticate version", peer));
  }

  std::string reply;
  if (settings.sasl_mechanism == "PLAIN") {
    std::string token = plain_initial_response(settings.sasl_user, settings.sasl_password);
    status = co_await authenticate_round(channel, version, token, reply, out);
    std::fill(token.begin(), token.end(), '\0');
    if (!status.ok()) co_return status;
    out.authenticated = true;
    co_return Status::success();
  }
  const auto hash = scram_hash_for(settings.sasl_mechanism);
  if (!hash) {
    co_return Status::failure(Code::kafka_sasl_mechanism_unsupported,
                              fmt::format("plprobe cannot authenticate with {} (it speaks PLAIN, SCRAM-SHA-256 and "
                                          "SCRAM-SHA-512)",
                                          settings.sasl_mechanism),
                              "Use PLAIN or SCRAM; for MSK IAM (port 9098) probe the SCRAM (9096) or TLS (9094) "
                              "listener instead.");
  }
  ScramClient scram(*hash, settings.sasl_user, settings.sasl_password);
  status = co_await authenticate_round(channel, version, scram.client_first(), reply, out);
  if (!status.ok()) co_return status;
  std::string problem;
  const auto final_message = scram.client_final(reply, problem);
  if (!final_message) {
    co_return Status::failure(Code::kafka_auth_failed, fmt::format("{}: SCRAM exchange failed: {}", peer, problem));
  }
  status = co_await authenticate_round(channel, version, *final_message, reply, out);
  if (!status.ok()) co_return status;
  if (!scram.verify_server_final(reply, problem)) {
    co_return Status::failure(Code::kafka_auth_failed, fmt::format("{}: {}", peer, problem),
                              "The broker accepted the proof but could not prove that it knows the credentials: "
                              "something between you and the broker answers in its place.");
  }
  out.authenticated = true;
  co_return Status::success();
}

awaitable<Status> list_mechanisms(Channel& channel, const ApiVersionsResponse& apis, SaslResult& out) {
  std::int16_t handshake_version = 0;
  Status status = co_await handshake(channel, apis, kListMechanisms, out, handshake_version);
  // UNSUPPORTED_SASL_MECHANISM (with the list) is the expected answer, and
  // ILLEGAL_SASL_STATE says just as clearly that this listener has none.
  co_return out.handshake_answered && (status.ok() || out.listener_without_sasl) ? Status::success() : status;
}

awaitable<Status> fetch_metadata(Channel& channel, const ApiVersionsResponse& apis, const std::string& topic,
                                 MetadataResult& out) {
  const std::string peer = channel.connection().peer_text();
  const std::int16_t version = usable_version(apis, api::metadata, kMetadataMin, kMetadataMax);
  if (version < 0) {
    const auto* range = apis.find(api::metadata);
    co_return Status::failure(
        Code::kafka_protocol_error,
        range ? fmt::format("{} serves Metadata v{}-v{}; plprobe speaks v{}-v{}", peer, range->min_version,
                            range->max_version, kMetadataMin, kMetadataMax)
              : fmt::format("{} lists no Metadata API in its ApiVersions answer", peer));
  }
  MetadataRequest request;
  request.allow_auto_topic_creation = false;
  out.all_topics = topic.empty() || version < 4;
  if (!out.all_topics) request.topics = std::vector<std::string>{topic};
  Response response;
  Status status = co_await channel.call(api::metadata, version, encode_metadata_request(version, request), response);
  if (!status.ok()) co_return status;
  std::string problem;
  auto decoded = decode_metadata_response(response.body(), version, problem);
  if (!decoded) co_return decode_failure(channel, fmt::format("Metadata v{}", version), problem);
  out.version = version;
  out.response = std::move(*decoded);
  co_return Status::success();
}

std::string broker_software_hint(const ApiVersionsResponse& apis) {
  const auto* metadata = apis.find(api::metadata);
  const auto* own = apis.find(api::api_versions);
  if (metadata && metadata->min_version >= 4) {
    return "Apache Kafka 4.0 or newer (Metadata below v4 no longer served, KIP-896)";
  }
  if (apis.find(api::describe_cluster)) return "Apache Kafka 2.8 or newer (DescribeCluster, KIP-700)";
  if (own && own->max_version >= 3) return "Apache Kafka 2.4 or newer (ApiVersions v3, KIP-511)";
  if (!apis.find(api::sasl_handshake)) {
    return "not a full Kafka broker: every Apache Kafka broker lists SaslHandshake; this looks like a proxy or a "
           "test broker (librdkafka's mock cluster answers like this)";
  }
  return "Apache Kafka before 2.4";
}

Json api_versions_facts(const ApiVersionsResult& result) {
  Json apis = Json::array();
  for (const auto& range : result.response.api_keys) {
    apis.push_back({{"key", range.api_key},
                    {"name", api_name(range.api_key)},
                    {"min", range.min_version},
                    {"max", range.max_version}});
  }
  return {{"version", result.version},
          {"attempts", result.attempts},
          {"broker_software", broker_software_hint(result.response)},
          {"apis", std::move(apis)}};
}

Json sasl_facts(const SaslResult& result, bool offered) {
  Json facts = {{"offered", offered}};
  if (!result.mechanism.empty()) facts["mechanism"] = result.mechanism;
  if (result.handshake_answered) {
    facts["listener_sasl"] = !result.listener_without_sasl;
    facts["enabled"] = result.enabled;
  }
  if (!result.mechanism.empty()) facts["authenticated"] = result.authenticated;
  if (result.authenticated && result.session_lifetime_ms > 0) facts["session_lifetime_ms"] = result.session_lifetime_ms;
  return facts;
}

}  // namespace plprobe::probes::kafka
