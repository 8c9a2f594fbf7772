//! The DaemonSet controller's helpers (pkg/controller/daemon/util/daemonset_util.go and
//! NodeShouldRunDaemonPod in daemon_controller.go): the tolerations every daemon pod
//! gets, the pod template with its hash and generation labels, the node affinity that
//! pins a pod to its node, the node a pod is meant for, whether a pod is of the current
//! template, the surge and unavailability counts, and whether a node should run (or keep
//! running) the daemon pod.

use crate::api::affinity::{Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm};
use crate::api::daemon_set::{DaemonSet, CONTROLLER_REVISION_HASH, POD_TEMPLATE_GENERATION};
use crate::api::node::{Node, Taint};
use crate::api::pod::{Pod, PodSpec, PodSpecBody, PodTemplateSpec, Toleration};
use crate::apiserver::defaults::{TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE};
use std::rc::Rc;

pub const TAINT_DISK_PRESSURE: &str = "node.kubernetes.io/disk-pressure";
pub const TAINT_MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";
pub const TAINT_PID_PRESSURE: &str = "node.kubernetes.io/pid-pressure";
pub const TAINT_NETWORK_UNAVAILABLE: &str = "node.kubernetes.io/network-unavailable";
/// metav1.ObjectNameField, the only field node selectors' matchFields know.
pub const OBJECT_NAME_FIELD: &str = "metadata.name";

fn exists(key: &str, effect: &str) -> Toleration {
    Toleration { key: key.into(), operator: "Exists".into(), value: String::new(), effect: effect.into(), toleration_seconds: None }
}

/// v1helper.AddOrUpdateTolerationInPodSpec: a toleration equal in (key, effect, operator,
/// value) is replaced (unless identical), else the toleration is appended. Returns
/// whether the tolerations changed.
fn add_or_update_toleration(spec: &mut PodSpec, t: Toleration) -> bool {
    let same = |x: &Toleration| x.key == t.key && x.effect == t.effect && x.operator == t.operator && x.value == t.value;
    match spec.tolerations.iter_mut().find(|x| same(x)) {
        Some(x) if *x == t => false,
        Some(x) => {
            *x = t;
            true
        }
        None => {
            spec.tolerations.push(t);
            true
        }
    }
}

/// AddOrUpdateDaemonPodTolerations: not-ready and unreachable NoExecute with no
/// tolerationSeconds (taint-based eviction never evicts a daemon pod), the
/// TaintNodesByCondition NoSchedule taints (disk, memory and PID pressure,
/// unschedulable), and network-unavailable for hostNetwork pods.
pub fn add_or_update_daemon_pod_tolerations(spec: &mut PodSpec) {
    add_or_update_toleration(spec, exists(TAINT_NOT_READY, "NoExecute"));
    add_or_update_toleration(spec, exists(TAINT_UNREACHABLE, "NoExecute"));
    add_or_update_toleration(spec, exists(TAINT_DISK_PRESSURE, "NoSchedule"));
    add_or_update_toleration(spec, exists(TAINT_MEMORY_PRESSURE, "NoSchedule"));
    add_or_update_toleration(spec, exists(TAINT_PID_PRESSURE, "NoSchedule"));
    add_or_update_toleration(spec, exists(TAINT_UNSCHEDULABLE, "NoSchedule"));
    if spec.host_network == Some(true) {
        add_or_update_toleration(spec, exists(TAINT_NETWORK_UNAVAILABLE, "NoSchedule"));
    }
}

/// The tolerations a daemon pod of `ds` has (NewPod's).
pub fn daemon_pod_tolerations(ds: &DaemonSet) -> Vec<Toleration> {
    let mut spec = PodSpec::from(PodSpecBody {
        tolerations: ds.spec.template.spec.tolerations.clone(),
        host_network: ds.spec.template.spec.host_network,
        ..Default::default()
    });
    add_or_update_daemon_pod_tolerations(&mut spec);
    std::mem::take(&mut spec.tolerations)
}

/// CreatePodTemplate: the template with the daemon tolerations, the
/// `pod-template-generation` label when the DaemonSet has a generation, and the
/// `controller-revision-hash` label when there is a hash.
pub fn create_pod_template(template: &PodTemplateSpec, generation: Option<i64>, hash: &str) -> PodTemplateSpec {
    let mut t = template.clone();
    add_or_update_daemon_pod_tolerations(Rc::make_mut(&mut t.spec));
    if let Some(g) = generation {
        t.metadata.labels.insert(POD_TEMPLATE_GENERATION.into(), g.to_string());
    }
    if !hash.is_empty() {
        t.metadata.labels.insert(CONTROLLER_REVISION_HASH.into(), hash.into());
    }
    t
}

/// ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes one term
/// selecting `node` by `metadata.name` (replacing any required terms; preferred terms and
/// pod (anti-)affinity are kept).
pub fn replace_daemon_set_pod_node_name_node_affinity(affinity: Option<Affinity>, node: &str) -> Affinity {
    let term = NodeSelectorTerm {
        match_expressions: Vec::new(),
        match_fields: vec![NodeSelectorRequirement { key: OBJECT_NAME_FIELD.into(), operator: "In".into(), values: vec![node.into()] }],
    };
    let mut a = affinity.unwrap_or_default();
    let na = a.node_affinity.get_or_insert_with(NodeAffinity::default);
    na.required = Some(NodeSelector { node_selector_terms: vec![term] });
    a
}

/// GetTargetNodeName: spec.nodeName, else the single `metadata.name In [node]` of the
/// required node affinity's matchFields.
pub fn get_target_node_name(pod: &Pod) -> Result<String, String> {
    if !pod.spec.node_name.is_empty() {
        return Ok(pod.spec.node_name.to_string());
    }
    let (ns, name) = (&pod.metadata.namespace, &pod.metadata.name);
    let Some(req) = pod.spec.affinity.as_ref().and_then(|a| a.node_affinity.as_ref()).and_then(|na| na.required.as_ref()) else {
        return Err(format!("no spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution for pod {ns}/{name}"));
    };
    if req.node_selector_terms.is_empty() {
        return Err(format!("no nodeSelectorTerms in requiredDuringSchedulingIgnoredDuringExecution of pod {ns}/{name}"));
    }
    for exp in req.node_selector_terms.iter().flat_map(|t| t.match_fields.iter()) {
        if exp.key == OBJECT_NAME_FIELD && exp.operator == "In" {
            if exp.values.len() != 1 {
                return Err(format!("the matchFields value of '{OBJECT_NAME_FIELD}' is not unique for pod {ns}/{name}"));
            }
            return Ok(exp.values[0].clone());
        }
    }
    Err(format!("no node name found for pod {ns}/{name}"))
}

/// IsPodUpdated: the pod's template generation label or hash label is the current one.
pub fn is_pod_updated(pod: &Pod, hash: &str, generation: Option<i64>) -> bool {
    let labels = &pod.metadata.labels;
    let template_matches = generation.is_some_and(|g| labels.get(POD_TEMPLATE_GENERATION).is_some_and(|v| *v == g.to_string()));
    let hash_matches = !hash.is_empty() && labels.get(CONTROLLER_REVISION_HASH).is_some_and(|v| v == hash);
    hash_matches || template_matches
}

fn rolling_value(ds: &DaemonSet, surge: bool, n: i32) -> Result<i32, String> {
    if ds.strategy_type() != "RollingUpdate" {
        return Ok(0);
    }
    let Some(ru) = &ds.spec.update_strategy.rolling_update else { return Ok(0) };
    match if surge { &ru.max_surge } else { &ru.max_unavailable } {
        Some(v) => v.scaled_value(n, true),
        None => Ok(0),
    }
}

/// SurgeCount: maxSurge of `n` nodes (rounded up), 0 unless RollingUpdate with maxSurge.
pub fn surge_count(ds: &DaemonSet, n: i32) -> Result<i32, String> {
    rolling_value(ds, true, n)
}

/// UnavailableCount: maxUnavailable of `n` nodes (rounded up).
pub fn unavailable_count(ds: &DaemonSet, n: i32) -> Result<i32, String> {
    rolling_value(ds, false, n)
}

/// AllowsSurge: more than one pod per node may run during an update.
pub fn allows_surge(ds: &DaemonSet) -> bool {
    surge_count(ds, 1).is_ok_and(|s| s > 0)
}

/// v1helper.FindMatchingUntoleratedTaint: whether a taint passing `filter` is tolerated by
/// none of the tolerations.
fn has_untolerated_taint(taints: &[Taint], tolerations: &[Toleration], filter: impl Fn(&Taint) -> bool) -> bool {
    taints.iter().filter(|t| filter(t)).any(|t| !tolerations.iter().any(|tol| tol.tolerates(t)))
}

