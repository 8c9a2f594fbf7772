//! Chaos Mesh's NetworkChaos (chaos-mesh.org/v1alpha1), `partition` and `delay`, on the
//! traffic model's requests between pods. Upstream (read at v2.8.3, 60ec97f1): the
//! experiment selects its pods (`selector`, `mode`, `value`, as PodChaos) and, with
//! `target`, a second set; the rules go into the pods' own network namespaces
//! (controllers/chaosimpl/networkchaos/partition/impl.go, trafficcontrol/impl.go;
//! pkg/chaosdaemon/iptables_server.go, tc_server.go):
//! - partition: `to`/`both` drop, in each selected pod, what it sends to the targets
//!   (OUTPUT, `--match-set … dst`), and in each target what it receives from the selected
//!   pods (INPUT, `src`); `from`/`both` the other way round. Without `target`: everything
//!   the selected pods send (`to`) or receive (`from`).
//! - delay: netem on the sender's egress — the selected pods' towards the targets for
//!   `to`/`both` (everything they send without `target`), the targets' towards the
//!   selected pods for `from`/`both`. `delay TIME JITTER CORR`: the kernel's netem
//!   (sch_netem.c tabledist, get_crandom) draws each packet's delay uniformly in
//!   [latency − jitter, latency + jitter), each draw correlated with the last by `rho`.
//!
//! The sets hold pod IPs, matched inside the pod's namespace: a request to a Service's
//! ClusterIP leaves the client with the ClusterIP as destination (kube-proxy's DNAT is on
//! the node), so the client's own rules do not see it as going to a target — the target's
//! do, as the client's address is kept. A request needs its packets both ways, so a
//! one-way drop fails it (`timeout`: nothing comes back).
//!
//! Where ksim differs: one request is one packet each way (no handshake, no
//! retransmission), so a delay adds one draw per delayed direction; rules apply to the
//! traffic model's requests only (not to the kubelet's probes, which upstream's
//! target-less partition also cuts, nor to the control plane); the pods are selected
//! once, when the experiment is applied (as upstream's records are), and their IPs then;
//! `externalTargets`, `device`, delay's `reorder`, and the actions `netem`, `loss`,
//! `duplicate`, `corrupt` and `bandwidth` are kept in the object and not injected (a
//! warning says so at load).

use super::chaos_mesh::{go_duration_ns, validate_duration, validate_selector, PodSelectorSpec};
use rand::Rng;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkChaosSpec {
    pub action: String,
    pub mode: String,
    #[serde(default)]
    pub value: Option<String>,
    pub selector: PodSelectorSpec,
    #[serde(default)]
    pub device: Option<String>,
    #[serde(default)]
    pub duration: Option<String>,
    #[serde(default)]
    pub delay: Option<DelaySpec>,
    #[serde(default)]
    pub loss: Option<serde_json::Value>,
    #[serde(default)]
    pub duplicate: Option<serde_json::Value>,
    #[serde(default)]
    pub corrupt: Option<serde_json::Value>,
    #[serde(default)]
    pub bandwidth: Option<serde_json::Value>,
    #[serde(default)]
    pub rate: Option<serde_json::Value>,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub target: Option<TargetSpec>,
    #[serde(default)]
    pub target_device: Option<String>,
    #[serde(default)]
    pub external_targets: Option<Vec<String>>,
    #[serde(default)]
    pub remote_cluster: Option<String>,
}

/// `target`: a PodSelector of its own.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetSpec {
    pub mode: String,
    #[serde(default)]
    pub value: Option<String>,
    pub selector: PodSelectorSpec,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DelaySpec {
    #[serde(default)]
    pub latency: Option<String>,
    #[serde(default)]
    pub correlation: Option<String>,
    #[serde(default)]
    pub jitter: Option<String>,
    #[serde(default)]
    pub reorder: Option<serde_json::Value>,
}

