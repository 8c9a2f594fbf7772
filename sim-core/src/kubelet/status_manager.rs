//! The pod status the kubelet posts (upstream kubelet_pods.go generateAPIPodStatus and
//! pkg/kubelet/status, the status manager): phase, pod IP, container statuses (state,
//! last state, restart count, ready) and the pod conditions, sent only when they changed.
//!
//! Upstream posts a status when a pod sync begins (kubelet.go SyncPod:
//! generateAPIPodStatus, then SetPodStatus) and none while kuberuntime's SyncPod runs; so
//! does ksim for a pod's first sync, which makes the sandbox, pulls the images and starts
//! the containers (or the first init container): its status after admission (Pending,
//! ContainerCreating, no IP but a hostNetwork pod's node IP) is followed by the one of
//! the started containers, IP and all (`pod_workers::in_first_sync`).
//!
//! Differences from upstream: all containers of a pod share one state; the status is
//! posted at once (upstream's status manager batches and retries); `imageID` is empty;
//! after a pull error, and for a restart, a new sandbox or a changed image, the steps
//! post their status as they happen (the containers created, then started) where
//! upstream posts at the start of each sync.

use super::pod_workers::{go_duration, InitState, Phase, Worker};
use super::Kubelet;
use crate::api::meta::{Text, Time};
use crate::api::pod::{ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting, ContainerStatus, Pod, PodIp, PodIps};
use crate::api::Object;
use crate::apiserver::Request;
use crate::client::Ctx;
use crate::engine::{SimDuration, SimTime};
use crate::network::ipam::{format_ip, ip_is};
use thin_vec::ThinVec;

/// A container's `terminated` state from (exit code, started, finished).
pub(super) fn terminated((code, started, finished): (i32, SimTime, SimTime)) -> ContainerState {
    ContainerState {
        terminated: Some(Box::new(ContainerStateTerminated {
            exit_code: code,
            reason: if code == 0 { "Completed" } else { "Error" }.into(),
            message: Text::default(),
            started_at: Some(Time(started)),
            finished_at: Some(Time(finished)),
        })),
        ..Default::default()
    }
}

/// The runtime reports a container the OOM killer ended with reason `OOMKilled`.
fn oom(mut s: ContainerState, killed: bool) -> ContainerState {
    if let (true, Some(t)) = (killed, s.terminated.as_mut()) {
        t.reason = arcstr::literal!("OOMKilled").into();
    }
    s
}

/// podIPs: the pod IP alone (kept if it already is).
fn set_pod_ips(s: &mut crate::api::pod::PodStatus) {
    if !matches!(&s.pod_ips[..], [one] if one.ip == s.pod_ip) {
        s.pod_ips = PodIps::One(PodIp { ip: s.pod_ip.clone() });
    }
}

/// The strings a kubelet's pod statuses repeat — its node's address (hostIP), its pods'
/// container names and images, the Ready conditions' message of a starting pod — one
/// copy of each (the last `WORDS` different ones), which the statuses share: a `Text`
/// made for each pod's first status was three allocations a pod, held while it runs.
/// (Its Events' messages have a `Words` of their own.) Each is kept with its length, so
/// that a search reads the string of none but those of the same length: with 5,000
/// kubelets, a kubelet's strings are seldom in the cache, and reading each one's length
/// from its allocation cost a cache miss a string.
#[derive(Default)]
pub(super) struct Words(Vec<(usize, Text)>);

/// How many strings `Words` keeps: more than a node's pods have images and names, most
/// of the time (a string it no longer holds is made again, and is the same).
const WORDS: usize = 16;

impl Words {
    /// `s` as the kept `Text` that says it (kept, if no kept one does).
    pub(super) fn text(&mut self, s: &str) -> Text {
        if let Some((_, t)) = self.0.iter().find(|(n, t)| *n == s.len() && **t == *s) {
            return t.clone();
        }
        if self.0.len() == WORDS {
            self.0.remove(0);
        }
        let t = Text::from(s);
        self.0.push((s.len(), t.clone()));
        t
    }
}

