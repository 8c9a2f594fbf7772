//! A load-balancer controller that hands out addresses from a pool, as MetalLB's does
//! (metallb/metallb controller/service.go convergeBalancer, internal/allocator): enabled
//! by `spec.cluster.loadBalancer.addresses`. Without it, a LoadBalancer Service stays
//! `<pending>` as it does in a cluster without a cloud provider.
//!
//! For each Service of type LoadBalancer without a `loadBalancerClass`: an address it
//! already holds is kept; one it asks for (the `metallb.universe.tf/loadBalancerIPs`
//! annotation, else the deprecated `spec.loadBalancerIP`) is given if in the pool and
//! free; otherwise the first free address in pool order. The status is written
//! (`status.loadBalancer.ingress: [{ip, ipMode: VIP}]`) with the event `IPAllocated`
//! (`Assigned IP ["192.168.1.240"]`); none left is a Warning `AllocationFailed`
//! (`Failed to allocate IP for "default/web": no available IPs`). A Service deleted, or
//! no longer of type LoadBalancer, frees its address (and loses the status).
//!
//! ksim runs it in the controller manager's loop (MetalLB is a Deployment of its own),
//! and `delay` stands in for the time a load balancer takes to come up (0 for MetalLB;
//! a cloud's takes tens of seconds).

use super::informers::{NsName, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::service::Service;
use crate::api::{Kind, Object};
use crate::apiserver::Request;
use crate::engine::SimDuration;
use crate::etcd::WatchEvent;
use crate::network::ipam::{format_ip, parse_ip};
use serde_json::json;
use std::collections::BTreeMap;

/// MetalLB's annotation for the addresses a Service asks for.
pub const ANNOTATION_LB_IPS: &str = "metallb.universe.tf/loadBalancerIPs";

/// The pool: inclusive ranges of IPv4 addresses, in the order written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pool {
    pub ranges: Vec<(u32, u32)>,
}

impl Pool {
    /// Parses IPAddressPool.spec.addresses entries: a CIDR (`192.168.1.0/28`) or a range
    /// (`192.168.1.240-192.168.1.250`).
    pub fn parse_entry(s: &str) -> Result<(u32, u32), String> {
        if let Some((a, b)) = s.split_once('-') {
            let (Some(a), Some(b)) = (parse_ip(a.trim()), parse_ip(b.trim())) else {
                return Err("must be a CIDR (192.168.1.0/28) or a range of IPv4 addresses (192.168.1.240-192.168.1.250)".into());
            };
            if a > b {
                return Err(format!("the range's start {} is after its end {}", format_ip(a), format_ip(b)));
            }
            return Ok((a, b));
        }
        let c = crate::network::ipam::Cidr::parse(s)
            .map_err(|_| "must be a CIDR (192.168.1.0/28) or a range of IPv4 addresses (192.168.1.240-192.168.1.250)".to_string())?;
        Ok((c.base, c.base + (c.size() - 1) as u32))
    }

    fn contains(&self, ip: u32) -> bool {
        self.ranges.iter().any(|(a, b)| (*a..=*b).contains(&ip))
    }
}

pub struct ServiceLbController {
    queue: WorkQueue<NsName>,
    /// None: no pool configured, the controller does nothing.
    pool: Option<Pool>,
    delay: SimDuration,
    /// Address → the Service holding it.
    allocated: BTreeMap<u32, NsName>,
    held: BTreeMap<NsName, u32>,
}

impl Default for ServiceLbController {
    fn default() -> Self {
        ServiceLbController::new(None, SimDuration::ZERO)
    }
}

impl ServiceLbController {
    pub fn new(pool: Option<Pool>, delay: SimDuration) -> Self {
        ServiceLbController { queue: WorkQueue::without_bucket(Order::Sorted), pool, delay, allocated: BTreeMap::new(), held: BTreeMap::new() }
    }

    fn release(&mut self, key: &NsName) {
        if let Some(ip) = self.held.remove(key) {
            self.allocated.remove(&ip);
        }
    }

    /// What the Service asks for: the annotation, else spec.loadBalancerIP.
    fn requested(svc: &Service) -> Option<String> {
        let ann = svc.metadata.annotations.get(ANNOTATION_LB_IPS).map(|v| v.split(',').next().unwrap_or("").trim().to_string());
        ann.or_else(|| svc.spec.load_balancer_ip.as_deref().and_then(|v| v.as_str()).map(str::to_string)).filter(|s| !s.is_empty())
    }

    /// The allocator's decision for `key`: Ok(address) or Err(why).
    fn allocate(&mut self, key: &NsName, svc: &Service) -> Result<u32, String> {
        let pool = self.pool.as_ref().expect("only with a pool");
        if let Some(want) = Self::requested(svc) {
            let ip = parse_ip(&want).ok_or_else(|| format!("invalid IP {want:?}"))?;
            if !pool.contains(ip) {
                return Err(format!("[\"{want}\"] is not allowed in config"));
            }
            match self.allocated.get(&ip) {
                Some(other) if other != key => return Err(format!("can't change sharing key, address also in use by {}/{}", other.0, other.1)),
                _ => {}
            }
            self.release(key);
            return Ok(ip);
        }
        if let Some(ip) = self.held.get(key) {
            return Ok(*ip);
        }
        for (a, b) in &pool.ranges {
            for ip in *a..=*b {
                if !self.allocated.contains_key(&ip) {
                    return Ok(ip);
                }
            }
        }
        Err("no available IPs".into())
    }
}

