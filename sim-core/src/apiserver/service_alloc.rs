//! The Service registry's allocators: ClusterIPs from the service CIDR and NodePorts from
//! the node-port range, for an IPv4 single-stack cluster. Mirrors
//! - pkg/registry/core/service/storage/alloc.go: allocateCreate (initIPFamilyFields,
//!   allocClusterIPs/allocIPs, initNodePorts), allocateUpdate (updateClusterIPs cases A
//!   and B, txnUpdateNodePorts/updateNodePorts) and the release on delete
//!   (releaseAllocatedResources), with their error words;
//! - pkg/registry/core/service/ipallocator/ipallocator.go (allocateService,
//!   allocateNextService: a random start in the upper sub-range, then the lower one) and
//!   interfaces.go (ErrAllocated, ErrNotInRange, ErrFull); calculateRangeOffset of
//!   bitmap.go (KEP-3070: min(max(16, size/16), 256) addresses kept for static picks);
//! - pkg/registry/core/service/portallocator/allocator.go (Allocate, AllocateNext with
//!   calculateRangeOffset: min(max(16, size/32), 128) ports kept for static picks).
//!
//! The allocators draw from their own seeded stream, as upstream's keep their own
//! math/rand source, so creating a Service does not shift the apiserver's uids.
//! Scans start at a random offset and walk forward past taken values, so one allocation
//! costs at most (taken values + 1) steps.

use crate::api::service::Service;
use crate::api::validation::FieldErr;
use crate::network::ipam::{format_ip, parse_ip, Cidr};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;

/// kube-apiserver's --service-cluster-ip-range default (kubeadm's serviceSubnet).
pub const DEFAULT_SERVICE_CIDR: &str = "10.96.0.0/12";
/// kube-apiserver's --service-node-port-range default.
pub const NODE_PORT_RANGE: (u32, u32) = (30000, 32767);
/// The most host bits a service CIDR may have (kube-apiserver's validateMaxCIDRRange and
/// kubeadm's MaximumBitsForServiceSubnet: a /12 for IPv4).
pub const MAX_SERVICE_CIDR_BITS: u8 = 20;

/// Whether `cidr` is a service subnet kubeadm and kube-apiserver accept (kubeadm's
/// ValidateServiceSubnetSize words); Err says why.
pub fn validate_service_cidr(cidr: Cidr) -> Result<(), String> {
    if 32 - cidr.prefix > MAX_SERVICE_CIDR_BITS {
        return Err(format!("specified service subnet is too large; for 32-bit addresses, the mask must be >= {}", 32 - MAX_SERVICE_CIDR_BITS));
    }
    if cidr.prefix > 30 {
        // netutils.RangeSize minus network and broadcast: no address left for a Service.
        return Err("specified service subnet is too small: it holds no assignable address".into());
    }
    Ok(())
}

/// A band of values [first, last] with the first `offset` kept for static requests
/// (KEP-3070): dynamic picks start at a random point of the upper band, walk forward
/// (wrapping inside the band) and fall back to the lower band when the upper is full.
#[derive(Clone, Debug)]
struct Bands {
    first: u32,
    last: u32,
    offset: u32,
    taken: BTreeSet<u32>,
}

impl Bands {
    fn new(first: u32, last: u32, offset: u32) -> Self {
        Bands { first, last, offset, taken: BTreeSet::new() }
    }

    fn contains(&self, v: u32) -> bool {
        (self.first..=self.last).contains(&v)
    }

    /// The first free value of [lo, hi] at or after `start`, wrapping once.
    fn scan(&self, lo: u32, hi: u32, start: u32) -> Option<u32> {
        let free_from = |from: u32, to: u32| {
            let mut v = from;
            for &t in self.taken.range(from..=to) {
                if t != v {
                    return Some(v);
                }
                v = t.checked_add(1)?;
            }
            (v <= to).then_some(v)
        };
        free_from(start, hi).or_else(|| if start > lo { free_from(lo, start - 1) } else { None })
    }

    fn next(&mut self, rng: &mut ChaCha8Rng) -> Option<u32> {
        let upper = self.first + self.offset;
        let mut found = None;
        if upper <= self.last {
            let start = upper + rng.random_range(0..=self.last - upper);
            found = self.scan(upper, self.last, start);
        }
        if found.is_none() && self.offset > 0 {
            let start = self.first + rng.random_range(0..self.offset);
            found = self.scan(self.first, upper - 1, start);
        }
        if let Some(v) = found {
            self.taken.insert(v);
        }
        found
    }
}

