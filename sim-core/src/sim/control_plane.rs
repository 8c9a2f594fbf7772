//! Whether the control plane serves requests: kube-apiserver up or down
//! (`apiserverRestart`), and etcd as a cluster of members with a leader
//! (`etcdMemberDown`, `etcdSlowDisk`), after etcd's raft as its documentation describes
//! it.
//!
//! - While kube-apiserver is down every request is refused at once (the client's dial
//!   fails: `dial tcp 172.18.0.1:6443: connect: connection refused`; kubectl prints
//!   "The connection to the server 172.18.0.1:6443 was refused - did you specify the right
//!   host or port?").
//! - etcd commits a write once a quorum (⌊n/2⌋ + 1) of its members has it on disk, the
//!   leader's own copy included: a write's commit waits for the leader's disk and for
//!   the quorum-th fastest disk of the members that are up. Without a quorum nothing is
//!   committed: a write waits for etcd's request timeout (ReqTimeout: 5 s + twice the
//!   1 s election timeout = 7 s) and fails `etcdserver: request timed out`, while reads
//!   are still served (from kube-apiserver's watch cache). When the leader stops, the
//!   others elect one after the election timeout (1 s), and writes wait for it.
//! - A client whose request cannot be served and that does not wait for the answer
//!   (a kubelet's status and lease updates, an event) retries it, as client-go and the
//!   kubelet's managers do: ksim keeps the latest such request per client and object and
//!   sends them when writes are served again.
//! - kube-controller-manager and kube-scheduler hold their leadership with a Lease they
//!   must renew within 10 s (--leader-elect-renew-deadline): after an outage that long
//!   they have lost it and exited (leaderelection lost), and their restarted processes
//!   start again from a full list (ksim restarts them when writes are served again;
//!   upstream's new process also waits for the old lease to expire, 15 s after its last
//!   renewal). After kube-apiserver's restart the kubelets and kube-proxies list again
//!   (their watches broke).
//! - A write already accepted that has not committed when writes stop being served
//!   fails as one arriving then would.
//!
//! Nothing committed is ever lost: the store is etcd's committed state.

use super::Client;
use crate::apiserver::Request;
use crate::client::Reply;
use crate::engine::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};

/// client-go's event broadcaster's queue (maxQueuedEvents).
const MAX_QUEUED_EVENTS: usize = 1000;
/// etcd's ReqTimeout with the default 1 s election timeout: 5 s + 2 × 1 s.
pub const ETCD_REQUEST_TIMEOUT: SimDuration = SimDuration::from_secs(7);
/// etcd's default --election-timeout.
pub const ELECTION_TIMEOUT: SimDuration = SimDuration::from_secs(1);
/// kube-controller-manager's and kube-scheduler's --leader-elect-renew-deadline.
pub const LEADER_RENEW_DEADLINE: SimDuration = SimDuration::from_secs(10);
/// etcdserver.ErrTimeout.
pub const ETCD_TIMED_OUT: &str = "etcdserver: request timed out";
/// A client's dial to a stopped kube-apiserver at `address`.
pub fn refused(address: &str) -> String {
    format!("dial tcp {address}:6443: connect: connection refused")
}

/// What kubectl prints for it.
pub fn kubectl_refused(address: &str) -> String {
    format!("The connection to the server {address}:6443 was refused - did you specify the right host or port?")
}

/// What becomes of a request that reaches kube-apiserver now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Served now.
    Serve,
    /// Committed after this delay (a slow disk, an election).
    Delay(SimDuration),
    /// Refused at once (kube-apiserver down).
    Refuse,
    /// Fails after etcd's request timeout (no quorum).
    TimeOut,
}

#[derive(Debug)]
pub struct ControlPlane {
    /// The address kube-apiserver advertises (clients dial it).
    pub address: String,
    /// kube-apiserver's stops under way (restarts, its machines down; overlapping ones
    /// end with the last).
    apiserver_outages: u32,
    pub members: u32,
    /// How many stops of each member are under way (overlapping ones end with the last).
    down_count: BTreeMap<u32, u32>,
    pub down: BTreeSet<u32>,
    /// Members whose disk writes are slow, and how slow.
    pub slow: BTreeMap<u32, SimDuration>,
    pub leader: Option<u32>,
    /// An election under way ends then.
    pub electing_until: Option<SimTime>,
    /// Since when writes have not been served, while they are not.
    pub outage_since: Option<SimTime>,
    /// When the last write accepted commits: raft's log keeps the order, so a later
    /// write never commits before it.
    last_commit: SimTime,
    /// Fire-and-forget requests kept for when writes are served again, by (client, key):
    /// a full-object update (a status, a lease) replaces the one before it for the same
    /// object; anything else is kept apart. Each with its arrival order and time.
    held: BTreeMap<(Client, String), (u64, Box<Request>, SimTime)>,
    held_seq: u64,
    /// Kept events per client (client-go's broadcaster queue).
    held_events: BTreeMap<Client, usize>,
    /// Every control-plane node went down: the control plane's processes died with
    /// them, whatever the outage's length.
    pub processes_died: bool,
}

