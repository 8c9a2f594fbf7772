//! The event log: one JSON Lines record per state change (every store write, every
//! timeline action), fixed field order, and its SHA-256 — the run's fingerprint.
//!
//! A record: `{"t":<ms>,"rev":<revision>,"verb":"create","by":"scheduler","kind":"Pod",
//! "ns":"default","name":"web-7d4b9-x2k4q","change":{"node":"worker-1"}}`. `change` holds
//! the summary fields (see `summary`) that differ from the previous state.

use crate::api::meta::Time;
use crate::api::Object;
use crate::engine::SimTime;
use arrayvec::ArrayVec;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// One state change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub t: u64,
    pub rev: u64,
    pub verb: String,
    pub by: String,
    pub kind: String,
    pub ns: String,
    pub name: String,
    pub change: Map<String, Value>,
}

impl Record {
    pub fn time(&self) -> SimTime {
        SimTime(self.t)
    }
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.change.get(field)
    }
    pub fn get_str(&self, field: &str) -> Option<&str> {
        self.change.get(field).and_then(|v| v.as_str())
    }
}

/// Where each record goes as it is written. sim-core does no I/O; the CLI writes the
/// `--log` file from here.
pub type Sink = Box<dyn FnMut(&Written<'_>)>;

/// One write as a sink sees it: its JSON line (without the line break), the fields a
/// sink picks records by, and the [`Record`], built only if the sink asks for it (a
/// Lease renewal's, which neither the `--log` file nor `ksim run`'s timeline reads, is
/// not built).
pub struct Written<'a> {
    pub line: &'a str,
    /// The simulated time of the write, in ms.
    pub t: u64,
    pub verb: &'a str,
    pub kind: &'a str,
    pub ns: &'a str,
    pub name: &'a str,
    record: &'a std::cell::OnceCell<Record>,
    build: &'a dyn Fn() -> Record,
}

impl Written<'_> {
    /// The record (built on the first call).
    pub fn record(&self) -> &Record {
        self.record.get_or_init(self.build)
    }
}

/// The log of one run: hashed as it is written, handed to the sink, and kept in memory
/// only when asked (the web page keeps it; the CLI streams it, so a run's memory does
/// not grow with simulated time).
pub struct Trace {
    hasher: Sha256,
    records: Vec<Record>,
    keep: bool,
    count: u64,
    bytes: u64,
    sink: Option<Sink>,
    /// The latest record, when records are not kept and it was built (pushed, or
    /// written with a sink); otherwise `line` holds it.
    last: Option<Record>,
    /// The line being hashed, reused from record to record: the latest one.
    line: Vec<u8>,
}

/// A write's record before it is a `Record`: the fields, borrowed, in the log's order.
/// `by` is in two parts joined with nothing between them (`kubelet/` and the node), so
/// that the writer's name is not formatted for every write.
pub struct Line<'a> {
    pub t: u64,
    pub rev: u64,
    pub verb: &'a str,
    pub by: (&'a str, &'a str),
    pub kind: &'a str,
    pub ns: &'a str,
    pub name: &'a str,
}

impl Trace {
    /// `keep`: hold the records in memory (the web page, tests); otherwise only the
    /// hash, the counts and the latest record are kept.
    pub fn new(keep: bool) -> Self {
        Trace { hasher: Sha256::new(), records: Vec::new(), keep, count: 0, bytes: 0, sink: None, last: None, line: Vec::new() }
    }

    /// A trace that hands every record to `sink` as it is written.
    pub fn with_sink(keep: bool, sink: Sink) -> Self {
        Trace { sink: Some(sink), ..Trace::new(keep) }
    }

    pub fn push(&mut self, r: Record) {
        self.line.clear();
        serde_json::to_writer(&mut self.line, &r).expect("a log record serializes");
        let record = std::cell::OnceCell::from(r);
        let given = &|| unreachable!("a pushed record is there");
        let r = record.get().expect("given");
        self.hand_on(&Line { t: r.t, rev: r.rev, verb: &r.verb, by: ("", ""), kind: &r.kind, ns: &r.ns, name: &r.name }, &record, given);
        self.keep_record(record, given);
    }

