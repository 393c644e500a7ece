#include "probes/kafka/kafka_codec.h"

#include <algorithm>
#include <array>
#include <limits>

#include <fmt/format.h>

namespace plprobe::probes::kafka {
namespace {

// Protocol guide, "Api Keys" (Kafka 3.x numbering; keys never change meaning).
constexpr std::array<std::string_view, 69> kApiNames = {
    "Produce", "Fetch", "ListOffsets", "Metadata", "LeaderAndIsr", "StopReplica", "UpdateMetadata",
    "ControlledShutdown", "OffsetCommit", "OffsetFetch", "FindCoordinator", "JoinGroup", "Heartbeat", "LeaveGroup",
    "SyncGroup", "DescribeGroups", "ListGroups", "SaslHandshake", "ApiVersions", "CreateTopics", "DeleteTopics",
    "DeleteRecords", "InitProducerId", "OffsetForLeaderEpoch", "AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn",
    "WriteTxnMarkers", "TxnOffsetCommit", "DescribeAcls", "CreateAcls", "DeleteAcls", "DescribeConfigs",
    "AlterConfigs", "AlterReplicaLogDirs", "DescribeLogDirs", "SaslAuthenticate", "CreatePartitions",
    "CreateDelegationToken", "RenewDelegationToken", "ExpireDelegationToken", "DescribeDelegationToken",
    "DeleteGroups", "ElectLeaders", "IncrementalAlterConfigs", "AlterPartitionReassignments",
    "ListPartitionReassignments", "OffsetDelete", "DescribeClientQuotas", "AlterClientQuotas",
    "DescribeUserScramCredentials", "AlterUserScramCredentials", "Vote", "BeginQuorumEpoch", "EndQuorumEpoch",
    "DescribeQuorum", "AlterPartition", "UpdateFeatures", "Envelope", "FetchSnapshot", "DescribeCluster",
    "DescribeProducers", "BrokerRegistration", "BrokerHeartbeat", "UnregisterBroker", "DescribeTransactions",
    "ListTransactions", "AllocateProducerIds", "ConsumerGroupHeartbeat",
};

// Protocol guide, "Error Codes", 0..97 (Kafka's own names).
constexpr std::array<std::string_view, 98> kErrorNames = {
    "NONE", "OFFSET_OUT_OF_RANGE", "CORRUPT_MESSAGE", "UNKNOWN_TOPIC_OR_PARTITION", "INVALID_FETCH_SIZE",
    "LEADER_NOT_AVAILABLE", "NOT_LEADER_OR_FOLLOWER", "REQUEST_TIMED_OUT", "BROKER_NOT_AVAILABLE",
    "REPLICA_NOT_AVAILABLE", "MESSAGE_TOO_LARGE", "STALE_CONTROLLER_EPOCH", "OFFSET_METADATA_TOO_LARGE",
    "NETWORK_EXCEPTION", "COORDINATOR_LOAD_IN_PROGRESS", "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR",
    "INVALID_TOPIC_EXCEPTION", "RECORD_LIST_TOO_LARGE", "NOT_ENOUGH_REPLICAS", "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
    "INVALID_REQUIRED_ACKS", "ILLEGAL_GENERATION", "INCONSISTENT_GROUP_PROTOCOL", "INVALID_GROUP_ID",
    "UNKNOWN_MEMBER_ID", "INVALID_SESSION_TIMEOUT", "REBALANCE_IN_PROGRESS", "INVALID_COMMIT_OFFSET_SIZE",
    "TOPIC_AUTHORIZATION_FAILED", "GROUP_AUTHORIZATION_FAILED", "CLUSTER_AUTHORIZATION_FAILED", "INVALID_TIMESTAMP",
    "UNSUPPORTED_SASL_MECHANISM", "ILLEGAL_SASL_STATE", "UNSUPPORTED_VERSION", "TOPIC_ALREADY_EXISTS",
    "INVALID_PARTITIONS", "INVALID_REPLICATION_FACTOR", "INVALID_REPLICA_ASSIGNMENT", "INVALID_CONFIG",
    "NOT_CONTROLLER", "INVALID_REQUEST", "UNSUPPORTED_FOR_MESSAGE_FORMAT", "POLICY_VIOLATION",
    "OUT_OF_ORDER_SEQUENCE_NUMBER", "DUPLICATE_SEQUENCE_NUMBER", "INVALID_PRODUCER_EPOCH", "INVALID_TXN_STATE",
    "INVALID_PRODUCER_ID_MAPPING", "INVALID_TRANSACTION_TIMEOUT", "CONCURRENT_TRANSACTIONS",
    "TRANSACTION_COORDINATOR_FENCED", "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", "SECURITY_DISABLED",
    "OPERATION_NOT_ATTEMPTED", "KAFKA_STORAGE_ERROR", "LOG_DIR_NOT_FOUND", "SASL_AUTHENTICATION_FAILED",
    "UNKNOWN_PRODUCER_ID", "REASSIGNMENT_IN_PROGRESS", "DELEGATION_TOKEN_AUTH_DISABLED", "DELEGATION_TOKEN_NOT_FOUND",
    "DELEGATION_TOKEN_OWNER_MISMATCH", "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED",
    "DELEGATION_TOKEN_AUTHORIZATION_FAILED", "DELEGATION_TOKEN_EXPIRED", "INVALID_PRINCIPAL_TYPE", "NON_EMPTY_GROUP",
    "GROUP_ID_NOT_FOUND", "FETCH_SESSION_ID_NOT_FOUND", "INVALID_FETCH_SESSION_EPOCH", "LISTENER_NOT_FOUND",
    "TOPIC_DELETION_DISABLED", "FENCED_LEADER_EPOCH", "UNKNOWN_LEADER_EPOCH", "UNSUPPORTED_COMPRESSION_TYPE",
    "STALE_BROKER_EPOCH", "OFFSET_NOT_AVAILABLE", "MEMBER_ID_REQUIRED", "PREFERRED_LEADER_NOT_AVAILABLE",
    "GROUP_MAX_SIZE_REACHED", "FENCED_INSTANCE_ID", "ELIGIBLE_LEADERS_NOT_AVAILABLE", "ELECTION_NOT_NEEDED",
    "NO_REASSIGNMENT_IN_PROGRESS", "GROUP_SUBSCRIBED_TO_TOPIC", "INVALID_RECORD", "UNSTABLE_OFFSET_COMMIT",
    "THROTTLING_QUOTA_EXCEEDED", "PRODUCER_FENCED", "RESOURCE_NOT_FOUND", "DUPLICATE_RESOURCE",
    "UNACCEPTABLE_CREDENTIAL", "INCONSISTENT_VOTER_SET", "INVALID_UPDATE_VERSION", "FEATURE_UPDATE_FAILED",
    "PRINCIPAL_DESERIALIZATION_FAILURE",
};

constexpr std::size_t kMinBrokerBytes = 9;      // node_id, 1-byte compact host, port
constexpr std::size_t kMinTopicBytes = 4;       // error_code, 1-byte name, 1-byte partitions
constexpr std::size_t kMinPartitionBytes = 12;  // error_code, index, leader, two 1-byte arrays
constexpr std::size_t kApiKeyEntryBytes = 6;    // api_key, min_version, max_version

}  // namespace

std::string api_name(std::int16_t key) {
  if (key >= 0 && static_cast<std::size_t>(key) < kApiNames.size()) return std::string(kApiNames[key]);
  return fmt::format("ApiKey {}", key);
}

std::string error_name(std::int16_t code) {
  if (code == -1) return "UNKNOWN_SERVER_ERROR";
  if (code == error::unknown_topic_id) return "UNKNOWN_TOPIC_ID";
  if (code >= 0 && static_cast<std::size_t>(code) < kErrorNames.size()) return std::string(kErrorNames[code]);
  return fmt::format("error {}", code);
}

bool is_flexible(std::int16_t api_key, std::int16_t version) {
  switch (api_key) {
    case api::api_versions:
      return version >= 3;
    case api::metadata:
      return version >= 9;
    case api::sasl_authenticate:
      return version >= 2;
    default:
      return false;  // SaslHandshake never became flexible
  }
}

bool response_header_is_flexible(std::int16_t api_key, std::int16_t version) {
  return api_key != api::api_versions && is_flexible(api_key, version);
}

// ---- Writer ----

void Writer::i8(std::int8_t value) { data_.push_back(static_cast<std::uint8_t>(value)); }

void Writer::i16(std::int16_t value) {
  const auto bits = static_cast<std::uint16_t>(value);
  data_.push_back(static_cast<std::uint8_t>(bits >> 8));
  data_.push_back(static_cast<std::uint8_t>(bits));
}

void Writer::i32(std::int32_t value) {
  const auto bits = static_cast<std::uint32_t>(value);
  for (int shift = 24; shift >= 0; shift -= 8) data_.push_back(static_cast<std::uint8_t>(bits >> shift));
}

void Writer::i64(std::int64_t value) {
  const auto bits = static_cast<std::uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) data_.push_back(static_cast<std::uint8_t>(bits >> shift));
}

