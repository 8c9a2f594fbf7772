//! ResourceQuota: the quota evaluators (pkg/quota/v1/evaluator/core: pods.go,
//! services.go, persistent_volume_claims.go, registry.go; quota/v1/generic's object
//! counts) and the admission check (staging/src/k8s.io/apiserver/pkg/admission/plugin/
//! resourcequota/controller.go, checkRequest), shared with the resource-quota controller
//! (controller_manager/resource_quota.rs), which computes `status.used` with the same
//! usage functions.
//!
//! Admission, on create only (every evaluator ksim has charges creates; a Service's type
//! change on update is not re-charged — noted in ARCHITECTURE.md):
//! - the namespace's quotas by name; a quota matches when its scopes select the object
//!   and its `status.hard` names a resource the evaluator tracks — a quota the controller
//!   has not synced yet (no status) matches nothing, so the object passes uncharged;
//! - a pod must specify each of cpu, memory, requests.*, limits.* the quota tracks, in
//!   every container (`failed quota: NAME: must specify limits.cpu for: a,b; …`);
//! - `status unknown for quota: NAME, resources: …` when `status.used` lacks one;
//! - the object's usage added to `status.used` must stay within `status.hard`, else
//!   `exceeded quota: NAME, requested: pods=1, used: pods=2, limited: pods=2` (only the
//!   exceeded resources, sorted, joined by `,`);
//! - then each quota it counts against has its `status.used` raised at once (a status
//!   update written before the object); only the controller lowers it again.

use crate::api::object::Kind;
use crate::api::pod::{Pod, ResourceList};
use crate::api::quantity::Quantity;
use crate::api::resource_quota::ResourceQuota;
use crate::api::Object;
use crate::engine::SimTime;

/// The pod evaluator's resources (podResources).
const POD_RESOURCES: &[&str] = &[
    "count/pods",
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
];

/// The Service evaluator's resources (besides its object count).
const SERVICE_RESOURCES: &[&str] = &["services", "services.nodeports", "services.loadbalancers"];

/// The claim evaluator's resources, and its per-class ones (`<class><suffix>`).
const CLAIM_RESOURCES: &[&str] = &["persistentvolumeclaims", "requests.storage"];
const CLAIM_CLASS_SUFFIXES: &[&str] = &[".storageclass.storage.k8s.io/requests.storage", ".storageclass.storage.k8s.io/persistentvolumeclaims"];

/// legacyObjectCountAliases.
const LEGACY_COUNTS: &[(Kind, &str)] = &[
    (Kind::ConfigMap, "configmaps"),
    (Kind::Secret, "secrets"),
    (Kind::ReplicationController, "replicationcontrollers"),
    (Kind::ResourceQuota, "resourcequotas"),
];

fn claim_resource(resource: &str) -> bool {
    CLAIM_RESOURCES.contains(&resource) || CLAIM_CLASS_SUFFIXES.iter().any(|s| resource.ends_with(s))
}

/// The resources a pod must specify in each container when a quota tracks them
/// (validationSet).
const VALIDATION_SET: &[&str] = &["cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"];

/// The kinds quota counts: namespaced ones, but Events (upstream ignores them) and Leases
/// (ksim's choice: node heartbeats renew them every 10 s, the hottest write stream, and
/// counting them would make the controller manager's cache follow every renewal).
pub fn counted(kind: &Kind) -> bool {
    kind.namespaced() && !matches!(kind, Kind::Event | Kind::Lease | Kind::Other(..))
}

/// ObjectCountQuotaResourceNameFor: `count/<resource>[.<group>]`.
fn count_name(kind: &Kind) -> String {
    match kind.group() {
        "" => format!("count/{}", kind.resource()),
        g => format!("count/{}.{g}", kind.resource()),
    }
}

/// The resources `kind`'s evaluator tracks, for matching a quota's hard list.
fn tracks(kind: &Kind, resource: &str) -> bool {
    if resource == count_name(kind) {
        return true;
    }
    match kind {
        Kind::Pod => POD_RESOURCES.contains(&resource),
        Kind::Service => SERVICE_RESOURCES.contains(&resource),
        Kind::PersistentVolumeClaim => claim_resource(resource),
        _ => LEGACY_COUNTS.iter().any(|(k, r)| k == kind && *r == resource),
    }
}