/// calculateRangeOffset: min(max(min, size/step), max), 0 when size <= min.
fn range_offset(size: u64, min: u64, max: u64, step: u64) -> u32 {
    if size <= min {
        return 0;
    }
    (size / step).clamp(min, max) as u32
}

/// ClusterIPs and NodePorts in use, and where new ones come from.
#[derive(Clone, Debug)]
pub struct Allocators {
    cidr: Cidr,
    ips: Bands,
    ports: Bands,
    rng: ChaCha8Rng,
    /// Dynamic picks reserve nothing (the loader's check of requested values, which must
    /// not depend on where random picks land).
    static_only: bool,
}

impl Allocators {
    pub fn new(cidr: Cidr, rng: ChaCha8Rng) -> Self {
        // NewIPAllocator: neither the network's ".0" nor (IPv4) its broadcast address.
        let (first, last) = (cidr.base + 1, (cidr.base as u64 + cidr.size() - 2) as u32);
        let ips = Bands::new(first, last.max(first), range_offset(cidr.size(), 16, 256, 16));
        let (lo, hi) = NODE_PORT_RANGE;
        let ports = Bands::new(lo, hi, range_offset(u64::from(hi - lo + 1), 16, 128, 32));
        Allocators { cidr, ips, ports, rng, static_only: false }
    }

    /// Allocators that check requested ClusterIPs and NodePorts (ranges, duplicates) and
    /// let every dynamic pick succeed without reserving anything: what the loader can
    /// refuse before the run whatever the seed.
    pub fn static_only(cidr: Cidr) -> Self {
        let mut a = Allocators::new(cidr, rand_chacha::rand_core::SeedableRng::seed_from_u64(0));
        a.static_only = true;
        a
    }

    pub fn cidr(&self) -> Cidr {
        self.cidr
    }

    /// The address the `kubernetes` Service gets: the range's first (GetIndexedIP(cidr, 1)).
    pub fn first_ip(&self) -> String {
        format_ip(self.ips.first)
    }

    /// Whether `ip` is held by a Service (for the invariant and tests).
    pub fn holds_ip(&self, ip: &str) -> bool {
        parse_ip(ip).is_some_and(|v| self.ips.taken.contains(&v))
    }

    pub fn holds_port(&self, port: i32) -> bool {
        u32::try_from(port).is_ok_and(|p| self.ports.taken.contains(&p))
    }

    fn allocate_ip(&mut self, ip: &str) -> Result<(), String> {
        let v = parse_ip(ip).ok_or_else(|| format!("failed to parse service IP {ip:?}"))?;
        if !self.ips.contains(v) {
            return Err(format!("the provided IP ({ip}) is not in the valid range. The range of valid IPs is {}", self.cidr));
        }
        if !self.ips.taken.insert(v) {
            return Err("provided IP is already allocated".into());
        }
        Ok(())
    }

    fn release_ip(&mut self, ip: &str) {
        if let Some(v) = parse_ip(ip) {
            self.ips.taken.remove(&v);
        }
    }

    fn allocate_port(&mut self, port: i32) -> Result<(), String> {
        let (lo, hi) = NODE_PORT_RANGE;
        let p = u32::try_from(port).ok().filter(|p| self.ports.contains(*p));
        let Some(p) = p else {
            return Err(format!("provided port is not in the valid range. The range of valid ports is {lo}-{hi}"));
        };
        if !self.ports.taken.insert(p) {
            return Err("provided port is already allocated".into());
        }
        Ok(())
    }

    fn release_port(&mut self, port: i32) {
        if let Ok(p) = u32::try_from(port) {
            self.ports.taken.remove(&p);
        }
    }

    /// allocateCreate: fills in the ClusterIP(s), IP families and NodePorts of a new
    /// Service, or refuses it with the apiserver's error (422 field errors, or an
    /// internal error when a range is full). Nothing stays allocated on refusal.
    pub fn allocate_create(&mut self, svc: &mut Service) -> Result<(), Refusal> {
        init_ip_family_fields(svc)?;
        let ip = self.alloc_cluster_ip(svc)?;
        let mut result = self.init_node_ports(svc, &[]);
        if result.is_ok() && svc.spec.needs_health_check() {
            result = self.alloc_health_check_node_port(svc);
            if result.is_err() {
                for p in svc.spec.ports.iter().filter_map(|p| p.node_port) {
                    self.release_port(p);
                }
            }
        }
        if let Err(e) = result {
            if let Some(ip) = ip {
                self.release_ip(&ip);
            }
            return Err(e);
        }
        Ok(())
    }