const ACTIONS: [&str; 7] = ["netem", "delay", "loss", "duplicate", "corrupt", "partition", "bandwidth"];
/// DelaySpec's CRD pattern for latency and jitter.
const DELAY_PATTERN: &str = r"^[0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h)$";

fn matches_delay_pattern(s: &str) -> bool {
    let n = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(n);
    let num_ok = match num.split_once('.') {
        Some((i, f)) => !i.is_empty() && !f.is_empty() && !f.contains('.'),
        None => !num.is_empty(),
    };
    num_ok && ["ns", "us", "ms", "s", "m", "h"].contains(&unit)
}

/// The direction, `to` when empty (Direction.Default).
pub fn direction(spec: &NetworkChaosSpec) -> &str {
    spec.direction.as_deref().filter(|d| !d.is_empty()).unwrap_or("to")
}

/// The CRD's schema (enums, DelaySpec's pattern and required latency) and the webhook
/// (networkchaos_webhook.go NetworkChaosSpec.Validate; common_webhook.go PodSelector,
/// Duration, FloatStr), as `(field, message)`.
pub fn validate(spec: &NetworkChaosSpec) -> Vec<(String, String)> {
    let mut errs = Vec::new();
    if !ACTIONS.contains(&spec.action.as_str()) {
        let all = ACTIONS.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ");
        errs.push(("spec.action".into(), format!("Unsupported value: {:?}: supported values: {all}", spec.action)));
    }
    if let Some(d) = spec.direction.as_deref().filter(|d| !["", "to", "from", "both"].contains(d)) {
        errs.push(("spec.direction".into(), format!("Unsupported value: {d:?}: supported values: \"to\", \"from\", \"both\"")));
    }
    errs.extend(validate_selector("spec", &spec.mode, spec.value.as_deref()));
    if let Some(t) = &spec.target {
        errs.extend(validate_selector("spec.target", &t.mode, t.value.as_deref()));
    }
    errs.extend(validate_duration("spec.duration", spec.duration.as_deref()));
    if let Some(d) = &spec.delay {
        match d.latency.as_deref() {
            None => errs.push(("spec.delay.latency".into(), "Required value".into())),
            Some(l) if !matches_delay_pattern(l) => {
                errs.push(("spec.delay.latency".into(), format!("Invalid value: {l:?}: spec.delay.latency in body should match '{DELAY_PATTERN}'")))
            }
            Some(l) => errs.extend(validate_duration("spec.delay.latency", Some(l))),
        }
        if let Some(j) = d.jitter.as_deref().filter(|j| !j.is_empty()) {
            if !matches_delay_pattern(j) {
                errs.push(("spec.delay.jitter".into(), format!("Invalid value: {j:?}: spec.delay.jitter in body should match '{DELAY_PATTERN}'")));
            }
        }
        if let Some(c) = d.correlation.as_deref().filter(|c| !c.is_empty()) {
            if c.parse::<f32>().is_err() {
                errs.push((
                    "spec.delay.correlation".into(),
                    format!("Invalid value: {c:?}: parse correlation field error:strconv.ParseFloat: parsing {c:?}: invalid syntax"),
                ));
            }
        }
    }
    if spec.action != "partition" {
        let dir = direction(spec);
        let one_way = !(dir == "from" || dir == "both");
        if !one_way && spec.external_targets.is_some() {
            errs.push((
                "spec.direction".into(),
                format!("Invalid value: {dir:?}: external targets cannot be used with `from` and `both` direction in netem action yet"),
            ));
        }
        if !one_way && spec.target.is_none() {
            errs.push((
                "spec.direction".into(),
                format!("Invalid value: {dir:?}: `from` and `both` direction cannot be used when targets is empty in netem action"),
            ));
        }
    }
    errs
}

