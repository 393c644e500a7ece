// VPC endpoint service endpoints: service state, allowed principals,
// connection acceptance, private DNS verification and the NLB behind it
// (domain.md rules 5, 7, 8, 10; AWS PrivateLink Guide, "Share your services
// through AWS PrivateLink", "Manage permissions", "Accept or reject
// connection requests", "Manage DNS names").
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "validator/checks_internal.h"
#include "validator/json_util.h"

namespace plprobe::validator::detail {

namespace {

const ServiceConfiguration* our_service(const Context& ctx) {
  for (const auto& s : ctx.evidence.service_configurations) {
    if (s.service_name == ctx.endpoint.vpc_endpoint_service_name) return &s;
  }
  return ctx.evidence.service_configurations.empty() ? nullptr : &ctx.evidence.service_configurations.front();
}

}  // namespace

void check_endpoint_service(const Context& ctx, Report& report) {
  if (!ctx.is(EndpointType::vpc_endpoint_service)) return;
  const ServiceConfiguration* service = our_service(ctx);
  const std::string service_subject =
      service != nullptr && !service->service_id.empty() ? service->service_id : ctx.endpoint.vpc_endpoint_service_name;
  const std::string service_id = service != nullptr && !service->service_id.empty() ? service->service_id : "SERVICE_ID";

  if (service != nullptr) {
    if (!iequals(service->state, "Available")) {
      report.add("service_not_available", service_subject,
                 fmt::format("Endpoint service {} is {}, not Available.", service_subject,
                             service->state.empty() ? "(no state)" : service->state),
                 {{"ServiceState", service->state}, {"file", service->source}},
                 "Check the service's Network Load Balancer (it must be active) in the EC2 console; a service in "
                 "Failed state must be deleted and created again ('aws ec2 create-vpc-endpoint-service-configuration').");
    }
    if (!service->private_dns_name.empty() && !service->private_dns_state.empty() &&
        !iequals(service->private_dns_state, "verified")) {
      report.add("private_dns_not_verified", service_subject,
                 fmt::format("Private DNS name {} of {} is {}, not verified, so endpoints do not get it.",
                             service->private_dns_name, service_subject, service->private_dns_state),
                 {{"PrivateDnsName", service->private_dns_name}, {"State", service->private_dns_state}},
                 "Create the TXT record shown in PrivateDnsNameConfiguration in the domain's public DNS and run 'aws "
                 "ec2 start-vpc-endpoint-service-private-dns-verification --service-id " + service_id +
                     "' (AWS PrivateLink Guide, \"Manage DNS names\").");
    }
  }

  if (ctx.evidence.service_permissions_present) {
    std::vector<std::string> principals;
    bool found = false;
    for (const auto& p : ctx.evidence.service_permissions) {
      principals.push_back(p.principal);
      if (is_clickpipes_principal(p.principal, true)) found = true;
    }
    if (!found) {
      report.add("service_principal_missing", service_subject,
                 fmt::format("The endpoint service's allowed principals ({}) do not include {}.",
                             principals.empty() ? std::string("none") : fmt::format("{}", fmt::join(principals, ", ")),
                             kClickPipesRootArn),
                 {{"AllowedPrincipals", principals}, {"expected", kClickPipesRootArn}},
                 "Allow ClickPipes: 'aws ec2 modify-vpc-endpoint-service-permissions --service-id " + service_id +
                     " --add-allowed-principals " + std::string(kClickPipesRootArn) +
                     "' (AWS PrivateLink Guide, \"Manage permissions\").");
    }
  }

  for (const auto& c : ctx.evidence.endpoint_connections) {
    bool from_clickpipes = c.owner == kClickPipesAccount ||
                           (!ctx.endpoint.endpoint_id.empty() && c.vpc_endpoint_id == ctx.endpoint.endpoint_id);
    if (!from_clickpipes) continue;
    const std::string subject = c.vpc_endpoint_id.empty() ? c.source : c.vpc_endpoint_id;
    nlohmann::json evidence = {{"VpcEndpointId", c.vpc_endpoint_id}, {"VpcEndpointOwner", c.owner},
                               {"VpcEndpointState", c.state}, {"ServiceId", c.service_id}};
    const std::string connection_service = c.service_id.empty() ? service_id : c.service_id;
    if (iequals(c.state, "pendingAcceptance")) {
      report.add("connection_pending_acceptance", subject,
                 fmt::format("Connection {} from ClickPipes (account {}) waits for acceptance on {}.", c.vpc_endpoint_id,
                             c.owner, connection_service),
                 evidence,
                 fmt::format("Accept it: VPC console > Endpoint services > {} > Endpoint connections > Actions > Accept "
                             "endpoint connection request, or 'aws ec2 accept-vpc-endpoint-connections --service-id {} "
                             "--vpc-endpoint-ids {}'.",
                             connection_service, connection_service, c.vpc_endpoint_id));
    } else if (iequals(c.state, "rejected") || iequals(c.state, "failed") || iequals(c.state, "expired")) {
      report.add("connection_rejected", subject,
                 fmt::format("Connection {} from ClickPipes to {} is {}.", c.vpc_endpoint_id, connection_service, c.state),
                 evidence,
                 "Delete the endpoint in the ClickHouse Cloud console and create it again, then accept the new "
                 "connection request (a rejected or expired connection cannot be accepted later).");
    }
  }

  std::set<std::int64_t> listener_ports;
  for (const auto& l : ctx.evidence.listeners) listener_ports.insert(l.port);
  if (ctx.evidence.listeners_present) {
    for (auto port : ctx.source_ports) {
      if (listener_ports.count(port) != 0) continue;
      report.add("nlb_listener_port_missing", fmt::format("port {}", port),
                 fmt::format("No NLB listener on port {} (the source's port, from {}); the NLB listens on {}.", port,
                             ctx.source_ports_from,
                             listener_ports.empty() ? std::string("no port") : fmt::format("{}", fmt::join(listener_ports, ", "))),
                 {{"port", port}, {"port_from", ctx.source_ports_from}, {"listener_ports", listener_ports}},
                 fmt::format("Add a TCP listener on port {} forwarding to the source's target group ('aws elbv2 "
                             "create-listener --load-balancer-arn NLB_ARN --protocol TCP --port {} --default-actions "
                             "Type=forward,TargetGroupArn=TG_ARN').",
                             port, port));
    }
    // Kafka clients reconnect to every advertised broker; each advertised
    // port needs its listener (one per broker behind one NLB).
    std::set<std::pair<std::string, std::int64_t>> reported;
    for (const auto& probe : ctx.in.probes) {
      for (const auto& broker : probe.brokers) {
        if (broker.port <= 0 || listener_ports.count(broker.port) != 0) continue;
        if (!reported.insert({broker.host, broker.port}).second) continue;
        report.add("kafka_broker_port_no_listener", fmt::format("{}:{}", broker.host, broker.port),
                   fmt::format("Broker {} advertises {}:{}, but the NLB has no listener on port {}.", broker.node_id,
                               broker.host, broker.port, broker.port),
                   {{"broker", broker.node_id}, {"host", broker.host}, {"port", broker.port},
                    {"listener_ports", listener_ports}, {"probe", probe.source}},
                   fmt::format("Add an NLB listener on port {} whose target group holds only broker {}, or make the "
                               "broker advertise a port that has one (advertised.listeners).",
                               broker.port, broker.node_id));
      }
    }
  }

  for (const auto& t : ctx.evidence.target_health) {
    const std::string subject = fmt::format("{}:{}", t.target_id, t.port);
    nlohmann::json evidence = {{"State", t.state}, {"Reason", t.reason}, {"Description", t.description}, {"file", t.source}};
    if (iequals(t.state, "unhealthy") || iequals(t.state, "unavailable")) {
      report.add("nlb_target_unhealthy", subject,
                 fmt::format("NLB target {} is {}{}.", subject, t.state,
                             t.description.empty() ? std::string() : fmt::format(": {}", t.description)),
                 evidence,
                 "Make the target answer the health check: security group inbound from the NLB's subnets on the "
                 "target and health check ports, the service running, the health check port right "
                 "('aws elbv2 describe-target-health').");
    } else if (iequals(t.state, "unused")) {
      report.add("nlb_target_unused", subject,
                 fmt::format("NLB target {} is unused{}.", subject,
                             t.description.empty() ? std::string() : fmt::format(": {}", t.description)),
                 evidence,
                 "Attach the target group to a listener, and enable the target's Availability Zone on the NLB.");
    }
  }
}

}  // namespace plprobe::validator::detail
