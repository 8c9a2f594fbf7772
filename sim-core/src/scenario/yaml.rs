//! YAML text → `serde_json::Value` documents, with the source location of every node.
//!
//! This is ksim's untrusted-input boundary for scenario files. It models what Kubernetes does
//! with a manifest (`sigs.k8s.io/yaml`: go-yaml v2 decoding into `interface{}`, then JSON), so
//! a scenario means what `kubectl apply` would make of it:
//!
//! * scalars resolve with go-yaml v2's YAML 1.1 rules (`resolve.go`): plain `yes/no/on/off/y/n`
//!   (in their go-yaml spellings) are booleans, `~`/`null`/empty are null, `0x1F`, `0o17`,
//!   `017`, `0b101` and `1_000` are integers, `1e3`, `.5`, `09` are floats, timestamps stay
//!   strings; quoted and block scalars are always strings;
//! * non-string mapping keys become their text (`1: a` → `"1"`, `yes: a` → `"true"`, floats
//!   formatted like Go's `strconv.FormatFloat(f, 'g', -1, 32)`);
//! * merge keys (`<<`) are supported.
//!
//! Where it differs from go-yaml / `sigs.k8s.io/yaml` (all on purpose):
//!
//! * duplicate keys in one mapping are an error (go-yaml v3 / `UnmarshalStrict` wording), not
//!   "last one wins";
//! * merge keys follow the YAML merge spec (explicit keys win wherever `<<` is written; among
//!   merged maps the earlier one wins), where go-yaml v2 lets a `<<` written after a key
//!   override it;
//! * `.inf`, `-.inf` and `.nan` are errors (JSON cannot hold them; Kubernetes fails later);
//! * floats stay floats (`1e3` → `1000.0`), where Go's JSON round trip turns `1e3` into the
//!   integer `1000`; hex/octal/binary integers beyond 64 bits stay strings (go-yaml v2; the
//!   Kubernetes fork makes them big integers, which no Kubernetes field accepts anyway);
//! * tags other than `!!str !!int !!float !!bool !!null !!map !!seq` (and the non-specific
//!   `!`) are errors, as are null mapping keys and complex (collection) keys;
//! * hard limits keep it bounded: 16 MiB of input (a 50 MB file is refused at once), 512 levels of nesting (the underlying
//!   parser stops flow collections `[`/`{` at 255 levels), 1,000,000 JSON nodes per document
//!   (alias copies and the copy kept for each anchor included, so "billion laughs" fails
//!   fast) and 4,000,000 per stream, 10,000 documents per stream. The tree is built
//!   iteratively, never by recursion.
//!
//! Locations: a [`PathIndex`] maps Kubernetes-style field paths
//! (`spec.containers[1].image`, `metadata.labels[app.kubernetes.io/name]`) to where the key and
//! the value are written. Nodes copied from an alias are not indexed: a path into them resolves
//! ([`PathIndex::nearest`]) to the alias itself. [`from_doc`] / [`from_value_at`] deserialize
//! with `serde_path_to_error` and turn serde's errors into [`FieldError`]s that read like the
//! apiserver's (`spec.replicas: Invalid value: 3000000000: cannot unmarshal number
//! 3000000000 into a field of type int32`, with Go's type names).

use std::collections::BTreeMap;
use std::fmt;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Span, Tag};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Largest input accepted, in bytes.
/// The largest file ksim reads (real apiservers refuse request bodies over 3 MB).
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;
/// The most input read in all, over every file of a run (each re-read counted again).
pub const MAX_TOTAL_INPUT_BYTES: usize = 64 * 1024 * 1024;
/// The most (non-empty) documents one file may hold.
pub const MAX_DOCUMENTS: usize = 10_000;
/// Deepest nesting of collections accepted.
pub const MAX_DEPTH: usize = 512;
/// Most JSON nodes one document may produce (alias copies included).
pub const MAX_NODES: u64 = 1_000_000;
/// Most JSON nodes a whole stream may produce.
pub const MAX_STREAM_NODES: u64 = 4_000_000;
/// Flow-collection nesting limit of the underlying parser (`saphyr-parser` counts it in a u8).
const PARSER_FLOW_DEPTH: usize = 255;
const CORE_TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// A position in the source: 1-based line, 1-based column counted in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Mark {
    pub line: u32,
    pub col: u32,
}

impl Mark {
    pub const fn new(line: u32, col: u32) -> Self {
        Mark { line, col }
    }

    fn from_marker(m: &Marker) -> Self {
        Mark { line: to_u32(m.line()), col: to_u32(m.col().saturating_add(1)) }
    }
}

impl fmt::Display for Mark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A syntax or structure error in the YAML text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub mark: Mark,
    pub message: String,
}

impl YamlError {
    fn new(mark: Mark, message: impl Into<String>) -> Self {
        YamlError { mark, message: message.into() }
    }
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.mark, self.message)
    }
}

impl std::error::Error for YamlError {}

/// One YAML document of a stream.
#[derive(Clone, Debug)]
pub struct YamlDoc {
    /// The document as JSON.
    pub value: Value,
    /// Where the document's root node starts.
    pub start: Mark,
    /// Source locations of every node written in the document.
    pub index: PathIndex,
}

/// Error from deserializing a document into a typed value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Kubernetes-style field path (`spec.containers[0].image`); "" for the root.
    pub path: String,
    /// Best source location for the error.
    pub mark: Mark,
    /// Message without the path (`Required value`, `unknown field "x"`, ...).
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for FieldError {}

// ---------------------------------------------------------------------------------------------
// Field paths
// ---------------------------------------------------------------------------------------------

/// Whether `key` is printed as `.key` (otherwise `[key]`), like apimachinery's field paths.
fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Append a mapping key to a field path: `spec` + `replicas` → `spec.replicas`,
/// `metadata.labels` + `app.kubernetes.io/name` → `metadata.labels[app.kubernetes.io/name]`.
pub fn push_key(path: &mut String, key: &str) {
    if is_identifier(key) {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(key);
        path.push(']');
    }
}

/// Append a sequence index to a field path: `spec.containers` + 1 → `spec.containers[1]`.
pub fn push_index(path: &mut String, index: usize) {
    path.push('[');
    path.push_str(&index.to_string());
    path.push(']');
}

/// `parent` + key, as a new path.
pub fn child_path(parent: &str, key: &str) -> String {
    let mut p = parent.to_string();
    push_key(&mut p, key);
    p
}

/// `parent` + index, as a new path.
pub fn index_path(parent: &str, index: usize) -> String {
    let mut p = parent.to_string();
    push_index(&mut p, index);
    p
}

/// Concatenate two paths (`base` may be "", `rel` may be "").
fn join_path(base: &str, rel: &str) -> String {
    if base.is_empty() {
        rel.to_string()
    } else if rel.is_empty() {
        base.to_string()
    } else if rel.starts_with('[') {
        format!("{base}{rel}")
    } else {
        format!("{base}.{rel}")
    }
}

// ---------------------------------------------------------------------------------------------
// Path index
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Scalar,
    Seq,
    Map,
}

