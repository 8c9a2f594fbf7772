//! sim-web: ksim in the browser. A wasm-bindgen API over sim-core — load a scenario
//! with a seed, run it (in slices), move to any moment, and read nodes, pods, the event
//! log, an object's YAML, events and IP history, and the fingerprint. Values cross to
//! JavaScript as JSON strings; times are milliseconds as `f64` (a `u64` would be a
//! BigInt). The page is `www/` (plain ES modules); `scripts/build-web.sh` builds it.

pub mod arch;
pub mod charts;
pub mod explain;
pub mod session;
pub mod view;

use session::Session;
use sim_core::api::Kind;
use wasm_bindgen::prelude::*;

/// A loaded scenario and its run.
#[wasm_bindgen]
pub struct Ksim {
    s: Session,
}

fn ms(t: f64) -> u64 {
    if t.is_finite() && t > 0.0 {
        t as u64
    } else {
        0
    }
}

#[wasm_bindgen]
impl Ksim {
    /// Loads YAML (`name` is the file name errors quote) with `seed` (NaN: the
    /// scenario's own). A bad file throws a JSON string: `{"problems": [{"file",
    /// "line", "col", "message"}], "rendered": "..."}`.
    pub fn load(name: &str, text: &str, seed: f64) -> Result<Ksim, JsValue> {
        let seed = (seed.is_finite() && seed >= 0.0).then_some(seed as u64);
        view::load(name, text, seed).map(|s| Ksim { s }).map_err(|e| JsValue::from_str(&e))
    }

    /// Runs at most `max_events` more events; true once the run is over.
    pub fn advance(&mut self, max_events: u32) -> bool {
        self.s.advance(max_events)
    }

    pub fn done(&self) -> bool {
        self.s.done()
    }

    pub fn name(&self) -> String {
        self.s.name.clone()
    }

    pub fn seed(&self) -> f64 {
        self.s.seed as f64
    }

    pub fn end_ms(&self) -> f64 {
        self.s.end_ms() as f64
    }

    /// Moments up to here are final.
    pub fn horizon_ms(&self) -> f64 {
        self.s.horizon_ms() as f64
    }

    /// The hex SHA-256 of the event log (of the whole run once `done()`).
    pub fn fingerprint(&self) -> String {
        self.s.fingerprint()
    }

    pub fn events_processed(&self) -> f64 {
        self.s.events_processed() as f64
    }

    /// The whole event log as JSON Lines (what `ksim run --log` writes).
    pub fn log_jsonl(&self) -> String {
        self.s.jsonl()
    }

    /// Moves to `t_ms`; returns what changed: `{"t", "pods": [...], "nodes": [...],
    /// "removed": [ids]}` (everything when `all`).
    pub fn seek(&mut self, t_ms: f64, all: bool) -> String {
        view::seek(&mut self.s, ms(t_ms), all)
    }

    /// Up to `before` log lines at or before `t_ms` and `after` after it (every
    /// write when `all`, else without Lease renewals and unchanged writes).
    pub fn log_window(&self, t_ms: f64, before: u32, after: u32, all: bool) -> String {
        view::log_window(&self.s, ms(t_ms), before as usize, after as usize, all)
    }

    /// The next logged change after `t_ms`, or -1.
    pub fn next_event_ms(&self, t_ms: f64) -> f64 {
        self.s.next_event_ms(ms(t_ms)).map_or(-1.0, |t| t as f64)
    }

    /// The timeline actions run so far: `[{"t", "action"}]`.
    pub fn markers(&self) -> String {
        view::markers(&self.s)
    }

    /// Log record `i` (`{"i", "t", "rev", "verb", "by", "kind", "ns", "name", "change"}`).
    pub fn record(&self, i: f64) -> String {
        view::record(&self.s, ms(i) as usize)
    }

    /// The control plane at `t_ms` (the architecture view's boxes): see `view::arch_state`.
    pub fn arch_state(&self, t_ms: f64) -> String {
        view::arch_state(&self.s, ms(t_ms))
    }

    /// The writes in `(from_ms, to_ms]`, at most the last `max`, as messages between
    /// components: see `view::arch_messages`.
    pub fn arch_messages(&self, from_ms: f64, to_ms: f64, max: u32) -> String {
        view::arch_messages(&self.s, ms(from_ms), ms(to_ms), max as usize)
    }

    /// The charts' samples so far: `{"end", "samples", "taken", "charts": {what: {series:
    /// [[t, v], …]}}}`, the series `ksim plot --what` draws.
    pub fn charts(&self) -> String {
        self.s.charts.to_json()
    }

    /// How many chart samples have been taken (to redraw only when it changes).
    pub fn chart_samples(&self) -> f64 {
        self.s.charts.taken() as f64
    }

    /// Starts the explain run of pod `ns/name` at `t_ms` (`ksim explain pod/NAME --at`).
    pub fn explain_start(&mut self, ns: &str, name: &str, t_ms: f64) -> Result<(), JsValue> {
        self.s.explain_start(ns, name, ms(t_ms)).map_err(|e| JsValue::from_str(&e))
    }

    /// Runs it at most `max_events` further; true once it has reached its moment.
    pub fn explain_advance(&mut self, max_events: u32) -> bool {
        self.s.explain_advance(max_events)
    }

    /// `ksim explain -o json`'s object (plus `timeMs`), or `{"error"}`.
    pub fn explain_result(&self) -> String {
        self.s.explain_result()
    }

    /// A pod's or node's YAML, events and IP history at the shown moment.
    pub fn detail(&self, kind: &str, ns: &str, name: &str) -> String {
        match Kind::from_user(kind) {
            Some(k) => view::detail(&self.s, &k, ns, name),
            None => "null".into(),
        }
    }
}

/// `1m30s`, as the CLI writes durations.
#[wasm_bindgen]
pub fn format_duration(t_ms: f64) -> String {
    Session::duration(ms(t_ms))
}

/// Parses `90s`, `1m30s`, `250ms`; -1 when invalid.
#[wasm_bindgen]
pub fn parse_duration(s: &str) -> f64 {
    sim_core::engine::SimDuration::parse(s).map_or(-1.0, |d| d.as_ms() as f64)
}

/// sim-core's pinned float bits recomputed here (in the browser: in wasm): "" when every
/// libm value equals the one pinned natively, else which ones differ. The node test
/// (tests/wasm-node.mjs) asserts "".
#[wasm_bindgen]
pub fn check_float_bits() -> String {
    sim_core::engine::math::check_pinned().err().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_bits_are_the_pinned_ones() {
        assert_eq!(check_float_bits(), "");
    }

    #[test]
    fn times_in_the_url_round_trip() {
        for ms in [0.0, 1.0, 999.0, 1000.0, 61_001.0, 123_456.0, 450_000.0, 3_600_000.0, 86_399_999.0] {
            assert_eq!(parse_duration(&format_duration(ms)), ms, "{}", format_duration(ms));
        }
        assert_eq!(parse_duration("7m30s"), 450_000.0);
        assert_eq!(parse_duration("soon"), -1.0);
    }
}
