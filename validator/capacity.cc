#include "validator/capacity.h"

#include <algorithm>
#include <limits>

#include "validator/json_util.h"

namespace plprobe::validator {

namespace {

SubnetReport report_for(const Evidence& evidence, const std::string& subnet_id) {
  SubnetReport report;
  report.subnet_id = subnet_id;
  auto subnet = std::find_if(evidence.subnets.begin(), evidence.subnets.end(),
                             [&](const Subnet& s) { return s.id == subnet_id; });
  if (subnet == evidence.subnets.end()) return report;
  report.subnet = &*subnet;
  auto cidr = Ipv4Cidr::parse(subnet->cidr);
  if (!cidr) {
    if (!subnet->cidr.empty()) report.unparsable.push_back(subnet->cidr);
    return report;
  }
  SubnetUsage usage;
  usage.subnet_id = subnet_id;
  usage.cidr = *cidr;
  for (const auto& ni : evidence.network_interfaces) {
    if (ni.subnet_id != subnet_id) continue;
    ++report.network_interfaces;
    for (const auto& ip : ni.private_ips) {
      if (auto address = parse_ipv4(ip)) {
        usage.addresses.push_back(*address);
      } else {
        report.unparsable.push_back(ip);
      }
    }
    for (const auto& prefix : ni.prefixes) {
      if (auto range = Ipv4Cidr::parse(prefix)) {
        usage.prefixes.push_back(*range);
      } else {
        report.unparsable.push_back(prefix);
      }
    }
  }
  for (const auto& reservation : evidence.cidr_reservations) {
    if (reservation.subnet_id != subnet_id) continue;
    ++report.reservations;
    if (auto range = Ipv4Cidr::parse(reservation.cidr)) {
      usage.reservations.push_back(*range);
    } else {
      report.unparsable.push_back(reservation.cidr);
    }
  }
  report.capacity = compute_capacity(usage);
  return report;
}

}  // namespace

std::vector<SubnetReport> subnet_reports(const Evidence& evidence) {
  std::vector<SubnetReport> out;
  if (!evidence.gateways.empty() && !evidence.gateways.front().subnet_ids.empty()) {
    for (const auto& id : evidence.gateways.front().subnet_ids) {
      out.push_back(report_for(evidence, id));
      out.back().in_gateway = true;
    }
    return out;
  }
  for (const auto& subnet : evidence.subnets) out.push_back(report_for(evidence, subnet.id));
  return out;
}

std::optional<std::uint64_t> gateway_capacity(const std::vector<SubnetReport>& reports) {
  std::optional<std::uint64_t> smallest;
  for (const auto& report : reports) {
    if (!report.capacity) continue;
    smallest = std::min(smallest.value_or(std::numeric_limits<std::uint64_t>::max()), report.capacity->free_28_blocks);
  }
  return smallest;
}

}  // namespace plprobe::validator