void Writer::uvarint(std::uint32_t value) {
  while (value >= 0x80) {
    data_.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  data_.push_back(static_cast<std::uint8_t>(value));
}

void Writer::uuid(const Uuid& value) { data_.insert(data_.end(), value.begin(), value.end()); }

void Writer::string(std::string_view value, bool compact) {
  if (compact) {
    uvarint(static_cast<std::uint32_t>(value.size() + 1));
  } else {
    i16(static_cast<std::int16_t>(std::min<std::size_t>(value.size(), 0x7fff)));
    value = value.substr(0, 0x7fff);  // STRING cannot say more; the peers never send that much
  }
  data_.insert(data_.end(), value.begin(), value.end());
}

void Writer::nullable_string(const std::optional<std::string>& value, bool compact) {
  if (value) {
    string(*value, compact);
  } else if (compact) {
    uvarint(0);
  } else {
    i16(-1);
  }
}

void Writer::bytes(ByteView value, bool compact) {
  if (compact) {
    uvarint(static_cast<std::uint32_t>(value.size() + 1));
  } else {
    i32(static_cast<std::int32_t>(value.size()));
  }
  raw(value);
}

void Writer::array_length(std::int32_t count, bool compact) {
  if (compact) {
    uvarint(count < 0 ? 0u : static_cast<std::uint32_t>(count) + 1);
  } else {
    i32(count);
  }
}

// ---- Reader ----

void Reader::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
  position_ = data_.size();
}

