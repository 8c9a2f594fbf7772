//! The `ksim.dev/...` pod annotations that stand in for what containers would do.
//! Containers run no code; these say how long each stage takes and how they end.
//!
//! | annotation | default | meaning |
//! |---|---|---|
//! | `ksim.dev/sandbox-duration` | `500ms` | creating the pod sandbox (network namespace, IP) |
//! | `ksim.dev/image-pull-duration` | `2s` | pulling one image that is not cached on the node |
//! | `ksim.dev/startup-duration` | `1s` | from images present to containers running |
//! | `ksim.dev/run-duration` | from the command, see below | how long the containers run before they exit |
//! | `ksim.dev/exit-code` | from the command's `exit N`, else `0` | the exit code when they do |
//! | `ksim.dev/exit-code-by-index` | none | an Indexed Job's pods' exit codes by completion index, `INDEX=CODE,…` (`0=1,2=1,4=42`); an index not listed exits as `ksim.dev/exit-code` says — for the documentation's Jobs whose script decides by `JOB_COMPLETION_INDEX` |
//! | `ksim.dev/termination-duration` | `1s` | how long the containers take to stop after SIGTERM (capped by the grace period) |
//! | `ksim.dev/boot-duration` | `0s` | how long the app takes, once its containers run, before it accepts connections (requests before then are refused) |
//! | `ksim.dev/prestop-duration` | none | how long a preStop `exec` or `httpGet` hook runs (a `sleep` action, or an exec of `sleep N`, says it itself) |
//! | `ksim.dev/image-pull-error` | none | the registry refuses pulls: `notfound` (the tag does not exist) or `denied` (the repository does not exist or needs credentials), for every image of the pod, or per image (`nginx:1.99=notfound, private/app:2=denied`); the kubelet reports ErrImagePull, then ImagePullBackOff between retries |
//! | `ksim.dev/cpu-demand`, `ksim.dev/cpu-usage`, `ksim.dev/cpu-per-request` | none | the CPU the workload's load asks of its Ready pods, one pod's own use, and what each request of the traffic model costs the pod answering it (usage.rs) |
//! | `ksim.dev/memory-usage` | none | the first container's memory use over its run: `300Mi`, or steps from its start, `100Mi from 0s; 300Mi from 1m` (each start begins again). Above its memory limit, the kernel's OOM killer ends it: `OOMKilled`, exit code 137 |
//! | `ksim.dev/liveness-fails-after` | never | when, after each start, the first container's liveness probe starts failing (the prober: `Unhealthy`, then after failureThreshold failures `Killing` and a restart) |
//! | `ksim.dev/readiness-fails` | never | when, after each start, the first container's readiness probe fails (`from 1m until 2m`, or `from 1m`): failureThreshold failures in a row make the pod not ready (out of its Services' endpoints), successThreshold successes ready again |
//! | `ksim.dev/liveness-output` | empty | what a failing exec liveness probe prints (httpGet, tcpSocket and grpc probes say what upstream's probers say) |
//! | `ksim.dev/image-size` | unknown | the size of the pod's images once pulled (a quantity, e.g. `150Mi`): the node reports it in `status.images`, which the scheduler's ImageLocality plugin scores |
//!
//! Readiness follows the first container's readinessProbe: ready `initialDelaySeconds`
//! after start (immediately without a probe).
//!
//! Without `ksim.dev/run-duration`, each regular container's run time is read from its
//! `command` and `args`, and the pod's containers have exited once the longest-running
//! one has ([`run_time`]):
//! - a loop that never ends (`while true`, `while :`, `sleep infinity`, `tail -f`) runs
//!   until the pod is deleted;
//! - otherwise the `sleep N` steps add up (`echo hi && sleep 3600` runs an hour, then
//!   exits 0 — and, with restartPolicy Always, restarts as it would in a cluster);
//! - a pod meant to finish (restartPolicy Never or OnFailure, which every Job's pod has)
//!   whose command sleeps nowhere (`echo hi`, `perl -Mbignum=bpi -wle 'print bpi(2000)'`)
//!   or that has no command runs [`DEFAULT_RUN`] (10 s) and exits 0;
//! - any other pod (restartPolicy Always, a server's image) runs until deleted.
//!
//! `ksim logs` says which rule gave a container its run time. An init container runs its
//! command's sleeps, else [`INIT_RUN`] (1 s), and exits 0.

