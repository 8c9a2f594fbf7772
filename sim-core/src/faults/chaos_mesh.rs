//! Chaos Mesh's PodChaos (chaos-mesh.org/v1alpha1), so that a scenario written for that
//! tool reads the same here: a PodChaos applied (at t = 0 or on the timeline) is stored
//! as the object it is, and its experiment is injected at that moment — the pods its
//! selector selects (api/v1alpha1 PodSelectorSpec; pkg/selector/pod: namespaces, default
//! the experiment's own; labelSelectors, expressionSelectors, annotationSelectors,
//! fieldSelectors, nodes, nodeSelectors, podPhaseSelectors; `pods` naming them outright),
//! narrowed by `mode` (one, all, fixed, fixed-percent, random-max-percent, with `value`),
//! then `pod-kill` (deleted with `gracePeriod`, 0 by default) or `container-kill` (each of
//! `containerNames` killed by the runtime). A selector that matches nothing is not an
//! error: the experiment records "no pod is selected", as Chaos Mesh does.
//!
//! Where ksim differs: the injection is the simulator's (upstream:
//! chaos-controller-manager and chaos-daemon, with their own delays), and `pod-failure`
//! (which swaps the containers' images for `pause` for the duration) is not modelled yet:
//! it is refused when the scenario loads.

use crate::api::meta::{LabelSelectorRequirement, Labels};
use crate::api::pod::Pod;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use std::collections::BTreeMap;

