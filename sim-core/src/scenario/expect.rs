//! Expectations: one-line checks on the cluster's state, written to read well to a
//! student, and typed when the scenario loads:
//!
//! ```text
//! deployment/web available == 3
//! pods(app=web) running == 3
//! pods(app=web, tier notin (db, cache)) on worker-1 == 0
//! pods(app=web) nodes >= 2
//! node/worker-1 ready == Unknown
//! pod/big status == Pending
//! daemonset/kube-system/fluentd available == 3
//! ```
//!
//! A subject (`kind/name`, `kind/namespace/name`, `pods`, `pods(selector)`, `nodes`,
//! `nodes(selector)`), a field, a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`) and a
//! value. Each field has a type — a count, a boolean, one of a fixed set of words (a
//! pod's phase, a node's Ready condition) or an open word (kubectl's STATUS, a node
//! name, an IP, a CIDR) — and a check that cannot be true of that type (an unknown
//! field, `phase == Runing`, `ready != Flase`, `<` on a word, `=` for `==`, a malformed
//! selector, a node the cluster does not have) is refused at load with what would be
//! valid. Counts compare exactly at any size (as digit strings). Selectors use
//! kubectl's syntax and validation (apimachinery `labels.Parse`: `k=v`, `k==v`, `k!=v`,
//! `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>1`, `k<1`).
//!
//! A check on one object that does not exist fails (observed: `pod/web not found`),
//! except `exists`, which is then `false`.

use crate::api::validation::{dns1123_label, dns1123_subdomain, label_value, qualified_name};
use crate::api::{Kind, Object};
use crate::etcd::Store;
use crate::trace::{node_status, pod_status};
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq)]
pub enum Subject {
    One {
        kind: Kind,
        namespace: String,
        name: String,
    },
    Pods(Selector),
    Nodes(Selector),
    /// A traffic client's counts, cumulative from its start.
    Traffic(String),
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

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// What a field holds, which decides the values and comparisons a check may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// A whole number (`==` … `>=`).
    Count,
    /// `true` or `false`.
    Bool,
    /// One of a fixed set of words.
    OneOf(&'static [&'static str]),
    /// Any word (kubectl's STATUS column is open-ended).
    Word,
    /// The name of one of the cluster's nodes.
    NodeName,
    /// An IPv4 address.
    Ip,
    /// An IPv4 CIDR.
    Cidr,
}

/// The value a check compares with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Number(Integer),
    Word(String),
}

/// An integer of any size: a sign and its decimal digits (no leading zeros).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Integer {
    negative: bool,
    digits: String,
}

impl Integer {
    /// `-?[0-9]+` (a leading `+` is allowed too).
    pub fn parse(s: &str) -> Option<Integer> {
        let (negative, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = body.trim_start_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        Some(Integer { negative: negative && digits != "0", digits: digits.to_string() })
    }
}

impl Ord for Integer {
    fn cmp(&self, other: &Self) -> Ordering {
        let magnitude = self.digits.len().cmp(&other.digits.len()).then_with(|| self.digits.cmp(&other.digits));
        match (self.negative, other.negative) {
            (false, false) => magnitude,
            (true, true) => magnitude.reverse(),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
        }
    }
}

impl PartialOrd for Integer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// The subject as written (`pod/web`, `pods(app=web)`).
    pub subject_text: String,
    pub subject: Subject,
    pub field: String,
    pub field_type: FieldType,
    /// For `on NODE`.
    pub arg: Option<String>,
    pub op: Op,
    pub value: Value,
}

struct Field {
    name: &'static str,
    ty: FieldType,
}

const fn f(name: &'static str, ty: FieldType) -> Field {
    Field { name, ty }
}

/// A pod's phase (core/v1 PodPhase).
pub const PHASES: &[&str] = &["Pending", "Running", "Succeeded", "Failed", "Unknown"];
/// A condition's status (core/v1 ConditionStatus).
pub const CONDITION_STATUSES: &[&str] = &["True", "False", "Unknown"];
const BOOLS: &[&str] = &["true", "false"];

use FieldType::*;
const POD_FIELDS: &[Field] =
    &[f("phase", OneOf(PHASES)), f("status", Word), f("node", NodeName), f("ip", Ip), f("ready", Bool), f("restarts", Count), f("exists", Bool)];
const NODE_FIELDS: &[Field] =
    &[f("ready", OneOf(CONDITION_STATUSES)), f("status", Word), f("taints", Count), f("pods", Count), f("podCIDR", Cidr), f("exists", Bool)];
const DEPLOYMENT_FIELDS: &[Field] = &[
    f("replicas", Count),
    f("ready", Count),
    f("available", Count),
    f("updated", Count),
    f("unavailable", Count),
    f("revision", Count),
    f("progressing", Word),
    f("exists", Bool),
];
const REPLICASET_FIELDS: &[Field] = &[f("replicas", Count), f("ready", Count), f("available", Count), f("unavailable", Count), f("exists", Bool)];
const DAEMONSET_FIELDS: &[Field] = &[
    f("desired", Count),
    f("current", Count),
    f("ready", Count),
    f("updated", Count),
    f("available", Count),
    f("unavailable", Count),
    f("misscheduled", Count),
    f("exists", Bool),
];
/// A StatefulSet's status counts.
const STATEFULSET_FIELDS: &[Field] =
    &[f("replicas", Count), f("ready", Count), f("available", Count), f("current", Count), f("updated", Count), f("exists", Bool)];
