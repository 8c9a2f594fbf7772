//! The event log as a Chrome trace (the Trace Event Format that Perfetto and
//! chrome://tracing open: `{"traceEvents":[…]}`, times in µs), built record by record:
//! - process 1, "control plane": a thread `etcd` where every write is a slice (`rev N:
//!   verb Kind ns/name`, its changed fields as args), and one thread per writer (the
//!   apiserver, the scheduler, the controller manager, the timeline, the autoscaler …)
//!   with a slice for each write it made and a flow arrow from it to the commit in etcd;
//! - one process per node, "node NAME": threads `kubelet` and `kube-proxy` (their writes,
//!   flows to etcd as above), and one thread per pod that ran there, its lifecycle as
//!   slices — one per kubectl STATUS (`Pending`, `ContainerCreating`, `Running`,
//!   `Terminating` …) from its bind until it is deleted or the run ends.
//!
//! The log's times are milliseconds; each slice lasts 1 µs (writes) or until the next
//! status, and writes of one thread within the same millisecond are spread over its
//! microseconds so that they do not overlap. What is kept between records is bounded by
//! the cluster: the threads named so far and the pods alive.

use super::Record;
use crate::engine::SimTime;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const CONTROL_PLANE: u64 = 1;
const ETCD: u64 = 1;

/// A pod's open slice: where it runs (pid, tid), since when (µs), under which status.
struct OpenPod {
    pid: u64,
    tid: u64,
    since: u64,
    status: String,
}

#[derive(Default)]
pub struct ChromeTrace {
    /// Writer (`by`) → (pid, tid).
    writers: BTreeMap<String, (u64, u64)>,
    /// Node → (pid, next free tid).
    nodes: BTreeMap<String, (u64, u64)>,
    next_cp_tid: u64,
    next_pid: u64,
    /// (pid, tid) → (ms, writes in that ms): to spread same-millisecond slices.
    last_ms: BTreeMap<(u64, u64), (u64, u64)>,
    /// Pods bound to a node and alive, by `ns/name`.
    pods: BTreeMap<String, OpenPod>,
    /// A pod's latest status before it was bound.
    pending: BTreeMap<String, String>,
    started: bool,
}

fn meta(pid: u64, tid: Option<u64>, what: &str, name: &str) -> Value {
    match tid {
        Some(t) => json!({"ph": "M", "pid": pid, "tid": t, "name": what, "args": {"name": name}}),
        None => json!({"ph": "M", "pid": pid, "name": what, "args": {"name": name}}),
    }
}

impl ChromeTrace {
    pub fn new() -> Self {
        ChromeTrace { next_cp_tid: ETCD + 1, next_pid: CONTROL_PLANE + 1, ..Default::default() }
    }

    /// The node's process, named on first use.
    fn node(&mut self, name: &str, out: &mut Vec<Value>) -> u64 {
        if let Some(&(pid, _)) = self.nodes.get(name) {
            return pid;
        }
        let pid = self.next_pid;
        self.next_pid += 1;
        out.push(meta(pid, None, "process_name", &format!("node {name}")));
        out.push(json!({"ph": "M", "pid": pid, "name": "process_sort_index", "args": {"sort_index": pid}}));
        out.push(meta(pid, Some(1), "thread_name", "kubelet"));
        out.push(meta(pid, Some(2), "thread_name", "kube-proxy"));
        self.nodes.insert(name.to_string(), (pid, 3));
        pid
    }

    /// The thread a writer's slices go on.
    fn writer(&mut self, by: &str, out: &mut Vec<Value>) -> (u64, u64) {
        if let Some(&w) = self.writers.get(by) {
            return w;
        }
        let w = match by.split_once('/') {
            Some((component @ ("kubelet" | "kube-proxy"), node)) => {
                let pid = self.node(node, out);
                (pid, if component == "kubelet" { 1 } else { 2 })
            }
            _ => {
                let tid = self.next_cp_tid;
                self.next_cp_tid += 1;
                out.push(meta(CONTROL_PLANE, Some(tid), "thread_name", by));
                (CONTROL_PLANE, tid)
            }
        };
        self.writers.insert(by.to_string(), w);
        w
    }