impl ServiceLbController {
    /// An address came free: the Services still waiting for one are tried again ("the
    /// outer controller loop will retry converging this service when another service gets
    /// deleted").
    fn retry_waiting(&mut self, inf: &SharedInformers) {
        let waiting: Vec<NsName> = inf
            .list(&Kind::Service)
            .filter_map(|o| o.as_service())
            .filter(|s| is_ours(s) && s.load_balancer_ingress().is_empty())
            .map(|s| (s.metadata.namespace.to_string(), s.metadata.name.to_string()))
            .collect();
        for k in waiting {
            self.queue.add(k);
        }
    }
}

/// Whether the controller looks after this Service (type LoadBalancer, no class of its own).
fn is_ours(svc: &Service) -> bool {
    svc.spec.type_ == "LoadBalancer" && svc.spec.load_balancer_class.as_deref().and_then(|v| v.as_str()).is_none()
}

impl Controller for ServiceLbController {
    type Key = NsName;
    const NAME: &'static str = "metallb-controller";

    fn queue(&mut self) -> &mut WorkQueue<NsName> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Service)
    }

    fn on_watch(&mut self, _inf: &SharedInformers, ev: &WatchEvent, ctx: &mut ControllerCtx) {
        if self.pool.is_none() {
            return;
        }
        let m = ev.object.meta();
        let key = (m.namespace.to_string(), m.name.to_string());
        if self.delay == SimDuration::ZERO {
            self.queue.add(key);
        } else {
            ctx.requeue_after(&mut self.queue, key, self.delay);
        }
    }

    fn sync(&mut self, inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) -> Synced {
        let Some(obj) = inf.get(&Kind::Service, &key.0, &key.1).cloned() else {
            if self.held.contains_key(key) {
                self.release(key);
                self.retry_waiting(inf);
            }
            return Synced::Done;
        };
        let Some(svc) = obj.as_service() else { return Synced::Done };
        let current = svc.load_balancer_ingress();
        if !is_ours(svc) {
            let had = self.held.contains_key(key);
            self.release(key);
            if had {
                self.retry_waiting(inf);
            }
            if had && !current.is_empty() {
                let mut s = svc.clone();
                s.metadata.resource_version.0 = 0;
                s.status = None;
                ctx.request(Request::UpdateStatus(Object::Service(Box::new(s))));
            }
            return Synced::Done;
        }
        match self.allocate(key, svc) {
            Ok(ip) => {
                self.allocated.insert(ip, key.clone());
                self.held.insert(key.clone(), ip);
                let addr = format_ip(ip);
                if current != [addr.clone()] {
                    let mut s = svc.clone();
                    s.metadata.resource_version.0 = 0;
                    s.status = Some(Box::new(json!({"loadBalancer": {"ingress": [{"ip": addr, "ipMode": "VIP"}]}})));
                    ctx.request(Request::UpdateStatus(Object::Service(Box::new(s))));
                    ctx.event(&obj, "Normal", "IPAllocated", &format!("Assigned IP [\"{addr}\"]"));
                }
            }
            Err(why) => {
                ctx.event(&obj, "Warning", "AllocationFailed", &format!("Failed to allocate IP for \"{}/{}\": {why}", key.0, key.1));
            }
        }
        Synced::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_entries_are_cidrs_or_ranges() {
        assert_eq!(Pool::parse_entry("192.168.1.240-192.168.1.250"), Ok((parse_ip("192.168.1.240").unwrap(), parse_ip("192.168.1.250").unwrap())));
        assert_eq!(Pool::parse_entry("10.0.0.0/30"), Ok((parse_ip("10.0.0.0").unwrap(), parse_ip("10.0.0.3").unwrap())));
        assert!(Pool::parse_entry("192.168.1.250-192.168.1.240").unwrap_err().contains("is after its end"));
        assert!(Pool::parse_entry("banana").is_err());
    }

    fn svc(name: &str, want: Option<&str>) -> Service {
        let mut s = Service::default();
        s.metadata.namespace = "default".into();
        s.metadata.name = name.into();
        s.spec.type_ = "LoadBalancer".into();
        if let Some(w) = want {
            s.metadata.annotations.insert(ANNOTATION_LB_IPS.into(), w.into());
        }
        s
    }

    /// First free in pool order; a requested address if in the pool and free; none left.
    #[test]
    fn addresses_go_in_pool_order_and_run_out() {
        let pool = Pool { ranges: vec![Pool::parse_entry("192.168.1.240-192.168.1.241").unwrap()] };
        let mut c = ServiceLbController::new(Some(pool), SimDuration::ZERO);
        let take = |c: &mut ServiceLbController, name: &str, want: Option<&str>| {
            let key = ("default".to_string(), name.to_string());
            let r = c.allocate(&key, &svc(name, want));
            if let Ok(ip) = r {
                c.allocated.insert(ip, key.clone());
                c.held.insert(key, ip);
            }
            r.map(format_ip)
        };
        assert_eq!(take(&mut c, "b", Some("192.168.1.241")).as_deref(), Ok("192.168.1.241"));
        assert_eq!(take(&mut c, "a", None).as_deref(), Ok("192.168.1.240"));
        assert_eq!(take(&mut c, "a", None).as_deref(), Ok("192.168.1.240"), "an address held is kept");
        assert_eq!(take(&mut c, "c", None), Err("no available IPs".to_string()));
        assert!(take(&mut c, "d", Some("10.0.0.1")).unwrap_err().contains("is not allowed in config"));
        c.release(&("default".into(), "a".into()));
        assert_eq!(take(&mut c, "c", None).as_deref(), Ok("192.168.1.240"));
    }
}
