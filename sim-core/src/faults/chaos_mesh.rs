//! Chaos Mesh's PodChaos (chaos-mesh.org/v1alpha1), so that a scenario written for that
//! tool reads the same here: a PodChaos applied (at t = 0 or on the timeline) is stored
//! as the object it is, and its experiment is injected at that moment — the pods its
//! selector selects (api/v1alpha1 PodSelectorSpec; pkg/selector/pod: namespaces, default
//! the experiment's own; labelSelectors, expressionSelectors, annotationSelectors,
//! fieldSelectors, nodes, nodeSelectors, podPhaseSelectors; `pods` naming them outright),
//! narrowed by `mode` (one, all, fixed, fixed-percent, random-max-percent, with `value`),
//! then `pod-kill` (deleted with `gracePeriod`, 0 by default), `container-kill` (each of
//! `containerNames` killed by the runtime) or `pod-failure`: for `duration` every
//! container's and init container's image is swapped for the pause image
//! (`gcr.io/google-containers/pause:latest`, pkg/config/controller.go
//! PodFailurePauseImage's default) by a merge patch of the pod, the original kept in an
//! annotation named as GenKeyForImage names it (`chaos-mesh-<name>-pod-failure-<container>-normal-image`,
//! or the container's name with `-normal`/`-init` when that is longer than 63 characters),
//! and put back when the duration ends (controllers/chaosimpl/podchaos/podfailure/impl.go
//! Apply and Recover). The kubelet restarts the containers for the changed definition
//! each time; the paused container answers nothing. Without `duration` the webhook accepts
//! it and the experiment runs until it is deleted (controllers/common/desiredphase:
//! DurationExceeded is false without one), here until `delete: podchaos/NAME` or the
//! end of the run. A selector that matches nothing is not an error: the experiment
//! records "no pod is selected", as Chaos Mesh does.
//!
//! Upstream read at v2.8.3 (60ec97f1fd5d5edb2fb5c722c8888e18b618d1a0):
//! api/v1alpha1/podchaos_types.go, podchaos_webhook.go, common_webhook.go (Duration,
//! PodSelector.Validate), common_errors.go; pkg/annotation/utils.go; the docs page
//! "Simulate Pod Faults" (chaos-mesh/website docs/simulate-pod-chaos-on-kubernetes.md).
//!
//! Where ksim differs: the injection is the simulator's (upstream:
//! chaos-controller-manager and chaos-daemon, with their own delays), and the pause image
//! is modelled only as an app that does not answer: a container with a `command` (which
//! the pause image lacks, so upstream's container fails to start) runs paused here too,
//! and a liveness probe that would fail against it is not run (see README).

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

const ACTIONS: [&str; 3] = ["pod-kill", "pod-failure", "container-kill"];
const MODES: [&str; 5] = ["one", "all", "fixed", "fixed-percent", "random-max-percent"];

/// The image pod-failure runs in place of the containers' (pkg/config/controller.go,
/// PodFailurePauseImage's default; helm's controllerManager.podChaos.podFailure.pauseImage).
pub const PAUSE_IMAGE: &str = "gcr.io/google-containers/pause:latest";

/// The annotation pod-failure keeps a container's image in (pkg/annotation/utils.go
/// GenKeyForImage).
pub fn image_key(chaos_name: &str, action: &str, container: &str, init: bool) -> String {
    let container = format!("{container}-{}", if init { "init" } else { "normal" });
    let key = format!("chaos-mesh-{chaos_name}-{action}-{container}-image");
    // "name part of annotation must be no more than 63 characters"
    if key.len() > 63 {
        container
    } else {
        key
    }
}

/// The webhook's validation (podchaos_webhook.go, common_webhook.go's PodSelector and
/// Duration), as `(field, message)`.
pub fn validate(spec: &PodChaosSpec) -> Vec<(String, String)> {
    let mut errs = Vec::new();
    if !ACTIONS.contains(&spec.action.as_str()) {
        errs.push(("spec.action".into(), format!("Unsupported value: {:?}: supported values: \"pod-kill\", \"pod-failure\", \"container-kill\"", spec.action)));
    }
    errs.extend(validate_selector("spec", &spec.mode, spec.value.as_deref()));
    if spec.action == "container-kill" && spec.container_names.as_ref().is_none_or(Vec::is_empty) {
        let shown = if spec.container_names.is_none() { "[]string(nil)" } else { "[]string{}" };
        // errors.Wrapf(errInvalidValue, …): the message, then ": invalid value".
        errs.push(("spec.containerNames".into(), format!("Invalid value: {shown}: the name of container is required on container-kill action: invalid value")));
    }
    errs.extend(validate_duration("spec.duration", spec.duration.as_deref()));
    errs
}

