// Which AWS regions ClickPipes runs reverse private endpoints in, and how to
// read a region out of ARNs, endpoint service names and DNS names.
//
// The region list is data, not code (docs: domain.md, rule 6): a file in the
// format of ClickHouse Cloud's public static-ips.json,
//   {"aws": [{"region": "us-east-1", "clickpipes_egress_ips": [...], ...}, ...],
//    "gcp": [...], "azure": [...]}
// An AWS entry counts as a ClickPipes region when it carries the
// `clickpipes_egress_ips` field. plprobe ships validator/data/
// clickpipes-regions.json compiled into the binary (so it works from any
// directory); `--regions-file` replaces it with a fresher download.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace plprobe::validator {

struct RegionList {
  std::vector<std::string> aws;  // sorted, unique
  std::string source;            // "built-in" or the file it was read from

  bool contains(std::string_view region) const;
};

// Throws InputError naming `source` when the document has no "aws" list or
// the list names no ClickPipes region.
RegionList parse_regions(const nlohmann::json& document, const std::string& source);
RegionList load_regions_file(const std::string& path);
// The list compiled in from validator/data/clickpipes-regions.json.
const RegionList& builtin_regions();

// "us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-3".
bool looks_like_region(std::string_view text);

// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE -> REGION (empty region,
// as in IAM ARNs, gives nullopt).
std::optional<std::string> region_from_arn(std::string_view arn);
// com.amazonaws.vpce.REGION.vpce-svc-... (also com.amazonaws.REGION.service).
std::optional<std::string> region_from_service_name(std::string_view name);
// The first dot-separated label that looks like a region:
// "vpce-0ab-x.vpce-svc-1.us-east-1.vpce.amazonaws.com" -> "us-east-1".
std::optional<std::string> region_from_dns_name(std::string_view name);

// The account id in an ARN ("arn:aws:iam::072088201116:root" -> "072088201116").
std::optional<std::string> account_from_arn(std::string_view arn);

}  // namespace plprobe::validator
