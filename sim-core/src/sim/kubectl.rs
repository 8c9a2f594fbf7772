//! The timeline's kubectl: the commands that are more than one request — `cordon` /
//! `uncordon`, `drain` (staging/src/k8s.io/kubectl/pkg/drain: cordon, list the node's
//! pods, refuse what its filters refuse, evict through the Eviction API, retry a 429
//! every 5 s, wait for each pod to go, give up at --timeout), `set image`, and
//! `rollout pause|resume|undo` (pkg/polymorphichelpers/rollback.go: the ReplicaSet of the
//! revision, its template without pod-template-hash patched back). Like kubectl it reads
//! the live objects (a GET costs it no simulated time here) and writes through the
//! apiserver; what it prints goes to the event log with kubectl's words.

use crate::api::pod::Pod;
use crate::api::{Kind, ObjectKey};
use crate::apiserver::{Eviction, Request, Response};
use crate::client::Ctx;
use crate::controller_manager::deployment::util::{equal_ignore_hash, revision, POD_TEMPLATE_HASH};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::Store;
use crate::scenario::model::{DrainOptions, Target};
use serde_json::json;
use std::collections::BTreeMap;

/// How often drain waits before trying a refused eviction again (evictionRetryDelay 5 s).
pub const EVICTION_RETRY: SimDuration = SimDuration::from_secs(5);
/// How often drain looks whether evicted pods are gone (waitForDelete's 1 s interval).
pub const DELETE_POLL: SimDuration = SimDuration::from_secs(1);

/// rollback.go's annotationsToSkip: what undo keeps from the Deployment rather than
/// copying from the revision's ReplicaSet.
const ANNOTATIONS_TO_SKIP: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// kubectl's timers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Evict a pod of a drain again after a 429.
    RetryEviction { node: String, namespace: String, name: String },
    /// Look whether a drain's pods are gone.
    DrainPoll { node: String },
}

/// Tags on kubectl's requests (which command the answer is for).
const TAG_CORDON: u32 = 1;
const TAG_EVICT: u32 = 2;
const TAG_OTHER: u32 = 3;

/// Where one pod of a drain is (one of evictPods' goroutines).
#[derive(Clone, Debug, PartialEq)]
enum Stage {
    /// Being evicted (or waiting to try again after a 429).
    Evicting,
    /// Evicted: waitForDelete polls for it to go.
    Evicted,
    /// Its goroutine returned this error.
    Failed(String),
}

/// One `kubectl drain` in progress.
#[derive(Debug)]
struct DrainRun {
    opts: DrainOptions,
    started: SimTime,
    /// Pods to evict (those not yet gone) → their uid and stage.
    pods: BTreeMap<(String, String), (String, Stage)>,
    done: bool,
}

/// kubectl: the drains in progress and what it printed.
#[derive(Default)]
pub struct Kubectl {
    drains: BTreeMap<String, DrainRun>,
    /// Lines printed since the simulation last took them: (line, whether the command was
    /// refused — by the apiserver or by kubectl — so the timeline did not happen as
    /// written). A drain that gives up (its filters, its timeout) prints `error: unable
    /// to drain node …` but is an outcome of the scenario, not a refusal.
    pub out: Vec<(String, bool)>,
}

fn say(out: &mut Vec<(String, bool)>, line: String) {
    out.push((line, false));
}

fn refuse(out: &mut Vec<(String, bool)>, line: String) {
    out.push((line, true));
}

/// A pod's PodDeleteStatus after drain's filters.
enum PodDelete {
    Delete,
    /// A warning, and whether the pod is deleted all the same.
    Warning(bool, String),
    Error(String),
    Skip,
}