bool Reader::need(std::size_t count, std::string_view what) {
  if (!ok()) return false;
  if (remaining() < count) {
    fail(fmt::format("the answer ends inside {} (needs {} more bytes, {} left)", what, count, remaining()));
    return false;
  }
  return true;
}

std::int8_t Reader::i8() {
  if (!need(1, "an INT8")) return 0;
  return static_cast<std::int8_t>(data_[position_++]);
}

std::int16_t Reader::i16() {
  if (!need(2, "an INT16")) return 0;
  const auto value = static_cast<std::uint16_t>((data_[position_] << 8) | data_[position_ + 1]);
  position_ += 2;
  return static_cast<std::int16_t>(value);
}

std::int32_t Reader::i32() {
  if (!need(4, "an INT32")) return 0;
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | data_[position_ + static_cast<std::size_t>(i)];
  position_ += 4;
  return static_cast<std::int32_t>(value);
}

std::int64_t Reader::i64() {
  if (!need(8, "an INT64")) return 0;
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | data_[position_ + static_cast<std::size_t>(i)];
  position_ += 8;
  return static_cast<std::int64_t>(value);
}

bool Reader::boolean() { return i8() != 0; }

std::uint32_t Reader::uvarint() {
  std::uint32_t value = 0;
  for (int shift = 0; shift <= 28; shift += 7) {
    if (!need(1, "an UNSIGNED_VARINT")) return 0;
    const std::uint8_t byte = data_[position_++];
    // The fifth byte may only carry the top 4 bits of a uint32.
    if (shift == 28 && (byte & 0xf0) != 0) {
      fail("an UNSIGNED_VARINT does not fit in 32 bits");
      return 0;
    }
    value |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  fail("an UNSIGNED_VARINT does not fit in 32 bits");
  return 0;
}

Uuid Reader::uuid() {
  Uuid value{};
  if (!need(value.size(), "a UUID")) return value;
  std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(position_), value.size(), value.begin());
  position_ += value.size();
  return value;
}

std::optional<std::string> Reader::nullable_string(bool compact, std::string_view what) {
  std::int64_t length = 0;
  if (compact) {
    length = static_cast<std::int64_t>(uvarint()) - 1;
  } else {
    length = i16();
  }
  if (!ok()) return std::nullopt;
  if (length < 0) {
    if (!compact && length != -1) fail(fmt::format("{} has a negative length ({})", what, length));
    return std::nullopt;
  }
  if (!need(static_cast<std::size_t>(length), what)) return std::nullopt;
  std::string value(reinterpret_cast<const char*>(data_.data() + position_), static_cast<std::size_t>(length));
  position_ += static_cast<std::size_t>(length);
  return value;
}

