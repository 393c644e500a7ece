// Shared by the check files (check_*.cc); not part of the library's API.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "validator/capacity.h"
#include "validator/rules.h"

namespace plprobe::validator::detail {

// Facts derived once from the inputs and shared by every check.
struct Context {
  const Inputs& in;
  const Endpoint& endpoint;
  const Evidence& evidence;
  std::vector<SubnetReport> subnets;
  std::optional<std::string> clickpipes_region;
  std::string clickpipes_region_from;  // "--clickpipes-region", "dnsNames", ...
  std::optional<std::string> source_region;
  std::string source_region_from;
  std::vector<std::int64_t> source_ports;  // ports the source serves on, as far as known
  std::string source_ports_from;

  explicit Context(const Inputs& inputs);

  bool is(EndpointType type) const { return endpoint.type == type; }
  bool is_endpoint_name(std::string_view host) const;
};

// Collects findings; the severity comes from the check table, so a check
// cannot report an id that is not documented or change its severity.
class Report {
 public:
  void add(std::string_view id, std::string subject, std::string message, nlohmann::json evidence,
           std::string remediation);
  std::vector<Finding>& findings() { return findings_; }

 private:
  std::vector<Finding> findings_;
};

// True for "072088201116", "arn:aws:iam::072088201116:root" (any partition)
// and "*" when `allow_wildcard`.
bool is_clickpipes_principal(std::string_view principal, bool allow_wildcard);

void check_parameters(const Context& ctx, Report& report);
void check_reuse(const Context& ctx, Report& report);
void check_resource_gateway(const Context& ctx, Report& report);
void check_subnets(const Context& ctx, Report& report);
void check_ram(const Context& ctx, Report& report);
void check_rds(const Context& ctx, Report& report);
void check_regions(const Context& ctx, Report& report);
void check_endpoint_service(const Context& ctx, Report& report);
void check_msk(const Context& ctx, Report& report);
void check_probes(const Context& ctx, Report& report);
// Runs last: reads the error findings of the others to name the probable
// causes of a Failed endpoint.
void check_endpoint_status(const Context& ctx, Report& report);

}  // namespace plprobe::validator::detail