impl Kind {
    fn of(v: &Value) -> Kind {
        match v {
            Value::Array(_) => Kind::Seq,
            Value::Object(_) => Kind::Map,
            _ => Kind::Scalar,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Seg {
    Index(u32),
    Key(Box<str>),
}

#[derive(Clone, Copy, Debug)]
struct IndexNode {
    key: Option<Mark>,
    value: Mark,
    kind: Kind,
}

/// Source locations of the nodes of one document, by field path.
///
/// Stored as a tree (one entry per node: its marks, and a `(parent, segment)` → child map), so
/// memory stays proportional to the document even for deep paths.
#[derive(Clone, Debug, Default)]
pub struct PathIndex {
    nodes: Vec<IndexNode>,
    children: BTreeMap<(u32, Seg), u32>,
    start: Mark,
}

impl PathIndex {
    fn with_root() -> Self {
        PathIndex { nodes: vec![IndexNode { key: None, value: Mark::default(), kind: Kind::Scalar }], children: BTreeMap::new(), start: Mark::default() }
    }

    fn add_child(&mut self, parent: u32, seg: Seg, key: Option<Mark>, value: Mark, kind: Kind) -> u32 {
        let id = to_u32(self.nodes.len());
        self.nodes.push(IndexNode { key, value, kind });
        self.children.insert((parent, seg), id);
        id
    }

    /// A node that no path reaches (the value of a merge key).
    fn add_orphan(&mut self, key: Option<Mark>, value: Mark, kind: Kind) -> u32 {
        let id = to_u32(self.nodes.len());
        self.nodes.push(IndexNode { key, value, kind });
        id
    }

    fn child(&self, parent: u32, seg: Seg) -> Option<u32> {
        self.children.get(&(parent, seg)).copied()
    }

    fn node(&self, id: u32) -> Option<&IndexNode> {
        self.nodes.get(id as usize)
    }

    fn node_mut(&mut self, id: u32) -> Option<&mut IndexNode> {
        self.nodes.get_mut(id as usize)
    }

    /// Number of indexed nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Where the mapping key that ends `path` is written (for a sequence item: where the item
    /// starts). `None` for the root or a path that is not in the index.
    pub fn key(&self, path: &str) -> Option<Mark> {
        match self.walk(path) {
            Some((id, true)) => self.node(id).and_then(|n| n.key),
            _ => None,
        }
    }

    /// Where the value at `path` starts.
    pub fn value(&self, path: &str) -> Option<Mark> {
        match self.walk(path) {
            Some((id, true)) => self.node(id).map(|n| n.value),
            _ => None,
        }
    }

    /// Value mark of the longest prefix of `path` that is in the index (for a missing field:
    /// its parent object), else the document start.
    pub fn nearest(&self, path: &str) -> Mark {
        match self.walk(path) {
            Some((id, _)) => self.node(id).map_or(self.start, |n| n.value),
            None => self.start,
        }
    }

    /// Follow `path` from the root: (deepest node reached, whether all of `path` was consumed).
    fn walk(&self, path: &str) -> Option<(u32, bool)> {
        if self.nodes.is_empty() {
            return None;
        }
        let mut cur: u32 = 0;
        let mut pos = 0;
        while pos < path.len() {
            let rest = &path[pos..];
            let kind = self.node(cur).map_or(Kind::Scalar, |n| n.kind);
            let next = match kind {
                Kind::Seq => parse_index_segment(rest).and_then(|(i, used)| self.child(cur, Seg::Index(i)).map(|c| (c, used))),
                Kind::Map => self.match_key(cur, rest, pos == 0),
                Kind::Scalar => None,
            };
            match next {
                Some((c, used)) => {
                    cur = c;
                    pos += used;
                }
                None => return Some((cur, false)),
            }
        }
        Some((cur, true))
    }

    /// Match the key segment at the start of `rest` under map node `parent`:
    /// (child, bytes consumed).
    fn match_key(&self, parent: u32, rest: &str, at_start: bool) -> Option<(u32, usize)> {
        if let Some(r) = rest.strip_prefix('[') {
            // `[key]`: the key may itself contain `]`, so try each `]` that ends a segment.
            for (j, _) in r.match_indices(']') {
                let after = &r[j + 1..];
                if !(after.is_empty() || after.starts_with('.') || after.starts_with('[')) {
                    continue;
                }
                if let Some(c) = self.child(parent, Seg::Key(r[..j].into())) {
                    return Some((c, j + 2));
                }
            }
            return None;
        }
        let (body, skip) = match rest.strip_prefix('.') {
            Some(r) => (r, 1),
            None if at_start => (rest, 0),
            None => return None,
        };
        let end = body.find(['.', '[']).unwrap_or(body.len());
        self.child(parent, Seg::Key(body[..end].into())).map(|c| (c, skip + end))
    }
}

/// `[123]...` → (123, 5).
fn parse_index_segment(rest: &str) -> Option<(u32, usize)> {
    let r = rest.strip_prefix('[')?;
    let end = r.find(']')?;
    let digits = &r[..end];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let i = digits.parse::<u32>().ok()?;
    Some((i, end + 2))
}

// ---------------------------------------------------------------------------------------------
// Scalars (go-yaml v2 resolve.go)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
}

impl Scalar {
    fn tag_name(&self) -> &'static str {
        match self {
            Scalar::Null => "!!null",
            Scalar::Bool(_) => "!!bool",
            Scalar::Int(_) | Scalar::UInt(_) => "!!int",
            Scalar::Float(_) => "!!float",
            Scalar::Str(_) => "!!str",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CoreTag {
    Str,
    Int,
    Float,
    Bool,
    Null,
    Map,
    Seq,
}

impl CoreTag {
    fn name(self) -> &'static str {
        match self {
            CoreTag::Str => "!!str",
            CoreTag::Int => "!!int",
            CoreTag::Float => "!!float",
            CoreTag::Bool => "!!bool",
            CoreTag::Null => "!!null",
            CoreTag::Map => "!!map",
            CoreTag::Seq => "!!seq",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeTag {
    None,
    /// The non-specific tag `!`: a scalar is a string.
    NonSpecific,
    Core(CoreTag),
}

fn classify_tag(tag: Option<&Tag>) -> Result<NodeTag, String> {
    let Some(tag) = tag else {
        return Ok(NodeTag::None);
    };
    let core = if tag.handle == CORE_TAG_PREFIX {
        Some(tag.suffix.as_str())
    } else if tag.handle.is_empty() {
        if tag.suffix == "!" {
            return Ok(NodeTag::NonSpecific);
        }
        tag.suffix.strip_prefix(CORE_TAG_PREFIX)
    } else {
        None
    };
    let shown = match core {
        Some("str") => return Ok(NodeTag::Core(CoreTag::Str)),
        Some("int") => return Ok(NodeTag::Core(CoreTag::Int)),
        Some("float") => return Ok(NodeTag::Core(CoreTag::Float)),
        Some("bool") => return Ok(NodeTag::Core(CoreTag::Bool)),
        Some("null") => return Ok(NodeTag::Core(CoreTag::Null)),
        Some("map") => return Ok(NodeTag::Core(CoreTag::Map)),
        Some("seq") => return Ok(NodeTag::Core(CoreTag::Seq)),
        Some(other) => format!("!!{other}"),
        None if tag.handle == "!" => format!("!{}", tag.suffix),
        None if tag.handle.is_empty() => format!("!<{}>", tag.suffix),
        None => format!("{}{}", tag.handle, tag.suffix),
    };
    Err(format!("unsupported tag {} (ksim accepts !!str, !!int, !!float, !!bool, !!null, !!map, !!seq)", snippet(&shown)))
}

/// Resolve a scalar's text as go-yaml v2 does, given its style and tag.
fn resolve_scalar(text: &str, style: ScalarStyle, tag: NodeTag) -> Result<Scalar, String> {
    match tag {
        NodeTag::NonSpecific | NodeTag::Core(CoreTag::Str) => Ok(Scalar::Str(text.to_string())),
        NodeTag::None if style == ScalarStyle::Plain => Ok(resolve_plain(text)),
        NodeTag::None => Ok(Scalar::Str(text.to_string())),
        NodeTag::Core(t @ (CoreTag::Map | CoreTag::Seq)) => Err(format!("tag {} cannot be used on a scalar", t.name())),
        NodeTag::Core(t) => {
            let natural = resolve_plain(text);
            match (t, natural) {
                (CoreTag::Int, s @ (Scalar::Int(_) | Scalar::UInt(_)))
                | (CoreTag::Float, s @ Scalar::Float(_))
                | (CoreTag::Bool, s @ Scalar::Bool(_))
                | (CoreTag::Null, s @ Scalar::Null) => Ok(s),
                (CoreTag::Float, Scalar::Int(i)) => Ok(Scalar::Float(i as f64)),
                (CoreTag::Float, Scalar::UInt(u)) => Ok(Scalar::Float(u as f64)),
                (t, natural) => Err(format!("cannot decode {} `{}` as a {}", natural.tag_name(), snippet(text), t.name())),
            }
        }
    }
}

/// go-yaml v2 `resolve("", in)` for a plain scalar.
fn resolve_plain(text: &str) -> Scalar {
    let Some(&first) = text.as_bytes().first() else {
        return Scalar::Null;
    };
    let hint = match first {
        b'+' | b'-' | b'0'..=b'9' => b'D',
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => b'M',
        b'.' => b'.',
        _ => return Scalar::Str(text.to_string()),
    };
    if let Some(s) = resolve_map(text) {
        return s;
    }
    match hint {
        b'.' => {
            if let Some(f) = Some(text).filter(|t| is_dot_float(t)).and_then(parse_finite) {
                return Scalar::Float(f);
            }
        }
        b'D' => {
            let plain: String = text.chars().filter(|&c| c != '_').collect();
            if let Some(s) = go_parse_int(&plain) {
                return s;
            }
            if let Some(f) = Some(plain.as_str()).filter(|t| is_yaml_style_float(t)).and_then(parse_finite) {
                return Scalar::Float(f);
            }
        }
        _ => {}
    }
    Scalar::Str(text.to_string())
}

/// go-yaml v2's `resolveMap`.
fn resolve_map(text: &str) -> Option<Scalar> {
    Some(match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Scalar::Bool(true),
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Scalar::Bool(false),
        "~" | "null" | "Null" | "NULL" => Scalar::Null,
        ".nan" | ".NaN" | ".NAN" => Scalar::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Scalar::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Scalar::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// Go `strconv.ParseInt(s, 0, 64)`, then `ParseUint(s, 0, 64)`.
fn go_parse_int(s: &str) -> Option<Scalar> {
    let (neg, signed, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, true, &s[1..]),
        Some(b'+') => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    let lower2 = rest.get(..2).map(str::to_ascii_lowercase);
    let (base, digits) = match lower2.as_deref() {
        Some("0x") => (16, &rest[2..]),
        Some("0o") => (8, &rest[2..]),
        Some("0b") => (2, &rest[2..]),
        _ if rest.len() > 1 && rest.starts_with('0') => (8, &rest[1..]),
        _ => (10, rest),
    };
    if digits.is_empty() {
        return None;
    }
    let limit: u128 = 1 << 64;
    let mut v: u128 = 0;
    for c in digits.chars() {
        let d = c.to_digit(base)?;
        v = v * u128::from(base) + u128::from(d);
        if v > limit {
            return None; // out of range (Go: ErrRange)
        }
    }
    if neg {
        if v <= 1u128 << 63 {
            // -(2^63) .. 0
            return Some(Scalar::Int((-(v as i128)) as i64));
        }
        return None;
    }
    if let Ok(i) = i64::try_from(v) {
        return Some(Scalar::Int(i));
    }
    if !signed {
        if let Ok(u) = u64::try_from(v) {
            return Some(Scalar::UInt(u));
        }
    }
    None
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    exponent_tail(b, i)
}

/// `^\.[0-9]+([eE][-+]?[0-9]+)?$` (what Go's ParseFloat accepts for text starting with `.`).
fn is_dot_float(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() != Some(&b'.') {
        return false;
    }
    let mut i = 1;
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i > start && exponent_tail(b, i)
}

/// `([eE][-+]?[0-9]+)?$` from position `i`.
fn exponent_tail(b: &[u8], mut i: usize) -> bool {
    if i == b.len() {
        return true;
    }
    if !matches!(b[i], b'e' | b'E') {
        return false;
    }
    i += 1;
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i > start && i == b.len()
}

/// Parse a float, `None` on overflow (Go's ParseFloat returns ErrRange: the scalar stays a
/// string).
fn parse_finite(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn scalar_to_value(s: Scalar, text: &str) -> Result<Value, String> {
    Ok(match s {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(i) => Value::from(i),
        Scalar::UInt(u) => Value::from(u),
        Scalar::Float(f) => match serde_json::Number::from_f64(f) {
            Some(n) => Value::Number(n),
            None => return Err(format!("cannot represent {} as JSON", snippet(text))),
        },
        Scalar::Str(s) => Value::String(s),
    })
}

const NULL_KEY: &str = "a mapping key cannot be null (JSON object keys are strings)";
const COMPLEX_KEY: &str = "mapping keys must be scalars (complex keys are not supported)";

/// The JSON key for a resolved scalar key (as `sigs.k8s.io/yaml` converts go-yaml keys).
fn scalar_key(s: Scalar) -> Result<String, String> {
    match s {
        Scalar::Null => Err(NULL_KEY.to_string()),
        Scalar::Bool(b) => Ok(b.to_string()),
        Scalar::Int(i) => Ok(i.to_string()),
        Scalar::UInt(u) => Ok(u.to_string()),
        Scalar::Float(f) => Ok(go_format_float32(f)),
        Scalar::Str(s) => Ok(s),
    }
}

/// The JSON key for an aliased value.
fn value_key(v: &Value) -> Result<String, String> {
    match v {
        Value::Null => Err(NULL_KEY.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => {
            if n.is_f64() {
                Ok(go_format_float32(n.as_f64().unwrap_or(0.0)))
            } else {
                Ok(n.to_string())
            }
        }
        Value::String(s) => Ok(s.clone()),
        Value::Array(_) | Value::Object(_) => Err(COMPLEX_KEY.to_string()),
    }
}

/// Go `strconv.FormatFloat(f, 'g', -1, 32)` with go-yaml's `.inf`/`.nan` spellings.
fn go_format_float32(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_string();
    }
    let x = f as f32;
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let e = format!("{x:e}"); // shortest digits: "-1.2345e-5"
    let Some((mant, exp)) = e.split_once('e') else {
        return x.to_string();
    };
    let exp: i64 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    let Some((&first, rest)) = digits.split_first() else {
        return x.to_string();
    };
    let nd = digits.len() as i64;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        // %e with all digits.
        out.push(char::from(first));
        if !rest.is_empty() {
            out.push('.');
            out.extend(rest.iter().map(|&d| char::from(d)));
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            out.push('0');
        }
        out.push_str(&a.to_string());
    } else {
        // %f with max(nd - dp, 0) decimals.
        let dp = exp + 1;
        let digit = |i: i64| -> char {
            if i >= 0 && i < nd {
                char::from(digits[i as usize])
            } else {
                '0'
            }
        };
        if dp > 0 {
            for i in 0..dp {
                out.push(digit(i));
            }
        } else {
            out.push('0');
        }
        let decimals = (nd - dp).max(0);
        if decimals > 0 {
            out.push('.');
            for i in 0..decimals {
                out.push(digit(dp + i));
            }
        }
    }
    out
}

/// Shorten `s` for an error message.
fn snippet(s: &str) -> String {
    const MAX: usize = 60;
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == MAX {
            out.push_str("...");
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Document builder (iterative, event driven)
// ---------------------------------------------------------------------------------------------

struct Anchored {
    value: Value,
    nodes: u64,
    /// Collection height (0 for a scalar).
    height: usize,
}

struct Pending {
    key: String,
    merge: bool,
    id: u32,
}

enum FrameKind {
    Seq(Vec<Value>),
    Map { map: Map<String, Value>, pending: Option<Pending>, merges: Vec<Value> },
}

struct Frame {
    id: u32,
    anchor: usize,
    start: Mark,
    nodes: u64,
    child_height: usize,
    kind: FrameKind,
}

struct Builder<'s> {
    src: &'s str,
    stack: Vec<Frame>,
    index: PathIndex,
    anchors: BTreeMap<usize, Anchored>,
    root: Option<Value>,
    start: Mark,
    /// JSON nodes of the document so far (alias copies included).
    nodes: u64,
    /// Nodes copied to keep anchored values for later aliases.
    anchor_copies: u64,
    /// Whether an alias was expanded (for the wording of budget errors).
    saw_alias: bool,
    stream_before: u64,
}

fn nesting_error(mark: Mark) -> YamlError {
    YamlError::new(mark, format!("nesting deeper than {MAX_DEPTH} levels"))
}

fn internal_error(mark: Mark) -> YamlError {
    YamlError::new(mark, "internal error: unexpected YAML event order")
}

impl<'s> Builder<'s> {
    fn new(src: &'s str, stream_before: u64) -> Self {
        Builder {
            src,
            stack: Vec::new(),
            index: PathIndex::with_root(),
            anchors: BTreeMap::new(),
            root: None,
            start: Mark::default(),
            nodes: 0,
            anchor_copies: 0,
            saw_alias: false,
            stream_before,
        }
    }

    fn charge(&mut self, n: u64, mark: Mark) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            let msg = if self.saw_alias {
                format!("document expands to more than {MAX_NODES} nodes (alias bomb?)")
            } else {
                format!("document has more than {MAX_NODES} nodes")
            };
            return Err(YamlError::new(mark, msg));
        }
        if self.stream_before.saturating_add(self.nodes) > MAX_STREAM_NODES {
            return Err(YamlError::new(mark, format!("stream has more than {MAX_STREAM_NODES} nodes in total")));
        }
        Ok(())
    }

    /// Keep a copy of an anchored node for later aliases (bounded like the document).
    fn keep_anchor(&mut self, anchor: usize, value: &Value, nodes: u64, height: usize, mark: Mark) -> Result<(), YamlError> {
        self.anchor_copies = self.anchor_copies.saturating_add(nodes);
        if self.anchor_copies > MAX_NODES {
            return Err(YamlError::new(mark, format!("anchored nodes add up to more than {MAX_NODES} nodes")));
        }
        self.anchors.insert(anchor, Anchored { value: value.clone(), nodes, height });
        Ok(())
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame { kind: FrameKind::Map { pending: None, .. }, .. }))
    }

    fn on_event(&mut self, ev: Event<'_>, span: &Span) -> Result<(), YamlError> {
        let mark = Mark::from_marker(&span.start);
        let at = |m: String| YamlError::new(mark, m);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let tag = classify_tag(tag.as_deref()).map_err(at)?;
                let scalar = resolve_scalar(&text, style, tag).map_err(at)?;
                if self.expecting_key() {
                    let merge = style == ScalarStyle::Plain && tag == NodeTag::None && text == "<<";
                    if anchor != 0 {
                        let v = scalar_to_value(scalar.clone(), &text).map_err(at)?;
                        self.keep_anchor(anchor, &v, 1, 0, mark)?;
                    }
                    let key = scalar_key(scalar).map_err(at)?;
                    self.add_key(key, merge, mark)
                } else {
                    let value = scalar_to_value(scalar, &text).map_err(at)?;
                    self.charge(1, mark)?;
                    self.begin_node(mark, Kind::Scalar)?;
                    self.finish_node(value, 1, 0, anchor, mark)
                }
            }
            Event::Alias(anchor) => {
                let Some(a) = self.anchors.get(&anchor) else {
                    let name = alias_name(self.src, span.start.index());
                    let msg = if self.stack.iter().any(|f| f.anchor == anchor) {
                        format!("alias {name} refers to a node that contains it (recursive alias)")
                    } else {
                        format!("undefined alias {name}")
                    };
                    return Err(YamlError::new(mark, msg));
                };
                if self.expecting_key() {
                    let key = value_key(&a.value).map_err(at)?;
                    return self.add_key(key, false, mark);
                }
                if self.stack.len() + a.height > MAX_DEPTH {
                    return Err(nesting_error(mark));
                }
                let (nodes, height) = (a.nodes, a.height);
                self.saw_alias = true;
                self.charge(nodes, mark)?;
                let value = self.anchors.get(&anchor).map(|a| a.value.clone()).unwrap_or(Value::Null);
                self.begin_node(mark, Kind::of(&value))?;
                self.finish_node(value, nodes, height, 0, mark)
            }
            Event::SequenceStart(anchor, tag) => {
                let tag = classify_tag(tag.as_deref()).map_err(at)?;
                if let NodeTag::Core(t) = tag {
                    if t != CoreTag::Seq {
                        return Err(at(format!("tag {} cannot be used on a sequence", t.name())));
                    }
                }
                self.open(mark, anchor, FrameKind::Seq(Vec::new()))
            }
            Event::MappingStart(anchor, tag) => {
                let tag = classify_tag(tag.as_deref()).map_err(at)?;
                if let NodeTag::Core(t) = tag {
                    if t != CoreTag::Map {
                        return Err(at(format!("tag {} cannot be used on a mapping", t.name())));
                    }
                }
                self.open(mark, anchor, FrameKind::Map { map: Map::new(), pending: None, merges: Vec::new() })
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = self.stack.pop().ok_or_else(|| internal_error(mark))?;
                let value = match frame.kind {
                    FrameKind::Seq(items) => Value::Array(items),
                    FrameKind::Map { mut map, merges, .. } => {
                        // Explicit keys win; among merged maps, the earlier one wins.
                        for m in merges {
                            let maps = match m {
                                Value::Array(items) => items,
                                other => vec![other],
                            };
                            for item in maps {
                                if let Value::Object(o) = item {
                                    for (k, v) in o {
                                        map.entry(k).or_insert(v);
                                    }
                                }
                            }
                        }
                        Value::Object(map)
                    }
                };
                self.finish_node(value, frame.nodes, frame.child_height + 1, frame.anchor, frame.start)
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::DocumentEnd => Ok(()),
        }
    }

    fn open(&mut self, mark: Mark, anchor: usize, kind: FrameKind) -> Result<(), YamlError> {
        if self.expecting_key() {
            return Err(YamlError::new(mark, COMPLEX_KEY));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(nesting_error(mark));
        }
        self.charge(1, mark)?;
        let k = match kind {
            FrameKind::Seq(_) => Kind::Seq,
            FrameKind::Map { .. } => Kind::Map,
        };
        let id = self.begin_node(mark, k)?;
        self.stack.push(Frame { id, anchor, start: mark, nodes: 1, child_height: 0, kind });
        Ok(())
    }

    fn add_key(&mut self, key: String, merge: bool, mark: Mark) -> Result<(), YamlError> {
        let Some(frame) = self.stack.last_mut() else {
            return Err(internal_error(mark));
        };
        let parent = frame.id;
        let id = if merge {
            // Not addressable by path (a quoted "<<" is an ordinary key); several are allowed.
            self.index.add_orphan(Some(mark), mark, Kind::Scalar)
        } else {
            if let Some(prev) = self.index.child(parent, Seg::Key(key.as_str().into())) {
                let line = self.index.node(prev).and_then(|n| n.key).map_or(0, |m| m.line);
                return Err(YamlError::new(mark, format!("mapping key {:?} already defined at line {line}", snippet(&key))));
            }
            self.index.add_child(parent, Seg::Key(key.as_str().into()), Some(mark), mark, Kind::Scalar)
        };
        match &mut frame.kind {
            FrameKind::Map { pending, .. } => {
                *pending = Some(Pending { key, merge, id });
                Ok(())
            }
            FrameKind::Seq(_) => Err(internal_error(mark)),
        }
    }

    /// Register a value node that starts at `mark` in the index; returns its index id.
    fn begin_node(&mut self, mark: Mark, kind: Kind) -> Result<u32, YamlError> {
        let Some(parent) = self.stack.last() else {
            self.start = mark;
            self.index.start = mark;
            if let Some(root) = self.index.node_mut(0) {
                root.value = mark;
                root.kind = kind;
            }
            return Ok(0);
        };
        match &parent.kind {
            FrameKind::Seq(items) => {
                let i = to_u32(items.len());
                let pid = parent.id;
                Ok(self.index.add_child(pid, Seg::Index(i), Some(mark), mark, kind))
            }
            FrameKind::Map { pending: Some(p), .. } => {
                let id = p.id;
                if let Some(n) = self.index.node_mut(id) {
                    n.value = mark;
                    n.kind = kind;
                }
                Ok(id)
            }
            FrameKind::Map { pending: None, .. } => Err(internal_error(mark)),
        }
    }

    /// Attach a finished node (scalar, alias copy or closed collection) to its parent.
    fn finish_node(&mut self, value: Value, nodes: u64, height: usize, anchor: usize, mark: Mark) -> Result<(), YamlError> {
        if anchor != 0 {
            self.keep_anchor(anchor, &value, nodes, height, mark)?;
        }
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some(value);
            return Ok(());
        };
        parent.nodes = parent.nodes.saturating_add(nodes);
        parent.child_height = parent.child_height.max(height);
        match &mut parent.kind {
            FrameKind::Seq(items) => {
                items.push(value);
                Ok(())
            }
            FrameKind::Map { map, pending, merges } => {
                let p = pending.take().ok_or_else(|| internal_error(mark))?;
                if p.merge {
                    let ok = match &value {
                        Value::Object(_) => true,
                        Value::Array(items) => items.iter().all(Value::is_object),
                        _ => false,
                    };
                    if !ok {
                        return Err(YamlError::new(mark, "map merge requires map or sequence of maps as the value"));
                    }
                    merges.push(value);
                } else {
                    map.insert(p.key, value);
                }
                Ok(())
            }
        }
    }

    fn finish(self) -> Option<(YamlDoc, u64)> {
        let value = self.root?;
        if value.is_null() {
            return None;
        }
        Some((YamlDoc { value, start: self.start, index: self.index }, self.nodes))
    }
}

/// The alias written at character `index` of `src` (`*name`), for messages.
fn alias_name(src: &str, index: usize) -> String {
    let name: String = src.chars().skip(index).take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}')).take(80).collect();
    if name.starts_with('*') {
        name
    } else {
        "*?".to_string()
    }
}

fn scan_error(src: &str, e: &ScanError) -> YamlError {
    let mark = Mark::from_marker(e.marker());
    let message = match e.info() {
        "recursion limit exceeded" => format!("nesting deeper than {PARSER_FLOW_DEPTH} levels of flow collections ([ ] or {{ }})"),
        "while parsing node, found unknown anchor" => {
            format!("undefined alias {}", alias_name(src, e.marker().index()))
        }
        info => info.to_string(),
    };
    YamlError::new(mark, message)
}

/// Parse a YAML stream into its non-empty documents.
pub fn parse_documents(src: &str) -> Result<Vec<YamlDoc>, YamlError> {
    if src.len() > MAX_INPUT_BYTES {
        return Err(YamlError::new(Mark::new(1, 1), format!("file is {} bytes; ksim reads at most {MAX_INPUT_BYTES}", src.len())));
    }
    let first = parse_strict(src);
    let Err(err) = &first else { return first };
    // go-yaml (and so kubectl) accepts a closing `]` or `}` on its own line at the
    // indentation of the key that opened the flow collection; saphyr-parser does not.
    // Indent such a line a little and retry, so documentation manifests written that way
    // load; line numbers are unchanged, and the original error stands if this does not help.
    let mut patched = src.to_string();
    for _ in 0..32 {
        let Err(e) = parse_strict(&patched) else { break };
        if e.message != "invalid indentation" || !indent_closing_bracket(&mut patched, e.mark) {
            return Err(err.clone());
        }
    }
    parse_strict(&patched).map_err(|_| err.clone())
}

/// Adds a space before a lone closing bracket on the line of `mark`; false if that line
/// is not a closing bracket at `mark`.
fn indent_closing_bracket(src: &mut String, mark: Mark) -> bool {
    let start: usize = src.split_inclusive('\n').take(mark.line.saturating_sub(1) as usize).map(str::len).sum();
    let line = src[start..].split('\n').next().unwrap_or("");
    let trimmed = line.trim_start_matches(' ');
    let indent = line.len() - trimmed.len();
    if !(trimmed.starts_with(']') || trimmed.starts_with('}')) || indent + 1 != mark.col as usize {
        return false;
    }
    src.insert(start, ' ');
    true
}

fn parse_strict(src: &str) -> Result<Vec<YamlDoc>, YamlError> {
    let mut parser = Parser::new_from_str(src);
    let mut docs = Vec::new();
    let mut stream_nodes: u64 = 0;
    let mut builder: Option<Builder> = None;
    while let Some(item) = parser.next_event() {
        let (ev, span) = item.map_err(|e| scan_error(src, &e))?;
        match ev {
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                // Checked before the next document is built: each costs an index besides its nodes.
                if docs.len() >= MAX_DOCUMENTS {
                    return Err(YamlError::new(
                        Mark::from_marker(&span.start),
                        format!("more than {MAX_DOCUMENTS} documents in one file; split them over several files"),
                    ));
                }
                builder = Some(Builder::new(src, stream_nodes));
            }
            Event::DocumentEnd => {
                if let Some((doc, nodes)) = builder.take().and_then(Builder::finish) {
                    stream_nodes = stream_nodes.saturating_add(nodes);
                    docs.push(doc);
                }
            }
            Event::Nothing | Event::StreamStart => {}
            ev => match builder.as_mut() {
                Some(b) => b.on_event(ev, &span)?,
                None => {
                    return Err(internal_error(Mark::from_marker(&span.start)));
                }
            },
        }
    }
    Ok(docs)
}

/// Check that `bytes` is UTF-8; the error gives the line:col of the first invalid byte.
pub fn decode_utf8(bytes: &[u8]) -> Result<&str, YamlError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let good = e.valid_up_to();
            let prefix = bytes.get(..good).and_then(|p| std::str::from_utf8(p).ok()).unwrap_or("");
            let line = prefix.bytes().filter(|&b| b == b'\n').count() + 1;
            let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let byte = bytes.get(good).copied().unwrap_or(0);
            Err(YamlError::new(Mark::new(to_u32(line), to_u32(col)), format!("invalid UTF-8 (byte 0x{byte:02x})")))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Typed deserialization
// ---------------------------------------------------------------------------------------------

/// Deserialize a whole document into `T`.
pub fn from_doc<T: DeserializeOwned>(doc: &YamlDoc) -> Result<T, FieldError> {
    from_value_at(&doc.value, &doc.index, "")
}

/// A value found at `base` of the document `index` describes, as a `Decoder` (errors
/// carry the offending field's source mark).
pub struct At<'a> {
    pub value: &'a Value,
    pub index: &'a PathIndex,
    pub base: &'a str,
}

