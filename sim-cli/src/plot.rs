//! `ksim plot FILE… --what pods-by-phase|pending|allocation|traffic -o out.svg`: a line
//! chart of the run over simulated time, drawn with plotters' SVG backend. The run is
//! sampled at 201 moments from 0 to the end (`spec.until`, or `--until`) by
//! `sim_core::series`, which the web page's charts share:
//! - `pods-by-phase`: the pods in each phase (Pending, Running, Succeeded, Failed);
//! - `pending`: the pods waiting for a node (Pending and not bound) — the scheduler's
//!   queue as a user sees it;
//! - `allocation`: each node's CPU requests over its allocatable, in % (the pods that
//!   hold the node: bound and not finished), at most 20 nodes by name;
//! - `traffic`: each `spec.traffic` client's success rate over each sample interval, in %.

use crate::run::{load, new_sim, run_to, EXIT_BAD_INPUT};
use plotters::prelude::*;
use sim_core::engine::SimTime;
use sim_core::series::{self, SAMPLES, WHATS};
use std::collections::BTreeMap;

/// Series by name: (minutes, value) points.
pub type Series = BTreeMap<String, Vec<(f64, f64)>>;

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
    let mut lines = Series::new();
    let mut last = BTreeMap::new();
    for i in 0..=SAMPLES {
        let t = series::moment(end, i);
        if let Err(c) = run_to(&mut sim, SimTime(t)) {
            return c;
        }
        for (name, v) in series::sample(&sim, what, &mut last) {
            lines.entry(name).or_default().push((t as f64 / 60_000.0, v));
        }
    }
    match draw(&lines, what, end as f64 / 60_000.0, out) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: cannot write {out}: {e}");
            EXIT_BAD_INPUT
        }
    }
}

/// Draws `series` as a line chart titled after `what` (a `--what`, or
/// `replay-utilisation`: `ksim replay`'s cluster requests over allocatable).
pub fn draw(series: &Series, what: &str, minutes: f64, out: &str) -> Result<(), Box<dyn std::error::Error>> {
    let (title, y_label, percent) = match what {
        "pods-by-phase" => ("Pods by phase", "pods", false),
        "pending" => ("Pods waiting for a node", "pods", false),
        "allocation" => ("CPU requested per node", "% of allocatable", true),
        "replay-utilisation" => ("Cluster resources requested", "% of allocatable", true),
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
