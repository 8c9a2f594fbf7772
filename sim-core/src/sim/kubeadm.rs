//! `kubeadm init` and `kubeadm join` as timeline steps: the bootstrap token kubeadm init
//! creates (its Secret and the `cluster-info` ConfigMap kube-controller-manager's bootstrap
//! signer signs with it), the token cleaner that deletes it when it expires, and join's
//! token discovery with its errors. Pure functions; the simulation (mod.rs) runs them.
//!
//! Mirrors, in kubernetes/kubernetes:
//! - `staging/src/k8s.io/cluster-bootstrap/token/api/types.go`: BootstrapTokenPattern, the
//!   Secret's type and keys, `cluster-info`, `kubeconfig`, `jws-kubeconfig-<id>`;
//! - `cmd/kubeadm/app/apis/bootstraptoken/v1/utils.go`: NewBootstrapTokenString's refusal,
//!   encodeTokenSecretData (expiration = now + TTL in RFC 3339, `usage-bootstrap-*`,
//!   `auth-extra-groups`); kubeadm's defaults (usages signing and authentication, the
//!   group `system:bootstrappers:kubeadm:default-node-token`, TTL 24 h);
//! - `cmd/kubeadm/app/util/apis/kubeadm/validation/validation.go`: ValidateDiscovery and
//!   ValidateToken (what `kubeadm join --token` refuses before it starts);
//! - `cmd/kubeadm/app/discovery/token/token.go`: retrieveValidatedConfigInfo — getClusterInfo's
//!   poll (every DiscoveryRetryInterval, 5 s, from the start, until the discovery timeout,
//!   5 min, `constants.go`), pubkeypin.Allow, validateClusterInfoToken, validateClusterCA;
//! - `cmd/kubeadm/app/util/pubkeypin/pubkeypin.go`: Allow's and CheckAny's messages;
//! - `cmd/kubeadm/app/discovery/discovery.go` (For: "couldn't validate the identity of the
//!   API Server") and `cmd/kubeadm/app/cmd/phases/workflow/runner.go` ("error execution
//!   phase %s"): a failed join's printed line is those wrappers around token.go's error;
//! - `pkg/controller/bootstrap/tokencleaner.go` (evalSecret: delete once expired) and
//!   `bootstrapsigner.go` (signConfigMap over getTokens: one signature per token valid for
//!   signing; stale ones removed); `staging/src/k8s.io/cluster-bootstrap/token/jws/jws.go`
//!   (ComputeDetachedSignature: HS256, the token id as `kid`, payload detached).
//!
//! Where it differs: there is no certificate. The cluster CA's public-key hash is SHA-256
//! of a name derived from the control-plane node (the same in every run and for every
//! seed, so a scenario can state it), and cluster-info's kubeconfig carries that hash where
//! a real one carries the CA's PEM. The join's discovery reads cluster-info as kubectl's
//! reads do (no simulated time); TLS bootstrap (the CSR and its approval) is summarised:
//! a join that passes discovery starts the node's kubelet, which registers the node.

use super::{Client, KubeadmStep, SimEvent, Simulation};
use crate::api::config_map::{base64, ConfigMap, Secret};
use crate::api::meta::Time;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::Request;
use crate::client::{Action, Ctx, Reply};
use crate::engine::{SimDuration, SimTime};
use crate::trace::Record;
use rand::Rng;
use sha2::{Digest, Sha256};