/// kubectl's Job STATUS column (printJob).
pub const JOB_STATUSES: &[&str] = &["Running", "Complete", "Failed", "Suspended", "FailureTarget", "Terminating"];
/// A Job: its status counts and kubectl's STATUS.
const JOB_FIELDS: &[Field] = &[
    f("status", OneOf(JOB_STATUSES)),
    f("active", Count),
    f("ready", Count),
    f("succeeded", Count),
    f("failed", Count),
    f("terminating", Count),
    f("exists", Bool),
];
/// kubectl's PVC and PV STATUS columns (the phase, or Terminating while deleted).
pub const CLAIM_STATUSES: &[&str] = &["Pending", "Bound", "Lost", "Terminating"];
pub const VOLUME_STATUSES: &[&str] = &["Pending", "Available", "Bound", "Released", "Failed", "Terminating"];
/// A claim: kubectl's STATUS, its volume, and the zone its volume's node affinity
/// requires (`topology.kubernetes.io/zone`; empty when none).
const CLAIM_FIELDS: &[Field] = &[f("status", OneOf(CLAIM_STATUSES)), f("volume", Word), f("zone", Word), f("exists", Bool)];
/// A volume: kubectl's STATUS and CLAIM (namespace/name).
const VOLUME_FIELDS: &[Field] = &[f("status", OneOf(VOLUME_STATUSES)), f("claim", Word), f("exists", Bool)];
/// A HorizontalPodAutoscaler: its status's current and desired replica counts.
const HPA_FIELDS: &[Field] = &[f("current", Count), f("desired", Count), f("exists", Bool)];
/// A CronJob: how many Jobs it lists as active.
const CRONJOB_FIELDS: &[Field] = &[f("active", Count), f("exists", Bool)];
/// A Service: its ClusterIP and type, and its endpoints as its EndpointSlices list them
/// (ready ones are where kube-proxy sends traffic; terminating ones are not ready).
/// core/v1 ServiceType.
pub const SERVICE_TYPES: &[&str] = &["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
/// `endpointsOn NODE`: the endpoints the kube-proxy of NODE sends the Service's ClusterIP
/// traffic to, as it last programmed them (it trails the slices).
const SERVICE_FIELDS: &[Field] =
    &[f("clusterIP", Ip), f("type", OneOf(SERVICE_TYPES)), f("endpoints", Count), f("notReadyEndpoints", Count), f("endpointsOn", Count), f("exists", Bool)];
/// The fields that take a node name before the comparison.
const NODE_ARG_FIELDS: &[&str] = &["on", "endpointsOn"];
const OTHER_FIELDS: &[Field] = &[f("exists", Bool)];
const PODS_FIELDS: &[Field] = &[
    f("count", Count),
    f("running", Count),
    f("pending", Count),
    f("ready", Count),
    f("terminating", Count),
    f("failed", Count),
    f("succeeded", Count),
    f("unschedulable", Count),
    f("restarts", Count),
    f("nodes", Count),
    f("on", Count),
];
const NODES_FIELDS: &[Field] = &[f("count", Count), f("ready", Count), f("notready", Count)];
/// `errors(REASON)` counts one reason (crate::traffic::REASONS).
const TRAFFIC_FIELDS: &[Field] = &[f("sent", Count), f("succeeded", Count), f("errors", Count)];

const USAGE: &str = "expected `<subject> <field> <op> <value>`, e.g. `deployment/web available == 3` or `pods(app=web) running == 3`";

/// A label selector in kubectl's syntax (`-l`), parsed and validated as apimachinery's
/// `labels.Parse` does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Requirement {
    pub key: String,
    pub op: SelectorOp,
    pub values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectorOp {
    Equals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

impl Selector {
    pub fn matches(&self, labels: &std::collections::BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| {
            let v = labels.get(&r.key);
            match r.op {
                SelectorOp::Equals | SelectorOp::In => v.is_some_and(|v| r.values.contains(v)),
                SelectorOp::NotEquals | SelectorOp::NotIn => v.is_none_or(|v| !r.values.contains(v)),
                SelectorOp::Exists => v.is_some(),
                SelectorOp::DoesNotExist => v.is_none(),
                SelectorOp::GreaterThan | SelectorOp::LessThan => {
                    let (Some(have), Some(want)) = (v.and_then(|v| v.parse::<i64>().ok()), r.values.first().and_then(|w| w.parse::<i64>().ok())) else {
                        return false;
                    };
                    if r.op == SelectorOp::GreaterThan {
                        have > want
                    } else {
                        have < want
                    }
                }
            }
        })
    }

    /// Parses a selector (labels.Parse); errors read like kubectl's.
    pub fn parse(s: &str) -> Result<Selector, String> {
        let tokens = lex(s)?;
        let mut p = SelectorParser { tokens, pos: 0 };
        let mut requirements = Vec::new();
        loop {
            match p.peek_value() {
                Tok::Ident(_) | Tok::Not => {
                    requirements.push(p.requirement().map_err(|e| format!("unable to parse requirement: {e}"))?);
                    match p.next_value() {
                        Tok::End => break,
                        Tok::Comma => {
                            if !matches!(p.peek_value(), Tok::Ident(_) | Tok::Not) {
                                return Err(format!("found '{}', expected: identifier after ','", p.peek_value().literal()));
                            }
                        }
                        t => return Err(format!("found '{}', expected: ',' or 'end of string'", t.literal())),
                    }
                }
                Tok::End => break,
                t => return Err(format!("found '{}', expected: !, identifier, or 'end of string'", t.literal())),
            }
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Selector { requirements })
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    End,
    ClosedPar,
    Comma,
    Not,
    DoubleEquals,
    Equals,
    Greater,
    Ident(String),
    In,
    Less,
    NotEquals,
    NotIn,
    OpenPar,
}

impl Tok {
    fn literal(&self) -> String {
        match self {
            Tok::End => String::new(),
            Tok::ClosedPar => ")".into(),
            Tok::Comma => ",".into(),
            Tok::Not => "!".into(),
            Tok::DoubleEquals => "==".into(),
            Tok::Equals => "=".into(),
            Tok::Greater => ">".into(),
            Tok::Ident(s) => s.clone(),
            Tok::In => "in".into(),
            Tok::Less => "<".into(),
            Tok::NotEquals => "!=".into(),
            Tok::NotIn => "notin".into(),
            Tok::OpenPar => "(".into(),
        }
    }
}

fn symbol(s: &str) -> Option<Tok> {
    Some(match s {
        ")" => Tok::ClosedPar,
        "," => Tok::Comma,
        "!" => Tok::Not,
        "==" => Tok::DoubleEquals,
        "=" => Tok::Equals,
        ">" => Tok::Greater,
        "<" => Tok::Less,
        "!=" => Tok::NotEquals,
        "(" => Tok::OpenPar,
        _ => return None,
    })
}

/// The lexer of labels.Parse: identifiers end at whitespace or a special symbol; a run
/// of special symbols is read as the longest token it starts with.
fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let special = |c: char| matches!(c, '=' | '!' | '(' | ')' | ',' | '>' | '<');
    let white = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if white(c) {
            i += 1;
        } else if special(c) {
            let mut buf = String::new();
            let mut last: Option<(Tok, usize)> = None;
            while i < chars.len() && special(chars[i]) {
                buf.push(chars[i]);
                i += 1;
                match symbol(&buf) {
                    Some(t) => last = Some((t, i)),
                    None if last.is_some() => break, // the longest token ends before this
                    None => {}
                }
            }
            match last {
                Some((t, end)) => {
                    i = end;
                    out.push(t);
                }
                None => return Err(format!("error expected: keyword found '{buf}'")),
            }
        } else {
            let start = i;
            while i < chars.len() && !special(chars[i]) && !white(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push(match word.as_str() {
                "in" => Tok::In,
                "notin" => Tok::NotIn,
                _ => Tok::Ident(word),
            });
        }
    }
    out.push(Tok::End);
    Ok(out)
}

struct SelectorParser {
    tokens: Vec<Tok>,
    pos: usize,
}

impl SelectorParser {
    /// The next token where a value may stand (`in`/`notin` are then identifiers).
    fn peek_value(&self) -> Tok {
        match self.tokens.get(self.pos).cloned().unwrap_or(Tok::End) {
            Tok::In => Tok::Ident("in".into()),
            Tok::NotIn => Tok::Ident("notin".into()),
            t => t,
        }
    }

    fn next_value(&mut self) -> Tok {
        let t = self.peek_value();
        self.pos += 1;
        t
    }

    fn next_operator(&mut self) -> Tok {
        let t = self.tokens.get(self.pos).cloned().unwrap_or(Tok::End);
        self.pos += 1;
        t
    }

    fn requirement(&mut self) -> Result<Requirement, String> {
        let mut op = None;
        let mut tok = self.next_value();
        if tok == Tok::Not {
            op = Some(SelectorOp::DoesNotExist);
            tok = self.next_value();
        }
        let Tok::Ident(key) = tok else {
            return Err(format!("found '{}', expected: identifier", tok.literal()));
        };
        let errs = qualified_name(&key);
        if !errs.is_empty() {
            return Err(format!("Invalid value: {key:?}: {}", errs.join("; ")));
        }
        if matches!(self.peek_value(), Tok::End | Tok::Comma) {
            return Ok(Requirement { key, op: op.unwrap_or(SelectorOp::Exists), values: Vec::new() });
        }
        if op.is_some() {
            return Err(format!("found '{}', expected: ',' or 'end of string'", self.peek_value().literal()));
        }
        let op = match self.next_operator() {
            Tok::In => SelectorOp::In,
            Tok::Equals | Tok::DoubleEquals => SelectorOp::Equals,
            Tok::Greater => SelectorOp::GreaterThan,
            Tok::Less => SelectorOp::LessThan,
            Tok::NotIn => SelectorOp::NotIn,
            Tok::NotEquals => SelectorOp::NotEquals,
            t => return Err(format!("found '{}', expected: in, notin, =, ==, !=, gt, lt", t.literal())),
        };
        let values = match op {
            SelectorOp::In | SelectorOp::NotIn => self.set_values()?,
            _ => self.exact_value()?,
        };
        for v in &values {
            let errs = label_value(v);
            if !errs.is_empty() {
                return Err(format!("values[0][{key}]: Invalid value: {v:?}: {}", errs.join("; ")));
            }
        }
        if matches!(op, SelectorOp::GreaterThan | SelectorOp::LessThan) && values[0].parse::<i64>().is_err() {
            return Err(format!("values[0]: Invalid value: {:?}: for 'Gt', 'Lt' operators, the value must be an integer", values[0]));
        }
        Ok(Requirement { key, op, values })
    }

    fn set_values(&mut self) -> Result<Vec<String>, String> {
        let t = self.next_value();
        if t != Tok::OpenPar {
            return Err(format!("found '{}' expected: '('", t.literal()));
        }
        let mut values: Vec<String> = Vec::new();
        if self.peek_value() == Tok::ClosedPar {
            self.pos += 1;
            return Ok(vec![String::new()]);
        }
        loop {
            match self.next_value() {
                Tok::Ident(v) => {
                    values.push(v);
                    match self.peek_value() {
                        Tok::Comma => continue,
                        Tok::ClosedPar => {
                            self.pos += 1;
                            break;
                        }
                        t => return Err(format!("found '{}', expected: ',' or ')'", t.literal())),
                    }
                }
                Tok::Comma => {
                    values.push(String::new());
                    if self.peek_value() == Tok::ClosedPar {
                        self.pos += 1;
                        values.push(String::new());
                        break;
                    }
                }
                t => return Err(format!("found '{}', expected: ',', or identifier", t.literal())),
            }
        }
        values.sort();
        values.dedup();
        Ok(values)
    }

    fn exact_value(&mut self) -> Result<Vec<String>, String> {
        if matches!(self.peek_value(), Tok::End | Tok::Comma) {
            return Ok(vec![String::new()]);
        }
        match self.next_value() {
            Tok::Ident(v) => Ok(vec![v]),
            t => Err(format!("found '{}', expected: identifier", t.literal())),
        }
    }
}

/// Splits `pods(app in (a,b)) on worker-1 == 0` into the subject and the rest; the
/// selector's parentheses may nest one level (`in (…)`).
fn split_subject(t: &str) -> Result<(&str, &str), String> {
    if t.starts_with("pods(") || t.starts_with("nodes(") || t.starts_with("traffic(") {
        let mut depth = 0usize;
        for (i, c) in t.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok((&t[..=i], &t[i + 1..]));
                    }
                }
                _ => {}
            }
        }
        return Err(format!("the selector of {:?} has no closing ')'", t.split_whitespace().next().unwrap_or(t)));
    }
    t.split_once(char::is_whitespace).ok_or_else(|| USAGE.to_string())
}

