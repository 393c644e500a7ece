#include "doctor/report.h"

#include <algorithm>

#include <fmt/format.h>

namespace plprobe::doctor {

int Report::problems() const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(), [](const validator::Finding& f) {
    return f.severity == validator::Severity::error;
  }));
}

int Report::warnings() const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(), [](const validator::Finding& f) {
    return f.severity == validator::Severity::warning;
  }));
}

std::string Report::verdict() const {
  const int n = problems();
  if (n == 0) return "READY";
  return fmt::format("NOT READY: {} problem{}", n, n == 1 ? "" : "s");
}

std::string verdict_code(const Report& report) { return report.ready() ? "ready" : "not_ready"; }

std::vector<WalkNode> walk_nodes(const ProbeResult& result) {
  std::vector<WalkNode> nodes;
  for (const char* key : {"brokers", "members"}) {
    const auto list = result.facts.find(key);
    if (list == result.facts.end() || !list->is_array()) continue;
    const bool brokers = std::string_view(key) == "brokers";
    for (const auto& item : *list) {
      if (!item.is_object()) continue;
      WalkNode node;
      std::string advertised = item.value("advertised", std::string());
      if (advertised.empty()) {
        advertised = fmt::format("{}:{}", item.value("host", std::string("?")), item.value("port", 0));
      }
      if (brokers && item.contains("node_id") && item["node_id"].is_number_integer()) {
        node.label = fmt::format("node {} {}", item["node_id"].get<long long>(), advertised);
      } else {
        node.label = advertised;
      }
      if (item.contains("outcome") && item["outcome"].is_string()) node.outcome = item["outcome"].get<std::string>();
      if (item.contains("underlying") && item["underlying"].is_string()) {
        node.underlying = item["underlying"].get<std::string>();
      }
      if (item.contains("message") && item["message"].is_string()) node.message = item["message"].get<std::string>();
      nodes.push_back(std::move(node));
    }
  }
  return nodes;
}

std::string failed_phase(const ProbeResult& result) {
  if (result.ok()) return "";
  return std::string(info(result.outcome).phase);
}

bool walk_only_failure(const ProbeResult& result) {
  if (result.ok()) return false;
  const auto code = name(result.outcome);
  return code.starts_with("kafka_broker_") || code == "kafka_advertised_mismatch" ||
         code.starts_with("mongodb_member_");
}

}  // namespace plprobe::doctor