use crate::api::pod::Pod;
use crate::engine::SimDuration;

pub const SANDBOX: &str = "ksim.dev/sandbox-duration";
pub const IMAGE_PULL: &str = "ksim.dev/image-pull-duration";
pub const STARTUP: &str = "ksim.dev/startup-duration";
pub const RUN: &str = "ksim.dev/run-duration";
pub const EXIT_CODE: &str = "ksim.dev/exit-code";
pub const EXIT_CODE_BY_INDEX: &str = "ksim.dev/exit-code-by-index";
pub const TERMINATION: &str = "ksim.dev/termination-duration";
pub const IMAGE_SIZE: &str = "ksim.dev/image-size";
pub const BOOT: &str = "ksim.dev/boot-duration";
pub const PRESTOP: &str = "ksim.dev/prestop-duration";
pub const IMAGE_PULL_ERROR: &str = "ksim.dev/image-pull-error";
pub const MEMORY_USAGE: &str = "ksim.dev/memory-usage";
/// When, after each start of the first container, its liveness probe starts failing.
pub const LIVENESS_FAILS_AFTER: &str = "ksim.dev/liveness-fails-after";
/// What a failing exec liveness probe prints.
pub const LIVENESS_OUTPUT: &str = "ksim.dev/liveness-output";
/// When, after each start, the first container's readiness probe fails: `from 1m until
/// 2m` (or `from 1m`: from then on).
pub const READINESS_FAILS: &str = "ksim.dev/readiness-fails";

/// Parses `ksim.dev/readiness-fails`: (from, until) after the container's start.
pub fn readiness_fails(v: &str) -> Result<(SimDuration, Option<SimDuration>), String> {
    let rest = v.trim().strip_prefix("from ").ok_or("expected `from D` or `from D until D`")?;
    let (from, until) = match rest.split_once(" until ") {
        Some((f, u)) => (f.trim(), Some(u.trim())),
        None => (rest.trim(), None),
    };
    let from = SimDuration::parse(from).map_err(|e| format!("{from:?}: {e}"))?;
    let until = until.map(|u| SimDuration::parse(u).map_err(|e| format!("{u:?}: {e}"))).transpose()?;
    if until.is_some_and(|u| u <= from) {
        return Err("`until` must come after `from`".into());
    }
    Ok((from, until))
}

/// Parses `ksim.dev/memory-usage`: a quantity, or `Q from D` steps separated by `;`
/// (times from the container's start, increasing). Returns (from, bytes) steps.
pub fn memory_usage(v: &str) -> Result<Vec<(SimDuration, i64)>, String> {
    crate::usage::steps(v, false)
}

/// When, after its start, the pod's first container outgrows its memory limit (the OOM
/// killer's moment), if it does.
pub fn oom_after(pod: &Pod) -> Option<SimDuration> {
    let steps = memory_usage(pod.metadata.annotations.get(MEMORY_USAGE)?).ok()?;
    let limit = pod.spec.containers.first()?.resources.limits.get("memory")?.value();
    steps.iter().find(|(_, b)| *b > limit).map(|(d, _)| *d)
}

/// Why a registry refuses an image (`ksim.dev/image-pull-error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullError {
    /// The tag does not exist.
    NotFound,
    /// The repository does not exist, or needs credentials the pod does not give.
    Denied,
}

fn pull_error_word(w: &str) -> Option<PullError> {
    match w {
        "notfound" => Some(PullError::NotFound),
        "denied" => Some(PullError::Denied),
        _ => None,
    }
}

