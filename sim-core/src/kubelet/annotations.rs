//! The `ksim.dev/...` pod annotations that stand in for what containers would do.
//! Containers run no code; these say how long each stage takes and how they end.
//!
//! | annotation | default | meaning |
//! |---|---|---|
//! | `ksim.dev/sandbox-duration` | `500ms` | creating the pod sandbox (network namespace, IP) |
//! | `ksim.dev/image-pull-duration` | `2s` | pulling one image that is not cached on the node |
//! | `ksim.dev/startup-duration` | `1s` | from images present to containers running |
//! | `ksim.dev/run-duration` | none (runs until deleted) | how long the containers run before they exit |
//! | `ksim.dev/exit-code` | `0` | the exit code when they do |
//! | `ksim.dev/termination-duration` | `1s` | how long the containers take to stop after SIGTERM (capped by the grace period) |
//! | `ksim.dev/boot-duration` | `0s` | how long the app takes, once its containers run, before it accepts connections (requests before then are refused) |
//! | `ksim.dev/prestop-duration` | none | how long a preStop `exec` or `httpGet` hook runs (a `sleep` action, or an exec of `sleep N`, says it itself) |
//! | `ksim.dev/image-size` | unknown | the size of the pod's images once pulled (a quantity, e.g. `150Mi`): the node reports it in `status.images`, which the scheduler's ImageLocality plugin scores |
//!
//! Readiness follows the first container's readinessProbe: ready `initialDelaySeconds`
//! after start (immediately without a probe).

use crate::api::pod::Pod;
use crate::engine::SimDuration;

pub const SANDBOX: &str = "ksim.dev/sandbox-duration";
pub const IMAGE_PULL: &str = "ksim.dev/image-pull-duration";
pub const STARTUP: &str = "ksim.dev/startup-duration";
pub const RUN: &str = "ksim.dev/run-duration";
pub const EXIT_CODE: &str = "ksim.dev/exit-code";
pub const TERMINATION: &str = "ksim.dev/termination-duration";
pub const IMAGE_SIZE: &str = "ksim.dev/image-size";
pub const BOOT: &str = "ksim.dev/boot-duration";
pub const PRESTOP: &str = "ksim.dev/prestop-duration";

pub const ALL: [&str; 8] = [SANDBOX, IMAGE_PULL, STARTUP, RUN, EXIT_CODE, TERMINATION, BOOT, PRESTOP];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodBehaviour {
    pub sandbox: SimDuration,
    pub image_pull: SimDuration,
    pub startup: SimDuration,
    pub run: Option<SimDuration>,
    pub exit_code: i32,
    pub termination: SimDuration,
    pub readiness_delay: Option<SimDuration>,
    pub boot: SimDuration,
    /// The first container's preStop hook's run time (None: no hook).
    pub pre_stop: Option<SimDuration>,
}

/// Checks the annotations of a pod (or template): `(annotation, error)` for each bad one.
pub fn validate(annotations: &std::collections::BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut errs = Vec::new();
    for (k, v) in annotations {
        if !k.starts_with("ksim.dev/") {
            continue;
        }
        if k == IMAGE_SIZE {
            match crate::api::quantity::Quantity::parse(v) {
                Ok(q) if q.value() >= 0 => {}
                _ => errs.push((k.clone(), format!("Invalid value: {v:?}: must be a non-negative quantity of bytes, e.g. 150Mi"))),
            }
        } else if k == EXIT_CODE {
            if v.parse::<i32>().map_or(true, |c| !(0..=255).contains(&c)) {
                errs.push((k.clone(), format!("Invalid value: {v:?}: must be an exit code between 0 and 255")));
            }
        } else if ALL.contains(&k.as_str()) {
            if let Err(e) = SimDuration::parse(v) {
                errs.push((k.clone(), format!("Invalid value: {v:?}: {e}")));
            }
        } else if k.ends_with("-duration") || k.ends_with("-code") {
            errs.push((k.clone(), format!("Unsupported value: {k:?}: supported annotations: {}", ALL.join(", "))));
        }
    }
    errs
}

impl PodBehaviour {
    pub fn of(pod: &Pod) -> Self {
        let a = &pod.metadata.annotations;
        let dur = |k: &str, d: u64| a.get(k).and_then(|v| SimDuration::parse(v).ok()).unwrap_or(SimDuration::from_ms(d));
        let readiness_delay = pod
            .spec
            .containers
            .first()
            .and_then(|c| c.readiness_probe.as_ref())
            .map(|p| SimDuration::from_secs(p.initial_delay_seconds.unwrap_or(0).max(0) as u64))
            .filter(|d| *d > SimDuration::ZERO);
        PodBehaviour {
            sandbox: dur(SANDBOX, 500),
            image_pull: dur(IMAGE_PULL, 2000),
            startup: dur(STARTUP, 1000),
            run: a.get(RUN).and_then(|v| SimDuration::parse(v).ok()),
            exit_code: a.get(EXIT_CODE).and_then(|v| v.parse().ok()).unwrap_or(0),
            termination: dur(TERMINATION, 1000),
            readiness_delay,
            boot: dur(BOOT, 0),
            pre_stop: pod.spec.containers.first().and_then(|c| pre_stop(c.lifecycle.as_deref(), a.get(PRESTOP))),
        }
    }
}

/// How long a container's preStop hook runs: the `sleep` action's seconds
/// (PodLifecycleSleepAction); an exec of `sleep N` (directly or through `sh -c`) takes N
/// seconds; otherwise (another command, httpGet) what `ksim.dev/prestop-duration` says,
/// else no time.
fn pre_stop(lifecycle: Option<&serde_json::Value>, annotation: Option<&String>) -> Option<SimDuration> {
    let hook = lifecycle?.get("preStop")?;
    if let Some(secs) = hook.pointer("/sleep/seconds").and_then(|v| v.as_i64()) {
        return Some(SimDuration::from_secs(secs.max(0) as u64));
    }
    let from_annotation = annotation.and_then(|v| SimDuration::parse(v).ok());
    let command: Vec<&str> =
        hook.pointer("/exec/command").and_then(|v| v.as_array()).map(|a| a.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
    let words: Vec<&str> = command.iter().flat_map(|w| w.split_whitespace()).collect();
    let slept =
        words.windows(2).find(|w| w[0] == "sleep" || w[0].ends_with("/sleep")).and_then(|w| w[1].parse::<f64>().ok()).filter(|s| s.is_finite() && *s >= 0.0);
    Some(from_annotation.or_else(|| slept.map(|s| SimDuration::from_ms((s * 1000.0).round() as u64))).unwrap_or(SimDuration::ZERO))
}
