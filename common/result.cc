#include "common/result.h"

#include <array>
#include <charconv>
#include <cmath>
#include <string_view>


namespace plprobe {

void ProbeResult::fail(Code code, std::string why, std::string what_to_do) {
  outcome = code;
  message = std::move(why);
  hint = what_to_do.empty() ? std::string(info(code).hint) : std::move(what_to_do);
}

double round_ms(double ms) { return std::round(ms * 1000.0) / 1000.0; }

Json to_json(const PhaseTimes& phases) {
  Json out(Json::value_t::object);
  auto& fields = out.get_ref<Json::object_t&>();
  fields.reserve(5);
  auto put = [&fields](const char* key, const std::optional<double>& value) {
    if (value) fields.emplace_back(key, round_ms(*value));
  };
  put("dns", phases.dns_ms);
  put("connect", phases.connect_ms);
  put("tls", phases.tls_ms);
  put("handshake", phases.handshake_ms);
  fields.emplace_back("total", round_ms(phases.total_ms));
  return out;
}

Json to_json(const TlsDetails& tls) {
  Json out = {
      {"version", tls.version},
      {"cipher", tls.cipher},
      {"alpn", tls.alpn.empty() ? Json(nullptr) : Json(tls.alpn)},
      {"sni", tls.sni.empty() ? Json(nullptr) : Json(tls.sni)},
      {"subject", tls.subject},
      {"issuer", tls.issuer},
      {"sans", tls.sans},
      {"not_before", tls.not_before},
      {"not_after", tls.not_after},
      {"chain_length", tls.chain_length},
      {"verified", tls.verified},
      {"verify_errors", tls.verify_errors},
  };
  if (tls.insecure) out["insecure"] = true;
  return out;
}

Json to_json(const SampleSummary& s) {
  return Json{
      {"count", s.count},
      {"lost", s.lost},
      {"loss", s.count == 0 ? 0.0 : static_cast<double>(s.lost) / s.count},
      {"min_ms", round_ms(s.min_ms)},
      {"p50_ms", round_ms(s.p50_ms)},
      {"p90_ms", round_ms(s.p90_ms)},
      {"p99_ms", round_ms(s.p99_ms)},
      {"max_ms", round_ms(s.max_ms)},
  };
}

Json to_json(const ProbeResult& result) {
  // Appended field by field in contract order (the object is an ordered map
  // and every key is new), which costs a fraction of an initializer list:
  // this runs once per result, tens of thousands of times in a scan.
  Json out(Json::value_t::object);
  auto& fields = out.get_ref<Json::object_t&>();
  fields.reserve(14);
  auto optional_text = [](const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); };
  fields.emplace_back("target", result.target);
  fields.emplace_back("kind", result.kind);
  fields.emplace_back("host", result.host);
  fields.emplace_back("port", result.port);
  fields.emplace_back("address", result.address ? Json(*result.address) : Json(nullptr));
  fields.emplace_back("address_class", optional_text(result.address_class));
  fields.emplace_back("outcome", name(result.outcome));
  fields.emplace_back("message", result.message);
  fields.emplace_back("hint", result.hint);
  fields.emplace_back("phases_ms", to_json(result.phases));
  if (result.tls) fields.emplace_back("tls", to_json(*result.tls));
  fields.emplace_back("facts", result.facts);
  if (result.samples) fields.emplace_back("samples", to_json(*result.samples));
  return out;
}

namespace {

// Bytes a JSON string cannot hold as they are (quote, backslash, controls)
// and bytes that need a UTF-8 check (non-ASCII, and DEL to stay on the
// library's side of any doubt).
constexpr auto kNotPlain = [] {
  std::array<bool, 256> table{};
  for (int byte = 0; byte < 256; ++byte) table[byte] = byte < 0x20 || byte > 0x7e || byte == '"' || byte == '\\';
  return table;
}();

// Plain text is copied as it is; anything else goes through the JSON
// library, which escapes and replaces invalid UTF-8 exactly as dump() does.
void append_string(std::string& out, std::string_view text) {
  for (const char c : text) {
    if (kNotPlain[static_cast<unsigned char>(c)]) {
      out.append(Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace));
      return;
    }
  }
  out.push_back('"');
  out.append(text);
  out.push_back('"');
}