/// QuotaV1Pod: terminal pods, and pods past their deletion grace, use nothing but their
/// object count.
fn counts_compute(p: &Pod, now: SimTime) -> bool {
    if p.status.phase == "Succeeded" || p.status.phase == "Failed" {
        return false;
    }
    match (&p.metadata.rare.deletion_timestamp, p.metadata.rare.deletion_grace_period_seconds) {
        (Some(t), Some(g)) => now <= t.0 + crate::engine::SimDuration::from_secs(g.max(0) as u64),
        _ => true,
    }
}

/// podComputeUsageHelper over a requests/limits pair.
fn compute_usage(requests: &ResourceList, limits: &ResourceList, out: &mut ResourceList) {
    for r in ["cpu", "memory", "ephemeral-storage"] {
        if let Some(q) = requests.get(r) {
            out.insert(r.to_string(), q.clone());
            out.insert(format!("requests.{r}"), q.clone());
        }
        if let Some(q) = limits.get(r) {
            out.insert(format!("limits.{r}"), q.clone());
        }
    }
}

/// resourcehelper.PodRequests / PodLimits: the containers summed, restartable init
/// containers added, the largest init container if bigger; the overhead added to the
/// requests, and to the limits that are set.
fn pod_resources(p: &Pod) -> (ResourceList, ResourceList) {
    let mut requests = super::limit_ranger::pod_totals(p, false);
    let mut limits = super::limit_ranger::pod_totals(p, true);
    if let Some(o) = &p.spec.overhead {
        for (k, v) in o {
            let sum = requests.get(k).map_or_else(|| v.clone(), |cur| cur.plus(v));
            requests.insert(k.clone(), sum);
            if let Some(cur) = limits.get(k) {
                let sum = cur.plus(v);
                limits.insert(k.clone(), sum);
            }
        }
    }
    (requests, limits)
}

/// The evaluator's Usage of an object.
pub fn usage(obj: &Object, now: SimTime) -> ResourceList {
    let one = Quantity::from_value(1);
    let kind = obj.kind();
    let mut out = ResourceList::new();
    out.insert(count_name(&kind), one.clone());
    match obj {
        Object::Pod(p) if counts_compute(p, now) => {
            out.insert("pods".into(), one);
            let (requests, limits) = pod_resources(p);
            compute_usage(&requests, &limits, &mut out);
        }
        Object::Service(s) => {
            out.insert("services".into(), one);
            let lb = s.spec.type_ == "LoadBalancer";
            out.insert("services.loadbalancers".into(), Quantity::from_value(i64::from(lb)));
            // GetQuotaServiceType / the node ports a NodePort or LoadBalancer Service holds.
            let ports = match s.spec.type_.as_str() {
                "NodePort" => s.spec.ports.len(),
                "LoadBalancer" if s.spec.allocate_load_balancer_node_ports == Some(false) => s.spec.ports.iter().filter(|p| p.node_port.is_some()).count(),
                "LoadBalancer" => s.spec.ports.len(),
                _ => 0,
            };
            out.insert("services.nodeports".into(), Quantity::from_value(ports as i64));
        }
        Object::PersistentVolumeClaim(c) => {
            out.insert("persistentvolumeclaims".into(), one.clone());
            let storage = c.spec.resources.requests.get("storage");
            if let Some(q) = storage {
                out.insert("requests.storage".into(), q.clone());
            }
            if let Some(class) = c.spec.storage_class_name.as_deref().filter(|s| !s.is_empty()) {
                out.insert(format!("{class}.storageclass.storage.k8s.io/persistentvolumeclaims"), one);
                if let Some(q) = storage {
                    out.insert(format!("{class}.storageclass.storage.k8s.io/requests.storage"), q.clone());
                }
            }
        }
        Object::ConfigMap(_) => {
            out.insert("configmaps".into(), one);
        }
        Object::Secret(_) => {
            out.insert("secrets".into(), one);
        }
        Object::ReplicationController(_) => {
            out.insert("replicationcontrollers".into(), one);
        }
        Object::ResourceQuota(_) => {
            out.insert("resourcequotas".into(), one);
        }
        _ => {}
    }
    out
}

