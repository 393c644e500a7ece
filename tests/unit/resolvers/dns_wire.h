// Builds DNS messages byte by byte for tests (RFC 1035 §4.1), so the
// resolver can be fed exact, malformed or hostile answers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace plprobe::resolvers::testing {

inline void put16(std::string& out, std::uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xff));
}

inline void put32(std::string& out, std::uint32_t value) {
  put16(out, static_cast<std::uint16_t>(value >> 16));
  put16(out, static_cast<std::uint16_t>(value & 0xffff));
}

inline std::string encode_name(std::string_view name) {
  std::string out;
  while (!name.empty()) {
    auto dot = name.find('.');
    auto label = name.substr(0, dot);
    out.push_back(static_cast<char>(label.size()));
    out.append(label);
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  out.push_back('\0');
  return out;
}

// Header + one question; flags 0x8180 = response, RD, RA, NOERROR.
inline std::string header(std::uint16_t id, std::uint16_t flags, std::uint16_t questions, std::uint16_t answers) {
  std::string out;
  put16(out, id);
  put16(out, flags);
  put16(out, questions);
  put16(out, answers);
  put16(out, 0);
  put16(out, 0);
  return out;
}

inline std::string question(std::string_view name, std::uint16_t type) {
  std::string out = encode_name(name);
  put16(out, type);
  put16(out, 1);
  return out;
}

inline std::string record(std::string_view owner, std::uint16_t type, std::uint32_t ttl, std::string_view data) {
  std::string out = encode_name(owner);
  put16(out, type);
  put16(out, 1);
  put32(out, ttl);
  put16(out, static_cast<std::uint16_t>(data.size()));
  out.append(data);
  return out;
}

// The ID and question of a query, turned into the start of an answer with
// `rcode` and `answers` records to follow.
inline std::string answer_prefix(std::string_view query, std::uint8_t rcode, std::uint16_t answers) {
  std::string out(query.substr(0, 2));
  put16(out, static_cast<std::uint16_t>(0x8180 | rcode));
  put16(out, 1);
  put16(out, answers);
  put16(out, 0);
  put16(out, 0);
  out.append(query.substr(12));  // the question, as asked
  return out;
}

}  // namespace plprobe::resolvers::testing
