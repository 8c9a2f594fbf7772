//! `ksim run` and `ksim get`.

use crate::progress::Bar;
use crate::{files, print, timeline};
use sim_core::api::{Kind, Object};
use sim_core::engine::{SimDuration, SimTime};
use sim_core::scenario::model::When;
use sim_core::scenario::run::{advance, run_scenario_with, Report};
use sim_core::trace::{Trace, Written};
use sim_core::{RunOptions, Scenario, Simulation};
use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;

/// Exit codes: 0 ok, 1 an expectation failed, 2 bad input.
pub const EXIT_BAD_INPUT: u8 = 2;

fn print_warnings(s: &Scenario) {
    let mut err = anstream::stderr();
    for w in &s.warnings {
        let _ = writeln!(err, "warning: {}: {}", w.location, w.message);
    }
}

/// A random fault plan draws at most `MAX_FAULTS` actions; say when this run's would
/// draw more (the same draws the simulation makes: seed, nodes, end).
fn warn_fault_cap(s: &Scenario) {
    use sim_core::faults::{generate, MAX_FAULTS};
    if s.faults.is_empty() {
        return;
    }
    let rngs = sim_core::engine::RngStreams::new(s.seed);
    for plan in s.faults.singles() {
        let drawn = generate(&plan, &s.fault_nodes(), s.cluster.etcd_members, s.until, &rngs, &s.faults_location);
        if drawn.len() >= MAX_FAULTS {
            let last = drawn.last().map(|e| e.at).unwrap_or_default();
            let _ = writeln!(
                anstream::stderr(),
                "warning: {}: spec.faults draws more than {MAX_FAULTS} faults and recoveries before {}; ksim keeps the first {MAX_FAULTS} (up to {last})",
                s.faults_location,
                s.until
            );
        }
    }
}

pub fn load(files: &[String], seed: Option<u64>, until: Option<&str>) -> Result<Scenario, u8> {
    load_inputs(files, seed, until).map(|l| l.scenario)
}

/// Loads the scenario (with `--seed` and `--until` applied) and lists the files it read.
pub fn load_inputs(files: &[String], seed: Option<u64>, until: Option<&str>) -> Result<files::Loaded, u8> {
    let files::Loaded { scenario: mut s, inputs } = match files::load_with_inputs(files) {
        Ok(l) => l,
        Err(rendered) => {
            let nl = if rendered.ends_with('\n') { "" } else { "\n" };
            let _ = write!(anstream::stderr(), "{rendered}{nl}");
            return Err(EXIT_BAD_INPUT);
        }
    };
    if let Some(seed) = seed {
        s.seed = seed;
    }
    if let Some(u) = until {
        match SimDuration::parse(u) {
            Ok(d) => s.until = d,
            Err(e) => {
                let _ = writeln!(anstream::stderr(), "error: --until: {e}");
                return Err(EXIT_BAD_INPUT);
            }
        }
    }
    print_warnings(&s);
    warn_fault_cap(&s);
    Ok(files::Loaded { scenario: s, inputs })
}

/// A simulation for `ksim get` / `ksim explain`: nothing of the event log is kept.
pub fn new_sim(s: &Scenario) -> Result<Simulation, u8> {
    Simulation::new(s, &RunOptions { keep_log: false, ..RunOptions::for_scenario(s) }).map_err(|e| {
        let _ = writeln!(anstream::stderr(), "error: {e}");
        EXIT_BAD_INPUT
    })
}

/// The moment `--at` names: the end of the run (spec.until) when not given; a moment
/// past the end is refused (exit 2), since the run never reaches it.
pub fn moment(at: Option<&str>, s: &Scenario) -> Result<SimDuration, u8> {
    let Some(text) = at else { return Ok(s.until) };
    let at = SimDuration::parse(text).map_err(|e| {
        let _ = writeln!(anstream::stderr(), "error: --at: {e}");
        EXIT_BAD_INPUT
    })?;
    if at > s.until {
        let _ = writeln!(
            anstream::stderr(),
            "error: --at {text}: the run ends at {} (spec.until); ask for a moment up to then, or give the scenario a later spec.until",
            s.until
        );
        return Err(EXIT_BAD_INPUT);
    }
    Ok(at)
}

