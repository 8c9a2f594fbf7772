//! Defaulting as the apiserver applies it on create and update (pkg/apis/*/v1/defaults.go)
//! plus the DefaultTolerationSeconds admission plugin, and the registry strategies'
//! PrepareForCreate/PrepareForUpdate where they set fields (a DaemonSet's template
//! generation: pkg/registry/apps/daemonset/strategy.go).

use crate::api::daemon_set::{RollingUpdateDaemonSet, DEPRECATED_TEMPLATE_GENERATION};
use crate::api::deployment::{DeploymentStrategy, RollingUpdateDeployment};
use crate::api::meta::IntOrString;
use crate::api::pod::{PodSpec, PodSpecBody, Toleration};
use crate::api::Object;

/// The not-ready / unreachable NoExecute tolerations every pod gets (300 s), unless it
/// already tolerates those taints (plugin/pkg/admission/defaulttolerationseconds).
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

pub fn apply(obj: &mut Object) {
    match obj {
        // SetDefaults_LimitRangeItem: a Container item's default limit is its max, its
        // default request its default limit, else its min (in that order).
        Object::LimitRange(lr) => {
            for item in lr.spec.limits.iter_mut().filter(|i| i.type_ == "Container") {
                for (k, v) in &item.max {
                    item.default.entry(k.clone()).or_insert_with(|| v.clone());
                }
                for (k, v) in &item.default {
                    item.default_request.entry(k.clone()).or_insert_with(|| v.clone());
                }
                for (k, v) in &item.min {
                    item.default_request.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
        Object::HorizontalPodAutoscaler(h) => crate::api::horizontal_pod_autoscaler::set_defaults(h),
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
        Object::DaemonSet(ds) => {
            // SetDefaults_DaemonSet: RollingUpdate with maxUnavailable 1 and maxSurge 0;
            // revisionHistoryLimit 10.
            let s = &mut ds.spec.update_strategy;
            if s.type_.is_empty() {
                s.type_ = "RollingUpdate".into();
            }
            if s.type_ == "RollingUpdate" {
                let ru = s.rolling_update.get_or_insert_with(RollingUpdateDaemonSet::default);
                ru.max_unavailable.get_or_insert(IntOrString::Int(1));
                ru.max_surge.get_or_insert(IntOrString::Int(0));
            }
            ds.spec.revision_history_limit.get_or_insert(10);
            if needs_defaults(&ds.spec.template.spec) {
                default_pod_spec(std::rc::Rc::make_mut(&mut ds.spec.template.spec));
            }
        }
        Object::ReplicationController(rc) => {
            // SetDefaults_ReplicationController: selector and labels from the template's
            // labels when empty; replicas 1.
            if let Some(t) = &mut rc.spec.template {
                let labels = &t.metadata.labels;
                if !labels.is_empty() {
                    if rc.spec.selector.is_empty() {
                        rc.spec.selector = crate::api::meta::Labels::clone(labels);
                    }
                    if rc.metadata.labels.is_empty() {
                        rc.metadata.labels = labels.clone();
                    }
                }
                if needs_defaults(&t.spec) {
                    default_pod_spec(std::rc::Rc::make_mut(&mut t.spec));
                }
            }
            rc.spec.replicas.get_or_insert(1);
        }
        Object::Job(job) => default_job(job),
        Object::StatefulSet(s) => {
            // SetDefaults_StatefulSet: OrderedReady, RollingUpdate with partition 0,
            // replicas 1, revisionHistoryLimit 10, the claims retained, the template's
            // labels as the set's when it has none.
            if s.spec.pod_management_policy.is_empty() {
                s.spec.pod_management_policy = "OrderedReady".into();
            }
            let u = &mut s.spec.update_strategy;
            if u.type_.is_empty() {
                u.type_ = "RollingUpdate".into();
            }
            if u.type_ == "RollingUpdate" {
                u.rolling_update.get_or_insert_with(Default::default).partition.get_or_insert(0);
            }
            s.spec.replicas.get_or_insert(1);
            s.spec.revision_history_limit.get_or_insert(10);
            s.spec.persistent_volume_claim_retention_policy.get_or_insert_with(|| serde_json::json!({"whenDeleted": "Retain", "whenScaled": "Retain"}));
            if s.metadata.labels.is_empty() {
                s.metadata.labels = s.spec.template.metadata.labels.clone();
            }
            if needs_defaults(&s.spec.template.spec) {
                default_pod_spec(std::rc::Rc::make_mut(&mut s.spec.template.spec));
            }
        }
        // SetDefaults_Secret: type Opaque; stringData is written into data (base64) by the
        // v1 conversion, and never read back.
        Object::Secret(s) => {
            if s.type_.is_empty() {
                s.type_ = "Opaque".into();
            }
            for (k, v) in std::mem::take(&mut s.string_data) {
                s.data.insert(k, crate::api::config_map::base64(v.as_bytes()));
            }
        }
        // SetDefaults_StorageClass, SetDefaults_PersistentVolume and
        // SetDefaults_PersistentVolumeClaim.
        Object::StorageClass(c) => {
            c.reclaim_policy.get_or_insert_with(|| "Delete".into());
            c.volume_binding_mode.get_or_insert_with(|| "Immediate".into());
        }
        Object::PersistentVolume(v) => {
            if v.status.phase.is_empty() {
                v.status.phase = "Pending".into();
            }
            if v.spec.persistent_volume_reclaim_policy.is_empty() {
                v.spec.persistent_volume_reclaim_policy = "Retain".into();
            }
            v.spec.volume_mode.get_or_insert_with(|| "Filesystem".into());
        }
        Object::PersistentVolumeClaim(c) => {
            if c.status.phase.is_empty() {
                c.status.phase = "Pending".into();
            }
            c.spec.volume_mode.get_or_insert_with(|| "Filesystem".into());
        }
        Object::CronJob(cj) => {
            // SetDefaults_CronJob: Allow, not suspended, 3 successful and 1 failed Jobs
            // kept. The Job template gets only its pod template's defaults
            // (SetDefaults_Job is the Job's, not a JobSpec's).
            if cj.spec.concurrency_policy.is_empty() {
                cj.spec.concurrency_policy = "Allow".into();
            }
            cj.spec.suspend.get_or_insert(false);
            cj.spec.successful_jobs_history_limit.get_or_insert(3);
            cj.spec.failed_jobs_history_limit.get_or_insert(1);
            if needs_defaults(&cj.spec.job_template.spec.template.spec) {
                default_pod_spec(std::rc::Rc::make_mut(&mut cj.spec.job_template.spec.template.spec));
            }
        }
        Object::Service(svc) => default_service(svc),
        // SetDefaults_Namespace: the immutable `kubernetes.io/metadata.name` label
        // (NamespaceDefaultLabelName), which namespaceSelectors use to pick a namespace
        // by name.
        Object::Namespace(ns) => {
            let name = ns.metadata.name.to_string();
            ns.metadata.labels.insert("kubernetes.io/metadata.name".into(), name);
        }
        Object::Node(n) if n.status.allocatable.is_empty() => {
            n.status.allocatable = n.status.capacity.clone();
        }
        _ => {}
    }
}

/// SetDefaults_Job (pkg/apis/batch/v1/defaults.go): completions and parallelism 1 when both
/// are unset, else parallelism 1; backoffLimit 6 (MaxInt32 with backoffLimitPerIndex);
/// the template's labels as the Job's when it has none; NonIndexed; not suspended;
/// onPodConditions' status True; podReplacementPolicy TerminatingOrFailed (Failed with a
/// podFailurePolicy).
fn default_job(job: &mut crate::api::job::Job) {
    let s = &mut job.spec;
    if s.completions.is_none() && s.parallelism.is_none() {
        s.completions = Some(1);
    }
    s.parallelism.get_or_insert(1);
    if s.backoff_limit.is_none() {
        s.backoff_limit = Some(if s.backoff_limit_per_index.is_some() { i32::MAX } else { 6 });
    }
    if job.metadata.labels.is_empty() && !s.template.metadata.labels.is_empty() {
        job.metadata.labels = s.template.metadata.labels.clone();
    }
    s.completion_mode.get_or_insert_with(|| "NonIndexed".into());
    s.suspend.get_or_insert(false);
    if let Some(p) = &mut s.pod_failure_policy {
        for r in &mut p.rules {
            for c in &mut r.on_pod_conditions {
                if c.status.is_empty() {
                    c.status = "True".into();
                }
            }
        }
    }
    if s.pod_replacement_policy.is_none() {
        s.pod_replacement_policy = Some(if s.pod_failure_policy.is_some() { "Failed" } else { "TerminatingOrFailed" }.into());
    }
    if needs_defaults(&s.template.spec) {
        default_pod_spec(std::rc::Rc::make_mut(&mut s.template.spec));
    }
}

/// The Job strategy's PrepareForCreate (pkg/registry/batch/job/strategy.go
/// generateSelector), once the uid is set: unless `manualSelector`, the template gets the
/// job-name and controller-uid labels (both spellings, those the user set kept) and the
/// selector matches `batch.kubernetes.io/controller-uid`. Read back, the Job's defaulting
/// gives it its template's labels when it has none — which is why `kubectl get job -o
/// yaml` shows these labels on the Job too.
pub fn generate_job_selector(job: &mut crate::api::job::Job) {
    use crate::api::job::{CONTROLLER_UID, JOB_NAME, LEGACY_CONTROLLER_UID, LEGACY_JOB_NAME};
    if job.spec.manual_selector == Some(true) {
        return;
    }
    let (name, uid) = (job.metadata.name.to_string(), job.metadata.uid.clone());
    let labels = &mut job.spec.template.metadata.labels;
    for k in [LEGACY_JOB_NAME, JOB_NAME] {
        labels.entry(k.into()).or_insert_with(|| name.to_string());
    }
    for k in [LEGACY_CONTROLLER_UID, CONTROLLER_UID] {
        labels.entry(k.into()).or_insert_with(|| uid.to_string());
    }
    let sel = job.spec.selector.get_or_insert_with(Default::default);
    sel.match_labels.entry(CONTROLLER_UID.into()).or_insert(uid.to_string());
    if job.metadata.labels.is_empty() {
        job.metadata.labels = job.spec.template.metadata.labels.clone();
    }
}

/// A Job renamed after `generate_job_selector` named it `taken` (a generated name drawn
/// again: upstream's retry runs PrepareForCreate's generateSelector with the new name):
/// the name labels it set, in the template and the Job's own labels copied from them.
pub fn job_renamed(job: &mut crate::api::job::Job, taken: &str) {
    use crate::api::job::{JOB_NAME, LEGACY_JOB_NAME};
    let name = job.metadata.name.to_string();
    for labels in [&mut job.spec.template.metadata.labels, &mut job.metadata.labels] {
        for k in [LEGACY_JOB_NAME, JOB_NAME] {
            // (Looked at before written: the maps are shared, copied on a write.)
            if labels.get(k).is_some_and(|v| v == taken) {
                labels.insert(k.into(), name.to_string());
            }
        }
    }
}

/// SetDefaults_Service (pkg/apis/core/v1/defaults.go): sessionAffinity None (ClientIP gets
/// the 10800 s timeout), type ClusterIP, ports TCP with targetPort = port,
/// externalTrafficPolicy Cluster for externally accessible Services, internalTrafficPolicy
/// Cluster for every type but ExternalName, allocateLoadBalancerNodePorts for
/// LoadBalancers.
fn default_service(svc: &mut crate::api::service::Service) {
    let spec = &mut svc.spec;
    let affinity = spec.session_affinity.get_or_insert_with(|| "None".into());
    if affinity.is_empty() {
        *affinity = "None".into();
    }
    match affinity.as_str() {
        "None" => spec.session_affinity_config = None,
        "ClientIP" => {
            let timeout = spec.session_affinity_config.as_ref().and_then(|c| c.pointer("/clientIP/timeoutSeconds")).filter(|t| !t.is_null());
            if timeout.is_none() {
                spec.session_affinity_config = Some(Box::new(serde_json::json!({"clientIP": {"timeoutSeconds": 10800}})));
            }
        }
        _ => {}
    }
    if spec.type_.is_empty() {
        spec.type_ = "ClusterIP".into();
    }
    for p in &mut spec.ports {
        if p.protocol.as_deref().is_none_or(str::is_empty) {
            p.protocol = Some("TCP".into());
        }
        if matches!(&p.target_port, None | Some(IntOrString::Int(0))) || matches!(&p.target_port, Some(IntOrString::String(s)) if s.is_empty()) {
            p.target_port = Some(IntOrString::Int(p.port));
        }
    }
    if spec.externally_accessible() && spec.external_traffic_policy.as_deref().is_none_or(str::is_empty) {
        spec.external_traffic_policy = Some("Cluster".into());
    }
    if spec.internal_traffic_policy.is_none() && matches!(spec.type_.as_str(), "NodePort" | "LoadBalancer" | "ClusterIP") {
        spec.internal_traffic_policy = Some("Cluster".into());
    }
    if spec.type_ == "LoadBalancer" {
        spec.allocate_load_balancer_node_ports.get_or_insert(true);
    }
}

/// patchAllocatedValues (pkg/registry/core/service/storage/storage.go): a client that
/// resubmits its manifest keeps what was allocated on its behalf — the ClusterIP(s), and
/// the NodePorts by port name where not taken by another port.
fn patch_allocated_values(old: &crate::api::service::Service, svc: &mut crate::api::service::Service) {
    let needs_cluster_ip = |s: &crate::api::service::Service| s.spec.type_ != "ExternalName";
    if needs_cluster_ip(old) && needs_cluster_ip(svc) {
        if svc.spec.cluster_ip.is_empty() {
            svc.spec.cluster_ip = old.spec.cluster_ip.clone();
        }
        if svc.spec.cluster_ips.is_empty() && !old.spec.cluster_ips.is_empty() {
            svc.spec.cluster_ips = old.spec.cluster_ips.clone();
        }
    }
    if old.spec.needs_node_port() && svc.spec.needs_node_port() {
        let used_by = |s: &crate::api::service::Service| s.spec.ports.iter().filter_map(|p| p.node_port).filter(|p| *p != 0).collect::<Vec<i32>>();
        let new_used = used_by(svc);
        let used: Vec<i32> = used_by(old).into_iter().filter(|p| new_used.contains(p)).collect();
        for p in &mut svc.spec.ports {
            if p.node_port.unwrap_or(0) == 0 {
                let old_val = old.spec.ports.iter().find(|o| o.name == p.name).and_then(|o| o.node_port).unwrap_or(0);
                if old_val != 0 && !used.contains(&old_val) {
                    p.node_port = Some(old_val);
                }
            }
        }
    }
    // patchAllocatedValues: kept while both versions need a health check port.
    if svc.spec.health_check_node_port.unwrap_or(0) == 0 && old.spec.needs_health_check() && svc.spec.needs_health_check() {
        svc.spec.health_check_node_port = old.spec.health_check_node_port;
    }
}

/// dropTypeDependentFields (pkg/registry/core/service/strategy.go): switching to a
/// Service that does not use a field, without changing the field, drops it — NodePorts,
/// the health-check NodePort, externalTrafficPolicy (an apply keeps fields the manifest
/// does not name).
fn drop_type_dependent_fields(old: &crate::api::service::Service, svc: &mut crate::api::service::Service) {
    let node_ports = |s: &crate::api::service::Service| s.spec.ports.iter().map(|p| p.node_port.unwrap_or(0)).collect::<Vec<i32>>();
    if old.spec.needs_node_port() && !svc.spec.needs_node_port() && node_ports(old) == node_ports(svc) {
        for p in &mut svc.spec.ports {
            p.node_port = None;
        }
    }
    if old.spec.needs_health_check() && !svc.spec.needs_health_check() && svc.spec.health_check_node_port == old.spec.health_check_node_port {
        svc.spec.health_check_node_port = None;
    }
    if old.spec.externally_accessible() && !svc.spec.externally_accessible() && svc.spec.external_traffic_policy == old.spec.external_traffic_policy {
        svc.spec.external_traffic_policy = None;
    }
}

/// NormalizeClusterIPs for an update: a client that kept clusterIP but sent no
/// clusterIPs keeps the stored ones; a changed clusterIP with unchanged clusterIPs is
/// taken as the new list (validation then refuses the change).
fn normalize_cluster_ips(old: &crate::api::service::Service, svc: &mut crate::api::service::Service) {
    if !old.spec.cluster_ips.is_empty() && svc.spec.cluster_ips.is_empty() && old.spec.cluster_ip == svc.spec.cluster_ip {
        svc.spec.cluster_ips = old.spec.cluster_ips.clone();
    }
    if old.spec.cluster_ip != svc.spec.cluster_ip {
        let same = old.spec.cluster_ips == svc.spec.cluster_ips;
        if !old.spec.cluster_ip.is_empty() && svc.spec.cluster_ip.is_empty() && same {
            svc.spec.cluster_ips.clear();
        }
        if !svc.spec.cluster_ip.is_empty() && same {
            svc.spec.cluster_ips = vec![svc.spec.cluster_ip.clone()];
        }
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
    let body: &mut PodSpecBody = spec;
    for c in std::rc::Rc::make_mut(&mut body.containers).iter_mut().chain(body.init_containers.iter_mut()) {
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
        // The stored Pod but its status, written over the request's copy: its box and
        // its metadata's strings (the stored name, namespace and uid) are reused, where
        // the stored metadata was copied into a new box. (podStatusStrategy resets only
        // spec, deletionTimestamp and ownerReferences — strategy.go PrepareForUpdate,
        // GetResetFields —, so upstream a status write's labels and annotations are
        // kept; ksim keeps the stored ones. Its writers change neither there.)
        (Object::Pod(a), Object::Pod(mut b)) => {
            let crate::api::pod::Pod { api_version, kind, metadata, spec, status: _ } = &**a;
            b.api_version = *api_version;
            b.kind = *kind;
            b.metadata.clone_from(metadata);
            b.spec = spec.clone();
            Object::Pod(b)
        }
        // A kubelet's status post every 5 minutes: the stored Node but its status, which
        // is the written one's (moved, not the stored one copied and then replaced).
        (Object::Node(a), Object::Node(b)) => Object::Node(Box::new(crate::api::node::Node { status: b.status, ..a.clone_without_status() })),
        // deploymentStatusStrategy.PrepareForUpdate resets only spec and labels: the
        // Deployment controller writes its revision annotation through /status.
        (Object::Deployment(a), Object::Deployment(b)) => {
            let mut out = a.clone();
            out.status = b.status;
            out.metadata.annotations = b.metadata.annotations;
            Object::Deployment(out)
        }
        (_, b) => {
            let mut out = spec_src.clone();
            set_status_of(&mut out, &b);
            out
        }
    }
}

/// `obj` with the status of `status_src`, in place (an update keeps the stored status:
/// copying the whole object for it cost a Lease renewal a second copy of the Lease).
pub fn set_status_of(obj: &mut Object, status_src: &Object) {
    match (obj, status_src) {
        (Object::Pod(a), Object::Pod(b)) => a.status = b.status.clone(),
        (Object::Node(a), Object::Node(b)) => a.status = b.status.clone(),
        (Object::ReplicaSet(a), Object::ReplicaSet(b)) => a.status = b.status.clone(),
        (Object::Deployment(a), Object::Deployment(b)) => a.status = b.status.clone(),
        (Object::PodDisruptionBudget(a), Object::PodDisruptionBudget(b)) => a.status = b.status.clone(),
        (Object::ResourceQuota(a), Object::ResourceQuota(b)) => a.status = b.status.clone(),
        (Object::HorizontalPodAutoscaler(a), Object::HorizontalPodAutoscaler(b)) => a.status = b.status.clone(),
        (Object::DaemonSet(a), Object::DaemonSet(b)) => a.status = b.status.clone(),
        (Object::ReplicationController(a), Object::ReplicationController(b)) => a.status = b.status.clone(),
        (Object::Service(a), Object::Service(b)) => a.status = b.status.clone(),
        (Object::Ingress(a), Object::Ingress(b)) => a.status = b.status.clone(),
        (Object::Job(a), Object::Job(b)) => a.status = b.status.clone(),
        (Object::StatefulSet(a), Object::StatefulSet(b)) => a.status = b.status.clone(),
        (Object::CronJob(a), Object::CronJob(b)) => a.status = b.status.clone(),
        (Object::PersistentVolume(a), Object::PersistentVolume(b)) => a.status = b.status.clone(),
        (Object::PersistentVolumeClaim(a), Object::PersistentVolumeClaim(b)) => a.status = b.status.clone(),
        (Object::VolumeAttachment(a), Object::VolumeAttachment(b)) => a.status = b.status.clone(),
        _ => {}
    }
}

/// Whether the spec differs (for metadata.generation).
pub fn spec_changed(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Deployment(x), Object::Deployment(y)) => x.spec != y.spec,
        (Object::PodDisruptionBudget(x), Object::PodDisruptionBudget(y)) => x.spec != y.spec,
        (Object::ReplicaSet(x), Object::ReplicaSet(y)) => x.spec != y.spec,
        (Object::DaemonSet(x), Object::DaemonSet(y)) => x.spec != y.spec,
        (Object::ReplicationController(x), Object::ReplicationController(y)) => x.spec != y.spec,
        (Object::Job(x), Object::Job(y)) => x.spec != y.spec,
        (Object::StatefulSet(x), Object::StatefulSet(y)) => x.spec != y.spec,
        (Object::CronJob(x), Object::CronJob(y)) => x.spec != y.spec,
        _ => false,
    }
}

/// PrepareForCreate's fields: a DaemonSet's template generation starts at 1 (or the
/// annotation's value if higher), kept as the `deprecated.daemonset.template.generation`
/// annotation as the v1 conversion writes it.
pub fn prepare_for_create(obj: &mut Object) {
    if let Object::Service(svc) = obj {
        // Service PrepareForCreate's NormalizeClusterIPs: an old client's singular
        // clusterIP becomes clusterIPs (the status is cleared with the other kinds').
        if !svc.spec.cluster_ip.is_empty() && svc.spec.cluster_ips.is_empty() {
            svc.spec.cluster_ips = vec![svc.spec.cluster_ip.clone()];
        }
    }
    if let Object::DaemonSet(ds) = obj {
        let g = ds.template_generation().unwrap_or(0).max(1);
        ds.metadata.annotations.insert(DEPRECATED_TEMPLATE_GENERATION.into(), g.to_string());
    }
}

/// PrepareForUpdate's fields: a DaemonSet's template generation is the stored one, plus
/// one when the template changed (whatever the client sent).
pub fn prepare_for_update(cur: &Object, obj: &mut Object) {
    if let (Object::Service(old), Object::Service(svc)) = (cur, &mut *obj) {
        patch_allocated_values(old, svc);
        normalize_cluster_ips(old, svc);
        drop_type_dependent_fields(old, svc);
    }
    if let (Object::DaemonSet(old), Object::DaemonSet(ds)) = (cur, obj) {
        let g = old.template_generation().unwrap_or(0) + i64::from(old.spec.template != ds.spec.template);
        ds.metadata.annotations.insert(DEPRECATED_TEMPLATE_GENERATION.into(), g.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A status update keeps the stored pod but its status, whatever metadata and spec
    /// the writer's copy carried (written over the request's copy). Upstream's
    /// podStatusStrategy (pkg/registry/core/pod/strategy.go PrepareForUpdate) resets the
    /// spec, deletionTimestamp and ownerReferences only, and would keep the stale label
    /// written here: ksim's documented difference, which this pins.
    #[test]
    fn a_pod_status_update_keeps_the_stored_pod_but_its_status() {
        use crate::api::pod::Pod;
        let mut stored = Pod::default();
        stored.metadata.name = "web-1".into();
        stored.metadata.namespace = "default".into();
        stored.metadata.uid = "u-1".into();
        stored.metadata.labels.insert("app".into(), "web".into());
        std::rc::Rc::make_mut(&mut stored.spec).node_name = "node-1".into();
        (stored.api_version, stored.kind) = ("v1".into(), "Pod".into());
        let mut written = Pod::default();
        written.metadata.name = "web-1".into();
        written.metadata.namespace = "default".into();
        written.metadata.labels.insert("app".into(), "stale".into());
        written.status.phase = "Running".into();
        written.status.pod_ip = "10.0.0.7".into();
        let out = take_status(&Object::Pod(Box::new(stored.clone())), Object::Pod(Box::new(written.clone())));
        let want = Pod { status: written.status, ..stored };
        assert_eq!(out, Object::Pod(Box::new(want)));
    }

    #[test]
    fn image_tags() {
        assert_eq!(image_tag("nginx"), None);
        assert_eq!(image_tag("nginx:1.14.2"), Some("1.14.2"));
        assert_eq!(image_tag("registry:5000/nginx"), None);
        assert_eq!(image_tag("registry:5000/nginx:latest"), Some("latest"));
    }

    fn template(labels: &[(&str, &str)]) -> crate::api::pod::PodTemplateSpec {
        let mut t = crate::api::pod::PodTemplateSpec::default();
        t.metadata.labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        t
    }

    /// apps/v1 defaults_test.go TestSetDefaultDaemonSetSpec: RollingUpdate with
    /// maxUnavailable 1 and maxSurge 0, revisionHistoryLimit 10, pod template defaults;
    /// apps/v1 does not default the selector or the labels from the template; OnDelete
    /// gets no rollingUpdate; a given revisionHistoryLimit stays.
    #[test]
    fn daemon_sets_default_like_apps_v1() {
        use crate::api::daemon_set::DaemonSet;
        let mut ds = DaemonSet::default();
        ds.spec.template = template(&[("foo", "bar")]);
        let mut o = Object::DaemonSet(Box::new(ds.clone()));
        apply(&mut o);
        let d = o.as_daemon_set().unwrap();
        assert_eq!(d.spec.update_strategy.type_, "RollingUpdate");
        let ru = d.spec.update_strategy.rolling_update.as_ref().unwrap();
        assert_eq!((ru.max_unavailable.clone(), ru.max_surge.clone()), (Some(IntOrString::Int(1)), Some(IntOrString::Int(0))));
        assert_eq!(d.spec.revision_history_limit, Some(10));
        assert_eq!(d.spec.template.spec.restart_policy, "Always");
        assert!(d.spec.selector.is_none() && d.metadata.labels.is_empty(), "apps/v1 defaults neither");
        ds.spec.update_strategy.type_ = "OnDelete".into();
        ds.spec.revision_history_limit = Some(1);
        let mut o = Object::DaemonSet(Box::new(ds));
        apply(&mut o);
        let d = o.as_daemon_set().unwrap();
        assert!(d.spec.update_strategy.rolling_update.is_none());
        assert_eq!(d.spec.revision_history_limit, Some(1));
    }

    /// core/v1 defaults_test.go TestSetDefaultReplicationControllerLabelsAndSelector (the
    /// four cases) and TestSetDefaultReplicationControllerReplicas (nil → 1, 0, 3 kept).
    #[test]
    fn replication_controllers_default_selector_labels_and_replicas() {
        use crate::api::replication_controller::ReplicationController;
        let sel = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<crate::api::meta::Labels>();
        for (labels, selector, expect_labels, expect_selector) in [
            (&[][..], &[][..], true, true),
            (&[("bar", "foo")], &[], false, true),
            (&[("bar", "foo")], &[("some", "other")], false, false),
            (&[], &[("some", "other")], true, false),
        ] {
            let mut rc = ReplicationController::default();
            rc.metadata.labels = sel(labels).into();
            rc.spec.selector = sel(selector);
            rc.spec.template = Some(template(&[("foo", "bar")]));
            let mut o = Object::ReplicationController(Box::new(rc));
            apply(&mut o);
            let rc = o.as_replication_controller().unwrap();
            let t = &rc.spec.template.as_ref().unwrap().metadata.labels;
            assert_eq!(rc.metadata.labels == *t, expect_labels, "labels {labels:?} selector {selector:?}");
            assert_eq!(rc.spec.selector == **t, expect_selector, "labels {labels:?} selector {selector:?}");
        }
        for (given, want) in [(None, 1), (Some(0), 0), (Some(3), 3)] {
            let mut rc = ReplicationController::default();
            rc.spec.replicas = given;
            let mut o = Object::ReplicationController(Box::new(rc));
            apply(&mut o);
            assert_eq!(o.as_replication_controller().unwrap().spec.replicas, Some(want));
        }
    }

    /// The DaemonSet strategy: template generation 1 on create, +1 on an update that
    /// changes the template, kept otherwise (pkg/registry/apps/daemonset/strategy.go
    /// PrepareForCreate / PrepareForUpdate).
    #[test]
    fn template_generation_follows_the_template() {
        use crate::api::daemon_set::DaemonSet;
        let mut ds = DaemonSet::default();
        ds.spec.template = template(&[("a", "b")]);
        let mut created = Object::DaemonSet(Box::new(ds));
        prepare_for_create(&mut created);
        let generation = |o: &Object| o.as_daemon_set().unwrap().template_generation();
        assert_eq!(generation(&created), Some(1));
        let mut same = created.clone();
        same.meta_mut().annotations.insert(DEPRECATED_TEMPLATE_GENERATION.into(), "7".into());
        prepare_for_update(&created, &mut same);
        assert_eq!(generation(&same), Some(1), "a client cannot set it");
        let mut changed = created.clone();
        if let Object::DaemonSet(d) = &mut changed {
            d.spec.template.metadata.labels.insert("c".into(), "d".into());
        }
        prepare_for_update(&created, &mut changed);
        assert_eq!(generation(&changed), Some(2));
    }
}
