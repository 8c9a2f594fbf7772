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
#[cfg(test)]
const DIGITS: [u8; 32] = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35];

/// A lowercase hex digit's value; 0x80 for any other byte (the tests' reference parse).
#[cfg(test)]
const HEX_VALUE: [u8; 256] = {
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
/// other string. Every map lookup parses its uid (it was 2.4 % of the density bench
/// digit by digit), so the digits are read eight at a time ([`hex8`]).
#[inline]
fn parse(b: &[u8]) -> Option<(u64, u64)> {
    let b: &[u8; 36] = b.try_into().ok()?;
    if DASHES.iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let word = |at: usize| b[at..].first_chunk::<8>().map(|c| u64::from_be_bytes(*c));
    let half = |at: usize| b[at..].first_chunk::<4>().map(|c| u64::from(u32::from_be_bytes(*c)));
    // The digits at 0..8, 9..13 and 14..18 (high half), 19..23 and 24..36 (low half).
    let (g0, g3) = (hex8(word(0)?)?, hex8(word(28)?)?);
    let (g1, g2) = (hex8((half(9)? << 32) | half(14)?)?, hex8((half(19)? << 32) | half(24)?)?);
    Some(((u64::from(g0) << 32) | u64::from(g1), (u64::from(g2) << 32) | u64::from(g3)))
}

/// A canonical uid's 128 bits (high half, low half), or `None` for any other string:
/// what a compact stored Event keeps of its uid (etcd/events.rs).
#[inline]
pub(crate) fn canonical_bits(uid: &str) -> Option<(u64, u64)> {
    parse(uid.as_bytes())
}

/// The text of a canonical uid from its 128 bits (`canonical_bits`' inverse).
pub(crate) fn canonical_text((hi, lo): (u64, u64)) -> String {
    let buf = render((u128::from(hi) << 64) | u128::from(lo));
    std::str::from_utf8(&buf).expect("hex digits and dashes are ASCII").to_string()
}

/// The 64 bits that sixteen ASCII lowercase hex digits spell, or `None` if a byte is not
/// one of `0-9a-f` (an Event's name's stamp, etcd/events.rs).
#[inline]
pub(crate) fn hex16(digits: &[u8; 16]) -> Option<u64> {
    let (hi, lo) = digits.split_first_chunk::<8>()?;
    let lo: &[u8; 8] = lo.try_into().ok()?;
    Some((u64::from(hex8(u64::from_be_bytes(*hi))?) << 32) | u64::from(hex8(u64::from_be_bytes(*lo))?))
}

/// The 32 bits that eight ASCII lowercase hex digits spell (the first in `x`'s top
/// byte), or `None` if a byte is not one of `0-9a-f`. Each byte is checked against the
/// two ranges at once (Bit Twiddling Hacks' `hasbetween`, exact for every byte: the
/// sums cannot carry from one byte into the next), then its value is its low nibble,
/// plus 9 for a letter (bit 6 set), and the eight nibbles are packed by halving.
#[inline]
fn hex8(x: u64) -> Option<u32> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    let low7 = x & (ONES * 0x7f);
    // The top bit of each byte of x strictly between m and n (m < 128, n <= 128).
    let between = |m: u64, n: u64| (ONES * (127 + n)).wrapping_sub(low7) & !x & (low7 + ONES * (127 - m)) & HIGH;
    if between(b'0' as u64 - 1, b'9' as u64 + 1) | between(b'a' as u64 - 1, b'f' as u64 + 1) != HIGH {
        return None;
    }
    let v = (x & (ONES * 0x0f)) + ((x >> 6) & ONES) * 9;
    let v = (v | (v >> 4)) & 0x00ff_00ff_00ff_00ff;
    let v = (v | (v >> 8)) & 0x0000_ffff_0000_ffff;
    Some(((v | (v >> 16)) & 0xffff_ffff) as u32)
}

/// The parse digit by digit, which `parse` replaced: the reference its tests compare
/// it with.
#[cfg(test)]
fn parse_by_digit(b: &[u8]) -> Option<(u64, u64)> {
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

/// A table by uid that is only looked up, never walked: the scheduler's cached pods and
/// the controller manager's objects by uid, each looked up at every write of a pod. At
/// 150,000 pods a `BTreeMap` descent there is four or five nodes apart in memory, a
/// cache miss each; a hash table finds the entry in one probe, usually one miss.
///
/// sim-core keeps hash maps out (tests/purity.rs) because their iteration order is not
/// the run's: this table offers no iteration at all — `get`, `insert`, `remove`, and
/// [`UidTable::any`], whose answer does not depend on the order it looks in — so what a
/// run does cannot depend on where the entries sit. Its `Debug` lists the entries in
/// the uids' order, as the `BTreeMap` it replaces printed them.
///
/// hashbrown's `HashTable` (the table std's `HashMap` is built on) with the hash given
/// at each call: a canonical uid's 128 bits are random already (the apiserver draws
/// them from the run's seeded generator, a version-4 uid's version nibble and variant
/// bits aside), so the two halves are only folded and multiplied, which spreads the
/// randomness over every bit the table takes (its bucket from the low bits, its control
/// byte from the top ones of the pointer-sized hash); any other uid's text is hashed
/// byte by byte (FNV-1a). The hash is the same on every target (64-bit arithmetic), but
/// the table's layout is not (wasm32 keeps 32 bits of it, and the probe groups differ
/// in width): nothing reads that layout, which is why no iteration is offered.
pub struct UidTable<V>(hashbrown::HashTable<(UidKey, V)>);

impl<V> Default for UidTable<V> {
    fn default() -> Self {
        UidTable(hashbrown::HashTable::new())
    }
}

impl UidKey {
    /// The table's hash of the key (see [`UidTable`]).
    #[inline]
    fn table_hash(&self) -> u64 {
        const K: u64 = 0x9e37_79b9_7f4a_7c15; // 2^64 / the golden ratio, odd
        match &self.0 {
            Repr::Canonical(hi, lo) => (hi ^ lo.rotate_left(32)).wrapping_mul(K),
            Repr::Other(s) => s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)).wrapping_mul(K),
        }
    }
}

