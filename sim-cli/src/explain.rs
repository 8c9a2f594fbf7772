//! `ksim explain pod/NAME FILE… --at T`: the pod's last scheduling attempt before T,
//! node by node (which filter rejected it and why) and plugin by plugin (raw,
//! normalized, weighted scores), as kube-scheduler computed it.

use crate::run::{load, EXIT_BAD_INPUT};
use sim_core::api::Kind;
use sim_core::engine::{SimDuration, SimTime};
use sim_core::scheduler::Explanation;
use sim_core::trace::{Trace, Written};
use sim_core::{RunOptions, Scenario, Simulation};
use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;

/// Why there is no scheduling attempt to show, in kubectl's words where it has them.
fn no_attempt(s: &Scenario, sim: &Simulation, ns: &str, name: &str, at: SimDuration, existed: bool) -> String {
    if !existed {
        return format!("Error from server (NotFound): pods {} not found", sim_core::scenario::diagnostic::clip_quoted(name));
    }
    let pod = sim.api.store.get_parts(&Kind::Pod, ns, name).and_then(|o| o.as_pod().cloned());
    match pod {
        Some(p) if !s.scheduler.profiles.iter().any(|pr| pr.scheduler_name == p.spec.scheduler_name) => {
            format!(
                "pod {ns}/{name} names schedulerName {}, which no scheduler profile serves: it stays Pending",
                sim_core::scenario::diagnostic::clip_quoted(&p.spec.scheduler_name)
            )
        }
        Some(p) if !p.spec.node_name.is_empty() => {
            format!("pod {ns}/{name} was given spec.nodeName {} when it was created: kube-scheduler never schedules it", p.spec.node_name)
        }
        _ => format!("error: pod {ns}/{name} had no scheduling attempt before {at} (see `ksim get pods --at {at}`)"),
    }
}

pub fn explain(target: &str, files: &[String], at: Option<&str>, seed: Option<u64>, output: Option<&str>, namespace: Option<&str>) -> u8 {
    let mut err = anstream::stderr();
    // pod/NAME, or a bare NAME (a pod's: explain explains pods).
    let name = match target.split_once('/') {
        Some(("pod" | "pods" | "po", n)) if !n.is_empty() => n,
        None if !target.is_empty() && !target.ends_with(".yaml") && !target.ends_with(".yml") => target,
        _ => {
            let _ = writeln!(err, "error: explain takes pod/NAME or NAME (got {})", sim_core::scenario::diagnostic::clip_quoted(target));
            return EXIT_BAD_INPUT;
        }
    };
    if let Some(o) = output.filter(|o| *o != "json") {
        let _ = writeln!(err, "error: unable to match a printer suitable for the output format {o:?}, allowed formats are: json");
        return EXIT_BAD_INPUT;
    }
    let ns = namespace.unwrap_or("default");
    let s = match load(files, seed, None) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let at = match crate::run::moment(at, &s) {
        Ok(d) => d,
        Err(c) => return c,
    };
    // Whether the pod ever existed up to --at, seen in the event log as it is written.
    let existed = Rc::new(Cell::new(false));
    let seen = Rc::clone(&existed);
    let (want_ns, want_name) = (ns.to_string(), name.to_string());
    let trace = Trace::with_sink(
        false,
        Box::new(move |w: &Written| {
            if w.kind == "Pod" && w.ns == want_ns && w.name == want_name {
                seen.set(true);
            }
        }),
    );
    let mut sim = match Simulation::with_trace(&s, &RunOptions { keep_log: false, ..RunOptions::for_scenario(&s) }, trace) {
        Ok(sim) => sim,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    sim.scheduler.explain(ns, name);
    if let Err(c) = crate::run::run_to(&mut sim, SimTime(at.as_ms())) {
        return c;
    }
    let Some(ex) = sim.scheduler.explanation.clone() else {
        let _ = writeln!(err, "{}", no_attempt(&s, &sim, ns, name, at, existed.get()));
        return 1;
    };
    let mut out = anstream::stdout();
    if output == Some("json") {
        let mut v = serde_json::to_value(&ex).expect("explanation serializes");
        v["time"] = serde_json::Value::String(SimDuration(ex.time.0).to_string());
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&v).expect("json"));
        return 0;
    }
    let _ = write!(out, "{}", render(&ex));
    0
}

/// The readable form: a verdict per node, then each score plugin's arithmetic.
pub fn render(ex: &Explanation) -> String {
    let mut s = String::new();
    let when = SimDuration(ex.time.0);
    let verdict = match (&ex.node, &ex.nominated_node) {
        (Some(n), _) => format!("scheduled to {n}"),
        (None, Some(n)) => format!("unschedulable; preemption nominated {n} (victims: {})", ex.victims.join(", ")),
        (None, None) => "unschedulable".to_string(),
    };
    s.push_str(&format!("Pod {} ({}), last attempt at {when}: {verdict}\n", ex.pod, ex.scheduler_name));
    if !ex.message.is_empty() {
        s.push_str(&format!("Message: {}\n", ex.message));
    }
    s.push_str(&format!("Nodes evaluated: {} of {}", ex.evaluated_nodes, ex.total_nodes));
    if ex.evaluated_nodes < ex.total_nodes {
        s.push_str(" (percentageOfNodesToScore: the search stops once enough feasible nodes are found)");
    }
    s.push_str("\n\n");
    let mut tw = tabwriter::TabWriter::new(Vec::new()).padding(2);
    let _ = writeln!(tw, "NODE\tRESULT\tTOTAL");
    for n in &ex.nodes {
        let result = if n.feasible {
            if ex.node.as_deref() == Some(n.name.as_str()) {
                "chosen".to_string()
            } else {
                "feasible".to_string()
            }
        } else {
            let plugin = n.filter.first().map_or("", |f| f.plugin.as_str());
            let reasons: Vec<&str> = n.filter.iter().map(|f| f.reason.as_str()).collect();
            format!("{plugin}: {}", reasons.join(", "))
        };
        let total = if n.feasible { n.total.to_string() } else { "-".into() };
        let _ = writeln!(tw, "{}\t{result}\t{total}", n.name);
    }
    let _ = tw.flush();
    s.push_str(&String::from_utf8_lossy(&tw.into_inner().unwrap_or_default()));
    let scored: Vec<_> = ex.nodes.iter().filter(|n| n.feasible && !n.scores.is_empty()).collect();
    if let Some(first) = scored.first() {
        s.push_str("\nScores (raw → normalized × weight = weighted):\n");
        let mut tw = tabwriter::TabWriter::new(Vec::new()).padding(2);
        let mut header = vec!["NODE".to_string()];
        header.extend(first.scores.iter().map(|p| p.plugin.clone()));
        header.push("TOTAL".into());
        let _ = writeln!(tw, "{}", header.join("\t"));
        for n in &scored {
            let mut row = vec![n.name.clone()];
            row.extend(n.scores.iter().map(|p| format!("{} → {} ×{} = {}", p.raw, p.normalized, p.weight, p.weighted)));
            row.push(n.total.to_string());
            let _ = writeln!(tw, "{}", row.join("\t"));
        }
        let _ = tw.flush();
        s.push_str(&String::from_utf8_lossy(&tw.into_inner().unwrap_or_default()));
    } else if ex.node.is_some() {
        s.push_str("\nOnly one node passed the filters, so kube-scheduler skips scoring.\n");
    }
    s
}