    /// The µs a slice of this thread gets at millisecond `t`.
    fn slot(&mut self, at: (u64, u64), t: u64) -> u64 {
        let n = match self.last_ms.get_mut(&at) {
            Some(e) if e.0 == t => {
                e.1 += 1;
                e.1
            }
            _ => {
                self.last_ms.insert(at, (t, 0));
                0
            }
        };
        t * 1000 + n.min(998)
    }

    fn close(&self, p: &OpenPod, at: u64, out: &mut Vec<Value>) {
        out.push(json!({"ph": "X", "pid": p.pid, "tid": p.tid, "ts": p.since, "dur": at.saturating_sub(p.since), "name": p.status, "cat": "pod"}));
    }

    /// The trace events for one log record.
    pub fn on_record(&mut self, r: &Record) -> Vec<Value> {
        let mut out = Vec::new();
        if !self.started {
            self.started = true;
            out.push(meta(CONTROL_PLANE, None, "process_name", "control plane"));
            out.push(json!({"ph": "M", "pid": CONTROL_PLANE, "name": "process_sort_index", "args": {"sort_index": CONTROL_PLANE}}));
            out.push(meta(CONTROL_PLANE, Some(ETCD), "thread_name", "etcd"));
        }
        let object = if r.ns.is_empty() { r.name.clone() } else { format!("{}/{}", r.ns, r.name) };
        if r.kind.is_empty() {
            // A timeline action, a traffic count, a note: an instant on its writer's thread.
            let (pid, tid) = self.writer(&r.by, &mut out);
            let ts = self.slot((pid, tid), r.t);
            let name = r.get_str("action").map_or_else(|| r.verb.clone(), str::to_string);
            out.push(json!({"ph": "i", "s": "t", "pid": pid, "tid": tid, "ts": ts, "name": name, "args": Value::Object(r.change.clone())}));
            return out;
        }
        let (pid, tid) = self.writer(&r.by, &mut out);
        let ts = self.slot((pid, tid), r.t);
        let name = format!("{} {} {object}", r.verb, r.kind);
        let args = Value::Object(r.change.clone());
        out.push(json!({"ph": "X", "pid": pid, "tid": tid, "ts": ts, "dur": 1, "name": name, "cat": "write", "args": args}));
        out.push(json!({"ph": "s", "pid": pid, "tid": tid, "ts": ts, "id": r.rev, "name": "write", "cat": "write"}));
        let ets = self.slot((CONTROL_PLANE, ETCD), r.t).max(ts);
        out.push(
            json!({"ph": "X", "pid": CONTROL_PLANE, "tid": ETCD, "ts": ets, "dur": 1, "name": format!("rev {}: {name}", r.rev), "cat": "etcd", "args": args}),
        );
        out.push(json!({"ph": "f", "bp": "e", "pid": CONTROL_PLANE, "tid": ETCD, "ts": ets, "id": r.rev, "name": "write", "cat": "write"}));
        if r.kind == "Pod" {
            self.pod(r, &object, ets, &mut out);
        }
        out
    }

    /// A pod's lifecycle slices.
    fn pod(&mut self, r: &Record, key: &str, ts: u64, out: &mut Vec<Value>) {
        if r.verb == "delete" {
            self.pending.remove(key);
            if let Some(p) = self.pods.remove(key) {
                self.close(&p, ts, out);
            }
            return;
        }
        let status = r.get_str("status").map(str::to_string);
        if let Some(p) = self.pods.get_mut(key) {
            if let Some(s) = status.filter(|s| *s != p.status) {
                let old = OpenPod { pid: p.pid, tid: p.tid, since: p.since, status: std::mem::replace(&mut p.status, s) };
                p.since = ts;
                self.close(&old, ts, out);
            }
            return;
        }
        if let Some(s) = &status {
            self.pending.insert(key.to_string(), s.clone());
        }
        let Some(node) = r.get_str("node").filter(|n| !n.is_empty()) else { return };
        let pid = self.node(node, out);
        let next = &mut self.nodes.get_mut(node).expect("the node was just named").1;
        let tid = *next;
        *next += 1;
        out.push(meta(pid, Some(tid), "thread_name", key));
        let status = self.pending.remove(key).unwrap_or_else(|| "Pending".into());
        self.pods.insert(key.to_string(), OpenPod { pid, tid, since: ts, status });
    }