impl<V> UidTable<V> {
    #[inline]
    pub fn get(&self, k: &UidKey) -> Option<&V> {
        self.0.find(k.table_hash(), |(x, _)| x == k).map(|(_, v)| v)
    }

    #[inline]
    pub fn get_mut(&mut self, k: &UidKey) -> Option<&mut V> {
        self.0.find_mut(k.table_hash(), |(x, _)| x == k).map(|(_, v)| v)
    }

    #[inline]
    pub fn contains_key(&self, k: &UidKey) -> bool {
        self.get(k).is_some()
    }

    /// Files `v` under `k`; the value it replaces, if any.
    pub fn insert(&mut self, k: UidKey, v: V) -> Option<V> {
        let hash = k.table_hash();
        match self.0.entry(hash, |(x, _)| *x == k, |(x, _)| x.table_hash()) {
            hashbrown::hash_table::Entry::Occupied(mut e) => Some(std::mem::replace(&mut e.get_mut().1, v)),
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert((k, v));
                None
            }
        }
    }

    pub fn remove(&mut self, k: &UidKey) -> Option<V> {
        match self.0.find_entry(k.table_hash(), |(x, _)| x == k) {
            Ok(e) => Some(e.remove().0 .1),
            Err(_) => None,
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether any value satisfies `f` (a predicate without effects: the answer is the
    /// same in whatever order the values are tried).
    pub fn any(&self, f: impl Fn(&V) -> bool) -> bool {
        self.0.iter().any(|(_, v)| f(v))
    }
}

/// The entries in the uids' order (a `BTreeMap<UidKey, V>`'s `Debug`).
impl<V: fmt::Debug> fmt::Debug for UidTable<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut entries: Vec<&(UidKey, V)> = self.0.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        f.debug_map().entries(entries.into_iter().map(|(k, v)| (k, v))).finish()
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

    #[test]
    fn eight_digits_are_read_as_one_at_a_time_for_every_byte_anywhere() {
        let base = *b"0123abcd";
        for at in 0..8 {
            for byte in 0..=255u8 {
                let mut w = base;
                w[at] = byte;
                let one_at_a_time = w.iter().try_fold(0u32, |acc, &c| {
                    let v = HEX_VALUE[usize::from(c)];
                    (v & 0x80 == 0).then_some((acc << 4) | u32::from(v))
                });
                assert_eq!(hex8(u64::from_be_bytes(w)), one_at_a_time, "{w:?}");
            }
        }
        assert_eq!(hex8(u64::from_be_bytes(*b"ffffffff")), Some(u32::MAX));
        assert_eq!(hex8(u64::from_be_bytes(*b"00000000")), Some(0));
    }

    proptest! {
        /// A `UidTable` answers as a `BTreeMap<UidKey, _>` after any inserts, replaces
        /// and removes of uids drawn from a pool of eight (canonical or not), so that
        /// each is inserted, replaced and removed again and again, and prints as it does.
        #[test]
        fn a_uid_table_answers_as_a_map(
            pool in proptest::collection::vec(any_uid(), 8),
            ops in proptest::collection::vec((0usize..8, 0u8..3, any::<u16>()), 0..200),
        ) {
            let ops: Vec<(&String, u8, u16)> = ops.into_iter().map(|(i, op, v)| (&pool[i], op, v)).collect();
            let mut t = UidTable::default();
            let mut m = std::collections::BTreeMap::new();
            for (u, op, v) in &ops {
                let k = UidKey::new(u);
                match op {
                    0 | 1 => prop_assert_eq!(t.insert(k.clone(), *v), m.insert(k, *v)),
                    _ => prop_assert_eq!(t.remove(&k), m.remove(&k)),
                }
                prop_assert_eq!(t.len(), m.len());
            }
            for (u, _, v) in &ops {
                let k = UidKey::new(u);
                prop_assert_eq!(t.get(&k), m.get(&k));
                prop_assert_eq!(t.contains_key(&k), m.contains_key(&k));
                if let Some(x) = t.get_mut(&k) {
                    *x = *v;
                    m.insert(k, *v);
                }
                prop_assert_eq!(t.any(|x| x == v), m.values().any(|x| x == v));
            }
            prop_assert_eq!(format!("{t:?}"), format!("{m:?}"));
        }
    }

    proptest! {
        /// The parse eight digits at a time agrees with the parse digit by digit.
        #[test]
        fn parses_as_digit_by_digit(a in any_uid(), bytes in proptest::collection::vec(any::<u8>(), 36)) {
            prop_assert_eq!(parse(a.as_bytes()), parse_by_digit(a.as_bytes()));
            let mut dashed = bytes;
            for i in DASHES {
                dashed[i] = b'-';
            }
            prop_assert_eq!(parse(&dashed), parse_by_digit(&dashed));
        }

        /// The key orders and equates as the string does, for any pair.
        #[test]
        fn orders_as_the_string(a in any_uid(), b in any_uid()) {
            prop_assert_eq!(UidKey::new(&a).cmp(&UidKey::new(&b)), a.cmp(&b));
            prop_assert_eq!(UidKey::new(&a) == UidKey::new(&b), a == b);
            prop_assert_eq!(UidKey::new(&a).to_string(), a);
        }
    }
}
