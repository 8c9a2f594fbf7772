//! Expectations: one-line checks on the cluster's state at a moment, written to read
//! well to a student:
//!
//! ```text
//! deployment/web available == 3
//! pods(app=web) running == 3
//! pods(app=web) on worker-1 == 0
//! pods(app=web) nodes >= 2
//! node/worker-1 ready == Unknown
//! pod/big status == Pending
//! daemonset/kube-system/fluentd available == 3
//! ```
//!
//! A subject (`kind/name`, `pods`, `pods(selector)`, `nodes`, `nodes(selector)`), a
//! field, a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`) and a value (a number or a word).

use crate::api::meta::{LabelSelector, LabelSelectorRequirement};
use crate::api::{Kind, Object};
use crate::etcd::Store;
use crate::trace::{node_status, pod_status};
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq)]
pub enum Subject {
    One { kind: Kind, namespace: String, name: String },
    Pods(LabelSelector),
    Nodes(LabelSelector),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub subject: Subject,
    pub field: String,
    /// For `on NODE`.
    pub arg: Option<String>,
    pub op: Op,
    pub value: String,
}

const POD_FIELDS: &[&str] = &["phase", "status", "node", "ip", "ready", "restarts", "exists"];
const PODS_FIELDS: &[&str] = &["count", "running", "pending", "ready", "terminating", "failed", "succeeded", "unschedulable", "nodes", "on"];
const NODE_FIELDS: &[&str] = &["ready", "status", "taints", "pods", "podCIDR", "exists"];
const NODES_FIELDS: &[&str] = &["count", "ready", "notready"];
const WORKLOAD_FIELDS: &[&str] = &["replicas", "ready", "available", "updated", "unavailable", "exists"];
const REPLICASET_FIELDS: &[&str] = &["replicas", "ready", "available", "unavailable", "exists"];
const DAEMONSET_FIELDS: &[&str] = &["desired", "current", "ready", "updated", "available", "unavailable", "misscheduled", "exists"];

fn parse_selector(s: &str) -> Result<LabelSelector, String> {
    let mut sel = LabelSelector::default();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if let Some((k, v)) = part.split_once("!=") {
            sel.match_expressions.push(LabelSelectorRequirement { key: k.trim().into(), operator: "NotIn".into(), values: vec![v.trim().into()] });
        } else if let Some((k, v)) = part.split_once('=') {
            sel.match_labels.insert(k.trim().into(), v.trim_start_matches('=').trim().into());
        } else if let Some(k) = part.strip_prefix('!') {
            sel.match_expressions.push(LabelSelectorRequirement { key: k.trim().into(), operator: "DoesNotExist".into(), values: vec![] });
        } else {
            sel.match_expressions.push(LabelSelectorRequirement { key: part.into(), operator: "Exists".into(), values: vec![] });
        }
    }
    Ok(sel)
}

