//! What the page draws, as JSON: pods and nodes reduced to the fields the cards and
//! chips show, log lines, timeline markers and an object's detail panel.

use crate::session::Session;
use serde_json::{json, Value};
use sim_core::api::node::Node;
use sim_core::api::pod::Pod;
use sim_core::api::{Kind, Object};
use sim_core::trace::{node_status, pod_status};

/// Loads and starts a session; Err is the JSON the page shows in the editor.
pub fn load(name: &str, text: &str, seed: Option<u64>) -> Result<Session, String> {
    let problem_json = |problems: Vec<Value>, rendered: String| json!({"problems": problems, "rendered": rendered}).to_string();
    let scenario = crate::session::load(name, text).map_err(|(ps, rendered)| {
        let ps = ps.into_iter().map(|p| json!({"file": p.file, "line": p.line, "col": p.col, "message": p.message})).collect();
        problem_json(ps, rendered)
    })?;
    Session::new(scenario, seed).map_err(|e| problem_json(vec![json!({"file": name, "line": 1, "col": 1, "message": e})], format!("error: {e}")))
}

fn pod_view(s: &Session, id: u32, p: &Pod) -> Value {
    let r = p.spec.requests();
    let owner = p.metadata.controller_ref().map_or(String::new(), |o| format!("{}/{}", o.kind, o.name));
    let reason = p.condition("PodScheduled").filter(|c| c.status == "False").map_or("", |c| c.message.as_str());
    let replaces = s.replaces.get(&id).map(|&old| {
        let k = s.key(old);
        format!("{}/{}", k.namespace, k.name)
    });
    json!({
        "id": id,
        "ns": p.metadata.namespace,
        "name": p.metadata.name,
        "node": p.spec.node_name,
        "phase": &*p.status.phase,
        "status": pod_status(p),
        "ready": p.is_ready(),
        "ip": p.status.pod_ip,
        "owner": owner,
        "terminating": p.metadata.rare.deletion_timestamp.is_some(),
        "restarts": p.restarts(),
        "cpu": r.milli_cpu,
        "mem": r.memory,
        "reason": reason,
        "replaces": replaces,
    })
}

fn node_view(id: u32, n: &Node) -> Value {
    let q = |r: &str, milli: bool| n.status.allocatable.get(r).map_or(0, |v| if milli { v.milli_value() } else { v.value() });
    json!({
        "id": id,
        "name": n.metadata.name,
        "pool": n.metadata.labels.get("ksim.dev/pool").cloned().unwrap_or_default(),
        "labels": n.metadata.labels,
        "taints": n.spec.taints.iter().map(|t| t.describe()).collect::<Vec<_>>(),
        "ready": n.ready_status(),
        "status": node_status(n),
        "cpu": q("cpu", true),
        "mem": q("memory", false),
        "pods": q("pods", false),
    })
}

/// Moves to `t` and returns the changed pods and nodes (all of them when `all`).
pub fn seek(s: &mut Session, t: u64, all: bool) -> String {
    let touched = s.seek(t);
    let ids: Vec<u32> = if all { s.all_ids().collect() } else { touched.into_iter().collect() };
    let (mut pods, mut nodes, mut removed) = (Vec::new(), Vec::new(), Vec::new());
    for id in ids {
        let kind = &s.key(id).kind;
        if *kind != Kind::Pod && *kind != Kind::Node {
            continue;
        }
        match s.get(id).map(|o| &**o) {
            Some(Object::Pod(p)) => pods.push(pod_view(s, id, p)),
            Some(Object::Node(n)) => nodes.push(node_view(id, n)),
            _ => removed.push(id),
        }
    }
    json!({"t": t.min(s.horizon_ms()), "pods": pods, "nodes": nodes, "removed": removed}).to_string()
}

fn record_json(s: &Session, i: usize) -> Value {
    let r = &s.records()[i];
    json!({"i": i, "t": r.t, "verb": r.verb, "by": r.by, "kind": r.kind, "ns": r.ns, "name": r.name, "change": r.change})
}

/// The log lines around `t` (only the interesting ones unless `all`): `{"total",
/// "at", "lines"}`; `at` is how many lines are at or before `t`.
pub fn log_window(s: &Session, t: u64, before: usize, after: usize, all: bool) -> String {
    let recs = s.records();
    let every: Vec<u32>;
    let idx: &[u32] = if all {
        every = (0..recs.len() as u32).collect();
        &every
    } else {
        s.interesting()
    };
    let at = idx.partition_point(|&i| recs[i as usize].t <= t);
    let lines: Vec<Value> = idx[at.saturating_sub(before)..(at + after).min(idx.len())].iter().map(|&i| record_json(s, i as usize)).collect();
    json!({"total": idx.len(), "at": at, "lines": lines}).to_string()
}

/// The timeline actions (scenario timeline and random faults) recorded so far.
pub fn markers(s: &Session) -> String {
    let v: Vec<Value> = s.records().iter().filter(|r| r.verb == "timeline").map(|r| json!({"t": r.t, "action": r.change.get("action")})).collect();
    Value::Array(v).to_string()
}

fn to_yaml(o: &Object) -> String {
    let mut o = o.clone();
    o.set_type_meta();
    serde_saphyr::to_string(&o.to_json()).unwrap_or_else(|e| format!("# cannot print as YAML: {e}\n"))
}

fn events_of(s: &Session, kind: &Kind, name: &str) -> Vec<Value> {
    let mut evs: Vec<(u64, Value)> = s
        .objects()
        .filter_map(|o| match &**o {
            Object::Event(e) if e.involved_object.name == name && e.involved_object.kind == kind.name() => Some(e),
            _ => None,
        })
        .map(|e| {
            let last = e.last_timestamp.get().or(e.first_timestamp.get()).map_or(0, |t| t.0.as_ms());
            (last, json!({"t": last, "type": &*e.type_, "reason": e.reason, "message": e.message, "count": e.count}))
        })
        .collect();
    evs.sort_by_key(|e| e.0);
    evs.into_iter().map(|e| e.1).collect()
}