impl Kubelet {
    /// Posts the status the kubelet would report for a worker (generateAPIPodStatus), if
    /// it differs from the pod's.
    pub(super) fn sync_status(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get(uid) else { return };
        let Some(p) = w.pod.as_pod() else { return };
        // The status is built on a copy of the pod's (but its container statuses, made
        // anew below), and the pod is copied only if the status differs; strings
        // already equal are not written again.
        let mut status = p.status.clone_without_containers();
        let now = ctx.now_time();
        let s = &mut status;
        if s.host_ip != self.spec.internal_ip {
            s.host_ip = self.words.text(&self.spec.internal_ip);
        }
        if s.host_ips.is_empty() {
            s.host_ips = PodIps::One(PodIp { ip: s.host_ip.clone() });
        }
        if s.start_time.is_none() {
            s.start_time = now.into();
        }
        if let Some(ip) = w.ip.map(std::num::NonZeroU32::get) {
            if !ip_is(&s.pod_ip, ip) {
                s.pod_ip = format_ip(ip).into();
            }
            set_pod_ips(s);
        } else if w.host_network {
            // hostNetwork: the pod's IPs are the node's, from its first status
            // (generateAPIPodStatus: "HostNetwork Pods inherit the node IPs as PodIPs").
            if s.pod_ip != s.host_ip {
                s.pod_ip = s.host_ip.clone();
            }
            set_pod_ips(s);
        } else if w.phase != Phase::Done {
            s.pod_ip.clear();
            s.pod_ips.clear();
        }
        let running = w.phase == Phase::Running;
        let ready = running && w.ready;
        s.phase = match (w.phase, w.exit_code) {
            (Phase::Done, Some(0)) => "Succeeded",
            (Phase::Done, Some(_)) => "Failed",
            // getPhase: containers restarting (Always, or OnFailure after a failure).
            (Phase::Running | Phase::Exited | Phase::BackOff, _) => "Running",
            (Phase::Starting, _) if w.started_at.get().is_some() => "Running",
            _ => "Pending",
        }
        .into();
        s.container_statuses = container_statuses(w, p, uid, ctx.now, &mut self.words);
        s.init_container_statuses = init_container_statuses(w, p, uid, &mut self.words);
        let sandbox = w.sandbox && w.phase != Phase::Done;
        // Sidecars count for readiness (generateAPIPodStatus: restartable init containers
        // are among the containers Ready waits for).
        // The unready: the sidecars not ready, then every app container (written as
        // they are found, not gathered first: most statuses of a starting pod say it).
        let (reason, msg) = if w.phase == Phase::Done {
            ("PodCompleted", String::new())
        } else if ready {
            ("", String::new())
        } else {
            let sidecars = w.rare.init.iter().filter(|c| c.sidecar).map(|c| c.name.as_str());
            let unready_sidecars = sidecars.filter(|n| !s.init_container_statuses.iter().any(|st| st.name == *n && st.ready));
            let mut msg = String::from("containers with unready status: [");
            for (i, n) in unready_sidecars.chain(p.spec.containers.iter().map(|c| c.name.as_str())).enumerate() {
                if i > 0 {
                    msg.push(' ');
                }
                msg.push_str(n);
            }
            msg.push(']');
            ("ContainersNotReady", msg)
        };
        let tf = |b: bool| if b { "True" } else { "False" };
        // Room for the five conditions a pod has: a first status adds four to the
        // scheduler's one, which pushes would grow to eight places (400 bytes a pod, with
        // the `ThinVec`'s header, where five take 256; the status is a pod's until its
        // next). An evicted pod's DisruptionTarget, rare, is pushed beyond them.
        let order = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"];
        s.conditions.reserve_exact(order.len().saturating_sub(s.conditions.len()));
        s.set_condition("PodReadyToStartContainers", tf(sandbox), "", "", now);
        // status.GeneratePodInitializedCondition: the init containers not yet done (a
        // sidecar is done once started).
        let incomplete: Vec<&str> = w
            .rare
            .init
            .iter()
            .zip(w.rare.init_states.iter())
            .filter(|(c, st)| match st {
                InitState::Waiting => true,
                InitState::Running(_) => !c.sidecar,
                InitState::Done(..) => false,
            })
            .map(|(c, _)| c.name.as_str())
            .collect();
        if incomplete.is_empty() || w.phase == Phase::Done {
            s.set_condition("Initialized", "True", "", "", now);
        } else {
            s.set_condition("Initialized", "False", "ContainersNotInitialized", &format!("containers with incomplete status: [{}]", incomplete.join(" ")), now);
        }
        // The message, the same for the pods of a template, is one of the kubelet's
        // `Words` (it was two strings a pod while it started, one per condition).
        let msg = if msg.is_empty() { Text::default() } else { self.words.text(&msg) };
        s.set_condition_shared("Ready", tf(ready), reason, &msg, now);
        s.set_condition_shared("ContainersReady", tf(ready), reason, &msg, now);
        s.set_condition("PodScheduled", "True", "", "", now);
        // evictPod's status: Failed, reason Evicted, and the DisruptionTarget condition.
        if let (Phase::Done, Some(msg)) = (w.phase, w.rare.evicted.as_ref()) {
            s.reason = "Evicted".into();
            if s.message != **msg {
                s.message = msg.as_str().into();
            }
            let msg = s.message.clone();
            s.set_condition_shared("DisruptionTarget", "True", "TerminationByKubelet", &msg, now);
        }
        s.conditions.sort_by_key(|c| order.iter().position(|o| *o == c.type_).unwrap_or(usize::MAX));
        if status != p.status {
            let mut np = Pod { status, ..p.clone_without_status() };
            np.metadata.resource_version.0 = 0;
            ctx.request(Request::UpdateStatus(Object::Pod(Box::new(np))));
        }
    }
}