/// BootstrapTokenPattern (cluster-bootstrap/token/api/types.go).
pub const BOOTSTRAP_TOKEN_PATTERN: &str = r"\A([a-z0-9]{6})\.([a-z0-9]{16})\z";
/// SecretTypeBootstrapToken.
pub const SECRET_TYPE_BOOTSTRAP_TOKEN: &str = "bootstrap.kubernetes.io/token";
/// BootstrapTokenSecretPrefix.
pub const SECRET_PREFIX: &str = "bootstrap-token-";
/// ConfigMapClusterInfo (in kube-public), its KubeConfigKey and JWSSignatureKeyPrefix.
pub const CLUSTER_INFO: &str = "cluster-info";
pub const KUBECONFIG_KEY: &str = "kubeconfig";
pub const JWS_PREFIX: &str = "jws-kubeconfig-";
/// constants.NodeBootstrapTokenAuthGroup: the default token's extra group.
pub const DEFAULT_NODE_TOKEN_GROUP: &str = "system:bootstrappers:kubeadm:default-node-token";
/// constants.DefaultTokenDuration.
pub const DEFAULT_TOKEN_TTL: SimDuration = SimDuration::from_secs(24 * 3600);
/// constants.DiscoveryTimeout and DiscoveryRetryInterval.
pub const DISCOVERY_TIMEOUT: SimDuration = SimDuration::from_secs(300);
pub const DISCOVERY_RETRY_INTERVAL: SimDuration = SimDuration::from_secs(5);
/// The apiserver's port (kubeadm's default bindPort).
pub const API_SERVER_PORT: u16 = 6443;

/// A bootstrap token: `<id>.<secret>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub id: String,
    pub secret: String,
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.id, self.secret)
    }
}

/// BootstrapTokenRegexp.FindStringSubmatch: six and sixteen of `[a-z0-9]`, with a dot.
pub fn parse_token(s: &str) -> Option<Token> {
    let (id, secret) = s.split_once('.')?;
    let ok = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (ok(id, 6) && ok(secret, 16)).then(|| Token { id: id.into(), secret: secret.into() })
}

/// Go's `%q` for the ASCII strings these messages quote (Rust's Debug escapes `\` and `"`
/// as Go does).
fn go_q(s: &str) -> String {
    format!("{s:?}")
}

/// NewBootstrapTokenString's refusal (InitConfiguration's `bootstrapTokens[].token`).
pub fn token_not_of_the_form(token: &str) -> String {
    format!("the bootstrap token {} was not of the form {}", go_q(token), go_q(BOOTSTRAP_TOKEN_PATTERN))
}

/// ValidateJoinConfiguration's refusal of `kubeadm join --token T`: the flag sets both the
/// discovery token and the TLS bootstrap token, and ValidateDiscovery checks each
/// (ValidateToken: "the bootstrap token is invalid"); the field errors are aggregated as
/// utilerrors.NewAggregate prints them.
pub fn join_token_invalid(token: &str) -> String {
    let t = go_q(token);
    format!("[discovery.bootstrapToken.token: Invalid value: {t}: the bootstrap token is invalid, discovery.tlsBootstrapToken: Invalid value: {t}: the bootstrap token is invalid]")
}

/// ValidateDiscoveryBootstrapToken's refusal of a join without a CA hash.
pub const NO_CA_CERT_HASH: &str = "discovery.bootstrapToken: Invalid value: \"\": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue";

/// GenerateBootstrapToken: six and sixteen characters of `[a-z0-9]`, from the run's
/// `kubeadm` stream.
pub fn generate_token(rng: &mut impl Rng) -> Token {
    const CHARS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut pick = |n: usize| (0..n).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect::<String>();
    Token { id: pick(6), secret: pick(16) }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The cluster CA's public-key pin (pubkeypin.Hash's `sha256:<hex>`), derived from the
/// control-plane node (see the module's note).
pub fn ca_cert_hash(control_plane_node: &str) -> String {
    let d = Sha256::digest(format!("ksim kubernetes CA of {control_plane_node}").as_bytes());
    format!("sha256:{}", hex(&d))
}

/// cluster-info's kubeconfig (kubeadm's CreateBasic with no user): the server, and the CA
/// (here: its pin, where a real cluster has the PEM).
pub fn kubeconfig(address: &str, ca_hash: &str) -> String {
    format!(
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {}\n    server: https://{address}:{API_SERVER_PORT}\n  name: \"\"\ncontexts: null\ncurrent-context: \"\"\nkind: Config\npreferences: {{}}\nusers: null\n",
        base64(ca_hash.as_bytes())
    )
}

