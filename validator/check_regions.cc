// Region rules (domain.md rule 6; ClickPipes AWS PrivateLink guide,
// "Supported AWS regions" and "Limitations"; AWS PrivateLink Guide,
// "Cross-region connectivity" for endpoint services).
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "validator/checks_internal.h"
#include "validator/json_util.h"

namespace plprobe::validator::detail {

void check_regions(const Context& ctx, Report& report) {
  if (ctx.is(EndpointType::other)) return;
  const RegionList& regions = *ctx.in.regions;
  const auto& c = ctx.clickpipes_region;
  const auto& s = ctx.source_region;
  const std::string subject = ctx.endpoint.id.empty() ? std::string("endpoint") : ctx.endpoint.id;

  nlohmann::json base = {{"clickpipes_region", c ? nlohmann::json(*c) : nlohmann::json(nullptr)},
                         {"clickpipes_region_from", ctx.clickpipes_region_from},
                         {"source_region", s ? nlohmann::json(*s) : nlohmann::json(nullptr)},
                         {"source_region_from", ctx.source_region_from},
                         {"region_list", regions.source}};
  auto not_listed = [&](const std::string& region, const std::string& role, const std::string& remediation) {
    report.add("region_not_in_clickpipes_list", region,
               fmt::format("{} region {} is not in the ClickPipes region list ({} regions, {}).", role, region,
                           regions.aws.size(), regions.source),
               base, remediation);
  };

  if (!c) {
    report.add("region_unverified", subject,
               "The ClickPipe's region is unknown (no --clickpipes-region, and no region in the endpoint's DNS names).",
               base,
               "Pass --clickpipes-region REGION (the region of the ClickPipes service that serves your ClickHouse "
               "service) to check the region rules.");
  }
  if (!s) {
    report.add("region_unverified", subject, "The source's region could not be read from the endpoint's parameters.",
               base, "Check the endpoint's ARN or service name parameters (param_* findings).");
  }

  if (ctx.is(EndpointType::vpc_resource) || ctx.is(EndpointType::msk_multi_vpc)) {
    const char* kind = ctx.is(EndpointType::vpc_resource) ? "VPC resource" : "MSK multi-VPC";
    if (c && s && *c != *s) {
      report.add("region_mismatch", subject,
                 fmt::format("The source is in {} but the ClickPipe is in {}; {} endpoints cannot cross regions.", *s, *c,
                             kind),
                 base,
                 "Use a VPC endpoint service (NLB + endpoint service with cross-region access to the ClickPipe's "
                 "region) instead, or a ClickPipes service in the source's region.");
    }
    auto remediation = [&](const std::string& region) {
      return fmt::format("{} endpoints need the source and the ClickPipe in one ClickPipes region; for a source in "
                         "{}, use a VPC endpoint service with cross-region access to a ClickPipes region.",
                         kind, region);
    };
    if (c && !regions.contains(*c)) not_listed(*c, "The ClickPipe's", remediation(*c));
    if (s && !regions.contains(*s) && !(c && *c == *s)) not_listed(*s, "The source's", remediation(*s));
    return;
  }

  // VPC endpoint service: may cross regions when its supported regions
  // include the ClickPipe's region.
  if (c && !regions.contains(*c)) {
    not_listed(*c, "The ClickPipe's", "Use a ClickPipes region from the list (plprobe validate --help names the list's source).");
  }
  // With the ClickPipe's region known, the source may be anywhere (cross
  // region); unknown, the service's own region must be a ClickPipes region.
  if (s && !regions.contains(*s) && !c) {
    not_listed(*s, "The endpoint service's",
               "Enable cross-region access on the endpoint service and add a ClickPipes region to its supported "
               "regions ('aws ec2 modify-vpc-endpoint-service-configuration --add-supported-regions REGION'), then "
               "create the endpoint from that region.");
  }
  if (c && s && *c != *s) {
    const ServiceConfiguration* service = nullptr;
    for (const auto& candidate : ctx.evidence.service_configurations) {
      if (candidate.service_name == ctx.endpoint.vpc_endpoint_service_name || service == nullptr) service = &candidate;
    }
    if (service == nullptr) {
      report.add("region_unverified", subject,
                 fmt::format("The endpoint service is in {} and the ClickPipe in {}; without the service "
                             "configuration the supported regions cannot be checked.",
                             *s, *c),
                 base, "Add the output of 'aws ec2 describe-vpc-endpoint-service-configurations'.");
      return;
    }
    std::vector<std::string> listed;
    bool supported = false;
    for (const auto& r : service->supported_regions) {
      listed.push_back(r.state.empty() ? r.region : fmt::format("{} ({})", r.region, r.state));
      if (iequals(r.region, *c) && (r.state.empty() || iequals(r.state, "Available"))) supported = true;
    }
    if (!supported) {
      auto evidence = base;
      evidence["SupportedRegions"] = listed;
      report.add("service_region_not_supported", service->service_id.empty() ? subject : service->service_id,
                 fmt::format("The endpoint service is in {} and the ClickPipe in {}, but {} is not an available "
                             "supported region of the service (supported: {}).",
                             *s, *c, *c, listed.empty() ? std::string("none") : fmt::format("{}", fmt::join(listed, ", "))),
                 evidence,
                 fmt::format("Add it: 'aws ec2 modify-vpc-endpoint-service-configuration --service-id {} "
                             "--add-supported-regions {}' (AWS PrivateLink Guide, cross-region connectivity).",
                             service->service_id.empty() ? "SERVICE_ID" : service->service_id, *c));
    }
  }
}

}  // namespace plprobe::validator::detail
