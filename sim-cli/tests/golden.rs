//! Golden files: what `ksim describe`, `ksim events` and `ksim get` print on fixed cases
//! (a bundled scenario or a file under sim-cli/tests/data, a fixed `--at` and `--seed`),
//! compared byte for byte with sim-cli/tests/golden/NAME.txt. They pin the layout —
//! field order, labels, column alignment, sections — as kubectl's printing code writes
//! it; what the values are (counts, phases, events) is checked by the other tests.
//! Ages are relative to `--at`, so every file is deterministic.
//!
//! After a change that is meant to alter an output, review the new text against the
//! kubectl function named below, then rewrite the files with
//!
//!     KSIM_GOLDEN_BLESS=1 cargo test -p sim-cli --test golden
//!
//! Each file and the kubectl code whose layout it follows (staging/src/k8s.io/kubectl/
//! pkg/describe/describe.go unless said otherwise; `get` tables are
//! pkg/printers/internalversion/printers.go's, laid out by kubectl get's GetOptions.Run):
//! - describe-pod.txt: describePod (describeContainers, describeStatus, DescribeEvents)
//! - describe-node.txt: describeNode (printNodeTaintsMultiline, describeNodeLease, describeNodeResource)
//! - describe-node-extended-resources.txt: describeNode, describeNodeResource's extended-resource rows
//! - describe-deployment.txt: describeDeployment (DescribePodTemplate, printReplicaSetsByLabels)
//! - describe-replicaset.txt: describeReplicaSet
//! - describe-replicationcontroller.txt: describeReplicationController
//! - describe-daemonset.txt: describeDaemonSet
//! - describe-statefulset.txt: describeStatefulSet (describeVolumeClaimTemplates)
//! - describe-job.txt: describeJob
//! - describe-cronjob.txt: describeCronJob (describeJobTemplate, printActiveJobs)
//! - describe-service.txt: describeService (formatEndpointSlices)
//! - describe-ingress.txt: IngressDescriber.describeIngressV1 (describeBackendV1)
//! - describe-pvc.txt: describePersistentVolumeClaim (printPersistentVolumeClaim, printPodsMultiline)
//! - describe-pv.txt: describePersistentVolume (printVolumeNodeAffinity, printCSIPersistentVolumeSource)
//! - describe-storageclasses.txt: describeStorageClass (printAllowedTopologies), several objects as
//!   pkg/cmd/describe/describe.go DescribeOptions.Run separates them
//! - describe-resourcequota.txt: describeQuota
//! - describe-limitrange.txt: describeLimitRange (describeLimitRangeSpec)
//! - describe-hpa.txt: describeHorizontalPodAutoscalerV2 (printDirectionBehavior)
//! - events.txt: pkg/cmd/events/events.go EventsOptions.Run, event_printer.go printOneEvent
//! - events-warning.txt: events.go EventsOptions.Run with --types (filteredEventType)
//! - events-for-pod.txt: events.go EventsOptions.Run with --for (the involvedObject field selector)
//! - get-pods-wide.txt: printers.go printPod (-o wide)
//! - get-pods-all-namespaces.txt: printers.go printPod, NAMESPACE column (decorateTable WithNamespace)
//! - get-pods-show-labels.txt: printers.go printPod, LABELS column (decorateTable ShowLabels)
//! - get-nodes.txt: printers.go printNode
//! - get-nodes-wide.txt: printers.go printNode (-o wide)
//! - get-deploy-rs-ds-wide.txt: printers.go printDeployment, printReplicaSet, printDaemonSet (-o wide),
//!   kind/name prefixes and blank lines between tables (get.go multipleGVKsRequested, separatorWriterWrapper)
//! - get-all.txt: the `all` category's kinds in discovery order, each table as printers.go prints
//!   it (printPod … printHorizontalPodAutoscaler, printCronJob, printJob)

mod common;

use common::{ksim, root, text};
use std::path::PathBuf;

fn golden_dir() -> PathBuf {
    root().join("sim-cli/tests/golden")
}

fn blessing() -> bool {
    std::env::var_os("KSIM_GOLDEN_BLESS").is_some_and(|v| v == "1")
}