/// The CA pin a cluster-info kubeconfig carries (None: not one of ours).
fn ca_of(kubeconfig: &str) -> Option<String> {
    let line = kubeconfig.lines().find_map(|l| l.trim().strip_prefix("certificate-authority-data: "))?;
    let bytes = crate::api::config_map::base64_decode(line)?;
    String::from_utf8(bytes).ok()
}

fn base64url(bytes: &[u8]) -> String {
    base64(bytes).trim_end_matches('=').replace('+', "-").replace('/', "_")
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |x: u8| k.iter().map(|b| b ^ x).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(msg).finalize();
    let mut out = [0u8; 32];
    out.copy_from_slice(&Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize());
    out
}

/// ComputeDetachedSignature: a compact HS256 JWS of the content, keyed by the token's
/// secret, with the token id as `kid`, the payload left out (`header..signature`).
pub fn jws_signature(content: &str, id: &str, secret: &str) -> String {
    let header = base64url(format!("{{\"alg\":\"HS256\",\"kid\":\"{id}\"}}").as_bytes());
    let signing_input = format!("{header}.{}", base64url(content.as_bytes()));
    format!("{header}..{}", base64url(&hmac_sha256(secret.as_bytes(), signing_input.as_bytes())))
}

/// The token's Secret in kube-system (BootstrapTokenToSecret with kubeadm's defaults);
/// `expires` None: a TTL of 0, never.
pub fn token_secret(token: &Token, expires: Option<SimTime>) -> Secret {
    let mut s = Secret { api_version: "v1".into(), kind: "Secret".into(), type_: SECRET_TYPE_BOOTSTRAP_TOKEN.into(), ..Default::default() };
    s.metadata.name = format!("{SECRET_PREFIX}{}", token.id).into();
    s.metadata.namespace = "kube-system".into();
    let mut put = |k: &str, v: &str| s.data.insert(k.into(), base64(v.as_bytes()));
    put("token-id", &token.id);
    put("token-secret", &token.secret);
    if let Some(t) = expires {
        put("expiration", &Time(t).rfc3339());
    }
    put("usage-bootstrap-authentication", "true");
    put("usage-bootstrap-signing", "true");
    put("auth-extra-groups", DEFAULT_NODE_TOKEN_GROUP);
    s
}

/// A Secret's data value, decoded.
fn data(s: &Secret, key: &str) -> Option<String> {
    s.data.get(key).and_then(|v| crate::api::config_map::base64_decode(v)).and_then(|b| String::from_utf8(b).ok())
}

/// When a bootstrap token Secret expires (None: never; GetExpiration: an expiration that
/// does not parse counts as expired, at once).
pub fn expiration(s: &Secret) -> Option<SimTime> {
    let e = data(s, "expiration")?;
    Some(Time::parse_rfc3339(&e).map_or(SimTime::ZERO, |t| t.0))
}

/// `cluster-info` in kube-public, as kubeadm init's bootstrap-token phase creates it
/// (CreateBootstrapConfigMapIfNotExists): the kubeconfig, no signature yet.
pub fn cluster_info(kubeconfig: String) -> ConfigMap {
    let mut cm = ConfigMap { api_version: "v1".into(), kind: "ConfigMap".into(), ..Default::default() };
    cm.metadata.name = CLUSTER_INFO.into();
    cm.metadata.namespace = "kube-public".into();
    cm.data.insert(KUBECONFIG_KEY.into(), kubeconfig);
    cm
}

/// The bootstrap signer's signConfigMap: cluster-info with one signature per token Secret
/// valid for signing (validateSecretForSigning: the right name, a secret, the signing
/// usage, not expired at `now`), stale ones removed; None when nothing changes.
pub fn sign(cm: &ConfigMap, secrets: &[&Secret], now: SimTime) -> Option<ConfigMap> {
    let content = cm.data.get(KUBECONFIG_KEY)?;
    let mut new = cm.clone();
    new.data.retain(|k, _| !k.starts_with(JWS_PREFIX));
    for s in secrets {
        let (Some(id), Some(secret)) = (data(s, "token-id"), data(s, "token-secret")) else { continue };
        let valid = s.metadata.name == format!("{SECRET_PREFIX}{id}")
            && data(s, "usage-bootstrap-signing").as_deref() == Some("true")
            && expiration(s).is_none_or(|e| e > now);
        if valid {
            new.data.entry(format!("{JWS_PREFIX}{id}")).or_insert_with(|| jws_signature(content, &id, &secret));
        }
    }
    (new.data != cm.data).then_some(new)
}