    /// allocHealthCheckNodePort: the requested port, or the next free one; a failure is
    /// an internal error (txnAllocNodePorts wraps it in errors.NewInternalError).
    fn alloc_health_check_node_port(&mut self, svc: &mut Service) -> Result<(), Refusal> {
        match svc.spec.health_check_node_port.unwrap_or(0) {
            0 if self.static_only => Ok(()),
            0 => match self.ports.next(&mut self.rng) {
                Some(p) => {
                    svc.spec.health_check_node_port = Some(p as i32);
                    Ok(())
                }
                // The message prints the (shadowed, zero) port variable.
                None => Err(Refusal::Internal("failed to allocate a HealthCheck NodePort 0: range is full".into())),
            },
            p => self.allocate_port(p).map_err(|e| Refusal::Internal(format!("failed to allocate requested HealthCheck NodePort {p}: {e}"))),
        }
    }

    /// allocClusterIPs for the single IPv4 family: none for ExternalName or headless
    /// Services; the requested address, or the next free one.
    fn alloc_cluster_ip(&mut self, svc: &mut Service) -> Result<Option<String>, Refusal> {
        if svc.spec.type_ == "ExternalName" || svc.spec.cluster_ips.first().is_some_and(|ip| ip == "None") {
            return Ok(None);
        }
        let requested = svc.spec.cluster_ips.first().cloned().unwrap_or_default();
        let ip = if requested.is_empty() {
            if self.static_only {
                return Ok(None);
            }
            match self.ips.next(&mut self.rng) {
                Some(v) => format_ip(v),
                None => return Err(Refusal::Internal("failed to allocate a serviceIP: range is full".into())),
            }
        } else {
            if let Err(e) = self.allocate_ip(&requested) {
                let value = format!("[]string{{{}}}", svc.spec.cluster_ips.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", "));
                return Err(Refusal::Invalid(vec![FieldErr::new(
                    "spec.clusterIPs",
                    format!("Invalid value: {value}: failed to allocate IP {requested}: {e}"),
                )]));
            }
            requested
        };
        svc.spec.cluster_ip = ip.clone();
        svc.spec.cluster_ips = vec![ip.clone()];
        Ok(Some(ip))
    }

    /// initNodePorts (create) and updateNodePorts (update: `old` are the ports the
    /// Service held): NodePort and LoadBalancer Services get a port per service port
    /// (one per distinct `port`), requested ones honoured; ports no longer used are
    /// released once everything succeeded. All or nothing.
    fn init_node_ports(&mut self, svc: &mut Service, old: &[i32]) -> Result<(), Refusal> {
        if !matches!(svc.spec.type_.as_str(), "NodePort" | "LoadBalancer") {
            for &p in old {
                self.release_port(p);
            }
            return Ok(());
        }
        let allocate_all = svc.spec.type_ == "NodePort" || svc.spec.allocate_load_balancer_node_ports != Some(false);
        let mut got: Vec<i32> = Vec::new();
        let mut by_port: Vec<(i32, i32)> = Vec::new();
        let mut failure = None;
        for i in 0..svc.spec.ports.len() {
            let (port, node_port) = (svc.spec.ports[i].port, svc.spec.ports[i].node_port.unwrap_or(0));
            if node_port == 0 && !allocate_all {
                continue; // "Don't allocate new ports, but do respect specific requests."
            }
            if node_port != 0 {
                if old.contains(&node_port) || got.contains(&node_port) {
                    by_port.push((port, node_port));
                    continue;
                }
                if let Err(e) = self.allocate_port(node_port) {
                    failure = Some(Refusal::Invalid(vec![FieldErr::new(format!("spec.ports[{i}].nodePort"), format!("Invalid value: {node_port}: {e}"))]));
                    break;
                }
                got.push(node_port);
                by_port.push((port, node_port));
                continue;
            }
            // A port number already given a NodePort by an earlier entry shares it
            // (initNodePorts' svcPortToNodePort; findRequestedNodePort looks ahead).
            let shared = by_port.iter().find(|(p, _)| *p == port).map(|(_, np)| *np);
            let ahead = svc.spec.ports[i + 1..].iter().find(|p| p.port == port && p.node_port.unwrap_or(0) != 0).and_then(|p| p.node_port);
            let np = match (shared, ahead) {
                (Some(np), _) => np,
                (None, Some(np)) if !old.contains(&np) && !got.contains(&np) => match self.allocate_port(np) {
                    Ok(()) => {
                        got.push(np);
                        np
                    }
                    Err(e) => {
                        failure = Some(Refusal::Invalid(vec![FieldErr::new(format!("spec.ports[{i}].nodePort"), format!("Invalid value: {np}: {e}"))]));
                        break;
                    }
                },
                (None, Some(np)) => np,
                (None, None) if self.static_only => 0,
                (None, None) => match self.ports.next(&mut self.rng) {
                    Some(p) => {
                        got.push(p as i32);
                        p as i32
                    }
                    None => {
                        failure = Some(Refusal::Internal("failed to allocate a nodePort: range is full".into()));
                        break;
                    }
                },
            };
            svc.spec.ports[i].node_port = Some(np);
            by_port.push((port, np));
        }
        if let Some(f) = failure {
            for p in got {
                self.release_port(p);
            }
            return Err(f);
        }
        let kept: Vec<i32> = svc.spec.ports.iter().filter_map(|p| p.node_port).collect();
        for &p in old {
            if !kept.contains(&p) {
                self.release_port(p);
            }
        }
        Ok(())
    }

    /// allocateUpdate: ExternalName → a ClusterIP type allocates an address (case A), the
    /// reverse releases it (case B); NodePorts follow the type and the ports.
    pub fn allocate_update(&mut self, old: &Service, svc: &mut Service) -> Result<(), Refusal> {
        init_ip_family_fields(svc)?;
        let old_ports: Vec<i32> = old.spec.ports.iter().filter_map(|p| p.node_port).collect();
        let mut allocated = None;
        let mut release = None;
        if old.spec.type_ == "ExternalName" && svc.spec.type_ != "ExternalName" {
            allocated = self.alloc_cluster_ip(svc)?;
        } else if old.spec.type_ != "ExternalName" && svc.spec.type_ == "ExternalName" && old.spec.cluster_ip != "None" {
            release = Some(old.spec.cluster_ip.clone());
        }
        if let Err(e) = self.init_node_ports(svc, &old_ports) {
            if let Some(ip) = allocated {
                self.release_ip(&ip);
            }
            return Err(e);
        }
        // updateHealthCheckNodePort: allocate when it becomes needed, release when it no
        // longer is.
        match (old.spec.needs_health_check(), svc.spec.needs_health_check()) {
            (false, true) => {
                if let Err(e) = self.alloc_health_check_node_port(svc) {
                    if let Some(ip) = allocated {
                        self.release_ip(&ip);
                    }
                    return Err(e);
                }
            }
            (true, false) => {
                if let Some(p) = old.spec.health_check_node_port {
                    self.release_port(p);
                }
                svc.spec.health_check_node_port = None;
            }
            _ => {}
        }
        if let Some(ip) = release.filter(|ip| !ip.is_empty()) {
            self.release_ip(&ip);
        }
        Ok(())
    }

    /// releaseAllocatedResources: a deleted Service's ClusterIP and NodePorts return.
    pub fn release(&mut self, svc: &Service) {
        if svc.spec.type_ != "ExternalName" {
            for ip in &svc.spec.cluster_ips {
                self.release_ip(ip);
            }
        }
        for p in svc.spec.ports.iter().filter_map(|p| p.node_port) {
            self.release_port(p);
        }
        if let Some(p) = svc.spec.health_check_node_port {
            self.release_port(p);
        }
    }
}