    /// `push` of the record `l` and `change` make, written straight to its JSON line
    /// (the same bytes as the `Record`'s serialization; the `Record` itself is built
    /// only when a sink or the kept records need it). Most of a run's records come this
    /// way: building each as a map of JSON values was most of the log's cost.
    pub fn write(&mut self, l: &Line<'_>, change: &Change<'_>) {
        self.line.clear();
        let out = &mut self.line;
        let mut digits = itoa::Buffer::new();
        out.extend_from_slice(b"{\"t\":");
        out.extend_from_slice(digits.format(l.t).as_bytes());
        out.extend_from_slice(b",\"rev\":");
        out.extend_from_slice(digits.format(l.rev).as_bytes());
        out.extend_from_slice(b",\"verb\":");
        json_str(out, l.verb);
        out.extend_from_slice(b",\"by\":\"");
        // JSON escapes character by character: the escaped parts, joined, are the
        // escaped whole.
        json_inner(out, l.by.0);
        json_inner(out, l.by.1);
        out.extend_from_slice(b"\",\"kind\":");
        json_str(out, l.kind);
        out.extend_from_slice(b",\"ns\":");
        json_str(out, l.ns);
        out.extend_from_slice(b",\"name\":");
        json_str(out, l.name);
        out.extend_from_slice(b",\"change\":");
        change.write_json(out);
        out.push(b'}');
        let build = || Record {
            t: l.t,
            rev: l.rev,
            verb: l.verb.to_string(),
            by: format!("{}{}", l.by.0, l.by.1),
            kind: l.kind.to_string(),
            ns: l.ns.to_string(),
            name: l.name.to_string(),
            change: change.to_map(),
        };
        let record = std::cell::OnceCell::new();
        self.hand_on(l, &record, &build);
        self.keep_record(record, &build);
    }

    /// The rest of a write, its line in `self.line`: hashed, counted, handed to the sink.
    /// The record is `record`'s, or `build`'s if the sink asks for it.
    fn hand_on(&mut self, l: &Line<'_>, record: &std::cell::OnceCell<Record>, build: &dyn Fn() -> Record) {
        self.hasher.update(&self.line);
        self.hasher.update(b"\n");
        self.count += 1;
        self.bytes += self.line.len() as u64 + 1;
        if let Some(sink) = self.sink.as_mut() {
            let line = std::str::from_utf8(&self.line).expect("serde_json writes UTF-8");
            sink(&Written { line, t: l.t, verb: l.verb, kind: l.kind, ns: l.ns, name: l.name, record, build });
        }
    }

    /// The record kept (built if it was not), or held as the latest if it was built.
    fn keep_record(&mut self, record: std::cell::OnceCell<Record>, build: &dyn Fn() -> Record) {
        if self.keep {
            self.records.push(record.into_inner().unwrap_or_else(build));
        } else {
            self.last = record.into_inner();
        }
    }

    /// The latest record written, kept or not (read back from its line if it was
    /// written without being built).
    pub fn last(&self) -> Option<Record> {
        if self.keep {
            self.records.last().cloned()
        } else if self.last.is_some() {
            self.last.clone()
        } else if self.count > 0 {
            Some(serde_json::from_slice(&self.line).expect("a log line reads back as its record"))
        } else {
            None
        }
    }

    pub fn records(&self) -> &[Record] {
        &self.records
    }

    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The hex SHA-256 of the log so far.
    pub fn fingerprint(&self) -> String {
        let d = self.hasher.clone().finalize();
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The records as JSON Lines (only if kept; otherwise empty).
    pub fn to_jsonl(&self) -> String {
        let mut s = String::new();
        for r in &self.records {
            s.push_str(&serde_json::to_string(r).expect("a log record serializes"));
            s.push('\n');
        }
        s
    }
}

/// `s` as a JSON string, as serde_json writes it.
fn json_str(out: &mut Vec<u8>, s: &str) {
    if plain(s) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(out, s).expect("a string serializes");
    }
}