impl ControlPlane {
    pub fn new(members: u32, address: &str) -> Self {
        ControlPlane {
            address: address.to_string(),
            apiserver_outages: 0,
            members: members.max(1),
            down_count: BTreeMap::new(),
            down: BTreeSet::new(),
            slow: BTreeMap::new(),
            leader: Some(0),
            electing_until: None,
            outage_since: None,
            last_commit: SimTime::ZERO,
            held: BTreeMap::new(),
            held_seq: 0,
            held_events: BTreeMap::new(),
            processes_died: false,
        }
    }

    pub fn quorum(&self) -> u32 {
        self.members / 2 + 1
    }

    pub fn has_quorum(&self) -> bool {
        self.members - self.down.len() as u32 >= self.quorum()
    }

    pub fn apiserver_down(&self) -> bool {
        self.apiserver_outages > 0
    }

    /// kube-apiserver stops (one more reason for it to be down).
    pub fn apiserver_stop(&mut self) {
        self.apiserver_outages += 1;
    }

    /// One reason for kube-apiserver to be down is over.
    pub fn apiserver_start(&mut self) {
        self.apiserver_outages = self.apiserver_outages.saturating_sub(1);
    }

    pub fn serving_writes(&self) -> bool {
        self.unserved().is_none()
    }

    /// Why a write cannot be served now, if it cannot: kube-apiserver down (refused), or
    /// no quorum (etcd's timeout).
    pub fn unserved(&self) -> Option<Verdict> {
        if self.apiserver_down() {
            Some(Verdict::Refuse)
        } else if !self.has_quorum() {
            Some(Verdict::TimeOut)
        } else {
            None
        }
    }

    /// A write's wait for its commit: an election under way, then the slower of the
    /// leader's disk and the quorum-th fastest disk among the members up.
    pub fn commit_delay(&self, now: SimTime) -> SimDuration {
        let election = self.electing_until.filter(|t| *t > now).map_or(SimDuration::ZERO, |t| t.since(now));
        if self.slow.is_empty() {
            return election;
        }
        let disk = |m: &u32| self.slow.get(m).copied().unwrap_or(SimDuration::ZERO);
        let mut up: Vec<SimDuration> = (0..self.members).filter(|m| !self.down.contains(m)).map(|m| disk(&m)).collect();
        up.sort();
        let quorum_disk = up.get(self.quorum() as usize - 1).copied().unwrap_or(SimDuration::ZERO);
        let leader_disk = self.leader.map_or(SimDuration::ZERO, |l| disk(&l));
        SimDuration::from_ms(election.as_ms() + quorum_disk.as_ms().max(leader_disk.as_ms()))
    }

    /// What becomes of `request`, arriving now (a write accepted is counted in the log's
    /// order).
    pub fn verdict(&mut self, request: &Request, now: SimTime) -> Verdict {
        if is_read(request) {
            return if self.apiserver_down() { Verdict::Refuse } else { Verdict::Serve };
        }
        if let Some(v) = self.unserved() {
            return v;
        }
        // The common case (every write of a run without control-plane faults): no
        // election, no slow disk, nothing committing late ahead of it.
        if self.slow.is_empty() && self.electing_until.is_none_or(|t| t <= now) && self.last_commit <= now {
            return Verdict::Serve;
        }
        let at = (now + self.commit_delay(now)).max(self.last_commit);
        self.last_commit = at;
        match at.since(now) {
            d if d == SimDuration::ZERO => Verdict::Serve,
            d => Verdict::Delay(d),
        }
    }

    /// Keeps a fire-and-forget request (which reached kube-apiserver at `arrived`) for
    /// later.
    pub fn hold(&mut self, from: Client, request: Box<Request>, arrived: SimTime) {
        self.held_seq += 1;
        let seq = self.held_seq;
        let key = match &*request {
            // client-go's event broadcaster queues at most 1000 events (maxQueuedEvents),
            // then drops them.
            Request::Create(crate::api::Object::Event(_)) | Request::PatchEvent(_) => {
                let n = self.held_events.entry(from).or_default();
                if *n >= MAX_QUEUED_EVENTS {
                    return;
                }
                *n += 1;
                format!("event {seq}")
            }
            Request::Update(_) => format!("update {}", request.key()),
            Request::UpdateStatus(_) => format!("status {}", request.key()),
            // A merge patch replaces what it sets: one per object and set of fields.
            Request::Patch { key, patch } => format!("patch {key} {}", field_paths(patch).join(",")),
            _ => format!("other {seq}"),
        };
        self.held.insert((from, key), (seq, request, arrived));
    }

    /// A client's kept requests die with its process (a crash, a stop).
    pub fn forget(&mut self, c: Client) {
        self.held.retain(|(h, _), _| *h != c);
        self.held_events.remove(&c);
    }