/// Runs `ksim ARGS…`, which must succeed without a word on stderr, and compares its
/// stdout with the golden file (or writes it when blessing).
fn check(file: &str, args: &[&str]) {
    let out = ksim(args);
    assert_eq!(out.status.code(), Some(0), "ksim {}: {}", args.join(" "), text(&out.stderr));
    assert!(out.stderr.is_empty(), "ksim {}: {}", args.join(" "), text(&out.stderr));
    let got = text(&out.stdout);
    let path = golden_dir().join(file);
    if blessing() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (KSIM_GOLDEN_BLESS=1 cargo test -p sim-cli --test golden writes it)", path.display()));
    if got == want {
        return;
    }
    let (g, w): (Vec<&str>, Vec<&str>) = (got.split_inclusive('\n').collect(), want.split_inclusive('\n').collect());
    let line = g.iter().zip(&w).position(|(a, b)| a != b).unwrap_or(g.len().min(w.len()));
    panic!(
        "ksim {} differs from {} at line {}:\n  want: {:?}\n  got:  {:?}\n--- got ---\n{got}--- end ---\n\
         If the change is meant, review it against the kubectl code named in golden.rs, then run \
         KSIM_GOLDEN_BLESS=1 cargo test -p sim-cli --test golden",
        args.join(" "),
        path.display(),
        line + 1,
        w.get(line).copied().unwrap_or("<end of file>"),
        g.get(line).copied().unwrap_or("<end of output>"),
    );
}

/// One test per golden file, and the list of the files.
macro_rules! golden {
    ($($test:ident: $file:literal => [$($arg:literal),* $(,)?];)*) => {
        $(
            #[test]
            fn $test() {
                check($file, &[$($arg),*]);
            }
        )*
        const FILES: &[&str] = &[$($file),*];
    };
}

