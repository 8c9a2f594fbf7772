//! Defaulting as the apiserver applies it on create and update (pkg/apis/*/v1/defaults.go)
//! plus the DefaultTolerationSeconds admission plugin.

use crate::api::deployment::{DeploymentStrategy, RollingUpdateDeployment};
use crate::api::meta::IntOrString;
use crate::api::pod::{PodSpec, Toleration};
use crate::api::Object;

/// The not-ready / unreachable NoExecute tolerations every pod gets (300 s), unless it
/// already tolerates those taints (plugin/pkg/admission/defaulttolerationseconds).
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

pub fn apply(obj: &mut Object) {
    match obj {
        Object::Pod(p) => {
            if needs_defaults(&p.spec) {
                default_pod_spec(std::rc::Rc::make_mut(&mut p.spec));
            }
            if needs_default_tolerations(&p.spec) {
                add_default_tolerations(std::rc::Rc::make_mut(&mut p.spec));
            }
            if p.status.phase.is_empty() {
                p.status.phase = "Pending".into();
            }
            if p.status.qos_class.is_empty() {
                p.status.qos_class = qos_class(&p.spec).into();
            }
        }
        Object::ReplicaSet(rs) => {
            rs.spec.replicas.get_or_insert(1);
            if needs_defaults(&rs.spec.template.spec) {
                default_pod_spec(std::rc::Rc::make_mut(&mut rs.spec.template.spec));
            }
            if rs.metadata.labels.is_empty() {
                rs.metadata.labels = rs.spec.template.metadata.labels.clone();
            }
        }
        Object::Deployment(d) => {
            d.spec.replicas.get_or_insert(1);
            d.spec.revision_history_limit.get_or_insert(10);
            d.spec.progress_deadline_seconds.get_or_insert(600);
            let s = d.spec.strategy.get_or_insert_with(DeploymentStrategy::default);
            if s.type_.is_empty() {
                s.type_ = "RollingUpdate".into();
            }
            if s.type_ == "RollingUpdate" {
                let ru = s.rolling_update.get_or_insert_with(RollingUpdateDeployment::default);
                ru.max_surge.get_or_insert(IntOrString::String("25%".into()));
                ru.max_unavailable.get_or_insert(IntOrString::String("25%".into()));
            }
            if needs_defaults(&d.spec.template.spec) {
                default_pod_spec(std::rc::Rc::make_mut(&mut d.spec.template.spec));
            }
        }
        Object::Node(n) if n.status.allocatable.is_empty() => {
            n.status.allocatable = n.status.capacity.clone();
        }
        _ => {}
    }
}

/// Whether `default_pod_spec` would change anything (so shared specs stay shared).
fn needs_defaults(spec: &PodSpec) -> bool {
    spec.restart_policy.is_empty()
        || spec.termination_grace_period_seconds.is_none()
        || spec.scheduler_name.is_empty()
        || spec
            .containers
            .iter()
            .chain(spec.init_containers.iter())
            .any(|c| c.image_pull_policy.is_empty() || c.resources.limits.keys().any(|r| !c.resources.requests.contains_key(r)))
}

fn default_tolerations_missing(spec: &PodSpec) -> impl Iterator<Item = &'static str> + '_ {
    [TAINT_NOT_READY, TAINT_UNREACHABLE].into_iter().filter(move |key| {
        let probe = crate::api::node::Taint { key: (*key).into(), value: String::new(), effect: "NoExecute".into(), time_added: None };
        !spec.tolerations.iter().any(|t| t.tolerates(&probe))
    })
}

fn needs_default_tolerations(spec: &PodSpec) -> bool {
    default_tolerations_missing(spec).next().is_some()
}