/// PodSelector.Validate (common_webhook.go) with the CRD's enum for `mode`, at `path`.
pub fn validate_selector(path: &str, mode: &str, value: Option<&str>) -> Vec<(String, String)> {
    let mut errs = Vec::new();
    if !MODES.contains(&mode) {
        errs.push((
            format!("{path}.mode"),
            format!("Unsupported value: {mode:?}: supported values: \"one\", \"all\", \"fixed\", \"fixed-percent\", \"random-max-percent\""),
        ));
    }
    let value = value.unwrap_or_default();
    let parsed = value.parse::<i64>().map_err(|_| format!("parse value field error:strconv.Atoi: parsing {value:?}: invalid syntax"));
    let field = format!("{path}.value");
    match mode {
        "fixed" => match parsed {
            Err(e) => errs.push((field, format!("Invalid value: {value:?}: {e}"))),
            Ok(n) if n <= 0 => errs.push((field, format!("Invalid value: {value:?}: value must be greater than 0 with mode:fixed"))),
            Ok(_) => {}
        },
        "fixed-percent" | "random-max-percent" => match parsed {
            Err(e) => errs.push((field, format!("Invalid value: {value:?}: {e}"))),
            Ok(p) if p <= 0 || p > 100 => errs.push((field, format!("Invalid value: {value:?}: value of {p} is invalid, Must be (0,100] with mode:{mode}"))),
            Ok(_) => {}
        },
        _ => {}
    }
    errs
}

/// Duration.Validate (common_webhook.go): empty is allowed, else Go's time.ParseDuration.
pub fn validate_duration(field: &str, d: Option<&str>) -> Vec<(String, String)> {
    match d {
        Some(d) if !d.is_empty() => match go_duration_ns(d) {
            Ok(_) => Vec::new(),
            Err(e) => vec![(field.to_string(), format!("Invalid value: {d:?}: parse duration field error: {e}"))],
        },
        _ => Vec::new(),
    }
}

/// Go's time.ParseDuration, in nanoseconds, with its error words (`time: invalid
/// duration "x"`, `time: missing unit in duration "30"`, `time: unknown unit "d" in
/// duration "1d"`).
pub fn go_duration_ns(s: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {s:?}");
    let mut rest = s;
    let neg = rest.starts_with('-');
    if let Some(r) = rest.strip_prefix('-').or_else(|| rest.strip_prefix('+')) {
        rest = r;
    }
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (num, after) = rest.split_at(n);
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(invalid());
        }
        let u = after.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(after.len());
        let (unit, after) = after.split_at(u);
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {s:?}"));
        }
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(format!("time: unknown unit {unit:?} in duration {s:?}")),
        };
        total += num.parse::<f64>().map_err(|_| invalid())? * scale;
        if total > i64::MAX as f64 {
            return Err(invalid());
        }
        rest = after;
    }
    Ok(if neg { -(total as i64) } else { total as i64 })
}

/// pod-failure's Apply (podfailure/impl.go): the merge patch that swaps every container's
/// and init container's image for the pause image and keeps the original under
/// [`image_key`]; a container whose key is already there is skipped. None: nothing to do.
pub fn pod_failure_patch(chaos_name: &str, pod: &Pod) -> Option<serde_json::Value> {
    swap_images(pod, |c, init, annotations| {
        let key = image_key(chaos_name, "pod-failure", &c.name, init);
        if annotations.contains_key(&key) {
            return None;
        }
        Some((key, serde_json::Value::from(c.image.clone()), PAUSE_IMAGE.to_string()))
    })
}

/// pod-failure's Recover: each container whose key is there gets its image back, and the
/// key is removed. None: nothing to put back.
pub fn pod_failure_recover_patch(chaos_name: &str, pod: &Pod) -> Option<serde_json::Value> {
    swap_images(pod, |c, init, annotations| {
        let key = image_key(chaos_name, "pod-failure", &c.name, init);
        annotations.get(&key).map(|image| (key, serde_json::Value::Null, image.clone()))
    })
}

/// A merge patch of the pod's containers (the whole lists, as a merge patch replaces
/// arrays) and annotations: `swap` gives, per container, (annotation, its new value,
/// the container's new image).
fn swap_images(
    pod: &Pod,
    swap: impl Fn(&crate::api::pod::Container, bool, &BTreeMap<String, String>) -> Option<(String, serde_json::Value, String)>,
) -> Option<serde_json::Value> {
    let annotations = &pod.metadata.annotations;
    let mut notes = serde_json::Map::new();
    let mut lists = Vec::new();
    for (field, list, init) in [("containers", &pod.spec.containers[..], false), ("initContainers", &pod.spec.init_containers[..], true)] {
        let mut changed = false;
        let mut out = Vec::new();
        for c in list {
            let mut v = serde_json::to_value(c).expect("a container serializes");
            if let Some((key, note, image)) = swap(c, init, annotations) {
                notes.insert(key, note);
                v["image"] = serde_json::Value::from(image);
                changed = true;
            }
            out.push(v);
        }
        if changed {
            lists.push((field, out));
        }
    }
    if lists.is_empty() {
        return None;
    }
    let spec: serde_json::Map<String, serde_json::Value> = lists.into_iter().map(|(f, l)| (f.to_string(), serde_json::Value::from(l))).collect();
    Some(serde_json::json!({"metadata": {"annotations": notes}, "spec": spec}))
}