/// Whether serde_json writes `s` unescaped: it escapes only `"`, `\` and the control
/// characters below U+0020 (ser.rs's ESCAPE table), and nearly every string of the log
/// (names, kinds, phases) has none. Copying those was 2.4 % of a density run's
/// instructions through serde_json's writer.
/// Eight bytes at a time (Bit Twiddling Hacks' `hasless` and `haszero`, which answer
/// exactly whether some byte is below n ≤ 128 or zero): a byte at a time cost as much as
/// serde_json's own escaping.
fn plain(s: &str) -> bool {
    const L: u64 = 0x0101_0101_0101_0101;
    const H: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(L) & !v & H != 0;
    let mut words = s.as_bytes().chunks_exact(8);
    for w in &mut words {
        let x = u64::from_le_bytes(w.try_into().expect("eight bytes"));
        // A control character (a byte below 0x20), a quote or a backslash.
        if x.wrapping_sub(0x20 * L) & !x & H != 0 || has_zero(x ^ (u64::from(b'"') * L)) || has_zero(x ^ (u64::from(b'\\') * L)) {
            return false;
        }
    }
    words.remainder().iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// `s` as the inside of a JSON string: escaped, without its quotes.
fn json_inner(out: &mut Vec<u8>, s: &str) {
    if plain(s) {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    let start = out.len();
    json_str(out, s);
    out.pop();
    out.remove(start);
}

/// kubectl's columns for a pod (printers.go printPod): READY, STATUS, RESTARTS and the
/// last restart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodColumns<'a> {
    pub ready: usize,
    /// Regular containers and sidecars (restartable init containers).
    pub total: usize,
    /// Borrowed from the pod when it is one of its fields (its phase, most often): the
    /// log computes it for both sides of every pod write.
    pub status: Cow<'a, str>,
    pub restarts: i32,
    pub last_restart: Option<crate::api::meta::Time>,
}

/// printPod: the init containers first (`Init:N/M`, `Init:<reason>`, sidecars counted
/// once started), then — unless still initializing — the regular containers, last
/// first, for the reason; sidecars' restarts count beside the regular containers'.
pub fn pod_columns(p: &crate::api::pod::Pod) -> PodColumns<'_> {
    let sidecar = |name: &str| p.spec.init_containers.iter().any(|c| c.name == name && c.restart_policy.as_deref() == Some("Always"));
    let mut reason: Cow<'_, str> = Cow::Borrowed(if p.status.reason.is_empty() { &p.status.phase } else { &p.status.reason });
    if p.status.conditions.iter().any(|c| c.type_ == "PodScheduled" && c.reason == "SchedulingGated") {
        reason = "SchedulingGated".into();
    }
    let total = p.spec.containers.len() + p.spec.init_containers.iter().filter(|c| c.restart_policy.as_deref() == Some("Always")).count();
    let (mut ready, mut restarts, mut sidecar_restarts) = (0, 0, 0);
    let (mut last, mut sidecar_last) = (None, None);
    let mut initializing = false;
    for (i, c) in p.status.init_container_statuses.iter().enumerate() {
        restarts += c.restart_count;
        let finished = c.last_state.terminated.as_ref().and_then(|t| t.finished_at);
        last = last.max(finished);
        if sidecar(&c.name) {
            sidecar_restarts += c.restart_count;
            sidecar_last = sidecar_last.max(finished);
        }
        match (&c.state.terminated, &c.state.waiting) {
            (Some(t), _) if t.exit_code == 0 => continue,
            _ if sidecar(&c.name) && c.started == Some(true) => {
                ready += usize::from(c.ready);
                continue;
            }
            (Some(t), _) => reason = if t.reason.is_empty() { format!("Init:ExitCode:{}", t.exit_code) } else { format!("Init:{}", t.reason) }.into(),
            (_, Some(w)) if !w.reason.is_empty() && w.reason != "PodInitializing" => reason = format!("Init:{}", w.reason).into(),
            _ => reason = format!("Init:{i}/{}", p.spec.init_containers.len()).into(),
        }
        initializing = true;
        break;
    }
    let initialized = p.condition("Initialized").is_some_and(|c| c.status == "True");
    if !initializing || initialized {
        restarts = sidecar_restarts;
        last = sidecar_last;
        let mut has_running = false;
        for c in p.status.container_statuses.iter().rev() {
            restarts += c.restart_count;
            last = last.max(c.last_state.terminated.as_ref().and_then(|t| t.finished_at));
            if let Some(w) = c.state.waiting.as_ref().filter(|w| !w.reason.is_empty()) {
                reason = Cow::Borrowed(&w.reason);
            } else if let Some(t) = &c.state.terminated {
                reason = if t.reason.is_empty() { format!("ExitCode:{}", t.exit_code).into() } else { Cow::Borrowed(&t.reason) };
            } else if c.ready && c.state.running.is_some() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if p.is_ready() { "Running".into() } else { "NotReady".into() };
        }
    }
    PodColumns { ready, total, status: finish_status(p, reason), restarts, last_restart: last }
}

