// Fuzz target for the evidence loader: any bytes go through the same path
// as a user's file (JSON parse, recognition by content, field extraction),
// then through the subnet arithmetic and every rule. The only acceptable
// failure is validator::InputError; anything else -- another exception, a
// crash, a sanitizer report -- is a bug.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "validator/capacity.h"
#include "validator/evidence.h"
#include "validator/input_error.h"
#include "validator/probe_results.h"
#include "validator/rules.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace v = plprobe::validator;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  v::Evidence evidence;
  try {
    v::add_text(evidence, text, "fuzz-input.json");
  } catch (const v::InputError&) {
    // Bad input is reported, not crashed on: the same bytes as JSON Lines.
    try {
      (void)v::parse_probe_lines(text, "fuzz-input.jsonl");
    } catch (const v::InputError&) {
    }
    return 0;
  }
  (void)v::subnet_reports(evidence);
  // One endpoint of each type judged against whatever was loaded.
  for (auto type : {v::EndpointType::vpc_resource, v::EndpointType::msk_multi_vpc, v::EndpointType::vpc_endpoint_service}) {
    v::Endpoint endpoint;
    endpoint.id = "fuzz";
    endpoint.type = type;
    endpoint.type_name = std::string(v::to_string(type));
    endpoint.status = "Failed";
    endpoint.msk_authentication = "SASL_IAM";
    endpoint.vpc_endpoint_service_name = "com.amazonaws.vpce.us-east-1.vpce-svc-0e7555fb6441987e1";
    v::Inputs inputs;
    inputs.endpoint = &endpoint;
    inputs.evidence = &evidence;
    inputs.regions = &v::builtin_regions();
    inputs.source = v::SourceKind::kafka;
    auto findings = v::validate(inputs);
    for (const auto& finding : findings) (void)v::to_json(finding).dump();
  }
  return 0;
}
