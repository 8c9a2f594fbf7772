//! IPAM. The node-ipam controller's range allocator (cidrset.AllocateNext) hands each
//! node the next free /24 (by default) of the cluster CIDR after the last one handed
//! out, wrapping around (next-fit: a released block is reused only after the wrap); on each node, host-local IPAM gives a pod the
//! next free address after the last one it handed out, skipping the network address,
//! the bridge gateway (.1) and the broadcast address, so the first pod gets `.2`.

use std::collections::BTreeSet;
use std::fmt;

/// An IPv4 CIDR block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cidr {
    pub base: u32,
    pub prefix: u8,
}

pub fn format_ip(ip: u32) -> String {
    let b = ip.to_be_bytes();
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

/// Whether `s` is `ip` as `format_ip` writes it, without making the string (the kubelet
/// compares its pod's IP on every status sync; `parse_ip` would allocate and accept
/// forms `format_ip` never writes).
pub fn ip_is(s: &str, ip: u32) -> bool {
    let mut buf = [0u8; 15];
    let mut n = 0;
    for (k, b) in ip.to_be_bytes().into_iter().enumerate() {
        if k > 0 {
            buf[n] = b'.';
            n += 1;
        }
        for (at_least, digit) in [(100, b / 100), (10, b / 10 % 10), (0, b % 10)] {
            if b >= at_least {
                buf[n] = b'0' + digit;
                n += 1;
            }
        }
    }
    s.as_bytes() == &buf[..n]
}

pub fn parse_ip(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut v: u32 = 0;
    for p in parts {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        v = (v << 8) | p.parse::<u8>().ok()? as u32;
    }
    Some(v)
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let bad = || format!("invalid CIDR address: {s}");
        let (ip, prefix) = s.split_once('/').ok_or_else(bad)?;
        let base = parse_ip(ip).ok_or_else(bad)?;
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        if prefix > 32 {
            return Err(bad());
        }
        let c = Cidr { base: base & Cidr::mask(prefix), prefix };
        Ok(c)
    }
    fn mask(prefix: u8) -> u32 {
        if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        }
    }
    pub fn size(&self) -> u64 {
        1u64 << (32 - self.prefix)
    }
    pub fn contains(&self, ip: u32) -> bool {
        ip & Cidr::mask(self.prefix) == self.base
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", format_ip(self.base), self.prefix)
    }
}

/// Ranges no pod IP may fall in (core/v1 validation `ValidateNonSpecialIP`, which the
/// apiserver applies to the pod IPs it publishes as endpoints; plus 0.0.0.0/8, "this
/// network" (RFC 1122), multicast and reserved space), with the words that say why.
const SPECIAL_RANGES: [(u32, u8, &str); 6] = [
    (0x0000_0000, 8, "may not be unspecified (0.0.0.0) or in \"this network\" (0.0.0.0/8)"),
    (0x7F00_0000, 8, "may not be in the loopback range (127.0.0.0/8)"),
    (0xA9FE_0000, 16, "may not be in the link-local range (169.254.0.0/16)"),
    (0xE000_0000, 24, "may not be in the link-local multicast range (224.0.0.0/24)"),
    (0xE000_0000, 4, "may not be in the multicast range (224.0.0.0/4)"),
    (0xF000_0000, 4, "may not be in the reserved range (240.0.0.0/4)"),
];

/// The most bits a node's mask may add to the cluster CIDR's (kubeadm's
/// `PodSubnetNodeMaskMaxDiff`, from the node-ipam CIDR set's uncompressed bitmap): at
/// most 65,536 node CIDRs.
pub const CLUSTER_SUBNET_MAX_DIFF: u8 = 16;

