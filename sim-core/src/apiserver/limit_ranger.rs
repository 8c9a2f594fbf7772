//! The LimitRanger admission plugin (plugin/pkg/admission/limitranger/admission.go), for
//! pods on create:
//! - Admit (mutating), `PodMutateLimitFunc`: the `default` and `defaultRequest` of the
//!   namespace's Container items fill what each container (and init container) leaves
//!   unset (`defaultContainerResourceRequirements`, `mergeContainerResources`), noted in
//!   the `kubernetes.io/limit-ranger` annotation (`LimitRanger plugin set: cpu request
//!   for container web; cpu, memory limit for container web`). The pod's own defaulting
//!   ran before: a container with a limit and no request already requests its limit.
//! - Validate, `PodValidateLimitFunc`: every Container item's min, max and
//!   maxLimitRequestRatio on each container and init container, every Pod item's on the
//!   pod's totals (`podRequests`/`podLimits`: the containers summed, restartable init
//!   containers added, the largest init container if bigger), with `minConstraint`,
//!   `maxConstraint` and `limitRequestRatioConstraint`'s messages, aggregated
//!   (`utilerrors.NewAggregate`: one message, or `[a, b]`) under
//!   `pods "NAME" is forbidden: `.
//!
//! - Validate, `PersistentVolumeClaimValidateLimitFunc`: a claim's storage request
//!   against the PersistentVolumeClaim items' min and max (never defaulted).
//!
//! The first LimitRange that fails ends the check (errors of two are never combined).
//! Pod updates are not looked at (SupportsAttributes: containers cannot change; ksim
//! models no resize). Upstream walks LimitRanges in lister order and each item's
//! resources in Go map order (both random); ksim by name.

use crate::api::limit_range::LimitRange;
use crate::api::pod::{Container, Pod, ResourceList};
use crate::api::quantity::Quantity;
use crate::api::storage::PersistentVolumeClaim;
use std::rc::Rc;

/// limitRangerAnnotation.
pub const ANNOTATION: &str = "kubernetes.io/limit-ranger";

/// resource.MaxMilliValue: the largest value whose milli-units fit an int64.
const MAX_MILLI_VALUE: i64 = i64::MAX / 1000;