/// What ksim keeps but does not inject, as `(field, warning)`.
pub fn unmodelled(spec: &NetworkChaosSpec) -> Vec<(String, String)> {
    let mut w = Vec::new();
    if !["partition", "delay"].contains(&spec.action.as_str()) {
        w.push((
            "spec.action".to_string(),
            format!("NetworkChaos action {:?} is not modelled (ksim models partition and delay): the experiment is stored, nothing is injected", spec.action),
        ));
    }
    if spec.external_targets.is_some() {
        w.push(("spec.externalTargets".to_string(), "externalTargets are not modelled (ksim's traffic runs between pods): they are ignored".to_string()));
    }
    if spec.delay.as_ref().is_some_and(|d| d.reorder.is_some()) {
        w.push(("spec.delay.reorder".to_string(), "reorder is not modelled: it is ignored".to_string()));
    }
    if spec.remote_cluster.as_deref().is_some_and(|r| !r.is_empty()) {
        w.push(("spec.remoteCluster".to_string(), "remote clusters are not modelled: the experiment runs in this cluster".to_string()));
    }
    w
}

/// An injected partition or delay: its pods (uid → IP, as selected when applied).
#[derive(Clone, Debug)]
pub struct NetworkFault {
    pub partition: bool,
    pub to: bool,
    pub from: bool,
    pub sources: BTreeMap<String, String>,
    pub targets: Option<BTreeMap<String, String>>,
    /// netem's delay, jitter (µs) and correlation (rho, scaled to u32).
    pub latency_us: u64,
    pub jitter_us: u64,
    pub rho: u32,
    /// get_crandom's last value, per pod whose egress is delayed (its qdisc).
    last: BTreeMap<String, u32>,
}

/// One request as the pods' namespaces see it: the client (its uid when it is a pod, its
/// address), the address it dials, and the endpoint that answers (uid, address).
pub struct Hop<'a> {
    pub client_uid: Option<&'a str>,
    pub client_ip: &'a str,
    pub dialed: &'a str,
    pub server_uid: Option<&'a str>,
    pub server_ip: &'a str,
}

/// What the rules do to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Drop,
    /// Extra latency, µs.
    Delay(u64),
}

impl NetworkFault {
    pub fn new(spec: &NetworkChaosSpec, sources: BTreeMap<String, String>, targets: Option<BTreeMap<String, String>>) -> Self {
        let dir = direction(spec);
        let us = |s: Option<&str>| s.filter(|s| !s.is_empty()).and_then(|s| go_duration_ns(s).ok()).map_or(0, |ns| (ns.max(0) / 1000) as u64);
        let d = spec.delay.clone().unwrap_or_default();
        // iproute2 turns a percentage into a fraction of 2^32 − 1.
        let corr = d.correlation.as_deref().and_then(|c| c.parse::<f64>().ok()).unwrap_or(0.0).clamp(0.0, 100.0);
        NetworkFault {
            partition: spec.action == "partition",
            to: dir == "to" || dir == "both",
            from: dir == "from" || dir == "both",
            sources,
            targets,
            latency_us: us(d.latency.as_deref()),
            jitter_us: us(d.jitter.as_deref()),
            rho: (corr / 100.0 * f64::from(u32::MAX)).round() as u32,
            last: BTreeMap::new(),
        }
    }

    fn in_targets(&self, ip: &str) -> bool {
        self.targets.as_ref().is_none_or(|t| t.values().any(|i| i == ip))
    }

    fn is_target(&self, uid: Option<&str>) -> bool {
        uid.is_some_and(|u| self.targets.as_ref().is_some_and(|t| t.contains_key(u)))
    }

    fn source_ip(&self, ip: &str) -> bool {
        self.sources.values().any(|i| i == ip)
    }

    /// Whether the packets `from` (a pod's uid, when it is one) sends to `to` leave its
    /// namespace caught by the rules (egress), and whether those it receives from `peer` are.
    fn egress(&self, uid: Option<&str>, to: &str) -> bool {
        let src = uid.is_some_and(|u| self.sources.contains_key(u));
        (src && self.to && self.in_targets(to)) || (self.is_target(uid) && self.from && self.source_ip(to))
    }