/// filterPods with makeFilters (staging/src/k8s.io/kubectl/pkg/drain/filters.go):
/// skipDeleted, daemonSet, mirrorPod, localStorage, unreplicated, in that order; the
/// first that refuses the pod decides, else the last one's status stands — so a
/// local-storage warning is dropped when the unreplicated filter passes the pod
/// (upstream's own TODO says so).
fn drain_filters(store: &Store, p: &Pod, opts: &DrainOptions) -> PodDelete {
    let finished = p.is_terminal();
    let controller = p.metadata.controller_ref();
    // daemonSetFilter: a DaemonSet's pod is never evicted; the DaemonSet is looked up.
    if let Some(c) = controller.filter(|c| c.kind == "DaemonSet" && !finished) {
        if store.get_parts(&Kind::DaemonSet, &p.metadata.namespace, &c.name).is_none() {
            let err = format!("daemonsets.apps {:?} not found", c.name);
            if !opts.force {
                return PodDelete::Error(err);
            }
            // Orphaned: removed with a warning under --force (dropped by later filters).
        } else if opts.ignore_daemon_sets {
            return PodDelete::Warning(false, "ignoring DaemonSet-managed Pods".into());
        } else {
            return PodDelete::Error("DaemonSet-managed Pods (use --ignore-daemonsets to ignore)".into());
        }
    }
    // mirrorPodFilter.
    if p.metadata.annotations.contains_key("kubernetes.io/config.mirror") {
        return PodDelete::Skip;
    }
    // localStorageFilter: emptyDir volumes.
    let local_storage = p.spec.volumes.as_deref().and_then(|v| v.as_array()).is_some_and(|vs| vs.iter().any(|v| v.get("emptyDir").is_some()));
    if local_storage && !finished && !opts.delete_emptydir_data {
        return PodDelete::Error("Pods with local storage (use --delete-emptydir-data to override)".into());
    }
    // unreplicatedFilter.
    if controller.is_none() && !finished {
        if opts.force {
            return PodDelete::Warning(true, "deleting Pods that declare no controller".into());
        }
        return PodDelete::Error(UNMANAGED_FATAL.into());
    }
    PodDelete::Delete
}

/// filters.go unmanagedFatal, which PodDeleteList.errors() does not prefix again with
/// "cannot delete".
const UNMANAGED_FATAL: &str = "cannot delete Pods that declare no controller (use --force to override)";

/// PodDeleteList.errors(): "cannot delete MESSAGE: PODS" per message.
fn filter_errors(errors: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    errors
        .iter()
        .map(|(m, ps)| {
            let m = if m.starts_with("cannot delete") { m.clone() } else { format!("cannot delete {m}") };
            format!("{m}: {}", ps.join(", "))
        })
        .collect()
}

