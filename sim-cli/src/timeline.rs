//! The short, readable timeline `ksim run` prints, derived from the event log: what a
//! student wants to see (pods created, scheduled, given IPs, started, ready, lost;
//! nodes going NotReady and tainted; warnings), not every heartbeat.

use serde_json::Value;
use sim_core::trace::{Record, Written};

fn b(r: &Record, k: &str) -> Option<bool> {
    r.get(k).and_then(Value::as_bool)
}

/// One readable line for a record, or None when it is routine. The record is built only
/// for the kinds and verbs that may have a line (not for a Lease renewal).
pub fn describe(w: &Written) -> Option<String> {
    let what = || format!("{}/{}", w.kind.to_ascii_lowercase(), w.name);
    let r = || w.record();
    match (w.kind, w.verb) {
        ("", "timeline") => Some(format!("▶ {}", r().get_str("action").unwrap_or(""))),
        ("", "kubectl") => Some(format!("  {}", r().get_str("output").unwrap_or(""))),
        ("", "kubeadm") => Some(format!("{}: {}", r().by, r().get_str("output").unwrap_or(""))),
        ("", "control-plane" | "chaos" | "kubelet") => Some(format!("{}: {}", r().by, r().get_str("message").unwrap_or(""))),
        ("Pod", "create") => Some(match r().get_str("owner") {
            Some(o) => format!("{} created by {o}", what()),
            None => format!("{} created", what()),
        }),
        ("Pod", "bind") => Some(format!("{} scheduled to {}", what(), r().get_str("node").unwrap_or("?"))),
        ("Pod", "delete") if r().change.is_empty() => Some(format!("{} deleted", what())),
        ("Pod", _) => {
            let mut parts = Vec::new();
            if let Some(s) = r().get_str("status") {
                parts.push(s.to_string());
            }
            if let Some(ip) = r().get_str("ip").filter(|s| !s.is_empty()) {
                parts.push(format!("IP {ip}"));
            }
            match b(r(), "ready") {
                Some(true) => parts.push("ready".into()),
                Some(false) => parts.push("not ready".into()),
                None => {}
            }
            if b(r(), "terminating") == Some(true) && !parts.iter().any(|p| p == "Terminating") {
                parts.push("terminating".into());
            }
            if let Some(n) = r().get("restarts").and_then(Value::as_i64) {
                parts.push(format!("restarts {n}"));
            }
            (!parts.is_empty()).then(|| format!("{} {}", what(), parts.join(", ")))
        }
        // kube-controller-manager's token cleaner at a bootstrap token's expiry.
        ("Secret", "delete") if w.name.starts_with("bootstrap-token-") => Some(format!("{} deleted by {}", what(), r().by)),
        ("Node", "create") => Some(format!("{} registered", what())),
        ("Node", "delete") => Some(format!("{} deleted", what())),
        ("Node", _) => {
            let mut parts = Vec::new();
            if let Some(c) = r().get_str("podCIDR").filter(|s| !s.is_empty()) {
                parts.push(format!("podCIDR {c}"));
            }
            if let Some(s) = r().get_str("status") {
                parts.push(match r().get_str("ready") {
                    Some(ready) => format!("{s} (Ready={ready})"),
                    None => s.to_string(),
                });
            }
            if let Some(t) = r().get("taints").and_then(Value::as_array) {
                let ts: Vec<&str> = t.iter().filter_map(Value::as_str).collect();
                parts.push(if ts.is_empty() { "taints removed".into() } else { format!("taints {}", ts.join(" ")) });
            }
            (!parts.is_empty()).then(|| format!("{} {}", what(), parts.join(", ")))
        }
        ("Deployment" | "ReplicaSet" | "ReplicationController" | "DaemonSet", "create") => Some(format!("{} created", what())),
        ("Deployment" | "ReplicaSet" | "ReplicationController" | "DaemonSet", "delete") => Some(format!("{} deleted", what())),
        ("Deployment" | "ReplicaSet" | "ReplicationController", _) => {
            r().get("replicas").and_then(Value::as_i64).map(|n| format!("{} replicas set to {n}", what()))
        }
        ("DaemonSet", _) => r().get("desired").and_then(Value::as_i64).map(|n| format!("{} desired on {n} node{}", what(), if n == 1 { "" } else { "s" })),
        ("Event", _) => {
            let reason = r().get_str("reason").unwrap_or("");
            let warning = r().get_str("type") == Some("Warning");
            let notable = warning || matches!(reason, "TaintManagerEviction" | "NodeNotReady" | "Killing");
            notable.then(|| format!("{} {}: {}", reason, r().get_str("object").unwrap_or("").to_ascii_lowercase(), r().get_str("message").unwrap_or("")))
        }
        _ => None,
    }
}