/// Why no object of `kind` can be called `name` (the apiserver's name rules).
fn name_errors(kind: &Kind, name: &str) -> Vec<String> {
    match kind {
        Kind::Namespace => dns1123_label(name),
        Kind::Service => crate::api::validation::dns1035_label(name),
        _ => dns1123_subdomain(name),
    }
}

fn subject(subject_text: &str, nodes: Option<&BTreeSet<String>>) -> Result<(Subject, &'static [Field]), String> {
    if let Some(inner) = subject_text.strip_prefix("pods(").and_then(|s| s.strip_suffix(')')) {
        return Ok((Subject::Pods(Selector::parse(inner).map_err(|e| format!("selector {inner:?}: {e}"))?), PODS_FIELDS));
    }
    if let Some(inner) = subject_text.strip_prefix("traffic(").and_then(|s| s.strip_suffix(')')) {
        if inner.trim().is_empty() {
            return Err("traffic() names a client: `traffic(shop) errors == 0`".into());
        }
        return Ok((Subject::Traffic(inner.trim().to_string()), TRAFFIC_FIELDS));
    }
    if let Some(inner) = subject_text.strip_prefix("nodes(").and_then(|s| s.strip_suffix(')')) {
        return Ok((Subject::Nodes(Selector::parse(inner).map_err(|e| format!("selector {inner:?}: {e}"))?), NODES_FIELDS));
    }
    match subject_text {
        "pods" => return Ok((Subject::Pods(Selector::default()), PODS_FIELDS)),
        "nodes" => return Ok((Subject::Nodes(Selector::default()), NODES_FIELDS)),
        _ => {}
    }
    let parts: Vec<&str> = subject_text.split('/').collect();
    let (k, ns, name) = match parts.as_slice() {
        [k, n] => (*k, "default", *n),
        [k, ns, n] => (*k, *ns, *n),
        _ => return Err(format!("unknown subject {subject_text:?}: {USAGE}")),
    };
    let kind = Kind::from_user(k).ok_or_else(|| format!("unknown kind {k:?} in {subject_text:?}: the server doesn't have a resource type {k:?}"))?;
    if let Some(m) = name_errors(&kind, name).first() {
        return Err(format!("{subject_text}: no object can have the name {name:?}: {m}"));
    }
    if kind.namespaced() {
        if let Some(m) = dns1123_label(ns).first() {
            return Err(format!("{subject_text}: no namespace can have the name {ns:?}: {m}"));
        }
    }
    if kind == Kind::Node {
        if let Some(nodes) = nodes.filter(|n| !n.contains(name)) {
            return Err(format!("nodes {name:?} not found: the cluster's nodes are {}", node_list(nodes)));
        }
    }
    let fields = match kind {
        Kind::Pod => POD_FIELDS,
        Kind::Node => NODE_FIELDS,
        Kind::Deployment => DEPLOYMENT_FIELDS,
        Kind::ReplicaSet | Kind::ReplicationController => REPLICASET_FIELDS,
        Kind::DaemonSet => DAEMONSET_FIELDS,
        Kind::Service => SERVICE_FIELDS,
        Kind::Job => JOB_FIELDS,
        Kind::StatefulSet => STATEFULSET_FIELDS,
        Kind::CronJob => CRONJOB_FIELDS,
        Kind::HorizontalPodAutoscaler => HPA_FIELDS,
        Kind::PersistentVolumeClaim => CLAIM_FIELDS,
        Kind::PersistentVolume => VOLUME_FIELDS,
        _ => OTHER_FIELDS,
    };
    let ns = if kind.namespaced() { ns } else { "" };
    Ok((Subject::One { kind, namespace: ns.into(), name: name.into() }, fields))
}