/// kubectl's STATUS column for a pod (printers.go printPod).
pub fn pod_status(p: &crate::api::pod::Pod) -> String {
    pod_columns(p).status.into_owned()
}

/// printPod's last step: node-lost and terminating pods.
fn finish_status<'a>(p: &crate::api::pod::Pod, mut reason: Cow<'a, str>) -> Cow<'a, str> {
    if p.metadata.rare.deletion_timestamp.is_some() && p.status.reason == "NodeLost" {
        reason = "Unknown".into();
    } else if p.metadata.rare.deletion_timestamp.is_some() && !p.is_terminal() {
        reason = "Terminating".into();
    }
    if reason.is_empty() {
        "Pending".into()
    } else {
        reason
    }
}

/// kubectl's node STATUS: Ready / NotReady (False or Unknown) / Unknown (never
/// reported), with `,SchedulingDisabled` when cordoned.
pub fn node_status(n: &crate::api::node::Node) -> String {
    let mut s = match n.condition("Ready") {
        Some(c) if c.status == "True" => "Ready".to_string(),
        Some(_) => "NotReady".to_string(),
        None => "Unknown".to_string(),
    };
    if n.spec.unschedulable {
        s.push_str(",SchedulingDisabled");
    }
    s
}

/// A summary field, borrowed from the object where it can be: a write's change is the
/// fields that differ between two summaries, and only those become JSON values (building
/// both summaries as JSON was 4 % of a density run).
#[derive(PartialEq)]
enum Field<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Int(i64),
    Null,
    List(Vec<String>),
    /// `kind/name`, joined only if it is written (a pod's owner rarely changes, and
    /// formatting it for both summaries of every pod write was a measurable cost).
    Path(&'a str, &'a str),
    /// A time, written as its RFC 3339 string; kept to the second (`time`), which is
    /// what the string shows, so that two are equal exactly when their strings are.
    Time(Time),
}

impl Field<'_> {
    /// What serde_json's Value of the field would count as empty (null, "", [], false, 0).
    fn is_empty(&self) -> bool {
        match self {
            Field::Null => true,
            Field::Str(s) => s.is_empty(),
            Field::List(a) => a.is_empty(),
            Field::Bool(b) => !b,
            Field::Int(n) => *n == 0,
            Field::Path(..) | Field::Time(_) => false,
        }
    }

    /// `to_value`'s JSON, as serde_json writes it.
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Field::Null => out.extend_from_slice(b"null"),
            Field::Str(s) => json_str(out, s),
            Field::List(a) => {
                out.push(b'[');
                for (i, s) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json_str(out, s);
                }
                out.push(b']');
            }
            Field::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Field::Int(n) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
            Field::Path(kind, name) => {
                out.push(b'"');
                json_inner(out, kind);
                out.push(b'/');
                json_inner(out, name);
                out.push(b'"');
            }
            Field::Time(t) => match t.rfc3339_bytes() {
                Some(b) => {
                    out.push(b'"');
                    out.extend_from_slice(&b);
                    out.push(b'"');
                }
                None => json_str(out, &t.rfc3339()),
            },
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Field::Null => Value::Null,
            Field::Str(s) => Value::from(s.as_ref()),
            Field::List(a) => Value::Array(a.iter().map(|s| Value::from(s.as_str())).collect()),
            Field::Bool(b) => Value::from(*b),
            Field::Int(n) => Value::from(*n),
            Field::Path(kind, name) => Value::from(format!("{kind}/{name}")),
            Field::Time(t) => Value::from(t.rfc3339()),
        }
    }
}

