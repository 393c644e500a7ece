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
  Json out = Json::object();
  auto put = [&out](const char* key, const std::optional<double>& value) {
    if (value) out[key] = round_ms(*value);
  };
  put("dns", phases.dns_ms);
  put("connect", phases.connect_ms);
  put("tls", phases.tls_ms);
  put("handshake", phases.handshake_ms);
  out["total"] = round_ms(phases.total_ms);
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
  Json out = {
      {"target", result.target},
      {"kind", result.kind},
      {"host", result.host},
      {"port", result.port},
      {"address", result.address ? Json(*result.address) : Json(nullptr)},
      {"address_class", result.address_class.empty() ? Json(nullptr) : Json(result.address_class)},
      {"outcome", name(result.outcome)},
      {"message", result.message},
      {"hint", result.hint},
      {"phases_ms", to_json(result.phases)},
  };
  if (result.tls) out["tls"] = to_json(*result.tls);
  out["facts"] = result.facts;
  if (result.samples) {
    const auto& s = *result.samples;
    out["samples"] = {
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
  return out;
}

}  // namespace plprobe