/// `ksim.dev/image-pull-error` parsed: the refusal of every image, or image by image.
pub type PullErrors = (Option<PullError>, Vec<(String, PullError)>);

/// Parses `ksim.dev/image-pull-error`: one word for every image, or `IMAGE=WORD` pairs.
pub fn image_pull_errors(v: &str) -> Result<PullErrors, String> {
    let v = v.trim();
    if let Some(e) = pull_error_word(v) {
        return Ok((Some(e), Vec::new()));
    }
    let mut out = Vec::new();
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((image, word)) = part.rsplit_once('=') else {
            return Err(format!("{part:?}: expected `notfound`, `denied`, or IMAGE=notfound|denied"));
        };
        let e = pull_error_word(word.trim()).ok_or_else(|| format!("{:?}: expected notfound or denied", word.trim()))?;
        out.push((image.trim().to_string(), e));
    }
    if out.is_empty() {
        return Err("expected `notfound`, `denied`, or IMAGE=notfound|denied".into());
    }
    Ok((None, out))
}

/// The registry's refusal of `image` for this pod, if any.
pub fn image_pull_error(pod: &Pod, image: &str) -> Option<PullError> {
    let (all, each) = image_pull_errors(pod.metadata.annotations.get(IMAGE_PULL_ERROR)?).ok()?;
    all.or_else(|| each.iter().find(|(i, _)| i == image).map(|(_, e)| *e))
}

/// The CRI's error for a refused pull, as containerd words it (pull.go: "failed to pull
/// and unpack image", client.fetch: "failed to resolve reference", the docker resolver's
/// not found and Docker Hub's denial), through gRPC (`rpc error: code = … desc = …`).
pub fn pull_error_message(image: &str, e: PullError) -> String {
    let r = docker_reference(image);
    match e {
        PullError::NotFound => {
            format!("rpc error: code = NotFound desc = failed to pull and unpack image \"{r}\": failed to resolve reference \"{r}\": {r}: not found")
        }
        PullError::Denied => format!(
            "rpc error: code = Unknown desc = failed to pull and unpack image \"{r}\": failed to resolve reference \"{r}\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
        ),
    }
}

/// docker/distribution's ParseNormalizedNamed then TagNameOnly: Docker Hub's domain and
/// `library/` for a bare name, `:latest` without a tag or digest.
pub fn docker_reference(image: &str) -> String {
    let (first, rest) = match image.split_once('/') {
        Some((f, r)) => (f, Some(r)),
        None => (image, None),
    };
    let full = match rest {
        Some(r) if first.contains('.') || first.contains(':') || first == "localhost" => format!("{first}/{r}"),
        Some(_) => format!("docker.io/{image}"),
        None => format!("docker.io/library/{image}"),
    };
    let last = full.rsplit('/').next().unwrap_or("");
    if full.contains('@') || last.contains(':') {
        full
    } else {
        format!("{full}:latest")
    }
}

/// How long a pod meant to finish runs when nothing says otherwise.
pub const DEFAULT_RUN: SimDuration = SimDuration::from_secs(10);

/// Where a pod's run time came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunSource {
    Annotation,
    /// The `sleep` steps of the command.
    Sleeps,
    /// A loop or wait that never ends.
    Forever(&'static str),
    /// A pod meant to finish with no time of its own: [`DEFAULT_RUN`].
    Default,
    /// A long-running pod (restartPolicy Always, no sleeps).
    Server,
}