impl crate::api::object::Decoder for At<'_> {
    type Error = FieldError;
    fn decode<T: DeserializeOwned>(self) -> Result<T, FieldError> {
        from_value_at(self.value, self.index, self.base)
    }
}

/// Deserialize `value`, which is found at `base_path` of the document `index` describes.
pub fn from_value_at<T: DeserializeOwned>(value: &Value, index: &PathIndex, base_path: &str) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|e| field_error(&e, index, base_path))
}

fn field_error(e: &serde_path_to_error::Error<serde_json::Error>, index: &PathIndex, base_path: &str) -> FieldError {
    use serde_path_to_error::Segment;
    let mut rel = String::new();
    let mut last_key: Option<&str> = None;
    for seg in e.path().iter() {
        match seg {
            Segment::Seq { index } => {
                push_index(&mut rel, *index);
                last_key = None;
            }
            Segment::Map { key } | Segment::Enum { variant: key } => {
                push_key(&mut rel, key);
                last_key = Some(key);
            }
            Segment::Unknown => break,
        }
    }
    let mut path = join_path(base_path, &rel);
    let msg = e.inner().to_string();

    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or("");
        if last_key != Some(name) {
            push_key(&mut path, name);
        }
        let mark = index.key(&path).unwrap_or_else(|| index.nearest(&path));
        return FieldError { path, mark, message: format!("unknown field {name:?}") };
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or("");
        let mark = index.nearest(&path);
        push_key(&mut path, name);
        return FieldError { path, mark, message: "Required value".to_string() };
    }
    let mark = index.value(&path).unwrap_or_else(|| index.nearest(&path));
    FieldError { path, mark, message: apiserver_message(&msg) }
}

