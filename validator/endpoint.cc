#include "validator/endpoint.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "validator/input_error.h"
#include "validator/json_util.h"

namespace plprobe::validator {

namespace {

constexpr std::array kTypes = {
    std::pair{EndpointType::vpc_resource, std::string_view("VPC_RESOURCE")},
    std::pair{EndpointType::msk_multi_vpc, std::string_view("MSK_MULTI_VPC")},
    std::pair{EndpointType::vpc_endpoint_service, std::string_view("VPC_ENDPOINT_SERVICE")},
};

EndpointType type_from_name(std::string_view name) {
  for (const auto& [type, spelled] : kTypes) {
    if (iequals(name, spelled)) return type;
  }
  return EndpointType::other;
}

bool is_endpoint_object(const json& object) {
  if (!object.is_object()) return false;
  // `type` alone is too common a key; an RPE also carries one of its own
  // fields. Unknown type names still count (the API may add types; the
  // rules report them), so only the shape decides here.
  const json* type = member(object, "type");
  if (type == nullptr || !type->is_string()) return false;
  for (const char* own : {"vpcEndpointServiceName", "vpcResourceConfigurationId", "vpcResourceShareArn",
                          "mskClusterArn", "dnsNames", "privateDnsNames", "endpointId", "serviceId"}) {
    if (member(object, own) != nullptr) return true;
  }
  return false;
}

// The list of endpoint objects inside a document, or nullopt when the
// document is not one of the accepted shapes.
std::optional<std::vector<const json*>> endpoint_objects(const json& document) {
  const json* body = &document;
  if (document.is_object() && member(document, "result") != nullptr &&
      (member(document, "requestId") != nullptr || member(document, "status") != nullptr)) {
    body = member(document, "result");
  }
  std::vector<const json*> out;
  if (body->is_array()) {
    for (const auto& item : *body) {
      if (!is_endpoint_object(item)) return std::nullopt;
      out.push_back(&item);
    }
    if (out.empty() && body == &document) return std::nullopt;  // a bare [] says nothing
    return out;
  }
  if (is_endpoint_object(*body)) {
    out.push_back(body);
    return out;
  }
  return std::nullopt;
}

Endpoint from_object(const json& object, const std::string& source) {
  Endpoint e;
  e.id = string_at(object, "id");
  e.service_id = string_at(object, "serviceId");
  e.description = string_at(object, "description");
  e.type_name = string_at(object, "type");
  e.type = type_from_name(e.type_name);
  e.vpc_endpoint_service_name = string_at(object, "vpcEndpointServiceName");
  e.vpc_resource_configuration_id = string_at(object, "vpcResourceConfigurationId");
  e.vpc_resource_share_arn = string_at(object, "vpcResourceShareArn");
  e.msk_cluster_arn = string_at(object, "mskClusterArn");
  e.msk_authentication = string_at(object, "mskAuthentication");
  e.endpoint_id = string_at(object, "endpointId");
  e.dns_names = strings_at(object, "dnsNames");
  e.private_dns_names = strings_at(object, "privateDnsNames");
  for (const auto& mapping : array_at(object, "customPrivateDnsMappings")) {
    auto name = string_at(mapping, "privateDnsName");
    if (!name.empty()) e.custom_private_dns_names.push_back(name);
  }
  e.status = string_at(object, "status");
  for (const char* field : {"statusChangedAt", "updatedAt", "lastUpdatedAt", "createdAt"}) {
    const json* value = member(object, field);
    if (value == nullptr) continue;
    if (auto when = parse_timestamp(*value)) {
      e.status_since = when;
      e.status_since_field = field;
      break;
    }
  }
  e.source = source;
  return e;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil), so no time zone database or locale is involved.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::string_view to_string(EndpointType type) {
  for (const auto& [known, spelled] : kTypes) {
    if (known == type) return spelled;
  }
  return "OTHER";
}

std::vector<std::string> Endpoint::all_dns_names() const {
  std::vector<std::string> out;
  for (const auto* list : {&dns_names, &private_dns_names, &custom_private_dns_names}) {
    for (const auto& name : *list) {
      if (std::find_if(out.begin(), out.end(), [&](const std::string& seen) { return iequals(seen, name); }) ==
          out.end()) {
        out.push_back(name);
      }
    }
  }
  return out;
}

std::optional<std::chrono::system_clock::time_point> parse_timestamp(const json& value) {
  using namespace std::chrono;
  if (value.is_number()) {
    double seconds = value.get<double>();
    // Epoch seconds between 2000 and 2200; anything else is not a time.
    if (!(seconds > 946684800.0 && seconds < 7258118400.0)) return std::nullopt;
    return system_clock::time_point(duration_cast<system_clock::duration>(duration<double>(seconds)));
  }
  if (!value.is_string()) return std::nullopt;
  const auto& text = value.get_ref<const std::string&>();
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second,
                  &consumed) != 6 &&
      std::sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second,
                  &consumed) != 6) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || year < 1970) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(text).substr(static_cast<std::size_t>(consumed));
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') rest.remove_prefix(1);
  }
  std::int64_t offset_seconds = 0;
  if (rest == "Z" || rest == "z" || rest.empty()) {
    offset_seconds = 0;
  } else if ((rest.front() == '+' || rest.front() == '-') && (rest.size() == 6 || rest.size() == 5)) {
    int sign = rest.front() == '-' ? -1 : 1;
    std::string_view hh = rest.substr(1, 2);
    std::string_view mm = rest.size() == 6 ? rest.substr(4, 2) : rest.substr(3, 2);
    auto digits = [](std::string_view d) {
      return d.size() == 2 && d[0] >= '0' && d[0] <= '9' && d[1] >= '0' && d[1] <= '9' ? (d[0] - '0') * 10 + (d[1] - '0')
                                                                                         : -1;
    };
    int oh = digits(hh), om = digits(mm);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return std::nullopt;
    offset_seconds = sign * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  std::int64_t epoch = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return system_clock::time_point(seconds(epoch));
}