/// `s` as a `Text`: the last status's (`prev`) if it says the same, which a copy shares,
/// or the kubelet's (`words`), rather than a new one.
fn text_as(prev: Option<&Text>, s: &str, words: &mut Words) -> Text {
    match prev {
        Some(t) if **t == *s => t.clone(),
        _ => words.text(s),
    }
}

/// The ID the runtime gives container `i` of pod `uid` (ksim's: `containerd://`, the
/// uid's first `digits` hex digits, `tag` — `i` for init containers — and `i`), shared
/// with the last status's (`prev`) if it is that one.
fn container_id(prev: Option<&ContainerStatus>, uid: &str, digits: usize, tag: &str, i: usize) -> Text {
    let hex = || uid.chars().filter(|c| *c != '-').take(digits);
    let mut index = itoa::Buffer::new();
    let index = index.format(i);
    let same = |id: &str| {
        let Some(rest) = id.strip_prefix("containerd://") else { return false };
        let mut rest = rest.chars();
        hex().all(|h| rest.next() == Some(h)) && rest.as_str().strip_prefix(tag) == Some(index)
    };
    match prev {
        Some(p) if same(&p.container_id) => p.container_id.clone(),
        _ => {
            let mut id = String::with_capacity("containerd://".len() + digits + tag.len() + index.len());
            id.push_str("containerd://");
            id.extend(hex());
            id.push_str(tag);
            id.push_str(index);
            Text::from(id)
        }
    }
}