std::string Reader::string(bool compact, std::string_view what) {
  const std::size_t before = position_;
  auto value = nullable_string(compact, what);
  if (!value && ok() && position_ != before) fail(fmt::format("{} is null where the protocol forbids it", what));
  return value.value_or(std::string());
}

std::optional<Bytes> Reader::nullable_bytes(bool compact, std::string_view what) {
  std::int64_t length = 0;
  if (compact) {
    length = static_cast<std::int64_t>(uvarint()) - 1;
  } else {
    length = i32();
  }
  if (!ok()) return std::nullopt;
  if (length < 0) {
    if (!compact && length != -1) fail(fmt::format("{} has a negative length ({})", what, length));
    return std::nullopt;
  }
  if (!need(static_cast<std::size_t>(length), what)) return std::nullopt;
  const auto first = data_.begin() + static_cast<std::ptrdiff_t>(position_);
  Bytes value(first, first + static_cast<std::ptrdiff_t>(length));
  position_ += static_cast<std::size_t>(length);
  return value;
}

Bytes Reader::bytes(bool compact, std::string_view what) {
  const std::size_t before = position_;
  auto value = nullable_bytes(compact, what);
  if (!value && ok() && position_ != before) fail(fmt::format("{} is null where the protocol forbids it", what));
  return value.value_or(Bytes());
}

std::int32_t Reader::array_length(bool compact, std::size_t min_element_bytes, std::size_t max_count,
                                  std::string_view what, bool nullable) {
  std::int64_t count = 0;
  if (compact) {
    count = static_cast<std::int64_t>(uvarint()) - 1;
  } else {
    count = i32();
  }
  if (!ok()) return 0;
  if (count < 0) {
    if (count == -1 && nullable) return -1;
    fail(fmt::format("{} has an invalid count ({})", what, count));
    return 0;
  }
  if (static_cast<std::uint64_t>(count) > max_count) {
    fail(fmt::format("{} claims {} entries; plprobe reads at most {}", what, count, max_count));
    return 0;
  }
  if (static_cast<std::uint64_t>(count) * min_element_bytes > remaining()) {
    fail(fmt::format("{} claims {} entries but only {} bytes follow", what, count, remaining()));
    return 0;
  }
  return static_cast<std::int32_t>(count);
}

void Reader::skip_tagged_fields() {
  const std::uint32_t count = uvarint();
  if (!ok()) return;
  // Each field is at least a tag and a size (one byte each).
  if (static_cast<std::uint64_t>(count) * 2 > remaining()) {
    fail(fmt::format("TAGGED_FIELDS claims {} fields but only {} bytes follow", count, remaining()));
    return;
  }
  for (std::uint32_t i = 0; i < count && ok(); ++i) {
    uvarint();  // tag
    const std::uint32_t size = uvarint();
    if (need(size, "a tagged field")) position_ += size;
  }
}

ByteView Reader::rest() {
  ByteView left = data_.subspan(position_);
  position_ = data_.size();
  return left;
}

// ---- Headers ----

