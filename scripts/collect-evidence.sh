#!/usr/bin/env bash
# collect-evidence.sh: run the read-only AWS CLI commands that
# 'plprobe validate' reads, for one ClickPipes reverse private endpoint, and
# write one JSON file per command into DIR.
#
#   scripts/collect-evidence.sh --endpoint rpe.json --out DIR [--region R] [--endpoint-id ID]
#   plprobe validate --endpoint rpe.json DIR
#
# Which commands run depends on the endpoint's type:
#   VPC_RESOURCE          vpc-lattice get-resource-configuration, get-resource-gateway;
#                         ec2 describe-subnets, describe-network-interfaces and
#                         get-subnet-cidr-reservations for the gateway's subnets;
#                         ram get-resource-shares, list-principals, list-resources;
#                         rds describe-db-clusters / describe-db-instances for an RDS target
#   MSK_MULTI_VPC         kafka describe-cluster-v2, get-bootstrap-brokers,
#                         get-cluster-policy, list-client-vpc-connections
#   VPC_ENDPOINT_SERVICE  ec2 describe-vpc-endpoint-service-configurations,
#                         describe-vpc-endpoint-service-permissions,
#                         describe-vpc-endpoint-connections; elbv2 describe-listeners,
#                         describe-target-groups, describe-target-health per NLB
# Only get-*, describe-* and list-* calls are made (the script refuses any
# other verb), so it needs read-only credentials and changes nothing.
#
# Ids are read from the JSON files with 'plprobe validate --ids FILE', the
# same parser the validator uses, so no JSON tool (jq) is needed and the ids
# the script follows are the ids the validator checks. Set PLPROBE to the
# binary when it is not on PATH.
#
# Exit codes: 0 every command succeeded, 1 some failed (their stderr is in
# DIR/NAME.err; the other files are still written), 2 usage error.
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

die_usage() {
  echo "collect-evidence.sh: $1" >&2
  echo "hint: ${2:-run 'scripts/collect-evidence.sh --help'}" >&2
  exit 2
}

