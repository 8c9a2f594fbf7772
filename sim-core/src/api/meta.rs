//! ObjectMeta, owner references, label selectors and timestamps
//! (k8s.io/apimachinery/pkg/apis/meta/v1).

use crate::engine::SimTime;
use arcstr::ArcStr;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

pub type Labels = BTreeMap<String, String>;

/// An object's labels or annotations: one map shared by the copies of an object (every
/// status update, the informers' and the kubelet's copies, a ReplicaSet's pods made from
/// one template) until a copy changes it — copy on write through `DerefMut`. Reads see a
/// `BTreeMap` (`Deref`); an empty map allocates nothing. Serialized as the map it holds.
#[derive(Clone, Default)]
pub struct SharedMap(Option<std::rc::Rc<Labels>>);

static EMPTY_MAP: Labels = BTreeMap::new();

impl std::ops::Deref for SharedMap {
    type Target = Labels;
    fn deref(&self) -> &Labels {
        self.0.as_deref().unwrap_or(&EMPTY_MAP)
    }
}

impl SharedMap {
    /// Whether `other` is this very map (both empty, or one shared map): a read of one
    /// holds for the other, without comparing them.
    pub fn same(&self, other: &SharedMap) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => std::rc::Rc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl std::ops::DerefMut for SharedMap {
    fn deref_mut(&mut self) -> &mut Labels {
        std::rc::Rc::make_mut(self.0.get_or_insert_with(Default::default))
    }
}

impl PartialEq for SharedMap {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) if std::rc::Rc::ptr_eq(a, b) => true,
            _ => **self == **other,
        }
    }
}
impl Eq for SharedMap {}

impl PartialEq<Labels> for SharedMap {
    fn eq(&self, other: &Labels) -> bool {
        **self == *other
    }
}

impl std::fmt::Debug for SharedMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl From<Labels> for SharedMap {
    fn from(m: Labels) -> Self {
        SharedMap((!m.is_empty()).then(|| std::rc::Rc::new(m)))
    }
}

impl<const N: usize> From<[(String, String); N]> for SharedMap {
    fn from(a: [(String, String); N]) -> Self {
        Labels::from(a).into()
    }
}

impl FromIterator<(String, String)> for SharedMap {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(it: I) -> Self {
        Labels::from_iter(it).into()
    }
}

impl<'a> IntoIterator for &'a SharedMap {
    type Item = (&'a String, &'a String);
    type IntoIter = std::collections::btree_map::Iter<'a, String, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Serialize for SharedMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for SharedMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Labels::deserialize(d).map(SharedMap::from)
    }
}

/// A value the versions of an object share until one changes it — copy on write
/// through `DerefMut`, as `SharedMap` — and that compares as equal at once when it is
/// the very same: a Node's capacity and allocatable, one map for both as the kubelet
/// reports them, which every update of the Node copied twice (each a B-tree leaf of
/// eleven places). Reads see the value (`Deref`); serialized as the value it holds.
#[derive(Clone, Default)]
pub struct Shared<T>(std::rc::Rc<T>);

impl<T> Shared<T> {
    pub fn new(v: T) -> Self {
        Shared(std::rc::Rc::new(v))
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone> std::ops::DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        std::rc::Rc::make_mut(&mut self.0)
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}
impl<T: Eq> Eq for Shared<T> {}

impl<T: std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (*self.0).fmt(f)
    }
}

impl<T> From<T> for Shared<T> {
    fn from(v: T) -> Self {
        Shared::new(v)
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (*self.0).serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Shared<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Shared::new)
    }
}

/// An object's ownerReferences: one list shared by the copies of an object (every
/// status update, the caches' copies) and, as the apiserver makes them, by the objects
/// created one after the other with equal references (a ReplicaSet's pods), until a copy
/// changes it — copy on write through `DerefMut`, as `SharedMap`. Reads see a `Vec`; an
/// empty list allocates nothing. Serialized as the list it holds.
#[derive(Clone, Default)]
pub struct OwnerRefs(Option<std::rc::Rc<Vec<OwnerReference>>>);

static NO_OWNERS: Vec<OwnerReference> = Vec::new();

impl OwnerRefs {
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|v| v.is_empty())
    }

    /// Whether both hold the same list (not only equal ones).
    pub fn shares(&self, other: &OwnerRefs) -> bool {
        matches!((&self.0, &other.0), (Some(a), Some(b)) if std::rc::Rc::ptr_eq(a, b))
    }
}

impl std::ops::Deref for OwnerRefs {
    type Target = Vec<OwnerReference>;
    fn deref(&self) -> &Vec<OwnerReference> {
        self.0.as_deref().unwrap_or(&NO_OWNERS)
    }
}

impl std::ops::DerefMut for OwnerRefs {
    fn deref_mut(&mut self) -> &mut Vec<OwnerReference> {
        std::rc::Rc::make_mut(self.0.get_or_insert_with(Default::default))
    }
}

impl PartialEq for OwnerRefs {
    fn eq(&self, other: &Self) -> bool {
        self.shares(other) || **self == **other
    }
}
impl Eq for OwnerRefs {}

impl std::fmt::Debug for OwnerRefs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl From<Vec<OwnerReference>> for OwnerRefs {
    fn from(v: Vec<OwnerReference>) -> Self {
        OwnerRefs((!v.is_empty()).then(|| std::rc::Rc::new(v)))
    }
}

