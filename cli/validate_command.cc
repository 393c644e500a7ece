// plprobe validate / plprobe subnets: judge a reverse private endpoint from
// the ClickHouse API object, the user's AWS CLI JSON and probe results.
// All judging lives in validator/; this file parses flags, loads files
// (turning validator::InputError into UsageError, exit 2) and renders.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/options.h"
#include "validator/capacity.h"
#include "validator/endpoint.h"
#include "validator/evidence.h"
#include "validator/input_error.h"
#include "validator/json_util.h"
#include "validator/probe_results.h"
#include "validator/regions.h"
#include "validator/rules.h"

namespace plprobe::cli {
namespace {

namespace v = plprobe::validator;

struct ValidateFlags {
  std::string endpoint;
  std::string endpoint_id;
  std::string clickpipes_region;
  std::string source;
  std::vector<int> ports;
  std::vector<std::string> probes;
  std::string regions_file;
  std::string now;
  std::string ids_file;
  bool list_checks = false;
  bool json = false;
  std::vector<std::string> evidence;
};

struct SubnetsFlags {
  std::vector<std::string> evidence;
  bool json = false;
};

constexpr const char* kValidateFooter = R"(Examples:
  plprobe validate --endpoint rpe.json evidence/
  plprobe validate --endpoint rpe.json --clickpipes-region us-east-1 --source postgres evidence/*.json
  plprobe validate --endpoint rpe.json --probes results.jsonl --json evidence/ > findings.jsonl
  scripts/collect-evidence.sh --endpoint rpe.json --out evidence/     # runs the read-only aws commands
  plprobe validate --list-checks                                      # every check id and its severity

rpe.json is the ClickHouse Cloud API answer for the endpoint (the {"status","requestId","result"}
envelope, the object, or a list: pick one with --endpoint-id). EVIDENCE is AWS CLI output saved with
--output json, one command per file, recognised by content: vpc-lattice get-resource-gateway /
get-resource-configuration; ram get-resource-shares / list-principals / list-resources /
get-resource-share-associations; ec2 describe-subnets / describe-network-interfaces /
get-subnet-cidr-reservations / describe-vpc-endpoint-service-configurations /
describe-vpc-endpoint-service-permissions / describe-vpc-endpoint-connections; elbv2 describe-listeners /
describe-target-groups / describe-target-health; kafka describe-cluster-v2 / get-bootstrap-brokers /
get-cluster-policy / list-client-vpc-connections; rds describe-db-clusters / describe-db-instances.
A directory contributes its *.json files.

Exit codes: 0 no error finding, 1 at least one error finding, 2 usage or input error
(a malformed or unrecognised file is named with the position of the problem).)";

constexpr const char* kSubnetsFooter = R"(Examples:
  plprobe subnets evidence/
  plprobe subnets subnets.json network-interfaces.json cidr-reservations-*.json --json

Every endpoint that uses a resource gateway needs one free aligned /28 (16 addresses) in every
subnet of the gateway. Taken: the 5 addresses AWS reserves, every private IP and /28 prefix of the
network interfaces, every subnet CIDR reservation. FREE /28 is how many more endpoints fit.
With a get-resource-gateway file only the gateway's subnets are shown.
Exit codes: 0 every subnet has a free /28, 1 a subnet has none, 2 usage or input error.)";

// validator::InputError -> UsageError (exit 2), keeping its hint.
template <typename Fn>
decltype(auto) input(Fn&& fn) {
  try {
    return fn();
  } catch (const v::InputError& e) {
    throw UsageError(e.what(), e.hint());
  }
}

struct Style {
  bool colour = false;
  std::string paint(const char* code, std::string_view text) const {
    return colour ? fmt::format("\033[{}m{}\033[0m", code, text) : std::string(text);
  }
  std::string severity(v::Severity s) const {
    switch (s) {
      case v::Severity::error:
        return paint("1;31", "ERROR  ");
      case v::Severity::warning:
        return paint("1;33", "WARNING");
      case v::Severity::info:
        return paint("36", "INFO   ");
    }
    return "INFO   ";
  }
};

// Wraps `text` at `width` columns, every line indented by `indent`.
void print_wrapped(std::string_view text, std::size_t indent, std::size_t width = 100) {
  std::string line;
  std::size_t start = 0;
  auto flush = [&] {
    fmt::print("{:{}}{}\n", "", indent, line);
    line.clear();
  };
  while (start < text.size()) {
    auto space = text.find(' ', start);
    std::string_view word = text.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start);
    start = space == std::string_view::npos ? text.size() : space + 1;
    if (word.empty()) continue;
    if (!line.empty() && indent + line.size() + 1 + word.size() > width) flush();
    if (!line.empty()) line += ' ';
    line += word;
  }
  if (!line.empty()) flush();
}

void print_subnet_table(const std::vector<v::SubnetReport>& reports, const Style& style) {
  fmt::print("  {:<26} {:<18} {:>7} {:>7} {:>7} {:>9}  {}\n", "SUBNET", "CIDR", "SIZE", "USED", "FREE", "FREE /28", "ZONE");
  for (const auto& r : reports) {
    std::string zone = r.subnet != nullptr ? r.subnet->availability_zone : std::string();
    if (!r.capacity) {
      fmt::print("  {:<26} {:<18} {:>7} {:>7} {:>7} {:>9}  {}\n", r.subnet_id,
                 r.subnet != nullptr ? r.subnet->cidr : "(not in evidence)", "-", "-", "-", "-", zone);
      continue;
    }
    const auto& c = *r.capacity;
    std::string blocks = fmt::format("{:>9}", c.free_28_blocks);
    if (c.free_28_blocks == 0) blocks = style.paint("1;31", blocks);
    fmt::print("  {:<26} {:<18} {:>7} {:>7} {:>7} {}  {}\n", r.subnet_id, c.cidr.to_string(), c.size, c.used,
               c.free_addresses, blocks, zone);
  }
}

nlohmann::ordered_json subnet_json(const v::SubnetReport& r) {
  nlohmann::ordered_json out;
  out["subnet_id"] = r.subnet_id;
  out["cidr"] = r.subnet != nullptr ? nlohmann::ordered_json(r.subnet->cidr) : nlohmann::ordered_json(nullptr);
  if (r.capacity) {
    out["size"] = r.capacity->size;
    out["used"] = r.capacity->used;
    out["free_addresses"] = r.capacity->free_addresses;
    out["free_28_blocks"] = r.capacity->free_28_blocks;
  } else {
    out["size"] = nullptr;
    out["used"] = nullptr;
    out["free_addresses"] = nullptr;
    out["free_28_blocks"] = nullptr;
    out["error"] = r.subnet == nullptr ? "not in the describe-subnets evidence" : "no readable IPv4 CIDR";
  }
  if (r.subnet != nullptr) {
    out["availability_zone"] = r.subnet->availability_zone;
    if (r.subnet->available_ip_address_count) out["aws_available_ip_address_count"] = *r.subnet->available_ip_address_count;
  }
  out["network_interfaces"] = r.network_interfaces;
  out["cidr_reservations"] = r.reservations;
  out["in_resource_gateway"] = r.in_gateway;
  return out;
}

void print_evidence_files(const v::Evidence& evidence) {
  if (evidence.files.empty()) {
    fmt::print("Evidence: none (only the endpoint object is checked; scripts/collect-evidence.sh collects it)\n");
    return;
  }
  fmt::print("Evidence ({} file{}):\n", evidence.files.size(), evidence.files.size() == 1 ? "" : "s");
  std::size_t width = 0;
  for (const auto& f : evidence.files) width = std::max(width, f.path.size());
  for (const auto& f : evidence.files) {
    fmt::print("  {:<{}}  {:<48}  {}\n", f.path, width, v::command_of(f.kind), f.summary);
  }
}

// Identifiers read from one file as KEY=VALUE lines, for
// scripts/collect-evidence.sh: it then needs no JSON tool of its own, and
// reads ids exactly the way the validator does. Values are AWS ids, ARNs
// and names; anything with other characters is dropped so the shell never
// sees quotes, spaces or newlines.
int print_ids(const ValidateFlags& flags) {
  auto safe = [](const std::string& value) {
    return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             std::string_view(":/._-*+=@,").find(c) != std::string_view::npos;
    });
  };
  auto put = [&](std::string_view key, const std::string& value) {
    if (safe(value)) fmt::print("{}={}\n", key, value);
  };
  auto document = input([&] { return v::parse_json_text(v::read_file(flags.ids_file), flags.ids_file); });
  auto kind = v::classify(document);
  if (kind == v::EvidenceKind::clickhouse_endpoint) {
    auto endpoints = input([&] { return v::parse_endpoints(document, flags.ids_file); });
    const auto& e = input([&]() -> const v::Endpoint& { return v::select_endpoint(endpoints, flags.endpoint_id, flags.ids_file); });
    put("kind", "clickhouse_endpoint");
    put("type", e.type == v::EndpointType::other ? e.type_name : std::string(v::to_string(e.type)));
    put("id", e.id);
    put("resource_configuration_id", e.vpc_resource_configuration_id);
    put("resource_share_arn", e.vpc_resource_share_arn);
    put("msk_cluster_arn", e.msk_cluster_arn);
    put("msk_authentication", e.msk_authentication);
    put("endpoint_service_name", e.vpc_endpoint_service_name);
    std::optional<std::string> region;
    if (!e.vpc_resource_share_arn.empty()) region = v::region_from_arn(e.vpc_resource_share_arn);
    if (!region && !e.msk_cluster_arn.empty()) region = v::region_from_arn(e.msk_cluster_arn);
    if (!region && !e.vpc_endpoint_service_name.empty()) region = v::region_from_service_name(e.vpc_endpoint_service_name);
    if (region) put("region", *region);
    return kExitOk;
  }
  v::Evidence evidence;
  input([&] {
    v::add_document(evidence, document, flags.ids_file);
    return 0;
  });
  put("kind", std::string(v::to_string(evidence.files.front().kind)));
  for (const auto& g : evidence.gateways) {
    put("resource_gateway_id", g.id);
    put("vpc_id", g.vpc_id);
    for (const auto& s : g.subnet_ids) put("subnet_id", s);
  }
  for (const auto& c : evidence.resource_configurations) {
    put("resource_configuration_id", c.id);
    put("resource_configuration_arn", c.arn);
    put("resource_gateway_id", c.resource_gateway_id);
    put("arn_resource", c.arn_resource);
  }
  for (const auto& s : evidence.service_configurations) {
    put("service_id", s.service_id);
    put("service_name", s.service_name);
    for (const auto& arn : s.load_balancer_arns) put("load_balancer_arn", arn);
  }
  for (const auto& l : evidence.listeners) {
    for (const auto& arn : l.target_group_arns) put("target_group_arn", arn);
  }
  for (const auto& t : evidence.target_groups) put("target_group_arn", t.arn);
  for (const auto& s : evidence.subnets) put("subnet_id", s.id);
  return kExitOk;
}

int list_checks(bool json) {
  for (const auto& check : v::all_checks()) {
    if (json) {
      nlohmann::ordered_json line;
      line["id"] = check.id;
      line["severity"] = v::to_string(check.severity);
      line["rule"] = check.rule;
      line["meaning"] = check.meaning;
      fmt::print("{}\n", line.dump());
    } else {
      fmt::print("{:<34} {:<8} {}\n", check.id, v::to_string(check.severity), check.rule);
      print_wrapped(check.meaning, 4);
    }
  }
  return kExitOk;
}

int run_validate(const ValidateFlags& flags) {
  if (flags.list_checks) return list_checks(flags.json);
  if (!flags.ids_file.empty()) return print_ids(flags);
  if (flags.endpoint.empty()) {
    throw UsageError("--endpoint FILE is required",
                     "pass the ClickHouse Cloud API's reverse private endpoint JSON, e.g. "
                     "'plprobe validate --endpoint rpe.json evidence/'");
  }

  std::optional<v::SourceKind> source;
  if (!flags.source.empty()) {
    source = v::source_from_name(flags.source);
    if (!source) throw UsageError(fmt::format("--source '{}' is not a supported source", flags.source), "use kafka, postgres, mysql or mongodb");
  }
  if (!flags.clickpipes_region.empty() && !v::looks_like_region(v::to_lower(flags.clickpipes_region))) {
    throw UsageError(fmt::format("--clickpipes-region '{}' is not an AWS region name", flags.clickpipes_region),
                     "region names look like us-east-1 or eu-central-1");
  }
  std::vector<std::int64_t> ports;
  for (int port : flags.ports) {
    if (port < 1 || port > 65535) throw UsageError(fmt::format("--port {} is not a TCP port", port), "use 1-65535");
    ports.push_back(port);
  }
  auto now = std::chrono::system_clock::now();
  if (!flags.now.empty()) {
    auto parsed = v::parse_timestamp(nlohmann::json(flags.now));
    if (!parsed) throw UsageError(fmt::format("--now '{}' is not a time", flags.now), "use ISO 8601, e.g. 2024-05-03T12:00:00Z");
    now = *parsed;
  }

  const v::RegionList regions = flags.regions_file.empty()
                                    ? v::builtin_regions()
                                    : input([&] { return v::load_regions_file(flags.regions_file); });
  const auto endpoints = input([&] { return v::load_endpoints(flags.endpoint); });
  const v::Endpoint& endpoint =
      input([&]() -> const v::Endpoint& { return v::select_endpoint(endpoints, flags.endpoint_id, flags.endpoint); });
  const v::Evidence evidence = input([&] { return v::load_evidence(flags.evidence); });
  std::vector<v::ProbeRecord> probes;
  for (const auto& file : flags.probes) {
    auto records = input([&] { return v::load_probe_results(file); });
    probes.insert(probes.end(), records.begin(), records.end());
  }

  v::Inputs inputs;
  inputs.endpoint = &endpoint;
  inputs.siblings = endpoints;
  inputs.evidence = &evidence;
  inputs.regions = &regions;
  if (!flags.clickpipes_region.empty()) inputs.clickpipes_region = flags.clickpipes_region;
  inputs.source = source;
  inputs.ports = ports;
  inputs.probes = probes;
  inputs.now = now;
  const auto findings = v::validate(inputs);

  if (flags.json) {
    for (const auto& f : findings) fmt::print("{}\n", v::to_json(f).dump());
    std::fflush(stdout);
    return v::has_error(findings) ? kExitFailure : kExitOk;
  }

  Style style{use_colour(stdout)};
  fmt::print("Endpoint {} ({}, status {}){}\n", endpoint.id.empty() ? "(no id)" : endpoint.id,
             endpoint.type_name.empty() ? "no type" : endpoint.type_name, endpoint.status.empty() ? "absent" : endpoint.status,
             endpoint.service_id.empty() ? "" : fmt::format(", service {}", endpoint.service_id));
  print_evidence_files(evidence);
  if (!flags.probes.empty()) fmt::print("Probe results: {} result{}\n", probes.size(), probes.size() == 1 ? "" : "s");
  fmt::print("ClickPipes regions: {} ({} regions)\n", regions.source, regions.aws.size());
  if (endpoint.type == v::EndpointType::vpc_resource) {
    auto reports = v::subnet_reports(evidence);
    if (!reports.empty()) {
      fmt::print("\nSubnet capacity{}:\n",
                 evidence.gateways.empty() ? std::string() : fmt::format(" of {}", evidence.gateways.front().id));
      print_subnet_table(reports, style);
    }
  }
  fmt::print("\n");
  int errors = 0, warnings = 0, infos = 0;
  for (const auto& f : findings) {
    (f.severity == v::Severity::error ? errors : f.severity == v::Severity::warning ? warnings : infos)++;
    fmt::print("{} {}  {}\n", style.severity(f.severity), style.paint("1", f.id), f.subject);
    print_wrapped(f.message, 9);
    print_wrapped("fix: " + f.remediation, 9);
  }
  if (findings.empty()) fmt::print("No findings.\n");
  fmt::print("\n{} error{}, {} warning{}, {} info\n", errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s", infos);
  std::fflush(stdout);
  return errors > 0 ? kExitFailure : kExitOk;
}

int run_subnets(const SubnetsFlags& flags) {
  const v::Evidence evidence = input([&] { return v::load_evidence(flags.evidence); });
  if (evidence.subnets.empty()) {
    throw UsageError("no 'ec2 describe-subnets' output among the evidence",
                     "add the output of 'aws ec2 describe-subnets --subnet-ids ...' (and describe-network-interfaces, "
                     "get-subnet-cidr-reservations for the same subnets)");
  }
  auto reports = v::subnet_reports(evidence);
  bool exhausted = std::any_of(reports.begin(), reports.end(),
                               [](const v::SubnetReport& r) { return r.capacity && r.capacity->free_28_blocks == 0; });
  if (flags.json) {
    for (const auto& r : reports) fmt::print("{}\n", subnet_json(r).dump());
  } else {
    Style style{use_colour(stdout)};
    print_subnet_table(reports, style);
    if (auto blocks = v::gateway_capacity(reports)) {
      fmt::print("\n{}: {} more endpoint{} fit (the fewest free /28 blocks over {} subnet{}).\n",
                 evidence.gateways.empty() ? std::string("These subnets") : evidence.gateways.front().id, *blocks,
                 *blocks == 1 ? "" : "s", reports.size(), reports.size() == 1 ? "" : "s");
    }
    if (!evidence.network_interfaces_present || !evidence.cidr_reservations_present) {
      fmt::print("note: without describe-network-interfaces and get-subnet-cidr-reservations output the free "
                 "counts are upper bounds.\n");
    }
  }
  std::fflush(stdout);
  return exhausted ? kExitFailure : kExitOk;
}

}  // namespace

void add_validate_command(CLI::App& command, Run& run) {
  auto flags = std::make_shared<ValidateFlags>();
  command.add_option("--endpoint", flags->endpoint, "ClickHouse Cloud API reverse private endpoint JSON (rpe.json)")
      ->type_name("FILE");
  command.add_option("--endpoint-id", flags->endpoint_id, "Which endpoint to validate when the file lists several")
      ->type_name("ID");
  command.add_option("--clickpipes-region", flags->clickpipes_region,
                     "Region of the ClickPipe (default: read from the endpoint's DNS names)")
      ->type_name("REGION");
  command.add_option("--source", flags->source, "Data source: kafka, postgres, mysql or mongodb (gives the default port)")
      ->type_name("NAME");
  // One value per flag (repeat the flag for more), so the positional
  // evidence arguments that follow are never taken as ports or probe files.
  command.add_option("--port", flags->ports, "Port the source serves on (repeatable; default: the source's default port)")
      ->type_name("PORT")
      ->allow_extra_args(false);
  command.add_option("--probes", flags->probes, "Probe results from 'plprobe probe --json' (JSON Lines; repeatable)")
      ->type_name("FILE")
      ->allow_extra_args(false);
  command.add_option("--regions-file", flags->regions_file,
                     "ClickPipes region list in the format of static-ips.json (default: the built-in list)")
      ->type_name("FILE");
  command.add_option("--now", flags->now, "Evaluate clean-up deadlines at this time (ISO 8601) instead of now")
      ->type_name("TIME");
  command.add_option("--ids", flags->ids_file,
                     "Print the ids in FILE (endpoint or evidence) as KEY=VALUE lines and exit (for scripts)")
      ->type_name("FILE");
  command.add_flag("--list-checks", flags->list_checks, "List every check id with its severity and exit");
  command.add_flag("--json", flags->json, "Print findings as JSON Lines");
  command.add_option("evidence", flags->evidence, "AWS CLI JSON files or directories of them")->type_name("EVIDENCE");
  command.footer(kValidateFooter);
  run = [flags] { return run_validate(*flags); };
}

void add_subnets_command(CLI::App& command, Run& run) {
  auto flags = std::make_shared<SubnetsFlags>();
  command.add_option("evidence", flags->evidence,
                     "describe-subnets, describe-network-interfaces, get-subnet-cidr-reservations (and optionally "
                     "get-resource-gateway) JSON files or directories")
      ->type_name("EVIDENCE")
      ->required();
  command.add_flag("--json", flags->json,
                   "One JSON object per subnet: subnet_id, cidr, size, used, free_addresses, free_28_blocks, ...");
  command.footer(kSubnetsFooter);
  run = [flags] { return run_subnets(*flags); };
}

}  // namespace plprobe::cli
