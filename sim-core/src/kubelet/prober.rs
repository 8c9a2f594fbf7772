//! The kubelet's liveness prober (pkg/kubelet/prober: prober_manager.go, worker.go,
//! prober.go), for a pod's first container.
//!
//! A worker is started with the pod (AddPod) and probes every `periodSeconds` (default
//! 10) from then; a probe before `initialDelaySeconds` have passed since the container
//! started, or while it is not running, does nothing. Each failed probe records Warning
//! `Unhealthy` "Liveness probe failed: <output>"; `failureThreshold` (default 3)
//! failures in a row make the result Failure and the kubelet kills the container —
//! Normal `Killing` "Container app failed liveness probe, will be restarted" — with the
//! probe's `terminationGracePeriodSeconds` or the pod's, and restarts it as for any exit
//! (restartPolicy, the crash-loop back-off). A success resets the count.
//!
//! Containers run no code: when a probe fails comes from `ksim.dev/liveness-fails-after`
//! (a duration from each start of the container, e.g. a deadlock 2 minutes in), and its
//! output from the handler: an httpGet gets "HTTP probe failed with statuscode: 500", a
//! tcpSocket "dial tcp IP:PORT: connect: connection refused", a grpc check "service
//! unhealthy (responded with "NOT_SERVING")", an exec the command's output from
//! `ksim.dev/liveness-output` (empty if not given). A container killed this way exits on
//! SIGTERM with code 143 (128 + 15) if it stops within the grace period, else 137.
//! Readiness is a delay (`initialDelaySeconds`), unless `ksim.dev/readiness-fails` gives
//! the readiness probe failures to report: then a readiness worker ticks as the liveness
//! one does (readiness_tick). A startup probe ticks from each start of the container
//! until it succeeds — once the app has booted (`ksim.dev/boot-duration`) — and until then
//! the container is not started (containerStatuses[].started false), not ready, and not
//! liveness- or readiness-probed (worker.doProbe); failureThreshold failures kill it as
//! a failed liveness probe does. Upstream's startup worker ticks on its own grid from the
//! pod's admission; ksim's starts with each container start.

use super::pod_workers::{Phase, PodStep};
use super::Kubelet;
use crate::api::pod::Probe;
use crate::client::Ctx;
use crate::engine::SimDuration;

use super::annotations::{readiness_fails, LIVENESS_FAILS_AFTER, LIVENESS_OUTPUT, READINESS_FAILS};

/// The grace period of a kill for a failed probe: the probe's
/// terminationGracePeriodSeconds, else the pod's (30 s by default).
fn kill_grace(probe: &Probe, pod: &crate::api::pod::Pod) -> SimDuration {
    SimDuration::from_secs(probe.termination_grace_period_seconds.or(pod.spec.termination_grace_period_seconds).unwrap_or(30).max(0) as u64)
}

pub(super) fn period(p: &Probe) -> SimDuration {
    SimDuration::from_secs(p.period_seconds.filter(|s| *s > 0).unwrap_or(10) as u64)
}

/// What a failed probe says (prober.go runProbe's output for each handler).
fn failure_output(p: &Probe, pod: &crate::api::pod::Pod) -> String {
    if p.http_get.is_some() {
        return "HTTP probe failed with statuscode: 500".into();
    }
    if let Some(t) = p.tcp_socket.as_deref() {
        let port = t.get("port").map(|v| v.as_str().map(String::from).unwrap_or_else(|| v.to_string())).unwrap_or_default();
        return format!("dial tcp {}:{port}: connect: connection refused", pod.status.pod_ip);
    }
    if p.grpc.is_some() {
        return "service unhealthy (responded with \"NOT_SERVING\")".into();
    }
    pod.metadata.annotations.get(LIVENESS_OUTPUT).cloned().unwrap_or_default()
}

impl Kubelet {
    /// AddPod: the pod's liveness and readiness workers start ticking when their probes
    /// have failures to report (`ksim.dev/liveness-fails-after`, `readiness-fails`);
    /// otherwise a liveness probe always passes and readiness is the initial delay.
    pub(super) fn start_prober(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get(uid) else { return };
        let Some(pod) = w.pod.as_pod() else { return };
        let Some(c) = pod.spec.containers.first() else { return };
        // A probe that never fails changes nothing: only probes with failures to report
        // tick (a big cluster's healthy probes would cost an engine event each period).
        let live = c.liveness_probe.clone().filter(|_| pod.metadata.annotations.contains_key(LIVENESS_FAILS_AFTER));
        let ready = c.readiness_probe.clone().filter(|_| pod.metadata.annotations.contains_key(READINESS_FAILS));
        if let Some(p) = live {
            self.timer(uid, period(&p), PodStep::LivenessProbe, ctx);
        }
        if let Some(p) = ready {
            self.timer(uid, period(&p), PodStep::ReadinessTick, ctx);
        }
    }