    fn ingress(&self, uid: Option<&str>, from: &str) -> bool {
        let src = uid.is_some_and(|u| self.sources.contains_key(u));
        (src && self.from && self.in_targets(from)) || (self.is_target(uid) && self.to && self.source_ip(from))
    }

    /// The rules' effect on one request: the client's packets leave with the dialed
    /// address and come back from it; the endpoint sees the client's own.
    pub fn verdict(&mut self, h: &Hop, rng: &mut impl Rng) -> Verdict {
        let client_out = self.egress(h.client_uid, h.dialed);
        let server_out = self.egress(h.server_uid, h.client_ip);
        if self.partition {
            let caught = client_out || server_out || self.ingress(h.client_uid, h.dialed) || self.ingress(h.server_uid, h.client_ip);
            return if caught { Verdict::Drop } else { Verdict::Pass };
        }
        let mut extra = 0;
        for (out, uid) in [(client_out, h.client_uid), (server_out, h.server_uid)] {
            if let (true, Some(uid)) = (out, uid) {
                extra += self.draw(uid, rng);
            }
        }
        if extra == 0 && !(client_out || server_out) {
            Verdict::Pass
        } else {
            Verdict::Delay(extra)
        }
    }

    /// One packet's delay at `uid`'s qdisc: tabledist's uniform draw.
    fn draw(&mut self, uid: &str, rng: &mut impl Rng) -> u64 {
        let (mu, sigma) = (self.latency_us, self.jitter_us);
        if sigma == 0 {
            return mu;
        }
        let value: u32 = rng.random();
        let rnd = if self.rho == 0 {
            value
        } else {
            // init_crandom seeds `last` with a random value.
            let last = *self.last.entry(uid.to_string()).or_insert_with(|| rng.random());
            let rho = u64::from(self.rho) + 1;
            let answer = ((u64::from(value) * ((1u64 << 32) - rho) + u64::from(last) * rho) >> 32) as u32;
            self.last.insert(uid.to_string(), answer);
            answer
        };
        // ((rnd % (2 * sigma)) + mu) - sigma, in µs (the kernel's unit is ns).
        (u64::from(rnd) % (2 * sigma) + mu).saturating_sub(sigma)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    fn spec(yaml_action: &str, direction: Option<&str>, target: bool) -> NetworkChaosSpec {
        NetworkChaosSpec {
            action: yaml_action.into(),
            mode: "all".into(),
            direction: direction.map(String::from),
            target: target.then(|| TargetSpec { mode: "all".into(), ..Default::default() }),
            delay: Some(DelaySpec { latency: Some("100ms".into()), ..Default::default() }),
            ..Default::default()
        }
    }

    fn pods(p: &[(&str, &str)]) -> BTreeMap<String, String> {
        p.iter().map(|(u, i)| (u.to_string(), i.to_string())).collect()
    }

    /// a (10.0.0.1) selected, b (10.0.0.2) the target, c (10.0.0.3) neither.
    fn fault(action: &str, dir: &str, target: bool) -> NetworkFault {
        let t = target.then(|| pods(&[("b", "10.0.0.2")]));
        NetworkFault::new(&spec(action, Some(dir), target), pods(&[("a", "10.0.0.1")]), t)
    }

    fn hop<'a>(c: (&'a str, &'a str), dialed: &'a str, s: (&'a str, &'a str)) -> Hop<'a> {
        Hop { client_uid: Some(c.0), client_ip: c.1, dialed, server_uid: Some(s.0), server_ip: s.1 }
    }

    #[test]
    fn a_partition_in_one_direction_fails_requests_both_ways() {
        let mut rng = RngStreams::new(1).stream("t");
        let (a, b, c) = (("a", "10.0.0.1"), ("b", "10.0.0.2"), ("c", "10.0.0.3"));
        for dir in ["to", "from", "both"] {
            let mut f = fault("partition", dir, true);
            // Pod to pod, either way: a packet one way is dropped, so the request fails.
            assert_eq!(f.verdict(&hop(a, b.1, b), &mut rng), Verdict::Drop, "{dir}: a → b");
            assert_eq!(f.verdict(&hop(b, a.1, a), &mut rng), Verdict::Drop, "{dir}: b → a");
            assert_eq!(f.verdict(&hop(c, b.1, b), &mut rng), Verdict::Pass, "{dir}: c → b");
            assert_eq!(f.verdict(&hop(a, c.1, c), &mut rng), Verdict::Pass, "{dir}: a → c");
        }
        // Through a ClusterIP: a's own OUTPUT rule does not see b's address, b's INPUT
        // rule (direction to) sees a's.
        let mut f = fault("partition", "to", true);
        assert_eq!(f.verdict(&hop(a, "10.96.0.10", b), &mut rng), Verdict::Drop);
        // Without a target, `to` drops all a sends: any request to or from a.
        let mut f = fault("partition", "to", false);
        assert_eq!(f.verdict(&hop(c, b.1, b), &mut rng), Verdict::Pass);
        assert_eq!(f.verdict(&hop(c, a.1, a), &mut rng), Verdict::Drop);
        assert_eq!(f.verdict(&hop(a, "10.96.0.10", c), &mut rng), Verdict::Drop);
    }

    #[test]
    fn a_delay_is_added_once_per_delayed_direction() {
        let mut rng = RngStreams::new(1).stream("t");
        let (a, b, c) = (("a", "10.0.0.1"), ("b", "10.0.0.2"), ("c", "10.0.0.3"));
        // to: a's egress towards b — the request a → b, and the answer of b → a.
        let mut f = fault("delay", "to", true);
        assert_eq!(f.verdict(&hop(a, b.1, b), &mut rng), Verdict::Delay(100_000));
        assert_eq!(f.verdict(&hop(b, a.1, a), &mut rng), Verdict::Delay(100_000));
        assert_eq!(f.verdict(&hop(c, a.1, a), &mut rng), Verdict::Pass);
        // a's netem filter matches b's address: through a ClusterIP it is not delayed.
        assert_eq!(f.verdict(&hop(a, "10.96.0.10", b), &mut rng), Verdict::Pass);
        // both: a's egress towards b and b's towards a.
        let mut f = fault("delay", "both", true);
        assert_eq!(f.verdict(&hop(a, b.1, b), &mut rng), Verdict::Delay(200_000));
        // Jitter: uniform in [latency − jitter, latency + jitter).
        let mut s = spec("delay", Some("to"), false);
        s.delay = Some(DelaySpec { latency: Some("10ms".into()), jitter: Some("2ms".into()), correlation: Some("50".into()), reorder: None });
        let mut f = NetworkFault::new(&s, pods(&[("a", "10.0.0.1")]), None);
        for _ in 0..1000 {
            let Verdict::Delay(d) = f.verdict(&hop(a, c.1, c), &mut rng) else { panic!("delayed") };
            assert!((8_000..12_000).contains(&d), "{d}");
        }
    }

    #[test]
    fn the_webhooks_words() {
        let e = |s: &NetworkChaosSpec| validate(s).into_iter().next();
        assert_eq!(
            e(&spec("delay", Some("from"), false)),
            Some(("spec.direction".into(), "Invalid value: \"from\": `from` and `both` direction cannot be used when targets is empty in netem action".into()))
        );
        // The partition returns before those checks.
        assert_eq!(e(&spec("partition", Some("both"), false)), None);
        let mut s = spec("delay", None, false);
        s.delay = Some(DelaySpec { latency: Some("100".into()), ..Default::default() });
        assert_eq!(e(&s).map(|x| x.0), Some("spec.delay.latency".to_string()));
        s.delay = Some(DelaySpec { latency: Some("1s".into()), correlation: Some("x".into()), ..Default::default() });
        assert_eq!(e(&s).map(|x| x.1), Some("Invalid value: \"x\": parse correlation field error:strconv.ParseFloat: parsing \"x\": invalid syntax".into()));
    }
}
