#!/usr/bin/env bash
# Two simulated clusters and a service network; the ServiceImport reference's YAML applied
# with kubectl; the importing rule read back from Lattice with the aws CLI.
# Environment: LATTICELAB (the binary), CONTROLLER (reference | none | external:CMD), STATE.
set -euo pipefail
cd "$(dirname "$0")"
LATTICELAB=${LATTICELAB:-latticelab}
CONTROLLER=${CONTROLLER:-reference}
STATE=${STATE:-$(mktemp -d)}

# 1. Serve cluster-a and cluster-b, each in its own VPC, and the service network my-gateway
#    associated with both; `ready` comes first on stdout.
coproc SERVE { exec "$LATTICELAB" serve --state-dir "$STATE" --service-network my-gateway --controller "$CONTROLLER"; }
trap 'kill "$SERVE_PID" 2>/dev/null || true' EXIT
read -r first <&"${SERVE[0]}"
[ "$first" = ready ]

# 2. Export my-service from cluster-a; import it into my-route in cluster-b, and wait for
#    the controller to write the route's Lattice service ARN (it does once the rules exist).
export KUBECONFIG=$STATE/kubeconfig
kubectl --context cluster-a apply -f cluster-a.yaml
kubectl --context cluster-b apply -f cluster-b.yaml
kubectl --context cluster-b wait httproute/my-route --timeout=60s \
  --for=jsonpath='{.metadata.annotations.application-networking\.k8s\.aws/lattice-service-arn}'

# 3. Read the rule back with the aws CLI.
set -a; . "$STATE/lattice.env"; set +a
export AWS_PAGER=""
lattice() { aws vpc-lattice "$@" --endpoint-url "$LATTICE_ENDPOINT"; }
service=$(lattice list-services --query "items[?name=='my-route-default'].id" --output text)
listener=$(lattice list-listeners --service-identifier "$service" --query 'items[0].id' --output text)
lattice list-rules --service-identifier "$service" --listener-identifier "$listener" \
  --query 'items[].[priority, isDefault, name, id]' --output table
rule=$(lattice list-rules --service-identifier "$service" --listener-identifier "$listener" \
  --query 'items[?!isDefault].id' --output text)
group=$(lattice get-rule --service-identifier "$service" --listener-identifier "$listener" --rule-identifier "$rule" \
  --query 'action.forward.targetGroups[0].targetGroupIdentifier' --output text)
arn=$(lattice get-target-group --target-group-identifier "$group" --query arn --output text)
cluster=$(lattice list-tags-for-resource --resource-arn "$arn" \
  --query 'tags."application-networking.k8s.aws/ClusterName"' --output text)
echo "my-route forwards to target group $group of $cluster"
[ "$cluster" = cluster-a ]
