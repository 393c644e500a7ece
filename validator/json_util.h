// Tolerant reading of JSON written by other tools (AWS CLI, ClickHouse API).
//
// AWS field names and enum values drift in case across CLI and API versions
// (`pendingAcceptance` vs `PendingAcceptance`, `SubnetId` vs `subnetId`), and
// optional fields come and go. Everything here therefore looks keys up
// exactly first and then case-insensitively, returns empty values for absent
// or mistyped fields instead of throwing, and leaves judging to the rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace plprobe::validator {

using nlohmann::json;

bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view text, std::string_view prefix);
std::string to_lower(std::string_view text);

// The member `key` of `object` (exact match, else case-insensitive), or
// nullptr when `object` is not an object or has no such member.
const json* member(const json& object, std::string_view key);

// Member as a string; numbers are spelled out (AWS sends ports both ways).
std::string string_at(const json& object, std::string_view key);
std::optional<bool> bool_at(const json& object, std::string_view key);
std::optional<std::int64_t> int_at(const json& object, std::string_view key);
// A list of strings; a single string counts as a list of one. Non-string
// items are skipped.
std::vector<std::string> strings_at(const json& object, std::string_view key);
// The array at `key`, or an empty array.
const json& array_at(const json& object, std::string_view key);

// Parses `text` as JSON. On failure throws InputError naming `source` and
// the line and column of the error. Rejects documents nested deeper than
// kMaxDepth, which no AWS or ClickHouse output comes near.
inline constexpr int kMaxDepth = 64;
json parse_json_text(std::string_view text, const std::string& source);

// Reads the whole file; throws InputError naming it when it cannot be read.
// Files over kMaxFileBytes are refused: AWS CLI output for one VPC is far
// smaller, and reading a wrong multi-gigabyte file would only hang.
inline constexpr std::uintmax_t kMaxFileBytes = 256ull * 1024 * 1024;
std::string read_file(const std::string& path);

// Makes a string safe to print on one terminal line: control bytes and
// invalid UTF-8 become '?', and it is cut to `limit` characters.
std::string printable(std::string_view text, std::size_t limit = 120);

}  // namespace plprobe::validator