fn node_list(nodes: &BTreeSet<String>) -> String {
    let mut names: Vec<&str> = nodes.iter().map(String::as_str).take(6).collect();
    if nodes.len() > names.len() {
        names.push("…");
    }
    names.join(", ")
}

fn quoted_list(words: &[&str]) -> String {
    words.iter().map(|w| format!("{w:?}")).collect::<Vec<_>>().join(", ")
}

/// Checks `value` against the field's type; the typed value.
fn typed_value(field: &str, ty: FieldType, op: Op, value: &str, nodes: Option<&BTreeSet<String>>) -> Result<Value, String> {
    let ordered = matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge);
    let what = match ty {
        Count => None,
        Bool => Some("true or false".to_string()),
        OneOf(words) => Some(format!("one of {}", words.join(", "))),
        Word => Some("a word".to_string()),
        NodeName => Some("a node name".to_string()),
        Ip => Some("an IP address".to_string()),
        Cidr => Some("a CIDR".to_string()),
    };
    if let (true, Some(what)) = (ordered, &what) {
        return Err(format!("`{}` compares numbers, and {field} is {what}: use == or !=", op.symbol()));
    }
    // An empty word is what an unset field shows (`pod/web node == ""`: not scheduled).
    if value.is_empty() && matches!(ty, NodeName | Ip | Cidr | Word) {
        return Ok(Value::Word(String::new()));
    }
    match ty {
        Count => Integer::parse(value).map(Value::Number).ok_or_else(|| format!("{field} is a count: expected a whole number, not {value:?}")),
        Bool => BOOLS
            .contains(&value)
            .then(|| Value::Word(value.into()))
            .ok_or_else(|| format!("Unsupported value: {value:?}: supported values: {}", quoted_list(BOOLS))),
        OneOf(words) => words
            .contains(&value)
            .then(|| Value::Word(value.into()))
            .ok_or_else(|| format!("Unsupported value: {value:?}: supported values: {}", quoted_list(words))),
        Word => Ok(Value::Word(value.into())),
        NodeName => match nodes {
            Some(n) if !n.contains(value) => Err(format!("nodes {value:?} not found: the cluster's nodes are {}", node_list(n))),
            _ => Ok(Value::Word(value.into())),
        },
        Ip => crate::network::ipam::parse_ip(value)
            .map(|_| Value::Word(value.into()))
            .ok_or_else(|| format!("Invalid value: {value:?}: must be a valid IP address, (e.g. 10.9.8.7)")),
        Cidr => crate::network::ipam::Cidr::parse(value)
            .ok()
            .filter(|c| c.to_string() == value)
            .map(|_| Value::Word(value.into()))
            .ok_or_else(|| format!("Invalid value: {value:?}: must be a valid CIDR value, (e.g. 10.9.8.0/24)")),
    }
}

