// The Kafka wire protocol, as far as plprobe speaks it: framing, request
// and response headers, ApiVersions, Metadata, SaslHandshake and
// SaslAuthenticate, in both directions (clients encode requests and decode
// responses; the test peers, the fuzz seeds and the benchmarks use the
// other direction).
//
// Reference: the Kafka protocol guide, https://kafka.apache.org/protocol
// ("Protocol Primitive Types", "Headers", "Api Keys", "Error Codes") and the
// message schemas in clients/src/main/resources/common/message/*.json of
// apache/kafka, which are the normative field lists. Flexible versions
// (compact strings and arrays, tagged fields) are KIP-482; ApiVersions v3
// and its fallback rule are KIP-511.
//
// Failure behaviour: every decoder is total. It reads through a Reader that
// checks each length against the bytes that are left, never reserves memory
// from a count the peer sent, caps element counts (kMax* below), and
// returns nullopt with one sentence in `error` for anything malformed. No
// exceptions (beyond std::bad_alloc), no undefined behaviour on any input;
// tests/fuzz/kafka_response_fuzz.cc holds it to that.
// Threading: pure functions and value types; safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace plprobe::probes::kafka {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
using Uuid = std::array<std::uint8_t, 16>;

// Protocol guide, "Api Keys".
namespace api {
inline constexpr std::int16_t metadata = 3;
inline constexpr std::int16_t sasl_handshake = 17;
inline constexpr std::int16_t api_versions = 18;
inline constexpr std::int16_t describe_cluster = 60;
inline constexpr std::int16_t sasl_authenticate = 36;
}  // namespace api

// Protocol guide, "Error Codes" (the ones plprobe reacts to by number).
namespace error {
inline constexpr std::int16_t none = 0;
inline constexpr std::int16_t unknown_topic_or_partition = 3;
inline constexpr std::int16_t leader_not_available = 5;
inline constexpr std::int16_t topic_authorization_failed = 29;
inline constexpr std::int16_t group_authorization_failed = 30;
inline constexpr std::int16_t cluster_authorization_failed = 31;
inline constexpr std::int16_t unsupported_sasl_mechanism = 33;
inline constexpr std::int16_t illegal_sasl_state = 34;
inline constexpr std::int16_t unsupported_version = 35;
inline constexpr std::int16_t sasl_authentication_failed = 58;
inline constexpr std::int16_t listener_not_found = 72;
inline constexpr std::int16_t unknown_topic_id = 100;
}  // namespace error

// "Metadata", "ApiVersions", ...; "ApiKey 1234" for keys plprobe has no name for.
std::string api_name(std::int16_t key);
// "UNKNOWN_TOPIC_OR_PARTITION", ...; "error 1234" for codes without a name.
std::string error_name(std::int16_t code);

// Largest response frame plprobe accepts. Kafka answers carry an int32
// length, so a hostile or confused peer can announce 2 GiB. Our answers are
// ApiVersions (about 1 KiB), SASL tokens (under 1 KiB) and Metadata, which
// for 100,000 partitions stays near 10 MiB; librdkafka's own default
// receive limit is 100 MB. 64 MiB admits every real cluster and keeps a
// bogus length from turning into a long read. Memory still grows only with
// the bytes that actually arrive (see Channel::read_frame).
inline constexpr std::int32_t kMaxFrameBytes = 64 * 1024 * 1024;

// Caps on decoded element counts. A frame under kMaxFrameBytes can still
// describe tens of millions of tiny elements whose in-memory form is ten
// times their wire size; these stop that long before it matters, far above
// any real cluster (MSK allows 30 brokers per cluster by default, Kafka's
// guidance is thousands of partitions per broker).
inline constexpr std::size_t kMaxBrokers = 10'000;
inline constexpr std::size_t kMaxTopics = 200'000;
inline constexpr std::size_t kMaxPartitions = 2'000'000;  // over all topics of one response
inline constexpr std::size_t kMaxApiKeys = 1'000;          // Kafka 4 defines fewer than 100
inline constexpr std::size_t kMaxMechanisms = 64;