    /// The end of the run: every pod's open slice closed there.
    pub fn finish(&mut self, end: SimTime) -> Vec<Value> {
        let mut out = Vec::new();
        let at = end.as_ms() * 1000;
        for p in std::mem::take(&mut self.pods).into_values() {
            self.close(&p, at, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(t: u64, rev: u64, verb: &str, by: &str, kind: &str, name: &str, change: Value) -> Record {
        Record {
            t,
            rev,
            verb: verb.into(),
            by: by.into(),
            kind: kind.into(),
            ns: "default".into(),
            name: name.into(),
            change: change.as_object().cloned().unwrap_or_default(),
        }
    }

    /// A pod created, bound, started and deleted: its thread on the node's process holds
    /// Pending → ContainerCreating → Running → Terminating slices that tile its life; each
    /// write is a slice on its writer's thread with a flow to the etcd slice of the same
    /// revision.
    #[test]
    fn a_pod_s_life_is_slices_and_writes_are_flows() {
        let mut c = ChromeTrace::new();
        let mut ev = Vec::new();
        ev.extend(c.on_record(&rec(10, 5, "create", "controller-manager", "Pod", "web", json!({"phase": "Pending", "status": "Pending"}))));
        ev.extend(c.on_record(&rec(12, 6, "bind", "scheduler", "Pod", "web", json!({"node": "worker-1"}))));
        ev.extend(c.on_record(&rec(14, 7, "update", "kubelet/worker-1", "Pod", "web", json!({"status": "ContainerCreating"}))));
        ev.extend(c.on_record(&rec(3014, 8, "update", "kubelet/worker-1", "Pod", "web", json!({"status": "Running"}))));
        ev.extend(c.on_record(&rec(9000, 9, "update", "kubelet/worker-1", "Pod", "web", json!({"status": "Terminating"}))));
        ev.extend(c.on_record(&rec(10000, 10, "delete", "kubelet/worker-1", "Pod", "web", json!({}))));
        ev.extend(c.finish(SimTime(20_000)));
        let slices: Vec<(String, u64, u64)> = ev
            .iter()
            .filter(|e| e["cat"] == "pod")
            .map(|e| (e["name"].as_str().unwrap().to_string(), e["ts"].as_u64().unwrap(), e["dur"].as_u64().unwrap()))
            .collect();
        assert_eq!(
            slices,
            [
                ("Pending".into(), 12_000, 2_000),
                ("ContainerCreating".into(), 14_000, 3_000_000),
                ("Running".into(), 3_014_000, 5_986_000),
                ("Terminating".into(), 9_000_000, 1_000_000)
            ]
        );
        // The pod's thread is on the node's process, named after it.
        let node_pid = ev.iter().find(|e| e["name"] == "process_name" && e["args"]["name"] == "node worker-1").unwrap()["pid"].as_u64().unwrap();
        assert!(ev.iter().any(|e| e["name"] == "thread_name" && e["args"]["name"] == "default/web" && e["pid"] == node_pid));
        // Six writes: six flow starts and six ends, paired by revision.
        let starts: Vec<u64> = ev.iter().filter(|e| e["ph"] == "s").map(|e| e["id"].as_u64().unwrap()).collect();
        let ends: Vec<u64> = ev.iter().filter(|e| e["ph"] == "f").map(|e| e["id"].as_u64().unwrap()).collect();
        assert_eq!(starts, [5, 6, 7, 8, 9, 10]);
        assert_eq!(starts, ends);
    }

    /// Two writes of one thread in one millisecond do not overlap.
    #[test]
    fn writes_in_one_millisecond_are_spread() {
        let mut c = ChromeTrace::new();
        let a = c.on_record(&rec(18, 1, "bind", "scheduler", "Pod", "a", json!({"node": "n"})));
        let b = c.on_record(&rec(18, 2, "bind", "scheduler", "Pod", "b", json!({"node": "n"})));
        let ts = |v: &[Value]| v.iter().find(|e| e["cat"] == "write" && e["ph"] == "X").unwrap()["ts"].as_u64().unwrap();
        assert_eq!((ts(&a), ts(&b)), (18_000, 18_001));
    }
}