/// Whether a pod matches the selector (the experiment lives in `own_namespace`).
fn matches(s: &PodSelectorSpec, p: &Pod, node_labels: &dyn Fn(&str) -> Option<Labels>, own_namespace: &str) -> bool {
    let m = &p.metadata;
    if !s.pods.is_empty() {
        return s.pods.get(m.namespace.as_str()).is_some_and(|names| names.iter().any(|n| *n == *m.name));
    }
    let in_ns = if s.namespaces.is_empty() { m.namespace == own_namespace } else { s.namespaces.iter().any(|n| *n == m.namespace) };
    let labels = s.label_selectors.iter().all(|(k, v)| m.labels.get(k) == Some(v)) && s.expression_selectors.iter().all(|r| r.matches(&m.labels));
    let annotations = s.annotation_selectors.iter().all(|(k, v)| m.annotations.get(k) == Some(v));
    let fields = s.field_selectors.iter().all(|(k, v)| match k.as_str() {
        "metadata.name" => &m.name == v,
        "metadata.namespace" => &m.namespace == v,
        "spec.nodeName" => &p.spec.node_name == v,
        "status.phase" => &*p.status.phase == v,
        _ => false,
    });
    let nodes = s.nodes.is_empty() || s.nodes.iter().any(|n| *n == *p.spec.node_name);
    let node_selected =
        s.node_selectors.is_empty() || node_labels(&p.spec.node_name).is_some_and(|l| s.node_selectors.iter().all(|(k, v)| l.get(k) == Some(v)));
    let phase = s.pod_phase_selectors.is_empty() || s.pod_phase_selectors.iter().any(|ph| ph == &*p.status.phase);
    in_ns && labels && annotations && fields && nodes && node_selected && phase
}

/// The pods an experiment selects: the candidates (in namespace/name order) narrowed by
/// the mode, drawn from `rng` (pkg/selector/pod filterPodsByMode). Err: none matched.
pub fn select<'a>(
    selector: &PodSelectorSpec,
    mode: &str,
    value: Option<&str>,
    pods: impl Iterator<Item = &'a Pod>,
    node_labels: &dyn Fn(&str) -> Option<Labels>,
    own_namespace: &str,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<&'a Pod>, &'static str> {
    let mut candidates: Vec<&Pod> = pods.filter(|p| matches(selector, p, node_labels, own_namespace)).collect();
    if candidates.is_empty() {
        return Err("no pod is selected");
    }
    candidates.sort_by(|a, b| (&a.metadata.namespace, &a.metadata.name).cmp(&(&b.metadata.namespace, &b.metadata.name)));
    let n = candidates.len();
    let value = value.and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
    let count = match mode {
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
        let n = |s: &PodChaosSpec, rng: &mut ChaCha8Rng| select(&s.selector, &s.mode, s.value.as_deref(), pods.iter(), &none, "default", rng).map(|v| v.len());
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
                    "Invalid value: []string(nil): the name of container is required on container-kill action: invalid value".to_string()
                ),
            ]
        );
        assert_eq!(validate(&spec("fixed", Some("x")))[0].1, "Invalid value: \"x\": parse value field error:strconv.Atoi: parsing \"x\": invalid syntax");
        let mut s = spec("all", None);
        s.action = "pod-failure".into();
        assert!(validate(&s).is_empty(), "pod-failure without a duration is accepted (Duration.Validate allows nil)");
        s.duration = Some("30".into());
        assert_eq!(
            validate(&s),
            [("spec.duration".to_string(), "Invalid value: \"30\": parse duration field error: time: missing unit in duration \"30\"".to_string())]
        );
    }

    #[test]
    fn go_durations_parse_as_time_parse_duration() {
        assert_eq!(go_duration_ns("30s"), Ok(30_000_000_000));
        assert_eq!(go_duration_ns("1m30s"), Ok(90_000_000_000));
        assert_eq!(go_duration_ns("1.5ms"), Ok(1_500_000));
        assert_eq!(go_duration_ns("100us"), Ok(100_000));
        assert_eq!(go_duration_ns("0"), Ok(0));
        assert_eq!(go_duration_ns("abc"), Err("time: invalid duration \"abc\"".into()));
        assert_eq!(go_duration_ns("1d"), Err("time: unknown unit \"d\" in duration \"1d\"".into()));
        assert_eq!(go_duration_ns(""), Err("time: invalid duration \"\"".into()));
    }

    #[test]
    fn pod_failure_keeps_images_under_gen_key_for_image() {
        assert_eq!(image_key("pf", "pod-failure", "web", false), "chaos-mesh-pf-pod-failure-web-normal-image");
        assert_eq!(image_key("pf", "pod-failure", "setup", true), "chaos-mesh-pf-pod-failure-setup-init-image");
        // Over 63 characters: the container's name alone.
        assert_eq!(image_key("a-rather-long-experiment-name", "pod-failure", "web", false), "web-normal");
    }
}