fn s(v: &str) -> Field<'_> {
    Field::Str(Cow::Borrowed(v))
}
fn owned<'a>(v: String) -> Field<'a> {
    Field::Str(Cow::Owned(v))
}
fn int<'a>(v: impl Into<i64>) -> Field<'a> {
    Field::Int(v.into())
}
/// A time as its RFC 3339 string, to the second (null if unset).
fn time<'a>(t: Option<Time>) -> Field<'a> {
    t.map_or(Field::Null, |t| Field::Time(Time(SimTime(t.0.as_ms() / 1000 * 1000))))
}

/// The most fields a kind's summary has (a pod's nine), so a summary, and a change
/// between two of one kind, fit in place: each write's two summaries were vectors, 15
/// allocations a pod in a density run.
const FIELDS: usize = 9;

type Summary<'a> = ArrayVec<(&'static str, Field<'a>), FIELDS>;

/// A summary of the fields in `f`'s order.
fn fields<'a, const N: usize>(f: [(&'static str, Field<'a>); N]) -> Summary<'a> {
    f.into_iter().collect()
}

/// The fields of an object the log follows, by kind, in a fixed order.
fn summary(obj: &Object) -> Summary<'_> {
    match obj {
        Object::Pod(p) => {
            let mut m = fields([
                ("node", s(&p.spec.node_name)),
                ("phase", s(&p.status.phase)),
                ("status", Field::Str(pod_columns(p).status)),
                ("ip", s(&p.status.pod_ip)),
                ("ready", Field::Bool(p.is_ready())),
                ("restarts", int(p.restarts())),
                ("terminating", Field::Bool(p.metadata.rare.deletion_timestamp.is_some())),
            ]);
            if let Some(c) = p.condition("PodScheduled").filter(|c| c.status == "False") {
                m.push(("unschedulable", s(&c.message)));
            }
            if let Some(r) = p.metadata.controller_ref() {
                m.push(("owner", Field::Path(&r.kind, &r.name)));
            }
            m
        }
        Object::Node(n) => fields([
            ("ready", s(n.ready_status())),
            ("status", owned(node_status(n))),
            ("podCIDR", s(&n.spec.pod_cidr)),
            ("taints", Field::List(n.spec.taints.iter().map(|t| t.describe()).collect())),
        ]),
        Object::ReplicaSet(rs) => fields([
            ("replicas", int(rs.replicas())),
            ("current", int(rs.status.replicas)),
            ("ready", int(rs.status.ready_replicas)),
            ("available", int(rs.status.available_replicas)),
        ]),
        Object::Deployment(d) => fields([
            ("replicas", int(d.replicas())),
            ("updated", int(d.status.updated_replicas)),
            ("ready", int(d.status.ready_replicas)),
            ("available", int(d.status.available_replicas)),
        ]),
        Object::PodDisruptionBudget(p) => fields([
            ("allowed", int(p.status.disruptions_allowed)),
            ("currentHealthy", int(p.status.current_healthy)),
            ("desiredHealthy", int(p.status.desired_healthy)),
            ("expectedPods", int(p.status.expected_pods)),
        ]),
        Object::DaemonSet(ds) => fields([
            ("desired", int(ds.status.desired_number_scheduled)),
            ("current", int(ds.status.current_number_scheduled)),
            ("ready", int(ds.status.number_ready)),
            ("updated", int(ds.status.updated_number_scheduled)),
            ("available", int(ds.status.number_available)),
            ("misscheduled", int(ds.status.number_misscheduled)),
        ]),
        Object::ReplicationController(rc) => fields([
            ("replicas", int(rc.replicas())),
            ("current", int(rc.status.replicas)),
            ("ready", int(rc.status.ready_replicas)),
            ("available", int(rc.status.available_replicas)),
        ]),
        Object::ControllerRevision(cr) => fields([("revision", int(cr.revision))]),
        Object::StatefulSet(s) => fields([
            ("replicas", int(s.replicas())),
            ("current", int(s.status.replicas)),
            ("ready", int(s.status.ready_replicas)),
            ("updated", int(s.status.updated_replicas)),
        ]),
        Object::Job(j) => fields([
            ("status", s(j.kubectl_status())),
            ("active", int(j.status.active)),
            ("succeeded", int(j.status.succeeded)),
            ("failed", int(j.status.failed)),
        ]),
        Object::CronJob(cj) => fields([("active", int(cj.status.active.len() as i64)), ("lastScheduleTime", time(cj.status.last_schedule_time))]),
        Object::Lease(l) => fields([("renewTime", time(l.spec.renew_time))]),
        Object::Event(e) => fields([
            ("type", s(&e.type_)),
            ("reason", s(&e.reason)),
            ("object", Field::Path(&e.involved_object.kind, &e.involved_object.name)),
            ("message", s(&e.message)),
        ]),
        _ => Summary::new(),
    }
}