impl<'a> IntoIterator for &'a OwnerRefs {
    type Item = &'a OwnerReference;
    type IntoIter = std::slice::Iter<'a, OwnerReference>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Serialize for OwnerRefs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

/// The value a [`TypeField`] holds when set.
pub trait Constant {
    const VALUE: &'static str;
}

/// `apiVersion: v1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct V1;
impl Constant for V1 {
    const VALUE: &'static str = "v1";
}

/// `kind: Pod`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PodKind;
impl Constant for PodKind {
    const VALUE: &'static str = "Pod";
}

/// `kind: Event`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EventKind;
impl Constant for EventKind {
    const VALUE: &'static str = "Event";
}

/// `apiVersion: coordination.k8s.io/v1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CoordinationV1;
impl Constant for CoordinationV1 {
    const VALUE: &'static str = "coordination.k8s.io/v1";
}

/// `kind: Lease`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LeaseKind;
impl Constant for LeaseKind {
    const VALUE: &'static str = "Lease";
}

/// `apiVersion` or `kind` of the kinds a big run holds by the hundred thousand (Pods,
/// Events) or writes by the million (Leases: a node's renewal every 10 s): either unset
/// or the kind's own value — an object is decoded as a Pod only when they are `v1` and
/// `Pod` — so it is kept as one byte, not a 24-byte string, and reads (`Deref` to `str`)
/// and writes (serde, `From<&str>`) as the string.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TypeField<C>(bool, std::marker::PhantomData<C>);

impl<C: Constant> std::ops::Deref for TypeField<C> {
    type Target = str;
    fn deref(&self) -> &str {
        if self.0 {
            C::VALUE
        } else {
            ""
        }
    }
}

impl<C: Constant> From<&'static str> for TypeField<C> {
    /// Set for the kind's value, unset for "" (`set_type_meta` writes only the value).
    fn from(s: &'static str) -> Self {
        debug_assert!(s.is_empty() || s == C::VALUE, "{s:?} for {:?}", C::VALUE);
        TypeField(!s.is_empty(), std::marker::PhantomData)
    }
}

impl<C: Constant> std::fmt::Debug for TypeField<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl<C: Constant> Serialize for TypeField<C> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

impl<'de, C: Constant> Deserialize<'de> for TypeField<C> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        match &*s {
            "" => Ok(TypeField(false, std::marker::PhantomData)),
            v if v == C::VALUE => Ok(TypeField(true, std::marker::PhantomData)),
            v => Err(serde::de::Error::invalid_value(serde::de::Unexpected::Str(v), &C::VALUE)),
        }
    }
}

/// A string that is empty in most objects (a pod condition's reason and message) or
/// the same in every version of one (its name, namespace and uid, its phase): 8 bytes, and
/// no allocation while empty, where a `String` is 24. Reads as `str` (`Deref`), writes
/// as the string (serde, `From`). Immutable, so shared: a copy (the kubelet builds each
/// status on a copy of the last) allocates nothing. An `arcstr::ArcStr`: its count and
/// length sit in front of the bytes, one allocation a string (an `Rc<Box<str>>` was two,
/// the `Rc`'s 32 bytes and the bytes), and the shared words (`WORDS`) are static, with
/// no count to keep.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Text(ArcStr);