Bytes encode_request(const RequestHeader& header, ByteView body) {
  Writer out;
  out.i32(0);  // size, patched below
  out.i16(header.api_key);
  out.i16(header.api_version);
  out.i32(header.correlation_id);
  out.nullable_string(header.client_id, /*compact=*/false);
  if (is_flexible(header.api_key, header.api_version)) out.no_tagged_fields();
  out.raw(body);
  Bytes frame = out.take();
  const auto size = static_cast<std::uint32_t>(frame.size() - 4);
  for (int i = 0; i < 4; ++i) frame[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(size >> (24 - 8 * i));
  return frame;
}

std::optional<DecodedRequest> decode_request(ByteView payload, std::string& error) {
  Reader in(payload);
  DecodedRequest request;
  request.header.api_key = in.i16();
  request.header.api_version = in.i16();
  request.header.correlation_id = in.i32();
  request.header.client_id = in.nullable_string(false, "the client id");
  if (is_flexible(request.header.api_key, request.header.api_version)) in.skip_tagged_fields();
  if (!in.ok()) {
    error = "request header: " + in.error();
    return std::nullopt;
  }
  request.body = in.rest();
  return request;
}

Bytes encode_response(std::int32_t correlation_id, bool flexible_header, ByteView body) {
  Writer out;
  out.i32(static_cast<std::int32_t>(4 + (flexible_header ? 1 : 0) + body.size()));
  out.i32(correlation_id);
  if (flexible_header) out.no_tagged_fields();
  out.raw(body);
  return out.take();
}

std::optional<DecodedResponse> decode_response(ByteView payload, bool flexible_header, std::string& error) {
  Reader in(payload);
  DecodedResponse response;
  response.correlation_id = in.i32();
  if (flexible_header) in.skip_tagged_fields();
  if (!in.ok()) {
    error = "response header: " + in.error();
    return std::nullopt;
  }
  response.body = in.rest();
  return response;
}

std::string recognise_foreign_bytes(ByteView first) {
  if (first.size() >= 2 && first[0] == 0x15 && first[1] == 0x03) {
    return "a TLS alert: this port expects TLS (use kafka+tls://)";
  }
  if (first.size() >= 2 && first[0] == 0x16 && first[1] == 0x03) {
    return "a TLS handshake record: this port speaks TLS (use kafka+tls://)";
  }
  auto starts_with = [&first](std::string_view text) {
    return first.size() >= text.size() && std::equal(text.begin(), text.end(), first.begin(), [](char a, std::uint8_t b) {
             return static_cast<std::uint8_t>(a) == b;
           });
  };
  if (starts_with("HTTP")) return "an HTTP response: this port belongs to a web server or proxy, not a Kafka listener";
  if (starts_with("SSH-")) return "an SSH banner: this port belongs to an SSH server";
  return {};
}

std::optional<std::int32_t> check_frame_size(ByteView prefix, std::string& error) {
  if (prefix.size() < 4) {
    error = "a response frame needs a 4-byte size";
    return std::nullopt;
  }
  const std::uint32_t bits = (static_cast<std::uint32_t>(prefix[0]) << 24) |
                             (static_cast<std::uint32_t>(prefix[1]) << 16) |
                             (static_cast<std::uint32_t>(prefix[2]) << 8) | prefix[3];
  const auto size = static_cast<std::int32_t>(bits);
  const std::string foreign = recognise_foreign_bytes(prefix);
  if (!foreign.empty()) {
    error = fmt::format("the answer is not Kafka; it looks like {}", foreign);
    return std::nullopt;
  }
  if (size < 0) {
    error = fmt::format("the answer announces a negative size ({}): not a Kafka response", size);
    return std::nullopt;
  }
  if (size < 4) {
    error = fmt::format("the answer announces {} bytes, too few for a Kafka response header", size);
    return std::nullopt;
  }
  if (size > kMaxFrameBytes) {
    error = fmt::format("the answer announces {} bytes, above plprobe's limit of {} MiB for a Kafka response: "
                        "not a Kafka answer to this request",
                        size, kMaxFrameBytes >> 20);
    return std::nullopt;
  }
  return size;
}

// ---- ApiVersions ----

const ApiVersionRange* ApiVersionsResponse::find(std::int16_t api_key) const {
  auto it = std::find_if(api_keys.begin(), api_keys.end(), [api_key](const auto& r) { return r.api_key == api_key; });
  return it == api_keys.end() ? nullptr : &*it;
}

Bytes encode_api_versions_request(std::int16_t version, std::string_view software_name,
                                  std::string_view software_version) {
  Writer out;
  if (version >= 3) {
    out.string(software_name, true);
    out.string(software_version, true);
    out.no_tagged_fields();
  }
  return out.take();
}

namespace {

bool read_api_versions_body(Reader& in, std::int16_t version, ApiVersionsResponse& out) {
  const bool flexible = version >= 3;
  const std::int32_t count = in.array_length(flexible, kApiKeyEntryBytes, kMaxApiKeys, "ApiVersions.api_keys");
  out.api_keys.clear();
  for (std::int32_t i = 0; i < count && in.ok(); ++i) {
    ApiVersionRange range;
    range.api_key = in.i16();
    range.min_version = in.i16();
    range.max_version = in.i16();
    if (flexible) in.skip_tagged_fields();
    if (in.ok()) out.api_keys.push_back(range);
  }
  if (version >= 1) out.throttle_time_ms = in.i32();
  if (flexible) in.skip_tagged_fields();
  return in.ok();
}

}  // namespace

std::optional<ApiVersionsResponse> decode_api_versions_response(ByteView body, std::int16_t version,
                                                                std::string& error) {
  Reader in(body);
  ApiVersionsResponse response;
  response.error_code = in.i16();
  if (!in.ok()) {
    error = "ApiVersions: " + in.error();
    return std::nullopt;
  }
  if (response.error_code == error::unsupported_version) {
    // KIP-511: answered in the v0 layout. A peer that botches even that
    // still told us the one thing that matters: try an older version.
    if (!read_api_versions_body(in, 0, response)) response.api_keys.clear();
    return response;
  }
  if (!read_api_versions_body(in, version, response)) {
    error = "ApiVersions: " + in.error();
    return std::nullopt;
  }
  return response;
}

Bytes encode_api_versions_response(std::int16_t version, const ApiVersionsResponse& response) {
  // Brokers answer UNSUPPORTED_VERSION in the v0 layout (KIP-511).
  if (response.error_code == error::unsupported_version) version = 0;
  const bool flexible = version >= 3;
  Writer out;
  out.i16(response.error_code);
  out.array_length(static_cast<std::int32_t>(response.api_keys.size()), flexible);
  for (const auto& range : response.api_keys) {
    out.i16(range.api_key);
    out.i16(range.min_version);
    out.i16(range.max_version);
    if (flexible) out.no_tagged_fields();
  }
  if (version >= 1) out.i32(response.throttle_time_ms);
  if (flexible) out.no_tagged_fields();
  return out.take();
}

// ---- Metadata ----

Bytes encode_metadata_request(std::int16_t version, const MetadataRequest& request) {
  const bool flexible = version >= 9;
  Writer out;
  if (!request.topics) {
    out.array_length(-1, flexible);  // v1+: null means every topic
  } else {
    out.array_length(static_cast<std::int32_t>(request.topics->size()), flexible);
    for (const auto& name : *request.topics) {
      if (version >= 10) {
        out.uuid(Uuid{});  // zero id: look the topic up by name
        out.nullable_string(name, flexible);
      } else {
        out.string(name, flexible);
      }
      if (flexible) out.no_tagged_fields();
    }
  }
  if (version >= 4) out.boolean(request.allow_auto_topic_creation);
  if (version >= 8 && version <= 10) out.boolean(false);  // include_cluster_authorized_operations
  if (version >= 8) out.boolean(request.include_topic_authorized_operations);
  if (flexible) out.no_tagged_fields();
  return out.take();
}

std::optional<MetadataRequest> decode_metadata_request(ByteView body, std::int16_t version, std::string& error) {
  const bool flexible = version >= 9;
  Reader in(body);
  MetadataRequest request;
  request.allow_auto_topic_creation = version < 4;  // the protocol's default before the field existed
  const std::int32_t count =
      in.array_length(flexible, 1, kMaxTopics, "MetadataRequest.topics", /*nullable=*/version >= 1);
  if (count >= 0 && in.ok()) {
    request.topics.emplace();
    for (std::int32_t i = 0; i < count && in.ok(); ++i) {
      if (version >= 10) in.uuid();
      auto name = version >= 10 ? in.nullable_string(flexible, "a topic name")
                                : std::optional<std::string>(in.string(flexible, "a topic name"));
      if (flexible) in.skip_tagged_fields();
      if (in.ok() && name) request.topics->push_back(std::move(*name));
    }
  }
  if (version >= 4) request.allow_auto_topic_creation = in.boolean();
  if (version >= 8 && version <= 10) in.boolean();
  if (version >= 8) request.include_topic_authorized_operations = in.boolean();
  if (flexible) in.skip_tagged_fields();
  if (!in.ok()) {
    error = "MetadataRequest: " + in.error();
    return std::nullopt;
  }
  return request;
}

namespace {

std::vector<std::int32_t> read_int32_array(Reader& in, bool flexible, std::string_view what) {
  std::vector<std::int32_t> values;
  // A replica list can never be longer than the broker list.
  const std::int32_t count = in.array_length(flexible, 4, kMaxBrokers, what);
  values.reserve(static_cast<std::size_t>(std::max(count, 0)));  // bounded: count * 4 <= bytes left
  for (std::int32_t i = 0; i < count && in.ok(); ++i) values.push_back(in.i32());
  return values;
}

void write_int32_array(Writer& out, const std::vector<std::int32_t>& values, bool flexible) {
  out.array_length(static_cast<std::int32_t>(values.size()), flexible);
  for (auto value : values) out.i32(value);
}

}  // namespace

std::optional<MetadataResponse> decode_metadata_response(ByteView body, std::int16_t version, std::string& error) {
  const bool flexible = version >= 9;
  Reader in(body);
  MetadataResponse response;
  if (version >= 3) response.throttle_time_ms = in.i32();

  const std::int32_t broker_count = in.array_length(flexible, kMinBrokerBytes, kMaxBrokers, "Metadata.brokers");
  for (std::int32_t i = 0; i < broker_count && in.ok(); ++i) {
    MetadataBroker broker;
    broker.node_id = in.i32();
    broker.host = in.string(flexible, "a broker host");
    broker.port = in.i32();
    if (version >= 1) broker.rack = in.nullable_string(flexible, "a broker rack");
    if (flexible) in.skip_tagged_fields();
    if (in.ok()) response.brokers.push_back(std::move(broker));
  }
  if (version >= 2) response.cluster_id = in.nullable_string(flexible, "the cluster id");
  if (version >= 1) response.controller_id = in.i32();

  std::size_t partitions_seen = 0;
  const std::int32_t topic_count = in.array_length(flexible, kMinTopicBytes, kMaxTopics, "Metadata.topics");
  for (std::int32_t t = 0; t < topic_count && in.ok(); ++t) {
    MetadataTopic topic;
    topic.error_code = in.i16();
    topic.name = version >= 12 ? in.nullable_string(flexible, "a topic name")
                               : std::optional<std::string>(in.string(flexible, "a topic name"));
    if (version >= 10) topic.topic_id = in.uuid();
    if (version >= 1) topic.is_internal = in.boolean();
    const std::int32_t partition_count =
        in.array_length(flexible, kMinPartitionBytes, kMaxPartitions - partitions_seen, "a topic's partitions");
    partitions_seen += static_cast<std::size_t>(std::max(partition_count, 0));
    for (std::int32_t p = 0; p < partition_count && in.ok(); ++p) {
      MetadataPartition partition;
      partition.error_code = in.i16();
      partition.partition_index = in.i32();
      partition.leader_id = in.i32();
      if (version >= 7) partition.leader_epoch = in.i32();
      partition.replica_nodes = read_int32_array(in, flexible, "replica_nodes");
      partition.isr_nodes = read_int32_array(in, flexible, "isr_nodes");
      if (version >= 5) partition.offline_replicas = read_int32_array(in, flexible, "offline_replicas");
      if (flexible) in.skip_tagged_fields();
      if (in.ok()) topic.partitions.push_back(std::move(partition));
    }
    if (version >= 8) topic.topic_authorized_operations = in.i32();
    if (flexible) in.skip_tagged_fields();
    if (in.ok()) response.topics.push_back(std::move(topic));
  }
  if (version >= 8 && version <= 10) response.cluster_authorized_operations = in.i32();
  if (flexible) in.skip_tagged_fields();
  if (!in.ok()) {
    error = fmt::format("Metadata v{}: {}", version, in.error());
    return std::nullopt;
  }
  return response;
}

Bytes encode_metadata_response(std::int16_t version, const MetadataResponse& response) {
  const bool flexible = version >= 9;
  Writer out;
  if (version >= 3) out.i32(response.throttle_time_ms);
  out.array_length(static_cast<std::int32_t>(response.brokers.size()), flexible);
  for (const auto& broker : response.brokers) {
    out.i32(broker.node_id);
    out.string(broker.host, flexible);
    out.i32(broker.port);
    if (version >= 1) out.nullable_string(broker.rack, flexible);
    if (flexible) out.no_tagged_fields();
  }
  if (version >= 2) out.nullable_string(response.cluster_id, flexible);
  if (version >= 1) out.i32(response.controller_id);
  out.array_length(static_cast<std::int32_t>(response.topics.size()), flexible);
  for (const auto& topic : response.topics) {
    out.i16(topic.error_code);
    if (version >= 12) {
      out.nullable_string(topic.name, flexible);
    } else {
      out.string(topic.name.value_or(""), flexible);
    }
    if (version >= 10) out.uuid(topic.topic_id);
    if (version >= 1) out.boolean(topic.is_internal);
    out.array_length(static_cast<std::int32_t>(topic.partitions.size()), flexible);
    for (const auto& partition : topic.partitions) {
      out.i16(partition.error_code);
      out.i32(partition.partition_index);
      out.i32(partition.leader_id);
      if (version >= 7) out.i32(partition.leader_epoch);
      write_int32_array(out, partition.replica_nodes, flexible);
      write_int32_array(out, partition.isr_nodes, flexible);
      if (version >= 5) write_int32_array(out, partition.offline_replicas, flexible);
      if (flexible) out.no_tagged_fields();
    }
    if (version >= 8) out.i32(topic.topic_authorized_operations);
    if (flexible) out.no_tagged_fields();
  }
  if (version >= 8 && version <= 10) out.i32(response.cluster_authorized_operations);
  if (flexible) out.no_tagged_fields();
  return out.take();
}

// ---- SaslHandshake ----

Bytes encode_sasl_handshake_request(std::int16_t, std::string_view mechanism) {
  Writer out;
  out.string(mechanism, false);
  return out.take();
}

std::optional<std::string> decode_sasl_handshake_request(ByteView body, std::int16_t, std::string& error) {
  Reader in(body);
  std::string mechanism = in.string(false, "the SASL mechanism");
  if (!in.ok()) {
    error = "SaslHandshakeRequest: " + in.error();
    return std::nullopt;
  }
  return mechanism;
}

std::optional<SaslHandshakeResponse> decode_sasl_handshake_response(ByteView body, std::int16_t, std::string& error) {
  Reader in(body);
  SaslHandshakeResponse response;
  response.error_code = in.i16();
  const std::int32_t count = in.array_length(false, 2, kMaxMechanisms, "SaslHandshake.mechanisms");
  for (std::int32_t i = 0; i < count && in.ok(); ++i) {
    auto mechanism = in.string(false, "a SASL mechanism");
    if (in.ok()) response.mechanisms.push_back(std::move(mechanism));
  }
  if (!in.ok()) {
    error = "SaslHandshake: " + in.error();
    return std::nullopt;
  }
  return response;
}

Bytes encode_sasl_handshake_response(std::int16_t, const SaslHandshakeResponse& response) {
  Writer out;
  out.i16(response.error_code);
  out.array_length(static_cast<std::int32_t>(response.mechanisms.size()), false);
  for (const auto& mechanism : response.mechanisms) out.string(mechanism, false);
  return out.take();
}

// ---- SaslAuthenticate ----

Bytes encode_sasl_authenticate_request(std::int16_t version, ByteView auth_bytes) {
  const bool flexible = version >= 2;
  Writer out;
  out.bytes(auth_bytes, flexible);
  if (flexible) out.no_tagged_fields();
  return out.take();
}

std::optional<Bytes> decode_sasl_authenticate_request(ByteView body, std::int16_t version, std::string& error) {
  const bool flexible = version >= 2;
  Reader in(body);
  Bytes auth_bytes = in.bytes(flexible, "the SASL token");
  if (flexible) in.skip_tagged_fields();
  if (!in.ok()) {
    error = "SaslAuthenticateRequest: " + in.error();
    return std::nullopt;
  }
  return auth_bytes;
}

std::optional<SaslAuthenticateResponse> decode_sasl_authenticate_response(ByteView body, std::int16_t version,
                                                                          std::string& error) {
  const bool flexible = version >= 2;
  Reader in(body);
  SaslAuthenticateResponse response;
  response.error_code = in.i16();
  response.error_message = in.nullable_string(flexible, "the SASL error message");
  response.auth_bytes = in.bytes(flexible, "the SASL token");
  if (version >= 1) response.session_lifetime_ms = in.i64();
  if (flexible) in.skip_tagged_fields();
  if (!in.ok()) {
    error = "SaslAuthenticate: " + in.error();
    return std::nullopt;
  }
  return response;
}

Bytes encode_sasl_authenticate_response(std::int16_t version, const SaslAuthenticateResponse& response) {
  const bool flexible = version >= 2;
  Writer out;
  out.i16(response.error_code);
  out.nullable_string(response.error_message, flexible);
  out.bytes(response.auth_bytes, flexible);
  if (version >= 1) out.i64(response.session_lifetime_ms);
  if (flexible) out.no_tagged_fields();
  return out.take();
}

}  // namespace plprobe::probes::kafka