/// The pod's run time and why: its regular containers all run together, so the pod's
/// containers have exited when the longest-running one has (one that never ends keeps
/// the pod running — the documentation's "legacy sidecar" that keeps a Job from
/// completing); see the module's documentation for each container's.
pub fn run_time(pod: &Pod) -> (Option<SimDuration>, RunSource) {
    if let Some(d) = pod.metadata.annotations.get(RUN).and_then(|v| SimDuration::parse(v).ok()) {
        return (Some(d), RunSource::Annotation);
    }
    if pod.spec.containers.is_empty() {
        return (None, RunSource::Server);
    }
    let mut longest: (Option<SimDuration>, RunSource) = (Some(SimDuration::ZERO), RunSource::Default);
    for c in pod.spec.containers.iter() {
        let r = container_run_time(pod, c);
        longest = match (longest.0, r.0) {
            (None, _) => longest,
            (_, None) => r,
            (Some(a), Some(b)) if b >= a => r,
            _ => longest,
        };
    }
    longest
}

/// One container's run time and why.
fn container_run_time(pod: &Pod, c: &crate::api::pod::Container) -> (Option<SimDuration>, RunSource) {
    let words = command_words(c);
    if let Some(what) = forever(&words) {
        return (None, RunSource::Forever(what));
    }
    if let Some(d) = sleeps(&words) {
        return (Some(d), RunSource::Sleeps);
    }
    if matches!(pod.spec.restart_policy.as_str(), "Never" | "OnFailure") {
        return (Some(DEFAULT_RUN), RunSource::Default);
    }
    (None, RunSource::Server)
}

/// A command that never ends: `while true`, `while :`, `while [ 1 ]` (or `[ true ]`,
/// `[[ 1 ]]`), `until false`, `for ((;;))`, `sleep infinity`, `tail -f`. A loop with a
/// real condition (`while [ $i -lt 3 ]`) ends, and is timed by its sleeps.
fn forever(words: &[String]) -> Option<&'static str> {
    let w = |i: usize| words.get(i).map(String::as_str);
    for i in 0..words.len() {
        match (w(i), w(i + 1), w(i + 2), w(i + 3)) {
            (Some("while"), Some("true" | ":"), _, _) | (Some("until"), Some("false"), _, _) => return Some("a loop that never ends"),
            (Some("while"), Some("["), Some("1" | "true"), Some("]")) | (Some("while"), Some("[["), Some("1" | "true"), Some("]]")) => {
                return Some("a loop that never ends")
            }
            (Some("for"), Some("(("), Some("))"), _) => return Some("a loop that never ends"),
            (Some("sleep"), Some("infinity" | "inf"), _, _) => return Some("sleep infinity"),
            (Some("tail"), Some("-f" | "-F"), _, _) => return Some("tail -f"),
            _ => {}
        }
    }
    None
}

/// How long an init container runs when its command names no time.
pub const INIT_RUN: SimDuration = SimDuration::from_secs(1);

/// An init container's run time: None when its command never ends (the pod then stays
/// initializing, as it would), else its sleeps, else [`INIT_RUN`] (a sidecar's does not
/// matter: it runs beside the app).
pub fn init_run_time(c: &crate::api::pod::Container) -> Option<SimDuration> {
    let words = command_words(c);
    if forever(&words).is_some() {
        return None;
    }
    Some(sleeps(&words).unwrap_or(INIT_RUN))
}

/// The sum of a command's `sleep`s, if it has any.
fn sleeps(words: &[String]) -> Option<SimDuration> {
    let mut args = words.windows(2).filter(|w| w[0] == "sleep" || w[0].ends_with("/sleep")).filter_map(|w| sleep_arg(&w[1])).peekable();
    args.peek()?;
    Some(SimDuration::from_ms(args.map(|d| d.as_ms()).sum()))
}

/// `INDEX=CODE,…` → (index, code) pairs.
pub fn exit_codes_by_index(v: &str) -> Result<Vec<(i32, i32)>, String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (i, c) = pair.split_once('=').ok_or_else(|| format!("{pair:?} is not INDEX=CODE"))?;
            let i: i32 = i.trim().parse().ok().filter(|i| *i >= 0).ok_or_else(|| format!("{:?} is not a completion index", i.trim()))?;
            let c: i32 =
                c.trim().parse().ok().filter(|c| (0..=255).contains(c)).ok_or_else(|| format!("{:?} is not an exit code between 0 and 255", c.trim()))?;
            Ok((i, c))
        })
        .collect()
}