/// Reword serde's messages the way the apiserver words field errors.
fn apiserver_message(msg: &str) -> String {
    let body = msg.strip_prefix("invalid type: ").or_else(|| msg.strip_prefix("invalid value: "));
    if let Some(body) = body {
        if let Some(at) = body.rfind(", expected ") {
            let got = unexpected_value(&body[..at]);
            let expected = &body[at + ", expected ".len()..];
            if let Some(go) = go_type(expected) {
                // encoding/json's wording, as the apiserver reports a value that does not fit.
                let what = match body.split_whitespace().next().unwrap_or("") {
                    "integer" | "floating" => "number",
                    "string" => "string",
                    "boolean" => "bool",
                    "sequence" => "array",
                    "map" => "object",
                    _ => "value",
                };
                return format!("Invalid value: {got}: cannot unmarshal {what} {got} into a field of type {go}");
            }
            return format!("Invalid value: {got}: expected {expected}");
        }
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        if let Some((name, tail)) = rest.split_once('`') {
            let supported: Vec<String> = tail.split('`').skip(1).step_by(2).map(|v| format!("{v:?}")).collect();
            return if supported.is_empty() {
                format!("Unsupported value: {name:?}")
            } else {
                format!("Unsupported value: {name:?}: supported values: {}", supported.join(", "))
            };
        }
    }
    if let Some(rest) = msg.strip_prefix("invalid length ") {
        if let Some((n, expected)) = rest.split_once(", expected ") {
            return format!("Invalid value: {n} items: expected {expected}");
        }
    }
    msg.to_string()
}

