//! `ksim plot FILE… --what pods-by-phase|pending|allocation|traffic -o out.svg`: a line
//! chart of the run over simulated time, drawn with plotters' SVG backend. The run is
//! sampled at 200 moments from 0 to the end (`spec.until`, or `--until`):
//! - `pods-by-phase`: the pods in each phase (Pending, Running, Succeeded, Failed);
//! - `pending`: the pods waiting for a node (Pending and not bound) — the scheduler's
//!   queue as a user sees it;
//! - `allocation`: each node's CPU requests over its allocatable, in % (the pods that
//!   hold the node: bound and not finished), at most 20 nodes by name;
//! - `traffic`: each `spec.traffic` client's success rate over each sample interval, in %.

use crate::run::{load, new_sim, run_to, EXIT_BAD_INPUT};
use plotters::prelude::*;
use sim_core::api::Kind;
use sim_core::engine::SimTime;
use sim_core::Simulation;
use std::collections::BTreeMap;

const SAMPLES: u64 = 200;
const MAX_SERIES: usize = 20;
pub const WHATS: [&str; 4] = ["pods-by-phase", "pending", "allocation", "traffic"];

/// Series by name: (minutes, value) points.
type Series = BTreeMap<String, Vec<(f64, f64)>>;

fn sample(sim: &Simulation, what: &str, at: f64, series: &mut Series, last: &mut BTreeMap<String, (u64, u64)>) {
    let mut put = |name: &str, v: f64| series.entry(name.to_string()).or_default().push((at, v));
    match what {
        "pods-by-phase" | "pending" => {
            let mut counts: BTreeMap<&str, usize> = ["Pending", "Running", "Succeeded", "Failed"].into_iter().map(|p| (p, 0)).collect();
            let mut unbound = 0;
            for o in sim.list(&Kind::Pod) {
                let Some(p) = o.as_pod() else { continue };
                if let Some(c) = counts.get_mut(&*p.status.phase) {
                    *c += 1;
                }
                if p.status.phase == "Pending" && p.spec.node_name.is_empty() {
                    unbound += 1;
                }
            }
            if what == "pending" {
                put("pending pods", unbound as f64);
            } else {
                for (phase, n) in counts {
                    put(phase, n as f64);
                }
            }
        }
        "allocation" => {
            let mut requested: BTreeMap<String, i64> = BTreeMap::new();
            for o in sim.list(&Kind::Pod) {
                let Some(p) = o.as_pod() else { continue };
                if !p.spec.node_name.is_empty() && !p.is_terminal() {
                    *requested.entry(p.spec.node_name.clone()).or_default() += p.spec.requests().milli_cpu;
                }
            }
            for o in sim.list(&Kind::Node).into_iter().take(MAX_SERIES) {
                let Some(n) = o.as_node() else { continue };
                let alloc = n.status.allocatable.get("cpu").map_or(0, |q| q.milli_value()).max(1);
                put(&n.metadata.name, 100.0 * requested.get(&n.metadata.name).copied().unwrap_or(0) as f64 / alloc as f64);
            }
        }
        _ => {
            for name in sim.traffic.names() {
                let Some(c) = sim.traffic.counters(name) else { continue };
                let (sent, ok) = last.get(name).copied().unwrap_or((0, 0));
                let (ds, dk) = (c.sent - sent, c.succeeded - ok);
                last.insert(name.to_string(), (c.sent, c.succeeded));
                if ds > 0 {
                    put(name, 100.0 * dk as f64 / ds as f64);
                }
            }
        }
    }
}

pub fn plot(files: &[String], what: &str, out: &str, seed: Option<u64>, until: Option<&str>) -> u8 {
    if !WHATS.contains(&what) {
        eprintln!("error: --what {what:?}: supported values: {}", WHATS.map(|w| format!("{w:?}")).join(", "));
        return EXIT_BAD_INPUT;
    }
    let s = match load(files, seed, until) {
        Ok(s) => s,
        Err(c) => return c,
    };
    if what == "traffic" && s.traffic.is_empty() {
        eprintln!("error: --what traffic: the scenario has no spec.traffic clients");
        return EXIT_BAD_INPUT;
    }
    let mut sim = match new_sim(&s) {
        Ok(sim) => sim,
        Err(c) => return c,
    };
    let end = s.until.as_ms().max(1);
    let mut series = Series::new();
    let mut last = BTreeMap::new();
    for i in 0..=SAMPLES {
        let t = end * i / SAMPLES;
        if let Err(c) = run_to(&mut sim, SimTime(t)) {
            return c;
        }
        sample(&sim, what, t as f64 / 60_000.0, &mut series, &mut last);
    }
    match draw(&series, what, end as f64 / 60_000.0, out) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: cannot write {out}: {e}");
            EXIT_BAD_INPUT
        }
    }
}

fn draw(series: &Series, what: &str, minutes: f64, out: &str) -> Result<(), Box<dyn std::error::Error>> {
    let (title, y_label, percent) = match what {
        "pods-by-phase" => ("Pods by phase", "pods", false),
        "pending" => ("Pods waiting for a node", "pods", false),
        "allocation" => ("CPU requested per node", "% of allocatable", true),
        _ => ("Traffic success rate", "% of requests", true),
    };
    let top = if percent {
        100.0f64.max(series.values().flatten().map(|p| p.1).fold(0.0, f64::max))
    } else {
        series.values().flatten().map(|p| p.1).fold(1.0, f64::max) * 1.1
    };
    let root = SVGBackend::new(out, (960, 540)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..minutes, 0f64..top)?;
    let whole = |v: &f64| format!("{v:.0}");
    chart.configure_mesh().x_desc("simulated time (minutes)").y_desc(y_label).y_label_formatter(&whole).draw()?;
    for (i, (name, points)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}