/// Ordered as its string, but two copies of one `Text` are equal without reading it (as
/// `ArcStr`'s `==` does): the keys of the controllers' indexes are (kind, namespace,
/// name), and a namespace is one `Text` its objects share, whose bytes a comparison read
/// at every level of a B-tree.
impl Ord for Text {
    fn cmp(&self, o: &Text) -> std::cmp::Ordering {
        if ArcStr::ptr_eq(&self.0, &o.0) {
            std::cmp::Ordering::Equal
        } else {
            self.as_str().cmp(o.as_str())
        }
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, o: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

const _: () = assert!(std::mem::size_of::<Text>() == std::mem::size_of::<usize>());

impl Text {
    /// The `ArcStr` it is (a copy shares it).
    pub(crate) fn as_arc(&self) -> &ArcStr {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self
    }

    pub fn clear(&mut self) {
        self.0 = ArcStr::new();
    }

    /// The text of `parts` joined, in one allocation (arcstr's `init_with`), where a
    /// `String` made first and then copied into the shared string was two: a generated
    /// name, an Event's name. Not looked up among the shared words (`WORDS`): a name
    /// joined this way ends in `-`, a stamp or a generated suffix, never in one of them.
    pub fn concat(parts: &[&str]) -> Text {
        let len = parts.iter().map(|p| p.len()).sum();
        if len == 0 {
            return Text::default(); // init_with wants at least one byte
        }
        let joined = ArcStr::init_with(len, |buf| {
            let mut at = 0;
            for p in parts {
                buf[at..at + p.len()].copy_from_slice(p.as_bytes());
                at += p.len();
            }
        });
        Text(joined.expect("whole strings joined are UTF-8"))
    }

    /// Whether two texts are one shared copy.
    #[cfg(test)]
    pub(crate) fn shares(&self, other: &Text) -> bool {
        ArcStr::ptr_eq(&self.0, &other.0)
    }

    /// Whether the text is one of the static shared words (`WORDS`).
    #[cfg(test)]
    pub(crate) fn is_static(&self) -> bool {
        !self.is_empty() && ArcStr::is_static(&self.0)
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// The words most conditions and statuses are made of (pod condition types and
/// statuses, the kubelet's reasons, pod phases, QoS classes, Events' types) and the two
/// namespaces every cluster has: a `Text` of one is the static copy, so writing it allocates
/// nothing and copying it counts nothing.
static WORDS: [ArcStr; 26] = [
    arcstr::literal!("True"),
    arcstr::literal!("False"),
    arcstr::literal!("Unknown"),
    arcstr::literal!("PodReadyToStartContainers"),
    arcstr::literal!("Initialized"),
    arcstr::literal!("Ready"),
    arcstr::literal!("ContainersReady"),
    arcstr::literal!("PodScheduled"),
    arcstr::literal!("DisruptionTarget"),
    arcstr::literal!("ContainersNotReady"),
    arcstr::literal!("PodCompleted"),
    arcstr::literal!("Pending"),
    arcstr::literal!("Running"),
    arcstr::literal!("Succeeded"),
    arcstr::literal!("Failed"),
    arcstr::literal!("Guaranteed"),
    arcstr::literal!("Burstable"),
    arcstr::literal!("BestEffort"),
    arcstr::literal!("default"),
    arcstr::literal!("kube-system"),
    arcstr::literal!("ContainerCreating"),
    arcstr::literal!("PodInitializing"),
    arcstr::literal!("Completed"),
    arcstr::literal!("Error"),
    arcstr::literal!("Normal"),
    arcstr::literal!("Warning"),
];

/// The static copy of `s` if it is one of `WORDS`.
fn shared_word(s: &str) -> Option<ArcStr> {
    WORDS.iter().find(|w| w.as_str() == s).cloned()
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(shared_word(s).unwrap_or_else(|| ArcStr::from(s)))
    }
}

/// A shared string as a `Text` (the stored Events' namespaces): shared, not copied.
impl From<ArcStr> for Text {
    fn from(s: ArcStr) -> Self {
        Text(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::from(s.as_str())
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, o: &str) -> bool {
        **self == *o
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, o: &String) -> bool {
        **self == **o
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, o: &&str) -> bool {
        **self == **o
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, o: &Text) -> bool {
        **self == **o
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, o: &Text) -> bool {
        *self == **o
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, o: &Text) -> bool {
        **self == **o
    }
}

/// A map keyed by `Text` is looked up by `&str`: a `Text` orders, compares and hashes
/// as its `str` (its own `Ord`, and arcstr's `Eq` and `Hash`, are the `str`'s).
impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Text::from)
    }
}

/// A timestamp. Inside the simulation it is a `SimTime` (milliseconds); on the wire it is
/// RFC 3339 counted from 2026-01-01T00:00:00Z, truncated to whole seconds as
/// metav1.Time marshals, so objects print like a real cluster's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub SimTime);

/// Days from 1970-01-01 to 2026-01-01.
pub(crate) const EPOCH_DAYS: i64 = 20_454;

impl Time {
    /// `YYYY-MM-DDTHH:MM:SSZ` (Go's time.RFC3339 in UTC, as the apiserver writes a
    /// metav1.Time).
    pub fn rfc3339(self) -> String {
        match self.rfc3339_bytes() {
            Some(b) => std::str::from_utf8(&b).expect("ASCII digits").to_string(),
            None => {
                let (y, m, d, hh, mm, ss) = self.civil();
                format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
            }
        }
    }

    /// The moment's `rfc3339` for a year below 10,000, digits placed by hand: every
    /// Lease renewal's event-log record has one, and `format!`'s six padded integers
    /// cost about 2,600 instructions against this one's hundred (by callgrind), a tenth
    /// of an idle cluster's run.
    pub fn rfc3339_bytes(self) -> Option<[u8; 20]> {
        let (y, m, d, hh, mm, ss) = self.civil();
        if !(0..10_000).contains(&y) {
            return None;
        }
        let mut b = *b"0000-00-00T00:00:00Z";
        let two = |b: &mut [u8; 20], at: usize, v: i64| {
            b[at] = b'0' + (v / 10) as u8;
            b[at + 1] = b'0' + (v % 10) as u8;
        };
        two(&mut b, 0, y / 100);
        two(&mut b, 2, y % 100);
        two(&mut b, 5, m);
        two(&mut b, 8, d);
        two(&mut b, 11, hh as i64);
        two(&mut b, 14, mm as i64);
        two(&mut b, 17, ss as i64);
        Some(b)
    }

    /// (year, month, day, hour, minute, second) in UTC.
    fn civil(self) -> (i64, i64, i64, u64, u64, u64) {
        let secs = self.0.as_ms() / 1000;
        let (y, m, d) = civil_from_days(EPOCH_DAYS + (secs / 86_400) as i64);
        let rem = secs % 86_400;
        (y, m, d, rem / 3600, (rem / 60) % 60, rem % 60)
    }