/// utilerrors.NewAggregate(errs).Error(): one error as it is, several in brackets.
fn aggregate(errs: &[String]) -> String {
    match errs {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

/// `deployment.apps/web`: kubectl's kind.group/name in its output.
fn resource_name(t: &Target) -> String {
    let kind = t.kind.name().to_ascii_lowercase();
    match t.kind.group() {
        "" => format!("{kind}/{}", t.name),
        g => format!("{kind}.{g}/{}", t.name),
    }
}

impl Kubectl {
    pub fn cordon(&mut self, store: &Store, node: &str, on: bool, ctx: &mut Ctx) {
        let verb = if on { "cordoned" } else { "uncordoned" };
        match store.get_parts(&Kind::Node, "", node).and_then(|o| o.as_node()) {
            None => refuse(&mut self.out, format!("Error from server (NotFound): nodes {node:?} not found")),
            Some(n) if n.spec.unschedulable == on => say(&mut self.out, format!("node/{node} already {verb}")),
            Some(_) => {
                let patch = if on { json!({"spec": {"unschedulable": true}}) } else { json!({"spec": {"unschedulable": null}}) };
                ctx.request_reply(Request::Patch { key: Box::new(ObjectKey::new(Kind::Node, "", node)), patch }, TAG_CORDON);
                say(&mut self.out, format!("node/{node} {verb}"));
            }
        }
    }

    pub fn set_image(&mut self, store: &Store, t: &Target, container: &str, image: &str, ctx: &mut Ctx) {
        let template = match store.get_parts(&t.kind, &t.namespace, &t.name).map(|o| &**o) {
            Some(crate::api::Object::Deployment(d)) => d.spec.template.clone(),
            Some(crate::api::Object::DaemonSet(d)) => d.spec.template.clone(),
            Some(crate::api::Object::StatefulSet(s)) => s.spec.template.clone(),
            _ => {
                return refuse(
                    &mut self.out,
                    format!("Error from server (NotFound): {} {:?} not found", crate::apiserver::qualified_resource(&t.kind), t.name),
                );
            }
        };
        let mut containers: Vec<serde_json::Value> =
            template.spec.containers.iter().map(|c| serde_json::to_value(c).expect("a container serializes")).collect();
        let Some(c) = containers.iter_mut().find(|c| c["name"] == container) else {
            return refuse(&mut self.out, format!("error: unable to find container named {container:?}"));
        };
        if c["image"] == image {
            // set_image.go skips an empty patch: nothing sent, nothing printed.
            return;
        }
        c["image"] = json!(image);
        let patch = json!({"spec": {"template": {"spec": {"containers": containers}}}});
        ctx.request_reply(Request::Patch { key: Box::new(ObjectKey::new(t.kind.clone(), &t.namespace, &t.name)), patch }, TAG_OTHER);
        say(&mut self.out, format!("{} image updated", resource_name(t)));
    }

    pub fn rollout_pause(&mut self, store: &Store, t: &Target, pause: bool, ctx: &mut Ctx) {
        let Some(d) = store.get_parts(&t.kind, &t.namespace, &t.name).and_then(|o| o.as_deployment()) else {
            return refuse(&mut self.out, format!("Error from server (NotFound): deployments.apps {:?} not found", t.name));
        };
        let paused = d.spec.paused == Some(true);
        if paused == pause {
            let what = if pause { "is already paused" } else { "is not paused" };
            return refuse(&mut self.out, format!("error: deployments.apps {:?} {what}", t.name));
        }
        let patch = json!({"spec": {"paused": if pause { json!(true) } else { serde_json::Value::Null }}});
        ctx.request_reply(Request::Patch { key: Box::new(ObjectKey::new(t.kind.clone(), &t.namespace, &t.name)), patch }, TAG_OTHER);
        say(&mut self.out, format!("{} {}", resource_name(t), if pause { "paused" } else { "resumed" }));
    }

    /// DeploymentRollbacker.Rollback.
    pub fn rollout_undo(&mut self, store: &Store, t: &Target, to_revision: i64, ctx: &mut Ctx) {
        let Some(d) = store.get_parts(&t.kind, &t.namespace, &t.name).and_then(|o| o.as_deployment()) else {
            return refuse(&mut self.out, format!("Error from server (NotFound): deployments.apps {:?} not found", t.name));
        };
        let rss: Vec<&crate::api::replica_set::ReplicaSet> = store
            .list(&Kind::ReplicaSet)
            .filter_map(|o| o.as_replica_set())
            .filter(|r| r.metadata.namespace == t.namespace && r.metadata.controller_ref().is_some_and(|c| c.uid == d.metadata.uid))
            .collect();
        // deploymentRevision: the given revision, or the second newest.
        let target = if to_revision > 0 {
            match rss.iter().find(|r| revision(r) == to_revision) {
                Some(r) => *r,
                None => return refuse(&mut self.out, format!("error: unable to find specified revision {to_revision} in history")),
            }
        } else {
            let mut by_rev: Vec<&&crate::api::replica_set::ReplicaSet> = rss.iter().filter(|r| revision(r) > 0).collect();
            by_rev.sort_by_key(|r| std::cmp::Reverse(revision(r)));
            match by_rev.get(1) {
                Some(r) => **r,
                None => return refuse(&mut self.out, format!("error: no rollout history found for deployment {:?}", t.name)),
            }
        };
        if d.spec.paused == Some(true) {
            return refuse(
                &mut self.out,
                format!("error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/{}' and try again", t.name),
            );
        }
        if equal_ignore_hash(&target.spec.template, &d.spec.template) {
            // rollback.go prints the toRevision it was given (0 for the previous one).
            return say(&mut self.out, format!("{} skipped rollback (current template already matches revision {to_revision})", resource_name(t)));
        }
        let mut template = target.spec.template.clone();
        template.metadata.labels.remove(POD_TEMPLATE_HASH);
        // The Deployment's own bookkeeping annotations stay; the rest come from the
        // revision's ReplicaSet (annotationsToSkip).
        let mut annotations: BTreeMap<String, String> =
            d.metadata.annotations.iter().filter(|(k, _)| ANNOTATIONS_TO_SKIP.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
        annotations.extend(target.metadata.annotations.iter().filter(|(k, _)| !ANNOTATIONS_TO_SKIP.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())));
        let replace = vec![
            ("/spec/template".to_string(), serde_json::to_value(&template).expect("a template serializes")),
            ("/metadata/annotations".to_string(), json!(annotations)),
        ];
        ctx.request_reply(Request::JsonPatch { key: Box::new(ObjectKey::new(t.kind.clone(), &t.namespace, &t.name)), replace }, TAG_OTHER);
        say(&mut self.out, format!("{} rolled back", resource_name(t)));
    }

    /// kubectl drain: cordon, then evict what the filters allow.
    pub fn drain(&mut self, store: &Store, opts: &DrainOptions, ctx: &mut Ctx) {
        let node = opts.node.clone();
        if store.get_parts(&Kind::Node, "", &node).is_none() {
            return refuse(&mut self.out, format!("Error from server (NotFound): nodes {node:?} not found"));
        }
        self.cordon(store, &node, true, ctx);
        let mut pods = BTreeMap::new();
        // filters.go's messages → the pods each applies to.
        let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut warnings: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in store.list(&Kind::Pod).filter_map(|o| o.as_pod()).filter(|p| p.spec.node_name == node) {
            let id = format!("{}/{}", p.metadata.namespace, p.metadata.name);
            match drain_filters(store, p, opts) {
                PodDelete::Delete => {
                    pods.insert((p.metadata.namespace.to_string(), p.metadata.name.to_string()), (p.metadata.uid.to_string(), Stage::Evicting));
                }
                PodDelete::Warning(delete, m) => {
                    warnings.entry(m).or_default().push(id);
                    if delete {
                        pods.insert((p.metadata.namespace.to_string(), p.metadata.name.to_string()), (p.metadata.uid.to_string(), Stage::Evicting));
                    }
                }
                PodDelete::Error(m) => errors.entry(m).or_default().push(id),
                PodDelete::Skip => {}
            }
        }
        if !errors.is_empty() {
            let msgs = filter_errors(&errors);
            self.unable_to_drain(&node, &msgs);
            return;
        }
        // PodDeleteList.Warnings: one line, "message: pods" joined by "; ".
        if !warnings.is_empty() {
            let msgs: Vec<String> = warnings.iter().map(|(m, ps)| format!("{m}: {}", ps.join(", "))).collect();
            say(&mut self.out, format!("Warning: {}", msgs.join("; ")));
        }
        for (ns, name) in pods.keys() {
            say(&mut self.out, format!("evicting pod {ns}/{name}"));
            ctx.request_reply(
                Request::Evict(Box::new(Eviction { namespace: ns.to_string(), name: name.to_string(), grace_period_seconds: opts.grace_period_seconds })),
                TAG_EVICT,
            );
        }
        let empty = pods.is_empty();
        self.drains.insert(node.clone(), DrainRun { opts: opts.clone(), started: ctx.now, pods, done: false });
        if empty {
            self.finish(&node);
        } else {
            ctx.after(DELETE_POLL, Timer::DrainPoll { node });
        }
    }

    fn finish(&mut self, node: &str) {
        if let Some(d) = self.drains.get_mut(node) {
            d.done = true;
            say(&mut self.out, format!("node/{node} drained"));
        }
    }

    /// RunDrain's report of a node it could not drain, then the command's error (each
    /// error of the aggregate on a line, as cmdutil.CheckErr prints it).
    fn unable_to_drain(&mut self, node: &str, errs: &[String]) {
        say(&mut self.out, format!("error: unable to drain node {node:?} due to error: {}, continuing command...", aggregate(errs)));
        say(&mut self.out, "There are pending nodes to be drained:".into());
        say(&mut self.out, format!(" {node}"));
        for e in errs {
            say(&mut self.out, e.clone());
        }
    }

    /// The drain a pod belongs to.
    fn drain_of(&self, ns: &str, name: &str) -> Option<String> {
        self.drains.iter().find(|(_, d)| !d.done && d.pods.contains_key(&(ns.to_string(), name.to_string()))).map(|(n, _)| n.clone())
    }

    pub fn on_response(&mut self, tag: u32, req: &Request, resp: &Response, ctx: &mut Ctx) {
        match (tag, req, resp) {
            (TAG_EVICT, Request::Evict(e), resp) => {
                let Eviction { namespace, name, .. } = &**e;
                let Some(node) = self.drain_of(namespace, name) else { return };
                match resp {
                    Response::Error(st) if st.code == 429 => {
                        say(&mut self.out, format!("error when evicting pods/{name:?} -n {namespace:?} (will retry after 5s): {}", st.message));
                        ctx.after(EVICTION_RETRY, Timer::RetryEviction { node, namespace: namespace.clone(), name: name.clone() });
                    }
                    Response::Error(st) if st.reason == "NotFound" => {
                        if let Some(d) = self.drains.get_mut(&node) {
                            d.pods.remove(&(namespace.clone(), name.clone()));
                        }
                    }
                    Response::Error(st) => {
                        // Only this pod's goroutine ends; the drain waits for the others.
                        if let Some(p) = self.drains.get_mut(&node).and_then(|d| d.pods.get_mut(&(namespace.clone(), name.clone()))) {
                            p.1 = Stage::Failed(format!("error when evicting pods/{name:?} -n {namespace:?}: {}", st.message));
                        }
                    }
                    _ => {
                        if let Some(p) = self.drains.get_mut(&node).and_then(|d| d.pods.get_mut(&(namespace.clone(), name.clone()))) {
                            p.1 = Stage::Evicted;
                        }
                    }
                }
            }
            (_, _, Response::Error(st)) => refuse(&mut self.out, format!("Error from server ({}): {}", st.reason, st.message)),
            _ => {}
        }
    }

    pub fn on_timer(&mut self, store: &Store, t: &Timer, ctx: &mut Ctx) {
        match t {
            Timer::RetryEviction { node, namespace, name } => {
                let evicting = |d: &DrainRun| d.pods.get(&(namespace.clone(), name.clone())).is_some_and(|p| p.1 == Stage::Evicting);
                if let Some(d) = self.drains.get(node).filter(|d| !d.done && evicting(d)) {
                    let grace_period_seconds = d.opts.grace_period_seconds;
                    say(&mut self.out, format!("evicting pod {namespace}/{name}"));
                    ctx.request_reply(Request::Evict(Box::new(Eviction { namespace: namespace.clone(), name: name.clone(), grace_period_seconds })), TAG_EVICT);
                }
            }
            Timer::DrainPoll { node } => self.poll(store, node, ctx),
        }
    }

    /// waitForDelete: a pod is gone when it is not there or has another uid. The drain
    /// ends when every pod's goroutine has returned (gone, or an error), or at --timeout.
    fn poll(&mut self, store: &Store, node: &str, ctx: &mut Ctx) {
        let Some(d) = self.drains.get_mut(node) else { return };
        if d.done {
            return;
        }
        let gone: Vec<(String, String)> = d
            .pods
            .iter()
            .filter(|((ns, name), (uid, stage))| *stage == Stage::Evicted && store.get_parts(&Kind::Pod, ns, name).is_none_or(|o| o.meta().uid != *uid))
            .map(|(k, _)| k.clone())
            .collect();
        for k in gone {
            d.pods.remove(&k);
            say(&mut self.out, format!("pod/{} evicted", k.1));
        }
        let timeout = d.opts.timeout;
        if timeout.as_ms() > 0 && ctx.now.since(d.started) >= timeout {
            // evictPods: each pod's goroutine returns its own error when the global
            // timeout passes — still being refused, or evicted and not yet gone.
            let t = crate::engine::time::go_duration(timeout);
            for ((ns, name), (_, stage)) in d.pods.iter_mut() {
                match stage {
                    Stage::Evicted => {
                        *stage = Stage::Failed(format!("error when waiting for pod {name:?} in namespace {ns:?} to terminate: global timeout reached: {t}"))
                    }
                    Stage::Evicting => *stage = Stage::Failed(format!("error when evicting pods/{name:?} -n {ns:?}: global timeout reached: {t}")),
                    Stage::Failed(_) => {}
                }
            }
        }
        if d.pods.values().any(|(_, s)| !matches!(s, Stage::Failed(_))) {
            ctx.after(DELETE_POLL, Timer::DrainPoll { node: node.to_string() });
            return;
        }
        d.done = true;
        let errs: Vec<String> = d.pods.values().filter_map(|(_, s)| if let Stage::Failed(e) = s { Some(e.clone()) } else { None }).collect();
        if errs.is_empty() {
            say(&mut self.out, format!("node/{node} drained"));
            return;
        }
        // deleteOrEvictPodsSimple: the pods still to delete (GetPodsForDeletion again).
        let opts = d.opts.clone();
        let pending: Vec<String> = store
            .list(&Kind::Pod)
            .filter_map(|o| o.as_pod())
            .filter(|p| p.spec.node_name == node && matches!(drain_filters(store, p, &opts), PodDelete::Delete | PodDelete::Warning(true, _)))
            .map(|p| p.metadata.name.to_string())
            .collect();
        if !pending.is_empty() {
            say(&mut self.out, format!("There are pending pods in node {node:?} when an error occurred: {}", aggregate(&errs)));
            for p in pending {
                say(&mut self.out, format!("pod/{p}"));
            }
        }
        self.unable_to_drain(node, &errs);
    }

    /// Whether a drain of `node` finished (all its pods gone).
    pub fn drained(&self, node: &str) -> bool {
        self.drains.get(node).is_some_and(|d| d.done && d.pods.is_empty())
    }
}
