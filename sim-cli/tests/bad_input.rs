//! The bad input catalogue: every file in `tests/bad/` (and a few generated at test time —
//! binary garbage, deep nesting, a file over the size cap) is run through the real `ksim run`.
//! Each must exit 2, quickly, without a panic, with exactly one diagnostic line
//! `error: <file>:<line>:<col>: <message>` at the expected place and in the expected words.
//!
//! Cases in `KNOWN_GAPS` show a real problem in ksim: their expectation is the *desired*
//! behaviour, they are still run, and a mismatch is printed rather than failing the test;
//! one that behaves as desired fails it until it is taken off the list. The list is empty.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Time allowed for one `ksim run` (generous: CI machines are slow, debug builds slower).
const TIME_LIMIT: Duration = Duration::from_secs(20);

/// Prefix of the cases generated into a temporary directory instead of committed.
const GEN: &str = "generated/";

/// file → (line, col, substring of the message). Files are in `sim-cli/tests/bad/`, or
/// generated at test time when they start with `generated/`.
const CASES: &[(&str, u32, u32, &str)] = &[
    // YAML syntax and structure
    ("unclosed-flow-mapping.yaml", 6, 5, "did not find expected ',' or '}'"),
    ("tabs.yaml", 4, 2, "tabs disallowed"),
    ("duplicate-key.yaml", 7, 3, "mapping key \"replicas\" already defined at line 6"),
    ("alias-bomb.yaml", 10, 8, "document expands to more than 1000000 nodes (alias bomb?)"),
    ("empty.yaml", 1, 1, "no objects passed to apply"),
    ("non-utf8.yaml", 5, 18, "invalid UTF-8 (byte 0xff)"),
    ("generated/binary-garbage.bin", 1, 1, "invalid UTF-8 (byte 0xae)"),
    ("generated/control-garbage.yaml", 2, 14, "found unprintable character"),
    ("generated/deep-flow.yaml", 1, 256, "nesting deeper than 255 levels of flow collections"),
    ("generated/deep-block.yaml", 1, 1025, "nesting deeper than 512 levels"),
    ("generated/huge.yaml", 1, 1, "ksim reads at most"),
    ("generated/too-many-documents.yaml", 20000, 1, "more than 10000 documents in one file"),
    // A device that never ends (reports size 0): read up to the cap, then refused.
    ("generated/apply-dev-zero.yaml", 9, 13, "spec.timeline[0].apply.file: /dev/zero: more than 16777216 bytes; ksim reads at most 16777216"),
    // LimitRange and ResourceQuota (ValidateLimitRange after SetDefaults_LimitRangeItem;
    // ValidateResourceQuotaSpec)
    ("limit-range-default-over-max.yaml", 13, 12, "LimitRange \"cpu-limits\" is invalid: spec.limits[0].default[cpu]: Invalid value: \"1\": default value 2 is greater than max value 1"),
    ("resource-quota-negative.yaml", 8, 22, "spec.hard[requests.memory]: Invalid value: \"-1Gi\": must be greater than or equal to 0"),
    // ValidateResourceQuotaResourceName: `storage` is a resource, but not one quota tracks
    // (requests.storage is); a misspelt one gets this and "must be a standard resource
    // type or fully qualified"
    ("resource-quota-unknown-resource.yaml", 8, 14, "spec.hard[storage]: Invalid value: \"storage\": must be a standard resource for quota"),
    // A Cluster Autoscaler node group (node_group_spec.go Validate)
    ("node-group-min-over-max.yaml", 11, 34, "spec.cluster.nodePools[0].autoscaling.max: Invalid value: 2: max size must be greater or equal to min size"),
    // expander/factory Build's words
    ("expander-twice.yaml", 7, 17, "Expander priority was specified multiple times, each expander must not be specified more than once"),
    ("node-group-swap.yaml", 12, 20, "spec.cluster.nodePools[0].autoscaling: Forbidden: its machines' kubelet refuses to start (swap: true), so none would ever register"),
    // HorizontalPodAutoscaler (ValidateHorizontalPodAutoscalerSpec, after the v1 conversion)
    ("hpa-min-over-max.yaml", 8, 16, "HorizontalPodAutoscaler.autoscaling \"web\" is invalid: spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`"),
    ("hpa-zero-target.yaml", 14, 29, "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0"),
    ("hpa-v1-negative-min.yaml", 7, 16, "spec.minReplicas: Invalid value: -1: must be greater than or equal to 1"),
    // Scheduling inputs
    (
        "scheduler-config-unknown-plugin.yaml",
        8,
        15,
        "invalid KubeSchedulerConfiguration: profiles[0].plugins.score.enabled[0].name: Invalid value: \"NodeResourcesFitt\": plugin \"NodeResourcesFitt\" does not exist",
    ),
    ("spread-zero-skew.yaml", 6, 14, "Pod \"spread\" is invalid: spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero"),
    ("reserved-priority-class-name.yaml", 3, 18, "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved"),
    ("pdb-unknown-field.yaml", 6, 3, "strict decoding error: unknown field \"spec.selectr\""),
    // Services: the registry's allocators (storage/alloc.go, ipallocator, portallocator)
    // and ValidateService, in the apiserver's words.
    (
        "service-cluster-ip-out-of-range.yaml",
        6,
        14,
        "Service \"web\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.10.100.100\"}: failed to allocate IP 10.10.100.100: the provided IP (10.10.100.100) is not in the valid range. The range of valid IPs is 10.96.0.0/12",
    ),
    ("service-duplicate-node-port.yaml", 23, 15, "Service \"api\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"),
    ("service-port-without-name.yaml", 11, 5, "Service \"web\" is invalid: spec.ports[1].name: Required value"),
    (
        "service-health-check-port-not-local.yaml",
        7,
        24,
        "Service \"web\" is invalid: spec.healthCheckNodePort: Invalid value: 30100: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
    ),
    (
        "netpol-bad-cidr.yaml",
        10,
        15,
        "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.ingress[0].from[0].ipBlock.cidr: Invalid value: \"172.17.0.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
    ),
    ("cluster-dns-typo.yaml", 6, 10, "spec.cluster.dns: Unsupported value: \"coredns\": supported values: \"CoreDNS\", \"none\""),
    (
        "ingress-relative-path.yaml",
        10,
        15,
        "Ingress.networking.k8s.io \"shop\" is invalid: spec.rules[0].http.paths[0].path: Invalid value: \"cart\": must be an absolute path",
    ),
    // Jobs and CronJobs: ValidateJob, ValidateCronJobCreate (robfig/cron's words for the
    // schedule), and a removed API version as kubectl reports it.
    ("cronjob-bad-schedule.yaml", 6, 13, "CronJob.batch \"hello\" is invalid: spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above maximum (59): 61"),
    ("job-indexed-without-completions.yaml", 6, 3, "Job.batch \"squares\" is invalid: spec.completions: Required value: when completion mode is Indexed"),
    ("job-restart-always.yaml", 8, 22, "Job.batch \"pi\" is invalid: spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""),
    ("statefulset-selector-mismatch.yaml", 10, 24, "StatefulSet.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`"),
    ("cronjob-removed-version.yaml", 2, 13, "no matches for kind \"CronJob\" in version \"batch/v1beta1\" (batch/v1beta1 was removed in v1.25; CronJob is served as batch/v1)"),
    ("traffic-missing-service.yaml", 9, 13, "traffic client \"shop\": services \"nope\" not found"),
    ("traffic-bad-rate.yaml", 10, 11, "spec.traffic[0].rate: Invalid value: \"10 per second\": expected requests per second or minute, e.g. 50/s or 600/m"),
    ("lb-pool-bad-range.yaml", 9, 9, "spec.cluster.loadBalancer.addresses[1]: Invalid value: \"192.168.1.250-192.168.1.240\": the range's start 192.168.1.250 is after its end 192.168.1.240"),
    ("service-cidr-too-large.yaml", 8, 18, "specified service subnet is too large; for 32-bit addresses, the mask must be >= 12"),
    ("missing-priority-class.yaml", 1, 1, "pods \"urgent\" is forbidden: no PriorityClass with name very-high was found"),
    // Manifests: decoding
    ("unknown-kind.yaml", 2, 7, "no matches for kind \"Foo\" in version \"apps/v1\""),
    ("unknown-field.yaml", 16, 9, "strict decoding error: unknown field \"spec.template.spec.containers[0].imagePullPolcy\""),
    (
        "invalid-quantity.yaml",
        17,
        41,
        "spec.template.spec.containers[0].resources.requests.memory: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ),
    ("replicas-out-of-int32.yaml", 6, 13, "spec.replicas: Invalid value: 3000000000: cannot unmarshal number 3000000000 into a field of type int32"),
    // Manifests: validation
    ("missing-image.yaml", 7, 5, "Pod \"p\" is invalid: spec.containers[0].image: Required value"),
    ("missing-name.yaml", 4, 3, "metadata.name: Required value: name or generateName is required"),
    ("negative-replicas.yaml", 6, 13, "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
    (
        "daemonset-surge-and-unavailable.yaml",
        8,
        17,
        "DaemonSet.apps \"agent\" is invalid: spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:\"\"}: may not be set when maxUnavailable is non-zero",
    ),
    (
        "replicationcontroller-selector-mismatch.yaml",
        9,
        15,
        "ReplicationController \"web\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"api\"}: `selector` does not match template `labels`",
    ),
    (
        "name-not-dns1123.yaml",
        4,
        9,
        "metadata.name: Invalid value: \"My_App\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters",
    ),
    (
        "selector-mismatch.yaml",
        11,
        15,
        "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"api\"}: `selector` does not match template `labels`",
    ),
    ("invalid-restart-policy.yaml", 6, 18, "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""),
    ("toleration-exists-with-value.yaml", 8, 15, "value must be empty when `operator` is 'Exists'"),
    ("invalid-ksim-annotation.yaml", 12, 44, "spec.template.metadata.annotations[ksim.dev/run-duration]: Invalid value: \"soon\""),
    ("cpu-per-request-negative.yaml", 12, 47, "spec.template.metadata.annotations[ksim.dev/cpu-per-request]: Invalid value: \"-5m\": must not be negative"),
    ("node-manifest.yaml", 1, 1, "nodes come from spec.cluster.nodePools"),
    ("duplicate-object.yaml", 17, 1, "deployments.apps \"web\" already exists"),
    // Limits, checked on the number before anything is built from it
    ("replicas-too-many.yaml", 5, 13, "deployments.apps \"web\": spec.replicas: Invalid value: 100000000: ksim simulates at most 1000000 replicas per workload"),
    (
        "pods-total-too-many.yaml",
        16,
        13,
        "deployments.apps \"api\": spec.replicas: Invalid value: 600000: with it the scenario asks for 1200000 pods at once (at 0s); ksim simulates at most 1000000",
    ),
    ("scale-too-many.yaml", 7, 47, "spec.timeline[0].scale.replicas: Invalid value: 2000000: ksim simulates at most 1000000 replicas per workload"),
    ("pool-count-too-big.yaml", 7, 29, "spec.cluster.nodePools[0].count: Invalid value: 4294967295: ksim simulates at most 100000 nodes"),
    (
        "pools-total-too-big.yaml",
        8,
        24,
        "spec.cluster.nodePools[1].count: Invalid value: 60000: ksim simulates at most 100000 nodes (the cluster would have 120000 nodes)",
    ),
    // Scenario documents
    ("scenario-wrong-apiversion.yaml", 1, 13, "no matches for kind \"Scenario\" in version \"ksim.dev/v2\""),
    ("two-scenarios.yaml", 22, 1, "a second Scenario document"),
    ("scenario-unknown-field.yaml", 6, 3, "strict decoding error: unknown field \"spec.sed\""),
    ("invalid-duration.yaml", 14, 9, "spec.timeline[0].at: Invalid value: \"5 minutes\""),
    ("timeline-out-of-order.yaml", 16, 5, "spec.timeline: entries must be in time order: 30s comes after 1m"),
    ("unknown-timeline-action.yaml", 17, 5, "spec.timeline[1]: unknown action \"reboot\""),
    ("scale-missing-deployment.yaml", 14, 5, "deployments.apps \"nope\" not found"),
    ("node-crash-missing-node.yaml", 17, 16, "spec.timeline[1].nodeCrash: nodes \"worker-9\" not found"),
    ("bad-expectation.yaml", 20, 11, "spec.expect[0].that: Invalid value: \"deployment/web availble == 3\""),
    // Expectations are typed at load (values from core/v1 ConditionStatus and PodPhase).
    ("expect-bool-typo.yaml", 7, 20, "Unsupported value: \"Flase\": supported values: \"True\", \"False\", \"Unknown\""),
    (
        "expect-phase-typo.yaml",
        7,
        20,
        "Unsupported value: \"Runing\": supported values: \"Pending\", \"Running\", \"Succeeded\", \"Failed\", \"Unknown\"",
    ),
    ("expect-on-without-node.yaml", 7, 20, "`on` takes a node name: `pods on worker-1 == 0`"),
    ("expect-single-equals.yaml", 7, 20, "`=` is not a comparison: use `==`"),
    ("expect-less-than-word.yaml", 7, 20, "`<` compares numbers, and phase is one of Pending, Running, Succeeded, Failed, Unknown: use == or !="),
    ("expect-bad-selector.yaml", 7, 20, "selector \"app=web,\": found '', expected: identifier after ','"),
    ("expect-two-moments.yaml", 7, 18, "spec.expect[0]: Invalid value: both at and by: give exactly one of at, during, by"),
    ("expect-no-moment.yaml", 7, 5, "spec.expect[0]: Required value: when `that` must hold: `at: 5m`, `during: [1m, 5m]` or `by: 5m`"),
    ("expect-window-backwards.yaml", 7, 14, "spec.expect[0].during: Invalid value: [5m, 1m]: the window must not end before it starts"),
    ("by-window-backwards.yaml", 17, 10, "spec.expect[0].by: Invalid value: [5m, 1m]: the window must not end before it starts"),
    // Rollout strategy and budgets (ValidateRollingUpdateDeployment, ValidatePodDisruptionBudgetSpec)
    ("surge-and-unavailable-zero.yaml", 24, 50, "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0"),
    ("unavailable-over-100.yaml", 24, 37, "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"110%\"}: must not be greater than 100%"),
    ("pdb-both-bounds.yaml", 38, 3, "PodDisruptionBudget.policy \"web-pdb\" is invalid: spec: Invalid value: minAvailable and maxUnavailable cannot be both set"),
    // kubectl steps of the timeline
    ("set-image-missing-deployment.yaml", 14, 5, "deployments.apps \"nope\" not found (nothing applies it before 1m)"),
    ("drain-missing-node.yaml", 15, 19, "spec.timeline[0].drain.node: nodes \"worker-9\" not found"),
    ("drain-bad-grace.yaml", 15, 42, "spec.timeline[0].drain.gracePeriod: Invalid value: \"soon\": expected whole seconds"),
    // Faults (issue: an unknown fault type, a partition of a node that does not exist)
    ("partition-missing-node.yaml", 15, 23, "spec.timeline[0].partition.node: nodes \"worker-9\" not found"),
    // kubeadm: a join token in the wrong format is refused as `kubeadm join --token` is
    // (validation.go ValidateDiscovery → ValidateToken, for the discovery and TLS bootstrap
    // tokens the flag sets); InitConfiguration's token as NewBootstrapTokenString refuses
    // it (bootstraptoken/v1/utils.go, with BootstrapTokenPattern's %q).
    (
        "kubeadm-join-bad-token.yaml",
        14,
        42,
        "[discovery.bootstrapToken.token: Invalid value: \"abcdef-0123456789abcdef\": the bootstrap token is invalid, discovery.tlsBootstrapToken: Invalid value: \"abcdef-0123456789abcdef\": the bootstrap token is invalid]",
    ),
    (
        "kubeadm-init-token-bad-format.yaml",
        11,
        17,
        "the bootstrap token \"ABCDEF.0123456789abcdef\" was not of the form \"\\\\A([a-z0-9]{6})\\\\.([a-z0-9]{16})\\\\z\"",
    ),
    ("kubeadm-join-without-init.yaml", 12, 5, "spec.timeline: kubeadmJoin needs a kubeadmInit (the cluster it joins)"),
    (
        "containerd-bad-version.yaml",
        10,
        29,
        "spec.cluster.nodePools[0].containerd.version: Invalid value: \"latest\": expected a containerd release such as 1.7.27 or 2.1.4",
    ),
    (
        "cgroup-mismatch-control-plane.yaml",
        14,
        24,
        "spec.cluster.nodePools[0].containerd.systemdCgroup: Invalid value: false: a cgroup driver mismatch on a control-plane node is not modelled",
    ),
    (
        "eviction-soft-without-grace.yaml",
        12,
        23,
        "spec.cluster.nodePools[0].kubelet.evictionSoftGracePeriod: grace period must be specified for the soft eviction threshold memory.available",
    ),
    ("fault-plan-clock-skew-no-offset.yaml", 11, 7, "spec.faults.clockSkew.offset: Required value"),
    (
        "closed-port-unmodelled.yaml",
        10,
        28,
        "spec.cluster.nodePools[0].closedPorts[1]: Unsupported value: 80: supported values: 6443 (kube-apiserver, on a control-plane pool), 10250 (the kubelet's API)",
    ),
    (
        "closed-port-6443-on-worker.yaml",
        12,
        9,
        "spec.cluster.nodePools[0].closedPorts[0]: Invalid value: 6443: only a control-plane node serves kube-apiserver (spec.cluster.bootstrap: kubeadm, controlPlane: true)",
    ),
    (
        "partition-bad-direction.yaml",
        15,
        58,
        "spec.timeline[0].partition.direction: Unsupported value: \"inbound\": supported values: \"both\", \"toControlPlane\", \"fromControlPlane\"",
    ),
    ("unknown-fault.yaml", 15, 5, "spec.timeline[0]: unknown action \"networkDelay\": expected one of apply, delete,"),
    ("faults-unknown-type.yaml", 14, 5, "strict decoding error: unknown field \"spec.faults.diskFull\""),
    ("clock-skew-bad-offset.yaml", 15, 41, "spec.timeline[0].clockSkew.offset: Invalid value: \"soon\": invalid duration \"soon\""),
    ("container-kill-not-a-pod.yaml", 15, 29, "spec.timeline[0].containerKill.target: Invalid value: \"deployment/web\": expected pod/NAME"),
    // validateProbe (periodSeconds 0 is defaulted to 10 and accepted, as by the apiserver)
    (
        "probe-negative-period.yaml",
        11,
        22,
        "Pod \"web\" is invalid: spec.containers[0].livenessProbe.periodSeconds: Invalid value: -5: must be greater than or equal to 0",
    ),
    ("startup-probe-success-threshold.yaml", 11, 25, "Pod \"web\" is invalid: spec.containers[0].startupProbe.successThreshold: Invalid value: 2: must be 1"),
    (
        "etcd-member-out-of-range.yaml",
        16,
        30,
        "spec.timeline[0].etcdMemberDown.member: Invalid value: 3: the cluster's etcd members are 0, 1, 2 (spec.cluster.etcd.members: 3)",
    ),
    ("etcd-too-many-members.yaml", 9, 21, "spec.cluster.etcd.members: Invalid value: 9: must be between 1 and 7 (etcd recommends at most 7 members)"),
    // Chaos Mesh's webhook (v2.8.3: podchaos_webhook.go, common_webhook.go)
    (
        "podchaos-no-container.yaml",
        7,
        3,
        "PodChaos.chaos-mesh.org \"container-kill-example\" is invalid: spec.containerNames: Invalid value: []string(nil): the name of container is required on container-kill action: invalid value",
    ),
    (
        "podchaos-bad-percent.yaml",
        9,
        10,
        "PodChaos.chaos-mesh.org \"pod-kill-example\" is invalid: spec.value: Invalid value: \"150\": value of 150 is invalid, Must be (0,100] with mode:fixed-percent",
    ),
    (
        "podchaos-bad-duration.yaml",
        9,
        13,
        "PodChaos.chaos-mesh.org \"pod-failure-example\" is invalid: spec.duration: Invalid value: \"30\": parse duration field error: time: missing unit in duration \"30\"",
    ),
    // networkchaos_webhook.go NetworkChaosSpec.Validate
    (
        "networkchaos-from-without-target.yaml",
        12,
        14,
        "NetworkChaos.chaos-mesh.org \"delay-from\" is invalid: spec.direction: Invalid value: \"from\": `from` and `both` direction cannot be used when targets is empty in netem action",
    ),
    ("control-plane-without-kubeadm.yaml", 9, 21, "spec.cluster.nodePools[0].controlPlane: Invalid value: true: a control-plane pool needs spec.cluster.bootstrap: kubeadm"),
    ("add-node-unknown-pool.yaml", 15, 21, "spec.timeline[0].addNode.pool: Invalid value: \"gpu\": no node pool of that name"),
    ("undo-negative-revision.yaml", 15, 55, "spec.timeline[0].rolloutUndo.toRevision: Invalid value: -1: must be a revision number (0: the previous one)"),
    (
        "bad-taint-effect.yaml",
        13,
        53,
        "spec.cluster.nodePools[0].taints[0].effect: Unsupported value: \"NoSchedul\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"",
    ),
    ("invalid-cluster-cidr.yaml", 9, 18, "spec.cluster.clusterCIDR: Invalid value: \"10.244.0.0/33\": invalid CIDR address"),
    // Accepted once, refused as the apiserver, kubelet or kube-controller-manager refuses
    (
        "cluster-cidr-zero-prefix.yaml",
        6,
        18,
        "spec.cluster.clusterCIDR: Invalid value: \"10.0.0.0/0\": overlaps 0.0.0.0/8: a pod IP may not be unspecified (0.0.0.0) or in \"this network\" (0.0.0.0/8)",
    ),
    (
        "cluster-cidr-smaller-than-node.yaml",
        6,
        18,
        "spec.cluster.clusterCIDR: Invalid value: \"10.0.0.0/25\": mask size of cluster CIDR (25) must be less than or equal to nodeCIDRMaskSize (24)",
    ),
    ("pool-pods-negative.yaml", 7, 72, "spec.cluster.nodePools[0].capacity.pods: Invalid value: -3: must not be a negative number (the kubelet's maxPods)"),
    ("pool-pods-fraction.yaml", 7, 72, "spec.cluster.nodePools[0].capacity.pods: Invalid value: 1.5: must be a whole number (the kubelet's maxPods is an int32)"),
    ("pool-memory-too-big.yaml", 7, 61, "spec.cluster.nodePools[0].capacity.memory: Invalid value: \"1000000Ei\": must be less than or equal to 9223372036854775807"),
    ("generated/annotations-too-long.yaml", 6, 5, "Pod \"p\" is invalid: metadata.annotations: Too long: must have at most 262144 bytes"),
    ("generated/label-value-1mb.yaml", 6, 10, "Pod \"p\" is invalid: metadata.labels[app]: Invalid value: \"vvvv"),
    ("list-item-unknown-field.yaml", 13, 42, "strict decoding error: unknown field \"items[1].spec.containers[0].imagePullPolcy\""),
];

/// Cases where ksim does not (yet) behave as desired (none at present).
const KNOWN_GAPS: &[&str] = &[];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Deterministic "random" bytes (xorshift64).
fn garbage(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

/// Writes the generated case `name` (without the `generated/` prefix) into `dir`.
fn generate(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let bytes: Vec<u8> = match name {
        // Raw bytes: not UTF-8 from the first byte on.
        "binary-garbage.bin" => garbage(64 * 1024),
        // The same bytes as valid UTF-8 (control characters and Latin letters): gets past
        // the UTF-8 check into the YAML scanner.
        "control-garbage.yaml" => garbage(64 * 1024)
            .iter()
            .map(|&b| if b < 0x80 { b as char } else { char::from_u32(0x100 + u32::from(b)).unwrap() })
            .collect::<String>()
            .into_bytes(),
        "deep-flow.yaml" => "[".repeat(20_000).into_bytes(),
        "annotations-too-long.yaml" => format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    big: {}\nspec:\n  containers: [{{name: c, image: nginx}}]\n",
            "x".repeat(256 << 10)
        )
        .into_bytes(),
        "label-value-1mb.yaml" => format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    app: {}\nspec:\n  containers: [{{name: c, image: nginx}}]\n",
            "v".repeat(1 << 20)
        )
        .into_bytes(),
        "too-many-documents.yaml" => "a: 1\n---\n".repeat(10_001).into_bytes(),
        "apply-dev-zero.yaml" => {
            "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {name: z}\nspec:\n  until: 1m\n  timeline:\n  - at: 1s\n    apply:\n      file: /dev/zero\n"
                .into()
        }
        "deep-block.yaml" => ("- ".repeat(20_000) + "x\n").into_bytes(),
        "huge.yaml" => {
            // A 50 MB file (over the cap): a real manifest followed by comment lines.
            let max = sim_core::scenario::yaml::MAX_INPUT_BYTES;
            let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
            f.write_all(b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: busybox}]\n").unwrap();
            let line = format!("# {}\n", "padding ".repeat(12));
            let chunk = line.repeat(1 << 20 >> 7);
            let mut written = 0;
            while written < 50 << 20 {
                f.write_all(chunk.as_bytes()).unwrap();
                written += chunk.len();
            }
            f.flush().unwrap();
            assert!(std::fs::metadata(&path).unwrap().len() > max as u64);
            return path;
        }
        other => panic!("no generator for {other}"),
    };
    std::fs::write(&path, bytes).unwrap();
    path
}

struct Outcome {
    code: Option<i32>,
    stderr: String,
    elapsed: Duration,
    timed_out: bool,
}

/// Runs `ksim run <file>` from the workspace root, killing it after `TIME_LIMIT`.
fn run_ksim(file: &str) -> Outcome {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ksim"))
        .args(["run", file])
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ksim starts");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let drain_out = std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let drain_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > TIME_LIMIT {
            timed_out = true;
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = start.elapsed();
    let _ = drain_out.join();
    let stderr = String::from_utf8_lossy(&drain_err.join().unwrap()).into_owned();
    Outcome { code: status.code(), stderr, elapsed, timed_out }
}

/// What is wrong with one outcome (empty: as expected).
fn problems(file: &str, line: u32, col: u32, msg: &str, o: &Outcome) -> Vec<String> {
    let mut p = Vec::new();
    if o.timed_out || o.elapsed >= TIME_LIMIT {
        p.push(format!("took {:?} (limit {TIME_LIMIT:?})", o.elapsed));
    }
    if o.code != Some(2) {
        p.push(format!("exit code {:?}, want 2", o.code));
    }
    if o.stderr.contains("panicked") {
        p.push("panicked".into());
    }
    let errors: Vec<&str> = o.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    if errors.len() != 1 {
        p.push(format!("{} `error:` lines, want exactly 1", errors.len()));
    }
    let head = format!("error: {file}:{line}:{col}: ");
    match errors.first() {
        Some(e) if e.starts_with(&head) => {
            if !e[head.len()..].contains(msg) {
                p.push(format!("message lacks {msg:?}"));
            }
        }
        _ => p.push(format!("no line starting {head:?}")),
    }
    // No diagnostic echoes a long value whole (source lines are cut to 200 characters,
    // quoted values to 200 and whole messages to 2,000).
    if let Some(l) = o.stderr.lines().find(|l| l.chars().count() > 2400) {
        p.push(format!("a stderr line of {} characters", l.chars().count()));
    }
    if !o.stderr.is_empty() && !o.stderr.ends_with('\n') {
        p.push("stderr does not end with a newline".into());
    }
    p
}

#[test]
fn every_committed_bad_file_is_in_the_table() {
    let dir = root().join("sim-cli/tests/bad");
    let mut files: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    for f in &files {
        assert!(CASES.iter().any(|c| c.0 == f), "{f} has no entry in CASES");
    }
    for (f, ..) in CASES {
        assert!(f.starts_with(GEN) || files.iter().any(|x| x == f), "{f} is in CASES but not in tests/bad/");
    }
    for g in KNOWN_GAPS {
        assert!(CASES.iter().any(|c| c.0 == *g), "KNOWN_GAPS names {g}, which is not a case");
    }
    assert!(CASES.len() >= 30, "the catalogue has only {} cases", CASES.len());
}

#[test]
fn bad_input_exits_2_with_one_located_diagnostic() {
    let tmp = std::env::temp_dir().join(format!("ksim-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut failures = Vec::new();
    for &(name, line, col, msg) in CASES {
        let (path, generated) = match name.strip_prefix(GEN) {
            Some(g) => (generate(&tmp, g), true),
            None => (PathBuf::from(format!("sim-cli/tests/bad/{name}")), false),
        };
        let file = path.to_string_lossy().into_owned();
        let o = run_ksim(&file);
        if generated {
            let _ = std::fs::remove_file(&path);
        }
        let p = problems(&file, line, col, msg, &o);
        let known = KNOWN_GAPS.contains(&name);
        match (p.is_empty(), known) {
            (true, false) => {}
            (true, true) => failures.push(format!("known gap {name} now behaves as desired: remove it from KNOWN_GAPS")),
            (false, true) => eprintln!("skipping known gap {name}: {}\n{}", p.join("; "), o.stderr.trim_end()),
            (false, false) => failures.push(format!("{name}: {}\n--- stderr:\n{}", p.join("; "), o.stderr.trim_end())),
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(failures.is_empty(), "{} case(s) failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

/// `yes 'x: y' | ksim run /dev/stdin`: a pipe reports no size, so the cap must hold on
/// the bytes read. ksim stops reading after the cap and exits 2; the writer sees the
/// pipe close long before it has written everything it offered.
#[test]
fn an_endless_pipe_is_read_only_up_to_the_cap() {
    let max = sim_core::scenario::yaml::MAX_INPUT_BYTES;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ksim"))
        .args(["run", "/dev/stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ksim starts");
    let mut stdin = child.stdin.take().unwrap();
    let offered = 8 * max;
    let writer = std::thread::spawn(move || {
        let chunk = "x: y\n".repeat(1 << 14);
        let mut written = 0usize;
        while written < offered {
            match stdin.write_all(chunk.as_bytes()) {
                Ok(()) => written += chunk.len(),
                Err(_) => break, // ksim closed the pipe
            }
        }
        written
    });
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    let written = writer.join().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(start.elapsed() < TIME_LIMIT, "took {:?}", start.elapsed());
    assert_eq!(err, format!("error: /dev/stdin:1:1: more than {max} bytes; ksim reads at most {max}\n"));
    // What ksim read, plus what the pipe buffers held when it exited.
    assert!(written < max + (4 << 20), "the writer got {written} bytes in");
}