    /// Go's time.RFC1123Z in UTC, as kubectl describe prints times:
    /// `Thu, 01 Jan 2026 00:00:00 +0000`.
    pub fn rfc1123z(self) -> String {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let (y, m, d, hh, mm, ss) = self.civil();
        // 1970-01-01 was a Thursday.
        let days = EPOCH_DAYS + (self.0.as_ms() / 1000 / 86_400) as i64;
        let wd = DAYS[days.rem_euclid(7) as usize];
        format!("{wd}, {d:02} {} {y:04} {hh:02}:{mm:02}:{ss:02} +0000", MONTHS[(m - 1) as usize])
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff…]Z`; moments before the epoch clamp to it.
    pub fn parse_rfc3339(s: &str) -> Result<Time, String> {
        let bad = || format!("parsing time {s:?} as \"2006-01-02T15:04:05Z07:00\": cannot parse");
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<i64>().ok()).ok_or_else(bad);
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hh, mi, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || hh > 23 || mi > 59 || ss > 60 {
            return Err(bad());
        }
        let mut rest = &s[19..];
        let mut ms = 0i64;
        if let Some(frac) = rest.strip_prefix('.') {
            let digits: String = frac.chars().take_while(|c| c.is_ascii_digit()).collect();
            if digits.is_empty() {
                return Err(bad());
            }
            let padded = format!("{:0<3}", &digits[..digits.len().min(3)]);
            ms = padded.parse().map_err(|_| bad())?;
            rest = &frac[digits.len()..];
        }
        if rest != "Z" {
            return Err(bad());
        }
        let days = days_from_civil(y, mo, d) - EPOCH_DAYS;
        let total = ((days * 86_400 + hh * 3600 + mi * 60 + ss) * 1000 + ms).max(0);
        Ok(Time(SimTime(total as u64)))
    }
}

// Howard Hinnant's civil calendar algorithms.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Time::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}

/// An optional time in 8 bytes (an `Option<Time>` is 16): a pod condition's two
/// times, so that a condition is 48 bytes and a pod's five 240 (every version of every
/// pod keeps them). The last millisecond of `u64` stands for none: a Time parsed from
/// RFC 3339 is before the year 10,000, and only a run's clock saturated at its very end
/// (`until` some 584 million years on) could stamp that millisecond, which then reads
/// as no time. Reads and writes as the `Option<Time>` it is (serde, `get`, `From`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MaybeTime(u64);

impl MaybeTime {
    pub const NONE: MaybeTime = MaybeTime(u64::MAX);

    pub fn get(self) -> Option<Time> {
        (self != MaybeTime::NONE).then_some(Time(SimTime(self.0)))
    }

    pub fn is_none(&self) -> bool {
        *self == MaybeTime::NONE
    }

    pub fn is_some(&self) -> bool {
        !self.is_none()
    }
}

impl Default for MaybeTime {
    fn default() -> Self {
        MaybeTime::NONE
    }
}

impl From<Option<Time>> for MaybeTime {
    fn from(t: Option<Time>) -> Self {
        t.map_or(MaybeTime::NONE, MaybeTime::from)
    }
}

impl From<Time> for MaybeTime {
    fn from(t: Time) -> Self {
        MaybeTime(t.0 .0)
    }
}

impl std::fmt::Debug for MaybeTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

impl Serialize for MaybeTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.get().serialize(s)
    }
}

impl<'de> Deserialize<'de> for MaybeTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<Time>::deserialize(d).map(MaybeTime::from)
    }
}

/// resourceVersion: the etcd modRevision, a decimal string on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceVersion(pub u64);

impl Serialize for ResourceVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for ResourceVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map(ResourceVersion).map_err(|_| serde::de::Error::custom(format!("Invalid value: {s:?}: must be a decimal resourceVersion")))
    }
}

/// The fields of ObjectMeta the model carries but few objects fill — generation (the
/// workload kinds'), deletionTimestamp and deletionGracePeriodSeconds (an object being
/// deleted), finalizers (volumes and claims), managedFields and selfLink (manifests
/// only) — kept in one box so that every object, every Pod version and Event, is 112
/// bytes smaller. Reads see `RareFields` (`Deref`; the empty value when absent); a write
/// through `DerefMut` makes the box, so clearing a field goes through `existing`.
/// Compares as the empty value when absent.
#[derive(Clone, Debug, Default)]
pub struct RareMeta(Option<Box<RareFields>>);

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RareFields {
    pub generation: i64,
    pub deletion_timestamp: Option<Time>,
    pub deletion_grace_period_seconds: Option<i64>,
    pub finalizers: Vec<String>,
    /// Accepted and kept, never interpreted.
    pub managed_fields: Option<serde_json::Value>,
    /// Deprecated and ignored by Kubernetes; accepted so old manifests load.
    pub self_link: Option<String>,
}

static NO_RARE_FIELDS: RareFields =
    RareFields { generation: 0, deletion_timestamp: None, deletion_grace_period_seconds: None, finalizers: Vec::new(), managed_fields: None, self_link: None };

impl RareMeta {
    fn get(&self) -> &RareFields {
        self.0.as_deref().unwrap_or(&NO_RARE_FIELDS)
    }
    fn get_mut(&mut self) -> &mut RareFields {
        self.0.get_or_insert_with(Default::default)
    }
    fn from_fields(f: RareFields) -> Self {
        RareMeta((f != NO_RARE_FIELDS).then(|| Box::new(f)))
    }
    /// The box if there is one: for clearing a field without making one.
    pub fn existing(&mut self) -> Option<&mut RareFields> {
        self.0.as_deref_mut()
    }
}

impl std::ops::Deref for RareMeta {
    type Target = RareFields;
    fn deref(&self) -> &RareFields {
        self.get()
    }
}

impl std::ops::DerefMut for RareMeta {
    fn deref_mut(&mut self) -> &mut RareFields {
        self.get_mut()
    }
}

impl PartialEq for RareMeta {
    fn eq(&self, o: &Self) -> bool {
        self.get() == o.get()
    }
}
impl Eq for RareMeta {}

#[derive(Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "ObjectMetaIn")]
pub struct ObjectMeta {
    /// The name, the generateName, the namespace and the uid are `Text`: every version
    /// of an object shares them (a pod's status updates copied four strings each), and
    /// the pods a controller creates in one batch share its generateName.
    pub name: Text,
    pub generate_name: Text,
    pub namespace: Text,
    pub uid: Text,
    pub resource_version: ResourceVersion,
    pub creation_timestamp: Option<Time>,
    pub labels: SharedMap,
    pub annotations: SharedMap,
    pub owner_references: OwnerRefs,
    /// generation, deletionTimestamp, deletionGracePeriodSeconds, finalizers,
    /// managedFields, selfLink: `meta.rare.deletion_timestamp` (written in their places).
    pub rare: RareMeta,
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<ObjectMeta>() == 88);

/// `clone_from` shares the name, generateName, namespace and uid (kube-apiserver's
/// status update keeps the stored metadata: written over the request's copy, whose
/// name, namespace and uid are the stored ones, it allocates nothing).
impl Clone for ObjectMeta {
    fn clone(&self) -> Self {
        ObjectMeta {
            name: self.name.clone(),
            generate_name: self.generate_name.clone(),
            namespace: self.namespace.clone(),
            uid: self.uid.clone(),
            resource_version: self.resource_version,
            creation_timestamp: self.creation_timestamp,
            labels: self.labels.clone(),
            annotations: self.annotations.clone(),
            owner_references: self.owner_references.clone(),
            rare: self.rare.clone(),
        }
    }

    fn clone_from(&mut self, o: &Self) {
        let ObjectMeta { name, generate_name, namespace, uid, resource_version, creation_timestamp, labels, annotations, owner_references, rare } = o;
        self.name.clone_from(name);
        self.generate_name.clone_from(generate_name);
        self.namespace.clone_from(namespace);
        self.uid.clone_from(uid);
        self.resource_version = *resource_version;
        self.creation_timestamp = *creation_timestamp;
        self.labels.clone_from(labels);
        self.annotations.clone_from(annotations);
        self.owner_references.clone_from(owner_references);
        self.rare.clone_from(rare);
    }
}

/// ObjectMeta as it is written: its fields in the schema's order, the rare ones in
/// theirs, empty ones left out.
#[derive(Serialize)]
#[serde(rename = "ObjectMeta", rename_all = "camelCase")]
struct ObjectMetaOut<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    generate_name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    namespace: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    uid: &'a str,
    #[serde(skip_serializing_if = "is_zero_rv")]
    resource_version: ResourceVersion,
    #[serde(skip_serializing_if = "is_zero_i64")]
    generation: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    creation_timestamp: Option<Time>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deletion_timestamp: Option<Time>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deletion_grace_period_seconds: Option<i64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: &'a Labels,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: &'a Labels,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    owner_references: &'a [OwnerReference],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    finalizers: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    managed_fields: &'a Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    self_link: &'a Option<String>,
}

impl Serialize for ObjectMeta {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = &*self.rare;
        ObjectMetaOut {
            name: &self.name,
            generate_name: &self.generate_name,
            namespace: &self.namespace,
            uid: &self.uid,
            resource_version: self.resource_version,
            generation: r.generation,
            creation_timestamp: self.creation_timestamp,
            deletion_timestamp: r.deletion_timestamp,
            deletion_grace_period_seconds: r.deletion_grace_period_seconds,
            labels: &self.labels,
            annotations: &self.annotations,
            owner_references: &self.owner_references,
            finalizers: &r.finalizers,
            managed_fields: &r.managed_fields,
            self_link: &r.self_link,
        }
        .serialize(s)
    }
}

/// ObjectMeta as it is read: every field of k8s ObjectMeta ksim accepts, unknown ones
/// refused (named `ObjectMeta` for serde's messages); the rare ones then go in their box.
#[derive(Deserialize)]
#[serde(rename = "ObjectMeta", rename_all = "camelCase", deny_unknown_fields)]
struct ObjectMetaIn {
    #[serde(default)]
    name: String,
    #[serde(default)]
    generate_name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    uid: String,
    #[serde(default)]
    resource_version: ResourceVersion,
    #[serde(default)]
    generation: i64,
    #[serde(default)]
    creation_timestamp: Option<Time>,
    #[serde(default)]
    deletion_timestamp: Option<Time>,
    #[serde(default)]
    deletion_grace_period_seconds: Option<i64>,
    #[serde(default)]
    labels: SharedMap,
    #[serde(default)]
    annotations: SharedMap,
    #[serde(default)]
    owner_references: Vec<OwnerReference>,
    #[serde(default)]
    finalizers: Vec<String>,
    #[serde(default)]
    managed_fields: Option<serde_json::Value>,
    #[serde(default)]
    self_link: Option<String>,
}

fn is_zero_rv(rv: &ResourceVersion) -> bool {
    rv.0 == 0
}

fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

impl From<ObjectMetaIn> for ObjectMeta {
    fn from(m: ObjectMetaIn) -> Self {
        ObjectMeta {
            name: m.name.into(),
            generate_name: m.generate_name.into(),
            namespace: m.namespace.into(),
            uid: m.uid.into(),
            resource_version: m.resource_version,
            creation_timestamp: m.creation_timestamp,
            labels: m.labels,
            annotations: m.annotations,
            owner_references: m.owner_references.into(),
            rare: RareMeta::from_fields(RareFields {
                generation: m.generation,
                deletion_timestamp: m.deletion_timestamp,
                deletion_grace_period_seconds: m.deletion_grace_period_seconds,
                finalizers: m.finalizers,
                managed_fields: m.managed_fields,
                self_link: m.self_link,
            }),
        }
    }
}

impl ObjectMeta {
    /// The controller owner reference, if any.
    pub fn controller_ref(&self) -> Option<&OwnerReference> {
        self.owner_references.iter().find(|r| r.controller == Some(true))
    }
    pub fn is_terminating(&self) -> bool {
        self.rare.deletion_timestamp.is_some()
    }
    pub fn finalizers(&self) -> &[String] {
        &self.rare.get().finalizers
    }
    pub fn finalizers_mut(&mut self) -> &mut Vec<String> {
        &mut self.rare.get_mut().finalizers
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OwnerReference {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub uid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_owner_deletion: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelector {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: Labels,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelectorRequirement {
    pub key: String,
    pub operator: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl LabelSelector {
    /// An empty selector matches everything (metav1.LabelSelectorAsSelector).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v)) && self.match_expressions.iter().all(|r| r.matches(labels))
    }

    /// Validation in the apiserver's words (ValidateLabelSelector), paths under `path`.
    pub fn validate(&self, path: &str) -> Vec<(String, String)> {
        let mut errs = Vec::new();
        for (i, r) in self.match_expressions.iter().enumerate() {
            let p = format!("{path}.matchExpressions[{i}]");
            match r.operator.as_str() {
                "In" | "NotIn" => {
                    if r.values.is_empty() {
                        errs.push((format!("{p}.values"), "Required value: must be specified when `operator` is 'In' or 'NotIn'".into()));
                    }
                }
                "Exists" | "DoesNotExist" => {
                    if !r.values.is_empty() {
                        errs.push((format!("{p}.values"), "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'".into()));
                    }
                }
                other => errs.push((format!("{p}.operator"), format!("Invalid value: {other:?}: not a valid selector operator"))),
            }
        }
        errs
    }

    /// `app=web,tier in (a,b)` — kubectl's selector string.
    pub fn to_selector_string(&self) -> String {
        let mut parts: Vec<String> = self.match_labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        for r in &self.match_expressions {
            parts.push(match r.operator.as_str() {
                "In" => format!("{} in ({})", r.key, r.values.join(",")),
                "NotIn" => format!("{} notin ({})", r.key, r.values.join(",")),
                "Exists" => r.key.clone(),
                _ => format!("!{}", r.key),
            });
        }
        parts.join(",")
    }
}

impl LabelSelectorRequirement {
    pub fn matches(&self, labels: &Labels) -> bool {
        let v = labels.get(&self.key);
        match self.operator.as_str() {
            "In" => v.is_some_and(|v| self.values.contains(v)),
            "NotIn" => v.is_none_or(|v| !self.values.contains(v)),
            "Exists" => v.is_some(),
            "DoesNotExist" => v.is_none(),
            _ => false,
        }
    }
}

/// An `intstr.IntOrString` (e.g. maxSurge `25%` or `1`, targetPort `http` or `8080`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IntOrString {
    Int(i32),
    String(String),
}

impl IntOrString {
    /// intstr.GetScaledValueFromIntOrPercent.
    pub fn scaled_value(&self, total: i32, round_up: bool) -> Result<i32, String> {
        match self {
            IntOrString::Int(i) => Ok(*i),
            IntOrString::String(s) => {
                let pct = s
                    .strip_suffix('%')
                    .and_then(|p| p.parse::<i64>().ok())
                    .ok_or_else(|| format!("invalid value for IntOrString: invalid type: string is not a percentage: {s:?}"))?;
                let prod = pct.saturating_mul(i64::from(total));
                let v = if round_up { prod.saturating_add(99).div_euclid(100) } else { prod.div_euclid(100) };
                Ok(v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
            }
        }
    }
}

impl std::fmt::Display for IntOrString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntOrString::Int(i) => write!(f, "{i}"),
            IntOrString::String(s) => f.write_str(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Text` orders as its string, and a copy is equal to it.
    #[test]
    fn texts_order_as_their_strings() {
        use proptest::prelude::*;
        proptest!(|(a in ".{0,6}", b in ".{0,6}")| {
            let (x, y) = (Text::from(a.as_str()), Text::from(b.as_str()));
            prop_assert_eq!(x.cmp(&y), a.cmp(&b));
            prop_assert_eq!(x.partial_cmp(&y), Some(a.cmp(&b)));
            prop_assert_eq!(x.cmp(&x.clone()), std::cmp::Ordering::Equal);
        });
        // Two copies of one string, not shared: equal by their bytes.
        let (a, b) = (Text::from("web-abc12"), Text::from("web-abc12"));
        assert!(!a.shares(&b) && a.cmp(&b) == std::cmp::Ordering::Equal);
    }