    /// One readiness probe in a failure window (`ksim.dev/readiness-fails`): each failure
    /// is `Unhealthy` "Readiness probe failed: …"; failureThreshold in a row make the pod
    /// not ready, successThreshold (default 1) successes ready again (worker.doProbe's
    /// resultRun). Before the initial delay has passed readiness is the delay's.
    pub(super) fn readiness_tick(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get(uid) else { return };
        if matches!(w.phase, Phase::Done | Phase::Killing) {
            return;
        }
        let pod = w.pod.clone();
        let Some(p) = pod.as_pod() else { return };
        let Some(probe) = p.spec.containers.first().and_then(|c| c.readiness_probe.clone()) else { return };
        let Some((from, until)) = p.metadata.annotations.get(READINESS_FAILS).and_then(|v| readiness_fails(v).ok()) else { return };
        let now = ctx.now;
        self.timer(uid, period(&probe), PodStep::ReadinessTick, ctx);
        let w = self.workers.get_mut(uid).expect("worker");
        let Some(started) = w.started_at.get().filter(|_| w.phase == Phase::Running && w.started) else {
            w.readiness_run = (0, 0);
            return;
        };
        let initial = SimDuration::from_secs(probe.initial_delay_seconds.unwrap_or(0).max(0) as u64);
        if now < started + initial {
            return;
        }
        let since = now.since(started);
        let failed = w.paused || (since >= from && until.is_none_or(|u| since < u));
        if failed {
            w.readiness_run = (w.readiness_run.0 + 1, 0);
            let threshold = probe.failure_threshold.filter(|t| *t > 0).unwrap_or(3);
            let became = w.ready && w.readiness_run.0 >= threshold;
            if became {
                w.ready = false;
            }
            let out = if probe.exec.is_some() { String::new() } else { failure_output(&probe, p) };
            self.event(&pod, "Warning", "Unhealthy", &format!("Readiness probe failed: {out}"), ctx);
            if became {
                self.sync_status(uid, ctx);
            }
        } else {
            w.readiness_run = (0, w.readiness_run.1 + 1);
            let threshold = probe.success_threshold.filter(|t| *t > 0).unwrap_or(1);
            if !w.ready && w.readiness_run.1 >= threshold {
                w.ready = true;
                self.sync_status(uid, ctx);
            }
        }
    }

    /// One liveness probe (worker.doProbe).
    pub(super) fn liveness_probe(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if matches!(w.phase, Phase::Done | Phase::Killing) {
            return;
        }
        let pod = w.pod.clone();
        let Some(p) = pod.as_pod() else { return };
        let Some(probe) = p.spec.containers.first().and_then(|c| c.liveness_probe.clone()) else { return };
        let now = ctx.now;
        self.timer(uid, period(&probe), PodStep::LivenessProbe, ctx);
        let w = self.workers.get_mut(uid).expect("worker");
        // Liveness is not probed until the startup probe has succeeded.
        let running = w.phase == Phase::Running && w.rare.kill_exit.is_none() && w.started;
        let Some(started) = w.started_at.get().filter(|_| running) else { return };
        let initial = SimDuration::from_secs(probe.initial_delay_seconds.unwrap_or(0).max(0) as u64);
        if now < started + initial {
            return;
        }
        let fails_after = p.metadata.annotations.get(LIVENESS_FAILS_AFTER).and_then(|v| SimDuration::parse(v).ok());
        let failed = fails_after.is_some_and(|d| now >= started + d);
        if !failed {
            w.liveness_failures = 0;
            return;
        }
        w.liveness_failures += 1;
        let threshold = probe.failure_threshold.filter(|t| *t > 0).unwrap_or(3);
        let name = p.spec.containers[0].name.clone();
        let out = failure_output(&probe, p);
        self.event(&pod, "Warning", "Unhealthy", &format!("Liveness probe failed: {out}"), ctx);
        let w = self.workers.get_mut(uid).expect("worker");
        if w.liveness_failures < threshold {
            return;
        }
        // The result is Failure: the kubelet kills the container (SIGTERM, the grace
        // period, then SIGKILL) and restarts it.
        w.liveness_failures = 0;
        self.kill_to_restart(uid, &[name], "failed liveness probe", kill_grace(&probe, p), ctx);
    }

