#include "validator/json_util.h"

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include <fmt/format.h>

#include "validator/input_error.h"

namespace plprobe::validator {

namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// nlohmann's message reads "[json.exception.parse_error.101] parse error at
// line 3, column 5: syntax error while parsing ..."; keep only the part after
// the position, which we report ourselves.
std::string reason_of(const nlohmann::json::parse_error& e) {
  std::string_view text = e.what();
  auto at = text.find("syntax error");
  if (at == std::string_view::npos) at = text.find("invalid");
  if (at == std::string_view::npos) {
    auto colon = text.find(": ");
    at = colon == std::string_view::npos ? 0 : colon + 2;
  }
  return printable(text.substr(at), 160);
}

std::size_t depth_of(const json& root) {
  // Iterative: the document may come from a fuzzer.
  std::vector<std::pair<const json*, std::size_t>> stack{{&root, 1}};
  std::size_t deepest = 0;
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    deepest = std::max(deepest, depth);
    if (depth > static_cast<std::size_t>(kMaxDepth)) return depth;
    if (node->is_structured()) {
      for (const auto& child : *node) stack.emplace_back(&child, depth + 1);
    }
  }
  return deepest;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

const json* member(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto exact = object.find(std::string(key));
  if (exact != object.end()) return &*exact;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (iequals(it.key(), key)) return &it.value();
  }
  return nullptr;
}

std::string string_at(const json& object, std::string_view key) {
  const json* value = member(object, key);
  if (value == nullptr) return {};
  if (value->is_string()) return value->get<std::string>();
  if (value->is_number_integer()) return std::to_string(value->get<std::int64_t>());
  if (value->is_boolean()) return value->get<bool>() ? "true" : "false";
  return {};
}

std::optional<bool> bool_at(const json& object, std::string_view key) {
  const json* value = member(object, key);
  if (value == nullptr) return std::nullopt;
  if (value->is_boolean()) return value->get<bool>();
  // Hand-edited or YAML-converted files carry "true"/"false" strings.
  if (value->is_string()) {
    const auto& text = value->get_ref<const std::string&>();
    if (iequals(text, "true")) return true;
    if (iequals(text, "false")) return false;
  }
  return std::nullopt;
}

std::optional<std::int64_t> int_at(const json& object, std::string_view key) {
  const json* value = member(object, key);
  if (value == nullptr) return std::nullopt;
  if (value->is_number_integer()) return value->get<std::int64_t>();
  if (value->is_string()) {
    const auto& text = value->get_ref<const std::string&>();
    if (text.empty() || text.size() > 18) return std::nullopt;
    std::int64_t out = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return std::nullopt;
      out = out * 10 + (c - '0');
    }
    return out;
  }
  return std::nullopt;
}

std::vector<std::string> strings_at(const json& object, std::string_view key) {
  std::vector<std::string> out;
  const json* value = member(object, key);
  if (value == nullptr) return out;
  if (value->is_string()) {
    out.push_back(value->get<std::string>());
  } else if (value->is_array()) {
    for (const auto& item : *value) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

const json& array_at(const json& object, std::string_view key) {
  static const json empty = json::array();
  const json* value = member(object, key);
  if (value == nullptr || !value->is_array()) return empty;
  return *value;
}

json parse_json_text(std::string_view text, const std::string& source) {
  json document;
  try {
    document = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    // e.byte is the 1-based offset of the last character read.
    std::size_t upto = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < upto; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      throw InputError(fmt::format("{}: empty file, expected a JSON document", source),
                       "Save the command's standard output with --output json; an empty file usually "
                       "means the command failed (see its error output).");
    }
    throw InputError(fmt::format("{}: not valid JSON at line {}, column {}: {}", source, line, column, reason_of(e)),
                     "Save only the command's standard output with --output json (no warnings, progress "
                     "text or --query filters), and do not edit the file by hand.");
  }
  if (depth_of(document) > static_cast<std::size_t>(kMaxDepth)) {
    throw InputError(fmt::format("{}: JSON nested deeper than {} levels", source, kMaxDepth),
                     "This is not AWS CLI or ClickHouse API output; check the file name.");
  }
  return document;
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError(fmt::format("{}: is a directory, expected a file", path), "Pass a JSON file here.");
  }
  auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxFileBytes) {
    throw InputError(fmt::format("{}: {} bytes, more than the {} MiB plprobe reads", path, size, kMaxFileBytes >> 20),
                     "Pass the output of one AWS CLI command per file.");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(fmt::format("{}: cannot open: {}", path, std::generic_category().message(errno)),
                     "Check the path and that the file is readable.");
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    throw InputError(fmt::format("{}: read error", path), "Check the file and the disk.");
  }
  return text;
}

std::string printable(std::string_view text, std::size_t limit) {
  std::string out;
  out.reserve(std::min(text.size(), limit));
  for (char c : text) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    auto byte = static_cast<unsigned char>(c);
    out.push_back(byte < 0x20 || byte >= 0x7f ? '?' : c);
  }
  return out;
}

}  // namespace plprobe::validator
