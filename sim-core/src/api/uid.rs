//! A uid as a map key that compares without reading the heap.
//!
//! The apiserver gives every object a random RFC 4122 uid in canonical lowercase form
//! (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, upstream apimachinery's `uuid.NewUUID`,
//! here [`crate::apiserver::ApiServer::new_uid`]). The large uid-keyed maps (the
//! scheduler's pods, the informers' objects by uid, a ReplicaSet's pods) held those
//! uids as `String`s, so every comparison in a descent followed a pointer to the key's
//! bytes and called `memcmp`: at 150,000 pods those descents were a visible share of
//! the run, mostly waiting on memory. [`UidKey`] keeps a canonical uid as its 128 bits,
//! inline in the B-tree node, and compares two of them as two integers.
//!
//! The order is the strings' order, exactly: in a canonical uid the dashes sit at the
//! same places and the hex digits `0-9a-f` sort as their values, so comparing the bits
//! is comparing the strings. Any other uid (a static pod's hash, a test's `"u1"`) is kept
//! as its string and compared as a string, with a canonical one rendered back to its
//! text when the two meet. A map keyed by `UidKey` therefore iterates in the order the
//! same map keyed by `String` did, and nothing a run prints or hashes changes.
//!
//! Written by hand: no crate orders a UUID by its text when mixed with other strings.

use std::cmp::Ordering;
use std::fmt;

#[derive(Clone, PartialEq, Eq)]
enum Repr {
    /// A canonical lowercase uid's 128 bits, high half first (two `u64`s rather than a
    /// `u128`: alignment 8 keeps the key at 24 bytes, the size of a `String`).
    Canonical(u64, u64),
    /// Anything else, as written.
    Other(Box<str>),
}

/// A uid for use as a map key: see the module documentation.
#[derive(Clone, PartialEq, Eq)]
pub struct UidKey(Repr);

/// The dash positions of a canonical uid.
const DASHES: [usize; 4] = [8, 13, 18, 23];

impl UidKey {
    #[inline]
    pub fn new(uid: &str) -> UidKey {
        UidKey(match parse(uid.as_bytes()) {
            Some((hi, lo)) => Repr::Canonical(hi, lo),
            None => Repr::Other(uid.into()),
        })
    }

    /// Calls `f` with the uid's text (rendered on the stack for a canonical one).
    pub fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match &self.0 {
            Repr::Canonical(hi, lo) => {
                let buf = render((u128::from(*hi) << 64) | u128::from(*lo));
                f(std::str::from_utf8(&buf).expect("hex digits and dashes are ASCII"))
            }
            Repr::Other(s) => f(s),
        }
    }
}

/// Where the 32 hex digits of a canonical uid are.
const DIGITS: [u8; 32] = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35];

/// A lowercase hex digit's value; 0x80 for any other byte.
pub(crate) const HEX_VALUE: [u8; 256] = {
    let mut t = [0x80u8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// The 128 bits of a canonical lowercase uid (high half, low half), or `None` for any
/// other string. Every map lookup parses its uid, so this is a table and no branches.
#[inline]
fn parse(b: &[u8]) -> Option<(u64, u64)> {
    if b.len() != 36 || DASHES.iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let (mut hi, mut lo, mut bad) = (0u64, 0u64, 0u8);
    for &p in &DIGITS[..16] {
        let v = HEX_VALUE[usize::from(b[usize::from(p)])];
        bad |= v;
        hi = (hi << 4) | u64::from(v & 0xf);
    }
    for &p in &DIGITS[16..] {
        let v = HEX_VALUE[usize::from(b[usize::from(p)])];
        bad |= v;
        lo = (lo << 4) | u64::from(v & 0xf);
    }
    (bad & 0x80 == 0).then_some((hi, lo))
}

fn render(n: u128) -> [u8; 36] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'-'; 36];
    let mut shift = 128;
    for (i, slot) in out.iter_mut().enumerate() {
        if DASHES.contains(&i) {
            continue;
        }
        shift -= 4;
        *slot = HEX[((n >> shift) & 0xf) as usize];
    }
    out
}

impl Ord for UidKey {
    /// Two canonical uids compare inline; the rest out of line.
    #[inline]
    fn cmp(&self, other: &UidKey) -> Ordering {
        match (&self.0, &other.0) {
            (Repr::Canonical(a, b), Repr::Canonical(c, d)) => (a, b).cmp(&(c, d)),
            _ => self.cmp_as_text(other),
        }
    }
}

impl UidKey {
    #[inline(never)]
    fn cmp_as_text(&self, other: &UidKey) -> Ordering {
        match (&self.0, &other.0) {
            (Repr::Other(a), Repr::Other(b)) => a.cmp(b),
            _ => self.with_str(|a| other.with_str(|b| a.cmp(b))),
        }
    }
}

impl PartialOrd for UidKey {
    #[inline]
    fn partial_cmp(&self, other: &UidKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for UidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| f.write_str(s))
    }
}

/// As the string's `Debug`, so a map of these prints as the `String`-keyed map did.
impl fmt::Debug for UidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| fmt::Debug::fmt(s, f))
    }
}

