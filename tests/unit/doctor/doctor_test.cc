// plprobe::doctor without sockets: targets planned from endpoint objects,
// prepared probe results judged by the validator, and what each renderer
// makes of the report.
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "doctor/diagnose.h"
#include "doctor/plan.h"
#include "doctor/render.h"
#include "validator/endpoint.h"
#include "validator/evidence.h"

namespace plprobe::doctor {
namespace {

namespace v = plprobe::validator;

std::string fixture(const std::string& relative) {
  std::string path = PLPROBE_SOURCE_DIR;
  path.append("/tests/fixtures/validator/");
  path.append(relative);
  return path;
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

// Renders into a memory stream so the text and JSON renderers can be read back.
template <typename Fn>
std::string capture(Fn&& fn) {
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  fn(out);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

v::Endpoint endpoint_service(std::vector<std::string> names) {
  v::Endpoint e;
  e.id = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d";
  e.type = v::EndpointType::vpc_endpoint_service;
  e.type_name = "VPC_ENDPOINT_SERVICE";
  e.vpc_endpoint_service_name = "com.amazonaws.vpce.us-east-1.vpce-svc-0e7555fb6441987e1";
  e.status = "Ready";
  e.dns_names = std::move(names);
  return e;
}

TEST(DoctorPlan, EveryNameTimesEveryPortWithTheSourcesScheme) {
  auto e = endpoint_service({"a.vpce.amazonaws.com", "b.vpce.amazonaws.com"});
  e.private_dns_names = {"kafka.example.com", "A.vpce.amazonaws.com"};  // a duplicate in another case
  PlanOptions options;
  options.source = v::SourceKind::kafka;
  options.ports = {9092, 9094};
  std::string error;
  auto plan = plan_targets(e, v::Evidence{}, options, error);
  ASSERT_TRUE(plan) << error;
  ASSERT_EQ(plan->targets.size(), 6u);
  EXPECT_EQ(plan->targets[0].text, "kafka://a.vpce.amazonaws.com:9092");
  EXPECT_EQ(plan->targets[1].text, "kafka://a.vpce.amazonaws.com:9094");
  EXPECT_EQ(plan->targets[5].text, "kafka://kafka.example.com:9094");
  EXPECT_EQ(plan->ports_from, "--port");
}

TEST(DoctorPlan, DefaultPortUserAndTlsSchemes) {
  auto e = endpoint_service({"db.vpce.amazonaws.com"});
  PlanOptions options;
  options.source = v::SourceKind::postgres;
  options.user = "clickpipes";
  std::string error;
  auto plan = plan_targets(e, v::Evidence{}, options, error);
  ASSERT_TRUE(plan) << error;
  EXPECT_EQ(plan->targets.at(0).text, "postgres://clickpipes@db.vpce.amazonaws.com:5432");
  EXPECT_EQ(plan->ports_from, "the default port of postgres");

  options.source = v::SourceKind::mongodb;
  options.tls = true;
  plan = plan_targets(e, v::Evidence{}, options, error);
  ASSERT_TRUE(plan) << error;
  EXPECT_EQ(plan->targets.at(0).text, "mongodb+tls://clickpipes@db.vpce.amazonaws.com:27017");
}

TEST(DoctorPlan, MskPortsComeFromTheVpcConnectivityBootstrapString) {
  auto endpoints = v::load_endpoints(fixture("msk/healthy/rpe.json"));
  auto evidence = v::load_evidence({fixture("msk/healthy/msk-bootstrap-brokers.json")});
  PlanOptions options;
  options.source = v::SourceKind::kafka;
  std::string error;
  auto plan = plan_targets(endpoints.at(0), evidence, options, error);
  ASSERT_TRUE(plan) << error;
  EXPECT_EQ(plan->ports, (std::vector<std::uint16_t>{14001, 14002}));
  EXPECT_NE(plan->ports_from.find("BootstrapBrokerStringVpcConnectivitySaslIam"), std::string::npos);
  EXPECT_TRUE(plan->targets.at(0).text.starts_with("kafka+tls://")) << plan->targets.at(0).text;
}

TEST(DoctorPlan, AnEndpointWithoutNamesIsAnError) {
  auto e = endpoint_service({});
  std::string error;
  EXPECT_FALSE(plan_targets(e, v::Evidence{}, PlanOptions{}, error));
  EXPECT_NE(error.find("no DNS name"), std::string::npos) << error;
}

// A Kafka bootstrap that answered, with broker 2 advertising a name that
// does not resolve, and a second address that refused.
std::vector<ProbeResult> broken_kafka_results(const std::string& host) {
  ProbeResult walk;
  walk.target = "kafka://" + host + ":9092";
  walk.kind = "kafka";
  walk.host = host;
  walk.port = 9092;
  walk.address = "127.0.0.1";
  walk.address_class = "loopback";
  walk.phases.connect_ms = 0.2;
  walk.phases.total_ms = 1.5;
  walk.facts["cluster_id"] = "mock";
  walk.facts["brokers"] = Json::array(
      {{{"node_id", 1}, {"advertised", "127.0.0.1:9092"}, {"host", "127.0.0.1"}, {"port", 9092}, {"outcome", "ok"}},
       {{"node_id", 2},
        {"advertised", "b-2.internal:9093"},
        {"host", "b-2.internal"},
        {"port", 9093},
        {"outcome", "kafka_broker_unresolvable"},
        {"underlying", "dns_nxdomain"},
        {"message", "advertises b-2.internal:9093, which does not resolve <here>"}}});
  walk.fail(Code::kafka_broker_unresolvable, "1 of 2 advertised brokers fail");
  walk.samples = SampleSummary{20, 0, 0.1, 0.2, 0.3, 0.4, 0.5};

  ProbeResult refused = walk;
  refused.address = "127.0.0.2";
  refused.facts = Json::object();
  refused.samples.reset();
  refused.phases = PhaseTimes{};
  refused.phases.total_ms = 0.3;
  refused.fail(Code::tcp_refused, "connection refused by 127.0.0.2:9092");
  return {walk, refused};
}

Report judged_broken_report(const v::Endpoint& e) {
  static const v::Evidence no_evidence;
  Request request;
  request.endpoint = &e;
  request.siblings = std::span<const v::Endpoint>(&e, 1);
  request.evidence = &no_evidence;
  request.regions = &v::builtin_regions();
  request.source = v::SourceKind::kafka;
  request.ports = {9092};
  Report report;
  report.endpoint = EndpointSummary{e.id, e.type_name, e.status, "", "", e.all_dns_names()};
  report.source = "kafka";
  report.ports = {9092};
  report.samples = 20;
  report.results = broken_kafka_results(e.dns_names.at(0));
  judge(request, report);
  return report;
}

TEST(DoctorJudge, ProbeResultsBecomeTheValidatorsFindings) {
  const auto e = endpoint_service({"vpce-0abc.vpce-svc-0e7555fb6441987e1.us-east-1.vpce.amazonaws.com"});
  const auto report = judged_broken_report(e);
  std::vector<std::string> ids;
  for (const auto& f : report.findings) ids.push_back(f.id);
  ASSERT_FALSE(ids.empty());
  EXPECT_NE(std::find(ids.begin(), ids.end(), "port_refused"), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), "kafka_broker_unreachable"), ids.end());
  for (const auto& f : report.findings) EXPECT_NE(v::find_check(f.id), nullptr) << f.id;
  EXPECT_FALSE(report.ready());
  EXPECT_EQ(report.verdict(), "NOT READY: 2 problems");
}

TEST(DoctorJudge, WithoutAnEndpointOnlyThePathChecksRun) {
  Request request;
  Report report;
  report.results = broken_kafka_results("db.internal");
  judge(request, report);
  ASSERT_EQ(report.problems(), 2);
  for (const auto& f : report.findings) {
    EXPECT_TRUE(is_path_finding(f)) << f.id;
  }
}

TEST(DoctorRender, TextPutsTheVerdictFirstAndACauseAndFixPerProblem) {
  const auto e = endpoint_service({"vpce-0abc.vpce-svc-0e7555fb6441987e1.us-east-1.vpce.amazonaws.com"});
  const auto report = judged_broken_report(e);
  const auto text = capture([&](std::FILE* out) { render_text(out, report, false); });
  EXPECT_EQ(text.rfind("NOT READY: 2 problems\n", 0), 0u) << text;
  EXPECT_NE(text.find("[error] port_refused: "), std::string::npos) << text;
  EXPECT_EQ(count(text, "    fix: "), report.findings.size()) << text;
  for (const char* section : {"\nEndpoint\n", "\nConfiguration\n", "\nDNS\n", "\nConnectivity\n", "\nProtocol\n",
                              "\nCDC readiness\n", "\nLatency (20 samples per address)\n"}) {
    EXPECT_NE(text.find(section), std::string::npos) << section;
  }
  EXPECT_NE(text.find("node 2 b-2.internal:9093  kafka_broker_unresolvable (dns_nxdomain)"), std::string::npos) << text;
  EXPECT_EQ(text.find("\033["), std::string::npos) << "no colour when asked for none";
}

TEST(DoctorRender, JsonLinesAreFindingsThenResultsThenOneSummary) {
  const auto e = endpoint_service({"vpce-0abc.vpce-svc-0e7555fb6441987e1.us-east-1.vpce.amazonaws.com"});
  const auto report = judged_broken_report(e);
  const auto text = capture([&](std::FILE* out) { render_json_lines(out, report); });
  std::vector<nlohmann::json> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    lines.push_back(nlohmann::json::parse(text.substr(start, end - start)));
    start = end + 1;
  }
  ASSERT_EQ(lines.size(), report.findings.size() + report.results.size() + 1);
  EXPECT_EQ(lines.front()["id"], report.findings.front().id);
  EXPECT_EQ(lines[report.findings.size()]["target"], report.results.front().target);
  const auto& summary = lines.back();
  EXPECT_EQ(summary["verdict"], "not_ready");
  EXPECT_EQ(summary["problems"], 2);
  EXPECT_EQ(summary["results"], 2);
  EXPECT_EQ(summary["samples"], 20);
}

TEST(DoctorRender, HtmlIsSelfContainedWithRedHopsAndOneChartPerAddress) {
  const auto e = endpoint_service({"vpce-0abc.vpce-svc-0e7555fb6441987e1.us-east-1.vpce.amazonaws.com"});
  const auto report = judged_broken_report(e);
  const auto html = render_html(report);
  EXPECT_NE(html.find("<h1 id=\"verdict\" class=\"not-ready\">NOT READY: 2 problems</h1>"), std::string::npos);
  EXPECT_EQ(count(html, "<li class=\"finding "), report.findings.size());
  EXPECT_EQ(count(html, "class=\"latency-chart\""), 2u);
  // The refused address and the unresolvable broker: two red hops.
  EXPECT_EQ(count(html, "<line class=\"hop fail\""), 2u) << html;
  EXPECT_GE(count(html, "<line class=\"hop ok\""), 2u);
  // Text from the network is escaped, and nothing is loaded from anywhere.
  EXPECT_NE(html.find("&lt;here&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<here>"), std::string::npos);
  for (const char* external : {"<script", "<link", "@import", "url(", "src=", "href="}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
}

TEST(DoctorRender, AReadyReportSaysSoEverywhere) {
  Report report;
  report.source = "postgres";
  report.ports = {5432};
  ProbeResult ok;
  ok.target = "postgres://db.internal:5432";
  ok.kind = "postgres";
  ok.host = "db.internal";
  ok.port = 5432;
  ok.address = "127.0.0.1";
  report.results = {ok};
  EXPECT_TRUE(report.ready());
  EXPECT_EQ(report.verdict(), "READY");
  const auto html = render_html(report);
  EXPECT_NE(html.find("<h1 id=\"verdict\" class=\"ready\">READY</h1>"), std::string::npos);
  EXPECT_EQ(count(html, "class=\"hop fail\""), 0u);
  const auto text = capture([&](std::FILE* out) { render_text(out, report, false); });
  EXPECT_EQ(text.rfind("READY\n", 0), 0u) << text;
}

}  // namespace
}  // namespace plprobe::doctor