/// The containers' exit code: `ksim.dev/exit-code-by-index` for the pod's completion
/// index, else `ksim.dev/exit-code`, else the first `exit N` of a container's command
/// and args (`echo "Hello world!" && sleep 5 && exit 42` exits 42), else 0.
pub fn exit_code(pod: &Pod) -> i32 {
    let a = &pod.metadata.annotations;
    let index = a.get(crate::api::job::JOB_COMPLETION_INDEX).and_then(|v| v.parse::<i32>().ok());
    if let (Some(i), Some(map)) = (index, a.get(EXIT_CODE_BY_INDEX).and_then(|v| exit_codes_by_index(v).ok())) {
        if let Some((_, c)) = map.iter().find(|(k, _)| *k == i) {
            return *c;
        }
    }
    if let Some(c) = a.get(EXIT_CODE).and_then(|v| v.parse().ok()) {
        return c;
    }
    pod.spec
        .containers
        .iter()
        .find_map(|c| command_words(c).windows(2).find(|w| w[0] == "exit").and_then(|w| w[1].parse::<i32>().ok()).filter(|c| *c != 0 && (0..=255).contains(c)))
        .unwrap_or(0)
}

/// A container's command and args, split into shell words (roughly: on blanks and `;`,
/// `&`, `|`).
fn command_words(c: &crate::api::pod::Container) -> Vec<String> {
    [&c.command, &c.args]
        .into_iter()
        .filter_map(|v| v.as_deref().and_then(|v| v.as_array()))
        .flatten()
        .filter_map(|w| w.as_str())
        .flat_map(|w| {
            w.split(|ch: char| ch.is_whitespace() || ch == ';' || ch == '&' || ch == '|').filter(|s| !s.is_empty()).map(str::to_string).collect::<Vec<_>>()
        })
        .collect()
}

/// coreutils sleep's argument: a number with an optional s, m, h or d suffix.
fn sleep_arg(s: &str) -> Option<SimDuration> {
    let s = s.trim_matches(|c| c == '"' || c == '\'');
    let (num, mult) = match s.chars().last()? {
        's' => (&s[..s.len() - 1], 1.0),
        'm' => (&s[..s.len() - 1], 60.0),
        'h' => (&s[..s.len() - 1], 3600.0),
        'd' => (&s[..s.len() - 1], 86400.0),
        _ => (s, 1.0),
    };
    let v: f64 = num.parse().ok()?;
    (v.is_finite() && v >= 0.0 && v * mult < 1e9).then(|| SimDuration::from_ms((v * mult * 1000.0).round() as u64))
}