/// A map by uid with [`UidKey`] keys behind a `&str` interface: `get(uid)` as on a
/// `BTreeMap<String, V>`, the same iteration order, the keys inline.
#[derive(Clone, Debug)]
pub struct UidMap<V>(std::collections::BTreeMap<UidKey, V>);

impl<V> Default for UidMap<V> {
    fn default() -> Self {
        UidMap(Default::default())
    }
}

impl<V> UidMap<V> {
    #[inline]
    pub fn get(&self, uid: &str) -> Option<&V> {
        self.0.get(&UidKey::new(uid))
    }
    #[inline]
    pub fn get_mut(&mut self, uid: &str) -> Option<&mut V> {
        self.0.get_mut(&UidKey::new(uid))
    }
    #[inline]
    pub fn contains_key(&self, uid: &str) -> bool {
        self.0.contains_key(&UidKey::new(uid))
    }
    #[inline]
    pub fn insert(&mut self, uid: &str, v: V) -> Option<V> {
        self.0.insert(UidKey::new(uid), v)
    }
    #[inline]
    pub fn remove(&mut self, uid: &str) -> Option<V> {
        self.0.remove(&UidKey::new(uid))
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// In the uids' order, as the strings sort.
    pub fn iter(&self) -> std::collections::btree_map::Iter<'_, UidKey, V> {
        self.0.iter()
    }
    pub fn keys(&self) -> std::collections::btree_map::Keys<'_, UidKey, V> {
        self.0.keys()
    }
    pub fn values(&self) -> std::collections::btree_map::Values<'_, UidKey, V> {
        self.0.values()
    }
    pub fn values_mut(&mut self) -> std::collections::btree_map::ValuesMut<'_, UidKey, V> {
        self.0.values_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_canonical_uid_is_kept_inline_and_round_trips() {
        let u = "0f8fad5b-d9cb-469f-a165-70867728950e";
        let k = UidKey::new(u);
        assert!(matches!(k.0, Repr::Canonical(..)));
        assert_eq!(k.to_string(), u);
        assert_eq!(format!("{k:?}"), format!("{u:?}"));
        assert_eq!(std::mem::size_of::<UidKey>(), std::mem::size_of::<String>());
    }

    #[test]
    fn near_canonical_strings_are_kept_as_written() {
        for s in [
            "0F8FAD5B-D9CB-469F-A165-70867728950E", // upper case sorts differently
            "0f8fad5bd9cb469fa16570867728950e",     // no dashes (a static pod's hash)
            "0f8fad5b-d9cb-469f-a165-70867728950",  // one short
            "0f8fad5b-d9cb-469f-a165-70867728950g",
            "0f8fad5b+d9cb-469f-a165-70867728950e",
            "",
            "u1",
        ] {
            let k = UidKey::new(s);
            assert!(matches!(k.0, Repr::Other(_)), "{s}");
            assert_eq!(k.to_string(), s);
        }
    }

    fn canonical() -> impl Strategy<Value = String> {
        // Few distinct digits, so that long shared prefixes and equal uids occur.
        proptest::collection::vec(prop_oneof![Just(b'0'), Just(b'9'), Just(b'a'), Just(b'f')], 32).prop_map(|d| {
            let mut s = String::new();
            for (i, c) in d.into_iter().enumerate() {
                if matches!(i, 8 | 12 | 16 | 20) {
                    s.push('-');
                }
                s.push(c as char);
            }
            s
        })
    }

    fn any_uid() -> impl Strategy<Value = String> {
        prop_oneof![
            canonical(),
            // A canonical uid cut short or extended, or with a digit or dash replaced by
            // a byte that sorts just around it: the mixed comparisons' edge cases.
            (canonical(), 0usize..37, prop_oneof![Just(""), Just("-"), Just("/"), Just(":"), Just("`"), Just("g"), Just("A"), Just("0")])
                .prop_map(|(s, at, ins)| format!("{}{}{}", &s[..at], ins, &s[(at + 1).min(36)..])),
            "[0-9a-f-]{0,40}",
            "\\PC{0,8}",
        ]
    }

    #[test]
    fn a_uid_map_iterates_as_a_string_map() {
        let uids = ["u1", "0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5b-d9cb-469f-a165-70867728950", "ffffffff-0000-4000-8000-000000000000", "1"];
        let mut m = UidMap::default();
        let mut s = std::collections::BTreeMap::new();
        for (i, u) in uids.iter().enumerate() {
            m.insert(u, i);
            s.insert(u.to_string(), i);
        }
        assert_eq!(m.remove("1"), s.remove("1"));
        assert_eq!(m.get("u1"), Some(&0));
        assert!(m.contains_key(uids[1]) && !m.contains_key("1"));
        let got: Vec<(String, usize)> = m.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let want: Vec<(String, usize)> = s.into_iter().collect();
        assert_eq!(got, want);
    }

    proptest! {
        /// The key orders and equates as the string does, for any pair.
        #[test]
        fn orders_as_the_string(a in any_uid(), b in any_uid()) {
            prop_assert_eq!(UidKey::new(&a).cmp(&UidKey::new(&b)), a.cmp(&b));
            prop_assert_eq!(UidKey::new(&a) == UidKey::new(&b), a == b);
            prop_assert_eq!(UidKey::new(&a).to_string(), a);
        }
    }
}