bool looks_like_endpoint_document(const json& document) { return endpoint_objects(document).has_value(); }

std::vector<Endpoint> parse_endpoints(const json& document, const std::string& source) {
  auto objects = endpoint_objects(document);
  if (!objects) {
    throw InputError(fmt::format("{}: not a ClickHouse Cloud reverse private endpoint object", source),
                     "Pass the answer of the ClickHouse Cloud API's clickpipesReversePrivateEndpoints call: "
                     "the {\"status\", \"requestId\", \"result\"} envelope, the object, or a list of them.");
  }
  if (objects->empty()) {
    throw InputError(fmt::format("{}: the list of reverse private endpoints is empty", source),
                     "Create the endpoint first, or pass the file of the service that has it.");
  }
  std::vector<Endpoint> out;
  for (const json* object : *objects) out.push_back(from_object(*object, source));
  return out;
}

std::vector<Endpoint> load_endpoints(const std::string& path) {
  return parse_endpoints(parse_json_text(read_file(path), path), path);
}

const Endpoint& select_endpoint(const std::vector<Endpoint>& endpoints, std::string_view id, const std::string& source) {
  std::vector<std::string> ids;
  for (const auto& e : endpoints) ids.push_back(e.id.empty() ? "(no id)" : e.id);
  if (!id.empty()) {
    for (const auto& e : endpoints) {
      if (e.id == id) return e;
    }
    throw InputError(fmt::format("{}: no endpoint with id '{}'", source, printable(id)),
                     fmt::format("The file holds: {}", fmt::join(ids, ", ")));
  }
  if (endpoints.size() == 1) return endpoints.front();
  throw InputError(fmt::format("{}: holds {} endpoints; say which one to validate", source, endpoints.size()),
                   fmt::format("Pass --endpoint-id with one of: {}", fmt::join(ids, ", ")));
}

}  // namespace plprobe::validator
