// The HTML report: one file a user can mail or attach to a ticket. No
// script, no external resource of any kind (fonts are the browser's generic
// families), so it renders the same offline and leaks nothing when opened.
#include <algorithm>
#include <map>
#include <string_view>

#include <fmt/format.h>

#include "doctor/render.h"

namespace plprobe::doctor {

namespace {

constexpr const char* kRed = "#d32f2f";
constexpr const char* kGreen = "#2e7d32";
constexpr const char* kGrey = "#757575";

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&#39;");
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// Long names are cut in the boxes; the full text is in the node's <title>.
std::string fit(std::string_view text, std::size_t max_chars) {
  if (text.size() <= max_chars) return std::string(text);
  std::string out(text.substr(0, max_chars - 3));
  out.append("...");
  return out;
}

std::string address_port(const ProbeResult& r) {
  if (!r.address) return "-";
  if (r.address->find(':') != std::string::npos) return fmt::format("[{}]:{}", *r.address, r.port);
  return fmt::format("{}:{}", *r.address, r.port);
}

constexpr const char* kStyle = R"(
body { font-family: sans-serif; margin: 24px auto; max-width: 1180px; color: #212121; background: #fff; }
h1 { font-size: 28px; padding: 12px 16px; border-radius: 6px; color: #fff; margin: 0 0 8px 0; }
h1.ready { background: #2e7d32; }
h1.not-ready { background: #c62828; }
h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 28px; }
p.meta { color: #555; margin: 4px 0; }
ol.findings { padding-left: 20px; }
li.finding { margin: 8px 0; padding: 6px 10px; border-left: 4px solid #999; background: #fafafa; }
li.finding.error { border-color: #d32f2f; }
li.finding.warning { border-color: #f9a825; }
li.finding.info { border-color: #0277bd; }
li.finding .sev { font-weight: bold; text-transform: uppercase; font-size: 12px; }
li.finding.error .sev { color: #c62828; }
li.finding.warning .sev { color: #f57f17; }
li.finding.info .sev { color: #0277bd; }
li.finding p { margin: 4px 0; }
p.fix { color: #1b5e20; }
code { font-family: monospace; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { border-bottom: 1px solid #eee; text-align: left; padding: 4px 6px; vertical-align: top; }
td.ok { color: #2e7d32; } td.fail { color: #c62828; }
figure.chart { display: inline-block; margin: 8px 12px 8px 0; }
figcaption { font-size: 12px; color: #333; font-family: monospace; }
svg text { font-family: monospace; font-size: 12px; }
)";

struct PortNode {
  const ProbeResult* result = nullptr;
  std::vector<WalkNode> walk;
  int rows() const { return std::max<int>(1, static_cast<int>(walk.size())); }
};
struct AddressNode {
  std::string label;
  bool failed = false;  // did not resolve
  std::string title;
  std::vector<PortNode> ports;
  int rows() const {
    int n = 0;
    for (const auto& p : ports) n += p.rows();
    return std::max(1, n);
  }
};
struct NameNode {
  std::string host;
  std::vector<AddressNode> addresses;
  int rows() const {
    int n = 0;
    for (const auto& a : addresses) n += a.rows();
    return std::max(1, n);
  }
};

std::vector<NameNode> build_tree(const Report& report) {
  std::vector<NameNode> names;
  auto find_name = [&](const std::string& host) -> NameNode& {
    for (auto& n : names) {
      if (n.host == host) return n;
    }
    names.push_back(NameNode{host, {}});
    return names.back();
  };
  for (const auto& host : report.endpoint ? report.endpoint->names : std::vector<std::string>{}) find_name(host);
  for (const auto& r : report.results) {
    auto& n = find_name(r.host);
    std::string label = r.address ? *r.address : std::string("unresolved: ") + std::string(name(r.outcome));
    auto it = std::find_if(n.addresses.begin(), n.addresses.end(), [&](const AddressNode& a) { return a.label == label; });
    if (it == n.addresses.end()) {
      AddressNode a;
      a.label = label;
      a.failed = !r.address;
      a.title = r.address ? fmt::format("{} ({})", *r.address, r.address_class) : r.message;
      n.addresses.push_back(std::move(a));
      it = std::prev(n.addresses.end());
    }
    if (r.address) it->ports.push_back(PortNode{&r, walk_nodes(r)});
  }
  return names;
}

struct Svg {
  std::string body;
  void node(int x, int y, int width, const std::string& text, const std::string& title, bool failed, const char* kind) {
    const char* colour = failed ? kRed : kGreen;
    body += fmt::format(
        "<g class=\"node {} {}\"><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"26\" rx=\"4\" "
        "fill=\"{}\" fill-opacity=\"0.08\" stroke=\"{}\" stroke-width=\"1.5\"/><text x=\"{}\" y=\"{}\">{}</text></g>\n",
        kind, failed ? "fail" : "ok", escape(title), x, y, width, colour, colour, x + 6, y + 17,
        escape(fit(text, static_cast<std::size_t>(width / 7 - 1))));
  }
  void hop(int x1, int y1, int x2, int y2, bool failed, const std::string& title) {
    body += fmt::format(
        "<line class=\"hop {}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"{}><title>{}</title></line>\n",
        failed ? "fail" : "ok", x1, y1, x2, y2, failed ? kRed : kGreen, failed ? 3 : 2,
        failed ? " stroke-dasharray=\"6 3\"" : "", escape(title));
  }
};

std::string path_diagram(const Report& report) {
  const auto names = build_tree(report);
  constexpr int kRow = 34, kTop = 30;
  constexpr int kNameX = 10, kNameW = 330, kAddrX = 390, kAddrW = 200, kPortX = 640, kPortW = 220, kWalkX = 910,
                kWalkW = 260;
  int total_rows = 0;
  for (const auto& n : names) total_rows += n.rows();
  const int height = kTop + std::max(1, total_rows) * kRow + 10;
  Svg svg;
  svg.body += fmt::format(
      "<text x=\"{}\" y=\"18\" fill=\"{}\">DNS name</text><text x=\"{}\" y=\"18\" fill=\"{}\">address</text>"
      "<text x=\"{}\" y=\"18\" fill=\"{}\">port (protocol)</text><text x=\"{}\" y=\"18\" fill=\"{}\">brokers / "
      "members</text>\n",
      kNameX, kGrey, kAddrX, kGrey, kPortX, kGrey, kWalkX, kGrey);
  int row = 0;
  for (const auto& n : names) {
    const int name_y = kTop + row * kRow + (n.rows() - 1) * kRow / 2;
    const bool name_failed =
        !n.addresses.empty() && std::all_of(n.addresses.begin(), n.addresses.end(), [](const AddressNode& a) { return a.failed; });
    svg.node(kNameX, name_y, kNameW, n.host, n.host, name_failed, "name");
    int address_row = row;
    for (const auto& a : n.addresses) {
      const int addr_y = kTop + address_row * kRow + (a.rows() - 1) * kRow / 2;
      svg.hop(kNameX + kNameW, name_y + 13, kAddrX, addr_y + 13, a.failed,
              a.failed ? a.title : fmt::format("{} resolves to {}", n.host, a.label));
      svg.node(kAddrX, addr_y, kAddrW, a.label, a.title, a.failed, "address");
      int port_row = address_row;
      for (const auto& p : a.ports) {
        const ProbeResult& r = *p.result;
        const int port_y = kTop + port_row * kRow + (p.rows() - 1) * kRow / 2;
        const auto phase = failed_phase(r);
        const bool hop_failed = phase == "connect" || phase == "tls";
        const bool port_failed = !r.ok() && !walk_only_failure(r);
        const std::string status = r.ok() ? "ok" : std::string(name(r.outcome));
        svg.hop(kAddrX + kAddrW, addr_y + 13, kPortX, port_y + 13, hop_failed,
                fmt::format("{} {}: {}", r.kind, address_port(r), hop_failed ? r.message : "connected"));
        svg.node(kPortX, port_y, kPortW, fmt::format("{} {}", r.port, r.kind), fmt::format("{} {}: {}", r.target, status, r.message),
                 port_failed, "port");
        int walk_row = port_row;
        for (const auto& w : p.walk) {
          const int walk_y = kTop + walk_row * kRow;
          const bool walk_failed = !w.outcome.empty() && w.outcome != "ok";
          std::string title = w.label + ": " + (w.outcome.empty() ? "not walked" : w.outcome);
          if (!w.underlying.empty()) title += " (" + w.underlying + ")";
          if (!w.message.empty()) title += " " + w.message;
          svg.hop(kPortX + kPortW, port_y + 13, kWalkX, walk_y + 13, walk_failed, title);
          svg.node(kWalkX, walk_y, kWalkW, w.label, title, walk_failed, "walk");
          ++walk_row;
        }
        port_row += p.rows();
      }
      address_row += a.rows();
    }
    row += n.rows();
  }
  return fmt::format(
      "<svg id=\"path-diagram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"1180\" height=\"{}\" viewBox=\"0 0 1180 {}\" "
      "role=\"img\" aria-label=\"path from DNS names to brokers and members\">\n{}</svg>\n",
      height, height, svg.body);
}

// Bars for min/p50/p90/p99/max over the samples (or the phases of a single
// probe), on one linear scale per address.
std::string latency_chart(const ProbeResult& r) {
  std::vector<std::pair<std::string, double>> bars;
  std::string caption;
  if (r.samples && r.samples->lost < r.samples->count) {
    const auto& s = *r.samples;
    bars = {{"min", s.min_ms}, {"p50", s.p50_ms}, {"p90", s.p90_ms}, {"p99", s.p99_ms}, {"max", s.max_ms}};
    caption = fmt::format("{} samples, {} lost", s.count, s.lost);
  } else {
    const auto& p = r.phases;
    if (p.dns_ms) bars.emplace_back("dns", *p.dns_ms);
    if (p.connect_ms) bars.emplace_back("connect", *p.connect_ms);
    if (p.tls_ms) bars.emplace_back("tls", *p.tls_ms);
    if (p.handshake_ms) bars.emplace_back("handshake", *p.handshake_ms);
    bars.emplace_back("total", p.total_ms);
    caption = r.samples ? fmt::format("all {} samples failed; the last one, by phase", r.samples->count)
                        : std::string("one probe, by phase");
  }
  double top = 0;
  for (const auto& [label, value] : bars) top = std::max(top, value);
  if (top <= 0) top = 1;
  constexpr int kWidth = 540, kLabel = 80, kBarMax = 330, kBar = 18;
  const int height = static_cast<int>(bars.size()) * (kBar + 6) + 30;
  const bool lossy = r.samples && r.samples->lost > 0;
  std::string body;
  int y = 6;
  for (const auto& [label, value] : bars) {
    const int width = std::max(1, static_cast<int>(kBarMax * value / top));
    body += fmt::format(
        "<text x=\"4\" y=\"{}\">{}</text><rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\">{:.3f} ms</text>\n",
        y + 13, label, kLabel, y, width, kBar, lossy || !r.ok() ? kRed : "#1565c0", kLabel + width + 6, y + 13, value);
    y += kBar + 6;
  }
  body += fmt::format("<text x=\"4\" y=\"{}\" fill=\"{}\">{}</text>\n", y + 14, kGrey, escape(caption));
  return fmt::format(
      "<figure class=\"chart\"><figcaption>{} {} ({})</figcaption>\n<svg class=\"latency-chart\" data-address=\"{}\" "
      "xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\">\n{}</svg></figure>\n",
      escape(r.host), escape(address_port(r)), escape(r.kind), escape(address_port(r)), kWidth, height, kWidth, height, body);
}

}  // namespace

std::string render_html(const Report& report) {
  std::string html;
  html += fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>plprobe doctor: {}</title>\n"
      "<style>{}</style>\n</head>\n<body>\n",
      escape(report.verdict()), kStyle);
  html += fmt::format("<h1 id=\"verdict\" class=\"{}\">{}</h1>\n", report.ready() ? "ready" : "not-ready",
                      escape(report.verdict()));
  if (report.endpoint) {
    const auto& e = *report.endpoint;
    html += fmt::format("<p class=\"meta\" id=\"endpoint\">Endpoint <code>{}</code> ({}, status {}){}</p>\n",
                        escape(e.id.empty() ? "(no id)" : e.id), escape(e.type), escape(e.status.empty() ? "absent" : e.status),
                        e.description.empty() ? "" : ": " + escape(e.description));
  } else {
    html += "<p class=\"meta\" id=\"endpoint\">No endpoint object: the targets were probed directly.</p>\n";
  }
  if (!report.source.empty()) {
    std::string ports;
    for (auto p : report.ports) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
    html += fmt::format("<p class=\"meta\">Source {}, port {} ({}); {} sample{} per address; {}.</p>\n",
                        escape(report.source), ports, escape(report.ports_from), report.samples,
                        report.samples == 1 ? "" : "s",
                        report.evidence_given ? fmt::format("{} AWS evidence file{}", report.evidence_files.size(),
                                                            report.evidence_files.size() == 1 ? "" : "s")
                                              : std::string("no AWS evidence"));
  }

  html += fmt::format("<section id=\"findings\">\n<h2>Findings ({} problem{}, {} warning{})</h2>\n",
                      report.problems(), report.problems() == 1 ? "" : "s", report.warnings(),
                      report.warnings() == 1 ? "" : "s");
  if (report.findings.empty()) {
    html += "<p>No findings: the configuration and the path look right.</p>\n";
  } else {
    html += "<ol class=\"findings\">\n";
    for (const auto& f : report.findings) {
      const auto severity = validator::to_string(f.severity);
      html += fmt::format(
          "<li class=\"finding {}\" data-id=\"{}\"><span class=\"sev\">{}</span> <code class=\"id\">{}</code> "
          "<span class=\"subject\">{}</span><p class=\"cause\">{}</p><p class=\"fix\">fix: {}</p></li>\n",
          severity, escape(f.id), severity, escape(f.id), escape(f.subject), escape(f.message), escape(f.remediation));
    }
    html += "</ol>\n";
  }
  html += "</section>\n";

  html += "<section id=\"path\">\n<h2>Path</h2>\n";
  html += "<p class=\"meta\">Every DNS name, the addresses it resolves to, the port and protocol probed there, and "
          "the brokers or members the source advertises. Red dashed hops failed.</p>\n";
  html += path_diagram(report);
  html += "</section>\n";

  html += "<section id=\"latency\">\n<h2>Latency per address</h2>\n";
  int charts = 0;
  for (const auto& r : report.results) {
    if (!r.address) continue;
    html += latency_chart(r);
    ++charts;
  }
  if (charts == 0) html += "<p>No address answered DNS, so nothing was timed.</p>\n";
  html += "</section>\n";

  html += "<section id=\"results\">\n<h2>Probe results</h2>\n<table>\n<tr><th>target</th><th>address</th><th>outcome</th>"
          "<th>message</th><th>total ms</th></tr>\n";
  for (const auto& r : report.results) {
    html += fmt::format("<tr class=\"result\"><td><code>{}</code></td><td>{}</td><td class=\"{}\">{}</td><td>{}</td>"
                        "<td>{:.3f}</td></tr>\n",
                        escape(r.target), escape(address_port(r)), r.ok() ? "ok" : "fail", name(r.outcome),
                        escape(r.message), r.phases.total_ms);
  }
  html += "</table>\n</section>\n";
  html += "<p class=\"meta\">Generated by plprobe doctor. This file is self-contained: it loads nothing.</p>\n";
  html += "</body>\n</html>\n";
  return html;
}

}  // namespace plprobe::doctor
