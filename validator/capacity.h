// Subnet capacity from AWS evidence: which subnets belong to the resource
// gateway, and the /28 arithmetic of subnets.h over the network interfaces
// and CIDR reservations the evidence lists for each of them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "validator/evidence.h"
#include "validator/subnets.h"

namespace plprobe::validator {

struct SubnetReport {
  std::string subnet_id;
  const Subnet* subnet = nullptr;  // points into the Evidence; null when describe-subnets lacks it
  std::optional<SubnetCapacity> capacity;  // null when the subnet or its IPv4 CIDR is unknown
  std::size_t network_interfaces = 0;      // ENIs of this subnet in the evidence
  std::size_t reservations = 0;            // CIDR reservations of this subnet in the evidence
  std::vector<std::string> unparsable;     // addresses/CIDRs in the evidence that did not parse
  bool in_gateway = false;                 // listed in the resource gateway's subnetIds
};

// One report per subnet of the (first) resource gateway when the evidence
// has one, else per subnet of describe-subnets. Evidence must outlive the result.
std::vector<SubnetReport> subnet_reports(const Evidence& evidence);

// The smallest free_28_blocks over reports with a capacity: how many more
// endpoints the gateway takes, since each needs a block in every subnet.
std::optional<std::uint64_t> gateway_capacity(const std::vector<SubnetReport>& reports);

}  // namespace plprobe::validator