/// Whether `cluster` with `node_mask`-sized node blocks is a cluster CIDR
/// kube-controller-manager and kubeadm accept, and whose pod IPs would be valid; Err
/// says why (`true`: the node mask is at fault, `false`: the cluster CIDR).
pub fn validate_cluster_cidr(cluster: Cidr, node_mask: u8) -> Result<(), (bool, String)> {
    for (base, prefix, words) in SPECIAL_RANGES {
        let special = Cidr { base, prefix };
        if cluster.contains(special.base) || special.contains(cluster.base) {
            return Err((false, format!("overlaps {special}: a pod IP {words}")));
        }
    }
    if cluster.prefix > node_mask {
        // kube-controller-manager's node-ipam controller (node_ipam_controller.go).
        return Err((true, format!("mask size of cluster CIDR ({}) must be less than or equal to nodeCIDRMaskSize ({node_mask})", cluster.prefix)));
    }
    if node_mask - cluster.prefix > CLUSTER_SUBNET_MAX_DIFF {
        // kubeadm's ValidatePodSubnetNodeMask.
        return Err((
            false,
            format!("cluster CIDR mask ({}) and node-mask ({node_mask}) difference is greater than {CLUSTER_SUBNET_MAX_DIFF}", cluster.prefix),
        ));
    }
    if !(8..=30).contains(&node_mask) {
        return Err((true, format!("node CIDR mask size /{node_mask} leaves no room for pod IPs (use /8 to /30)")));
    }
    Ok(())
}

/// The node-ipam range allocator: sub-blocks of the cluster CIDR.
#[derive(Clone, Debug)]
pub struct ClusterCidrAllocator {
    cluster: Cidr,
    node_prefix: u8,
    used: BTreeSet<u64>,
    next_candidate: u64,
}

impl ClusterCidrAllocator {
    pub fn new(cluster: Cidr, node_prefix: u8) -> Result<Self, String> {
        if node_prefix < cluster.prefix || !(8..=30).contains(&node_prefix) || node_prefix - cluster.prefix > CLUSTER_SUBNET_MAX_DIFF {
            return Err(format!("node CIDR mask size /{node_prefix} does not fit cluster CIDR {cluster}"));
        }
        Ok(ClusterCidrAllocator { cluster, node_prefix, used: BTreeSet::new(), next_candidate: 0 })
    }
    pub fn capacity(&self) -> u64 {
        1u64 << (self.node_prefix - self.cluster.prefix)
    }
    /// The next free block after the last one handed out, or None when exhausted.
    pub fn allocate(&mut self) -> Option<Cidr> {
        let cap = self.capacity();
        if self.used.len() as u64 >= cap {
            return None;
        }
        let mut c = self.next_candidate;
        while self.used.contains(&c) {
            c = (c + 1) % cap;
        }
        self.next_candidate = (c + 1) % cap;
        self.used.insert(c);
        Some(self.block(c))
    }
    fn block(&self, i: u64) -> Cidr {
        let size = 1u64 << (32 - self.node_prefix);
        Cidr { base: (u64::from(self.cluster.base) + i * size) as u32, prefix: self.node_prefix }
    }
    /// Marks an existing block as used (a node that already has a podCIDR).
    pub fn occupy(&mut self, c: Cidr) -> bool {
        if !self.cluster.contains(c.base) || c.prefix != self.node_prefix {
            return false;
        }
        let i = u64::from((c.base - self.cluster.base) >> (32 - self.node_prefix));
        self.used.insert(i)
    }
    pub fn release(&mut self, c: Cidr) {
        if self.cluster.contains(c.base) && c.prefix == self.node_prefix {
            self.used.remove(&u64::from((c.base - self.cluster.base) >> (32 - self.node_prefix)));
        }
    }
}

/// host-local IPAM for one node's pod CIDR (plugins/ipam/host-local: range.go
/// Canonicalize, allocator.go Get): the range set runs from the network address + 1 to
/// the address before broadcast; the gateway, the network address + 1, is skipped, so a
/// pod's address is from `.2` on. Computed in 64 bits: a pod CIDR at the top of the
/// address space (a Node's `spec.podCIDR` is the user's to set) must not overflow.
#[derive(Clone, Debug)]
pub struct PodIpAllocator {
    pub cidr: Cidr,
    used: BTreeSet<u32>,
    /// The last address handed out (at first the gateway's: the next is the first).
    last: u64,
}