/// A record's `change` before it is a JSON map: the fields borrowed where they can be,
/// sorted by name as the map's keys are.
#[derive(Default)]
pub struct Change<'a>(Summary<'a>);

/// The summary fields that changed from `prev` to `next` (all non-empty ones on
/// create); a field that disappeared is reported as null. `prev` and `next` are two
/// versions of one object (the store's previous and new), so both summaries are of
/// one kind and their fields together at most a summary's.
pub fn diff<'a>(prev: Option<&'a Object>, next: Option<&'a Object>) -> Change<'a> {
    let Some(next) = next else { return Change::default() };
    debug_assert!(prev.is_none_or(|p| p.kind() == next.kind()), "a diff of two versions of one object");
    let mut out = summary(next);
    let before = prev.map(summary).unwrap_or_default();
    let gone = before.iter().filter(|(k, v)| !v.is_empty() && !out.iter().any(|(a, _)| a == k)).map(|(k, _)| *k);
    let gone: ArrayVec<&'static str, FIELDS> = gone.collect();
    out.retain(|(k, v)| match before.iter().find(|(b, _)| b == k) {
        None => !v.is_empty(),
        Some((_, o)) => o != v,
    });
    out.extend(gone.into_iter().map(|k| (k, Field::Null)));
    out.sort_unstable_by_key(|(k, _)| *k);
    Change(out)
}

impl Change<'_> {
    pub fn to_map(&self) -> Map<String, Value> {
        self.0.iter().map(|(k, v)| (k.to_string(), v.to_value())).collect()
    }

    /// The map's JSON, as serde_json writes it.
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_str(out, k);
            out.push(b':');
            v.write_json(out);
        }
        out.push(b'}');
    }
}

