// VPC resource endpoints: resource gateway, resource configuration, subnet
// capacity, publicly accessible RDS targets and the RAM resource share
// (domain.md rules 1-5; Amazon VPC Lattice User Guide, "Resource gateways"
// and "Resource configurations").
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "validator/checks_internal.h"
#include "validator/json_util.h"

namespace plprobe::validator::detail {

namespace {

// "5432", "1-65535", "1,2,22-30": does the list cover `port`?
bool ranges_cover(const std::vector<std::string>& ranges, std::int64_t port) {
  for (const auto& item : ranges) {
    std::size_t start = 0;
    while (start <= item.size()) {
      auto comma = item.find(',', start);
      std::string part = item.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      start = comma == std::string::npos ? item.size() + 1 : comma + 1;
      auto dash = part.find('-');
      try {
        std::int64_t low = std::stoll(part.substr(0, dash));
        std::int64_t high = dash == std::string::npos ? low : std::stoll(part.substr(dash + 1));
        if (port >= low && port <= high) return true;
      } catch (const std::exception&) {
        // Not a number: not a range that covers anything.
      }
    }
  }
  return false;
}

nlohmann::json capacity_json(const SubnetReport& r) {
  nlohmann::json out = {{"subnet_id", r.subnet_id}};
  if (r.subnet != nullptr) {
    out["cidr"] = r.subnet->cidr;
    out["availability_zone"] = r.subnet->availability_zone;
    if (r.subnet->available_ip_address_count) out["aws_available_ip_address_count"] = *r.subnet->available_ip_address_count;
  }
  if (r.capacity) {
    out["size"] = r.capacity->size;
    out["used"] = r.capacity->used;
    out["free_addresses"] = r.capacity->free_addresses;
    out["free_28_blocks"] = r.capacity->free_28_blocks;
  }
  out["network_interfaces"] = r.network_interfaces;
  out["cidr_reservations"] = r.reservations;
  return out;
}

const ResourceConfiguration* endpoint_configuration(const Context& ctx) {
  for (const auto& c : ctx.evidence.resource_configurations) {
    if (c.id == ctx.endpoint.vpc_resource_configuration_id) return &c;
  }
  return ctx.evidence.resource_configurations.empty() ? nullptr : &ctx.evidence.resource_configurations.front();
}

}  // namespace

void check_resource_gateway(const Context& ctx, Report& report) {
  for (const auto& g : ctx.evidence.gateways) {
    if (iequals(g.status, "ACTIVE")) continue;
    bool failed = g.status.ends_with("FAILED") || g.status.ends_with("failed");
    report.add("gateway_not_active", g.id.empty() ? g.source : g.id,
               fmt::format("Resource gateway {} is {}, not ACTIVE.", g.id, g.status.empty() ? "(no status)" : g.status),
               {{"status", g.status}, {"file", g.source}},
               failed ? "Delete the resource gateway and create it again ('aws vpc-lattice create-resource-gateway' "
                        "with subnets that have free /28 blocks and valid security groups), then recreate the "
                        "resource configuration on it."
                      : "Wait until 'aws vpc-lattice get-resource-gateway' shows ACTIVE before creating the resource "
                        "configuration (Amazon VPC Lattice User Guide, \"Create a resource gateway\").");
  }
  for (const auto& c : ctx.evidence.resource_configurations) {
    if (!iequals(c.status, "ACTIVE")) {
      nlohmann::json evidence = {{"status", c.status}, {"file", c.source}};
      std::string reason;
      if (!c.failure_reason.empty()) {
        evidence["failureReason"] = c.failure_reason;
        reason = fmt::format(" AWS says: \"{}\".", c.failure_reason);
      }
      report.add("resource_config_not_active", c.id.empty() ? c.source : c.id,
                 fmt::format("Resource configuration {} is {}, not ACTIVE.{}", c.id,
                             c.status.empty() ? "(no status)" : c.status, reason),
                 evidence,
                 "Fix the cause AWS names, then delete and recreate the resource configuration ('aws vpc-lattice "
                 "create-resource-configuration') on an ACTIVE resource gateway, share it again and recreate the "
                 "endpoint.");
    }
    if (ctx.is(EndpointType::vpc_resource) && c.id != ctx.endpoint.vpc_resource_configuration_id) continue;
    if (c.port_ranges.empty()) continue;
    for (auto port : ctx.source_ports) {
      if (ranges_cover(c.port_ranges, port)) continue;
      report.add("resource_config_port_missing", c.id.empty() ? c.source : c.id,
                 fmt::format("Resource configuration {} allows ports {} but the source serves on {} (from {}).", c.id,
                             fmt::join(c.port_ranges, ","), port, ctx.source_ports_from),
                 {{"portRanges", c.port_ranges}, {"port", port}, {"port_from", ctx.source_ports_from}},
                 fmt::format("Recreate the resource configuration with --port-ranges that include {} ('aws "
                             "vpc-lattice create-resource-configuration'), or connect on a port it allows.",
                             port));
    }
  }
}

void check_subnets(const Context& ctx, Report& report) {
  if (!ctx.is(EndpointType::vpc_resource) || ctx.subnets.empty()) return;
  const std::string gateway =
      ctx.evidence.gateways.empty() ? std::string("resource gateway") : ctx.evidence.gateways.front().id;

  for (const auto& r : ctx.subnets) {
    if (r.subnet == nullptr) {
      report.add("subnet_evidence_missing", r.subnet_id,
                 fmt::format("Subnet {} of {} is not in the describe-subnets evidence, so its capacity is unknown.",
                             r.subnet_id, gateway),
                 {{"subnet_id", r.subnet_id}},
                 fmt::format("Add the output of 'aws ec2 describe-subnets --subnet-ids {}'.", r.subnet_id));
      continue;
    }
    if (!r.capacity) {
      report.add("subnet_evidence_missing", r.subnet_id,
                 fmt::format("Subnet {} has no IPv4 CIDR the validator can read ('{}').", r.subnet_id, r.subnet->cidr),
                 {{"subnet_id", r.subnet_id}, {"cidr", r.subnet->cidr}},
                 "Check the describe-subnets output; a resource gateway with IPv4 needs IPv4 subnets.");
      continue;
    }
    const auto& c = *r.capacity;
    if (!r.unparsable.empty()) {
      report.add("subnet_evidence_missing", r.subnet_id,
                 fmt::format("Some addresses of subnet {} in the evidence could not be read ({}); the capacity may "
                             "be overstated.",
                             r.subnet_id, fmt::join(r.unparsable, ", ")),
                 {{"subnet_id", r.subnet_id}, {"unparsable", r.unparsable}},
                 "Save the AWS CLI output unchanged with --output json.");
    }
    if (r.subnet->available_ip_address_count && c.free_addresses > static_cast<std::uint64_t>(std::max<std::int64_t>(0, *r.subnet->available_ip_address_count))) {
      report.add("subnet_evidence_missing", r.subnet_id,
                 fmt::format("AWS counts {} available addresses in subnet {}, but the network interfaces and "
                             "reservations given leave {} free: some users of the subnet are missing from the evidence, "
                             "so its free /28 blocks may be fewer than reported.",
                             *r.subnet->available_ip_address_count, r.subnet_id, c.free_addresses),
                 capacity_json(r),
                 fmt::format("Add the output of 'aws ec2 describe-network-interfaces --filters "
                             "Name=subnet-id,Values={}' (all pages).",
                             r.subnet_id));
    }
    if (c.free_28_blocks == 0) {
      std::string fragmented =
          c.free_addresses >= 16
              ? fmt::format(" It has {} free addresses, but they are scattered: no aligned block of 16 is free.",
                            c.free_addresses)
              : fmt::format(" Only {} addresses are free.", c.free_addresses);
      report.add("subnet_no_free_28", r.subnet_id,
                 fmt::format("Subnet {} ({}) of {} has no free aligned /28 block, so a new endpoint goes to Failed.{}",
                             r.subnet_id, c.cidr.to_string(), gateway, fragmented),
                 capacity_json(r),
                 "Free a /28 in this subnet (delete unused network interfaces or CIDR reservations), or recreate the "
                 "resource gateway with a subnet of /26 or larger that has free /28 blocks in this Availability Zone "
                 "('aws vpc-lattice create-resource-gateway --subnet-ids ...').");
    }
    if (c.cidr.prefix > 26) {
      report.add("subnet_smaller_than_26", r.subnet_id,
                 fmt::format("Subnet {} is a /{} ({} addresses); resource gateway subnets should be /26 or larger.",
                             r.subnet_id, c.cidr.prefix, c.size),
                 capacity_json(r),
                 "Use a /26 or larger subnet in this Availability Zone for the resource gateway, so that several "
                 "endpoints fit (each takes a /28 in every subnet).");
    }
  }

  std::vector<std::string> missing;
  if (!ctx.evidence.network_interfaces_present) missing.push_back("ec2 describe-network-interfaces");
  if (!ctx.evidence.cidr_reservations_present) missing.push_back("ec2 get-subnet-cidr-reservations");
  if (!missing.empty() && !ctx.evidence.subnets.empty()) {
    report.add("subnet_evidence_missing", gateway,
               fmt::format("No {} output was given, so the free /28 blocks are an upper bound.", fmt::join(missing, " or ")),
               {{"missing", missing}},
               "Run scripts/collect-evidence.sh, or add those commands' output for the gateway's subnets.");
  }

  if (auto blocks = gateway_capacity(ctx.subnets)) {
    nlohmann::json table = nlohmann::json::array();
    for (const auto& r : ctx.subnets) table.push_back(capacity_json(r));
    report.add("gateway_capacity", gateway,
               fmt::format("{} takes {} more endpoint{} (the fewest free /28 blocks over its {} subnet{}).", gateway,
                           *blocks, *blocks == 1 ? "" : "s", ctx.subnets.size(), ctx.subnets.size() == 1 ? "" : "s"),
               {{"free_28_blocks_min", *blocks}, {"subnets", table}},
               *blocks == 0 ? "See subnet_no_free_28." : "Nothing to do; each new endpoint takes one /28 in every subnet.");
  }
}

void check_rds(const Context& ctx, Report& report) {
  // Which RDS resource the configuration targets: arn:aws:rds:R:A:cluster:NAME or :db:NAME.
  const ResourceConfiguration* config = endpoint_configuration(ctx);
  std::string target = config != nullptr ? config->arn_resource : std::string();
  auto public_finding = [&](const std::string& subject, const std::string& what, const std::string& file) {
    report.add("rds_publicly_accessible", subject,
               fmt::format("{} is publicly accessible; a resource configuration cannot target a publicly accessible "
                           "RDS cluster.",
                           what),
               {{"PubliclyAccessible", true}, {"file", file}, {"resource_configuration_target", target}},
               "Make the cluster private ('aws rds modify-db-instance --no-publicly-accessible' for its instances, or "
               "modify-db-cluster for a Multi-AZ DB cluster), or use the ClickPipes static IP allow list instead of "
               "a reverse private endpoint.");
  };
  auto relevant = [&](const std::string& arn, const std::string& id, const std::string& cluster_id) {
    if (target.empty()) return true;  // no configuration given: judge every RDS resource the user gave
    return target == arn || target.ends_with(":cluster:" + id) || target.ends_with(":db:" + id) ||
           (!cluster_id.empty() && target.ends_with(":cluster:" + cluster_id));
  };
  for (const auto& c : ctx.evidence.rds_clusters) {
    if (c.publicly_accessible.value_or(false) && relevant(c.arn, c.id, {})) {
      public_finding(c.id.empty() ? c.arn : c.id, fmt::format("RDS cluster {}", c.id), c.source);
    }
  }
  for (const auto& i : ctx.evidence.rds_instances) {
    if (i.publicly_accessible.value_or(false) && relevant(i.arn, i.id, i.cluster_id)) {
      public_finding(i.id.empty() ? i.arn : i.id,
                     i.cluster_id.empty() ? fmt::format("RDS instance {}", i.id)
                                          : fmt::format("Instance {} of RDS cluster {}", i.id, i.cluster_id),
                     i.source);
    }
  }
}

void check_ram(const Context& ctx, Report& report) {
  if (!ctx.is(EndpointType::vpc_resource)) return;
  const std::string& share_arn = ctx.endpoint.vpc_resource_share_arn;
  auto ours = [&](const std::string& arn) { return share_arn.empty() || arn.empty() || arn == share_arn; };
  const std::string subject = share_arn.empty() ? std::string("resource share") : share_arn;

  for (const auto& s : ctx.evidence.shares) {
    if (!ours(s.arn)) continue;
    if (!iequals(s.status, "ACTIVE")) {
      report.add("ram_share_not_active", s.arn.empty() ? subject : s.arn,
                 fmt::format("Resource share {} is {}, not ACTIVE.", s.name.empty() ? s.arn : s.name,
                             s.status.empty() ? "(no status)" : s.status),
                 {{"status", s.status}, {"file", s.source}},
                 "Create a new resource share ('aws ram create-resource-share --principals 072088201116 "
                 "--resource-arns RESOURCE_CONFIGURATION_ARN') and recreate the endpoint with its ARN.");
    }
    if (s.allow_external_principals.has_value() && !*s.allow_external_principals) {
      report.add("ram_external_principals_disabled", s.arn.empty() ? subject : s.arn,
                 fmt::format("Resource share {} does not allow external principals, so ClickHouse's account "
                             "072088201116 (outside your organization) cannot use it.",
                             s.name.empty() ? s.arn : s.name),
                 {{"allowExternalPrincipals", false}, {"file", s.source}},
                 "Allow external principals on the share ('aws ram update-resource-share --resource-share-arn ARN "
                 "--allow-external-principals').");
    }
  }

  // Principals and resources listed for another share than the endpoint's
  // say nothing about its share (evidence_mismatch reports the share itself):
  // judge only when the list is empty or holds entries for this share.
  auto judge = [&](const auto& list) {
    return list.empty() || std::any_of(list.begin(), list.end(), [&](const auto& item) { return ours(item.share_arn); });
  };
  if (ctx.evidence.share_principals_present && judge(ctx.evidence.share_principals)) {
    std::vector<std::string> seen;
    bool found = false;
    for (const auto& p : ctx.evidence.share_principals) {
      if (!ours(p.share_arn)) continue;
      seen.push_back(p.principal);
      bool associated = p.status.empty() || iequals(p.status, "ASSOCIATED") || iequals(p.status, "ASSOCIATING");
      if (is_clickpipes_principal(p.principal, false) && associated) found = true;
    }
    if (!found) {
      report.add("ram_principal_missing", subject,
                 fmt::format("The resource share's principals ({}) do not include ClickHouse's account 072088201116.",
                             seen.empty() ? std::string("none") : fmt::format("{}", fmt::join(seen, ", "))),
                 {{"principals", seen}, {"expected", kClickPipesAccount}},
                 "Add the principal: 'aws ram associate-resource-share --resource-share-arn " +
                     (share_arn.empty() ? std::string("ARN") : share_arn) + " --principals 072088201116'.");
    }
  }

  if (ctx.evidence.share_resources_present && !ctx.endpoint.vpc_resource_configuration_id.empty() &&
      judge(ctx.evidence.share_resources)) {
    std::vector<std::string> seen;
    bool found = false;
    for (const auto& r : ctx.evidence.share_resources) {
      if (!ours(r.share_arn)) continue;
      seen.push_back(r.arn);
      if (r.arn.ends_with("/" + ctx.endpoint.vpc_resource_configuration_id) &&
          !iequals(r.status, "UNAVAILABLE") && !iequals(r.status, "DISASSOCIATED")) {
        found = true;
      }
    }
    if (!found) {
      report.add("ram_resource_not_shared", subject,
                 fmt::format("The resource share does not contain resource configuration {} (it holds: {}).",
                             ctx.endpoint.vpc_resource_configuration_id,
                             seen.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(seen, ", "))),
                 {{"resources", seen}, {"expected", ctx.endpoint.vpc_resource_configuration_id}},
                 "Add the resource configuration to the share: 'aws ram associate-resource-share "
                 "--resource-share-arn " + (share_arn.empty() ? std::string("ARN") : share_arn) +
                     " --resource-arns RESOURCE_CONFIGURATION_ARN'.");
    }
  }
}

}  // namespace plprobe::validator::detail