/// How the registry refuses a Service it cannot allocate for.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// 422 with these field errors.
    Invalid(Vec<FieldErr>),
    /// 500 (errors.NewInternalError): "Internal error occurred: …".
    Internal(String),
}

/// initIPFamilyFields for an IPv4 single-stack cluster, in upstream's order: the policy
/// defaults to SingleStack (RequireDualStack for a selectorless headless Service, which
/// then lists both families as upstream does), families are inferred from requested
/// addresses, and whatever asks for IPv6 or dual-stack is refused with upstream's words.
fn init_ip_family_fields(svc: &mut Service) -> Result<(), Refusal> {
    if svc.spec.type_ == "ExternalName" {
        return Ok(());
    }
    let headless = svc.spec.cluster_ip == "None" || svc.spec.cluster_ips.first().is_some_and(|ip| ip == "None");
    let selectorless = svc.spec.selector.as_ref().is_none_or(|s| s.is_empty());
    let policy = svc.spec.ip_family_policy.get_or_insert_with(|| if headless && selectorless { "RequireDualStack" } else { "SingleStack" }.into()).clone();
    let mut errs = Vec::new();
    let families = svc.spec.ip_families.get_or_insert_with(Vec::new);
    if policy == "SingleStack" {
        if svc.spec.cluster_ips.len() == 2 {
            errs.push(FieldErr::new(
                "spec.ipFamilyPolicy",
                "Invalid value: \"SingleStack\": must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
            ));
        }
        if families.len() == 2 {
            errs.push(FieldErr::new(
                "spec.ipFamilyPolicy",
                "Invalid value: \"SingleStack\": must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
            ));
        }
    }
    for (i, ip) in svc.spec.cluster_ips.iter().enumerate() {
        if ip == "None" {
            break;
        }
        let family = if ip.contains(':') { "IPv6" } else { "IPv4" };
        if i >= families.len() {
            if family == "IPv4" {
                families.push(family.into());
            } else {
                let value = svc.spec.cluster_ips.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ");
                errs.push(FieldErr::new(
                    format!("spec.clusterIPs[{i}]"),
                    format!("Invalid value: []string{{{value}}}: {family} is not configured on this cluster"),
                ));
            }
        }
    }
    if !errs.is_empty() {
        return Err(Refusal::Invalid(errs));
    }
    if headless && selectorless {
        if families.is_empty() {
            families.push("IPv4".into());
        }
        if families.len() < 2 && policy != "SingleStack" {
            let other = if families[0] == "IPv4" { "IPv6" } else { "IPv4" };
            families.push(other.into());
        }
        return Ok(());
    }
    if policy == "RequireDualStack" {
        errs.push(FieldErr::new("spec.ipFamilyPolicy", "Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services"));
    }
    for (i, f) in families.iter().enumerate().filter(|(_, f)| *f != "IPv4") {
        errs.push(FieldErr::new(format!("spec.ipFamilies[{i}]"), format!("Invalid value: {f:?}: not configured on this cluster")));
    }
    if !errs.is_empty() {
        return Err(Refusal::Invalid(errs));
    }
    if families.is_empty() {
        families.push("IPv4".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::service::ServicePort;
    use rand_chacha::rand_core::SeedableRng;

    fn allocators(cidr: &str) -> Allocators {
        Allocators::new(Cidr::parse(cidr).unwrap(), ChaCha8Rng::seed_from_u64(7))
    }

    fn service(type_: &str, cluster_ip: &str, node_ports: &[i32]) -> Service {
        let mut s = Service::default();
        s.metadata.name = "web".into();
        s.spec.type_ = type_.into();
        if !cluster_ip.is_empty() {
            s.spec.cluster_ip = cluster_ip.into();
            s.spec.cluster_ips = vec![cluster_ip.into()];
        }
        s.spec.ports = node_ports
            .iter()
            .enumerate()
            .map(|(i, &np)| ServicePort { name: Some(format!("p{i}")), port: 80 + i as i32, node_port: (np != 0).then_some(np), ..Default::default() })
            .collect();
        s
    }

    /// The cases of upstream's Test_calculateRangeOffset tables
    /// (ipallocator/bitmap_test.go for IPv4 CIDRs, portallocator/allocator_test.go for
    /// port ranges).
    #[test]
    fn range_offsets_follow_kep_3070() {
        // IP ranges: min 16, max 256, step 16; the size is the whole CIDR's.
        for (cidr, want) in
            [("192.168.1.1/32", 0), ("192.168.1.1/30", 0), ("192.168.1.1/28", 0), ("192.168.1.1/27", 16), ("192.168.1.1/22", 64), ("192.168.1.1/8", 256)]
        {
            let c = Cidr::parse(cidr).unwrap();
            assert_eq!(range_offset(c.size(), 16, 256, 16), want, "{cidr}");
        }
        // Port ranges: min 16, max 128, step 32.
        for (size, want) in [(2768u64, 86), (10, 0), (16, 0), (128, 16), (2048, 64), (4096, 128)] {
            assert_eq!(range_offset(size, 16, 128, 32), want, "{size} ports");
        }
    }

    #[test]
    fn dynamic_addresses_come_from_the_upper_band_and_static_ones_anywhere() {
        let mut a = allocators("10.96.0.0/12");
        assert_eq!(a.first_ip(), "10.96.0.1");
        for _ in 0..200 {
            let mut s = service("ClusterIP", "", &[]);
            a.allocate_create(&mut s).unwrap();
            let v = parse_ip(&s.spec.cluster_ip).unwrap();
            // 10.96.0.1 + 256 = 10.96.1.1 … 10.111.255.254.
            assert!((parse_ip("10.96.1.1").unwrap()..=parse_ip("10.111.255.254").unwrap()).contains(&v), "{}", s.spec.cluster_ip);
            assert_eq!(s.spec.cluster_ips, vec![s.spec.cluster_ip.clone()]);
            assert_eq!(s.spec.ip_families.as_deref(), Some(&["IPv4".to_string()][..]));
            assert_eq!(s.spec.ip_family_policy.as_deref(), Some("SingleStack"));
        }
        let mut s = service("ClusterIP", "10.96.0.10", &[]);
        a.allocate_create(&mut s).unwrap();
        assert!(a.holds_ip("10.96.0.10"));
    }

    #[test]
    fn a_small_range_fills_both_bands_then_is_full() {
        // A /27 has 30 usable addresses, 16 kept for static requests.
        let mut a = allocators("192.168.1.0/27");
        let mut got = BTreeSet::new();
        for _ in 0..30 {
            let mut s = service("ClusterIP", "", &[]);
            a.allocate_create(&mut s).unwrap();
            assert!(got.insert(s.spec.cluster_ip.clone()), "{} twice", s.spec.cluster_ip);
        }
        let first_sixteen: BTreeSet<String> = (1..=16).map(|i| format!("192.168.1.{i}")).collect();
        assert!(first_sixteen.is_subset(&got));
        let mut s = service("ClusterIP", "", &[]);
        assert_eq!(a.allocate_create(&mut s), Err(Refusal::Internal("failed to allocate a serviceIP: range is full".into())));
    }

    /// The words of ipallocator.ErrNotInRange / ErrAllocated through allocIPs.
    #[test]
    fn requested_addresses_are_refused_in_the_registrys_words() {
        let mut a = allocators("10.96.0.0/12");
        let mut s = service("ClusterIP", "1.1.1.1", &[]);
        let Err(Refusal::Invalid(e)) = a.allocate_create(&mut s) else { panic!() };
        assert_eq!(
            e[0].to_string(),
            "spec.clusterIPs: Invalid value: []string{\"1.1.1.1\"}: failed to allocate IP 1.1.1.1: the provided IP (1.1.1.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12"
        );
        a.allocate_create(&mut service("ClusterIP", "10.96.0.10", &[])).unwrap();
        let Err(Refusal::Invalid(e)) = a.allocate_create(&mut service("ClusterIP", "10.96.0.10", &[])) else { panic!() };
        assert_eq!(
            e[0].to_string(),
            "spec.clusterIPs: Invalid value: []string{\"10.96.0.10\"}: failed to allocate IP 10.96.0.10: provided IP is already allocated"
        );
        // The network and broadcast addresses are outside the range.
        assert!(a.allocate_create(&mut service("ClusterIP", "10.96.0.0", &[])).is_err());
        assert!(a.allocate_create(&mut service("ClusterIP", "10.111.255.255", &[])).is_err());
    }

    #[test]
    fn node_ports_are_allocated_honoured_refused_and_released() {
        let mut a = allocators("10.96.0.0/12");
        let mut s = service("NodePort", "", &[0, 30080]);
        a.allocate_create(&mut s).unwrap();
        let np = s.spec.ports[0].node_port.unwrap();
        // Dynamic ports come from the upper band: 30000 + 86 … 32767.
        assert!((30086..=32767).contains(&np), "{np}");
        assert_eq!(s.spec.ports[1].node_port, Some(30080));
        let Err(Refusal::Invalid(e)) = a.allocate_create(&mut service("NodePort", "", &[30080])) else { panic!() };
        assert_eq!(e[0].to_string(), "spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated");
        let Err(Refusal::Invalid(e)) = a.allocate_create(&mut service("NodePort", "", &[80])) else { panic!() };
        assert_eq!(
            e[0].to_string(),
            "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"
        );
        // A refusal keeps nothing: the failed Services' ClusterIPs were released.
        assert_eq!(a.ips.taken.len(), 1);
        a.release(&s);
        assert!(!a.holds_port(30080) && !a.holds_port(np) && a.ips.taken.is_empty());
    }

    #[test]
    fn updates_follow_the_type() {
        let mut a = allocators("10.96.0.0/12");
        let mut s = service("NodePort", "", &[0]);
        a.allocate_create(&mut s).unwrap();
        let np = s.spec.ports[0].node_port.unwrap();
        // NodePort → ClusterIP releases the port (nodePort cleared by the caller).
        let mut c = s.clone();
        c.spec.type_ = "ClusterIP".into();
        c.spec.ports[0].node_port = None;
        a.allocate_update(&s, &mut c).unwrap();
        assert!(!a.holds_port(np));
        // ClusterIP → ExternalName releases the address (case B).
        let mut e = c.clone();
        e.spec.type_ = "ExternalName".into();
        a.allocate_update(&c, &mut e).unwrap();
        assert!(a.ips.taken.is_empty());
        // ExternalName → ClusterIP allocates one (case A).
        let mut back = service("ClusterIP", "", &[0]);
        a.allocate_update(&e, &mut back).unwrap();
        assert!(a.holds_ip(&back.spec.cluster_ip));
    }

    #[test]
    fn headless_and_external_name_services_get_no_address() {
        let mut a = allocators("10.96.0.0/12");
        let mut h = service("ClusterIP", "None", &[0]);
        h.spec.selector = Some([("app".to_string(), "web".to_string())].into());
        a.allocate_create(&mut h).unwrap();
        assert_eq!((h.spec.cluster_ip.as_str(), h.spec.ip_family_policy.as_deref()), ("None", Some("SingleStack")));
        // Selectorless headless: RequireDualStack, both families (initIPFamilyFields).
        let mut hs = service("ClusterIP", "None", &[0]);
        a.allocate_create(&mut hs).unwrap();
        assert_eq!(hs.spec.ip_family_policy.as_deref(), Some("RequireDualStack"));
        assert_eq!(hs.spec.ip_families.as_ref().map(Vec::len), Some(2));
        let mut e = service("ExternalName", "", &[]);
        a.allocate_create(&mut e).unwrap();
        assert!(e.spec.cluster_ip.is_empty() && e.spec.ip_families.is_none());
        assert!(a.ips.taken.is_empty());
    }

    /// initIPFamilyFields on a single-stack IPv4 cluster (alloc.go's error words).
    #[test]
    fn dual_stack_requests_are_refused_on_an_ipv4_cluster() {
        let mut a = allocators("10.96.0.0/12");
        let mut s = service("ClusterIP", "", &[0]);
        s.spec.ip_family_policy = Some("RequireDualStack".into());
        s.spec.selector = Some([("app".to_string(), "web".to_string())].into());
        let Err(Refusal::Invalid(e)) = a.allocate_create(&mut s) else { panic!() };
        assert_eq!(e[0].to_string(), "spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services");
        let mut s = service("ClusterIP", "", &[0]);
        s.spec.ip_families = Some(vec!["IPv6".into()]);
        let Err(Refusal::Invalid(e)) = a.allocate_create(&mut s) else { panic!() };
        assert_eq!(e[0].to_string(), "spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster");
        let Err(Refusal::Invalid(e)) = a.allocate_create(&mut service("ClusterIP", "fd00::10", &[0])) else { panic!() };
        assert_eq!(e[0].to_string(), "spec.clusterIPs[0]: Invalid value: []string{\"fd00::10\"}: IPv6 is not configured on this cluster");
        // PreferDualStack is accepted and stays single-stack here.
        let mut s = service("ClusterIP", "", &[0]);
        s.spec.ip_family_policy = Some("PreferDualStack".into());
        a.allocate_create(&mut s).unwrap();
        assert_eq!(s.spec.ip_families.as_deref(), Some(&["IPv4".to_string()][..]));
    }

    #[test]
    fn service_cidrs_are_checked_like_kubeadm() {
        assert!(validate_service_cidr(Cidr::parse("10.96.0.0/12").unwrap()).is_ok());
        assert_eq!(
            validate_service_cidr(Cidr::parse("10.128.0.0/10").unwrap()).unwrap_err(),
            "specified service subnet is too large; for 32-bit addresses, the mask must be >= 12"
        );
        assert!(validate_service_cidr(Cidr::parse("10.96.0.0/31").unwrap()).is_err());
    }
}