// Versions plprobe can encode and decode. Metadata v0 is left out: it has
// no controller id and no rack, and "all topics" is an empty list there.
inline constexpr std::int16_t kApiVersionsMax = 3;
inline constexpr std::int16_t kMetadataMin = 1;
inline constexpr std::int16_t kMetadataMax = 12;
inline constexpr std::int16_t kSaslHandshakeMax = 1;
inline constexpr std::int16_t kSaslAuthenticateMax = 2;

// Whether a request of this key and version uses the flexible format
// (KIP-482): compact types, tagged fields, request header v2.
bool is_flexible(std::int16_t api_key, std::int16_t version);
// Response header version 1 (with tagged fields) goes with flexible
// versions, except for ApiVersions, whose response header is always v0 so
// that a client can read it before it knows what the broker speaks (KIP-511).
bool response_header_is_flexible(std::int16_t api_key, std::int16_t version);

// ---- Primitive types (protocol guide, "Protocol Primitive Types") ----

// Appends big-endian primitives; never fails.
class Writer {
 public:
  void i8(std::int8_t value);
  void i16(std::int16_t value);
  void i32(std::int32_t value);
  void i64(std::int64_t value);
  void boolean(bool value) { i8(value ? 1 : 0); }
  void uvarint(std::uint32_t value);
  void uuid(const Uuid& value);
  // STRING / NULLABLE_STRING (int16 length) or COMPACT_(NULLABLE_)STRING (uvarint length + 1).
  void string(std::string_view value, bool compact);
  void nullable_string(const std::optional<std::string>& value, bool compact);
  // BYTES (int32 length) or COMPACT_BYTES.
  void bytes(ByteView value, bool compact);
  // ARRAY length (int32, -1 = null) or COMPACT_ARRAY (uvarint N + 1, 0 = null).
  void array_length(std::int32_t count, bool compact);
  // An empty TAGGED_FIELDS section (KIP-482): what plprobe writes in every flexible struct.
  void no_tagged_fields() { uvarint(0); }
  void raw(ByteView value) { data_.insert(data_.end(), value.begin(), value.end()); }

  Bytes& data() { return data_; }
  Bytes take() { return std::move(data_); }

 private:
  Bytes data_;
};

// Reads big-endian primitives with every access bounds-checked. The first
// failure sticks: later reads return zero values and ok() stays false, so
// decoders read straight through and check once at the end of each element.
class Reader {
 public:
  explicit Reader(ByteView data) : data_(data) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::size_t remaining() const { return data_.size() - position_; }
  std::size_t position() const { return position_; }
  void fail(std::string why);

  std::int8_t i8();
  std::int16_t i16();
  std::int32_t i32();
  std::int64_t i64();
  bool boolean();
  std::uint32_t uvarint();  // at most 5 bytes (a uint32)
  Uuid uuid();
  std::string string(bool compact, std::string_view what);
  std::optional<std::string> nullable_string(bool compact, std::string_view what);
  Bytes bytes(bool compact, std::string_view what);
  std::optional<Bytes> nullable_bytes(bool compact, std::string_view what);
  // An array length: the count, or -1 for null when `nullable`. Fails when
  // the count exceeds `max_count`, or when `count * min_element_bytes` is
  // more than what is left (so a count can never promise more elements than
  // the frame holds).
  std::int32_t array_length(bool compact, std::size_t min_element_bytes, std::size_t max_count, std::string_view what,
                            bool nullable = false);
  // Skips a TAGGED_FIELDS section (KIP-482): tags plprobe does not know are ignored.
  void skip_tagged_fields();
  ByteView rest();  // everything not read yet; the reader is then at the end

 private:
  bool need(std::size_t count, std::string_view what);
  ByteView data_;
  std::size_t position_ = 0;
  std::string error_;
};

// ---- Headers (protocol guide, "Headers") ----

// Request header v1: api_key, api_version, correlation_id, client_id
// (NULLABLE_STRING); v2 adds TAGGED_FIELDS. client_id stays a classic
// string even in v2 (KIP-482, "Request header").
struct RequestHeader {
  std::int16_t api_key = 0;
  std::int16_t api_version = 0;
  std::int32_t correlation_id = 0;
  std::optional<std::string> client_id;
};