/// The init containers' statuses: waiting (PodInitializing), running, or terminated with
/// exit code 0 (Completed); a sidecar stays running (ready: ksim models no sidecar
/// readiness probe) until the pod's app containers are done.
fn init_container_statuses(w: &Worker, p: &Pod, uid: &str, words: &mut Words) -> ThinVec<ContainerStatus> {
    p.spec
        .init_containers
        .iter()
        .zip(w.rare.init_states.iter())
        .enumerate()
        .map(|(i, (c, st))| {
            let sidecar = c.restart_policy.as_deref() == Some("Always");
            let (state, started, ready) = match *st {
                InitState::Waiting => {
                    // The init container about to run whose environment cannot be made.
                    let (reason, message) = match &w.rare.config_error {
                        Some(e) if i == w.rare.init_next => (Text::from(arcstr::literal!("CreateContainerConfigError")), e.clone()),
                        _ => (Text::from("PodInitializing"), String::new()),
                    };
                    (ContainerState { waiting: Some(Box::new(ContainerStateWaiting { reason, message: message.into() })), ..Default::default() }, false, false)
                }
                InitState::Running(t) if sidecar && w.phase == Phase::Done => (terminated((0, t, w.rare.last_exit.map_or(t, |e| e.2))), false, false),
                InitState::Running(t) => {
                    (ContainerState { running: Some(ContainerStateRunning { started_at: Some(Time(t)) }), ..Default::default() }, true, sidecar)
                }
                InitState::Done(a, b) => (terminated((0, a, b)), false, false),
            };
            let prev = p.status.init_container_statuses.get(i);
            ContainerStatus {
                name: text_as(prev.map(|s| &s.name), &c.name, words),
                ready,
                restart_count: 0,
                image: text_as(prev.map(|s| &s.image), &c.image, words),
                image_id: Text::default(),
                container_id: if *st == InitState::Waiting { Text::default() } else { container_id(prev, uid, 15, "i", i) },
                started: Some(started),
                state,
                last_state: ContainerState::default(),
            }
        })
        .collect()
}

