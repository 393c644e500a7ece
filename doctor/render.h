// The doctor report's three forms. All read the same Report, so the text,
// the JSON Lines and the HTML file always agree.
//
// Text: the verdict line first; then every finding as
//   [error] <id>: <cause>
//           fix: <remedy>
// then short sections: endpoint, configuration, DNS, connectivity (per name
// and address), protocol, CDC readiness, latency.
//
// JSON Lines: every finding (validator::to_json, the validator's contract),
// every probe result (the result contract), then one summary object
// {"verdict": "ready"|"not_ready", "problems": N, "warnings": N, ...}.
//
// HTML: one self-contained file (inline CSS and SVG, no script, no external
// font, image or link) with the verdict, the findings, a diagram of the path
// (names -> addresses -> ports -> brokers/members, failing hops in red) and
// one latency chart per address.
#pragma once

#include <cstdio>
#include <string>

#include "doctor/report.h"

namespace plprobe::doctor {

void render_text(std::FILE* out, const Report& report, bool colour);
void render_json_lines(std::FILE* out, const Report& report);
std::string render_html(const Report& report);

// Check ids that come from probe results (the path), as opposed to the
// endpoint object and the AWS evidence (the configuration).
bool is_path_finding(const validator::Finding& finding);

}  // namespace plprobe::doctor