/// One poll of join's discovery (getClusterInfo's condition, then what
/// retrieveValidatedConfigInfo checks once the signature is there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Discovery {
    /// Not yet: poll again (the error kubeadm returns if the timeout comes first).
    Retry(String),
    /// The identity of the API server could not be validated: token.go's error.
    Failed(String),
    /// Validated: TLS bootstrap follows.
    Validated,
}

/// `cluster_info`: the ConfigMap as a GET returns it, or the GET's error.
pub fn discover(cluster_info: Result<&ConfigMap, &str>, token: &Token, ca_hash: &str) -> Discovery {
    // retrieveValidatedConfigInfo checks the pins (pubKeyPins.Allow) before it polls.
    if let Err(e) = allow(ca_hash) {
        return Discovery::Failed(format!("invalid discovery token CA certificate hash: {e}"));
    }
    let cm = match cluster_info {
        Ok(cm) => cm,
        Err(e) => return Discovery::Retry(format!("failed to request the cluster-info ConfigMap: {e}")),
    };
    let Some(sig) = cm.data.get(&format!("{JWS_PREFIX}{}", token.id)) else {
        return Discovery::Retry(format!("could not find a JWS signature in the cluster-info ConfigMap for token ID {}", go_q(&token.id)));
    };
    // validateClusterInfoToken.
    let content = cm.data.get(KUBECONFIG_KEY).cloned().unwrap_or_default();
    if content.is_empty() {
        return Discovery::Failed(format!(
            "there is no {KUBECONFIG_KEY} key in the {CLUSTER_INFO} ConfigMap. This API Server isn't set up for token bootstrapping, can't connect"
        ));
    }
    if *sig != jws_signature(&content, &token.id, &token.secret) {
        return Discovery::Failed("failed to verify JWS signature of received cluster info object, can't trust this API Server".into());
    }
    // validateClusterCA: pubKeyPins.CheckAny.
    let ca = ca_of(&content).unwrap_or_default();
    let (_, pinned) = ca_hash.split_once(':').unwrap_or(("", ""));
    if ca.split_once(':').map(|(_, h)| h) != Some(pinned.to_ascii_lowercase().as_str()) {
        return Discovery::Failed(format!("cluster CA found in {CLUSTER_INFO} ConfigMap is invalid: none of the public keys {} are pinned", go_q(&ca)));
    }
    Discovery::Validated
}

/// pubkeypin's Set.Allow for one hash: its format.
fn allow(hash: &str) -> Result<(), String> {
    let parts: Vec<&str> = hash.split(':').collect();
    if parts.len() != 2 {
        return Err("invalid hash, expected \"format:hex-value\". Known format(s) are: sha256".into());
    }
    if !parts[0].eq_ignore_ascii_case("sha256") {
        return Err(format!("unknown hash format {}. Known format(s) are: sha256", go_q(parts[0])));
    }
    // allowSHA256: hex.DecodedLen, then the hex itself.
    let decoded = parts[1].len() / 2;
    if decoded != 32 {
        return Err(format!("invalid hash {}, expected a 32 byte SHA-256 hash, found {decoded} bytes", go_q(hash)));
    }
    if let Some(c) = parts[1].chars().find(|c| !c.is_ascii_hexdigit()) {
        // Wrapped "could not decode SHA-256 from hex"; encoding/hex's InvalidByteError
        // prints the byte with %#U.
        return Err(format!("invalid hash {}, could not decode SHA-256 from hex: encoding/hex: invalid byte: U+{:04X} {}", go_q(hash), c as u32, go_q_rune(c)));
    }
    Ok(())
}

/// Go's `%q` of a rune.
fn go_q_rune(c: char) -> String {
    format!("{c:?}")
}

