//! LimitRange and ResourceQuota end to end, as the documentation's tasks walk them
//! ("Configure a Pod Quota for a Namespace", "Configure Minimum and Maximum CPU
//! Constraints for a Namespace", "Configure Default Memory Requests and Limits for a
//! Namespace"): the LimitRanger and ResourceQuota admission plugins
//! (plugin/pkg/admission/limitranger, apiserver/pkg/admission/plugin/resourcequota) and
//! the resource-quota controller (pkg/controller/resourcequota). Expected texts are the
//! current upstream format strings (no trailing period; the docs' pages were captured on
//! older releases that printed one).

mod common;

use sim_core::api::Kind;
use sim_core::engine::SimTime;
use sim_core::{RunOptions, Simulation};

fn sim(text: &str) -> Simulation {
    let s = common::load_str(text);
    Simulation::new(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap()
}

fn indent(doc: &str) -> String {
    doc.lines().map(|l| format!("      {l}")).collect::<Vec<_>>().join("\n")
}

/// quota-pod.yaml (pods: "2") applied first, then quota-pod-deployment.yaml (3
/// replicas): the page shows 2 pods, the third refused — the ReplicaSet's FailedCreate
/// `Error creating: pods "pod-quota-demo-…-xxxxx" is forbidden: exceeded quota:
/// pod-demo, requested: pods=1, used: pods=2, limited: pods=2` (the generated name:
/// validating admission runs after the registry names the pod,
/// rest.AdmissionToValidateObjectFunc) — and `kubectl get resourcequota` with pods 2/2.
/// Scaling down to 1 gives the quota back once the controller recounts.
#[test]
fn a_pod_quota_stops_the_third_replica() {
    let quota = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: pod-demo, namespace: quota-pod-example}\nspec:\n  hard: {pods: \"2\"}";
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: pod-quota-demo, namespace: quota-pod-example}\nspec:\n  selector: {matchLabels: {purpose: quota-demo}}\n  replicas: 3\n  template:\n    metadata: {labels: {purpose: quota-demo}}\n    spec:\n      containers: [{name: pod-quota-demo, image: nginx}]";
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 10m\n  timeline:\n  - at: 10s\n    apply:\n{}\n  - at: 2m\n    scale: {{target: deployment/quota-pod-example/pod-quota-demo, replicas: 1}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: quota-pod-example}}\n---\n{quota}\n",
        indent(deploy)
    );
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(90));
    let pods = s.list(&Kind::Pod).iter().filter(|o| o.meta().namespace == "quota-pod-example").count();
    assert_eq!(pods, 2);
    let q = s.list(&Kind::ResourceQuota).iter().find_map(|o| o.as_resource_quota().cloned()).unwrap();
    assert_eq!((q.status.used["pods"].to_string(), q.status.hard["pods"].to_string()), ("2".into(), "2".into()));
    let rs = s.list(&Kind::ReplicaSet).iter().find_map(|o| o.as_replica_set().cloned()).unwrap();
    let (prefix, suffix) = (
        format!("Error creating: pods \"{}-", rs.metadata.name),
        "\" is forbidden: exceeded quota: pod-demo, requested: pods=1, used: pods=2, limited: pods=2",
    );
    let evs = common::events(&s, "ReplicaSet");
    // generateName's 5 random characters between them.
    assert!(
        evs.iter().any(|(r, m)| r == "FailedCreate" && m.starts_with(&prefix) && m.ends_with(suffix) && m.len() == prefix.len() + 5 + suffix.len()),
        "{evs:?}"
    );
    // Scaled to 1: one pod deleted, the controller recounts (replenishment on delete).
    s.run_until(SimTime::from_secs(300));
    let q = s.list(&Kind::ResourceQuota).iter().find_map(|o| o.as_resource_quota().cloned()).unwrap();
    assert_eq!(q.status.used["pods"].to_string(), "1");
}