/// The simulation of `files` run to `--at` (default: the end of the run): what `get`,
/// `rollout` print from.
pub fn simulate(files: &[String], at: Option<&str>, seed: Option<u64>) -> Result<Simulation, u8> {
    let s = load(files, seed, None)?;
    let at = moment(at, &s)?;
    let mut sim = new_sim(&s)?;
    run_to(&mut sim, SimTime(at.as_ms()))?;
    Ok(sim)
}

/// Runs `sim` to `t` (`--at`) with a progress bar on a terminal; Err (exit 2, said) when
/// the run's event limit comes first, so the state printed is never an earlier one.
pub fn run_to(sim: &mut Simulation, t: SimTime) -> Result<(), u8> {
    let mut bar = Bar::new(t);
    let outcome = advance(sim, t, &mut |sim: &Simulation| {
        bar.update(sim.now);
        true
    });
    bar.finish();
    if outcome == Some(sim_core::engine::Outcome::MaxEvents) {
        let _ = writeln!(
            anstream::stderr(),
            "error: ksim stops a run after {} events; this one reached them at {}, before --at {}",
            sim.limits.max_events,
            SimDuration(sim.now.as_ms()),
            SimDuration(t.as_ms())
        );
        return Err(EXIT_BAD_INPUT);
    }
    Ok(())
}

/// The most timeline lines `--max-lines` may ask for (they are held until printed).
pub const MAX_LINES: usize = 1_000_000;

/// What the event log's sink keeps while `ksim run` streams it: the `--log` file, and
/// the first `max_lines` readable timeline lines (the rest only counted).
struct Stream {
    log: Option<(String, std::io::BufWriter<std::fs::File>)>,
    /// `--trace-out`: the Chrome trace, written as the records come.
    chrome: Option<ChromeOut>,
    log_error: Option<String>,
    lines: Vec<(u64, String)>,
    more_lines: u64,
    max_lines: usize,
}

/// The `--trace-out` file and the converter feeding it.
struct ChromeOut {
    path: String,
    w: std::io::BufWriter<std::fs::File>,
    conv: sim_core::trace::chrome::ChromeTrace,
    events: u64,
}

impl ChromeOut {
    fn open(path: &str) -> std::io::Result<Self> {
        let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
        w.write_all(b"{\"traceEvents\":[\n")?;
        Ok(ChromeOut { path: path.to_string(), w, conv: sim_core::trace::chrome::ChromeTrace::new(), events: 0 })
    }

    fn write(&mut self, events: Vec<serde_json::Value>) -> std::io::Result<()> {
        for e in events {
            if self.events > 0 {
                self.w.write_all(b",\n")?;
            }
            self.events += 1;
            serde_json::to_writer(&mut self.w, &e)?;
        }
        Ok(())
    }

    fn finish(&mut self, end: SimTime) -> std::io::Result<()> {
        let tail = self.conv.finish(end);
        self.write(tail)?;
        self.w.write_all(b"\n],\"displayTimeUnit\":\"ms\"}\n")?;
        self.w.flush()
    }
}

impl Stream {
    fn on_record(&mut self, written: &Written) {
        if let (Some((path, w)), None) = (self.log.as_mut(), &self.log_error) {
            if let Err(e) = w.write_all(written.line.as_bytes()).and_then(|()| w.write_all(b"\n")) {
                self.log_error = Some(format!("cannot write {path}: {e}"));
            }
        }
        if let (Some(c), None) = (self.chrome.as_mut(), &self.log_error) {
            let events = c.conv.on_record(written.record());
            if let Err(e) = c.write(events) {
                self.log_error = Some(format!("cannot write {}: {e}", c.path));
            }
        }
        if self.max_lines == 0 {
            return;
        }
        if let Some(d) = timeline::describe(written) {
            if self.lines.len() < self.max_lines {
                self.lines.push((written.t, d));
            } else {
                self.more_lines += 1;
            }
        }
    }

