//! `ksim describe` for ReplicaSets, ReplicationControllers, DaemonSets and Ingresses, laid
//! out as kubectl's describers print them (staging/src/k8s.io/kubectl/pkg/describe/
//! describe.go: describeReplicaSet, describeReplicationController, describeDaemonSet,
//! IngressDescriber.describeIngressV1) through a tabwriter with two spaces of padding.
//! The expected lines follow from that code and the scenarios: a column's width is set
//! by the run of consecutive lines that have a cell in it, so a line without a tab (`Pod
//! Template:`, `Rules:`) starts a new run.

mod common;

use common::{ksim, text};
use std::path::PathBuf;

/// The output of a describe that succeeds.
fn describe(args: &[&str]) -> String {
    let out = ksim(args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// The first `n` lines of `s`, each with its newline.
fn head(s: &str, n: usize) -> String {
    s.lines().take(n).map(|l| format!("{l}\n")).collect()
}

/// The lines from `from` up to (not including) the first that starts with `to`.
fn section(s: &str, from: &str, to: &str) -> String {
    s.lines().skip_while(|l| !l.starts_with(from)).take_while(|l| !l.starts_with(to)).map(|l| format!("{l}\n")).collect()
}

/// A Rules row's endpoints with the pod IPs masked (`10.244.x.y:8080` → `POD:8080`),
/// checking each is a pod address.
fn mask_pod_ips(line: &str) -> String {
    let Some((before, rest)) = line.split_once('(') else { return line.to_string() };
    let (inside, after) = rest.rsplit_once(')').expect("a closing parenthesis");
    if inside.is_empty() || inside.starts_with('<') {
        return line.to_string();
    }
    let masked: Vec<String> = inside
        .split(',')
        .map(|ep| {
            let (ip, port) = ep.rsplit_once(':').expect("IP:port");
            assert!(ip.starts_with("10.244.") && ip.split('.').count() == 4, "{line}");
            format!("POD:{port}")
        })
        .collect();
    format!("{before}({}){after}", masked.join(","))
}

fn count(s: &str, needle: &str) -> usize {
    s.lines().filter(|l| l.contains(needle)).count()
}

/// describeReplicaSet on the Deployment's ReplicaSet: Selector (FormatLabelSelector),
/// Labels and Annotations one per line in key order, `Controlled By: Deployment/web`,
/// `Replicas: CURRENT current / DESIRED desired` (status, then spec), the pods it controls
/// by phase, then the pod template. Scaled 3 → 9 at 30s and 9 → 2 at 90s; the
/// deployment controller's max-replicas annotation is replicas + maxSurge (25 %, rounded
/// up): 9 + 3 = 12, then 2 + 1 = 3.
#[test]
fn describe_replica_set_as_kubectl_does() {
    let s = describe(&["describe", "rs", "scenarios/scale-up-down.yaml", "--at", "2m"]);
    let name = s.lines().next().and_then(|l| l.strip_prefix("Name:")).map(str::trim).expect("a Name line").to_string();
    let hash = name.strip_prefix("web-").expect("web-HASH");
    assert_eq!(
        head(&s, 14),
        format!(
            "Name:           web-{hash}
Namespace:      default
Selector:       app=web,pod-template-hash={hash}
Labels:         app=web
                pod-template-hash={hash}
Annotations:    deployment.kubernetes.io/desired-replicas: 2
                deployment.kubernetes.io/max-replicas: 3
                deployment.kubernetes.io/revision: 1
Controlled By:  Deployment/web
Replicas:       2 current / 2 desired
Pods Status:    2 Running / 0 Waiting / 0 Succeeded / 0 Failed
Pod Template:
  Labels:  app=web
           pod-template-hash={hash}
"
        )
    );
    assert!(s.contains("\n   web:\n    Image:      nginx:1.25\n"), "{s}");
    assert!(!s.contains("Conditions:"), "no failure, no condition: {s}");
    // 3 pods created, then 6 more; 7 deleted going down to 2.
    assert!(s.contains("Events:\n  Type    Reason            Age   From                   Message\n"), "{s}");
    assert_eq!(count(&s, "SuccessfulCreate  "), 9, "{s}");
    assert_eq!(count(&s, "SuccessfulDelete  "), 7, "{s}");

    let at60 = describe(&["describe", "replicaset", &name, "scenarios/scale-up-down.yaml", "--at", "60s"]);
    assert!(at60.contains("\n                deployment.kubernetes.io/max-replicas: 12\n"), "{at60}");
    assert!(at60.contains("\nReplicas:       9 current / 9 desired\nPods Status:    9 Running / 0 Waiting / 0 Succeeded / 0 Failed\n"), "{at60}");
    assert_eq!(describe(&["describe", &format!("rs/{name}"), "scenarios/scale-up-down.yaml", "--at", "2m"]), s);
}

/// describeReplicationController: the selector is a label set (FormatLabels; the
/// apiserver defaults it from the template's labels), no `Controlled By`.
#[test]
fn describe_replication_controller_as_kubectl_does() {
    let s = describe(&["describe", "rc", "nginx", "sim-cli/tests/data/replication-controller.yaml", "--at", "30s"]);
    assert_eq!(
        head(&s, 11),
        "Name:         nginx
Namespace:    default
Selector:     app=nginx,tier=web
Labels:       app=nginx
              tier=web
Annotations:  <none>
Replicas:     3 current / 3 desired
Pods Status:  3 Running / 0 Waiting / 0 Succeeded / 0 Failed
Pod Template:
  Labels:  app=nginx
           tier=web
"
    );
    assert!(!s.contains("Controlled By:"), "{s}");
    assert_eq!(count(&s, "replication-controller  Created pod: nginx-"), 3, "{s}");
}

/// describeDaemonSet: Selector, then the template's node selector, Labels, Annotations
/// (the apiserver's deprecated.daemonset.template.generation), the five status counts
/// written `: N` without a tab (so they take no part in the alignment and `Pods Status:`
/// is aligned on its own), then the pod template. Two workers and a GPU node; worker-3
/// joins at 1m, worker-1 leaves at 2m; the exporter runs only on the GPU node.
#[test]
fn describe_daemon_set_as_kubectl_does() {
    let s = describe(&["describe", "ds", "scenarios/daemonset-node-join.yaml", "--at", "1m30s"]);
    let (gpu, agent) = s.split_once("\n\n\nName:").expect("two DaemonSets, a blank pair of lines between them");
    assert_eq!(
        head(gpu, 14),
        "Name:           gpu-exporter
Namespace:      default
Selector:       app=gpu-exporter
Node-Selector:  accelerator=gpu
Labels:         <none>
Annotations:    deprecated.daemonset.template.generation: 1
Desired Number of Nodes Scheduled: 1
Current Number of Nodes Scheduled: 1
Number of Nodes Scheduled with Up-to-date Pods: 1
Number of Nodes Scheduled with Available Pods: 1
Number of Nodes Misscheduled: 0
Pods Status:  1 Running / 0 Waiting / 0 Succeeded / 0 Failed
Pod Template:
  Labels:  app=gpu-exporter
"
    );
    assert!(gpu.contains("\n  Node-Selectors:  accelerator=gpu\n"), "{gpu}");
    assert_eq!(
        head(&format!("Name:{agent}"), 12),
        "Name:           node-agent
Namespace:      default
Selector:       app=node-agent
Node-Selector:  <none>
Labels:         <none>
Annotations:    deprecated.daemonset.template.generation: 1
Desired Number of Nodes Scheduled: 4
Current Number of Nodes Scheduled: 4
Number of Nodes Scheduled with Up-to-date Pods: 4
Number of Nodes Scheduled with Available Pods: 4
Number of Nodes Misscheduled: 0
Pods Status:  4 Running / 0 Waiting / 0 Succeeded / 0 Failed
"
    );
    assert_eq!(count(agent, "daemonset-controller  Created pod: node-agent-"), 4, "{agent}");
    // worker-1 gone and its pod collected: three nodes again.
    let end = describe(&["describe", "daemonset", "node-agent", "scenarios/daemonset-node-join.yaml", "--at", "4m"]);
    assert!(end.contains("\nDesired Number of Nodes Scheduled: 3\nCurrent Number of Nodes Scheduled: 3\n"), "{end}");
    assert!(end.contains("\nPods Status:  3 Running / 0 Waiting / 0 Succeeded / 0 Failed\n"), "{end}");
}

/// describeIngressV1: Labels before Namespace, the address ingress-nginx wrote (the first
/// of the load balancer's pool), the class, `<default>` without a default backend, then
/// the Rules table: the host on its own row, each path under it as `PATH <space>` and
/// `SVC:PORT (ENDPOINTS)` (the port by number or by name as the backend gives it, the
/// ready endpoints of that Service port), a rule without host as `*`; the Annotations
/// after the rules. api scaled to 0 at 2m: its Service has no ready endpoint left.
#[test]
fn describe_ingress_as_kubectl_does() {
    let s = describe(&["describe", "ingress", "shop", "scenarios/ingress-paths.yaml", "--at", "1m"]);
    assert_eq!(
        head(&s, 6),
        "Name:             shop
Labels:           <none>
Namespace:        default
Address:          192.168.1.240
Ingress Class:    nginx
Default backend:  <default>
"
    );
    let rules: String = section(&s, "Rules:", "Events:").lines().map(|l| format!("{}\n", mask_pod_ips(l))).collect();
    assert_eq!(
        rules,
        "Rules:
  Host              Path  Backends
  ----              ----  --------
  shop.example.com  \n                    /cart   cart:80 (POD:8080,POD:8080)
                    /api    api:http (POD:8080,POD:8080)
  *.example.com     \n                    /   www:80 (POD:80)
Annotations:        <none>
"
    );
    assert!(s.ends_with("Events:             <none>\n"), "{s}");
    let later = describe(&["describe", "ing/shop", "scenarios/ingress-paths.yaml", "--at", "3m"]);
    assert!(later.contains("\n                    /api    api:http ()\n"), "{later}");
}

/// The rest of describeIngressV1: a default backend whose Service is missing
/// (`SVC:PORT (<error: …>)`), the TLS section (describeIngressTLSV1: `SECRET terminates
/// HOSTS`, `SNI routes HOSTS` without a secret), no class, no address, and a rule
/// without http skipped, which leaves the one `*  *  DEFAULT` row.
#[test]
fn describe_ingress_tls_and_default_backend() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("describe_kinds");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("edge-ingress.yaml");
    std::fs::write(
        &file,
        "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: edge
  labels: {tier: edge, app: shop}
  annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}
spec:
  defaultBackend: {service: {name: fallback, port: {number: 80}}}
  tls:
  - {hosts: [shop.example.com, www.example.com], secretName: shop-tls}
  - {hosts: [passthrough.example.com]}
  rules:
  - host: nohttp.example.com
",
    )
    .unwrap();
    let s = describe(&["describe", "ingress", "edge", file.to_str().unwrap()]);
    assert_eq!(
        s,
        "Name:             edge
Labels:           app=shop
                  tier=edge
Namespace:        default
Address:          \nIngress Class:    <none>
Default backend:  fallback:80 (<error: services \"fallback\" not found>)
TLS:
  shop-tls terminates shop.example.com,www.example.com
  SNI routes passthrough.example.com
Rules:
  Host        Path  Backends
  ----        ----  --------
  *           *     fallback:80 (<error: services \"fallback\" not found>)
Annotations:  nginx.ingress.kubernetes.io/rewrite-target: /
Events:       <none>
"
    );
}
