#include <fmt/format.h>

#include "doctor/render.h"

namespace plprobe::doctor {

namespace {

void write_line(std::FILE* out, const Json& line) {
  auto text = line.dump(-1, ' ', false, Json::error_handler_t::replace);
  text.push_back('\n');
  std::fwrite(text.data(), 1, text.size(), out);
}

}  // namespace

void render_json_lines(std::FILE* out, const Report& report) {
  for (const auto& f : report.findings) write_line(out, validator::to_json(f));
  for (const auto& r : report.results) write_line(out, to_json(r));

  Json summary;
  summary["verdict"] = verdict_code(report);
  summary["problems"] = report.problems();
  summary["warnings"] = report.warnings();
  summary["findings"] = report.findings.size();
  summary["results"] = report.results.size();
  Json ids = Json::array();
  for (const auto& f : report.findings) {
    if (f.severity == validator::Severity::error) ids.push_back(f.id);
  }
  summary["problem_ids"] = std::move(ids);
  if (report.endpoint) {
    summary["endpoint"] = {{"id", report.endpoint->id},
                           {"type", report.endpoint->type},
                           {"status", report.endpoint->status},
                           {"names", report.endpoint->names}};
  } else {
    summary["endpoint"] = nullptr;
  }
  summary["source"] = report.source.empty() ? Json(nullptr) : Json(report.source);
  summary["ports"] = report.ports;
  summary["targets"] = report.targets;
  summary["samples"] = report.samples;
  summary["evidence_files"] = report.evidence_files.size();
  write_line(out, summary);
  std::fflush(out);
}

}  // namespace plprobe::doctor
