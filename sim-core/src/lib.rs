//! sim-core: ksim's engine and Kubernetes model. A pure function of (scenario, seed):
//! no I/O, no wall clock, no threads, no OS randomness, no iterated hash maps (see
//! `clippy.toml` and `tests/purity.rs`).

pub mod api;
pub mod apiserver;
pub mod client;
pub mod cluster_autoscaler;
pub mod controller_manager;
pub mod engine;
pub mod etcd;
pub mod faults;
pub mod invariants;
pub mod kubelet;
pub mod metrics_server;
pub mod network;
pub mod proxy;
pub mod scenario;
pub mod scheduler;
pub mod series;
pub mod sim;
pub mod trace;
pub mod traffic;
pub mod usage;

pub use scenario::{load, LoadError, Scenario, Source};
pub use sim::{RunOptions, Simulation};