/// Parses `deployment/web available == 3`.
pub fn parse(text: &str) -> Result<Check, String> {
    let usage = "expected `<subject> <field> <op> <value>`, e.g. `deployment/web available == 3` or `pods(app=web) running == 3`";
    let t = text.trim();
    let (subject_text, rest) = match t.find(')') {
        Some(close) if t.starts_with("pods(") || t.starts_with("nodes(") => (&t[..=close], &t[close + 1..]),
        _ => t.split_once(char::is_whitespace).ok_or_else(|| usage.to_string())?,
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    let (field, arg, op, value) = match words.as_slice() {
        [f, a, o, v] if *f == "on" => (f.to_string(), Some(a.to_string()), *o, *v),
        [f, o, v] => (f.to_string(), None, *o, *v),
        _ => return Err(usage.into()),
    };
    let op = match op {
        "==" | "=" => Op::Eq,
        "!=" => Op::Ne,
        "<" => Op::Lt,
        "<=" => Op::Le,
        ">" => Op::Gt,
        ">=" => Op::Ge,
        o => return Err(format!("unknown comparison {o:?}: use one of == != < <= > >=")),
    };
    let (subject, fields) = if let Some(inner) = subject_text.strip_prefix("pods(").and_then(|s| s.strip_suffix(')')) {
        (Subject::Pods(parse_selector(inner)?), PODS_FIELDS)
    } else if let Some(inner) = subject_text.strip_prefix("nodes(").and_then(|s| s.strip_suffix(')')) {
        (Subject::Nodes(parse_selector(inner)?), NODES_FIELDS)
    } else if subject_text == "pods" {
        (Subject::Pods(LabelSelector::default()), PODS_FIELDS)
    } else if subject_text == "nodes" {
        (Subject::Nodes(LabelSelector::default()), NODES_FIELDS)
    } else {
        let parts: Vec<&str> = subject_text.split('/').collect();
        let (k, ns, name) = match parts.as_slice() {
            [k, n] => (*k, "default", *n),
            [k, ns, n] => (*k, *ns, *n),
            _ => return Err(format!("unknown subject {subject_text:?}: {usage}")),
        };
        let kind = Kind::from_user(k).ok_or_else(|| format!("unknown kind {k:?} in {subject_text:?}"))?;
        let fields = match kind {
            Kind::Pod => POD_FIELDS,
            Kind::Node => NODE_FIELDS,
            Kind::Deployment => WORKLOAD_FIELDS,
            Kind::ReplicaSet | Kind::ReplicationController => REPLICASET_FIELDS,
            Kind::DaemonSet => DAEMONSET_FIELDS,
            _ => &["exists"][..],
        };
        let ns = if kind.namespaced() { ns } else { "" };
        (Subject::One { kind, namespace: ns.into(), name: name.into() }, fields)
    };
    if !fields.contains(&field.as_str()) {
        return Err(format!("unknown field {field:?} for {subject_text}: expected one of {}", fields.join(", ")));
    }
    Ok(Check { subject, field, arg, op, value: value.trim_matches('"').to_string() })
}

fn compare(op: Op, got: &str, want: &str) -> bool {
    let ord = match (got.parse::<i64>(), want.parse::<i64>()) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => got.cmp(want),
    };
    match op {
        Op::Eq => ord.is_eq(),
        Op::Ne => !ord.is_eq(),
        Op::Lt => ord.is_lt(),
        Op::Le => ord.is_le(),
        Op::Gt => ord.is_gt(),
        Op::Ge => ord.is_ge(),
    }
}

fn live_pods(store: &Store) -> impl Iterator<Item = &crate::api::pod::Pod> {
    store.list(&Kind::Pod).filter_map(|o| o.as_pod())
}