/// cpu-constraints.yaml (max 800m, min 200m per Container): the LimitRange is stored
/// with default and defaultRequest 800m (SetDefaults_LimitRangeItem); constraints-cpu-
/// demo (limit 800m, request 500m) runs; -2 (limit 1.5) and -3 (request 100m) are refused
/// with the plugin's words; -4 (no resources) gets the defaults and the annotation.
#[test]
fn cpu_constraints_refuse_and_default() {
    let lr = "apiVersion: v1\nkind: LimitRange\nmetadata: {name: cpu-min-max-demo-lr, namespace: constraints-cpu-example}\nspec:\n  limits:\n  - max: {cpu: \"800m\"}\n    min: {cpu: \"200m\"}\n    type: Container";
    let pod = |name: &str, res: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: constraints-cpu-example}}\nspec:\n  containers: [{{name: {name}-ctr, image: nginx, resources: {res}}}]")
    };
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 1m\n  timeline:\n  - at: 5s\n    apply:\n{}\n  - at: 5s\n    apply:\n{}\n  - at: 5s\n    apply:\n{}\n  - at: 5s\n    apply:\n{}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: constraints-cpu-example}}\n---\n{lr}\n",
        indent(&pod("constraints-cpu-demo", "{limits: {cpu: 800m}, requests: {cpu: 500m}}")),
        indent(&pod("constraints-cpu-demo-2", "{limits: {cpu: \"1.5\"}, requests: {cpu: 500m}}")),
        indent(&pod("constraints-cpu-demo-3", "{limits: {cpu: 800m}, requests: {cpu: 100m}}")),
        indent(&pod("constraints-cpu-demo-4", "{}")),
    );
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(60));
    let stored = s.list(&Kind::LimitRange).iter().find_map(|o| o.as_limit_range().cloned()).unwrap();
    assert_eq!(stored.spec.limits[0].default["cpu"].to_string(), "800m");
    assert_eq!(stored.spec.limits[0].default_request["cpu"].to_string(), "800m");
    let errs: Vec<&String> = s.timeline_errors.iter().map(|(_, e)| e).collect();
    assert!(
        errs.iter().any(|e| e.contains("pods \"constraints-cpu-demo-2\" is forbidden: maximum cpu usage per Container is 800m, but limit is 1500m")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.contains("pods \"constraints-cpu-demo-3\" is forbidden: minimum cpu usage per Container is 200m, but request is 100m")),
        "{errs:?}"
    );
    let names: Vec<String> = s.list(&Kind::Pod).iter().map(|o| o.meta().name.to_string()).collect();
    assert_eq!(names, ["constraints-cpu-demo", "constraints-cpu-demo-4"]);
    let p4 = s.list(&Kind::Pod).iter().find_map(|o| o.as_pod().filter(|p| p.metadata.name == "constraints-cpu-demo-4").cloned()).unwrap();
    let c = &p4.spec.containers[0];
    assert_eq!((c.resources.requests["cpu"].to_string(), c.resources.limits["cpu"].to_string()), ("800m".into(), "800m".into()));
    assert_eq!(
        p4.metadata.annotations["kubernetes.io/limit-ranger"],
        "LimitRanger plugin set: cpu request for container constraints-cpu-demo-4-ctr; cpu limit for container constraints-cpu-demo-4-ctr"
    );
    // QoS after the defaults (PrepareForCreate follows mutating admission): Burstable
    // (cpu only; it would be BestEffort as written).
    assert_eq!(p4.status.qos_class, "Burstable");
}

/// A LimitRange whose default exceeds its max is refused by ValidateLimitRange, after
/// SetDefaults_LimitRangeItem made its default request the default: two errors, at
/// load, with their place in the file.
#[test]
fn an_inconsistent_limit_range_is_invalid() {
    let text = "apiVersion: v1\nkind: LimitRange\nmetadata: {name: bad}\nspec:\n  limits:\n  - {type: Container, default: {cpu: \"2\"}, max: {cpu: \"1\"}}\n";
    let Err(e) = sim_core::load(&[sim_core::Source { name: "lr.yaml".into(), text: text.into() }], &common::resolver) else { panic!("refused") };
    let r = e.render();
    assert!(r.contains("LimitRange \"bad\" is invalid: spec.limits[0].default[cpu]: Invalid value: \"1\": default value 2 is greater than max value 1"), "{r}");
    assert!(r.contains("spec.limits[0].defaultRequest[cpu]: Invalid value: \"2\": default request value 2 is greater than max value 1"), "{r}");
}

/// ValidateResourceQuotaSpec: counted resources are whole numbers; scopes are known and
/// not contradictory.
#[test]
fn an_invalid_quota_is_refused_at_load() {
    let text = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\nspec:\n  hard: {pods: \"1.5\", count/deployments.apps: \"2\"}\n  scopes: [BestEffort, NotBestEffort, Sometimes]\n";
    let Err(e) = sim_core::load(&[sim_core::Source { name: "q.yaml".into(), text: text.into() }], &common::resolver) else { panic!("refused") };
    let r = e.render();
    assert!(r.contains("spec.hard[pods]: Invalid value: \"1500m\": must be an integer"), "{r}");
    assert!(r.contains("spec.scopes: Invalid value: []core.ResourceQuotaScope{\"BestEffort\", \"NotBestEffort\", \"Sometimes\"}: unsupported scope"), "{r}");
    assert!(r.contains("conflicting scopes"), "{r}");
    assert_eq!(r.matches("error:").count(), 3, "{r}");
}

/// The resource-quota controller caches every counted kind, and the garbage collector
/// now watches them too (upstream's monitors every deletable resource): a ConfigMap whose
/// owner does not exist is deleted, as attemptToDeleteItem deletes a dependent whose
/// owners are all absent.
#[test]
fn a_configmap_whose_owner_is_gone_is_collected() {
    let mut s = sim("apiVersion: ksim.dev/v1\nkind: Scenario\nspec: {until: 1m}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: orphan\n  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: gone, uid: 0a4c5b8e-0000-4000-8000-000000000001}]\ndata: {a: b}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept}\ndata: {a: b}\n");
    s.run_until(SimTime::from_secs(30));
    let names: Vec<String> = s.list(&Kind::ConfigMap).iter().map(|o| o.meta().name.to_string()).filter(|n| n == "orphan" || n == "kept").collect();
    assert_eq!(names, ["kept"]);
}