/// Parses and types `deployment/web available == 3`. `nodes`: the cluster's node names,
/// when known, to refuse a check on a node that never exists.
pub fn parse(text: &str, nodes: Option<&BTreeSet<String>>) -> Result<Check, String> {
    let t = text.trim();
    let (subject_text, rest) = split_subject(t)?;
    let words: Vec<&str> = rest.split_whitespace().collect();
    let (field, arg, op, value) = match words.as_slice() {
        [f, o, v] if NODE_ARG_FIELDS.contains(f) && is_op(o) => return Err(format!("`{f}` takes a node name: `{subject_text} {f} worker-1 {o} {v}`")),
        [f, a, o, v] if NODE_ARG_FIELDS.contains(f) => (*f, Some(a.to_string()), *o, *v),
        [f, o, v] if f.starts_with("errors(") && f.ends_with(')') => {
            let reason = &f["errors(".len()..f.len() - 1];
            if !crate::traffic::REASONS.contains(&reason) {
                return Err(format!("unknown reason {reason:?}: expected one of {}", crate::traffic::REASONS.join(", ")));
            }
            ("errors", Some(reason.to_string()), *o, *v)
        }
        [f, o, v] => (*f, None, *o, *v),
        _ => return Err(USAGE.into()),
    };
    let op = match op {
        "==" => Op::Eq,
        "!=" => Op::Ne,
        "<" => Op::Lt,
        "<=" => Op::Le,
        ">" => Op::Gt,
        ">=" => Op::Ge,
        "=" => return Err("`=` is not a comparison: use `==`".into()),
        o => return Err(format!("unknown comparison {o:?}: use one of == != < <= > >=")),
    };
    let (subject, fields) = subject(subject_text, nodes)?;
    let Some(spec) = fields.iter().find(|f| f.name == field) else {
        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        return Err(format!("unknown field {field:?} for {subject_text}: expected one of {}", names.join(", ")));
    };
    if let (Some(a), Some(n), false) = (&arg, nodes, matches!(subject, Subject::Traffic(_))) {
        if !n.contains(a) {
            return Err(format!("nodes {a:?} not found: the cluster's nodes are {}", node_list(n)));
        }
    }
    let unquoted = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
    let value = typed_value(field, spec.ty, op, unquoted, nodes)?;
    Ok(Check { subject_text: subject_text.to_string(), subject, field: field.to_string(), field_type: spec.ty, arg, op, value })
}

fn is_op(w: &str) -> bool {
    matches!(w, "==" | "!=" | "<" | "<=" | ">" | ">=" | "=")
}

impl Check {
    /// The kinds whose objects this check reads: it need only be evaluated again after
    /// a write of one of them.
    pub fn reads(&self) -> Vec<Kind> {
        match &self.subject {
            Subject::Pods(_) => vec![Kind::Pod],
            Subject::Nodes(_) => vec![Kind::Node],
            Subject::Traffic(_) => vec![],
            Subject::One { kind: Kind::Node, .. } if self.field == "pods" => vec![Kind::Node, Kind::Pod],
            Subject::One { kind: Kind::Service, .. } if self.field == "endpointsOn" => vec![Kind::Service],
            Subject::One { kind: Kind::Service, .. } if self.field.contains("ndpoints") => vec![Kind::Service, Kind::EndpointSlice],
            Subject::One { kind, .. } => vec![kind.clone()],
        }
    }

    /// Whether the check reads a kube-proxy's rules (which change without a write).
    pub fn reads_proxies(&self) -> bool {
        self.field == "endpointsOn"
    }

    /// Whether the check reads the traffic model's counts (which change at every tick).
    pub fn reads_traffic(&self) -> bool {
        matches!(self.subject, Subject::Traffic(_))
    }