// A whole request frame: int32 size, header (v1 or v2 after is_flexible), body.
Bytes encode_request(const RequestHeader& header, ByteView body);

// A request frame's payload (after the size): its header and where the body starts.
struct DecodedRequest {
  RequestHeader header;
  ByteView body;
};
std::optional<DecodedRequest> decode_request(ByteView payload, std::string& error);

// A whole response frame: int32 size, correlation id, [tagged fields], body.
Bytes encode_response(std::int32_t correlation_id, bool flexible_header, ByteView body);

// A response frame's payload: the correlation id and the body after the header.
struct DecodedResponse {
  std::int32_t correlation_id = 0;
  ByteView body;
};
std::optional<DecodedResponse> decode_response(ByteView payload, bool flexible_header, std::string& error);

// Reads a frame's 4-byte size. nullopt (and `error`) when it cannot be a
// Kafka frame: negative, shorter than a correlation id, or above
// kMaxFrameBytes. The error names what the bytes look like when they are
// recognisably another protocol (a TLS record, HTTP, SSH).
std::optional<std::int32_t> check_frame_size(ByteView prefix4, std::string& error);
// "a TLS record (this port expects TLS: use kafka+tls://)", "HTTP", ...; empty when unrecognised.
std::string recognise_foreign_bytes(ByteView first_bytes);

// ---- ApiVersions (key 18), KIP-35 and KIP-511 ----
// Request v0-v2: empty. v3 (flexible): client_software_name COMPACT_STRING,
// client_software_version COMPACT_STRING, TAGGED_FIELDS.
// Response: error_code INT16, api_keys [api_key INT16, min_version INT16,
// max_version INT16 (+TAGGED_FIELDS in v3)], throttle_time_ms INT32 (v1+),
// TAGGED_FIELDS (v3; SupportedFeatures and friends are tagged and skipped).
// KIP-511: a broker that does not support the request's version answers in
// the v0 layout with UNSUPPORTED_VERSION and (usually) its own ApiVersions
// range, so the client can retry with a version both speak.

struct ApiVersionRange {
  std::int16_t api_key = 0;
  std::int16_t min_version = 0;
  std::int16_t max_version = 0;
  bool operator==(const ApiVersionRange&) const = default;
};

struct ApiVersionsResponse {
  std::int16_t error_code = 0;
  std::vector<ApiVersionRange> api_keys;
  std::int32_t throttle_time_ms = 0;
  bool operator==(const ApiVersionsResponse&) const = default;

  const ApiVersionRange* find(std::int16_t api_key) const;
};

Bytes encode_api_versions_request(std::int16_t version, std::string_view software_name,
                                  std::string_view software_version);
// For an UNSUPPORTED_VERSION answer the layout is v0's whatever `version`
// was; if even that does not parse, the result has the error code and no
// api_keys (the caller then falls back to v0), rather than failing.
std::optional<ApiVersionsResponse> decode_api_versions_response(ByteView body, std::int16_t version,
                                                                std::string& error);
Bytes encode_api_versions_response(std::int16_t version, const ApiVersionsResponse& response);

// ---- Metadata (key 3), MetadataRequest.json / MetadataResponse.json ----
// Request: topics [topic_id UUID (v10+), name STRING (nullable v10+)]
// (null = all topics, v1+), allow_auto_topic_creation BOOLEAN (v4+),
// include_cluster_authorized_operations BOOLEAN (v8-v10),
// include_topic_authorized_operations BOOLEAN (v8+). Flexible from v9.
// Response: throttle_time_ms INT32 (v3+), brokers [node_id INT32, host
// STRING, port INT32, rack NULLABLE_STRING (v1+)], cluster_id
// NULLABLE_STRING (v2+), controller_id INT32 (v1+), topics [error_code
// INT16, name STRING (nullable v12+), topic_id UUID (v10+), is_internal
// BOOLEAN (v1+), partitions [error_code INT16, partition_index INT32,
// leader_id INT32, leader_epoch INT32 (v7+), replica_nodes [INT32],
// isr_nodes [INT32], offline_replicas [INT32] (v5+)],
// topic_authorized_operations INT32 (v8+)], cluster_authorized_operations
// INT32 (v8-v10). Every struct ends with TAGGED_FIELDS from v9.

