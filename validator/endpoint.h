// The ClickHouse Cloud API's reverse private endpoint (RPE) object.
//
// Input: the answer of
//   GET /v1/organizations/{org}/services/{service}/clickpipesReversePrivateEndpoints[/{id}]
// as the user saved it: the `{"status", "requestId", "result"}` envelope, the
// bare object, or a list of objects (bare or in the envelope). Field names
// follow the API (docs: domain.md, "The ClickHouse Cloud API object");
// lookups tolerate case drift and missing optional fields.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace plprobe::validator {

enum class EndpointType { vpc_resource, msk_multi_vpc, vpc_endpoint_service, other };

std::string_view to_string(EndpointType type);

struct Endpoint {
  std::string id;
  std::string service_id;
  std::string description;
  EndpointType type = EndpointType::other;
  std::string type_name;  // as written, e.g. "VPC_RESOURCE" or "GCP_PSC_SERVICE_ATTACHMENT"
  std::string vpc_endpoint_service_name;
  std::string vpc_resource_configuration_id;
  std::string vpc_resource_share_arn;
  std::string msk_cluster_arn;
  std::string msk_authentication;  // SASL_IAM, SASL_SCRAM
  std::string endpoint_id;         // vpce-...
  std::vector<std::string> dns_names;
  std::vector<std::string> private_dns_names;
  std::vector<std::string> custom_private_dns_names;  // customPrivateDnsMappings[].privateDnsName
  std::string status;                                 // as written: Ready, Failed, PendingAcceptance, ...
  // When the API object carries a timestamp, the newest of updatedAt,
  // statusChangedAt, lastUpdatedAt, createdAt (the field's name is kept to
  // say what the clean-up estimate counts from).
  std::optional<std::chrono::system_clock::time_point> status_since;
  std::string status_since_field;
  std::string source;  // file it came from

  // Every DNS name the endpoint exposes, without duplicates, in API order.
  std::vector<std::string> all_dns_names() const;
};

// Accepts the three shapes above. Throws InputError naming `source` when the
// document holds no endpoint object (an empty list included).
std::vector<Endpoint> parse_endpoints(const nlohmann::json& document, const std::string& source);

// Reads and parses a file; InputError on unreadable, malformed or foreign files.
std::vector<Endpoint> load_endpoints(const std::string& path);

// The endpoint to validate: the only one, or the one whose id is `id`.
// Throws InputError (listing the ids present) when that is ambiguous or absent.
const Endpoint& select_endpoint(const std::vector<Endpoint>& endpoints, std::string_view id, const std::string& source);

// True when `document` looks like the API object, a list of them or the
// envelope: the evidence loader uses it to recognise an rpe.json that sits
// in an evidence directory.
bool looks_like_endpoint_document(const nlohmann::json& document);

// ISO 8601 / RFC 3339 UTC or offset time ("2024-05-01T12:00:00Z",
// "2024-05-01T12:00:00.123+02:00") or epoch seconds; nullopt otherwise.
std::optional<std::chrono::system_clock::time_point> parse_timestamp(const nlohmann::json& value);

}  // namespace plprobe::validator