    fn compare(&self, got: &str) -> bool {
        let ord = match &self.value {
            Value::Number(want) => match Integer::parse(got) {
                Some(have) => have.cmp(want),
                None => return false,
            },
            Value::Word(want) => {
                if got == want {
                    Ordering::Equal
                } else {
                    return self.op == Op::Ne;
                }
            }
        };
        match self.op {
            Op::Eq => ord.is_eq(),
            Op::Ne => !ord.is_eq(),
            Op::Lt => ord.is_lt(),
            Op::Le => ord.is_le(),
            Op::Gt => ord.is_gt(),
            Op::Ge => ord.is_ge(),
        }
    }
}

/// What a check saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observed {
    Value(String),
    /// The one object the check is about does not exist.
    NotFound,
}

fn live_pods(store: &Store) -> impl Iterator<Item = &crate::api::pod::Pod> {
    store.list(&Kind::Pod).filter_map(|o| o.as_pod())
}

fn observe_pods(c: &Check, sel: &Selector, store: &Store) -> String {
    let pods: Vec<_> = live_pods(store).filter(|p| sel.matches(&p.metadata.labels)).collect();
    let count = |f: &dyn Fn(&&crate::api::pod::Pod) -> bool| pods.iter().filter(|p| f(p)).count().to_string();
    let live = |p: &&crate::api::pod::Pod| !p.is_terminal() && p.metadata.rare.deletion_timestamp.is_none();
    match c.field.as_str() {
        "count" => pods.len().to_string(),
        "running" => count(&|p| p.status.phase == "Running" && p.metadata.rare.deletion_timestamp.is_none()),
        "pending" => count(&|p| p.status.phase == "Pending" && p.metadata.rare.deletion_timestamp.is_none()),
        "ready" => count(&|p| p.is_ready() && p.metadata.rare.deletion_timestamp.is_none()),
        "terminating" => count(&|p| p.metadata.rare.deletion_timestamp.is_some()),
        "failed" => count(&|p| p.status.phase == "Failed"),
        "succeeded" => count(&|p| p.status.phase == "Succeeded"),
        "unschedulable" => count(&|p| p.condition("PodScheduled").is_some_and(|c| c.status == "False")),
        // The RESTARTS column summed over the selected pods.
        "restarts" => pods.iter().map(|p| p.status.container_statuses.iter().map(|c| i64::from(c.restart_count)).sum::<i64>()).sum::<i64>().to_string(),
        "nodes" => {
            let set: BTreeSet<&str> = pods.iter().filter(|p| live(p)).map(|p| p.spec.node_name.as_str()).filter(|n| !n.is_empty()).collect();
            set.len().to_string()
        }
        _ => {
            let node = c.arg.as_deref().unwrap_or_default();
            count(&|p| live(p) && p.spec.node_name == node)
        }
    }
}