pub const ALL: [&str; 9] = [SANDBOX, IMAGE_PULL, STARTUP, RUN, EXIT_CODE, EXIT_CODE_BY_INDEX, TERMINATION, BOOT, PRESTOP];

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
        } else if k == EXIT_CODE_BY_INDEX {
            if let Err(e) = exit_codes_by_index(v) {
                errs.push((k.clone(), format!("Invalid value: {v:?}: {e}")));
            }
        } else if k == READINESS_FAILS {
            if let Err(e) = readiness_fails(v) {
                errs.push((k.clone(), format!("Invalid value: {v:?}: {e}")));
            }
        } else if k == LIVENESS_FAILS_AFTER {
            if let Err(e) = SimDuration::parse(v) {
                errs.push((k.clone(), format!("Invalid value: {v:?}: {e}")));
            }
        } else if k == MEMORY_USAGE {
            if let Err(e) = memory_usage(v) {
                errs.push((k.clone(), format!("Invalid value: {v:?}: {e}")));
            }
        } else if k == crate::usage::CPU_DEMAND || k == crate::usage::CPU_USAGE {
            if let Err(e) = crate::usage::steps(v, true) {
                errs.push((k.clone(), format!("Invalid value: {v:?}: {e}")));
            }
        } else if k == crate::usage::CPU_PER_REQUEST {
            if let Err(e) = crate::usage::per_request(v) {
                errs.push((k.clone(), format!("Invalid value: {v:?}: {e}")));
            }
        } else if k == IMAGE_PULL_ERROR {
            if let Err(e) = image_pull_errors(v) {
                errs.push((k.clone(), format!("Invalid value: {v:?}: {e}")));
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
            run: run_time(pod).0,
            exit_code: exit_code(pod),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(restart: &str, command: serde_json::Value) -> Pod {
        let mut p: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p"},
            "spec": {"restartPolicy": restart, "containers": [{"name": "c", "image": "busybox", "command": command}]}
        }))
        .unwrap();
        if command_is_null(&p) {
            std::rc::Rc::make_mut(&mut p.spec).containers = std::rc::Rc::new(vec![crate::api::pod::Container { name: "c".into(), ..Default::default() }]);
        }
        p
    }

    fn command_is_null(p: &Pod) -> bool {
        p.spec.containers[0].command.as_deref().is_some_and(|v| v.is_null())
    }

    #[test]
    fn run_time_comes_from_the_command() {
        let s = SimDuration::from_secs;
        assert_eq!(run_time(&pod("Always", serde_json::json!(["sh", "-c", "echo Hello Kubernetes! && sleep 3600"]))), (Some(s(3600)), RunSource::Sleeps));
        assert_eq!(run_time(&pod("Always", serde_json::json!(["sleep", "1h"]))), (Some(s(3600)), RunSource::Sleeps));
        assert_eq!(
            run_time(&pod("Never", serde_json::json!(["sh", "-c", "sleep 5; echo done; sleep 2.5"]))),
            (Some(SimDuration::from_ms(7500)), RunSource::Sleeps)
        );
        assert_eq!(run_time(&pod("Always", serde_json::json!(["/bin/sh", "-c", "while true; do echo hello; sleep 10;done"]))).0, None);
        assert_eq!(run_time(&pod("Always", serde_json::json!(["sh", "-c", "for ((;;)); do date; sleep 1; done"]))).0, None);
        // A loop with a real condition ends: its sleeps time it.
        assert_eq!(run_time(&pod("Never", serde_json::json!(["sh", "-c", "i=0; while [ $i -lt 3 ]; do i=$((i+1)); sleep 1; done"]))).0, Some(s(1)));
        assert_eq!(run_time(&pod("Never", serde_json::json!(["sleep", "infinity"]))).0, None);
        assert_eq!(run_time(&pod("Never", serde_json::json!(["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"]))), (Some(DEFAULT_RUN), RunSource::Default));
        assert_eq!(run_time(&pod("OnFailure", serde_json::Value::Null)), (Some(DEFAULT_RUN), RunSource::Default));
        assert_eq!(run_time(&pod("Always", serde_json::json!(["nginx", "-g", "daemon off;"]))), (None, RunSource::Server));
    }
}

#[cfg(test)]
mod exit_tests {
    use super::*;

    #[test]
    fn exit_codes_come_from_annotations_then_the_command() {
        let mut p: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "annotations": {"batch.kubernetes.io/job-completion-index": "2"}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "bash:5", "command": ["bash"], "args": ["-c", "echo \"Hello world!\" && sleep 5 && exit 42"]}]}
        }))
        .unwrap();
        assert_eq!(exit_code(&p), 42);
        assert_eq!(run_time(&p).0, Some(SimDuration::from_secs(5)));
        p.metadata.annotations.insert(EXIT_CODE.into(), "3".into());
        assert_eq!(exit_code(&p), 3);
        p.metadata.annotations.insert(EXIT_CODE_BY_INDEX.into(), "0=1, 2=7".into());
        assert_eq!(exit_code(&p), 7);
        assert!(exit_codes_by_index("0=1,x=2").is_err());
        assert!(exit_codes_by_index("0=256").is_err());
    }
}