pub mod chrome;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_sha256_of_lines() {
        let mut t = Trace::new(true);
        assert_eq!(t.fingerprint(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        t.push(Record {
            t: 1,
            rev: 2,
            verb: "create".into(),
            by: "timeline".into(),
            kind: "Pod".into(),
            ns: "default".into(),
            name: "x".into(),
            change: Map::new(),
        });
        assert_eq!(
            t.to_jsonl(),
            "{\"t\":1,\"rev\":2,\"verb\":\"create\",\"by\":\"timeline\",\"kind\":\"Pod\",\"ns\":\"default\",\"name\":\"x\",\"change\":{}}\n"
        );
        let mut h = Sha256::new();
        h.update(t.to_jsonl().as_bytes());
        let expect: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(t.fingerprint(), expect);
    }

    /// `Trace::write` writes by hand what serde_json writes for the record: the same
    /// bytes for each kind of field (strings needing escapes, lists, nulls for fields
    /// that went away, numbers, booleans, `kind/name` paths), and a record read back
    /// from its line when it was not built.
    #[test]
    fn a_written_line_is_the_records_serialization() {
        use crate::api::node::{Node, Taint};
        use crate::api::pod::Pod;
        use crate::api::Object;
        use std::cell::RefCell;
        use std::rc::Rc;
        let mut a = Pod::default();
        a.metadata.name = "web-\"quoted\"\u{1}-é".into();
        a.metadata.namespace = "ns\\x".into();
        a.metadata.owner_references =
            vec![crate::api::meta::OwnerReference { kind: "Replica\"Set".into(), name: "r\"s\n".into(), controller: Some(true), ..Default::default() }].into();
        Rc::make_mut(&mut a.spec).node_name = "w-1".into();
        a.status.phase = "Running".into();
        a.status.pod_ip = "10.0.0.1".into();
        let mut b = a.clone();
        b.status.pod_ip.clear();
        b.status.phase = "Pending\t".into();
        b.metadata.owner_references = Default::default();
        let mut n = Node::default();
        n.metadata.name = "w-1".into();
        n.spec.taints = vec![
            Taint { key: "k\"".into(), value: "v".into(), effect: "NoExecute".into(), time_added: None },
            Taint { key: "x".into(), effect: "NoSchedule".into(), ..Default::default() },
        ];
        let (pa, pb, node) = (Object::Pod(Box::new(a)), Object::Pod(Box::new(b)), Object::Node(Box::new(n)));
        // Leases renewed within a second and across one (a time is written to the
        // second, as its string shows it), and numbers either side of zero.
        let lease = |ms: Option<u64>| {
            let mut l = crate::api::namespace::Lease::default();
            l.metadata.name = "w-1".into();
            l.spec.renew_time = ms.map(|ms| crate::api::meta::Time(SimTime(ms)));
            Object::Lease(Box::new(l))
        };
        let (l0, l1, l2, l3) = (lease(None), lease(Some(1_500)), lease(Some(1_999)), lease(Some(86_400_000 * 400 + 2_000)));
        let deployment = |replicas: i32, ready: i32| {
            let mut d = crate::api::deployment::Deployment::default();
            d.spec.replicas = Some(replicas);
            d.status.ready_replicas = ready;
            Object::Deployment(Box::new(d))
        };
        let (d1, d2) = (deployment(-3, 1_234_567), deployment(i32::MAX, i32::MIN));
        let cases: [(Option<&Object>, Option<&Object>); 11] = [
            (None, Some(&pa)),
            (Some(&pa), Some(&pb)),
            (Some(&pb), Some(&pa)),
            (None, Some(&node)),
            (Some(&pa), None),
            (Some(&l0), Some(&l1)),
            (Some(&l1), Some(&l2)),
            (Some(&l2), Some(&l3)),
            (Some(&l3), Some(&l0)),
            (None, Some(&d1)),
            (Some(&d1), Some(&d2)),
        ];
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s2 = Rc::clone(&seen);
        let mut with_sink = Trace::with_sink(false, Box::new(move |w: &Written| s2.borrow_mut().push((w.record().clone(), w.line.to_string()))));
        let mut bare = Trace::new(false);
        for (i, (prev, next)) in cases.into_iter().enumerate() {
            let o = next.or(prev).expect("an object");
            let m = o.meta();
            let by = if i % 2 == 0 { ("kubelet/", "w-\"1") } else { ("scheduler", "") };
            let kind = o.kind();
            let line = Line { t: 1000 + i as u64, rev: 7 * i as u64, verb: "up\"date", by, kind: kind.name(), ns: &m.namespace, name: &m.name };
            let ch = diff(prev, next);
            with_sink.write(&line, &ch);
            bare.write(&line, &ch);
            let record = Record {
                t: line.t,
                rev: line.rev,
                verb: line.verb.into(),
                by: format!("{}{}", by.0, by.1),
                kind: line.kind.into(),
                ns: m.namespace.to_string(),
                name: m.name.to_string(),
                change: diff(prev, next).to_map(),
            };
            let (r, l) = seen.borrow().last().cloned().expect("the sink saw the write");
            assert_eq!(l, serde_json::to_string(&record).expect("serializes"), "case {i}");
            assert_eq!((r, bare.last()), (record.clone(), Some(record)), "case {i}");
        }
        assert!(!seen.borrow()[1].0.change.is_empty() && seen.borrow()[1].0.change.values().any(Value::is_null), "a field went away");
        let change = |i: usize| serde_json::to_string(&seen.borrow()[i].0.change).expect("serializes");
        assert_eq!(change(5), r#"{"renewTime":"2026-01-01T00:00:01Z"}"#);
        assert_eq!(change(6), "{}", "the same second");
        assert_eq!(change(7), r#"{"renewTime":"2027-02-05T00:00:02Z"}"#);
        assert_eq!(change(8), r#"{"renewTime":null}"#);
        assert_eq!(change(10), r#"{"ready":-2147483648,"replicas":2147483647}"#);
        assert_eq!((with_sink.fingerprint(), with_sink.bytes()), (bare.fingerprint(), bare.bytes()));
    }

    /// A string is written as serde_json writes it, escaped or not, whole or as the
    /// inside of a string.
    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        use proptest::prelude::*;
        let check = |s: &str| {
            let want = serde_json::to_string(s).expect("serializes");
            let mut out = b"x".to_vec();
            json_str(&mut out, s);
            assert_eq!(&out[1..], want.as_bytes(), "{s:?}");
            let mut inner = b"y".to_vec();
            json_inner(&mut inner, s);
            assert_eq!(&inner[1..], &want.as_bytes()[1..want.len() - 1], "{s:?}");
        };
        for s in ["", "web-1", "a\"b", "back\\slash", "tab\t", "\u{1f}", "\u{7f}", "é ✓ 🚀", " ~"] {
            check(s);
        }
        proptest!(ProptestConfig::with_cases(2000), |(s in any::<String>())| check(&s));
        // Mostly plain ASCII, a character to escape anywhere in a word or none.
        proptest!(ProptestConfig::with_cases(4000), |(s in "[ -~]{0,40}[\\x00-\\x1f\"\\\\\u{7f}é]?[ -~]{0,20}")| check(&s));
    }

    /// A sink that reads only the line and the names does not have the record built;
    /// `last()` then reads it back from the line. One that asks gets the same record.
    #[test]
    fn the_record_is_built_only_when_the_sink_asks() {
        use std::cell::RefCell;
        use std::rc::Rc;
        let asked = Rc::new(RefCell::new(Vec::new()));
        let a2 = Rc::clone(&asked);
        let mut t = Trace::with_sink(
            false,
            Box::new(move |w: &Written| {
                assert_eq!(w.t, 5, "the write's time, without the record");
                if w.kind == "Pod" {
                    a2.borrow_mut().push(w.record().clone());
                }
            }),
        );
        let mut pod = crate::api::pod::Pod::default();
        pod.metadata.name = "web-1".into();
        pod.status.phase = "Running".into();
        let pod = Object::Pod(Box::new(pod));
        let mut lease = crate::api::namespace::Lease::default();
        lease.metadata.name = "w-1".into();
        let lease = Object::Lease(Box::new(lease));
        let line = |kind| Line { t: 5, rev: 9, verb: "update", by: ("kubelet/", "w-1"), kind, ns: "", name: "x" };
        t.write(&line("Lease"), &diff(None, Some(&lease)));
        assert!(t.last.is_none(), "nobody asked for the Lease's record");
        let lease_record = t.last().expect("read back from the line");
        assert_eq!((lease_record.kind.as_str(), lease_record.by.as_str(), lease_record.t), ("Lease", "kubelet/w-1", 5));
        t.write(&line("Pod"), &diff(None, Some(&pod)));
        let built = t.last.clone().expect("the sink asked for the Pod's record");
        assert_eq!(asked.borrow().as_slice(), std::slice::from_ref(&built));
        assert_eq!(serde_json::to_string(&built).expect("serializes").into_bytes(), t.line);
    }

    #[test]
    fn a_sink_sees_every_line_that_is_hashed_and_nothing_is_kept() {
        use std::cell::RefCell;
        use std::rc::Rc;
        let seen = Rc::new(RefCell::new(String::new()));
        let s2 = Rc::clone(&seen);
        let mut t = Trace::with_sink(
            false,
            Box::new(move |w: &Written| {
                let mut s = s2.borrow_mut();
                s.push_str(w.line);
                s.push('\n');
            }),
        );
        for i in 0..3 {
            t.push(Record {
                t: i,
                rev: i,
                verb: "update".into(),
                by: "kubelet/w-1".into(),
                kind: "Lease".into(),
                ns: "kube-node-lease".into(),
                name: "w-1".into(),
                change: Map::new(),
            });
        }
        assert!(t.records().is_empty());
        assert_eq!(t.last().map(|r| r.t), Some(2));
        let mut h = Sha256::new();
        h.update(seen.borrow().as_bytes());
        let expect: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!((t.fingerprint(), t.len(), t.bytes()), (expect, 3, seen.borrow().len() as u64));
    }
}
