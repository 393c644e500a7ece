#include <algorithm>
#include <map>
#include <string_view>

#include <fmt/format.h>

#include "doctor/render.h"

namespace plprobe::doctor {

namespace {

struct Style {
  bool colour = false;
  std::string paint(std::string_view code, std::string_view text) const {
    return colour ? fmt::format("\033[{}m{}\033[0m", code, text) : std::string(text);
  }
};

std::string severity_tag(const Style& style, validator::Severity severity) {
  switch (severity) {
    case validator::Severity::error:
      return style.paint("1;31", "[error]");
    case validator::Severity::warning:
      return style.paint("1;33", "[warning]");
    case validator::Severity::info:
      return style.paint("36", "[info]");
  }
  return "[info]";
}

std::string ms(double value) { return fmt::format("{:.1f} ms", value); }

std::string outcome_text(const Style& style, const ProbeResult& r) {
  const std::string code(name(r.outcome));
  return r.ok() ? style.paint("32", code) : style.paint("31", code);
}

std::string address_port(const ProbeResult& r) {
  if (!r.address) return "(no address)";
  if (r.address->find(':') != std::string::npos) return fmt::format("[{}]:{}", *r.address, r.port);
  return fmt::format("{}:{}", *r.address, r.port);
}

void section(std::FILE* out, const Style& style, std::string_view title) {
  fmt::print(out, "\n{}\n", style.paint("1", title));
}

// One line of protocol facts: what answered.
std::string protocol_summary(const ProbeResult& r) {
  std::vector<std::string> parts;
  const auto& f = r.facts;
  auto text = [&](const char* key) -> std::string {
    auto it = f.find(key);
    return it != f.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (auto v = text("flavor"); !v.empty()) parts.push_back(v);
  if (auto v = text("server_version"); !v.empty()) parts.push_back("version " + v);
  if (auto v = text("cluster_id"); !v.empty()) parts.push_back("cluster " + v);
  if (auto v = text("set_name"); !v.empty()) parts.push_back("replica set " + v);
  if (auto v = text("auth_method"); !v.empty()) parts.push_back("auth " + v);
  if (auto it = f.find("tls_offered"); it != f.end() && it->is_boolean()) {
    parts.push_back(it->get<bool>() ? "TLS offered" : "no TLS offered");
  }
  if (r.tls && !r.tls->version.empty()) {
    parts.push_back(fmt::format("{} ({})", r.tls->version, r.tls->verified ? "verified" : "not verified"));
  }
  auto nodes = walk_nodes(r);
  if (!nodes.empty()) {
    const auto ok = std::count_if(nodes.begin(), nodes.end(), [](const WalkNode& n) { return n.outcome == "ok"; });
    parts.push_back(fmt::format("{} of {} {} answer", ok, nodes.size(), r.kind == "mongodb" ? "members" : "brokers"));
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

bool is_path_finding(const validator::Finding& finding) {
  static constexpr std::string_view kPath[] = {
      "dns_name_unresolved", "dns_name_public", "port_refused",         "port_unreachable",
      "tls_name_mismatch",   "tls_failed",      "protocol_failed",      "kafka_broker_unreachable",
      "kafka_advertised_mismatch", "mongodb_member_unreachable", "probe_failed"};
  return std::find(std::begin(kPath), std::end(kPath), finding.id) != std::end(kPath);
}

void render_text(std::FILE* out, const Report& report, bool colour) {
  const Style style{colour};
  fmt::print(out, "{}\n", report.ready() ? style.paint("1;32", report.verdict()) : style.paint("1;31", report.verdict()));

  if (!report.findings.empty()) fmt::print(out, "\n");
  for (const auto& f : report.findings) {
    fmt::print(out, "{} {}: {}\n", severity_tag(style, f.severity), style.paint("1", f.id), f.message);
    fmt::print(out, "    fix: {}\n", f.remediation);
  }

  section(out, style, "Endpoint");
  if (report.endpoint) {
    const auto& e = *report.endpoint;
    fmt::print(out, "  {} ({}, status {}){}\n", e.id.empty() ? "(no id)" : e.id, e.type.empty() ? "no type" : e.type,
               e.status.empty() ? "absent" : e.status, e.service_id.empty() ? "" : ", service " + e.service_id);
    for (const auto& n : e.names) fmt::print(out, "  name {}\n", n);
  } else {
    fmt::print(out, "  none given: probing the targets directly (path and readiness only)\n");
  }
  if (!report.source.empty()) {
    std::string ports;
    for (auto p : report.ports) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
    fmt::print(out, "  source {}, port{} {}{}\n", report.source, report.ports.size() == 1 ? "" : "s", ports,
               report.ports_from.empty() ? "" : " (" + report.ports_from + ")");
  }

  section(out, style, "Configuration");
  if (!report.endpoint) {
    fmt::print(out, "  not checked (no endpoint object)\n");
  } else {
    if (!report.evidence_given) {
      fmt::print(out, "  no AWS evidence given: only the endpoint object is checked (scripts/collect-evidence.sh)\n");
    } else {
      fmt::print(out, "  {} evidence file{}\n", report.evidence_files.size(), report.evidence_files.size() == 1 ? "" : "s");
    }
    int config = 0;
    for (const auto& f : report.findings) {
      if (is_path_finding(f)) continue;
      ++config;
      fmt::print(out, "  {} {} ({})\n", severity_tag(style, f.severity), f.id, f.subject);
    }
    if (config == 0) fmt::print(out, "  {}\n", style.paint("32", "no configuration findings"));
  }

  section(out, style, "DNS");
  {
    std::vector<std::string> hosts;
    std::map<std::string, std::vector<const ProbeResult*>> by_host;
    for (const auto& r : report.results) {
      if (!by_host.count(r.host)) hosts.push_back(r.host);
      by_host[r.host].push_back(&r);
    }
    for (const auto& host : hosts) {
      std::vector<std::string> addresses;
      std::string failure;
      for (const auto* r : by_host[host]) {
        if (r->address) {
          auto text = fmt::format("{} ({})", *r->address, r->address_class.empty() ? "?" : r->address_class);
          if (std::find(addresses.begin(), addresses.end(), text) == addresses.end()) addresses.push_back(text);
        } else if (failed_phase(*r) == "dns") {
          failure = fmt::format("{}: {}", name(r->outcome), r->message);
        }
      }
      std::string list;
      for (const auto& a : addresses) list += (list.empty() ? "" : ", ") + a;
      if (!failure.empty()) {
        fmt::print(out, "  {} -> {}\n", host, style.paint("31", failure));
      } else {
        fmt::print(out, "  {} -> {}\n", host, list.empty() ? "(no address)" : list);
      }
    }
  }

  section(out, style, "Connectivity");
  for (const auto& r : report.results) {
    if (!r.address) continue;
    const auto phase = failed_phase(r);
    const bool path_ok = r.ok() || (phase != "connect" && phase != "tls");
    std::string detail;
    if (r.phases.connect_ms) detail += "connect " + ms(*r.phases.connect_ms);
    if (r.phases.tls_ms) detail += (detail.empty() ? "" : ", ") + std::string("tls ") + ms(*r.phases.tls_ms);
    fmt::print(out, "  {} {}  {}{}\n", r.host, address_port(r),
               path_ok ? style.paint("32", "reachable") : style.paint("31", std::string(name(r.outcome))),
               detail.empty() ? "" : "  " + detail);
  }

  section(out, style, "Protocol");
  for (const auto& r : report.results) {
    if (!r.address) continue;
    const auto phase = failed_phase(r);
    if (phase == "connect") continue;  // never got to speak the protocol
    auto summary = protocol_summary(r);
    fmt::print(out, "  {} {}  {}{}\n", r.kind, address_port(r), outcome_text(style, r),
               summary.empty() ? "" : "  " + summary);
    for (const auto& n : walk_nodes(r)) {
      std::string what = n.outcome.empty() ? "not walked" : n.outcome;
      if (!n.underlying.empty()) what += " (" + n.underlying + ")";
      fmt::print(out, "    {}  {}\n", n.label, n.outcome == "ok" || n.outcome.empty() ? what : style.paint("31", what));
    }
  }

  section(out, style, "CDC readiness");
  {
    bool any = false;
    for (const auto& r : report.results) {
      if (r.kind != "postgres" && r.kind != "mysql" && r.kind != "mongodb") continue;
      any = true;
      const auto cdc = r.facts.find("cdc");
      if (cdc == r.facts.end() || !cdc->is_object()) {
        fmt::print(out, "  {} {}  not checked ({})\n", r.kind, address_port(r),
                   report.credentials ? "the probe did not log in" : "no credentials: pass --credentials-from-env");
        continue;
      }
      const bool ready = cdc->value("ready", false);
      fmt::print(out, "  {} {}  {}\n", r.kind, address_port(r), ready ? style.paint("32", "ready") : style.paint("31", "not ready"));
      if (auto findings = cdc->find("findings"); findings != cdc->end() && findings->is_array()) {
        for (const auto& f : *findings) {
          fmt::print(out, "    [{}] {}: {}\n", f.value("severity", std::string()), f.value("id", std::string()),
                     f.value("message", std::string()));
        }
      }
    }
    if (!any) fmt::print(out, "  not applicable ({})\n", report.source.empty() ? "no database targets" : report.source);
  }

  section(out, style, fmt::format("Latency ({} sample{} per address)", report.samples, report.samples == 1 ? "" : "s"));
  for (const auto& r : report.results) {
    if (!r.address) continue;
    if (r.samples && r.samples->lost == r.samples->count) {
      fmt::print(out, "  {} {}  {}\n", r.host, address_port(r),
                 style.paint("31", fmt::format("all {} samples failed ({})", r.samples->count, name(r.outcome))));
    } else if (r.samples) {
      const auto& s = *r.samples;
      fmt::print(out, "  {} {}  min {:.2f}  p50 {:.2f}  p90 {:.2f}  p99 {:.2f}  max {:.2f} ms  loss {}/{}\n", r.host,
                 address_port(r), s.min_ms, s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms, s.lost, s.count);
    } else {
      fmt::print(out, "  {} {}  total {:.2f} ms\n", r.host, address_port(r), r.phases.total_ms);
    }
  }
  std::fflush(out);
}

}  // namespace plprobe::doctor
