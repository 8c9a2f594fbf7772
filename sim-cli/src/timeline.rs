//! The short, readable timeline `ksim run` prints, derived from the event log: what a
//! student wants to see (pods created, scheduled, given IPs, started, ready, lost;
//! nodes going NotReady and tainted; warnings), not every heartbeat.

use serde_json::Value;
use sim_core::trace::Record;

fn b(r: &Record, k: &str) -> Option<bool> {
    r.get(k).and_then(Value::as_bool)
}

/// One readable line for a record, or None when it is routine.
pub fn describe(r: &Record) -> Option<String> {
    let what = format!("{}/{}", r.kind.to_ascii_lowercase(), r.name);
    match (r.kind.as_str(), r.verb.as_str()) {
        ("", "timeline") => Some(format!("▶ {}", r.get_str("action").unwrap_or(""))),
        ("", "kubectl") => Some(format!("  {}", r.get_str("output").unwrap_or(""))),
        ("", "kubeadm") => Some(format!("{}: {}", r.by, r.get_str("output").unwrap_or(""))),
        ("", "control-plane" | "chaos" | "kubelet") => Some(format!("{}: {}", r.by, r.get_str("message").unwrap_or(""))),
        ("Pod", "create") => Some(match r.get_str("owner") {
            Some(o) => format!("{what} created by {o}"),
            None => format!("{what} created"),
        }),
        ("Pod", "bind") => Some(format!("{what} scheduled to {}", r.get_str("node").unwrap_or("?"))),
        ("Pod", "delete") if r.change.is_empty() => Some(format!("{what} deleted")),
        ("Pod", _) => {
            let mut parts = Vec::new();
            if let Some(s) = r.get_str("status") {
                parts.push(s.to_string());
            }
            if let Some(ip) = r.get_str("ip").filter(|s| !s.is_empty()) {
                parts.push(format!("IP {ip}"));
            }
            match b(r, "ready") {
                Some(true) => parts.push("ready".into()),
                Some(false) => parts.push("not ready".into()),
                None => {}
            }
            if b(r, "terminating") == Some(true) && !parts.iter().any(|p| p == "Terminating") {
                parts.push("terminating".into());
            }
            if let Some(n) = r.get("restarts").and_then(Value::as_i64) {
                parts.push(format!("restarts {n}"));
            }
            (!parts.is_empty()).then(|| format!("{what} {}", parts.join(", ")))
        }
        // kube-controller-manager's token cleaner at a bootstrap token's expiry.
        ("Secret", "delete") if r.name.starts_with("bootstrap-token-") => Some(format!("{what} deleted by {}", r.by)),
        ("Node", "create") => Some(format!("{what} registered")),
        ("Node", "delete") => Some(format!("{what} deleted")),
        ("Node", _) => {
            let mut parts = Vec::new();
            if let Some(c) = r.get_str("podCIDR").filter(|s| !s.is_empty()) {
                parts.push(format!("podCIDR {c}"));
            }
            if let Some(s) = r.get_str("status") {
                parts.push(match r.get_str("ready") {
                    Some(ready) => format!("{s} (Ready={ready})"),
                    None => s.to_string(),
                });
            }
            if let Some(t) = r.get("taints").and_then(Value::as_array) {
                let ts: Vec<&str> = t.iter().filter_map(Value::as_str).collect();
                parts.push(if ts.is_empty() { "taints removed".into() } else { format!("taints {}", ts.join(" ")) });
            }
            (!parts.is_empty()).then(|| format!("{what} {}", parts.join(", ")))
        }
        ("Deployment" | "ReplicaSet" | "ReplicationController" | "DaemonSet", "create") => Some(format!("{what} created")),
        ("Deployment" | "ReplicaSet" | "ReplicationController" | "DaemonSet", "delete") => Some(format!("{what} deleted")),
        ("Deployment" | "ReplicaSet" | "ReplicationController", _) => r.get("replicas").and_then(Value::as_i64).map(|n| format!("{what} replicas set to {n}")),
        ("DaemonSet", _) => r.get("desired").and_then(Value::as_i64).map(|n| format!("{what} desired on {n} node{}", if n == 1 { "" } else { "s" })),
        ("Event", _) => {
            let reason = r.get_str("reason").unwrap_or("");
            let warning = r.get_str("type") == Some("Warning");
            let notable = warning || matches!(reason, "TaintManagerEviction" | "NodeNotReady" | "Killing");
            notable.then(|| format!("{} {}: {}", reason, r.get_str("object").unwrap_or("").to_ascii_lowercase(), r.get_str("message").unwrap_or("")))
        }
        _ => None,
    }
}