fn default_pod_spec(spec: &mut PodSpec) {
    if spec.restart_policy.is_empty() {
        spec.restart_policy = "Always".into();
    }
    spec.termination_grace_period_seconds.get_or_insert(30);
    if spec.scheduler_name.is_empty() {
        spec.scheduler_name = "default-scheduler".into();
    }
    for c in std::rc::Rc::make_mut(&mut spec.containers).iter_mut().chain(spec.init_containers.iter_mut()) {
        if c.image_pull_policy.is_empty() {
            // Always for `:latest` or an untagged image, else IfNotPresent.
            let tag = image_tag(&c.image);
            c.image_pull_policy = if tag.is_none() || tag == Some("latest") { "Always" } else { "IfNotPresent" }.into();
        }
        // A container's requests default to its limits when only limits are set.
        let limits = c.resources.limits.clone();
        for (r, q) in limits {
            c.resources.requests.entry(r).or_insert(q);
        }
    }
}

/// The tag of an image reference (`nginx:1.14.2` → `1.14.2`; digests count as tagged).
pub fn image_tag(image: &str) -> Option<&str> {
    if image.contains('@') {
        return Some("digest");
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').map(|(_, t)| t)
}

fn add_default_tolerations(spec: &mut PodSpec) {
    let missing: Vec<&str> = default_tolerations_missing(spec).collect();
    for key in missing {
        {
            spec.tolerations.push(Toleration {
                key: key.into(),
                operator: "Exists".into(),
                value: String::new(),
                effect: "NoExecute".into(),
                toleration_seconds: Some(DEFAULT_TOLERATION_SECONDS),
            });
        }
    }
}

/// v1qos.GetPodQOS (cpu and memory only).
pub fn qos_class(spec: &PodSpec) -> &'static str {
    let mut any = false;
    let mut guaranteed = true;
    for c in spec.containers.iter().chain(spec.init_containers.iter()) {
        for r in ["cpu", "memory"] {
            let req = c.resources.requests.get(r);
            let lim = c.resources.limits.get(r);
            if req.is_some_and(|q| !q.is_zero()) || lim.is_some_and(|q| !q.is_zero()) {
                any = true;
            }
            match (req, lim) {
                (Some(a), Some(b)) if a == b && !b.is_zero() => {}
                _ => guaranteed = false,
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// `spec_src` with the status moved out of `status_src` (the /status subresource).
pub fn take_status(spec_src: &Object, status_src: Object) -> Object {
    match (spec_src, status_src) {
        (Object::Pod(a), Object::Pod(b)) => Object::Pod(crate::api::pod::Pod { status: b.status, ..a.clone_without_status() }),
        // deploymentStatusStrategy.PrepareForUpdate resets only spec and labels: the
        // Deployment controller writes its revision annotation through /status.
        (Object::Deployment(a), Object::Deployment(b)) => {
            let mut out = a.clone();
            out.status = b.status;
            out.metadata.annotations = b.metadata.annotations;
            Object::Deployment(out)
        }
        (_, b) => with_status_of(spec_src, &b),
    }
}

/// `spec_src` with the status of `status_src`.
pub fn with_status_of(spec_src: &Object, status_src: &Object) -> Object {
    let mut out = spec_src.clone();
    match (&mut out, status_src) {
        (Object::Pod(a), Object::Pod(b)) => a.status = b.status.clone(),
        (Object::Node(a), Object::Node(b)) => a.status = b.status.clone(),
        (Object::ReplicaSet(a), Object::ReplicaSet(b)) => a.status = b.status.clone(),
        (Object::Deployment(a), Object::Deployment(b)) => a.status = b.status.clone(),
        (Object::PodDisruptionBudget(a), Object::PodDisruptionBudget(b)) => a.status = b.status.clone(),
        (Object::Service(a), Object::Service(b)) => a.status = b.status.clone(),
        _ => {}
    }
    out
}

/// Whether the spec differs (for metadata.generation).
pub fn spec_changed(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Deployment(x), Object::Deployment(y)) => x.spec != y.spec,
        (Object::PodDisruptionBudget(x), Object::PodDisruptionBudget(y)) => x.spec != y.spec,
        (Object::ReplicaSet(x), Object::ReplicaSet(y)) => x.spec != y.spec,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags() {
        assert_eq!(image_tag("nginx"), None);
        assert_eq!(image_tag("nginx:1.14.2"), Some("1.14.2"));
        assert_eq!(image_tag("registry:5000/nginx"), None);
        assert_eq!(image_tag("registry:5000/nginx:latest"), Some("latest"));
    }
}
