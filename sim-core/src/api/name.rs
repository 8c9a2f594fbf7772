//! An object's name as a map key that compares without reading the heap.
//!
//! The store and the informers keep objects by namespace and name
//! ([`super::object::ObjectMap`]). Keyed by `String`, every comparison in a descent
//! followed a pointer to the key's bytes and called `memcmp`; at 150,000 pods (and four
//! Events a pod) those descents were a large share of the run's `memcmp` time, mostly
//! waiting on memory. [`NameKey`] keeps a name of up to 46 bytes inline in the B-tree
//! node (the key is 48 bytes: the length and the variant take the other two),
//! zero-padded, and compares two of them eight bytes at a time as big-endian integers.
//! Kubernetes names are DNS subdomains of up to 253 bytes, but the generated ones are
//! short: a Deployment's pod is its name plus 17 bytes, the pod's Events 17 more. A
//! longer name is kept on the heap.
//!
//! The price: a key is 48 bytes where a `String` is 24 plus its text on the heap, so a
//! short name (a node's) takes more room, and the B-tree's empty slots are bigger. With
//! 48 bytes inline (a 56-byte key) that slack cost 20 MB at 150,000 pods; at 46 the peak
//! is what it was with `String`s.
//!
//! The order is the strings' order, exactly. Two inline names compare by their padded
//! bytes, then by length: where one is a prefix of the other, the padding and the longer
//! name's bytes compare equal or the longer is greater, and the lengths then put the
//! prefix first; anywhere else the first differing byte decides, as for the strings. An
//! inline name meeting a heap one compares as bytes. A map keyed by `NameKey` iterates
//! as the same map keyed by `String`, so nothing a run prints or hashes changes.
//!
//! Looking up a name longer than 46 bytes builds a heap key (one short allocation): a
//! `BTreeMap` can only be searched with a value its keys borrow as.
//!
//! Written by hand: the small-string crates (compact_str, smartstring) order by `memcmp`
//! on the text and hold 24 bytes inline, less than an Event's name.

use std::cmp::Ordering;
use std::fmt;

/// The bytes kept inline: five words and six bytes.
const INLINE: usize = 46;

#[derive(Clone, PartialEq, Eq)]
enum Repr {
    /// A name of up to `INLINE` bytes, zero-padded (the padding is part of equality).
    Inline { len: u8, bytes: [u8; INLINE] },
    /// A longer one.
    Heap(Box<str>),
}

/// A name for use as a map key: see the module documentation.
#[derive(Clone, PartialEq, Eq)]
pub struct NameKey(Repr);

impl NameKey {
    #[inline]
    pub fn new(name: &str) -> NameKey {
        let b = name.as_bytes();
        if b.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..b.len()].copy_from_slice(b);
            NameKey(Repr::Inline { len: b.len() as u8, bytes })
        } else {
            NameKey(Repr::Heap(name.into()))
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).expect("made from a str")
    }

    fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Heap(s) => s.as_bytes(),
        }
    }
}

impl Ord for NameKey {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.0, &other.0) {
            (Repr::Inline { len: la, bytes: a }, Repr::Inline { len: lb, bytes: b }) => {
                for i in 0..INLINE / 8 {
                    let wa = u64::from_be_bytes(a[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
                    let wb = u64::from_be_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
                    if wa != wb {
                        return wa.cmp(&wb);
                    }
                }
                a[INLINE / 8 * 8..].cmp(&b[INLINE / 8 * 8..]).then(la.cmp(lb))
            }
            _ => self.as_bytes().cmp(other.as_bytes()),
        }
    }
}

impl PartialOrd for NameKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for NameKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_are_no_bigger_than_a_string_and_its_heap_bytes() {
        // A String is 24 bytes plus its text on the heap (a 28-byte pod name: 32 more).
        assert_eq!(std::mem::size_of::<NameKey>(), 48);
    }

    #[test]
    fn a_prefix_sorts_first_whatever_follows() {
        let names = ["a", "a\0", "a\0b", "ab", "density-1-5d8f7c9b4-abcde", "density-1-5d8f7c9b4-abcde.00000000000003e8"];
        for a in names {
            for b in names {
                assert_eq!(NameKey::new(a).cmp(&NameKey::new(b)), a.cmp(b), "{a:?} {b:?}");
            }
        }
        let long = "x".repeat(INLINE + 1);
        assert!(matches!(NameKey::new(&long).0, Repr::Heap(_)));
        assert!(matches!(NameKey::new(&long[1..]).0, Repr::Inline { .. }));
        assert_eq!(NameKey::new(&long[1..]).cmp(&NameKey::new(&long)), Ordering::Less);
        assert_eq!(NameKey::new(&long).as_str(), long);
    }

    /// Names near the inline size, sharing long prefixes, with bytes that sort low.
    fn any_name() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-c\\x00.-]{0,60}",
            ("[a-z]{40,50}", "[\\x00a-c]{0,4}").prop_map(|(a, b)| a + &b),
            "a{44}[\\x00ab]{0,8}",
            ("density-[0-9]{1,3}-[a-f0-9]{5}", "[a-z0-9.]{0,30}").prop_map(|(a, b)| a + &b),
            any::<String>(),
        ]
    }

    proptest! {
        /// The key orders and equates as the string does, for any pair.
        #[test]
        fn orders_as_the_string(a in any_name(), b in any_name()) {
            prop_assert_eq!(NameKey::new(&a).cmp(&NameKey::new(&b)), a.cmp(&b));
            prop_assert_eq!(NameKey::new(&a) == NameKey::new(&b), a == b);
            let key = NameKey::new(&a);
            prop_assert_eq!(key.as_str(), a.as_str());
        }

        /// A name against its own prefixes (where only the lengths can decide).
        #[test]
        fn a_prefix_orders_as_the_string(a in any_name(), cut in 0usize..64) {
            let b: String = a.chars().take(cut).collect();
            prop_assert_eq!(NameKey::new(&a).cmp(&NameKey::new(&b)), a.cmp(&b));
            prop_assert_eq!(NameKey::new(&b).cmp(&NameKey::new(&a)), b.cmp(&a));
        }
    }
}