endpoint="" out="" region="" endpoint_id=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --endpoint) [[ $# -ge 2 ]] || die_usage "--endpoint needs a file"; endpoint=$2; shift 2 ;;
    --out) [[ $# -ge 2 ]] || die_usage "--out needs a directory"; out=$2; shift 2 ;;
    --region) [[ $# -ge 2 ]] || die_usage "--region needs a region name"; region=$2; shift 2 ;;
    --endpoint-id) [[ $# -ge 2 ]] || die_usage "--endpoint-id needs an id"; endpoint_id=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done
[[ -n "$endpoint" ]] || die_usage "--endpoint FILE is required" "pass the ClickHouse Cloud API's reverse private endpoint JSON"
[[ -n "$out" ]] || die_usage "--out DIR is required" "name a directory for the evidence files"
[[ -f "$endpoint" ]] || die_usage "$endpoint: no such file"

plprobe=${PLPROBE:-}
if [[ -z "$plprobe" ]]; then
  if command -v plprobe >/dev/null 2>&1; then
    plprobe=plprobe
  elif [[ -x "$(dirname "$0")/../build/cli/plprobe" ]]; then
    plprobe="$(dirname "$0")/../build/cli/plprobe"
  else
    die_usage "plprobe not found" "put plprobe on PATH or set PLPROBE=/path/to/plprobe"
  fi
fi
command -v aws >/dev/null 2>&1 || die_usage "the aws CLI is not on PATH" "install the AWS CLI and configure read-only credentials"

# KEY=VALUE lines plprobe reads from FILE; prints the values of KEY.
values() {
  local file=$1 key=$2
  [[ -f "$file" ]] || return 0
  local args=(validate --ids "$file")
  [[ -n "$endpoint_id" ]] && args+=(--endpoint-id "$endpoint_id")
  "$plprobe" "${args[@]}" | while IFS='=' read -r k v; do
    if [[ "$k" == "$key" ]]; then printf '%s\n' "$v"; fi
  done
}

type=$(values "$endpoint" type)
[[ -n "$type" ]] || die_usage "$endpoint: cannot read the endpoint's type" "see the message above"
[[ -n "$region" ]] || region=$(values "$endpoint" region)
mkdir -p "$out"
export AWS_PAGER=""

failed=()
written=()
# run NAME SERVICE VERB ARGS...: one read-only call, stdout to DIR/NAME.json.
run() {
  local name=$1 service=$2 verb=$3
  shift 3
  case "$verb" in
    get-*|describe-*|list-*) ;;
    *) echo "collect-evidence.sh: refusing non-read-only call 'aws $service $verb'" >&2; exit 2 ;;
  esac
  local args=("$service" "$verb" "$@")
  [[ -n "$region" ]] && args+=(--region "$region")
  args+=(--output json)
  echo "aws ${args[*]}" >&2
  if aws "${args[@]}" >"$out/$name.json.tmp" 2>"$out/$name.err"; then
    mv "$out/$name.json.tmp" "$out/$name.json"
    rm -f "$out/$name.err"
    written+=("$name.json")
  else
    rm -f "$out/$name.json.tmp"
    failed+=("$name")
  fi
}

case "$type" in
  VPC_RESOURCE)
    rcfg=$(values "$endpoint" resource_configuration_id)
    share=$(values "$endpoint" resource_share_arn)
    if [[ -n "$rcfg" ]]; then
      run resource-configuration vpc-lattice get-resource-configuration --resource-configuration-identifier "$rcfg"
    fi
    gateway=$(values "$out/resource-configuration.json" resource_gateway_id)
    target=$(values "$out/resource-configuration.json" arn_resource)
    if [[ -n "$gateway" ]]; then
      run resource-gateway vpc-lattice get-resource-gateway --resource-gateway-identifier "$gateway"
    fi
    mapfile -t subnets < <(values "$out/resource-gateway.json" subnet_id)
    if [[ ${#subnets[@]} -gt 0 ]]; then
      run subnets ec2 describe-subnets --subnet-ids "${subnets[@]}"
      run network-interfaces ec2 describe-network-interfaces --filters "Name=subnet-id,Values=$(IFS=,; echo "${subnets[*]}")"
      for subnet in "${subnets[@]}"; do
        run "cidr-reservations-$subnet" ec2 get-subnet-cidr-reservations --subnet-id "$subnet"
      done
    fi
    if [[ -n "$share" ]]; then
      run ram-resource-shares ram get-resource-shares --resource-owner SELF --resource-share-arns "$share"
      run ram-principals ram list-principals --resource-owner SELF --resource-share-arns "$share"
      run ram-resources ram list-resources --resource-owner SELF --resource-share-arns "$share"
    fi
    case "$target" in
      arn:*:rds:*:cluster:*)
        run rds-db-clusters rds describe-db-clusters --db-cluster-identifier "$target"
        run rds-db-instances rds describe-db-instances --filters "Name=db-cluster-id,Values=$target"
        ;;
      arn:*:rds:*:db:*)
        run rds-db-instances rds describe-db-instances --db-instance-identifier "$target"
        ;;
    esac
    ;;
  MSK_MULTI_VPC)
    cluster=$(values "$endpoint" msk_cluster_arn)
    [[ -n "$cluster" ]] || die_usage "$endpoint: the endpoint has no mskClusterArn"
    run msk-cluster kafka describe-cluster-v2 --cluster-arn "$cluster"
    run msk-bootstrap-brokers kafka get-bootstrap-brokers --cluster-arn "$cluster"
    run msk-cluster-policy kafka get-cluster-policy --cluster-arn "$cluster"
    run msk-client-vpc-connections kafka list-client-vpc-connections --cluster-arn "$cluster"
    ;;
  VPC_ENDPOINT_SERVICE)
    name=$(values "$endpoint" endpoint_service_name)
    [[ -n "$name" ]] || die_usage "$endpoint: the endpoint has no vpcEndpointServiceName"
    run endpoint-service-configurations ec2 describe-vpc-endpoint-service-configurations --filters "Name=service-name,Values=$name"
    service_id=$(values "$out/endpoint-service-configurations.json" service_id)
    if [[ -n "$service_id" ]]; then
      run endpoint-service-permissions ec2 describe-vpc-endpoint-service-permissions --service-id "$service_id"
      run endpoint-connections ec2 describe-vpc-endpoint-connections --filters "Name=service-id,Values=$service_id"
    fi
    i=0
    while IFS= read -r nlb; do
      [[ -n "$nlb" ]] || continue
      i=$((i + 1))
      run "nlb-listeners-$i" elbv2 describe-listeners --load-balancer-arn "$nlb"
      run "nlb-target-groups-$i" elbv2 describe-target-groups --load-balancer-arn "$nlb"
      j=0
      while IFS= read -r group; do
        [[ -n "$group" ]] || continue
        j=$((j + 1))
        run "nlb-target-health-$i-$j" elbv2 describe-target-health --target-group-arn "$group"
      done < <(values "$out/nlb-target-groups-$i.json" target_group_arn)
    done < <(values "$out/endpoint-service-configurations.json" load_balancer_arn)
    ;;
  *)
    die_usage "$endpoint: endpoint type '$type' has no AWS evidence to collect" "VPC_RESOURCE, MSK_MULTI_VPC and VPC_ENDPOINT_SERVICE are supported"
    ;;
esac

echo "wrote ${#written[@]} file(s) to $out" >&2
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "collect-evidence.sh: ${#failed[@]} command(s) failed: ${failed[*]} (see $out/NAME.err)" >&2
  echo "hint: check the credentials' read permissions and --region; then run: plprobe validate --endpoint $endpoint $out" >&2
  exit 1
fi
echo "next: plprobe validate --endpoint $endpoint $out" >&2