/// What kubeadm prints when join's discovery fails: token.go's error, wrapped by
/// discovery.For and by the phase runner (its `preflight` phase runs discovery), then
/// kubeadm's hint (cmd/kubeadm/app/util/error.go, checkErr).
pub fn join_failed(err: &str) -> Vec<String> {
    vec![
        format!("error execution phase preflight: couldn't validate the identity of the API Server: {err}"),
        "To see the stack trace of this error execute with --v=5 or higher".into(),
    ]
}

/// kubeadm init's closing words (cmd/kubeadm/app/cmd/init.go, initDoneTempl) with the
/// join command (GetJoinWorkerCommand's template, on one line: upstream breaks it with a
/// backslash before `--discovery-token-ca-cert-hash`).
pub fn init_output(address: &str, token: &Token, ca_hash: &str) -> Vec<String> {
    vec![
        "Your Kubernetes control-plane has initialized successfully!".into(),
        "Then you can join any number of worker nodes by running the following on each as root:".into(),
        format!("kubeadm join {address}:{API_SERVER_PORT} --token {token} --discovery-token-ca-cert-hash {ca_hash}"),
    ]
}

/// kubeadm join's closing words for a worker (cmd/kubeadm/app/cmd/join.go, joinWorkerNodeDoneMsg).
pub fn join_output() -> Vec<String> {
    vec![
        "This node has joined the cluster:".into(),
        "* Certificate signing request was sent to apiserver and a response was received.".into(),
        "* The Kubelet was informed of the new secure connection details.".into(),
    ]
}

// The simulation's side: the steps above run at their moments.

impl Simulation {
    /// A line kubeadm prints on `node`, into the event log.
    fn kubeadm_says(&mut self, node: &str, lines: Vec<String>) {
        for line in lines {
            self.trace.push(Record {
                t: self.now.as_ms(),
                rev: self.api.store.revision(),
                verb: "kubeadm".into(),
                by: format!("kubeadm/{node}"),
                kind: String::new(),
                ns: String::new(),
                name: String::new(),
                change: [("output".to_string(), serde_json::Value::from(line))].into_iter().collect(),
            });
        }
    }

    /// `kubeadm init`: the control plane comes up (what t = 0 brings without this step),
    /// then the bootstrap-token phase: each token's Secret, cluster-info, and the token
    /// cleaner's and bootstrap signer's first looks.
    pub(super) fn kubeadm_init(&mut self, node: &str) {
        let Some(run) = self.kubeadm.as_mut() else { return };
        if run.initialized {
            return;
        }
        run.initialized = true;
        let (tokens, ca_hash) = (run.tokens.clone(), run.ca_hash.clone());
        self.firewalld_warning(node, &[6443, 10250]);
        self.control_plane.apiserver_start();
        self.bring_up();
        let address = self.control_plane.address.clone();
        for t in &tokens {
            let expires = t.ttl.map(|d| SimTime(self.now.as_ms() + d.as_ms()));
            self.write_direct(Object::Secret(Box::new(token_secret(&t.token, expires))));
            if let Some(e) = expires {
                // evalSecret: AddAfter(ttl); by then the clock is past the expiration.
                self.queue.push(e, SimEvent::Kubeadm(KubeadmStep::TokenCleaner(format!("{SECRET_PREFIX}{}", t.token.id))));
            }
        }
        self.write_direct(Object::ConfigMap(Box::new(cluster_info(kubeconfig(&address, &ca_hash)))));
        self.queue.push(self.now + self.latency.watch, SimEvent::Kubeadm(KubeadmStep::Signer));
        let first = tokens.first().map(|t| t.token.clone()).unwrap_or(Token { id: String::new(), secret: String::new() });
        self.kubeadm_says(node, init_output(&address, &first, &ca_hash));
    }