/// The observed value of a check's subject and field.
pub fn observe(c: &Check, store: &Store) -> String {
    match &c.subject {
        Subject::Pods(sel) => {
            let pods: Vec<_> = live_pods(store).filter(|p| sel.matches(&p.metadata.labels)).collect();
            let count = |f: &dyn Fn(&&crate::api::pod::Pod) -> bool| pods.iter().filter(|p| f(p)).count().to_string();
            let live = |p: &&crate::api::pod::Pod| !p.is_terminal() && p.metadata.deletion_timestamp.is_none();
            match c.field.as_str() {
                "count" => pods.len().to_string(),
                "running" => count(&|p| p.status.phase == "Running" && p.metadata.deletion_timestamp.is_none()),
                "pending" => count(&|p| p.status.phase == "Pending" && p.metadata.deletion_timestamp.is_none()),
                "ready" => count(&|p| p.is_ready() && p.metadata.deletion_timestamp.is_none()),
                "terminating" => count(&|p| p.metadata.deletion_timestamp.is_some()),
                "failed" => count(&|p| p.status.phase == "Failed"),
                "succeeded" => count(&|p| p.status.phase == "Succeeded"),
                "unschedulable" => count(&|p| p.condition("PodScheduled").is_some_and(|c| c.status == "False")),
                "nodes" => {
                    let set: std::collections::BTreeSet<&str> =
                        pods.iter().filter(|p| live(p)).map(|p| p.spec.node_name.as_str()).filter(|n| !n.is_empty()).collect();
                    set.len().to_string()
                }
                "on" => {
                    let node = c.arg.clone().unwrap_or_default();
                    count(&|p| live(p) && p.spec.node_name == node)
                }
                _ => String::new(),
            }
        }
        Subject::Nodes(sel) => {
            let nodes: Vec<_> = store.list(&Kind::Node).filter_map(|o| o.as_node()).filter(|n| sel.matches(&n.metadata.labels)).collect();
            match c.field.as_str() {
                "count" => nodes.len().to_string(),
                "ready" => nodes.iter().filter(|n| n.ready_status() == "True").count().to_string(),
                _ => nodes.iter().filter(|n| n.ready_status() != "True").count().to_string(),
            }
        }
        Subject::One { kind, namespace, name } => {
            let obj: Option<&Rc<Object>> = store.get_parts(kind, namespace, name);
            if c.field == "exists" {
                return obj.is_some().to_string();
            }
            let Some(obj) = obj else { return "<not found>".into() };
            match &**obj {
                Object::Pod(p) => match c.field.as_str() {
                    "phase" => p.status.phase.to_string(),
                    "status" => pod_status(p),
                    "node" => p.spec.node_name.clone(),
                    "ip" => p.status.pod_ip.clone(),
                    "ready" => p.is_ready().to_string(),
                    _ => p.restarts().to_string(),
                },
                Object::Node(n) => match c.field.as_str() {
                    "ready" => n.ready_status().to_string(),
                    "status" => node_status(n),
                    "taints" => n.spec.taints.len().to_string(),
                    "podCIDR" => n.spec.pod_cidr.clone(),
                    _ => live_pods(store).filter(|p| p.spec.node_name == *name && !p.is_terminal()).count().to_string(),
                },
                Object::Deployment(d) => match c.field.as_str() {
                    "replicas" => d.status.replicas.to_string(),
                    "ready" => d.status.ready_replicas.to_string(),
                    "available" => d.status.available_replicas.to_string(),
                    "updated" => d.status.updated_replicas.to_string(),
                    _ => d.status.unavailable_replicas.to_string(),
                },
                Object::ReplicaSet(r) => match c.field.as_str() {
                    "replicas" => r.status.replicas.to_string(),
                    "ready" => r.status.ready_replicas.to_string(),
                    "available" => r.status.available_replicas.to_string(),
                    _ => (r.replicas() - r.status.available_replicas).max(0).to_string(),
                },
                Object::ReplicationController(r) => match c.field.as_str() {
                    "replicas" => r.status.replicas.to_string(),
                    "ready" => r.status.ready_replicas.to_string(),
                    "available" => r.status.available_replicas.to_string(),
                    _ => (r.replicas() - r.status.available_replicas).max(0).to_string(),
                },
                Object::DaemonSet(d) => {
                    let s = &d.status;
                    match c.field.as_str() {
                        "desired" => s.desired_number_scheduled,
                        "current" => s.current_number_scheduled,
                        "ready" => s.number_ready,
                        "updated" => s.updated_number_scheduled,
                        "available" => s.number_available,
                        "misscheduled" => s.number_misscheduled,
                        _ => s.number_unavailable,
                    }
                    .to_string()
                }
                _ => String::new(),
            }
        }
    }
}

/// Evaluates a check: Ok(observed) or Err(observed).
pub fn evaluate(c: &Check, store: &Store) -> Result<String, String> {
    let got = observe(c, store);
    if compare(c.op, &got, &c.value) {
        Ok(got)
    } else {
        Err(got)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_student_friendly_checks() {
        let c = parse("deployment/web available == 3").unwrap();
        assert_eq!(c.subject, Subject::One { kind: Kind::Deployment, namespace: "default".into(), name: "web".into() });
        assert_eq!((c.field.as_str(), c.op, c.value.as_str()), ("available", Op::Eq, "3"));
        let c = parse("pods(app=web, tier!=db) on worker-1 >= 1").unwrap();
        assert_eq!(c.arg.as_deref(), Some("worker-1"));
        assert!(matches!(c.subject, Subject::Pods(ref s) if s.match_labels.len() == 1 && s.match_expressions.len() == 1));
        assert!(parse("node/worker-1 ready == Unknown").is_ok());
        assert!(parse("deployment/web colour == blue").unwrap_err().contains("unknown field"));
        assert!(parse("deployment/web available ~ 3").unwrap_err().contains("unknown comparison"));
        assert!(parse("gizmo/x exists == true").is_err());
        assert!(parse("nonsense").is_err());
    }

    #[test]
    fn compares_numbers_as_numbers() {
        assert!(compare(Op::Lt, "9", "10"));
        assert!(compare(Op::Eq, "Running", "Running"));
        assert!(!compare(Op::Ne, "3", "3"));
    }
}
