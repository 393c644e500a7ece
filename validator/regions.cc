#include "validator/regions.h"

#include <algorithm>

#include <fmt/format.h>

#include "validator/default_regions.h"
#include "validator/input_error.h"
#include "validator/json_util.h"

namespace plprobe::validator {

namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto at = text.find(separator, start);
    out.push_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}

}  // namespace

bool RegionList::contains(std::string_view region) const {
  return std::any_of(aws.begin(), aws.end(), [&](const std::string& known) { return iequals(known, region); });
}

RegionList parse_regions(const json& document, const std::string& source) {
  const json* aws = member(document, "aws");
  if (aws == nullptr || !aws->is_array()) {
    throw InputError(fmt::format("{}: no \"aws\" list of regions", source),
                     "Pass a file in the format of ClickHouse Cloud's static-ips.json: "
                     "{\"aws\": [{\"region\": \"us-east-1\", \"clickpipes_egress_ips\": [...]}, ...]}.");
  }
  RegionList out;
  out.source = source;
  for (const auto& entry : *aws) {
    auto region = string_at(entry, "region");
    if (region.empty() || member(entry, "clickpipes_egress_ips") == nullptr) continue;
    if (!looks_like_region(region)) {
      throw InputError(fmt::format("{}: '{}' is not an AWS region name", source, printable(region)),
                       "Region names look like us-east-1; check the file.");
    }
    out.aws.push_back(to_lower(region));
  }
  std::sort(out.aws.begin(), out.aws.end());
  out.aws.erase(std::unique(out.aws.begin(), out.aws.end()), out.aws.end());
  if (out.aws.empty()) {
    throw InputError(fmt::format("{}: no AWS region carries clickpipes_egress_ips", source),
                     "The file is not a ClickPipes region list; download static-ips.json again.");
  }
  return out;
}

RegionList load_regions_file(const std::string& path) {
  return parse_regions(parse_json_text(read_file(path), path), path);
}

const RegionList& builtin_regions() {
  // Parsed once; a broken built-in file fails the unit tests, never a user.
  static const RegionList list =
      parse_regions(json::parse(generated::kDefaultRegionsJson), "built-in ClickPipes region list");
  return list;
}

bool looks_like_region(std::string_view text) {
  // area[-gov|-iso...]-direction-number: us-east-1, us-gov-west-1,
  // ap-southeast-3. Areas and directions are AWS's closed vocabulary, so a
  // host label such as "db-main-1" is not mistaken for a region.
  static constexpr std::string_view kAreas[] = {"us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn"};
  static constexpr std::string_view kDirections[] = {"east",      "west",      "north",     "south",    "central",
                                                     "northeast", "southeast", "northwest", "southwest"};
  static constexpr std::string_view kQualifiers[] = {"gov", "iso", "isob", "isoe", "isof"};
  auto parts = split(text, '-');
  if (parts.size() < 3 || parts.size() > 4) return false;
  auto in = [](std::string_view word, auto& list) {
    return std::find(std::begin(list), std::end(list), word) != std::end(list);
  };
  if (!in(parts.front(), kAreas)) return false;
  if (parts.size() == 4 && !in(parts[1], kQualifiers)) return false;
  if (!in(parts[parts.size() - 2], kDirections)) return false;
  const auto& number = parts.back();
  return !number.empty() && number.size() <= 2 &&
         std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::string> region_from_arn(std::string_view arn) {
  auto parts = split(arn, ':');
  if (parts.size() < 6 || parts[0] != "arn") return std::nullopt;
  if (!looks_like_region(parts[3])) return std::nullopt;
  return std::string(parts[3]);
}

std::optional<std::string> account_from_arn(std::string_view arn) {
  auto parts = split(arn, ':');
  if (parts.size() < 6 || parts[0] != "arn" || parts[4].empty()) return std::nullopt;
  return std::string(parts[4]);
}

std::optional<std::string> region_from_service_name(std::string_view name) {
  auto labels = split(name, '.');
  // com.amazonaws.vpce.REGION.vpce-svc-... or com.amazonaws.REGION.SERVICE
  if (labels.size() < 4 || labels[0] != "com" || labels[1] != "amazonaws") return std::nullopt;
  for (std::size_t i = 2; i < labels.size(); ++i) {
    if (looks_like_region(labels[i])) return std::string(labels[i]);
  }
  return std::nullopt;
}

std::optional<std::string> region_from_dns_name(std::string_view name) {
  for (auto label : split(name, '.')) {
    if (looks_like_region(label)) return std::string(label);
  }
  return std::nullopt;
}

}  // namespace plprobe::validator