golden! {
    // A container that exits 1 every 2 s: Waiting/CrashLoopBackOff, Last State
    // Terminated, grouped Events (`17s (x4 over 56s)`).
    describe_pod: "describe-pod.txt" => ["describe", "pod", "crash", "sim-cli/tests/data/crash-loop.yaml", "--at", "1m", "--seed", "1"];
    // A crashed node after the grace period: two taints, Unknown conditions, its pods, an Event.
    describe_node: "describe-node.txt" => ["describe", "node", "worker-1", "scenarios/node-crash.yaml", "--at", "2m", "--seed", "7"];
    // A node with a GPU, a pod asking for one, requests and limits in percent.
    describe_node_extended_resources: "describe-node-extended-resources.txt" =>
        ["describe", "node", "gpu-1", "sim-cli/tests/data/golden-workloads.yaml", "--at", "1m30s", "--seed", "1"];
    // After a rolling update: the old ReplicaSet scaled to 0 is still listed.
    describe_deployment: "describe-deployment.txt" => ["describe", "deployment", "web", "scenarios/rolling-update.yaml", "--at", "4m", "--seed", "21"];
    // The new ReplicaSet mid-rollout: one pod Running, one Waiting.
    describe_replicaset: "describe-replicaset.txt" =>
        ["describe", "rs", "web-6767bd8dc6", "scenarios/rolling-update.yaml", "--at", "1m10s", "--seed", "21"];
    describe_replicationcontroller: "describe-replicationcontroller.txt" =>
        ["describe", "rc", "nginx", "sim-cli/tests/data/replication-controller.yaml", "--at", "30s", "--seed", "1"];
    describe_daemonset: "describe-daemonset.txt" =>
        ["describe", "ds", "gpu-exporter", "scenarios/daemonset-node-join.yaml", "--at", "1m30s", "--seed", "4"];
    // A named container port (`80/TCP (web)`), the partition under the update strategy.
    describe_statefulset: "describe-statefulset.txt" => ["describe", "sts", "web", "scenarios/statefulset-ordered.yaml", "--at", "1m", "--seed", "9"];
    describe_job: "describe-job.txt" => ["describe", "job", "flaky", "scenarios/job-backoff.yaml", "--at", "2m", "--seed", "5"];
    describe_cronjob: "describe-cronjob.txt" => ["describe", "cronjob", "hello", "scenarios/cronjob-forbid.yaml", "--at", "5m", "--seed", "4"];
    describe_service: "describe-service.txt" => ["describe", "svc", "web", "scenarios/service-endpoints.yaml", "--at", "1m", "--seed", "3"];
    describe_ingress: "describe-ingress.txt" => ["describe", "ingress", "shop", "scenarios/ingress-paths.yaml", "--at", "1m", "--seed", "3"];
    describe_pvc: "describe-pvc.txt" => ["describe", "pvc", "late", "scenarios/storage-wait-for-first-consumer.yaml", "--at", "1m", "--seed", "5"];
    describe_pv: "describe-pv.txt" =>
        ["describe", "pv", "pvc-3ede10b5-93a5-4086-acae-e61692c7e4b1", "scenarios/storage-wait-for-first-consumer.yaml", "--at", "1m", "--seed", "5"];
    // Every StorageClass: two blank lines between objects.
    describe_storageclasses: "describe-storageclasses.txt" => ["describe", "sc", "scenarios/storage-wait-for-first-consumer.yaml", "--at", "1m", "--seed", "5"];
    describe_resourcequota: "describe-resourcequota.txt" => ["describe", "quota", "pod-demo", "scenarios/resource-quota.yaml", "--at", "3m", "--seed", "7"];
    describe_limitrange: "describe-limitrange.txt" =>
        ["describe", "limitrange", "cpu-limit-range", "scenarios/limitrange-defaults.yaml", "--at", "1m", "--seed", "7"];
    // Scaling policies (Behavior), conditions, metric Events.
    describe_hpa: "describe-hpa.txt" => ["describe", "hpa", "web", "scenarios/hpa-behavior.yaml", "--at", "5m", "--seed", "7"];

    events: "events.txt" => ["events", "sim-cli/tests/data/crash-loop.yaml", "--at", "1m", "--seed", "1"];
    events_warning: "events-warning.txt" => ["events", "scenarios/image-pull-backoff.yaml", "--types", "Warning", "--at", "5m", "--seed", "3"];
    events_for_pod: "events-for-pod.txt" => ["events", "scenarios/job-backoff.yaml", "--for", "pod/flaky-j25s4", "--at", "2m", "--seed", "5"];

    // Two pods Terminating on the dead node, their replacements elsewhere.
    get_pods_wide: "get-pods-wide.txt" => ["get", "pods", "-o", "wide", "scenarios/node-crash.yaml", "--at", "7m30s", "--seed", "7"];
    get_pods_all_namespaces: "get-pods-all-namespaces.txt" => ["get", "pods", "-A", "scenarios/ingress-paths.yaml", "--at", "1m", "--seed", "3"];
    get_pods_show_labels: "get-pods-show-labels.txt" =>
        ["get", "pods", "--show-labels", "scenarios/statefulset-ordered.yaml", "--at", "1m", "--seed", "9"];
    get_nodes: "get-nodes.txt" => ["get", "nodes", "scenarios/node-crash.yaml", "--at", "2m", "--seed", "7"];
    get_nodes_wide: "get-nodes-wide.txt" => ["get", "nodes", "-o", "wide", "sim-cli/tests/data/golden-workloads.yaml", "--at", "1m30s", "--seed", "1"];
    get_deploy_rs_ds_wide: "get-deploy-rs-ds-wide.txt" =>
        ["get", "deploy,rs,ds", "-o", "wide", "sim-cli/tests/data/golden-workloads.yaml", "--at", "1m30s", "--seed", "1"];
    get_all: "get-all.txt" => ["get", "all", "sim-cli/tests/data/golden-workloads.yaml", "--at", "1m30s", "--seed", "1"];
}

/// Every file in sim-cli/tests/golden has its case above (a case renamed or dropped
/// leaves no stale file behind).
#[test]
fn every_golden_file_has_a_case() {
    if blessing() {
        // The cases write the files in parallel with this test; stale ones go by hand.
        return;
    }
    let mut files: Vec<String> = std::fs::read_dir(golden_dir())
        .expect("sim-cli/tests/golden")
        .map(|e| e.expect("a directory entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut cases: Vec<String> = FILES.iter().map(|f| f.to_string()).collect();
    cases.sort();
    assert_eq!(files, cases);
}
