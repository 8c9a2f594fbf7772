# Sourced by scripts/bench.sh and scripts/figures.sh: `big_deployment N` prints a scenario
# of one Deployment of N replicas on 1,000 nodes of 110 pods (a /24 each: 254 pod IPs),
# 10 simulated minutes — the controllers' per-sync work must follow what changed, not
# the pods of the workload.
big_deployment() {
  cat <<YAML
apiVersion: ksim.dev/v1
kind: Scenario
metadata: {name: big-deployment-$1}
spec:
  until: 10m
  cluster:
    clusterCIDR: 10.64.0.0/10
    nodePools:
    - {name: w, count: 1000, capacity: {cpu: "64", memory: 256Gi, pods: 110}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: $1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx:1.25, resources: {requests: {cpu: 10m, memory: 10Mi}}}
YAML
}