// Rounded milliseconds print as the JSON library prints doubles: the
// shortest text that reads back to the same double, with ".0" for whole
// numbers. A rounded value is a whole number of microseconds k, and below
// 1e12 ms doubles lie far closer together than 0.001, so the shortest text
// for k/1000 is k/1000 in decimal without trailing zeros: written here
// from k's digits. Anything else (negative, huge, NaN) goes through the
// library.
void append_ms(std::string& out, double ms) {
  const double micros = std::round(ms * 1000.0);
  if (!(micros >= 0.0 && micros < 1e15)) {
    out.append(Json(round_ms(ms)).dump());
    return;
  }
  const auto whole = static_cast<std::uint64_t>(micros);
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, whole / 1000).ptr);
  out.push_back('.');
  unsigned fraction = static_cast<unsigned>(whole % 1000);
  if (fraction == 0) {
    out.push_back('0');
    return;
  }
  char decimals[3] = {static_cast<char>('0' + fraction / 100), static_cast<char>('0' + fraction / 10 % 10),
                      static_cast<char>('0' + fraction % 10)};
  std::size_t length = 3;
  while (decimals[length - 1] == '0') --length;
  out.append(decimals, length);
}

}  // namespace

void append_json_line(std::string& out, const ProbeResult& result) {
  using namespace std::string_view_literals;
  auto dump = [&out](const Json& value) { out.append(value.dump(-1, ' ', false, Json::error_handler_t::replace)); };
  auto text_or_null = [&out](const std::string* text) {
    if (text == nullptr) {
      out.append("null"sv);
    } else {
      append_string(out, *text);
    }
  };
  out.append(R"({"target":)"sv);
  append_string(out, result.target);
  out.append(R"(,"kind":)"sv);
  append_string(out, result.kind);
  out.append(R"(,"host":)"sv);
  append_string(out, result.host);
  out.append(R"(,"port":)"sv);
  char digits[8];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, result.port).ptr);
  out.append(R"(,"address":)"sv);
  text_or_null(result.address ? &*result.address : nullptr);
  out.append(R"(,"address_class":)"sv);
  text_or_null(result.address_class.empty() ? nullptr : &result.address_class);
  out.append(R"(,"outcome":)"sv);
  append_string(out, name(result.outcome));
  out.append(R"(,"message":)"sv);
  append_string(out, result.message);
  out.append(R"(,"hint":)"sv);
  append_string(out, result.hint);
  out.append(R"(,"phases_ms":)"sv);
  char separator = '{';
  auto phase = [&](std::string_view key, const std::optional<double>& value) {
    if (!value) return;
    out.push_back(separator);
    out.push_back('"');
    out.append(key);
    out.append("\":"sv);
    append_ms(out, *value);
    separator = ',';
  };
  const auto& phases = result.phases;
  phase("dns"sv, phases.dns_ms);
  phase("connect"sv, phases.connect_ms);
  phase("tls"sv, phases.tls_ms);
  phase("handshake"sv, phases.handshake_ms);
  phase("total"sv, phases.total_ms);
  out.push_back('}');
  if (result.tls) {
    out.append(R"(,"tls":)"sv);
    dump(to_json(*result.tls));
  }
  out.append(R"(,"facts":)"sv);
  if (result.facts.is_object() && result.facts.empty()) {
    out.append("{}"sv);
  } else {
    dump(result.facts);
  }
  if (result.samples) {
    out.append(R"(,"samples":)"sv);
    dump(to_json(*result.samples));
  }
  out.append("}\n"sv);
}

}  // namespace plprobe