    /// The startup prober's next tick, `d` from now (the one it will take as due).
    pub(super) fn startup_tick(&mut self, uid: &str, d: SimDuration, ctx: &mut Ctx) {
        if let Some(w) = self.workers.get_mut(uid) {
            w.rare.startup_due = Some(ctx.now + d);
        }
        self.timer(uid, d, PodStep::StartupProbe, ctx);
    }

    /// One startup probe (worker.doProbe for a startup worker): skipped before
    /// initialDelaySeconds; it succeeds once the app has booted (`ksim.dev/boot-duration`
    /// from the container's start, 0 by default) — the container is then started, the
    /// probe stops (until the container's next start), and readiness follows. Before
    /// that, each probe fails as a connection to an app that is not listening fails
    /// (Unhealthy "Startup probe failed: …"), and failureThreshold failures in a row kill
    /// the container ("failed startup probe, will be restarted").
    pub(super) fn startup_probe(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.rare.startup_due != Some(ctx.now) {
            return; // a chain from before the container's last start
        }
        if let Some(r) = w.rare.existing() {
            r.startup_due = None;
        }
        if w.phase != Phase::Running || w.started || w.rare.kill_exit.is_some() {
            return;
        }
        let pod = w.pod.clone();
        let Some(p) = pod.as_pod() else { return };
        let Some(probe) = p.spec.containers.first().and_then(|c| c.startup_probe.clone()) else { return };
        let now = ctx.now;
        let Some(started) = w.started_at.get() else { return };
        let initial = SimDuration::from_secs(probe.initial_delay_seconds.unwrap_or(0).max(0) as u64);
        if now < started + initial {
            self.startup_tick(uid, period(&probe), ctx);
            return;
        }
        // Chaos Mesh's pause image listens on nothing: the probe never succeeds.
        if now >= started + w.behaviour.boot && !w.paused {
            // Success (successThreshold must be 1 for a startup probe): started.
            w.started = true;
            w.startup_failures = 0;
            match w.behaviour.readiness_delay.map(|d| started + d).filter(|at| *at > now) {
                Some(at) => {
                    let d = at.since(now);
                    self.timer(uid, d, PodStep::ReadinessProbe, ctx);
                }
                None => {
                    self.readiness_probe(uid, ctx);
                    return;
                }
            }
            self.sync_status(uid, ctx);
            return;
        }
        w.startup_failures += 1;
        let failures = w.startup_failures;
        let threshold = probe.failure_threshold.filter(|t| *t > 0).unwrap_or(3);
        let out = not_listening_output(&probe, p);
        self.event(&pod, "Warning", "Unhealthy", &format!("Startup probe failed: {out}"), ctx);
        if failures < threshold {
            self.startup_tick(uid, period(&probe), ctx);
            return;
        }
        // As for a failed liveness probe: killed, and restarted as for any exit.
        if let Some(w) = self.workers.get_mut(uid) {
            w.startup_failures = 0;
        }
        let name = p.spec.containers[0].name.clone();
        self.kill_to_restart(uid, &[name], "failed startup probe", kill_grace(&probe, p), ctx);
    }
}

/// What a probe of an app that is not listening yet says: the HTTP client's error
/// (`Get "http://IP:PORT/PATH": dial tcp IP:PORT: connect: connection refused`), the TCP
/// dial's, or an exec command's output (`ksim.dev/liveness-output`, empty if not given).
fn not_listening_output(p: &Probe, pod: &crate::api::pod::Pod) -> String {
    let ip = &pod.status.pod_ip;
    let port_of = |v: Option<&serde_json::Value>| -> String {
        match v {
            Some(serde_json::Value::Number(n)) => n.to_string(),
            // A named port: the container's port of that name.
            Some(serde_json::Value::String(name)) => pod
                .spec
                .containers
                .iter()
                .flat_map(|c| c.ports.iter())
                .find(|cp| cp.name.as_deref() == Some(name.as_str()))
                .map_or_else(|| name.clone(), |cp| cp.container_port.to_string()),
            _ => String::new(),
        }
    };
    if let Some(h) = p.http_get.as_deref() {
        let port = port_of(h.get("port"));
        let scheme = h.get("scheme").and_then(|s| s.as_str()).unwrap_or("HTTP").to_ascii_lowercase();
        let path = h.get("path").and_then(|s| s.as_str()).unwrap_or("");
        return format!("Get \"{scheme}://{ip}:{port}{path}\": dial tcp {ip}:{port}: connect: connection refused");
    }
    if let Some(t) = p.tcp_socket.as_deref() {
        return format!("dial tcp {ip}:{}: connect: connection refused", port_of(t.get("port")));
    }
    failure_output(p, pod)
}
