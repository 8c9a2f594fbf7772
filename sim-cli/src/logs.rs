//! `ksim logs [pod/]NAME FILE… [-c CONTAINER] [--previous] [--at T] [-n NS]`: kubectl
//! logs' shape with what a simulator has. Containers run no code here, so a container's
//! log is its lifecycle as the kubelet records it in the pod's status — when it started
//! and, once it has, how it ended — for the current instance, or with `--previous` the
//! last terminated one (the kubelet keeps one dead container per container, as
//! upstream's `--previous` can read only that one). kubectl's errors: a pod not found, a
//! container still waiting to start, no previous instance, a container that does not
//! exist; several containers: the first, or the `kubectl.kubernetes.io/default-container`
//! annotation's, with kubectl's "Defaulted container" line on stderr.

use crate::run::{simulate, EXIT_BAD_INPUT};
use sim_core::api::pod::{ContainerState, ContainerStatus};
use sim_core::api::Kind;

pub struct Args<'a> {
    pub target: &'a str,
    pub files: &'a [String],
    pub container: Option<&'a str>,
    pub previous: bool,
    pub at: Option<&'a str>,
    pub seed: Option<u64>,
    pub namespace: Option<&'a str>,
}

/// A terminated instance's lines.
fn terminated_lines(name: &str, s: &ContainerState, out: &mut Vec<String>) {
    if let Some(t) = &s.terminated {
        if let Some(at) = t.started_at {
            out.push(format!("{} container {name} started", at.rfc3339()));
        }
        let reason = if t.reason.is_empty() { String::new() } else { format!(" ({})", t.reason) };
        out.push(format!("{} container {name} exited with code {}{reason}", t.finished_at.unwrap_or_default().rfc3339(), t.exit_code));
    }
}

/// How long the pod's containers run, and which rule of kubelet/annotations.rs said so.
fn run_time_line(pod: &sim_core::api::pod::Pod) -> String {
    use sim_core::engine::time::go_duration;
    use sim_core::kubelet::annotations::{run_time, RunSource};
    let (d, source) = run_time(pod);
    let d = d.map_or("until deleted".to_string(), |d| format!("for {}", go_duration(d)));
    let why = match source {
        RunSource::Annotation => "its ksim.dev/run-duration annotation".to_string(),
        RunSource::Sleeps => "the sleep steps of its command".to_string(),
        RunSource::Forever(what) => format!("its command's {what}"),
        RunSource::Default => format!("ksim's default for a pod meant to finish (restartPolicy {}) whose command names no time", pod.spec.restart_policy),
        RunSource::Server => "a long-running container: restartPolicy Always and no time in its command".to_string(),
    };
    format!("# the containers run {d}: {why}")
}

pub fn logs(a: Args) -> u8 {
    let name = match a.target.split_once('/') {
        Some(("pod" | "pods" | "po", n)) if !n.is_empty() => n,
        None => a.target,
        _ => {
            eprintln!("error: ksim logs reads pods: [pod/]NAME (got {})", sim_core::scenario::diagnostic::clip_quoted(a.target));
            return EXIT_BAD_INPUT;
        }
    };
    let sim = match simulate(a.files, a.at, a.seed) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let ns = a.namespace.unwrap_or("default");
    let Some(pod) = sim.api.store.get_parts(&Kind::Pod, ns, name).and_then(|o| o.as_pod()) else {
        eprintln!("Error from server (NotFound): pods {name:?} not found");
        return 1;
    };
    let names: Vec<&str> = pod.spec.containers.iter().map(|c| c.name.as_str()).collect();
    let container = match a.container {
        Some(c) if names.contains(&c) => c.to_string(),
        Some(c) => {
            eprintln!("error: container {c} is not valid for pod {name}");
            return 1;
        }
        None => {
            let default = pod.metadata.annotations.get("kubectl.kubernetes.io/default-container").filter(|d| names.contains(&d.as_str()));
            let chosen = default.cloned().unwrap_or_else(|| names.first().copied().unwrap_or_default().to_string());
            if names.len() > 1 && default.is_none() {
                eprintln!("Defaulted container {chosen:?} out of: {}", names.join(", "));
            }
            chosen
        }
    };
    // The logs come from the node's kubelet (its API on port 10250), through kube-apiserver.
    let query = if a.previous { "?previous=true" } else { "" };
    if let Some(e) = sim.kubelet_api_error(&pod.spec.node_name, &format!("/containerLogs/{ns}/{name}/{container}{query}")) {
        eprintln!("Error from server: {e}");
        return 1;
    }
    let status: Option<&ContainerStatus> = pod.status.container_statuses.iter().find(|s| *s.name == *container);
    let mut lines = vec![format!("# ksim runs no code: the lifecycle of container {container} as the kubelet recorded it"), run_time_line(pod)];
    let empty = ContainerState::default();
    let (state, last) = status.map_or((&empty, &empty), |s| (&s.state, &s.last_state));
    if a.previous {
        if last.terminated.is_none() {
            eprintln!("Error from server (BadRequest): previous terminated container {container:?} in pod {name:?} not found");
            return 1;
        }
        terminated_lines(&container, last, &mut lines);
    } else if let Some(r) = &state.running {
        lines.push(format!("{} container {container} started", r.started_at.unwrap_or_default().rfc3339()));
    } else if state.terminated.is_some() {
        terminated_lines(&container, state, &mut lines);
    } else if last.terminated.is_some() {
        // Waiting to restart (CrashLoopBackOff): the kubelet serves the last instance.
        terminated_lines(&container, last, &mut lines);
    } else {
        let reason = state.waiting.as_ref().map_or("ContainerCreating".to_string(), |w| w.reason.to_string());
        eprintln!("Error from server (BadRequest): container {container:?} in pod {name:?} is waiting to start: {reason}");
        return 1;
    }
    for l in lines {
        println!("{l}");
    }
    0
}
