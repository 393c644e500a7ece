// The Kafka codec: round trips at every version plprobe speaks, bytes laid
// out by hand from the protocol guide, bytes captured from librdkafka's
// mock broker, and hostile input.
#include "probes/kafka/kafka_codec.h"

#include <string>

#include <gtest/gtest.h>

namespace plprobe::probes::kafka {
namespace {

Bytes bytes_of(std::initializer_list<int> values) {
  Bytes out;
  for (int value : values) out.push_back(static_cast<std::uint8_t>(value));
  return out;
}

void append(Bytes& out, std::string_view text) { out.insert(out.end(), text.begin(), text.end()); }

MetadataResponse rich_metadata() {
  MetadataResponse response;
  response.throttle_time_ms = 7;
  response.brokers = {{1, "b-1.events.xuy0sb.c5.kafka.us-east-1.amazonaws.com", 9096, "use1-az1"},
                      {2, "b-2.events.xuy0sb.c5.kafka.us-east-1.amazonaws.com", 9096, std::nullopt},
                      {3, "10.0.3.17", 9096, "use1-az3"}};
  response.cluster_id = "xuy0sb-cluster";
  response.controller_id = 2;
  MetadataTopic events;
  events.name = "events";
  events.topic_id = Uuid{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  events.partitions = {{0, 0, 1, 5, {1, 2, 3}, {1, 2}, {3}}, {0, 1, 2, 6, {2, 3, 1}, {2, 3, 1}, {}}};
  events.topic_authorized_operations = 0x0f;
  MetadataTopic offsets;
  offsets.name = "__consumer_offsets";
  offsets.is_internal = true;
  MetadataTopic missing;
  missing.error_code = error::unknown_topic_or_partition;
  missing.name = "gone";
  response.topics = {events, offsets, missing};
  response.cluster_authorized_operations = 0x33;
  return response;
}

// What a version can carry: fields that do not exist at `version` keep
// their defaults after a round trip.
MetadataResponse expected_at(MetadataResponse response, std::int16_t version) {
  if (version < 3) response.throttle_time_ms = 0;
  if (version < 2) response.cluster_id.reset();
  for (auto& broker : response.brokers) {
    if (version < 1) broker.rack.reset();
  }
  for (auto& topic : response.topics) {
    if (version < 10) topic.topic_id = Uuid{};
    if (version < 8) topic.topic_authorized_operations = INT32_MIN;
    for (auto& partition : topic.partitions) {
      if (version < 7) partition.leader_epoch = -1;
      if (version < 5) partition.offline_replicas.clear();
    }
  }
  if (version < 8 || version > 10) response.cluster_authorized_operations = INT32_MIN;
  return response;
}

TEST(KafkaCodec, MetadataResponseRoundTripsAtEveryVersion) {
  for (std::int16_t version = kMetadataMin; version <= kMetadataMax; ++version) {
    const auto expected = expected_at(rich_metadata(), version);
    const Bytes body = encode_metadata_response(version, rich_metadata());
    std::string error;
    auto decoded = decode_metadata_response(body, version, error);
    ASSERT_TRUE(decoded) << "v" << version << ": " << error;
    EXPECT_EQ(*decoded, expected) << "v" << version;
  }
}

TEST(KafkaCodec, MetadataRequestRoundTripsAtEveryVersion) {
  for (std::int16_t version = kMetadataMin; version <= kMetadataMax; ++version) {
    for (const bool all : {true, false}) {
      MetadataRequest request;
      if (!all) request.topics = std::vector<std::string>{"events", "orders"};
      request.allow_auto_topic_creation = false;
      request.include_topic_authorized_operations = version >= 8;
      std::string error;
      auto decoded = decode_metadata_request(encode_metadata_request(version, request), version, error);
      ASSERT_TRUE(decoded) << "v" << version << ": " << error;
      EXPECT_EQ(decoded->topics, request.topics) << "v" << version;
      if (version >= 4) {
        EXPECT_FALSE(decoded->allow_auto_topic_creation) << "v" << version;
      } else {
        EXPECT_TRUE(decoded->allow_auto_topic_creation) << "before v4 brokers may auto-create: that is why the probe "
                                                           "asks for all topics there";
      }
    }
  }
}

TEST(KafkaCodec, MetadataRequestV1ForAllTopicsIsANullArray) {
  // MetadataRequest v1: topics ARRAY, null (-1) = all topics.
  EXPECT_EQ(encode_metadata_request(1, MetadataRequest{}), bytes_of({0xff, 0xff, 0xff, 0xff}));
  // v9 (flexible): COMPACT_ARRAY null = uvarint 0, then
  // allow_auto_topic_creation, include_cluster/topic_authorized_operations, tagged fields.
  EXPECT_EQ(encode_metadata_request(9, MetadataRequest{}), bytes_of({0x00, 0x00, 0x00, 0x00, 0x00}));
}

TEST(KafkaCodec, ApiVersionsResponseRoundTripsAtEveryVersion) {
  ApiVersionsResponse response;
  response.api_keys = {{api::metadata, 0, 12}, {api::api_versions, 0, 3}, {api::sasl_handshake, 0, 1}};
  response.throttle_time_ms = 9;
  for (std::int16_t version = 0; version <= kApiVersionsMax; ++version) {
    std::string error;
    auto decoded = decode_api_versions_response(encode_api_versions_response(version, response), version, error);
    ASSERT_TRUE(decoded) << "v" << version << ": " << error;
    auto expected = response;
    if (version == 0) expected.throttle_time_ms = 0;
    EXPECT_EQ(*decoded, expected) << "v" << version;
  }
}

TEST(KafkaCodec, ApiVersionsV3ResponseFromTheProtocolGuideWithTaggedFeatures) {
  // error_code 0, api_keys COMPACT_ARRAY of 2 (uvarint 3), each
  // {api_key, min, max, tagged fields}, throttle_time_ms, then a tagged
  // field section with SupportedFeatures (tag 0) of 3 bytes, which plprobe skips.
  Bytes body = bytes_of({0x00, 0x00, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x12, 0x00, 0x00, 0x00,
                         0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 0xaa, 0xbb, 0xcc});
  std::string error;
  auto decoded = decode_api_versions_response(body, 3, error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->error_code, 0);
  ASSERT_EQ(decoded->api_keys.size(), 2u);
  EXPECT_EQ(decoded->api_keys[0], (ApiVersionRange{api::metadata, 0, 12}));
  EXPECT_EQ(decoded->api_keys[1], (ApiVersionRange{api::api_versions, 0, 3}));
  EXPECT_EQ(decoded->throttle_time_ms, 0);
}

TEST(KafkaCodec, UnsupportedVersionAnswerIsReadInTheV0Layout) {
  // KIP-511: a v3 request the broker does not support is answered with a v0
  // body: UNSUPPORTED_VERSION and the broker's own ApiVersions range.
  const Bytes body = bytes_of({0x00, 0x23, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x02});
  std::string error;
  auto decoded = decode_api_versions_response(body, 3, error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->error_code, error::unsupported_version);
  ASSERT_EQ(decoded->api_keys.size(), 1u);
  EXPECT_EQ(decoded->api_keys[0], (ApiVersionRange{api::api_versions, 0, 2}));
}

TEST(KafkaCodec, UnsupportedVersionAnswerFromLibrdkafkasMockStillSaysRetry) {
  // Captured from librdkafka 2.0.2's mock broker answering ApiVersions v3:
  // error 35, then a one-byte count and an entry in neither layout. The
  // decoder keeps the error code so the probe retries with v0.
  const Bytes body = bytes_of({0x00, 0x23, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00});
  std::string error;
  auto decoded = decode_api_versions_response(body, 3, error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->error_code, error::unsupported_version);
  EXPECT_TRUE(decoded->api_keys.empty());
}

TEST(KafkaCodec, ApiVersionsV3RequestCarriesTheClientSoftware) {
  // client_software_name and _version as COMPACT_STRING, then empty tagged fields.
  Bytes expected = bytes_of({0x08});
  append(expected, "plprobe");
  expected.push_back(0x06);
  append(expected, "0.1.0");
  expected.push_back(0x00);
  EXPECT_EQ(encode_api_versions_request(3, "plprobe", "0.1.0"), expected);
  EXPECT_TRUE(encode_api_versions_request(2, "plprobe", "0.1.0").empty());
}

TEST(KafkaCodec, RequestHeaderV1AndV2) {
  // Header v1: size, api_key, api_version, correlation_id, client_id STRING.
  Bytes v1 = encode_request({api::metadata, 2, 7, std::string("plprobe")}, bytes_of({0xff, 0xff, 0xff, 0xff}));
  Bytes expected = bytes_of({0x00, 0x00, 0x00, 0x15, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00, 0x07, 0x00, 0x07});
  append(expected, "plprobe");
  for (int i = 0; i < 4; ++i) expected.push_back(0xff);
  EXPECT_EQ(v1, expected);
  // Header v2 (flexible requests): the same plus an empty tagged-field section.
  Bytes v2 = encode_request({api::api_versions, 3, 1, std::string("p")}, {});
  EXPECT_EQ(v2, bytes_of({0x00, 0x00, 0x00, 0x0c, 0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'p', 0x00}));
  std::string error;
  auto decoded = decode_request(ByteView(v2).subspan(4), error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->header.api_key, api::api_versions);
  EXPECT_EQ(decoded->header.api_version, 3);
  EXPECT_EQ(decoded->header.correlation_id, 1);
  EXPECT_EQ(decoded->header.client_id, std::optional<std::string>("p"));
  EXPECT_TRUE(decoded->body.empty());
}

TEST(KafkaCodec, ResponseHeaderKeepsApiVersionsAtV0) {
  EXPECT_FALSE(response_header_is_flexible(api::api_versions, 3));
  EXPECT_TRUE(response_header_is_flexible(api::metadata, 9));
  EXPECT_FALSE(response_header_is_flexible(api::metadata, 8));
  EXPECT_FALSE(response_header_is_flexible(api::sasl_handshake, 1));
  EXPECT_TRUE(response_header_is_flexible(api::sasl_authenticate, 2));
  const Bytes frame = encode_response(42, true, bytes_of({0xab}));
  EXPECT_EQ(frame, bytes_of({0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x2a, 0x00, 0xab}));
  std::string error;
  auto decoded = decode_response(ByteView(frame).subspan(4), true, error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->correlation_id, 42);
  EXPECT_EQ(decoded->body.size(), 1u);
}

TEST(KafkaCodec, SaslMessagesRoundTrip) {
  SaslHandshakeResponse handshake{error::unsupported_sasl_mechanism, {"SCRAM-SHA-512", "PLAIN"}};
  std::string error;
  auto decoded_handshake = decode_sasl_handshake_response(encode_sasl_handshake_response(1, handshake), 1, error);
  ASSERT_TRUE(decoded_handshake) << error;
  EXPECT_EQ(*decoded_handshake, handshake);
  EXPECT_EQ(decode_sasl_handshake_request(encode_sasl_handshake_request(1, "PLAIN"), 1, error), "PLAIN");

  for (std::int16_t version = 0; version <= kSaslAuthenticateMax; ++version) {
    SaslAuthenticateResponse response{error::sasl_authentication_failed, "Authentication failed", bytes_of({1, 2, 3}),
                                      version >= 1 ? 3600000 : 0};
    auto decoded = decode_sasl_authenticate_response(encode_sasl_authenticate_response(version, response), version, error);
    ASSERT_TRUE(decoded) << "v" << version << ": " << error;
    EXPECT_EQ(*decoded, response) << "v" << version;
    const Bytes token = bytes_of({'n', ',', ','});
    EXPECT_EQ(decode_sasl_authenticate_request(encode_sasl_authenticate_request(version, token), version, error), token);
  }
}

TEST(KafkaCodec, FrameSizesThatCannotBeKafkaAreNamed) {
  std::string error;
  EXPECT_EQ(check_frame_size(bytes_of({0x00, 0x00, 0x01, 0x00}), error), 256);
  // 2 GiB: the int32 is negative.
  EXPECT_FALSE(check_frame_size(bytes_of({0x80, 0x00, 0x00, 0x00}), error));
  EXPECT_NE(error.find("negative"), std::string::npos) << error;
  EXPECT_FALSE(check_frame_size(bytes_of({0x7f, 0xff, 0xff, 0xff}), error));
  EXPECT_NE(error.find("limit"), std::string::npos) << error;
  EXPECT_FALSE(check_frame_size(bytes_of({0x04, 0x00, 0x00, 0x01}), error)) << "one byte above 64 MiB";
  EXPECT_TRUE(check_frame_size(bytes_of({0x04, 0x00, 0x00, 0x00}), error)) << "exactly 64 MiB";
  EXPECT_FALSE(check_frame_size(bytes_of({0x00, 0x00, 0x00, 0x03}), error));
  EXPECT_FALSE(check_frame_size(bytes_of({0x15, 0x03, 0x03, 0x00}), error));
  EXPECT_NE(error.find("kafka+tls"), std::string::npos) << error;
  EXPECT_FALSE(check_frame_size(bytes_of({'H', 'T', 'T', 'P'}), error));
  EXPECT_NE(error.find("HTTP"), std::string::npos) << error;
}

TEST(KafkaCodec, CountsThatPromiseMoreThanTheFrameHoldsAreRefusedBeforeAnyAllocation) {
  // Metadata v1: 0 brokers... no: a broker count of 2^31-1 with 6 bytes left.
  Bytes body = bytes_of({0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0});
  std::string error;
  EXPECT_FALSE(decode_metadata_response(body, 1, error));
  EXPECT_NE(error.find("brokers"), std::string::npos) << error;
  // A flexible count near 2^32 (uvarint 0xffffffff) for api_keys.
  body = bytes_of({0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f});
  EXPECT_FALSE(decode_api_versions_response(body, 3, error));
  // A varint longer than five bytes.
  body = bytes_of({0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01});
  EXPECT_FALSE(decode_api_versions_response(body, 3, error));
  // A string that claims 30000 bytes with 3 left.
  body = bytes_of({0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x75, 0x30, 'a', 'b', 'c'});
  EXPECT_FALSE(decode_metadata_response(body, 1, error));
  // A negative string length other than -1.
  body = bytes_of({0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0xff, 0xfe});
  EXPECT_FALSE(decode_metadata_response(body, 1, error));
  // A non-nullable array sent as null.
  body = bytes_of({0x00, 0x00, 0xff, 0xff, 0xff, 0xff});
  EXPECT_FALSE(decode_api_versions_response(body, 1, error));
}

TEST(KafkaCodec, EveryTruncationOfAValidAnswerFailsCleanly) {
  for (std::int16_t version : {std::int16_t{1}, std::int16_t{7}, std::int16_t{9}, std::int16_t{12}}) {
    const Bytes body = encode_metadata_response(version, rich_metadata());
    for (std::size_t cut = 0; cut < body.size(); ++cut) {
      std::string error;
      const auto decoded = decode_metadata_response(ByteView(body).first(cut), version, error);
      EXPECT_FALSE(decoded) << "v" << version << " cut at " << cut;
      EXPECT_FALSE(error.empty());
    }
  }
}

TEST(KafkaCodec, NamesForApisAndErrors) {
  EXPECT_EQ(api_name(api::metadata), "Metadata");
  EXPECT_EQ(api_name(api::sasl_authenticate), "SaslAuthenticate");
  EXPECT_EQ(api_name(999), "ApiKey 999");
  EXPECT_EQ(error_name(3), "UNKNOWN_TOPIC_OR_PARTITION");
  EXPECT_EQ(error_name(58), "SASL_AUTHENTICATION_FAILED");
  EXPECT_EQ(error_name(72), "LISTENER_NOT_FOUND");
  EXPECT_EQ(error_name(-1), "UNKNOWN_SERVER_ERROR");
  EXPECT_EQ(error_name(4242), "error 4242");
}

}  // namespace
}  // namespace plprobe::probes::kafka