/// `{"yaml", "events", "ips", "replaces", "replacedBy", "exists", "phase", "node"}` for a
/// pod or node at the shown moment (phase and node: a pod's).
pub fn detail(s: &Session, kind: &Kind, ns: &str, name: &str) -> String {
    let Some(id) = s.find(kind, ns, name) else { return "null".into() };
    let obj = s.get(id);
    let yaml = obj.map_or_else(|| format!("# {kind} {name} does not exist at this moment\n"), |o| to_yaml(o));
    let events = events_of(s, kind, name);
    let key_name = |id: u32| {
        let k = s.key(id);
        format!("{}/{}", k.namespace, k.name)
    };
    let ips: Vec<Value> = if *kind == Kind::Node {
        s.node_ip_history(name).into_iter().map(|(t, p, ip)| json!({"t": t, "pod": key_name(p), "ip": ip})).collect()
    } else {
        s.ip_history(id).into_iter().map(|(t, ip)| json!({"t": t, "ip": ip})).collect()
    };
    let replaces = s.replaces.get(&id).map(|&o| key_name(o));
    // Only a replacement that exists by now (the pairs are found over the whole run).
    let replaced_by = s.replaces.iter().find(|(&n, &o)| o == id && s.get(n).is_some()).map(|(&n, _)| key_name(n));
    let pod = obj.and_then(|o| o.as_pod());
    let (phase, node) = pod.map_or(("", ""), |p| (&*p.status.phase, p.spec.node_name.as_str()));
    json!({"yaml": yaml, "events": events, "ips": ips, "replaces": replaces, "replacedBy": replaced_by, "exists": obj.is_some(), "phase": phase, "node": node})
        .to_string()
}

/// One log record, for the message popup: `{"i", "t", "rev", "verb", "by", "kind", "ns",
/// "name", "change"}`.
pub fn record(s: &Session, i: usize) -> String {
    match s.records().get(i) {
        Some(r) => {
            json!({"i": i, "t": r.t, "rev": r.rev, "verb": r.verb, "by": r.by, "kind": r.kind, "ns": r.ns, "name": r.name, "change": r.change}).to_string()
        }
        None => "null".into(),
    }
}

/// The control plane at `t` for the architecture view: etcd's revision and keys by kind,
/// the apiserver's writes in the last 10 s, the scheduler's queues and its last attempt,
/// the controllers' workqueues, the timeline's last action and the controller manager's
/// last write.
pub fn arch_state(s: &Session, t: u64) -> String {
    let recs = s.records();
    let h = &s.arch;
    let upto = recs.partition_point(|r| r.t <= t);
    let rev = upto.checked_sub(1).map_or(0, |i| recs[i].rev);
    let keys: Vec<Value> = h.keys_at(t).into_iter().map(|(k, n)| json!([k, n])).collect();
    let recent = h.writes_between(recs, t.saturating_sub(10_000), t).len();
    let [active, backoff, unschedulable] = h.sched_at(t);
    let brief = |i: Option<usize>| {
        i.map(|i| {
            let r = &recs[i];
            json!({"i": i, "t": r.t, "verb": r.verb, "kind": r.kind, "ns": r.ns, "name": r.name, "change": r.change})
        })
    };
    let controllers: Vec<Value> = h
        .controllers_at(t)
        .into_iter()
        .map(|(name, queued, delayed, when)| json!({"name": name, "queued": queued, "delayed": delayed, "since": when}))
        .collect();
    json!({
        "t": t,
        "rev": rev,
        "keys": keys,
        "recentWrites": recent,
        "sched": {"active": active, "backoff": backoff, "unschedulable": unschedulable, "last": brief(h.last_attempt(recs, t))},
        "controllers": controllers,
        "controllerCount": h.controller_count(),
        "action": brief(h.last_action(recs, t)),
        "cmWrite": brief(h.last_cm_write(recs, t)),
    })
    .to_string()
}

/// The writes in `(t0, t1]` as the architecture view draws them — the last `max` of
/// them, and how many there were: `{"total", "records": [{"i", "t", "rev", "by",
/// "verb", "kind", "ns", "name", "key" (etcd's), "event" (the watch event's type),
/// "watch": [components watching the kind], "kubelets": [nodes]}]}`.
pub fn arch_messages(s: &Session, t0: u64, t1: u64, max: usize) -> String {
    let recs = s.records();
    let idx = s.arch.writes_between(recs, t0, t1);
    let shown = &idx[idx.len().saturating_sub(max)..];
    let records: Vec<Value> = shown
        .iter()
        .map(|&i| {
            let r = &recs[i as usize];
            let kubelets: Vec<&str> = s.arch.route(i as usize).collect();
            // etcd's key, as kube-apiserver's storage lays them out.
            let resource = Kind::from_user(&r.kind).map_or_else(|| r.kind.to_ascii_lowercase(), |k| k.resource());
            let key = if r.ns.is_empty() { format!("/registry/{resource}/{}", r.name) } else { format!("/registry/{resource}/{}/{}", r.ns, r.name) };
            json!({"i": i, "t": r.t, "rev": r.rev, "by": r.by, "verb": r.verb, "kind": r.kind, "ns": r.ns, "name": r.name, "key": key,
                   "event": s.arch.event_type(i as usize), "watch": crate::arch::History::watchers(&r.kind), "kubelets": kubelets})
        })
        .collect();
    json!({"total": idx.len(), "records": records}).to_string()
}