    /// `kubeadm join` on `node`: discovery starts (its first poll at once).
    pub(super) fn kubeadm_join(&mut self, node: &str, token: Token, ca_hash: String) {
        let Some(&k) = self.kubelet_index.get(node) else { return };
        let started = self.now;
        let Some(run) = self.kubeadm.as_mut() else { return };
        if !run.awaiting_join.contains(&k) || run.joins.contains_key(&k) || self.removed.contains(node) {
            // ksim's words: kubeadm's preflight checks would refuse a machine that has
            // joined (its kubelet.conf exists); they are not modelled.
            self.kubeadm_says(node, vec!["ksim: this machine has joined already, or is joining, or is gone: the join is not run".into()]);
            return;
        }
        run.joins.insert(k, (token, ca_hash, started, String::new()));
        self.firewalld_warning(node, &[10250]);
        self.discovery_poll(k);
    }

    /// Preflight's FirewalldCheck (cmd/kubeadm/app/preflight/checks.go: init checks the API
    /// server's port and the kubelet's, join the kubelet's), a warning printed as RunChecks
    /// prints one, on a machine whose firewalld closes ports (`closedPorts`).
    fn firewalld_warning(&mut self, node: &str, ports: &[u16]) {
        let Some(&k) = self.kubelet_index.get(node) else { return };
        let firewalld = self.pools.iter().any(|p| p.name == self.kubelets[k as usize].spec.pool && !p.closed_ports.is_empty());
        if firewalld {
            // Go's %v of a []int: [6443 10250].
            let ports = ports.iter().map(u16::to_string).collect::<Vec<_>>().join(" ");
            let w = format!("\t[WARNING Firewalld]: firewalld is active, please ensure ports [{ports}] are open or your cluster may not function correctly");
            self.kubeadm_says(node, vec![w]);
        }
    }

    /// One of getClusterInfo's polls; at the discovery timeout, kubeadm's last error.
    fn discovery_poll(&mut self, k: u32) {
        let now = self.now;
        let node = self.kubelets[k as usize].name().to_string();
        let address = self.control_plane.address.clone();
        let serving = self.kubeadm.as_ref().is_some_and(|r| r.initialized) && !self.control_plane.apiserver_down();
        let firewalled = self.firewalled(k);
        let Some(run) = self.kubeadm.as_mut() else { return };
        let Some((token, ca_hash, started, last)) = run.joins.get(&k).cloned() else { return };
        let deadline = started + DISCOVERY_TIMEOUT;
        if now >= deadline {
            run.joins.remove(&k);
            self.kubeadm_says(&node, join_failed(&last));
            return;
        }
        let key = ObjectKey::new(Kind::ConfigMap, "kube-public", CLUSTER_INFO);
        let got = if firewalled {
            // firewalld on the control-plane node rejects 6443 (icmp-host-prohibited).
            Err(format!(
                "Get \"https://{address}:{API_SERVER_PORT}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s\": dial tcp {address}:{API_SERVER_PORT}: connect: no route to host"
            ))
        } else if !serving {
            // net/http's error for a refused dial, as client-go returns it.
            Err(format!(
                "Get \"https://{address}:{API_SERVER_PORT}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s\": dial tcp {address}:{API_SERVER_PORT}: connect: connection refused"
            ))
        } else {
            match self.api.store.get(&key).map(|o| (**o).clone()) {
                Some(Object::ConfigMap(cm)) => Ok(*cm),
                _ => Err(format!("configmaps {:?} not found", CLUSTER_INFO)),
            }
        };
        match discover(got.as_ref().map_err(String::as_str), &token, &ca_hash) {
            Discovery::Retry(e) => {
                if let Some(j) = run.joins.get_mut(&k) {
                    j.3 = e;
                }
                let next = SimTime((now + DISCOVERY_RETRY_INTERVAL).as_ms().min(deadline.as_ms()));
                self.queue.push(next, SimEvent::Kubeadm(KubeadmStep::DiscoveryPoll(k)));
            }
            Discovery::Failed(e) => {
                run.joins.remove(&k);
                self.kubeadm_says(&node, join_failed(&e));
            }
            Discovery::Validated => {
                run.joins.remove(&k);
                run.awaiting_join.remove(&k);
                if self.kubelet_refuses(k) {
                    // kubeadm's kubelet-start phase then waits for a TLS bootstrap that
                    // never comes (its own timeout and error are not modelled).
                    return;
                }
                // TLS bootstrap, summarised: the kubelet starts with its credentials and
                // registers the node; kube-proxy's DaemonSet follows it there.
                let mut acts = Vec::new();
                self.kubelets[k as usize].start(&mut Ctx::new(now, &mut acts));
                self.dispatch(Client::Kubelet(k), acts);
                self.start_proxy(k);
                self.start_notes(k);
                self.kubeadm_says(&node, join_output());
            }
        }
    }