/// qos.GetPodQOS(pod) == BestEffort (zero requests and limits count as none).
fn best_effort(p: &Pod) -> bool {
    crate::apiserver::defaults::qos_class(&p.spec) == "BestEffort"
}

/// podMatchesScopeFunc for each scope (spec.scopes as Exists, then scopeSelector's
/// expressions); all must match. Only pods have scopes.
fn matches_scopes(q: &ResourceQuota, obj: &Object) -> bool {
    let mut reqs: Vec<(String, String, Vec<String>)> = q.spec.scopes.iter().map(|s| (s.clone(), "Exists".to_string(), Vec::new())).collect();
    if let Some(sel) = &q.spec.scope_selector {
        reqs.extend(sel.match_expressions.iter().map(|e| (e.scope_name.clone(), e.operator.clone(), e.values.clone())));
    }
    if reqs.is_empty() {
        return true;
    }
    let Object::Pod(p) = obj else { return false };
    reqs.iter().all(|(scope, op, values)| {
        let terminating = p.spec.active_deadline_seconds.is_some_and(|s| s >= 0);
        match scope.as_str() {
            "Terminating" => terminating,
            "NotTerminating" => !terminating,
            "BestEffort" => best_effort(p),
            "NotBestEffort" => !best_effort(p),
            "PriorityClass" => {
                let class = &p.spec.priority_class_name;
                match op.as_str() {
                    "Exists" => !class.is_empty(),
                    "DoesNotExist" => class.is_empty(),
                    "In" => !class.is_empty() && values.contains(class),
                    "NotIn" => class.is_empty() || !values.contains(class),
                    _ => false,
                }
            }
            "CrossNamespacePodAffinity" => cross_namespace_affinity(p),
            _ => false,
        }
    })
}

/// usesCrossNamespacePodAffinity: a pod (anti-)affinity term naming namespaces or a
/// namespace selector.
fn cross_namespace_affinity(p: &Pod) -> bool {
    let Some(a) = &p.spec.affinity else { return false };
    [&a.pod_affinity, &a.pod_anti_affinity].into_iter().flatten().any(|pa| {
        pa.required.iter().chain(pa.preferred.iter().map(|w| &w.pod_affinity_term)).any(|t| !t.namespaces.is_empty() || t.namespace_selector.is_some())
    })
}

/// Whether quota `q` counts `obj` (Matches): its scopes select it and its status.hard
/// names something the evaluator tracks (none before the controller's first sync).
pub fn matches(q: &ResourceQuota, obj: &Object) -> bool {
    let kind = obj.kind();
    counted(&kind) && q.status.hard.keys().any(|r| tracks(&kind, r)) && matches_scopes(q, obj)
}