fn observe_one(c: &Check, obj: &Object, store: &Store) -> String {
    match obj {
        Object::Pod(p) => match c.field.as_str() {
            "phase" => p.status.phase.to_string(),
            "status" => pod_status(p),
            "node" => p.spec.node_name.to_string(),
            "ip" => p.status.pod_ip.to_string(),
            "ready" => p.is_ready().to_string(),
            _ => p.restarts().to_string(),
        },
        Object::Node(n) => match c.field.as_str() {
            "ready" => n.ready_status().to_string(),
            "status" => node_status(n),
            "taints" => n.spec.taints.len().to_string(),
            "podCIDR" => n.spec.pod_cidr.clone(),
            _ => live_pods(store).filter(|p| p.spec.node_name == n.metadata.name && !p.is_terminal()).count().to_string(),
        },
        Object::Deployment(d) => match c.field.as_str() {
            "replicas" => d.status.replicas.to_string(),
            "ready" => d.status.ready_replicas.to_string(),
            "available" => d.status.available_replicas.to_string(),
            "updated" => d.status.updated_replicas.to_string(),
            // The deployment.kubernetes.io/revision annotation (0 before the first).
            "revision" => d.metadata.annotations.get(crate::controller_manager::deployment::REVISION).cloned().unwrap_or_else(|| "0".into()),
            // The Progressing condition's reason (NewReplicaSetAvailable, …), or None.
            "progressing" => d.status.conditions.iter().find(|c| c.type_ == "Progressing").map_or("None".into(), |c| c.reason.clone()),
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
        Object::Service(svc) => match c.field.as_str() {
            "clusterIP" => svc.spec.cluster_ip.clone(),
            "type" => svc.type_name().to_string(),
            field => {
                let want_ready = field == "endpoints";
                store
                    .list(&Kind::EndpointSlice)
                    .filter_map(|o| o.as_endpoint_slice())
                    .filter(|s| s.is_for(&svc.metadata.namespace, &svc.metadata.name))
                    .flat_map(|s| s.endpoints.iter())
                    .filter(|e| (e.conditions.ready == Some(true)) == want_ready)
                    .map(|e| e.addresses.len())
                    .sum::<usize>()
                    .to_string()
            }
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
        Object::Job(j) => match c.field.as_str() {
            "status" => j.kubectl_status().to_string(),
            "active" => j.status.active.to_string(),
            "ready" => j.status.ready.unwrap_or(0).to_string(),
            "succeeded" => j.status.succeeded.to_string(),
            "failed" => j.status.failed.to_string(),
            _ => j.status.terminating.unwrap_or(0).to_string(),
        },
        Object::CronJob(cj) => cj.status.active.len().to_string(),
        Object::StatefulSet(s) => match c.field.as_str() {
            "replicas" => s.status.replicas,
            "ready" => s.status.ready_replicas,
            "available" => s.status.available_replicas,
            "current" => s.status.current_replicas,
            _ => s.status.updated_replicas,
        }
        .to_string(),
        Object::HorizontalPodAutoscaler(h) => match c.field.as_str() {
            "current" => h.status.current_replicas,
            _ => h.status.desired_replicas,
        }
        .to_string(),
        Object::PersistentVolumeClaim(pvc) => match c.field.as_str() {
            "status" if pvc.metadata.rare.deletion_timestamp.is_some() => "Terminating".to_string(),
            "status" => pvc.status.phase.clone(),
            "volume" => pvc.spec.volume_name.clone(),
            _ => store
                .get_parts(&Kind::PersistentVolume, "", &pvc.spec.volume_name)
                .and_then(|o| o.as_pv())
                .and_then(|v| v.spec.node_affinity.as_ref()?.required.as_ref())
                .and_then(|sel| {
                    sel.node_selector_terms
                        .iter()
                        .flat_map(|t| t.match_expressions.iter())
                        .find(|r| r.key == "topology.kubernetes.io/zone" && r.operator == "In")
                        .map(|r| r.values.join(","))
                })
                .unwrap_or_default(),
        },
        Object::PersistentVolume(v) => match c.field.as_str() {
            "status" if v.metadata.rare.deletion_timestamp.is_some() => "Terminating".to_string(),
            "status" => v.status.phase.clone(),
            _ => v.spec.claim_ref.as_ref().map(|r| format!("{}/{}", r.namespace, r.name)).unwrap_or_default(),
        },
        _ => String::new(),
    }
}

/// The observed value of a check that may read the kube-proxies' rules too.
pub fn observe_in(c: &Check, store: &Store, proxies: &[crate::proxy::KubeProxy], traffic: &crate::traffic::Traffic) -> Observed {
    if let Subject::Traffic(name) = &c.subject {
        let Some(t) = traffic.counters(name) else { return Observed::NotFound };
        let v = match (c.field.as_str(), &c.arg) {
            ("sent", _) => t.sent,
            ("succeeded", _) => t.succeeded,
            ("errors", Some(r)) => t.failed.get(r.as_str()).copied().unwrap_or(0),
            _ => t.errors(),
        };
        return Observed::Value(v.to_string());
    }
    if let (true, Subject::One { namespace, name, .. }, Some(node)) = (c.reads_proxies(), &c.subject, &c.arg) {
        if store.get_parts(&Kind::Service, namespace, name).is_none() {
            return Observed::NotFound;
        }
        let view = proxies.iter().find(|p| &p.node == node).map(|p| p.view());
        let n: usize =
            view.into_iter().flat_map(|v| v.ports.iter()).filter(|(p, _)| &p.namespace == namespace && &p.name == name).map(|(_, p)| p.internal().len()).sum();
        return Observed::Value(n.to_string());
    }
    observe(c, store)
}

/// The observed value of a check's subject and field (from the store alone: a check on
/// traffic needs `observe_in`).
pub fn observe(c: &Check, store: &Store) -> Observed {
    match &c.subject {
        Subject::Traffic(_) => Observed::NotFound,
        Subject::Pods(sel) => Observed::Value(observe_pods(c, sel, store)),
        Subject::Nodes(sel) => {
            let nodes: Vec<_> = store.list(&Kind::Node).filter_map(|o| o.as_node()).filter(|n| sel.matches(&n.metadata.labels)).collect();
            Observed::Value(match c.field.as_str() {
                "count" => nodes.len().to_string(),
                "ready" => nodes.iter().filter(|n| n.ready_status() == "True").count().to_string(),
                _ => nodes.iter().filter(|n| n.ready_status() != "True").count().to_string(),
            })
        }
        Subject::One { kind, namespace, name } => {
            let obj: Option<&Rc<Object>> = store.get_parts(kind, namespace, name);
            match (c.field.as_str(), obj) {
                ("exists", o) => Observed::Value(o.is_some().to_string()),
                (_, None) => Observed::NotFound,
                (_, Some(o)) => Observed::Value(observe_one(c, o, store)),
            }
        }
    }
}

impl Check {
    /// Whether the check holds for what was observed (never for a missing object).
    pub fn holds(&self, o: &Observed) -> bool {
        match o {
            Observed::Value(v) => self.compare(v),
            Observed::NotFound => false,
        }
    }

    /// What was observed, in words: the value (`""` shown as `<none>`, as kubectl
    /// prints an empty column), or `pod/web not found`.
    pub fn describe(&self, o: &Observed) -> String {
        match o {
            Observed::Value(v) if v.is_empty() => "<none>".into(),
            Observed::Value(v) => v.clone(),
            Observed::NotFound => format!("{} not found", self.subject_text),
        }
    }
}

/// Evaluates a check: Ok(observed) or Err(observed), in words.
pub fn evaluate(c: &Check, store: &Store) -> Result<String, String> {
    let o = observe(c, store);
    let d = c.describe(&o);
    if c.holds(&o) {
        Ok(d)
    } else {
        Err(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes() -> BTreeSet<String> {
        ["worker-1", "worker-2", "worker-3"].iter().map(|s| s.to_string()).collect()
    }

    fn p(text: &str) -> Result<Check, String> {
        parse(text, Some(&nodes()))
    }

    #[test]
    fn parses_student_friendly_checks() {
        let c = p("deployment/web available == 3").unwrap();
        assert_eq!(c.subject, Subject::One { kind: Kind::Deployment, namespace: "default".into(), name: "web".into() });
        assert_eq!((c.field.as_str(), c.op, &c.value), ("available", Op::Eq, &Value::Number(Integer::parse("3").unwrap())));
        let c = p("pods(app=web, tier!=db) on worker-1 >= 1").unwrap();
        assert_eq!(c.arg.as_deref(), Some("worker-1"));
        assert!(matches!(c.subject, Subject::Pods(ref s) if s.requirements.len() == 2));
        assert!(p("node/worker-1 ready == Unknown").is_ok());
        assert!(p("pod/web phase != Running").is_ok());
        assert!(p("pod/web status == CrashLoopBackOff").is_ok(), "kubectl's STATUS is open-ended");
        assert!(p("pod/web ready == \"true\"").is_ok());
        assert!(p("deployment/web colour == blue").unwrap_err().contains(
            "unknown field \"colour\" for deployment/web: expected one of replicas, ready, available, updated, unavailable, revision, progressing, exists"
        ));
        assert!(p("deployment/web available ~ 3").unwrap_err().contains("unknown comparison"));
        assert!(p("gizmo/x exists == true").is_err());
        assert!(p("nonsense").is_err());
    }

    #[test]
    fn impossible_values_are_refused_with_what_is_valid() {
        // Values from core/v1: PodPhase, ConditionStatus; booleans as JSON writes them.
        let cases = [
            ("node/worker-1 ready != Flase", "Unsupported value: \"Flase\": supported values: \"True\", \"False\", \"Unknown\""),
            ("pod/web phase != Runing", "Unsupported value: \"Runing\": supported values: \"Pending\", \"Running\", \"Succeeded\", \"Failed\", \"Unknown\""),
            ("pod/web ready == yes", "Unsupported value: \"yes\": supported values: \"true\", \"false\""),
            ("pods on == 0", "`on` takes a node name: `pods on worker-1 == 0`"),
            ("service/web endpointsOn == 3", "`endpointsOn` takes a node name: `service/web endpointsOn worker-1 == 3`"),
            ("service/web endpointsOn worker-9 == 3", "nodes \"worker-9\" not found"),
            ("deployment/web available = 2", "`=` is not a comparison: use `==`"),
            ("pod/web phase < Running", "`<` compares numbers, and phase is one of Pending, Running, Succeeded, Failed, Unknown: use == or !="),
            ("pod/web status >= Running", "`>=` compares numbers, and status is a word: use == or !="),
            ("deployment/web available == three", "available is a count: expected a whole number, not \"three\""),
            ("deployment/web available == 2.5", "expected a whole number, not \"2.5\""),
            ("pods on worker-9 == 0", "nodes \"worker-9\" not found: the cluster's nodes are worker-1, worker-2, worker-3"),
            ("node/worker-9 ready == True", "nodes \"worker-9\" not found"),
            ("pod/web node == worker-9", "nodes \"worker-9\" not found"),
            ("pod/web ip == 10.244.1", "Invalid value: \"10.244.1\": must be a valid IP address"),
            ("node/worker-1 podCIDR == 10.244.1.0/33", "Invalid value: \"10.244.1.0/33\": must be a valid CIDR value"),
            ("pod/Web exists == true", "no object can have the name \"Web\""),
        ];
        for (text, want) in cases {
            let e = p(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn selectors_are_parsed_and_validated_like_kubectl() {
        let s = Selector::parse("tier notin (db,cache),app=web,!canary,env in (prod),zone").unwrap();
        let keys: Vec<(&str, SelectorOp)> = s.requirements.iter().map(|r| (r.key.as_str(), r.op)).collect();
        assert_eq!(
            keys,
            [
                ("app", SelectorOp::Equals),
                ("canary", SelectorOp::DoesNotExist),
                ("env", SelectorOp::In),
                ("tier", SelectorOp::NotIn),
                ("zone", SelectorOp::Exists)
            ]
        );
        let labels = |kv: &[(&str, &str)]| kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert!(s.matches(&labels(&[("app", "web"), ("env", "prod"), ("tier", "front"), ("zone", "a")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("env", "prod"), ("tier", "db"), ("zone", "a")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("env", "prod"), ("zone", "a"), ("canary", "1")])));
        // Messages of apimachinery's labels.Parse.
        let e = |s: &str| Selector::parse(s).unwrap_err();
        assert_eq!(e("app=web,"), "found '', expected: identifier after ','");
        assert_eq!(e("app in web"), "unable to parse requirement: found 'web' expected: '('");
        assert!(e("app_=web").starts_with("unable to parse requirement: Invalid value: \"app_\": name part must consist of alphanumeric characters"));
        assert!(e("app=we b").contains("found 'b', expected: ',' or 'end of string'"));
        assert!(e("app=-web").contains("values[0][app]: Invalid value: \"-web\": a valid label must be an empty string or consist of alphanumeric characters"));
        assert!(e("gen>one").contains("for 'Gt', 'Lt' operators, the value must be an integer"));
        assert!(p("pods(app=web,,) count == 1").unwrap_err().starts_with("selector \"app=web,,\": found ',', expected: identifier after ','"));
        assert!(p("pods(app in (a,b)) count == 1").is_ok());
    }

    #[test]
    fn numbers_compare_exactly_at_any_size() {
        let c = |t: &str| p(t).unwrap();
        assert!(c("nodes count < 10000000000000000000000").compare("3"));
        assert!(!c("nodes count > 10000000000000000000000").compare("3"));
        assert!(c("nodes count == 0003").compare("3"));
        assert!(c("nodes count > -5").compare("0"));
        assert!(c("nodes count >= -0").compare("0"));
        assert!(c("nodes count < 10").compare("9"));
        assert!(!c("nodes count != 3").compare("3"));
        assert!(c("pod/web phase == Running").compare("Running"));
        assert!(c("pod/web phase != Running").compare("Pending"));
        assert!(Integer::parse("-10").unwrap() < Integer::parse("-9").unwrap());
        assert!(Integer::parse("99999999999999999999999").unwrap() > Integer::parse("99999999999999999999998").unwrap());
    }

    #[test]
    fn a_missing_object_fails_its_check_and_says_so() {
        let store = Store::new(Default::default());
        let c = p("pod/web phase != Running").unwrap();
        assert_eq!(evaluate(&c, &store), Err("pod/web not found".into()));
        assert_eq!(evaluate(&p("pod/web exists == false").unwrap(), &store), Ok("false".into()));
        assert_eq!(evaluate(&p("pods count == 0").unwrap(), &store), Ok("0".into()));
    }
}
