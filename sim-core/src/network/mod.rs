//! Pod networking: node pod CIDRs (node IPAM) and per-node pod IP allocation (what the
//! CNI's host-local IPAM does on each node).

pub mod dns;
pub mod ipam;
pub mod policy;