    /// `Text::concat` is the parts joined, whatever their lengths and characters.
    #[test]
    fn concat_joins_its_parts() {
        assert_eq!(Text::concat(&[]), "");
        assert_eq!(Text::concat(&["web-", "", "x7k2q"]), "web-x7k2q");
        let long = "é".repeat(300);
        assert_eq!(Text::concat(&[&long, ".", "ü"]), format!("{long}.ü"));
    }

    /// A Pod's and an Event's apiVersion and kind read and write as their strings; any
    /// value but the kind's own is refused with serde's words.
    #[test]
    fn type_fields_read_and_write_as_strings() {
        use crate::api::pod::Pod;
        let p: Pod = serde_json::from_str(r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}"#).unwrap();
        assert_eq!((&*p.api_version, &*p.kind), ("v1", "Pod"));
        assert!(serde_json::to_string(&p).unwrap().starts_with(r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a""#));
        let p: Pod = serde_json::from_str(r#"{"metadata":{"name":"a"}}"#).unwrap();
        assert_eq!((&*p.api_version, &*p.kind), ("", ""));
        assert!(serde_json::to_string(&p).unwrap().starts_with(r#"{"apiVersion":"","kind":"","metadata""#));
        let err = serde_json::from_str::<Pod>(r#"{"apiVersion":"v2"}"#).unwrap_err().to_string();
        assert!(err.starts_with(r#"invalid value: string "v2", expected v1"#), "{err}");
        let mut e = crate::api::event::Event::default();
        (e.api_version, e.kind) = ("v1".into(), "Event".into());
        assert_eq!(format!("{:?} {:?}", e.api_version, e.kind), r#""v1" "Event""#);
    }

    /// The rare fields are written in their places in ObjectMeta's order (selfLink, kept
    /// only to load old manifests, last), read back into their box, and absent from an
    /// object that has none: it compares equal to one whose box holds only defaults.
    #[test]
    fn object_meta_writes_its_rare_fields_in_place() {
        let json = r#"{"name":"web","namespace":"default","uid":"u","resourceVersion":"7","generation":2,"creationTimestamp":"2026-01-01T00:00:01Z","deletionTimestamp":"2026-01-01T00:00:31Z","deletionGracePeriodSeconds":30,"labels":{"app":"web"},"finalizers":["f"],"selfLink":"/x"}"#;
        let m: ObjectMeta = serde_json::from_str(json).unwrap();
        assert_eq!((m.rare.generation, m.rare.deletion_grace_period_seconds, m.rare.finalizers.as_slice()), (2, Some(30), &["f".to_string()][..]));
        assert_eq!(serde_json::to_string(&m).unwrap(), json);
        let plain: ObjectMeta = serde_json::from_str(r#"{"name":"web"}"#).unwrap();
        assert!(plain.rare.0.is_none());
        let mut touched = plain.clone();
        touched.rare.generation = 0;
        assert!(touched.rare.0.is_some());
        assert_eq!(touched, plain);
        assert_eq!(serde_json::to_string(&touched).unwrap(), r#"{"name":"web"}"#);
    }

    /// A pod condition's reason and message read and write as strings; an empty one is
    /// not written, holds no allocation, and equals the default however it was made.
    #[test]
    fn texts_read_and_write_as_strings() {
        use crate::api::pod::PodCondition;
        let c: PodCondition =
            serde_json::from_str(r#"{"type":"Ready","status":"False","reason":"","message":"containers with unready status: [web]"}"#).unwrap();
        assert!(c.reason.is_empty() && ArcStr::is_static(&c.reason.0));
        assert_eq!(c.reason, Text::default());
        assert_eq!(c.message, "containers with unready status: [web]");
        assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"type":"Ready","status":"False","message":"containers with unready status: [web]"}"#);
        assert_eq!(Text::from(String::new()), Text::from(""));
        assert_eq!(format!("{} {:?}", c.message, Text::from("x")), r#"containers with unready status: [web] "x""#);
    }

    /// A condition's common words are one shared copy however they are made (read from
    /// JSON, written by a component); other strings have their own; copies share theirs.
    #[test]
    fn texts_share_their_common_words_and_copies() {
        use crate::api::pod::PodCondition;
        let c: PodCondition = serde_json::from_str(r#"{"type":"Ready","status":"True"}"#).unwrap();
        let shared = |a: &Text, b: &Text| a.shares(b);
        assert!(shared(&c.type_, &Text::from("Ready")) && shared(&c.status, &Text::from(String::from("True"))));
        // The words are static: no allocation, no count.
        assert!(c.type_.is_static() && Text::from(String::from("kube-system")).is_static());
        let (a, b) = (Text::from("containers with unready status: [web]"), Text::from("containers with unready status: [web]"));
        assert!(a == b && !shared(&a, &b));
        assert!(shared(&a, &a.clone()) && !a.is_static());
        let written = String::from("True");
        assert!("Ready" == c.type_ && written == c.status && c.type_.as_ref() == "Ready");
    }

    /// `clone_from` makes what `clone` makes, whatever the metadata written over held.
    #[test]
    fn metadata_cloned_over_another_is_its_clone() {
        let mut stored = ObjectMeta { name: "web-1".into(), namespace: "default".into(), uid: "u-1".into(), ..Default::default() };
        stored.labels.insert("app".into(), "web".into());
        stored.rare.generation = 3;
        stored.resource_version = ResourceVersion(7);
        let mut request = ObjectMeta { name: "web-1".into(), generate_name: "web-".into(), namespace: "default".into(), ..Default::default() };
        request.annotations.insert("stale".into(), "yes".into());
        request.clone_from(&stored);
        assert_eq!(request, stored);
        assert_eq!(request, stored.clone());
    }

    /// Copies share one map until one of them changes it; an empty map is one; the JSON
    /// is the map's.
    #[test]
    fn shared_maps_copy_on_write() {
        let a: SharedMap = [("app".to_string(), "web".to_string())].into();
        let mut b = a.clone();
        assert!(matches!((&a.0, &b.0), (Some(x), Some(y)) if std::rc::Rc::ptr_eq(x, y)));
        b.insert("tier".into(), "front".into());
        assert_eq!(a.len(), 1);
        assert_eq!(b.len(), 2);
        assert_ne!(a, b);
        let mut emptied = a.clone();
        emptied.remove("app");
        assert_eq!(emptied, SharedMap::default());
        assert_eq!(SharedMap::from(Labels::new()).0, None);
        assert_eq!(serde_json::to_string(&b).unwrap(), r#"{"app":"web","tier":"front"}"#);
        let back: SharedMap = serde_json::from_str(r#"{"tier":"front","app":"web"}"#).unwrap();
        assert_eq!(back, b);
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn selectors_match_like_apimachinery() {
        let sel = LabelSelector {
            match_labels: labels(&[("app", "web")]),
            match_expressions: vec![
                LabelSelectorRequirement { key: "tier".into(), operator: "In".into(), values: vec!["a".into(), "b".into()] },
                LabelSelectorRequirement { key: "canary".into(), operator: "DoesNotExist".into(), values: vec![] },
            ],
        };
        assert!(sel.matches(&labels(&[("app", "web"), ("tier", "a")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "c")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "a"), ("canary", "1")])));
        assert!(LabelSelector::default().matches(&labels(&[("x", "y")])));
        assert_eq!(sel.to_selector_string(), "app=web,tier in (a,b),!canary");
    }

    #[test]
    fn times_round_trip_rfc3339() {
        assert_eq!(Time(SimTime(0)).rfc3339(), "2026-01-01T00:00:00Z");
        // 2026-01-01 is a Thursday; 2026-03-01 a Sunday.
        assert_eq!(Time(SimTime(0)).rfc1123z(), "Thu, 01 Jan 2026 00:00:00 +0000");
        assert_eq!(Time(SimTime(86_400_000 * 59 + 1500)).rfc1123z(), "Sun, 01 Mar 2026 00:00:01 +0000");
        assert_eq!(Time(SimTime(86_400_000 * 59 + 1500)).rfc3339(), "2026-03-01T00:00:01Z");
        assert_eq!(Time::parse_rfc3339("2026-01-01T00:00:01.5Z"), Ok(Time(SimTime(1500))));
        for ms in [0u64, 1000, 3_600_000, 86_400_000 * 400 + 7000] {
            let t = Time(SimTime(ms));
            assert_eq!(Time::parse_rfc3339(&t.rfc3339()), Ok(t));
        }
        assert_eq!(Time::parse_rfc3339("2020-01-01T00:00:00Z"), Ok(Time(SimTime(0))));
        assert!(Time::parse_rfc3339("yesterday").is_err());
    }

    /// A `MaybeTime` is the `Option<Time>` it stands for: on the wire (a time's string,
    /// or null), through `get` and `From`, at the ends of the times a manifest can give.
    #[test]
    fn a_maybe_time_is_an_optional_time() {
        let last = Time::parse_rfc3339("9999-12-31T23:59:59Z").unwrap();
        for t in [None, Some(Time(SimTime(0))), Some(Time(SimTime(1500))), Some(last)] {
            let m = MaybeTime::from(t);
            assert_eq!(m.get(), t);
            assert_eq!(m.is_none(), t.is_none());
            assert_eq!(serde_json::to_string(&m).unwrap(), serde_json::to_string(&t).unwrap());
            // (The wire keeps whole seconds, as metav1.Time does.)
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(serde_json::from_str::<MaybeTime>(&json).unwrap().get(), serde_json::from_str::<Option<Time>>(&json).unwrap());
            assert_eq!(format!("{m:?}"), format!("{t:?}"));
        }
        assert_eq!(MaybeTime::default(), MaybeTime::NONE);
        assert_eq!(std::mem::size_of::<MaybeTime>(), 8);
    }

    /// The digits placed by hand are `format!`'s: at the turns of minutes, hours, days,
    /// months, leap days, centuries and the year 10,000 (where the hand path gives way),
    /// and at random moments up to the end of `SimTime`.
    #[test]
    fn rfc3339_by_hand_is_formats() {
        use proptest::prelude::*;
        let by_format = |t: Time| {
            let (y, m, d, hh, mm, ss) = t.civil();
            format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
        };
        let day = 86_400_000u64;
        let mut edges = vec![0u64, 999, 1000, 59_999, 60_000, 3_599_999, 3_600_000, day - 1, day];
        // 2028-02-29 (a leap day), 2100-03-01 (a century without one), 9999-12-31 and
        // 10000-01-01, counted in days from 2026-01-01.
        for civil in [(2028, 2, 29), (2028, 3, 1), (2100, 2, 28), (2100, 3, 1), (2400, 2, 29), (9999, 12, 31), (10_000, 1, 1), (123_456, 7, 8)] {
            let days = (days_from_civil(civil.0, civil.1, civil.2) - EPOCH_DAYS) as u64;
            edges.extend([days * day, days * day + day - 1, (days * day).saturating_sub(1)]);
        }
        for ms in edges {
            let t = Time(SimTime(ms));
            assert_eq!(t.rfc3339(), by_format(t), "{ms}");
        }
        assert_eq!(Time(SimTime((days_from_civil(10_000, 1, 1) - EPOCH_DAYS) as u64 * day)).rfc3339(), "10000-01-01T00:00:00Z");
        proptest!(ProptestConfig::with_cases(2000), |(ms in prop_oneof![0u64..day * 366 * 10, any::<u64>()])| {
            let t = Time(SimTime(ms));
            prop_assert_eq!(t.rfc3339(), by_format(t));
        });
    }

    #[test]
    fn percentages_scale_like_intstr() {
        let p = IntOrString::String("25%".into());
        assert_eq!(p.scaled_value(10, true), Ok(3));
        assert_eq!(p.scaled_value(10, false), Ok(2));
        assert_eq!(IntOrString::Int(1).scaled_value(10, true), Ok(1));
        assert!(IntOrString::String("x".into()).scaled_value(10, true).is_err());
    }
}
