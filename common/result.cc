#include "common/result.h"

#include <cmath>

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
  if (result.samples) {
    const auto& s = *result.samples;
    fields.emplace_back("samples", Json{
                                       {"count", s.count},
                                       {"lost", s.lost},
                                       {"loss", s.count == 0 ? 0.0 : static_cast<double>(s.lost) / s.count},
                                       {"min_ms", round_ms(s.min_ms)},
                                       {"p50_ms", round_ms(s.p50_ms)},
                                       {"p90_ms", round_ms(s.p90_ms)},
                                       {"p99_ms", round_ms(s.p99_ms)},
                                       {"max_ms", round_ms(s.max_ms)},
                                   });
  }
  return out;
}

}  // namespace plprobe