    fn flush(&mut self) {
        if let (Some((path, w)), None) = (self.log.as_mut(), &self.log_error) {
            if let Err(e) = w.flush() {
                self.log_error = Some(format!("cannot write {path}: {e}"));
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub fn run(
    paths: &[String],
    seed: Option<u64>,
    until: Option<&str>,
    log: Option<&str>,
    trace_out: Option<&str>,
    max_lines: usize,
    check: bool,
    log_requests: bool,
) -> u8 {
    if log_requests && log.is_none() {
        let _ = writeln!(anstream::stderr(), "error: --log-requests writes the requests to the event log: give it --log FILE");
        return EXIT_BAD_INPUT;
    }
    if max_lines > MAX_LINES {
        let _ = writeln!(anstream::stderr(), "error: --max-lines {max_lines}: at most {MAX_LINES} (--log FILE writes the whole event log)");
        return EXIT_BAD_INPUT;
    }
    let (s, inputs) = match load_inputs(paths, seed, until) {
        Ok(l) => (l.scenario, l.inputs),
        Err(c) => return c,
    };
    for (flag, out) in [("--log", log), ("--trace-out", trace_out)] {
        if let Some((o, input)) = out.and_then(|l| inputs.iter().find(|i| files::same_file(i, Path::new(l))).map(|i| (l, i))) {
            let _ = writeln!(anstream::stderr(), "error: {flag} {o}: that is {}, an input of this run; refusing to overwrite it", input.display());
            return EXIT_BAD_INPUT;
        }
    }
    if let (Some(l), Some(t)) = (log, trace_out) {
        if l == t || files::same_file(Path::new(l), Path::new(t)) {
            let _ = writeln!(anstream::stderr(), "error: --log and --trace-out name the same file {l}");
            return EXIT_BAD_INPUT;
        }
    }
    // The log file is opened before the run, so a path that cannot be written is an
    // error now rather than after the whole simulation.
    let log = match log.map(|p| std::fs::File::create(p).map(|f| (p.to_string(), std::io::BufWriter::new(f)))).transpose() {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(anstream::stderr(), "error: cannot write {}: {e}", log.unwrap_or_default());
            return EXIT_BAD_INPUT;
        }
    };
    let chrome = match trace_out.map(ChromeOut::open).transpose() {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(anstream::stderr(), "error: cannot write {}: {e}", trace_out.unwrap_or_default());
            return EXIT_BAD_INPUT;
        }
    };
    let stream = Rc::new(RefCell::new(Stream { log, chrome, log_error: None, lines: Vec::new(), more_lines: 0, max_lines }));
    let sink = Rc::clone(&stream);
    let trace = Trace::with_sink(false, Box::new(move |w: &Written| sink.borrow_mut().on_record(w)));
    let opts = RunOptions { check, keep_log: false, log_requests, ..RunOptions::for_scenario(&s) };
    let mut bar = Bar::new(opts.limits.until);
    let report = run_scenario_with(&s, &opts, trace, &mut |sim: &Simulation| {
        bar.update(sim.now);
        stream.borrow().log_error.is_none()
    });
    bar.finish();
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(anstream::stderr(), "error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    stream.borrow_mut().flush();
    {
        let mut st = stream.borrow_mut();
        if st.log_error.is_none() {
            if let Some(c) = st.chrome.as_mut() {
                if let Err(e) = c.finish(report.sim.now) {
                    let path = c.path.clone();
                    st.log_error = Some(format!("cannot write {path}: {e}"));
                }
            }
        }
    }
    if let Some(e) = stream.borrow().log_error.clone() {
        let _ = writeln!(anstream::stderr(), "error: {e}");
        return EXIT_BAD_INPUT;
    }
    let stream = stream.borrow();
    print_report(&s, paths, &report, &stream, check)
}

/// The timeline, the pods at the end, the expectations, the fingerprint and, with
/// `--check`, the invariants; the exit code.
fn print_report(s: &Scenario, paths: &[String], report: &Report, stream: &Stream, check: bool) -> u8 {
    let (sim, outcome, results) = (&report.sim, report.outcome, &report.results);
    let mut out = anstream::stdout();
    let name = if s.name.is_empty() { paths.join(" ") } else { s.name.clone() };
    let nodes: u64 = s.cluster.node_pools.iter().map(|p| u64::from(p.count)).sum();
    let _ = writeln!(out, "ksim: {name} — seed {}, {nodes} nodes, until {}", s.seed, s.until);
    let _ = writeln!(out);
    if stream.max_lines > 0 {
        for (t, d) in &stream.lines {
            let _ = writeln!(out, "{:>10}  {d}", SimTime(*t).to_string());
        }
        if stream.more_lines > 0 {
            let _ = writeln!(out, "{:>10}  … {} more (--max-lines, or --log FILE for the full event log)", "", stream.more_lines);
        }
        let _ = writeln!(out);
    }
    for (t, e) in &sim.timeline_errors {
        let _ = writeln!(out, "{:>10}  error: a timeline action failed: {}", t.to_string(), sim_core::scenario::diagnostic::clip_message(e));
    }
    let pods = sim.list(&Kind::Pod);
    let with_ns = pods.iter().any(|p| p.meta().namespace != "default");
    let (h, rows) = print::pod_rows(&pods, sim.now, true, with_ns);
    let _ = writeln!(out, "Pods at {} (kubectl get pods -o wide{}):", SimDuration(sim.now.as_ms()), if with_ns { " -A" } else { "" });
    if rows.is_empty() {
        let _ = writeln!(out, "No resources found.");
    } else {
        let _ = write!(out, "{}", print::table(&h, &rows));
    }
    let _ = writeln!(out);
    let failed = report.failed();
    if !results.is_empty() {
        let _ = writeln!(out, "Expectations:");
        let width = results.iter().map(|r| r.when.to_string().chars().count()).max().unwrap_or(0);
        for r in results {
            let mark = if r.ok { "✓" } else { "✗" };
            let extra = match (r.ok, r.when) {
                (false, _) => format!("  ({}; {})", r.detail(), r.location),
                (true, When::By(..)) => format!("  ({})", r.detail()),
                (true, _) => String::new(),
            };
            let _ = writeln!(out, "  {mark} {:<width$} {}{extra}", r.when.to_string(), r.text);
        }
        let _ = writeln!(out, "  {} passed, {} failed", results.len() - failed, failed);
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "{} events, {} log records, {}", sim.events_processed, sim.trace.len(), outcome.describe());
    let _ = writeln!(out, "fingerprint: sha256:{}", sim.fingerprint());
    let mut violations = sim.violations().to_vec();
    if check {
        violations.extend(sim.check_converged());
        let _ = writeln!(out, "invariants: {} violations", violations.len());
        for v in &violations {
            let _ = writeln!(out, "  ✗ {v}");
        }
    }
    // A refused timeline action means the scenario did not happen as written.
    u8::from(failed > 0 || !sim.timeline_errors.is_empty() || !violations.is_empty())
}

/// `ksim get`'s arguments.
pub struct GetArgs<'a> {
    pub args: &'a [String],
    pub at: Option<&'a str>,
    pub seed: Option<u64>,
    pub output: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub all: bool,
    pub selector: Option<&'a str>,
    pub show_labels: bool,
    pub sort_by: Option<&'a str>,
    pub watch: bool,
}

/// The kinds of kubectl's `all` category that ksim models, in the order kubectl lists
/// them (the core group's pods, replicationcontrollers, services, then apps, autoscaling
/// — horizontalpodautoscalers are in the category — and batch).
const ALL_CATEGORY: [Kind; 10] = [
    Kind::Pod,
    Kind::ReplicationController,
    Kind::Service,
    Kind::DaemonSet,
    Kind::Deployment,
    Kind::ReplicaSet,
    Kind::StatefulSet,
    Kind::HorizontalPodAutoscaler,
    Kind::CronJob,
    Kind::Job,
];

pub fn get(g: GetArgs) -> u8 {
    let GetArgs { args, at, seed, output, namespace, all, selector, show_labels, sort_by, watch } = g;
    let mut err = anstream::stderr();
    if args[0] == "traffic" {
        return get_traffic(&args[1..], at, seed, output);
    }
    let selector = match selector.map(sim_core::scenario::expect::Selector::parse) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            let _ = writeln!(err, "error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let mut kinds = Vec::new();
    for k in args[0].split(',') {
        if k == "all" {
            kinds.extend(ALL_CATEGORY.iter().cloned());
            continue;
        }
        match Kind::from_user(k) {
            Some(kind) => kinds.push(kind),
            None => {
                let _ = writeln!(err, "error: the server doesn't have a resource type {}", sim_core::scenario::diagnostic::clip_quoted(k));
                return EXIT_BAD_INPUT;
            }
        }
    }
    let template = output.and_then(|o| o.strip_prefix("jsonpath="));
    let columns = output.and_then(|o| o.strip_prefix("custom-columns="));
    if let Some(o) = output.filter(|o| !["name", "wide", "json", "yaml"].contains(o) && template.is_none() && columns.is_none()) {
        let _ = writeln!(err, "error: unable to match a printer suitable for the output format {o:?}, allowed formats are: json,name,wide,yaml");
        return EXIT_BAD_INPUT;
    }
    let rest = &args[1..];
    if rest.is_empty() {
        let _ = writeln!(err, "error: no scenario file given: ksim reads the cluster from FILE… after the kind");
        return EXIT_BAD_INPUT;
    }
    let (name, files) = if rest.len() >= 2 && !crate::files::looks_like_file(&rest[0]) { (Some(rest[0].clone()), &rest[1..]) } else { (None, rest) };
    if name.is_some() && selector.is_some() {
        let _ = writeln!(err, "error: name cannot be provided when a selector is specified");
        return EXIT_BAD_INPUT;
    }
    if watch {
        if kinds.len() != 1 || output.is_some() {
            let _ = writeln!(err, "error: ksim get -w watches one kind, printed as a table");
            return EXIT_BAD_INPUT;
        }
        let wanted = |o: &Object| {
            let m = o.meta();
            (all || !kinds[0].namespaced() || m.namespace == namespace.unwrap_or("default"))
                && name.as_deref().is_none_or(|n| m.name == n)
                && selector.as_ref().is_none_or(|s| s.matches(&m.labels))
        };
        return get_watch(files, at, seed, &kinds[0], all, &wanted);
    }
    let sim = match simulate(files, at, seed) {
        Ok(sim) => sim,
        Err(c) => return c,
    };
    if kinds.contains(&Kind::Endpoints) {
        // The apiserver's deprecation warning on v1 Endpoints (1.33+), which kubectl prints.
        let _ = writeln!(err, "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice");
    }
    let ns = namespace.unwrap_or("default");
    let mut found = Vec::new();
    let mut not_found = Vec::new();
    for kind in kinds {
        let objs: Vec<Rc<Object>> = sim
            .list(&kind)
            .into_iter()
            .filter(|o| all || !kind.namespaced() || o.meta().namespace == ns)
            .filter(|o| name.as_deref().is_none_or(|n| o.meta().name == n))
            .filter(|o| selector.as_ref().is_none_or(|s| s.matches(&o.meta().labels)))
            .collect();
        if let (Some(n), true) = (&name, objs.is_empty()) {
            let (res, n) = (sim_core::apiserver::qualified_resource(&kind), sim_core::scenario::diagnostic::clip_quoted(n));
            not_found.push(format!("Error from server (NotFound): {res} {n} not found"));
        }
        found.push((kind, objs));
    }
    // --sort-by: each kind's objects by the field's value (stable).
    if let Some(expr) = sort_by {
        for (_, objs) in found.iter_mut() {
            let mut keyed = Vec::new();
            for o in objs.drain(..) {
                match crate::jsonpath::first(&o.to_json(), expr) {
                    Ok(k) => keyed.push((k, o)),
                    Err(e) => {
                        let _ = writeln!(err, "error: --sort-by: {e}");
                        return EXIT_BAD_INPUT;
                    }
                }
            }
            keyed.sort_by(|a, b| crate::jsonpath::compare(&a.0, &b.0));
            objs.extend(keyed.into_iter().map(|(_, o)| o));
        }
    }
    if let Some(t) = template {
        // -o jsonpath: the template over the object asked for by name, else the List.
        let objs: Vec<Rc<Object>> = found.iter().flat_map(|(_, o)| o.iter().cloned()).collect();
        let v = match (name.is_some() && objs.len() == 1, objs.first()) {
            (true, Some(o)) => o.to_json(),
            _ => print::list_json(&objs),
        };
        return match crate::jsonpath::template(&v, t) {
            Ok(s) => {
                let _ = write!(anstream::stdout(), "{s}");
                0
            }
            Err(e) => {
                let _ = writeln!(err, "error: error parsing jsonpath {t}: {e}");
                EXIT_BAD_INPUT
            }
        };
    }
    if let Some(spec) = columns {
        // -o custom-columns=HEADER:PATH,…: one row per object.
        let mut header = Vec::new();
        let mut paths = Vec::new();
        for col in spec.split(',') {
            let Some((h, p)) = col.split_once(':') else {
                let _ = writeln!(err, "error: custom-columns format specified, but found no columns");
                return EXIT_BAD_INPUT;
            };
            header.push(h);
            paths.push(p);
        }
        let mut rows = Vec::new();
        for (_, objs) in &found {
            for o in objs {
                let v = o.to_json();
                let mut r = Vec::new();
                for p in &paths {
                    match crate::jsonpath::column(&v, p) {
                        Ok(c) => r.push(c),
                        Err(e) => {
                            let _ = writeln!(err, "error: {e}");
                            return EXIT_BAD_INPUT;
                        }
                    }
                }
                rows.push(r);
            }
        }
        let _ = write!(anstream::stdout(), "{}", print::table(&header, &rows));
        return 0;
    }
    match output {
        Some("json") | Some("yaml") => print_generic(&found, name.is_some(), output == Some("json")),
        // The name printer: KIND[.GROUP]/NAME, one per line.
        Some("name") => {
            let mut out = anstream::stdout();
            for (kind, objs) in &found {
                for o in objs {
                    let _ = writeln!(out, "{}", print::kind_slash_name(kind, &o.meta().name));
                }
            }
        }
        _ => print_tables(&sim, &found, output == Some("wide"), ns, all, !not_found.is_empty(), show_labels),
    }
    for e in &not_found {
        let _ = writeln!(err, "{e}");
    }
    u8::from(!not_found.is_empty())
}

/// `ksim get traffic FILE --at T`: each traffic client's counts, cumulative from its
/// start (not a Kubernetes resource: the scenario's clients).
/// `get -w`: the list at `--at` (default 0s), then, as the run goes on to its end, a row
/// for each object of the kind written (created, changed, deleted: its last state), each
/// flushed alone as kubectl's watch prints it.
fn get_watch(files: &[String], at: Option<&str>, seed: Option<u64>, kind: &Kind, all: bool, wanted: &dyn Fn(&Object) -> bool) -> u8 {
    let s = match load(files, seed, None) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let start = match at {
        None => SimDuration::ZERO,
        Some(_) => match moment(at, &s) {
            Ok(t) => t,
            Err(c) => return c,
        },
    };
    let touched: Rc<RefCell<Vec<(String, String)>>> = Rc::default();
    let sink = Rc::clone(&touched);
    let kind_name = kind.name().to_string();
    let trace = Trace::with_sink(
        false,
        Box::new(move |w: &Written| {
            if w.kind == kind_name {
                sink.borrow_mut().push((w.ns.to_string(), w.name.to_string()));
            }
        }),
    );
    let mut sim = match Simulation::with_trace(&s, &RunOptions { keep_log: false, ..RunOptions::for_scenario(&s) }, trace) {
        Ok(sim) => sim,
        Err(e) => {
            let _ = writeln!(anstream::stderr(), "error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    if let Err(c) = run_to(&mut sim, SimTime(start.as_ms())) {
        return c;
    }
    touched.borrow_mut().clear();
    let mut out = anstream::stdout();
    let mut last: std::collections::BTreeMap<(String, String), Rc<Object>> = std::collections::BTreeMap::new();
    let objs: Vec<Rc<Object>> = sim.list(kind).into_iter().filter(|o| wanted(o)).collect();
    let (h, rows) = print::rows(kind, &objs, sim.now, false, all);
    let _ = write!(out, "{}", print::table(&h, &rows));
    for o in objs {
        last.insert((o.meta().namespace.to_string(), o.meta().name.to_string()), o);
    }
    while sim.step() {
        let keys: Vec<(String, String)> = std::mem::take(&mut *touched.borrow_mut());
        for key in keys {
            let obj = sim.api.store.get_parts(kind, &key.0, &key.1).cloned().or_else(|| last.get(&key).cloned());
            let Some(obj) = obj.filter(|o| wanted(o)) else { continue };
            let (_, rows) = print::rows(kind, std::slice::from_ref(&obj), sim.now, false, all);
            let table = print::table(&h, &rows);
            let _ = write!(out, "{}", table.lines().skip(1).map(|l| format!("{l}\n")).collect::<String>());
            last.insert(key, obj);
        }
    }
    0
}

fn get_traffic(files: &[String], at: Option<&str>, seed: Option<u64>, output: Option<&str>) -> u8 {
    if files.is_empty() {
        let _ = writeln!(anstream::stderr(), "error: no scenario file given: ksim reads the cluster from FILE… after the kind");
        return EXIT_BAD_INPUT;
    }
    let sim = match simulate(files, at, seed) {
        Ok(sim) => sim,
        Err(c) => return c,
    };
    let names: Vec<String> = sim.traffic.names().map(str::to_string).collect();
    let mut out = anstream::stdout();
    if output == Some("json") || output == Some("yaml") {
        let items: Vec<serde_json::Value> = names.iter().filter_map(|n| sim.traffic.counters(n).map(|c| sim_core::traffic::counters_json(n, c))).collect();
        let v = serde_json::json!({"items": items});
        if output == Some("json") {
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        } else {
            let _ = write!(out, "{}", print::to_yaml(&v));
        }
        return 0;
    }
    if names.is_empty() {
        let _ = writeln!(anstream::stderr(), "No traffic clients (the scenario has no spec.traffic).");
        return 0;
    }
    let ms = |v: Option<f64>| v.map_or("<none>".to_string(), |v| format!("{v:.2}ms"));
    let rows: Vec<Vec<String>> = names
        .iter()
        .filter_map(|n| sim.traffic.counters(n).map(|c| (n, c)))
        .map(|(n, c)| {
            let reasons: Vec<String> = c.failed.iter().map(|(r, k)| format!("{r}={k}")).collect();
            vec![
                n.clone(),
                c.sent.to_string(),
                c.succeeded.to_string(),
                c.errors().to_string(),
                ms(c.percentile_ms(0.5)),
                ms(c.percentile_ms(0.99)),
                if reasons.is_empty() { "<none>".into() } else { reasons.join(",") },
            ]
        })
        .collect();
    let _ = write!(out, "{}", print::table(&["NAME", "SENT", "SUCCEEDED", "FAILED", "P50", "P99", "REASONS"], &rows));
    0
}

/// GetOptions.printGeneric: one object when one name of one kind was asked for, else a
/// `List` of everything found, whatever its kind.
fn print_generic(found: &[(Kind, Vec<Rc<Object>>)], named: bool, json: bool) {
    let objs: Vec<Rc<Object>> = found.iter().flat_map(|(_, o)| o.iter().cloned()).collect();
    let v = match (named && found.len() == 1, objs.first()) {
        (true, Some(o)) => o.to_json(),
        (true, None) => return,
        (false, _) => print::list_json(&objs),
    };
    let mut out = anstream::stdout();
    if json {
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        let _ = write!(out, "{}", print::to_yaml(&v));
    }
}

/// GetOptions.Run's human-readable printing: a table per kind that has objects, a blank
/// line between tables, names as `kind.group/name` when objects of more than one kind are
/// printed (multipleGVKsRequested), and "No resources found" when nothing was printed.
fn print_tables(sim: &Simulation, found: &[(Kind, Vec<Rc<Object>>)], wide: bool, ns: &str, all: bool, failed: bool, show_labels: bool) {
    let with_kind = found.iter().filter(|(_, o)| !o.is_empty()).count() > 1;
    let mut out = anstream::stdout();
    let mut wrote = false;
    for (kind, objs) in found.iter().filter(|(_, o)| !o.is_empty()) {
        if wrote {
            let _ = writeln!(out);
        }
        let (mut h, mut rows) = print::rows(kind, objs, sim.now, wide, all);
        if show_labels {
            // --show-labels: labels.FormatLabels (sorted k=v, comma-separated; <none>).
            h.push("LABELS");
            for (r, o) in rows.iter_mut().zip(objs) {
                let l: Vec<String> = o.meta().labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                r.push(if l.is_empty() { "<none>".into() } else { l.join(",") });
            }
        }
        if with_kind {
            print::prefix_kind(kind, &h, &mut rows);
        }
        let _ = write!(out, "{}", print::table(&h, &rows));
        wrote = true;
    }
    if !wrote && !failed {
        // kubectl says "No resources found" with -A; ksim says "No resources found." for
        // cluster-scoped kinds, where kubectl would name the default namespace.
        let msg = if all {
            "No resources found".to_string()
        } else if found.iter().all(|(k, _)| !k.namespaced()) {
            "No resources found.".to_string()
        } else {
            format!("No resources found in {ns} namespace.")
        };
        let _ = writeln!(anstream::stderr(), "{msg}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_cut_by_the_event_limit_does_not_pass_for_the_moment_asked() {
        let s = Scenario::default();
        let mut opts = RunOptions { keep_log: false, ..RunOptions::for_scenario(&s) };
        opts.limits.max_events = 30; // three kubelets renewing their leases every 10 s pass that within a minute
        let mut sim = Simulation::new(&s, &opts).unwrap();
        assert_eq!(run_to(&mut sim, SimTime::from_secs(60)), Err(EXIT_BAD_INPUT));
        let mut sim = Simulation::new(&s, &RunOptions { keep_log: false, ..RunOptions::for_scenario(&s) }).unwrap();
        assert_eq!(run_to(&mut sim, SimTime::from_secs(60)), Ok(()));
    }
}