    /// A kubeadm step due.
    pub(super) fn kubeadm_step(&mut self, step: KubeadmStep) {
        match step {
            KubeadmStep::DiscoveryPoll(k) => self.discovery_poll(k),
            KubeadmStep::TokenCleaner(name) => {
                // evalSecret: delete the expired Secret, with its UID as precondition.
                let key = ObjectKey::new(Kind::Secret, "kube-system", &name);
                let Some(uid) = self.api.store.get(&key).map(|o| o.meta().uid.clone()) else { return };
                let request = Box::new(Request::Delete { key: Box::new(key), grace_period_seconds: None, uid: Some(uid.to_string()) });
                self.dispatch(Client::ControllerManager, vec![Action::Request { request, reply: Reply::None }]);
            }
            KubeadmStep::Signer => {
                let store = &self.api.store;
                let Some(Object::ConfigMap(cm)) = store.get(&ObjectKey::new(Kind::ConfigMap, "kube-public", CLUSTER_INFO)).map(|o| (**o).clone()) else {
                    return;
                };
                let secrets: Vec<Secret> = store
                    .list(&Kind::Secret)
                    .filter_map(|o| o.as_secret())
                    .filter(|s| s.metadata.namespace == "kube-system" && s.type_ == SECRET_TYPE_BOOTSTRAP_TOKEN)
                    .cloned()
                    .collect();
                if let Some(new) = sign(&cm, &secrets.iter().collect::<Vec<_>>(), self.now) {
                    let request = Box::new(Request::Update(Object::ConfigMap(Box::new(new))));
                    self.dispatch(Client::ControllerManager, vec![Action::Request { request, reply: Reply::None }]);
                }
            }
        }
    }

    /// A write the bootstrap signer watches (a token Secret): it syncs cluster-info when
    /// the watch event reaches it.
    pub(super) fn poke_signer(&mut self, o: &Object) {
        if let Object::Secret(s) = o {
            if self.kubeadm.is_some() && s.type_ == SECRET_TYPE_BOOTSTRAP_TOKEN && s.metadata.namespace == "kube-system" {
                self.queue.push(self.now + self.latency.watch, SimEvent::Kubeadm(KubeadmStep::Signer));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_bootstrap_token_pattern() {
        assert_eq!(parse_token("abcdef.0123456789abcdef"), Some(Token { id: "abcdef".into(), secret: "0123456789abcdef".into() }));
        for bad in [
            "abcdef0123456789abcdef",
            "ABCDEF.0123456789abcdef",
            "abcde.0123456789abcdef",
            "abcdef.0123456789abcde",
            "abcdef.0123456789abcdef0",
            "abcdef.0123456789abcde_",
        ] {
            assert_eq!(parse_token(bad), None, "{bad}");
        }
        // NewBootstrapTokenString's %q of BootstrapTokenPattern doubles its backslashes.
        assert_eq!(token_not_of_the_form("abc"), r#"the bootstrap token "abc" was not of the form "\\A([a-z0-9]{6})\\.([a-z0-9]{16})\\z""#);
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex(&mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn pins_are_checked_as_pubkeypin_allow_checks_them() {
        assert_eq!(allow("sha256:abc"), Err("invalid hash \"sha256:abc\", expected a 32 byte SHA-256 hash, found 1 bytes".into()));
        assert_eq!(allow("md5:00"), Err("unknown hash format \"md5\". Known format(s) are: sha256".into()));
        assert!(allow("abc").unwrap_err().starts_with("invalid hash, expected \"format:hex-value\""));
        assert_eq!(allow(&ca_cert_hash("cp-1")), Ok(()));
    }
}