/// NodeShouldRunDaemonPod: (shouldRun, shouldContinueRunning). A node must match the
/// template's nodeName, nodeSelector and required node affinity; an untolerated NoSchedule
/// or NoExecute taint keeps a new pod off, and only an untolerated NoExecute one stops a
/// running pod. `tolerations` are `daemon_pod_tolerations(ds)`.
pub fn node_should_run_daemon_pod(node: &Node, ds: &DaemonSet, tolerations: &[Toleration]) -> (bool, bool) {
    let spec = &ds.spec.template.spec;
    let name = &node.metadata.name;
    if !spec.node_name.is_empty() && spec.node_name != *name {
        return (false, false);
    }
    let labels = &node.metadata.labels;
    let selector_ok = spec.node_selector.iter().all(|(k, v)| labels.get(k) == Some(v));
    let affinity_ok =
        spec.affinity.as_ref().and_then(|a| a.node_affinity.as_ref()).and_then(|na| na.required.as_ref()).is_none_or(|req| req.matches(labels, name));
    if !selector_ok || !affinity_ok {
        return (false, false);
    }
    let taints = &node.spec.taints;
    if has_untolerated_taint(taints, tolerations, |t| t.effect == "NoExecute" || t.effect == "NoSchedule") {
        return (false, !has_untolerated_taint(taints, tolerations, |t| t.effect == "NoExecute"));
    }
    (true, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::affinity::PreferredSchedulingTerm;
    use crate::api::meta::Labels;

    fn pod(labels: &[(&str, &str)]) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = "pod1".into();
        p.metadata.namespace = "default".into();
        p.metadata.labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        p
    }

    /// daemonset_util_test.go TestIsPodUpdated, every case.
    #[test]
    fn is_pod_updated_matches_upstream() {
        let (gen, bad, hash) = (Some(12345), Some(12350), "55555");
        let labels = [(POD_TEMPLATE_GENERATION, "12345"), (CONTROLLER_REVISION_HASH, hash)];
        let no_hash = [(POD_TEMPLATE_GENERATION, "12345")];
        let other = format!("{hash}123");
        let cases: [(&str, Option<i64>, Pod, &str, bool); 10] = [
            ("templateGeneration and hash both match", gen, pod(&labels), hash, true),
            ("templateGeneration matches, hash doesn't", gen, pod(&labels), &other, true),
            ("templateGeneration matches, no hash label, has hash", gen, pod(&no_hash), hash, true),
            ("templateGeneration matches, no hash label, no hash", gen, pod(&no_hash), "", true),
            ("templateGeneration matches, has hash label, no hash", gen, pod(&labels), "", true),
            ("templateGeneration doesn't match, hash does", bad, pod(&labels), hash, true),
            ("templateGeneration and hash don't match", bad, pod(&labels), &other, false),
            ("empty labels, no hash", gen, pod(&[]), "", false),
            ("empty labels", gen, pod(&[]), hash, false),
            ("no labels", gen, pod(&[]), hash, false),
        ];
        for (name, g, p, h, want) in cases {
            assert_eq!(is_pod_updated(&p, h, g), want, "{name}");
        }
    }

    /// TestCreatePodTemplate: the generation label always, the hash label only with a hash.
    #[test]
    fn create_pod_template_labels() {
        for (gen, hash, unique) in [(1, "", false), (2, "3242341807", true)] {
            let t = create_pod_template(&PodTemplateSpec::default(), Some(gen), hash);
            assert_eq!(t.metadata.labels.get(POD_TEMPLATE_GENERATION), Some(&gen.to_string()));
            assert_eq!(t.metadata.labels.contains_key(CONTROLLER_REVISION_HASH), unique);
        }
    }

    fn fields(op: &str, values: &[&str]) -> NodeSelectorTerm {
        NodeSelectorTerm {
            match_expressions: vec![],
            match_fields: vec![NodeSelectorRequirement {
                key: OBJECT_NAME_FIELD.into(),
                operator: op.into(),
                values: values.iter().map(|s| s.to_string()).collect(),
            }],
        }
    }

    fn exprs(key: &str, values: &[&str]) -> NodeSelectorTerm {
        NodeSelectorTerm {
            match_expressions: vec![NodeSelectorRequirement { key: key.into(), operator: "In".into(), values: values.iter().map(|s| s.to_string()).collect() }],
            match_fields: vec![],
        }
    }

    fn required(terms: Vec<NodeSelectorTerm>) -> Affinity {
        Affinity { node_affinity: Some(NodeAffinity { required: Some(NodeSelector { node_selector_terms: terms }), preferred: vec![] }), ..Default::default() }
    }

    /// TestReplaceDaemonSetPodNodeNameNodeAffinity, every case: nil affinity; a hostname
    /// expression; preferred terms only (kept); two names; two terms; NotIn; an unknown
    /// field key — each ends with the one `metadata.name In [host_1]` term.
    #[test]
    fn node_name_affinity_replaces_required_terms() {
        let want = required(vec![fields("In", &["host_1"])]);
        let preferred = vec![PreferredSchedulingTerm { weight: 0, preference: exprs("kubernetes.io/hostname", &["host_1"]) }];
        let with_preferred = Affinity { node_affinity: Some(NodeAffinity { required: None, preferred: preferred.clone() }), ..Default::default() };
        let mut unknown_field = fields("In", &["bar"]);
        unknown_field.match_fields[0].key = "metadata.foo".into();
        let cases = [
            (None, want.clone()),
            (Some(required(vec![exprs("kubernetes.io/hostname", &["host_1"])])), want.clone()),
            (
                Some(with_preferred),
                Affinity {
                    node_affinity: Some(NodeAffinity { required: Some(NodeSelector { node_selector_terms: vec![fields("In", &["host_1"])] }), preferred }),
                    ..Default::default()
                },
            ),
            (Some(required(vec![fields("In", &["host_1", "host_2"])])), want.clone()),
            (None, want.clone()),
            (Some(required(vec![exprs("hostname", &["host_1"]), fields("In", &["host_2"])])), want.clone()),
            (Some(required(vec![fields("NotIn", &["host_2"])])), want.clone()),
            (Some(required(vec![unknown_field])), want.clone()),
        ];
        for (i, (input, expected)) in cases.into_iter().enumerate() {
            assert_eq!(replace_daemon_set_pod_node_name_node_affinity(input, "host_1"), expected, "case {i}");
        }
    }

    /// TestGetTargetNodeName: nodeName; one matchFields name; two names (error); nothing (error).
    #[test]
    fn target_node_name() {
        let mut p = pod(&[]);
        Rc::make_mut(&mut p.spec).node_name = "node-1".into();
        assert_eq!(get_target_node_name(&p), Ok("node-1".into()));
        let mut p = pod(&[]);
        Rc::make_mut(&mut p.spec).affinity = Some(required(vec![fields("In", &["node-1"])]));
        assert_eq!(get_target_node_name(&p), Ok("node-1".into()));
        Rc::make_mut(&mut p.spec).affinity = Some(required(vec![fields("In", &["node-1", "node-2"])]));
        assert!(get_target_node_name(&p).is_err());
        assert!(get_target_node_name(&pod(&[])).is_err());
    }

    /// The tolerations AddOrUpdateDaemonPodTolerations adds (daemon_controller_test.go
    /// TestTaintPressureNodeDaemonLaunchesPod / TestNodeDaemonLaunchesToleration expect
    /// them), network-unavailable only with hostNetwork, and an existing one with
    /// tolerationSeconds replaced by the one without.
    #[test]
    fn daemon_pods_tolerate_node_problems() {
        let mut spec = PodSpec::default();
        spec.tolerations.push(Toleration {
            key: TAINT_NOT_READY.into(),
            operator: "Exists".into(),
            value: String::new(),
            effect: "NoExecute".into(),
            toleration_seconds: Some(300),
        });
        add_or_update_daemon_pod_tolerations(&mut spec);
        let got: Vec<(String, String, Option<i64>)> = spec.tolerations.iter().map(|t| (t.key.clone(), t.effect.clone(), t.toleration_seconds)).collect();
        let want: Vec<(String, String, Option<i64>)> = [
            (TAINT_NOT_READY, "NoExecute"),
            (TAINT_UNREACHABLE, "NoExecute"),
            (TAINT_DISK_PRESSURE, "NoSchedule"),
            (TAINT_MEMORY_PRESSURE, "NoSchedule"),
            (TAINT_PID_PRESSURE, "NoSchedule"),
            (TAINT_UNSCHEDULABLE, "NoSchedule"),
        ]
        .iter()
        .map(|(k, e)| (k.to_string(), e.to_string(), None))
        .collect();
        assert_eq!(got, want);
        spec.host_network = Some(true);
        add_or_update_daemon_pod_tolerations(&mut spec);
        assert_eq!(spec.tolerations.len(), 7);
        assert_eq!(spec.tolerations[6].key, TAINT_NETWORK_UNAVAILABLE);
        let before = spec.tolerations.clone();
        add_or_update_daemon_pod_tolerations(&mut spec);
        assert_eq!(spec.tolerations, before, "idempotent");
    }

    fn node(name: &str, labels: &[(&str, &str)], taints: &[(&str, &str)]) -> Node {
        let mut n = Node::default();
        n.metadata.name = name.into();
        n.metadata.labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Labels>().into();
        n.spec.taints = taints.iter().map(|(k, e)| Taint { key: k.to_string(), value: String::new(), effect: e.to_string(), time_added: None }).collect();
        n
    }

    /// NodeShouldRunDaemonPod against daemon_controller_test.go's cases: a NoSchedule
    /// taint keeps new pods off but running ones on (TestTaintedNodeDaemonDoesNotLaunchIntolerantPods
    /// / shouldContinueRunning); a NoExecute one evicts (TestNodeShouldRunDaemonPod
    /// "tainted node"); node-role taints tolerated by the template (the website's fluentd
    /// example); unschedulable and not-ready taints are tolerated
    /// (TestUnschedulableNodeDaemonDoesLaunchPod, TestNotReadyNodeDaemonDoesLaunchPod); a
    /// nodeSelector and a required affinity term select (TestNodeAffinityDaemonLaunchesPods,
    /// TestSelectorDaemonLaunchesPods); a template nodeName pins (TestNameDaemonSetLaunchesPods).
    #[test]
    fn node_should_run_daemon_pod_cases() {
        let mut ds = DaemonSet::default();
        let run = |ds: &DaemonSet, n: &Node| node_should_run_daemon_pod(n, ds, &daemon_pod_tolerations(ds));
        assert_eq!(run(&ds, &node("n", &[], &[])), (true, true));
        assert_eq!(run(&ds, &node("n", &[], &[("master", "NoSchedule")])), (false, true));
        assert_eq!(run(&ds, &node("n", &[], &[("master", "NoExecute")])), (false, false));
        assert_eq!(run(&ds, &node("n", &[], &[("master", "PreferNoSchedule")])), (true, true));
        assert_eq!(
            run(&ds, &node("n", &[], &[(TAINT_UNSCHEDULABLE, "NoSchedule"), (TAINT_NOT_READY, "NoExecute"), (TAINT_UNREACHABLE, "NoExecute")])),
            (true, true)
        );
        assert_eq!(run(&ds, &node("n", &[], &[(TAINT_NOT_READY, "NoSchedule")])), (false, true), "not-ready NoSchedule is not tolerated");
        assert_eq!(run(&ds, &node("n", &[], &[(TAINT_NETWORK_UNAVAILABLE, "NoSchedule")])), (false, true));
        Rc::make_mut(&mut ds.spec.template.spec).host_network = Some(true);
        assert_eq!(run(&ds, &node("n", &[], &[(TAINT_NETWORK_UNAVAILABLE, "NoSchedule")])), (true, true), "hostNetwork pods tolerate it");
        Rc::make_mut(&mut ds.spec.template.spec).tolerations.push(exists("master", "NoSchedule"));
        assert_eq!(run(&ds, &node("n", &[], &[("master", "NoSchedule")])), (true, true));
        let spec = Rc::make_mut(&mut ds.spec.template.spec);
        spec.node_selector.insert("ssd".into(), "true".into());
        assert_eq!(run(&ds, &node("n", &[], &[])), (false, false));
        assert_eq!(run(&ds, &node("n", &[("ssd", "true")], &[])), (true, true));
        Rc::make_mut(&mut ds.spec.template.spec).affinity = Some(required(vec![exprs("zone", &["a"])]));
        assert_eq!(run(&ds, &node("n", &[("ssd", "true"), ("zone", "b")], &[])), (false, false));
        assert_eq!(run(&ds, &node("n", &[("ssd", "true"), ("zone", "a")], &[])), (true, true));
        Rc::make_mut(&mut ds.spec.template.spec).node_name = "other".into();
        assert_eq!(run(&ds, &node("n", &[("ssd", "true"), ("zone", "a")], &[])), (false, false));
    }
}