impl PodIpAllocator {
    pub fn new(cidr: Cidr) -> Self {
        PodIpAllocator { cidr, used: BTreeSet::new(), last: u64::from(cidr.base) + 1 }
    }
    /// The range set host-local reports (`first-last`): the network address + 1 to the
    /// address before broadcast, each clamped into the CIDR. A /31 or a /32, which
    /// host-local refuses ("too small to allocate from") and from which ksim hands out
    /// no address, gives an inverted or one-address range.
    pub fn range_set(&self) -> (u32, u32) {
        let base = u64::from(self.cidr.base);
        let clamp = |ip: u64| u32::try_from(ip.clamp(base, self.broadcast())).expect("an address of the CIDR");
        (clamp(base + 1), clamp(self.broadcast().saturating_sub(1)))
    }
    fn broadcast(&self) -> u64 {
        u64::from(self.cidr.base) + self.cidr.size() - 1
    }
    fn first(&self) -> u64 {
        u64::from(self.cidr.base) + 2
    }
    fn last_usable(&self) -> u64 {
        self.broadcast().saturating_sub(1)
    }
    /// The next free address after the last one handed out (wrapping), or None.
    pub fn allocate(&mut self) -> Option<u32> {
        let (lo, hi) = (self.first(), self.last_usable());
        if hi < lo {
            return None;
        }
        let span = hi - lo + 1;
        let start = if self.last < lo || self.last >= hi { lo } else { self.last + 1 };
        for k in 0..span {
            let ip = lo + (start - lo + k) % span;
            let ip32 = u32::try_from(ip).expect("an address before broadcast");
            if !self.used.contains(&ip32) {
                self.used.insert(ip32);
                self.last = ip;
                return Some(ip32);
            }
        }
        None
    }
    pub fn release(&mut self, ip: u32) {
        self.used.remove(&ip);
    }
    pub fn in_use(&self) -> usize {
        self.used.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// `ip_is` agrees with comparing `format_ip`'s string: an address is its own,
        /// and no other address (nor a prefix, nor a longer string) is.
        #[test]
        fn ip_is_compares_with_the_formatted_address(a: u32, b: u32) {
            let s = format_ip(a);
            prop_assert!(ip_is(&s, a));
            prop_assert_eq!(ip_is(&format_ip(b), a), a == b);
            prop_assert!(!ip_is(&s[..s.len() - 1], a));
            let longer = format!("{s}0");
            prop_assert!(!ip_is(&longer, a));
        }
    }

    #[test]
    fn ip_is_writes_each_octets_digits() {
        for (s, ip) in [("0.0.0.0", 0), ("10.244.1.7", 0x0af4_0107), ("255.255.255.255", u32::MAX), ("1.10.100.0", 0x010a_6400)] {
            assert!(ip_is(s, ip), "{s}");
        }
        assert!(!ip_is("010.244.1.7", 0x0af4_0107), "no leading zeros, as format_ip writes none");
    }

    #[test]
    fn nodes_get_consecutive_24s() {
        let mut a = ClusterCidrAllocator::new(Cidr::parse("10.244.0.0/16").unwrap(), 24).unwrap();
        assert_eq!(a.capacity(), 256);
        assert_eq!(a.allocate().unwrap().to_string(), "10.244.0.0/24");
        let b = a.allocate().unwrap();
        assert_eq!(b.to_string(), "10.244.1.0/24");
        assert_eq!(a.allocate().unwrap().to_string(), "10.244.2.0/24");
        a.release(b);
        // next-fit: the released block comes back only after the cursor wraps.
        assert_eq!(a.allocate().unwrap().to_string(), "10.244.3.0/24");
        for _ in 4..256 {
            assert!(a.allocate().is_some());
        }
        assert_eq!(a.allocate().unwrap().to_string(), "10.244.1.0/24");
        assert_eq!(a.allocate(), None);
    }