struct MetadataRequest {
  std::optional<std::vector<std::string>> topics;  // nullopt: all topics
  bool allow_auto_topic_creation = false;           // plprobe never creates topics
  bool include_topic_authorized_operations = false;
  bool operator==(const MetadataRequest&) const = default;
};

struct MetadataBroker {
  std::int32_t node_id = 0;
  std::string host;
  std::int32_t port = 0;
  std::optional<std::string> rack;
  bool operator==(const MetadataBroker&) const = default;
};

struct MetadataPartition {
  std::int16_t error_code = 0;
  std::int32_t partition_index = 0;
  std::int32_t leader_id = -1;
  std::int32_t leader_epoch = -1;
  std::vector<std::int32_t> replica_nodes;
  std::vector<std::int32_t> isr_nodes;
  std::vector<std::int32_t> offline_replicas;
  bool operator==(const MetadataPartition&) const = default;
};

struct MetadataTopic {
  std::int16_t error_code = 0;
  std::optional<std::string> name;
  Uuid topic_id{};
  bool is_internal = false;
  std::vector<MetadataPartition> partitions;
  std::int32_t topic_authorized_operations = INT32_MIN;
  bool operator==(const MetadataTopic&) const = default;
};

struct MetadataResponse {
  std::int32_t throttle_time_ms = 0;
  std::vector<MetadataBroker> brokers;
  std::optional<std::string> cluster_id;
  std::int32_t controller_id = -1;
  std::vector<MetadataTopic> topics;
  std::int32_t cluster_authorized_operations = INT32_MIN;
  bool operator==(const MetadataResponse&) const = default;
};

Bytes encode_metadata_request(std::int16_t version, const MetadataRequest& request);
std::optional<MetadataRequest> decode_metadata_request(ByteView body, std::int16_t version, std::string& error);
std::optional<MetadataResponse> decode_metadata_response(ByteView body, std::int16_t version, std::string& error);
Bytes encode_metadata_response(std::int16_t version, const MetadataResponse& response);

// ---- SaslHandshake (key 17), KIP-43; v1 (KIP-152) means the SASL tokens
// that follow travel in SaslAuthenticate requests ----
// Request: mechanism STRING. Response: error_code INT16, mechanisms [STRING].

struct SaslHandshakeResponse {
  std::int16_t error_code = 0;
  std::vector<std::string> mechanisms;
  bool operator==(const SaslHandshakeResponse&) const = default;
};

Bytes encode_sasl_handshake_request(std::int16_t version, std::string_view mechanism);
std::optional<std::string> decode_sasl_handshake_request(ByteView body, std::int16_t version, std::string& error);
std::optional<SaslHandshakeResponse> decode_sasl_handshake_response(ByteView body, std::int16_t version,
                                                                    std::string& error);
Bytes encode_sasl_handshake_response(std::int16_t version, const SaslHandshakeResponse& response);

// ---- SaslAuthenticate (key 36), KIP-152 ----
// Request: auth_bytes BYTES. Response: error_code INT16, error_message
// NULLABLE_STRING, auth_bytes BYTES, session_lifetime_ms INT64 (v1+,
// KIP-368). Flexible from v2.

struct SaslAuthenticateResponse {
  std::int16_t error_code = 0;
  std::optional<std::string> error_message;
  Bytes auth_bytes;
  std::int64_t session_lifetime_ms = 0;
  bool operator==(const SaslAuthenticateResponse&) const = default;
};

Bytes encode_sasl_authenticate_request(std::int16_t version, ByteView auth_bytes);
std::optional<Bytes> decode_sasl_authenticate_request(ByteView body, std::int16_t version, std::string& error);
std::optional<SaslAuthenticateResponse> decode_sasl_authenticate_response(ByteView body, std::int16_t version,
                                                                          std::string& error);
Bytes encode_sasl_authenticate_response(std::int16_t version, const SaslAuthenticateResponse& response);

}  // namespace plprobe::probes::kafka