/// defaultContainerResourceRequirements: the Container items' defaultRequest and default
/// (a later item's value for a resource replaces an earlier one's).
fn default_requirements(lr: &LimitRange) -> (ResourceList, ResourceList) {
    let (mut requests, mut limits) = (ResourceList::new(), ResourceList::new());
    for item in lr.spec.limits.iter().filter(|i| i.type_ == "Container") {
        requests.extend(item.default_request.iter().map(|(k, v)| (k.clone(), v.clone())));
        limits.extend(item.default.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    (requests, limits)
}

/// mergeContainerResources: fills the unset limits, then requests; returns the
/// annotation's parts.
fn merge_container(c: &mut Container, requests: &ResourceList, limits: &ResourceList, prefix: &str, notes: &mut Vec<String>) {
    let mut set_limits = Vec::new();
    for (k, v) in limits {
        if !c.resources.limits.contains_key(k) {
            c.resources.limits.insert(k.clone(), v.clone());
            set_limits.push(k.clone());
        }
    }
    let mut set_requests = Vec::new();
    for (k, v) in requests {
        if !c.resources.requests.contains_key(k) {
            c.resources.requests.insert(k.clone(), v.clone());
            set_requests.push(k.clone());
        }
    }
    if !set_requests.is_empty() {
        notes.push(format!("{} request for {prefix} {}", set_requests.join(", "), c.name));
    }
    if !set_limits.is_empty() {
        notes.push(format!("{} limit for {prefix} {}", set_limits.join(", "), c.name));
    }
}

/// Admit: each LimitRange of the namespace in turn (upstream's lister order: by name).
/// Whether anything was set.
pub fn admit(pod: &mut Pod, ranges: &[&LimitRange]) -> bool {
    let mut changed = false;
    for lr in ranges {
        let (requests, limits) = default_requirements(lr);
        if requests.is_empty() && limits.is_empty() {
            continue;
        }
        // mergePodResourceRequirements: only a pod something is set on changes (its spec
        // may be shared with its siblings').
        let needs =
            |c: &Container| limits.keys().any(|k| !c.resources.limits.contains_key(k)) || requests.keys().any(|k| !c.resources.requests.contains_key(k));
        if !pod.spec.containers.iter().any(needs) && !pod.spec.init_containers.iter().any(needs) {
            continue;
        }
        let mut notes = Vec::new();
        let spec = Rc::make_mut(&mut pod.spec);
        for c in Rc::make_mut(&mut spec.containers).iter_mut() {
            merge_container(c, &requests, &limits, "container", &mut notes);
        }
        for c in spec.init_containers.iter_mut() {
            merge_container(c, &requests, &limits, "init container", &mut notes);
        }
        if !notes.is_empty() {
            pod.metadata.annotations.insert(ANNOTATION.into(), format!("LimitRanger plugin set: {}", notes.join("; ")));
            changed = true;
        }
    }
    changed
}

/// requestLimitEnforcedValues: the three values at milli precision when all fit.
fn enforced_values(req: Option<&Quantity>, lim: Option<&Quantity>, enforced: &Quantity) -> (i64, i64, i64) {
    let zero = Quantity::default();
    let (req, lim) = (req.unwrap_or(&zero), lim.unwrap_or(&zero));
    if req.value() <= MAX_MILLI_VALUE && lim.value() <= MAX_MILLI_VALUE && enforced.value() <= MAX_MILLI_VALUE {
        (req.milli_value(), lim.milli_value(), enforced.milli_value())
    } else {
        (req.value(), lim.value(), enforced.value())
    }
}

/// minConstraint.
fn min_constraint(kind: &str, r: &str, enforced: &Quantity, requests: &ResourceList, limits: &ResourceList) -> Option<String> {
    let (req, lim) = (requests.get(r), limits.get(r));
    let (rv, lv, ev) = enforced_values(req, lim, enforced);
    let Some(req) = req else { return Some(format!("minimum {r} usage per {kind} is {enforced}.  No request is specified")) };
    if rv < ev {
        return Some(format!("minimum {r} usage per {kind} is {enforced}, but request is {req}"));
    }
    match lim {
        Some(lim) if lv < ev => Some(format!("minimum {r} usage per {kind} is {enforced}, but limit is {lim}")),
        _ => None,
    }
}

/// maxConstraint.
fn max_constraint(kind: &str, r: &str, enforced: &Quantity, requests: &ResourceList, limits: &ResourceList) -> Option<String> {
    let (req, lim) = (requests.get(r), limits.get(r));
    let (rv, lv, ev) = enforced_values(req, lim, enforced);
    let Some(lim) = lim else { return Some(format!("maximum {r} usage per {kind} is {enforced}.  No limit is specified")) };
    if lv > ev {
        return Some(format!("maximum {r} usage per {kind} is {enforced}, but limit is {lim}"));
    }
    match req {
        Some(req) if rv > ev => Some(format!("maximum {r} usage per {kind} is {enforced}, but request is {req}")),
        _ => None,
    }
}

/// limitRequestRatioConstraint.
fn ratio_constraint(kind: &str, r: &str, enforced: &Quantity, requests: &ResourceList, limits: &ResourceList) -> Option<String> {
    let (req, lim) = (requests.get(r), limits.get(r));
    let (rv, lv, _) = enforced_values(req, lim, enforced);
    if req.is_none() || rv == 0 {
        return Some(format!("{r} max limit to request ratio per {kind} is {enforced}, but no request is specified or request is 0"));
    }
    if lim.is_none() || lv == 0 {
        return Some(format!("{r} max limit to request ratio per {kind} is {enforced}, but no limit is specified or limit is 0"));
    }
    let shown = lv as f64 / rv as f64;
    let (observed, max) = if enforced.value() <= MAX_MILLI_VALUE { (shown * 1000.0, enforced.milli_value() as f64) } else { (shown, enforced.value() as f64) };
    (observed > max).then(|| format!("{r} max limit to request ratio per {kind} is {enforced}, but provided ratio is {shown:.6}"))
}

/// addResourceList: sums into `to`, keeping the first quantity's format.
fn add_list(to: &mut ResourceList, from: &ResourceList) {
    for (k, v) in from {
        let sum = to.get(k).map_or_else(|| v.clone(), |cur| cur.plus(v));
        to.insert(k.clone(), sum);
    }
}

/// maxResourceList: the larger of each.
fn max_list(to: &mut ResourceList, from: &ResourceList) {
    for (k, v) in from {
        if to.get(k).is_none_or(|cur| v > cur) {
            to.insert(k.clone(), v.clone());
        }
    }
}

/// podRequests / podLimits of the plugin: the containers summed, restartable init
/// containers added to them and to every later init container, then the largest.
pub(crate) fn pod_totals(pod: &Pod, limits: bool) -> ResourceList {
    let get = |c: &Container| if limits { c.resources.limits.clone() } else { c.resources.requests.clone() };
    let mut total = ResourceList::new();
    for c in pod.spec.containers.iter() {
        add_list(&mut total, &get(c));
    }
    let (mut sidecars, mut init) = (ResourceList::new(), ResourceList::new());
    for c in &pod.spec.init_containers {
        let own = get(c);
        let counted = if c.restart_policy.as_deref() == Some("Always") {
            add_list(&mut total, &own);
            add_list(&mut sidecars, &own);
            sidecars.clone()
        } else {
            let mut tmp = own;
            add_list(&mut tmp, &sidecars);
            tmp
        };
        max_list(&mut init, &counted);
    }
    max_list(&mut total, &init);
    total
}

/// maxRequestConstraint (claims: only the request is the user's).
fn max_request_constraint(kind: &str, r: &str, enforced: &Quantity, requests: &ResourceList) -> Option<String> {
    let (rv, _, ev) = enforced_values(requests.get(r), None, enforced);
    let Some(req) = requests.get(r) else { return Some(format!("maximum {r} usage per {kind} is {enforced}.  No request is specified")) };
    (rv > ev).then(|| format!("maximum {r} usage per {kind} is {enforced}, but request is {req}"))
}

/// Validate for a claim: the first LimitRange's violations, if any.
pub fn validate_claim(pvc: &PersistentVolumeClaim, ranges: &[&LimitRange]) -> Vec<String> {
    let requests = &pvc.spec.resources.requests;
    for lr in ranges {
        let mut errs = Vec::new();
        for item in lr.spec.limits.iter().filter(|i| i.type_ == "PersistentVolumeClaim") {
            errs.extend(item.min.iter().filter_map(|(r, q)| min_constraint(&item.type_, r, q, requests, &ResourceList::new())));
            errs.extend(item.max.iter().filter_map(|(r, q)| max_request_constraint(&item.type_, r, q, requests)));
        }
        if !errs.is_empty() {
            return errs;
        }
    }
    Vec::new()
}

/// Validate for a pod: the violations of the first LimitRange it breaks, if any.
pub fn validate(pod: &Pod, ranges: &[&LimitRange]) -> Vec<String> {
    for lr in ranges {
        let errs = validate_one(pod, lr);
        if !errs.is_empty() {
            return errs;
        }
    }
    Vec::new()
}

/// PodValidateLimitFunc for one LimitRange.
fn validate_one(pod: &Pod, lr: &LimitRange) -> Vec<String> {
    let mut errs = Vec::new();
    for item in &lr.spec.limits {
        let check = |errs: &mut Vec<String>, requests: &ResourceList, limits: &ResourceList| {
            let kind = item.type_.as_str();
            errs.extend(item.min.iter().filter_map(|(r, q)| min_constraint(kind, r, q, requests, limits)));
            errs.extend(item.max.iter().filter_map(|(r, q)| max_constraint(kind, r, q, requests, limits)));
            errs.extend(item.max_limit_request_ratio.iter().filter_map(|(r, q)| ratio_constraint(kind, r, q, requests, limits)));
        };
        match item.type_.as_str() {
            "Container" => {
                for c in pod.spec.containers.iter().chain(pod.spec.init_containers.iter()) {
                    check(&mut errs, &c.resources.requests, &c.resources.limits);
                }
            }
            "Pod" => check(&mut errs, &pod_totals(pod, false), &pod_totals(pod, true)),
            _ => {}
        }
    }
    errs
}

/// utilerrors.NewAggregate(errs).Error(): one message as is, several as `[a, b]`,
/// repeated messages once.
pub fn aggregate(errs: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for e in errs {
        if !seen.contains(&e.as_str()) {
            seen.push(e);
        }
    }
    match seen[..] {
        [one] => one.to_string(),
        _ => format!("[{}]", seen.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::limit_range::LimitRangeItem;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    fn list(pairs: &[(&str, &str)]) -> ResourceList {
        pairs.iter().map(|(k, v)| (k.to_string(), q(v))).collect()
    }

    fn range(item: LimitRangeItem) -> LimitRange {
        let mut lr = LimitRange::default();
        lr.metadata.name = "lr".into();
        lr.spec.limits = vec![item];
        lr
    }

    fn pod(requests: &[(&str, &str)], limits: &[(&str, &str)]) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = "demo".into();
        let mut c = Container { name: "demo-ctr".into(), image: "nginx".into(), ..Default::default() };
        c.resources.requests = list(requests);
        c.resources.limits = list(limits);
        Rc::make_mut(&mut p.spec).containers = Rc::new(vec![c]);
        p
    }

    // The documentation's "Configure Minimum and Maximum CPU Constraints for a Namespace"
    // (admin/resource/cpu-constraints.yaml: min 200m, max 800m): its pod-2 (limit 1.5)
    // is refused with "maximum cpu usage per Container is 800m, but limit is 1500m", its
    // pod-3 (request 100m) with "minimum cpu usage per Container is 200m, but request is
    // 100m"; a pod without resources gets the default (800m) limit and request.
    #[test]
    fn cpu_constraints_from_the_docs() {
        let lr = range(LimitRangeItem { type_: "Container".into(), max: list(&[("cpu", "800m")]), min: list(&[("cpu", "200m")]), ..Default::default() });
        let p2 = pod(&[("cpu", "500m")], &[("cpu", "1.5")]);
        assert_eq!(validate(&p2, &[&lr]), vec!["maximum cpu usage per Container is 800m, but limit is 1500m".to_string()]);
        let p3 = pod(&[("cpu", "100m")], &[("cpu", "800m")]);
        assert_eq!(validate(&p3, &[&lr]), vec!["minimum cpu usage per Container is 200m, but request is 100m".to_string()]);
        let ok = pod(&[("cpu", "500m")], &[("cpu", "800m")]);
        assert!(validate(&ok, &[&lr]).is_empty());
        // Without a limit the max check says so (the docs' range has default 800m, which
        // admission would have set first).
        let none = pod(&[], &[]);
        assert_eq!(
            validate(&none, &[&lr]),
            vec![
                "minimum cpu usage per Container is 200m.  No request is specified".to_string(),
                "maximum cpu usage per Container is 800m.  No limit is specified".to_string()
            ]
        );
    }

    // "Configure Default CPU Requests and Limits for a Namespace" (cpu-defaults.yaml:
    // default 1, defaultRequest 0.5): a pod with neither gets limit 1 and request 500m; a
    // pod with only a limit keeps its request = limit (pod defaulting ran before); one
    // with only a request of 0.75 gets the default limit 1.
    #[test]
    fn cpu_defaults_from_the_docs() {
        let lr =
            range(LimitRangeItem { type_: "Container".into(), default: list(&[("cpu", "1")]), default_request: list(&[("cpu", "0.5")]), ..Default::default() });
        let mut p = pod(&[], &[]);
        admit(&mut p, &[&lr]);
        let c = &p.spec.containers[0];
        assert_eq!((c.resources.requests["cpu"].to_string(), c.resources.limits["cpu"].to_string()), ("500m".into(), "1".into()));
        assert_eq!(p.metadata.annotations[ANNOTATION], "LimitRanger plugin set: cpu request for container demo-ctr; cpu limit for container demo-ctr");
        let mut p3 = pod(&[("cpu", "0.75")], &[]);
        admit(&mut p3, &[&lr]);
        let c = &p3.spec.containers[0];
        assert_eq!((c.resources.requests["cpu"].to_string(), c.resources.limits["cpu"].to_string()), ("750m".into(), "1".into()));
        assert_eq!(p3.metadata.annotations[ANNOTATION], "LimitRanger plugin set: cpu limit for container demo-ctr");
        let mut untouched = pod(&[("cpu", "1")], &[("cpu", "1")]);
        admit(&mut untouched, &[&lr]);
        assert!(!untouched.metadata.annotations.contains_key(ANNOTATION));
    }

    // limit-memory-ratio-pod.yaml (maxLimitRequestRatio memory: 2 for a Pod) and
    // limit-mem-cpu-pod.yaml (max cpu 2, memory 2Gi per Pod): the pod's totals are
    // checked; the ratio message prints the observed ratio with %f.
    #[test]
    fn pod_items_check_the_totals() {
        let ratio = range(LimitRangeItem { type_: "Pod".into(), max_limit_request_ratio: list(&[("memory", "2")]), ..Default::default() });
        let p = pod(&[("memory", "100Mi")], &[("memory", "300Mi")]);
        assert_eq!(validate(&p, &[&ratio]), vec!["memory max limit to request ratio per Pod is 2, but provided ratio is 3.000000".to_string()]);
        assert!(validate(&pod(&[("memory", "100Mi")], &[("memory", "200Mi")]), &[&ratio]).is_empty());
        let max = range(LimitRangeItem { type_: "Pod".into(), max: list(&[("cpu", "2"), ("memory", "2Gi")]), ..Default::default() });
        let mut two = pod(&[("cpu", "1"), ("memory", "1Gi")], &[("cpu", "1.5"), ("memory", "1Gi")]);
        let second = two.spec.containers[0].clone();
        Rc::make_mut(&mut Rc::make_mut(&mut two.spec).containers).push(second);
        assert_eq!(validate(&two, &[&max]), vec!["maximum cpu usage per Pod is 2, but limit is 3".to_string()]);
        assert_eq!(aggregate(&["a".into(), "b".into()]), "[a, b]");
        assert_eq!(aggregate(&["a".into(), "a".into()]), "a");
    }
}