    #[test]
    fn pods_get_sequential_ips_without_immediate_reuse() {
        let mut p = PodIpAllocator::new(Cidr::parse("10.244.1.0/24").unwrap());
        let a = p.allocate().unwrap();
        let b = p.allocate().unwrap();
        assert_eq!(format_ip(a), "10.244.1.2");
        assert_eq!(format_ip(b), "10.244.1.3");
        p.release(a);
        // host-local continues after the last handed out address.
        assert_eq!(format_ip(p.allocate().unwrap()), "10.244.1.4");
        while p.allocate().is_some() {}
        assert_eq!(p.in_use(), 253); // .2 … .254
        assert!(p.cidr.contains(parse_ip("10.244.1.254").unwrap()));
    }

    /// A pod CIDR at the very top of the address space, or at its bottom, and a /0:
    /// the range is computed without overflow. A /30 has one pod address (.2: .1 is
    /// the gateway, .3 broadcast); a /31 and a /32 have none (host-local refuses them:
    /// range.go "too small to allocate from").
    #[test]
    fn pod_cidrs_at_the_edges_of_the_address_space() {
        let mut top = PodIpAllocator::new(Cidr::parse("255.255.255.252/30").unwrap());
        assert_eq!(top.range_set(), (parse_ip("255.255.255.253").unwrap(), parse_ip("255.255.255.254").unwrap()));
        assert_eq!(top.allocate().map(format_ip).as_deref(), Some("255.255.255.254"));
        assert_eq!(top.allocate(), None);
        for cidr in ["255.255.255.254/31", "255.255.255.255/32", "0.0.0.0/32", "0.0.0.0/31"] {
            let mut p = PodIpAllocator::new(Cidr::parse(cidr).unwrap());
            assert_eq!(p.allocate(), None, "{cidr}");
            let (first, last) = p.range_set();
            assert!(p.cidr.contains(first) && p.cidr.contains(last), "{cidr}");
        }
        let mut all = PodIpAllocator::new(Cidr::parse("0.0.0.0/0").unwrap());
        assert_eq!(all.range_set(), (1, u32::MAX - 1));
        assert_eq!(all.allocate(), Some(2));
    }

    #[test]
    fn parses_cidrs() {
        assert_eq!(Cidr::parse("10.244.0.0/16").unwrap().size(), 65536);
        assert!(Cidr::parse("10.244.0/16").is_err());
        assert!(Cidr::parse("10.244.0.0/33").is_err());
        assert_eq!(Cidr::parse("10.244.7.9/16").unwrap().to_string(), "10.244.0.0/16");
    }

    #[test]
    fn cluster_cidrs_are_checked_like_kube_controller_manager_and_kubeadm() {
        let v = |c: &str, m: u8| validate_cluster_cidr(Cidr::parse(c).unwrap(), m);
        assert_eq!(v("10.244.0.0/16", 24), Ok(()));
        assert_eq!(v("10.0.0.0/8", 24), Ok(()));
        assert_eq!(v("10.0.0.0/14", 24), Ok(()));
        // A /0 is 0.0.0.0/0: its first node block would be 0.0.0.0/24 (pods 0.0.0.2, …).
        assert_eq!(
            v("10.0.0.0/0", 24),
            Err((false, "overlaps 0.0.0.0/8: a pod IP may not be unspecified (0.0.0.0) or in \"this network\" (0.0.0.0/8)".into()))
        );
        assert!(v("127.0.0.0/16", 24).unwrap_err().1.ends_with("may not be in the loopback range (127.0.0.0/8)"));
        assert!(v("128.0.0.0/2", 18).unwrap_err().1.ends_with("may not be in the link-local range (169.254.0.0/16)"));
        assert!(v("224.0.0.0/16", 24).is_err() && v("250.0.0.0/16", 24).is_err());
        assert_eq!(v("10.0.0.0/25", 24), Err((true, "mask size of cluster CIDR (25) must be less than or equal to nodeCIDRMaskSize (24)".into())));
        assert_eq!(v("10.0.0.0/24", 24), Ok(()), "node-ipam accepts one node CIDR the size of the cluster's");
        assert_eq!(v("10.0.0.0/7", 24), Err((false, "cluster CIDR mask (7) and node-mask (24) difference is greater than 16".into())));
        assert!(v("10.0.0.0/24", 31).unwrap_err().0);
    }
}