/// Rust integer types in serde's messages → the Go types of the Kubernetes API.
fn go_type(expected: &str) -> Option<&'static str> {
    Some(match expected {
        "i8" => "int8",
        "i16" => "int16",
        "i32" => "int32",
        "i64" => "int64",
        "u8" => "uint8",
        "u16" => "uint16",
        "u32" => "uint32",
        "u64" => "uint64",
        "f32" => "float32",
        "f64" => "float64",
        "a boolean" => "bool",
        _ => return None,
    })
}

/// serde's `Unexpected` text → the value as the apiserver would print it.
fn unexpected_value(s: &str) -> String {
    for prefix in ["boolean `", "integer `", "floating point `", "char `"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            if let Some(v) = rest.strip_suffix('`') {
                return if prefix == "char `" { format!("{v:?}") } else { v.to_string() };
            }
        }
    }
    if let Some(rest) = s.strip_prefix("string ") {
        return rest.to_string();
    }
    match s {
        "unit value" | "null" => "null".to_string(),
        "map" => "object".to_string(),
        "sequence" => "array".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn closing_bracket_at_the_keys_indentation_is_accepted_like_go_yaml() {
        let src = "spec:\n  command: [\n    \"sh\", \"-c\"\n  ]\n  image: x\n";
        let docs = parse_documents(src).expect("go-yaml accepts this");
        assert_eq!(docs[0].value["spec"]["command"], serde_json::json!(["sh", "-c"]));
        assert_eq!(docs[0].index.value("spec.image"), Some(Mark::new(5, 10)));
        // A real indentation error is still reported as such.
        assert!(parse_documents("a:\n  b: 1\n c: 2\n").is_err());
    }

    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    fn one(src: &str) -> YamlDoc {
        let mut docs = parse_documents(src).unwrap();
        assert_eq!(docs.len(), 1, "{src:?}");
        docs.remove(0)
    }

    fn val(src: &str) -> Value {
        one(src).value
    }

    fn err(src: &str) -> YamlError {
        parse_documents(src).unwrap_err()
    }

    #[test]
    fn multi_document_stream_with_marks() {
        let src = "# leading comment\n---\na: 1\n---\n# only a comment\n---\n~\n---\n- x\n- z\n...\n";
        let docs = parse_documents(src).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].value, json!({"a": 1}));
        assert_eq!(docs[0].start, Mark::new(3, 1));
        assert_eq!(docs[0].index.value("a"), Some(Mark::new(3, 4)));
        assert_eq!(docs[1].value, json!(["x", "z"]));
        assert_eq!(docs[1].start, Mark::new(9, 1));
        assert_eq!(docs[1].index.value("[1]"), Some(Mark::new(10, 3)));
        // Implicit single document.
        assert_eq!(val("k: v"), json!({"k": "v"}));
    }

    #[test]
    fn empty_streams_have_no_documents() {
        for src in ["", "# c\n", "---\n", "---\n---\n", "~\n", "null", "--- !!null\n", "...\n"] {
            assert!(parse_documents(src).unwrap().is_empty(), "{src:?}");
        }
    }

    #[test]
    fn index_paths_and_marks() {
        let src = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
    tier: front
spec:
  containers:
  - name: a
    image: nginx
  - name: b
    image: \"busybox\"
";
        let doc = one(src);
        let ix = &doc.index;
        assert_eq!(ix.key("metadata.labels[app.kubernetes.io/name]"), Some(Mark::new(6, 5)));
        assert_eq!(ix.value("metadata.labels[app.kubernetes.io/name]"), Some(Mark::new(6, 29)));
        assert_eq!(ix.value("metadata.labels.tier"), Some(Mark::new(7, 11)));
        assert_eq!(ix.key("spec.containers[1].image"), Some(Mark::new(13, 5)));
        assert_eq!(ix.value("spec.containers[1].image"), Some(Mark::new(13, 12)));
        assert_eq!(ix.value("spec.containers[1]"), Some(Mark::new(12, 5)));
        assert_eq!(ix.key("spec.containers[1]"), Some(Mark::new(12, 5)));
        // An indentless sequence starts at its first item's content.
        assert_eq!(ix.value("spec.containers"), Some(Mark::new(10, 5)));
        assert_eq!(ix.value(""), Some(Mark::new(1, 1)));
        assert_eq!(ix.key(""), None);
        assert_eq!(ix.value("spec.containers[2]"), None);
        assert_eq!(ix.value("spec.nope"), None);
        // nearest: longest existing prefix, else the document start.
        assert_eq!(ix.nearest("spec.containers[1].resources.limits"), Mark::new(12, 5));
        assert_eq!(ix.nearest("spec.containers[7]"), Mark::new(10, 5));
        assert_eq!(ix.nearest("status"), Mark::new(1, 1));
        assert_eq!(ix.nearest("kind.x"), Mark::new(2, 7));
        // Path helpers agree with the index.
        assert_eq!(child_path("metadata.labels", "app.kubernetes.io/name"), "metadata.labels[app.kubernetes.io/name]");
        assert_eq!(index_path("spec.containers", 1), "spec.containers[1]");
        assert_eq!(child_path("", "spec"), "spec");
    }

    #[test]
    fn index_handles_odd_keys() {
        let doc = one("\"a]b\": {x: 1}\n\"0\": zero\n\"\": empty\nroot: [[1, 2], {k: v}]\n");
        let ix = &doc.index;
        assert_eq!(ix.value("[a]b].x"), Some(Mark::new(1, 12)));
        assert_eq!(ix.value("[0]"), Some(Mark::new(2, 6)));
        assert_eq!(ix.value("[]"), Some(Mark::new(3, 5)));
        assert_eq!(ix.value("root[0][1]"), Some(Mark::new(4, 12)));
        assert_eq!(ix.value("root[1].k"), Some(Mark::new(4, 20)));
        assert_eq!(PathIndex::default().nearest("a"), Mark::default());
        // A sequence at the root.
        let doc = one("- a\n- b: c\n");
        assert_eq!(doc.index.value("[1].b"), Some(Mark::new(2, 6)));
    }

    #[test]
    fn go_yaml_scalar_resolution() {
        let table: &[(&str, Value)] = &[
            ("yes", json!(true)),
            ("Yes", json!(true)),
            ("YES", json!(true)),
            ("y", json!(true)),
            ("on", json!(true)),
            ("True", json!(true)),
            ("no", json!(false)),
            ("N", json!(false)),
            ("off", json!(false)),
            ("FALSE", json!(false)),
            ("yEs", json!("yEs")),
            ("tRUE", json!("tRUE")),
            ("\"yes\"", json!("yes")),
            ("'no'", json!("no")),
            ("~", json!(null)),
            ("null", json!(null)),
            ("Null", json!(null)),
            ("NULL", json!(null)),
            ("nULL", json!("nULL")),
            ("", json!(null)),
            ("0", json!(0)),
            ("-17", json!(-17)),
            ("+17", json!(17)),
            ("1_000", json!(1000)),
            ("0x1F", json!(31)),
            ("-0x1F", json!(-31)),
            ("0o17", json!(15)),
            ("010", json!(8)),
            ("0b101", json!(5)),
            ("-0b101", json!(-5)),
            ("09", json!(9.0)),
            ("9223372036854775807", json!(i64::MAX)),
            ("-9223372036854775808", json!(i64::MIN)),
            ("18446744073709551615", json!(u64::MAX)),
            ("18446744073709551616", json!(18446744073709551616.0)),
            ("0x1FFFFFFFFFFFFFFFF", json!("0x1FFFFFFFFFFFFFFFF")),
            ("1e3", json!(1000.0)),
            ("1E+3", json!(1000.0)),
            ("1.0", json!(1.0)),
            ("1.", json!(1.0)),
            (".5", json!(0.5)),
            ("-.5", json!(-0.5)),
            (".5e1", json!(5.0)),
            ("1e400", json!("1e400")),
            ("0x", json!("0x")),
            ("1.2.3", json!("1.2.3")),
            ("2001-12-14", json!("2001-12-14")),
            ("2001-12-14T21:59:43.10Z", json!("2001-12-14T21:59:43.10Z")),
            ("100m", json!("100m")),
            ("1Gi", json!("1Gi")),
            ("--", json!("--")),
            ("-1-", json!("-1-")),
            ("'123'", json!("123")),
            ("\"1e3\"", json!("1e3")),
            ("|\n  text\n", json!("text\n")),
            (">-\n  10\n", json!("10")),
            ("<<", json!("<<")),
        ];
        for (src, want) in table {
            let got = parse_documents(&format!("v: {src}")).unwrap();
            let got = got.first().map(|d| d.value["v"].clone()).unwrap_or(Value::Null);
            assert_eq!(&got, want, "v: {src}");
        }
    }

    #[test]
    fn non_finite_floats_are_errors() {
        for (src, text) in [("a: .inf", ".inf"), ("a: -.Inf", "-.Inf"), ("a: .nan", ".nan")] {
            let e = err(src);
            assert_eq!(e.message, format!("cannot represent {text} as JSON"));
            assert_eq!(e.mark, Mark::new(1, 4));
        }
    }

    #[test]
    fn tags() {
        assert_eq!(val("a: !!str 10"), json!({"a": "10"}));
        assert_eq!(val("a: !!str yes"), json!({"a": "yes"}));
        assert_eq!(val("a: !!int \"10\""), json!({"a": 10}));
        assert_eq!(val("a: !!float 1"), json!({"a": 1.0}));
        assert_eq!(val("a: !!bool 'yes'"), json!({"a": true}));
        assert_eq!(val("a: !!null ~\nb: 1"), json!({"a": null, "b": 1}));
        assert_eq!(val("a: ! 10"), json!({"a": "10"}));
        assert_eq!(val("a: !<tag:yaml.org,2002:int> 3"), json!({"a": 3}));
        assert_eq!(val("a: !!map {b: 1}\nc: !!seq [1]"), json!({"a": {"b": 1}, "c": [1]}));
        let e = err("a: !!int abc");
        assert_eq!(e.message, "cannot decode !!str `abc` as a !!int");
        assert_eq!(e.mark, Mark::new(1, 4));
        assert_eq!(err("a: !!int 1.5").message, "cannot decode !!float `1.5` as a !!int");
        let e = err("a: !foo x");
        assert!(e.message.starts_with("unsupported tag !foo "), "{}", e.message);
        assert!(err("a: !!binary aGk=").message.starts_with("unsupported tag !!binary"));
        assert!(err("a: !!timestamp 2001-12-14").message.starts_with("unsupported tag !!timestamp"));
        assert_eq!(err("a: !!str [1]").message, "tag !!str cannot be used on a sequence");
        assert_eq!(err("a: !!seq {b: 1}").message, "tag !!seq cannot be used on a mapping");
        assert_eq!(err("a: !!map x").message, "tag !!map cannot be used on a scalar");
    }

    #[test]
    fn keys_become_strings() {
        assert_eq!(
            val("1: a\n0x10: b\nyes: c\n1.5: d\n1e6: e\n\"q\": f\n-2: g"),
            json!({"1": "a", "16": "b", "true": "c", "1.5": "d", "1e+06": "e", "q": "f", "-2": "g"})
        );
        assert_eq!(go_format_float32(123456.0), "123456");
        assert_eq!(go_format_float32(0.0001), "0.0001");
        assert_eq!(go_format_float32(0.00001), "1e-05");
        assert_eq!(go_format_float32(0.1), "0.1");
        let e = err("a: 1\n~: b");
        assert_eq!(e.message, NULL_KEY);
        assert_eq!(e.mark, Mark::new(2, 1));
        let e = err("? [a]\n: b");
        assert_eq!(e.message, COMPLEX_KEY);
        assert_eq!(e.mark, Mark::new(1, 3));
        assert_eq!(err("{a: 1, {b: 2}: 3}").message, COMPLEX_KEY);
        assert_eq!(err("x: &s [1]\n*s : 2").message, COMPLEX_KEY);
        assert_eq!(val("x: &k name\n*k : 2"), json!({"x": "name", "name": 2}));
    }

    #[test]
    fn duplicate_keys() {
        let src = "metadata:\n  labels: {}\n  name: a\n  other: 1\n  name: b\n";
        let e = err(src);
        assert_eq!(e.message, "mapping key \"name\" already defined at line 3");
        assert_eq!(e.mark, Mark::new(5, 3));
        // Keys that only become equal as JSON text are duplicates too.
        let e = err("1: a\n0x1: b");
        assert_eq!(e.message, "mapping key \"1\" already defined at line 1");
        assert_eq!(e.mark, Mark::new(2, 1));
        let e = err("{a: 1, a: 2}");
        assert_eq!(e.mark, Mark::new(1, 8));
        // Same key in different mappings is fine.
        assert_eq!(val("a: {x: 1}\nb: {x: 2}"), json!({"a": {"x": 1}, "b": {"x": 2}}));
    }

    #[test]
    fn merge_keys() {
        let src = "\
base: &base
  cpu: 100m
  memory: 64Mi
extra: &extra
  memory: 1Gi
  gpu: 1
a:
  <<: *base
  cpu: 200m
b:
  cpu: 300m
  <<: [*extra, *base]
c:
  <<: {z: 1}
  \"<<\": literal
";
        let v = val(src);
        assert_eq!(v["a"], json!({"cpu": "200m", "memory": "64Mi"}));
        assert_eq!(v["b"], json!({"cpu": "300m", "memory": "1Gi", "gpu": 1}));
        assert_eq!(v["c"], json!({"z": 1, "<<": "literal"}));
        let e = err("a: &x 1\nb:\n  <<: *x\n");
        assert_eq!(e.message, "map merge requires map or sequence of maps as the value");
        assert_eq!(e.mark, Mark::new(3, 7));
        assert!(err("b:\n  <<: [{a: 1}, 2]\n").message.starts_with("map merge requires"));
    }

    #[test]
    fn aliases() {
        assert_eq!(val("a: &x {b: [1, 2]}\nc: *x\nd: &s str\ne: *s"), json!({"a": {"b": [1, 2]}, "c": {"b": [1, 2]}, "d": "str", "e": "str"}));
        let e = err("a: 1\nb: *nope\n");
        assert_eq!(e.message, "undefined alias *nope");
        assert_eq!(e.mark, Mark::new(2, 4));
        // Anchors do not cross documents.
        let e = err("a: &x 1\n---\nb: *x\n");
        assert_eq!(e.message, "undefined alias *x");
        assert_eq!(e.mark, Mark::new(3, 4));
        // Recursive alias.
        let e = err("a: &x [1, *x]\n");
        assert_eq!(e.message, "alias *x refers to a node that contains it (recursive alias)");
        assert_eq!(e.mark, Mark::new(1, 11));
        // Paths into alias copies resolve to the alias.
        let doc = one("a: &x {b: 1}\nc: *x\n");
        assert_eq!(doc.index.value("c.b"), None);
        assert_eq!(doc.index.nearest("c.b"), Mark::new(2, 4));
    }

    #[test]
    fn alias_bomb_fails_fast() {
        let mut src = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        let mut prev = 'a';
        for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
            let refs = vec![format!("*{prev}"); 9].join(",");
            src.push_str(&format!("{name}: &{name} [{refs}]\n"));
            prev = name;
        }
        let e = err(&src);
        assert_eq!(e.message, "document expands to more than 1000000 nodes (alias bomb?)");
        assert!(e.mark.line >= 7, "{:?}", e.mark);
    }

    #[test]
    fn node_budget_counts_plain_nodes() {
        let src = format!("[{}]", vec!["0"; 1_000_001].join(","));
        let e = err(&src);
        assert_eq!(e.message, "document has more than 1000000 nodes");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = 20_000;
        for src in ["[".repeat(deep), "{".repeat(deep), "{a: ".repeat(deep), "[ ".repeat(deep)] {
            let e = err(&src);
            assert!(e.message.starts_with("nesting deeper than "), "{}", e.message);
            assert_eq!(e.mark.line, 1);
        }
        // Block sequences without indentation: `- - - - ...`.
        let e = err(&"- ".repeat(deep));
        assert_eq!(e.message, "nesting deeper than 512 levels");
        assert_eq!(e.mark, Mark::new(1, 1 + 2 * 512));
        // Block mappings by indentation.
        let mut src = String::new();
        for i in 0..600 {
            src.push_str(&" ".repeat(i));
            src.push_str("a:\n");
        }
        let e = err(&src);
        assert_eq!(e.message, "nesting deeper than 512 levels");
        assert_eq!(e.mark, Mark::new(513, 513));
        // 512 levels are fine, and the value can be deserialized.
        let doc = one(&"- ".repeat(511).to_string());
        let v: Value = from_doc(&doc).unwrap();
        assert!(v.is_array());
        // Aliases cannot be used to go deeper.
        let mut src = String::from("a: &a\n");
        src.push_str(&"- ".repeat(300));
        src.push_str("\nb: ");
        src.push_str(&"[".repeat(250));
        src.push_str(" *a ");
        src.push_str(&"]".repeat(250));
        let e = parse_documents(&src).map(|d| d.len()).unwrap_err();
        assert_eq!(e.message, "nesting deeper than 512 levels");
    }

    #[test]
    fn scanner_errors_keep_their_location() {
        let e = err("a:\n\tb: 1\n");
        assert_eq!(e.mark.line, 2);
        assert!(e.message.contains("tab"), "{}", e.message);
        assert_eq!(e.mark, Mark::new(2, 2));
        let e = err("a: [1, 2\n");
        assert!(e.mark.line >= 1 && !e.message.is_empty());
    }

    #[test]
    fn size_limit() {
        let big = " ".repeat(70_000_000);
        let e = err(&big);
        assert_eq!(e.mark, Mark::new(1, 1));
        assert_eq!(e.message, "file is 70000000 bytes; ksim reads at most 16777216");
    }

    #[test]
    fn invalid_utf8_location() {
        assert_eq!(decode_utf8(b"a: 1\n").unwrap(), "a: 1\n");
        let e = decode_utf8(b"a: 1\nbb: \xc3\xa9\xff\n").unwrap_err();
        assert_eq!(e.mark, Mark::new(2, 6));
        assert_eq!(e.message, "invalid UTF-8 (byte 0xff)");
        let e = decode_utf8(b"\xe2\x82").unwrap_err();
        assert_eq!(e.mark, Mark::new(1, 1));
        assert_eq!(e.message, "invalid UTF-8 (byte 0xe2)");
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Probe {
        name: String,
        #[serde(default)]
        replicas: i32,
        #[serde(default)]
        containers: Vec<Container>,
        #[serde(default)]
        policy: Option<Policy>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Container {
        image: String,
        #[serde(default)]
        image_pull_policy: String,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Policy {
        Always,
        Never,
    }

    #[test]
    fn from_doc_ok() {
        let doc = one("name: x\nreplicas: 3\ncontainers:\n- image: a\n  imagePullPolicy: Always\n");
        let p: Probe = from_doc(&doc).unwrap();
        assert_eq!(p.replicas, 3);
        assert_eq!(p.containers[0].image_pull_policy, "Always");
    }

    #[test]
    fn from_doc_unknown_field() {
        let doc = one("name: x\ncontainers:\n- image: a\n- image: b\n  imagePulPolicy: Always\n");
        let e = from_doc::<Probe>(&doc).unwrap_err();
        assert_eq!(e.path, "containers[1].imagePulPolicy");
        assert_eq!(e.message, "unknown field \"imagePulPolicy\"");
        assert_eq!(e.mark, Mark::new(5, 3));
        assert_eq!(e.to_string(), "containers[1].imagePulPolicy: unknown field \"imagePulPolicy\"");
        let doc = one("name: x\nspec: {}\n");
        let e = from_doc::<Probe>(&doc).unwrap_err();
        assert_eq!((e.path.as_str(), e.mark), ("spec", Mark::new(2, 1)));
    }

    #[test]
    fn from_doc_missing_field() {
        let doc = one("replicas: 1\ncontainers:\n- imagePullPolicy: Never\n");
        let e = from_doc::<Probe>(&doc).unwrap_err();
        // `name` is only checked when the outer mapping ends, after `containers` failed.
        assert_eq!(e.path, "containers[0].image");
        assert_eq!(e.message, "Required value");
        assert_eq!(e.mark, Mark::new(3, 3));
        let doc = one("replicas: 1\n");
        let e = from_doc::<Probe>(&doc).unwrap_err();
        assert_eq!(e.path, "name");
        assert_eq!(e.mark, Mark::new(1, 1));
    }

    #[test]
    fn from_doc_type_errors() {
        let doc = one("name: x\nreplicas: many\n");
        let e = from_doc::<Probe>(&doc).unwrap_err();
        assert_eq!(e.path, "replicas");
        assert_eq!(e.message, "Invalid value: \"many\": cannot unmarshal string \"many\" into a field of type int32");
        assert_eq!(e.mark, Mark::new(2, 11));
        let doc = one("name: 1\n");
        let e = from_doc::<Probe>(&doc).unwrap_err();
        assert_eq!(e.to_string(), "name: Invalid value: 1: expected a string");
        let doc = one("name: x\nreplicas: 3000000000\n");
        let e = from_doc::<Probe>(&doc).unwrap_err();
        assert_eq!(e.message, "Invalid value: 3000000000: cannot unmarshal number 3000000000 into a field of type int32");
        let doc = one("name: x\ncontainers: {a: 1}\n");
        let e = from_doc::<Probe>(&doc).unwrap_err();
        assert_eq!(e.message, "Invalid value: object: expected a sequence");
        assert_eq!(e.mark, Mark::new(2, 13));
        let doc = one("name: x\npolicy: Sometimes\n");
        let e = from_doc::<Probe>(&doc).unwrap_err();
        assert_eq!(e.path, "policy");
        assert_eq!(e.message, "Unsupported value: \"Sometimes\": supported values: \"Always\", \"Never\"");
        assert_eq!(e.mark, Mark::new(2, 9));
    }

    #[test]
    fn from_value_at_prefixes_paths() {
        let doc = one("items:\n- name: a\n- name: b\n  bogus: 1\n");
        let sub = &doc.value["items"][1];
        let e = from_value_at::<Probe>(sub, &doc.index, "items[1]").unwrap_err();
        assert_eq!(e.path, "items[1].bogus");
        assert_eq!(e.mark, Mark::new(4, 3));
        let sub = &doc.value["items"][0];
        let p: Probe = from_value_at(sub, &doc.index, "items[0]").unwrap();
        assert_eq!(p.name, "a");
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(512))]

        #[test]
        fn never_panics_on_arbitrary_text(s in "\\PC{0,200}") {
            let _ = parse_documents(&s);
        }

        #[test]
        fn never_panics_on_yamlish_text(s in "[-:\\[\\]{},&*!?|>'\"#%@` \\t\\na-c0-9.<~]{0,300}") {
            let _ = parse_documents(&s);
        }

        #[test]
        fn never_panics_on_random_flow_nesting(
            parts in proptest::collection::vec(
                proptest::sample::select(vec!["[", "]", "{", "}", ",", ": ", "a", "1", "&x ", "*x", " ", "\n", "- ", "? "]),
                0..600,
            )
        ) {
            let s: String = parts.concat();
            let _ = parse_documents(&s);
        }
    }
}