    /// The kept requests in the order they arrived; those of the clients in `drop` are
    /// forgotten (their processes restarted).
    pub fn take_held(&mut self, drop: &[Client]) -> Vec<(Client, Box<Request>, SimTime)> {
        self.held_events.clear();
        let mut v: Vec<(u64, Client, Box<Request>, SimTime)> =
            std::mem::take(&mut self.held).into_iter().filter(|((c, _), _)| !drop.contains(c)).map(|((c, _), (s, r, t))| (s, c, r, t)).collect();
        v.sort_by_key(|e| e.0);
        v.into_iter().map(|(_, c, r, t)| (c, r, t)).collect()
    }

    /// A member stops; a leader that stops leaves an election behind (if a quorum is
    /// left to hold one).
    pub fn member_down(&mut self, m: u32, now: SimTime) {
        if m >= self.members {
            return;
        }
        *self.down_count.entry(m).or_default() += 1;
        if !self.down.insert(m) {
            return;
        }
        if self.leader == Some(m) {
            self.leader = None;
            self.elect(now);
        } else if !self.has_quorum() {
            // CheckQuorum (etcd's default): a leader that cannot hear from a quorum
            // steps down; the quorum's return costs an election.
            self.leader = None;
        }
    }

    pub fn member_up(&mut self, m: u32, now: SimTime) {
        let left = self.down_count.get(&m).copied().unwrap_or(0).saturating_sub(1);
        if left > 0 {
            self.down_count.insert(m, left);
            return;
        }
        self.down_count.remove(&m);
        if self.down.remove(&m) && self.leader.is_none() {
            self.elect(now);
        }
    }

    /// With a quorum up, the members elect a leader after the election timeout (ksim
    /// takes the lowest-numbered member up).
    fn elect(&mut self, now: SimTime) {
        if !self.has_quorum() {
            return;
        }
        self.leader = (0..self.members).find(|m| !self.down.contains(m));
        self.electing_until = Some(now + ELECTION_TIMEOUT);
    }
}

/// The paths a JSON merge patch sets (`spec.taints`, `spec.podCIDR`, …).
fn field_paths(v: &serde_json::Value) -> Vec<String> {
    fn walk(v: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) if !m.is_empty() => {
                for (k, x) in m {
                    let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(x, &p, out);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }
    let mut out = Vec::new();
    walk(v, "", &mut out);
    out
}

/// Whether a request only reads (the resource metrics API, which the aggregation layer
/// proxies to metrics-server, does not touch etcd at all).
pub fn is_read(r: &Request) -> bool {
    matches!(r, Request::Get(_) | Request::List(_) | Request::PodMetrics { .. })
}

/// Whether the client is told of a request's failure (it retries it its own way);
/// otherwise the request is kept and sent again later.
pub fn hears_failure(reply: Reply) -> bool {
    reply != Reply::None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_waits_for_the_quorums_disks_and_the_leaders() {
        // Three members: quorum 2. A slow follower is outvoted by the fast pair …
        let mut cp = ControlPlane::new(3, "172.18.0.1");
        cp.slow.insert(2, SimDuration::from_ms(200));
        assert_eq!(cp.commit_delay(SimTime(0)), SimDuration::ZERO);
        // … a slow leader is not: it must persist the entry itself.
        cp.slow.clear();
        cp.slow.insert(0, SimDuration::from_ms(200));
        assert_eq!(cp.commit_delay(SimTime(0)), SimDuration::from_ms(200));
        // Two slow members out of three: the quorum needs one of them.
        cp.slow.insert(1, SimDuration::from_ms(50));
        cp.slow.remove(&0);
        cp.slow.insert(2, SimDuration::from_ms(80));
        assert_eq!(cp.commit_delay(SimTime(0)), SimDuration::from_ms(50));
    }

    #[test]
    fn losing_the_leader_costs_an_election_and_losing_the_majority_stops_writes() {
        let mut cp = ControlPlane::new(3, "172.18.0.1");
        cp.member_down(0, SimTime(1000));
        assert!(cp.has_quorum());
        assert_eq!(cp.leader, Some(1));
        assert_eq!(cp.commit_delay(SimTime(1200)), SimDuration::from_ms(800), "the rest of the 1 s election");
        cp.member_down(1, SimTime(5000));
        assert!(!cp.has_quorum());
        assert_eq!(cp.verdict(&Request::List(crate::api::Kind::Pod), SimTime(5000)), Verdict::Serve, "reads are served");
        let w = Request::Delete { key: Box::new(crate::api::ObjectKey::new(crate::api::Kind::Pod, "default", "p")), grace_period_seconds: None, uid: None };
        assert_eq!(cp.verdict(&w, SimTime(5000)), Verdict::TimeOut);
        // Two members of five down: still a quorum of three.
        let mut five = ControlPlane::new(5, "172.18.0.1");
        five.member_down(3, SimTime(0));
        five.member_down(4, SimTime(0));
        assert!(five.has_quorum());
        five.member_down(2, SimTime(0));
        assert!(!five.has_quorum());
    }
}