pub const API_VERSION: &str = "chaos-mesh.org/v1alpha1";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodChaosSpec {
    pub action: String,
    pub mode: String,
    #[serde(default)]
    pub value: Option<String>,
    pub selector: PodSelectorSpec,
    #[serde(default)]
    pub container_names: Option<Vec<String>>,
    #[serde(default)]
    pub grace_period: Option<i64>,
    #[serde(default)]
    pub duration: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSelectorSpec {
    #[serde(default)]
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub label_selectors: Labels,
    #[serde(default)]
    pub expression_selectors: Vec<LabelSelectorRequirement>,
    #[serde(default)]
    pub annotation_selectors: Labels,
    #[serde(default)]
    pub field_selectors: Labels,
    #[serde(default)]
    pub nodes: Vec<String>,
    #[serde(default)]
    pub node_selectors: Labels,
    #[serde(default)]
    pub pod_phase_selectors: Vec<String>,
    #[serde(default)]
    pub pods: BTreeMap<String, Vec<String>>,
}

const ACTIONS: [&str; 2] = ["pod-kill", "container-kill"];
const MODES: [&str; 5] = ["one", "all", "fixed", "fixed-percent", "random-max-percent"];

/// The webhook's validation (podchaos_webhook.go, ValidatePodMode), as `(field, message)`.
pub fn validate(spec: &PodChaosSpec) -> Vec<(String, String)> {
    let mut errs = Vec::new();
    if spec.action == "pod-failure" {
        errs.push((
            "spec.action".into(),
            "Unsupported value: \"pod-failure\": ksim models pod-kill and container-kill (pod-failure's image swap is not modelled yet)".into(),
        ));
    } else if !ACTIONS.contains(&spec.action.as_str()) {
        errs.push(("spec.action".into(), format!("Unsupported value: {:?}: supported values: \"pod-kill\", \"pod-failure\", \"container-kill\"", spec.action)));
    }
    if !MODES.contains(&spec.mode.as_str()) {
        errs.push((
            "spec.mode".into(),
            format!("Unsupported value: {:?}: supported values: \"one\", \"all\", \"fixed\", \"fixed-percent\", \"random-max-percent\"", spec.mode),
        ));
    }
    let value = spec.value.clone().unwrap_or_default();
    let parsed = value.parse::<i64>().map_err(|_| format!("parse value field error:strconv.Atoi: parsing {value:?}: invalid syntax"));
    match spec.mode.as_str() {
        "fixed" => match parsed {
            Err(e) => errs.push(("spec.value".into(), format!("Invalid value: {value:?}: {e}"))),
            Ok(n) if n <= 0 => errs.push(("spec.value".into(), format!("Invalid value: {value:?}: value must be greater than 0 with mode:fixed"))),
            Ok(_) => {}
        },
        "fixed-percent" | "random-max-percent" => match parsed {
            Err(e) => errs.push(("spec.value".into(), format!("Invalid value: {value:?}: {e}"))),
            Ok(p) if p <= 0 || p > 100 => {
                errs.push(("spec.value".into(), format!("Invalid value: {value:?}: value of {p} is invalid, Must be (0,100] with mode:{}", spec.mode)))
            }
            Ok(_) => {}
        },
        _ => {}
    }
    if spec.action == "container-kill" && spec.container_names.as_ref().is_none_or(Vec::is_empty) {
        let shown = if spec.container_names.is_none() { "[]string(nil)" } else { "[]string{}" };
        errs.push(("spec.containerNames".into(), format!("Invalid value: {shown}: the name of container should not be empty on container-kill action")));
    }
    errs
}

/// Whether a pod matches the selector (the experiment lives in `own_namespace`).
fn matches(s: &PodSelectorSpec, p: &Pod, node_labels: &dyn Fn(&str) -> Option<Labels>, own_namespace: &str) -> bool {
    let m = &p.metadata;
    if !s.pods.is_empty() {
        return s.pods.get(&m.namespace).is_some_and(|names| names.contains(&m.name));
    }
    let in_ns = if s.namespaces.is_empty() { m.namespace == own_namespace } else { s.namespaces.contains(&m.namespace) };
    let labels = s.label_selectors.iter().all(|(k, v)| m.labels.get(k) == Some(v)) && s.expression_selectors.iter().all(|r| r.matches(&m.labels));
    let annotations = s.annotation_selectors.iter().all(|(k, v)| m.annotations.get(k) == Some(v));
    let fields = s.field_selectors.iter().all(|(k, v)| match k.as_str() {
        "metadata.name" => &m.name == v,
        "metadata.namespace" => &m.namespace == v,
        "spec.nodeName" => &p.spec.node_name == v,
        "status.phase" => &*p.status.phase == v,
        _ => false,
    });
    let nodes = s.nodes.is_empty() || s.nodes.contains(&p.spec.node_name);
    let node_selected =
        s.node_selectors.is_empty() || node_labels(&p.spec.node_name).is_some_and(|l| s.node_selectors.iter().all(|(k, v)| l.get(k) == Some(v)));
    let phase = s.pod_phase_selectors.is_empty() || s.pod_phase_selectors.iter().any(|ph| ph == &*p.status.phase);
    in_ns && labels && annotations && fields && nodes && node_selected && phase
}

/// The pods an experiment selects: the candidates (in namespace/name order) narrowed by
/// the mode, drawn from `rng` (pkg/selector/pod filterPodsByMode). Err: none matched.
pub fn select<'a>(
    spec: &PodChaosSpec,
    pods: impl Iterator<Item = &'a Pod>,
    node_labels: &dyn Fn(&str) -> Option<Labels>,
    own_namespace: &str,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<&'a Pod>, &'static str> {
    let mut candidates: Vec<&Pod> = pods.filter(|p| matches(&spec.selector, p, node_labels, own_namespace)).collect();
    if candidates.is_empty() {
        return Err("no pod is selected");
    }
    candidates.sort_by(|a, b| (&a.metadata.namespace, &a.metadata.name).cmp(&(&b.metadata.namespace, &b.metadata.name)));
    let n = candidates.len();
    let value = spec.value.as_deref().and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
    let count = match spec.mode.as_str() {
        "one" => 1,
        "all" => n,
        "fixed" => value.min(n),
        // math.Floor(len × percentage / 100)
        "fixed-percent" => n * value / 100,
        // a percentage drawn from [0, max]
        "random-max-percent" => n * rng.random_range(0..=value) / 100,
        _ => 0,
    };
    // A partial Fisher–Yates shuffle: the first `count` of a random permutation.
    for i in 0..count.min(n) {
        let j = rng.random_range(i..n);
        candidates.swap(i, j);
    }
    candidates.truncate(count.min(n));
    Ok(candidates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    fn pod(ns: &str, name: &str, app: &str) -> Pod {
        let mut p = Pod::default();
        p.metadata.namespace = ns.into();
        p.metadata.name = name.into();
        p.metadata.labels.insert("app".into(), app.into());
        p
    }

    fn spec(mode: &str, value: Option<&str>) -> PodChaosSpec {
        PodChaosSpec {
            action: "pod-kill".into(),
            mode: mode.into(),
            value: value.map(String::from),
            selector: PodSelectorSpec { label_selectors: [("app".to_string(), "web".to_string())].into_iter().collect(), ..Default::default() },
            ..Default::default()
        }
    }

    #[test]
    fn modes_select_as_chaos_mesh_counts() {
        let pods: Vec<Pod> =
            (0..10).map(|i| pod("default", &format!("web-{i}"), "web")).chain([pod("default", "db-0", "db"), pod("other", "web-x", "web")]).collect();
        let none = |_: &str| None;
        let mut rng = RngStreams::new(1).stream("chaos");
        let n = |s: &PodChaosSpec, rng: &mut ChaCha8Rng| select(s, pods.iter(), &none, "default", rng).map(|v| v.len());
        // Only the experiment's namespace by default, and only app=web: 10 candidates.
        assert_eq!(n(&spec("all", None), &mut rng), Ok(10));
        assert_eq!(n(&spec("one", None), &mut rng), Ok(1));
        assert_eq!(n(&spec("fixed", Some("3")), &mut rng), Ok(3));
        assert_eq!(n(&spec("fixed", Some("30")), &mut rng), Ok(10));
        // floor(10 × 25 / 100) = 2
        assert_eq!(n(&spec("fixed-percent", Some("25")), &mut rng), Ok(2));
        let mut s = spec("all", None);
        s.selector.label_selectors.insert("app".into(), "cache".into());
        assert_eq!(n(&s, &mut rng), Err("no pod is selected"));
        s.selector = PodSelectorSpec { pods: [("other".to_string(), vec!["web-x".to_string()])].into_iter().collect(), ..Default::default() };
        assert_eq!(n(&s, &mut rng), Ok(1), "pods names them outright");
    }

    #[test]
    fn the_webhooks_words() {
        let mut s = spec("fixed-percent", Some("150"));
        s.action = "container-kill".into();
        let errs = validate(&s);
        assert_eq!(
            errs,
            [
                ("spec.value".to_string(), "Invalid value: \"150\": value of 150 is invalid, Must be (0,100] with mode:fixed-percent".to_string()),
                (
                    "spec.containerNames".to_string(),
                    "Invalid value: []string(nil): the name of container should not be empty on container-kill action".to_string()
                ),
            ]
        );
        assert_eq!(validate(&spec("fixed", Some("x")))[0].1, "Invalid value: \"x\": parse value field error:strconv.Atoi: parsing \"x\": invalid syntax");
    }
}