/// prettyPrint: `a=1,b=2`, sorted by name.
fn pretty(list: &ResourceList) -> String {
    list.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// Constraints of the pod evaluator: `must specify R for: c1,c2; …`.
fn pod_constraints(p: &Pod, required: &[&str]) -> Option<String> {
    let required: Vec<&str> = required.iter().copied().filter(|r| VALIDATION_SET.contains(r)).collect();
    let mut missing: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> = Default::default();
    for c in p.spec.containers.iter().chain(p.spec.init_containers.iter()) {
        let mut own = ResourceList::new();
        compute_usage(&c.resources.requests, &c.resources.limits, &mut own);
        for r in &required {
            if !own.contains_key(*r) {
                missing.entry(r).or_default().insert(&c.name);
            }
        }
    }
    if missing.is_empty() {
        return None;
    }
    let parts: Vec<String> = missing.iter().map(|(r, cs)| format!("{r} for: {}", cs.iter().copied().collect::<Vec<_>>().join(","))).collect();
    Some(format!("must specify {}", parts.join("; ")))
}

/// checkRequest for a create: the quotas to write with their new usage, or the reason
/// the object is refused (the text after `<resource> "<name>" is forbidden: `).
pub fn admit(obj: &Object, quotas: &[&ResourceQuota], now: SimTime) -> Result<Vec<ResourceQuota>, String> {
    let kind = obj.kind();
    if !counted(&kind) {
        return Ok(Vec::new());
    }
    let mut interesting = Vec::new();
    for q in quotas {
        if !matches(q, obj) {
            continue;
        }
        let restricted: Vec<&str> = q.status.hard.keys().map(String::as_str).filter(|r| tracks(&kind, r)).collect();
        if let Object::Pod(p) = obj {
            if let Some(e) = pod_constraints(p, &restricted) {
                return Err(format!("failed quota: {}: {e}", q.metadata.name));
            }
        }
        if restricted.iter().any(|r| !q.status.used.contains_key(*r)) {
            return Err(format!("status unknown for quota: {}, resources: {}", q.metadata.name, restricted.join(",")));
        }
        interesting.push(*q);
    }
    let mut delta = usage(obj, now);
    delta.retain(|_, v| !v.is_zero());
    if delta.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for q in interesting {
        let requested: ResourceList = delta.iter().filter(|(k, _)| q.status.hard.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        if requested.is_empty() {
            continue;
        }
        let mut used = q.status.used.clone();
        for (k, v) in &requested {
            let sum = used.get(k).map_or_else(|| v.clone(), |cur| cur.plus(v));
            used.insert(k.clone(), sum);
        }
        let exceeded: Vec<&String> = requested.keys().filter(|k| q.status.hard.get(*k).is_some_and(|h| &used[*k] > h)).collect();
        if !exceeded.is_empty() {
            let pick = |l: &ResourceList| -> ResourceList { l.iter().filter(|(k, _)| exceeded.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect() };
            return Err(format!(
                "exceeded quota: {}, requested: {}, used: {}, limited: {}",
                q.metadata.name,
                pretty(&pick(&requested)),
                pretty(&pick(&q.status.used)),
                pretty(&pick(&q.status.hard))
            ));
        }
        let mut n = q.clone();
        n.status.used = used;
        out.push(n);
    }
    Ok(out)
}

/// Whether `kind`'s evaluator tracks any resource of `hard` (MatchingResources).
pub fn tracks_any(kind: &Kind, hard: &ResourceList) -> bool {
    counted(kind) && hard.keys().any(|r| tracks(kind, r))
}

/// CalculateUsage for a quota over the namespace's objects: every hard resource some
/// evaluator tracks, from zero.
pub fn calculate_usage<'a>(q: &ResourceQuota, objects: impl Iterator<Item = &'a Object>, now: SimTime) -> ResourceList {
    let hard = &q.spec.hard;
    // CalculateUsageStats starts each at `resource.Quantity{Format: DecimalSI}`.
    let mut used: ResourceList = hard.keys().filter(|k| known(k)).map(|k| (k.clone(), Quantity::from_value(0))).collect();
    for obj in objects {
        let kind = obj.kind();
        if !counted(&kind) || !matches_scopes(q, obj) {
            continue;
        }
        for (k, v) in usage(obj, now) {
            if hard.contains_key(&k) {
                let sum = match used.get(&k) {
                    Some(cur) => cur.plus(&v),
                    None => v,
                };
                used.insert(k, sum);
            }
        }
    }
    used
}

/// Whether some evaluator tracks `resource` (the controller starts those at zero).
pub fn known(resource: &str) -> bool {
    resource.starts_with("count/")
        || POD_RESOURCES.contains(&resource)
        || SERVICE_RESOURCES.contains(&resource)
        || claim_resource(resource)
        || LEGACY_COUNTS.iter().any(|(_, r)| *r == resource)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::Container;
    use std::rc::Rc;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    fn quota(name: &str, hard: &[(&str, &str)], used: &[(&str, &str)]) -> ResourceQuota {
        let mut rq = ResourceQuota::default();
        rq.metadata.name = name.into();
        rq.metadata.namespace = "quota-demo".into();
        rq.spec.hard = hard.iter().map(|(k, v)| (k.to_string(), q(v))).collect();
        rq.status.hard = rq.spec.hard.clone();
        rq.status.used = used.iter().map(|(k, v)| (k.to_string(), q(v))).collect();
        rq
    }

    /// (name, requests, limits) of each container.
    type Spec<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [(&'a str, &'a str)]);

    fn pod(containers: &[Spec]) -> Object {
        let mut p = Pod::default();
        p.metadata.name = "quota-mem-cpu-demo".into();
        p.metadata.namespace = "quota-demo".into();
        let cs = containers
            .iter()
            .map(|(name, req, lim)| {
                let mut c = Container { name: name.to_string(), image: "nginx".into(), ..Default::default() };
                c.resources.requests = req.iter().map(|(k, v)| (k.to_string(), q(v))).collect();
                c.resources.limits = lim.iter().map(|(k, v)| (k.to_string(), q(v))).collect();
                c
            })
            .collect();
        Rc::make_mut(&mut p.spec).containers = Rc::new(cs);
        Object::Pod(Box::new(p))
    }

    // "Configure Memory and CPU Quotas for a Namespace" (quota-mem-cpu.yaml: requests.cpu
    // 1, requests.memory 1Gi, limits.cpu 2, limits.memory 2Gi): the first pod (800m/800Mi
    // limits, 400m/600Mi requests) is admitted and charged; the second (requests 700Mi)
    // is refused, as the page shows: "exceeded quota: mem-cpu-demo, requested:
    // requests.memory=700Mi, used: requests.memory=600Mi, limited: requests.memory=1Gi".
    #[test]
    fn mem_cpu_quota_from_the_docs() {
        let hard = [("requests.cpu", "1"), ("requests.memory", "1Gi"), ("limits.cpu", "2"), ("limits.memory", "2Gi")];
        let zero = [("requests.cpu", "0"), ("requests.memory", "0"), ("limits.cpu", "0"), ("limits.memory", "0")];
        let rq = quota("mem-cpu-demo", &hard, &zero);
        let first = pod(&[("quota-mem-cpu-demo-ctr", &[("memory", "600Mi"), ("cpu", "400m")], &[("memory", "800Mi"), ("cpu", "800m")])]);
        let written = admit(&first, &[&rq], SimTime::ZERO).unwrap();
        let used: Vec<String> = written[0].status.used.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(used, ["limits.cpu=800m", "limits.memory=800Mi", "requests.cpu=400m", "requests.memory=600Mi"]);
        let second = pod(&[("quota-mem-cpu-demo-2-ctr", &[("memory", "700Mi"), ("cpu", "400m")], &[("memory", "1Gi"), ("cpu", "800m")])]);
        assert_eq!(
            admit(&second, &[&written[0]], SimTime::ZERO).unwrap_err(),
            "exceeded quota: mem-cpu-demo, requested: requests.memory=700Mi, used: requests.memory=600Mi, limited: requests.memory=1Gi"
        );
        // A container without the tracked resources.
        let bare = pod(&[("ctr", &[], &[])]);
        assert_eq!(
            admit(&bare, &[&rq], SimTime::ZERO).unwrap_err(),
            "failed quota: mem-cpu-demo: must specify limits.cpu for: ctr; limits.memory for: ctr; requests.cpu for: ctr; requests.memory for: ctr"
        );
        // A quota the controller has not synced (no status) matches nothing.
        let mut fresh = rq.clone();
        fresh.status = Default::default();
        assert!(admit(&bare, &[&fresh], SimTime::ZERO).unwrap().is_empty());
    }

    // "Configure a Pod Quota for a Namespace" (quota-pod.yaml: pods 2): the third pod of
    // the Deployment is refused ("exceeded quota: pod-demo, requested: pods=1, used:
    // pods=2, limited: pods=2"); a terminal pod uses only count/pods.
    #[test]
    fn pod_count_quota_from_the_docs() {
        let rq = quota("pod-demo", &[("pods", "2")], &[("pods", "2")]);
        let p = pod(&[("pod-quota-demo", &[], &[])]);
        assert_eq!(admit(&p, &[&rq], SimTime::ZERO).unwrap_err(), "exceeded quota: pod-demo, requested: pods=1, used: pods=2, limited: pods=2");
        let Object::Pod(mut done) = p else { unreachable!() };
        done.status.phase = "Succeeded".into();
        let u = usage(&Object::Pod(done), SimTime::ZERO);
        assert_eq!(u.keys().collect::<Vec<_>>(), ["count/pods"]);
        let counted = quota("pod-demo", &[("pods", "2")], &[]);
        let mut counted_spec = counted.clone();
        counted_spec.status = Default::default();
        let objs = [pod(&[("a", &[], &[])]), pod(&[("b", &[], &[])])];
        let used = calculate_usage(&counted_spec, objs.iter(), SimTime::ZERO);
        assert_eq!(used["pods"].to_string(), "2");
    }
}