/// One status per container (all share the worker's state): convertToAPIContainerStatuses.
fn container_statuses(w: &Worker, p: &Pod, uid: &str, now: SimTime, words: &mut Words) -> ThinVec<ContainerStatus> {
    let running = w.phase == Phase::Running;
    let ready = running && w.ready;
    p.spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (name, image) = (c.name.as_str(), c.image.as_str());
            let state = match w.phase {
                Phase::Running => ContainerState { running: Some(ContainerStateRunning { started_at: w.started_at.get().map(Time) }), ..Default::default() },
                // doBackOff's error, through the reason cache: `back-off 10s restarting
                // failed container=app pod=NAME_NAMESPACE(UID)` (format.Pod).
                Phase::BackOff => ContainerState {
                    waiting: Some(Box::new(ContainerStateWaiting {
                        reason: arcstr::literal!("CrashLoopBackOff").into(),
                        message: format!(
                            "back-off {} restarting failed container={name} pod={}_{}({uid})",
                            go_duration(w.rare.backoff.map_or(SimDuration::ZERO, |e| e.backoff)),
                            p.metadata.name,
                            p.metadata.namespace
                        )
                        .into(),
                    })),
                    ..Default::default()
                },
                Phase::Done | Phase::Exited => oom(terminated(w.rare.last_exit.unwrap_or((w.exit_code.unwrap_or(0), now, now))), w.oom_killed),
                // convertToAPIContainerStatuses' default waiting state: PodInitializing in
                // a pod with init containers.
                _ => match w.rare.config_error.as_ref().filter(|_| w.rare.init_next >= w.rare.init.len()) {
                    // kuberuntime startContainer: EnsureImageExists' error and message.
                    _ if w.rare.pull_error.is_some() => {
                        let (reason, message) = w.rare.pull_error.clone().expect("pull error");
                        ContainerState {
                            waiting: Some(Box::new(ContainerStateWaiting { reason: reason.into(), message: message.into() })),
                            ..Default::default()
                        }
                    }
                    // kuberuntime: generateContainerConfig's error (ErrCreateContainerConfig).
                    Some(e) => ContainerState {
                        waiting: Some(Box::new(ContainerStateWaiting {
                            reason: arcstr::literal!("CreateContainerConfigError").into(),
                            message: e.as_str().into(),
                        })),
                        ..Default::default()
                    },
                    None => {
                        let reason = if p.spec.init_containers.is_empty() { "ContainerCreating" } else { "PodInitializing" };
                        ContainerState {
                            waiting: Some(Box::new(ContainerStateWaiting { reason: reason.into(), message: Text::default() })),
                            ..Default::default()
                        }
                    }
                },
            };
            let last_state = match (w.phase, w.rare.last_exit) {
                (Phase::Done | Phase::Exited, _) | (_, None) => ContainerState::default(),
                (_, Some(exit)) => oom(terminated(exit), w.oom_killed),
            };
            let prev = p.status.container_statuses.get(i);
            ContainerStatus {
                name: text_as(prev.map(|s| &s.name), name, words),
                ready,
                restart_count: w.restarts,
                image: text_as(prev.map(|s| &s.image), image, words),
                image_id: Text::default(),
                container_id: if running || w.started_at.get().is_some() { container_id(prev, uid, 16, "", i) } else { Text::default() },
                started: Some(running && w.started),
                state,
                last_state,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A container's ID is ksim's runtime's for its pod and index (the uid's first 16
    /// hex digits and the index; an init container's, 15 and `i` and the index), and a
    /// status's name, image and ID are the last status's copies when they say the same.
    #[test]
    fn a_status_shares_the_last_ones_strings() {
        let uid = "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
        let first = container_id(None, uid, 16, "", 0);
        assert_eq!(&*first, "containerd://6a1b2c3d4e5f4a6b0");
        assert_eq!(&*container_id(None, uid, 15, "i", 2), "containerd://6a1b2c3d4e5f4a6i2");
        let last = ContainerStatus { name: "web".into(), image: "nginx".into(), container_id: first.clone(), ..Default::default() };
        assert!(container_id(Some(&last), uid, 16, "", 0).shares(&first));
        for (digits, tag, i) in [(16, "", 1), (15, "", 0), (16, "i", 0), (16, "", 10), (17, "", 0)] {
            let other = container_id(Some(&last), uid, digits, tag, i);
            assert!(!other.shares(&first) && other != first, "{digits} {tag:?} {i}");
        }
        let mut words = Words::default();
        assert!(text_as(Some(&last.name), "web", &mut words).shares(&last.name));
        assert!(!text_as(Some(&last.name), "api", &mut words).shares(&last.name) && text_as(None, "web", &mut words) == last.name);
        // Without a last status, the kubelet's one copy: the same for every pod.
        let (a, b) = (text_as(None, "nginx", &mut words), text_as(None, "nginx", &mut words));
        assert!(a.shares(&b) && a == "nginx");
    }

    /// `Words` keeps the last WORDS different strings, one copy of each, and makes again
    /// (the same text) one it let go.
    #[test]
    fn words_keep_one_copy_of_the_last_strings() {
        let mut w = Words::default();
        let first = w.text("10.0.0.1");
        assert!(w.text("10.0.0.1").shares(&first));
        for i in 0..WORDS - 1 {
            w.text(&format!("image-{i}"));
        }
        assert!(w.text("10.0.0.1").shares(&first), "still among the last {WORDS}");
        assert_eq!(w.0.len(), WORDS);
        w.text("one-more");
        let again = w.text("10.0.0.1");
        assert!(!again.shares(&first) && again == first && w.0.len() == WORDS);
        // A string of the same length is another.
        let other = w.text("10.0.0.9");
        assert!(other == "10.0.0.9" && !other.shares(&again));
    }

    /// The reasons the kubelet writes as constants are static texts (shared words or
    /// literals): a status that says one allocates nothing for it.
    #[test]
    fn constant_reasons_are_static() {
        let state = oom(terminated((137, SimTime(1), SimTime(2))), true);
        let t = state.terminated.expect("terminated");
        assert_eq!(t.reason, "OOMKilled");
        assert!(t.reason.is_static());
        let done = terminated((0, SimTime(1), SimTime(2))).terminated.expect("terminated");
        assert!(done.reason == "Completed" && done.reason.is_static());
    }
}
