//! What the kubelet reads of the ConfigMaps and Secrets a pod uses (upstream's
//! volumemanager — WaitForAttachAndMount before the sandbox — with the configMap, secret
//! and projected volume plugins, and kubelet_pods.go makeEnvironmentVariables for
//! `env[].valueFrom` and `envFrom`):
//!
//! - a volume whose ConfigMap or Secret does not exist keeps the pod in
//!   ContainerCreating: `FailedMount` "MountVolume.SetUp failed for volume "config" :
//!   configmap "x" not found", retried on the operation executor's back-off (500 ms
//!   doubling to 2m2s: nestedpendingoperations' exponentialBackoff) until it appears;
//!   `optional: true` mounts without it; emptyDir, hostPath, downwardAPI and the like
//!   mount at once;
//! - an env reference to a missing object or key stops the containers' creation:
//!   waiting `CreateContainerConfigError` with the error (`configmap "x" not found`,
//!   `couldn't find key k in ConfigMap ns/x`) and a `Failed` event "Error: …", retried at
//!   the pod worker's 10 s back-off.
//!
//! - a persistentVolumeClaim volume needs its claim to exist, not be being deleted, and
//!   be Bound, and its volume to exist (desired_state_of_world_populator.go
//!   getPVCExtractPV, getPVSpec); otherwise WaitForAttachAndMount fails at once and
//!   SyncPod records `FailedMount` "Unable to attach or mount volumes: unmounted
//!   volumes=[data], unattached volumes=[], failed to process volumes=[data]: error
//!   processing PVC default/data: PVC is not bound" (or "… failed to fetch PVC from API
//!   server: persistentvolumeclaims "data" not found", "… PVC is being deleted"),
//!   again at each sync the pod worker retries (10 s);
//! - a CSI volume that needs attaching waits for the attach/detach controller
//!   (VerifyControllerAttachedVolume: its VolumeAttachment on this node attached),
//!   looked at again on the operation's back-off (500 ms doubling to 2m2s, as its
//!   error backs off upstream), so a pod may start a while after its volume is
//!   attached. That wait is silent: since
//!   v1.28 a WaitForAttachAndMount that merely times out (2m3s) records no event
//!   (SyncPod's `!wait.Interrupted(err)` guard), so a pod held by a Multi-Attach error
//!   shows only the attach/detach controller's `FailedAttachVolume`.
//!
//! ksim's kubelet GETs the objects at each attempt (the kubelet's `Get` change-detection
//! strategy); upstream's default `Watch` strategy caches them, and a mount still waits
//! for its next retry, so the moments are the same. Differences: all app containers
//! share the error (upstream: the container whose env is bad).

use super::pod_workers::{Phase, PodStep};
use super::Kubelet;
use crate::api::pod::Pod;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response};
use crate::client::Ctx;
use crate::engine::SimDuration;
use std::collections::BTreeMap;
use std::rc::Rc;

/// nestedpendingoperations: initialDurationBeforeRetry and maxDurationBeforeRetry.
pub const MOUNT_RETRY_INITIAL: SimDuration = SimDuration::from_ms(500);
pub const MOUNT_RETRY_MAX: SimDuration = SimDuration::from_ms(122_000);
/// The pod worker's back-off after a failed sync (pod_workers.go backOffPeriod).
pub const SYNC_ERROR_BACKOFF: SimDuration = SimDuration::from_secs(10);

/// One reference of a pod to a ConfigMap or Secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub key: ObjectKey,
    pub optional: bool,
    /// The volume that mounts it (volumes), or the data key it reads (env).
    pub volume: Option<String>,
    pub data_key: Option<String>,
}

fn str_at<'a>(v: &'a serde_json::Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(|x| x.as_str())
}

fn optional(v: &serde_json::Value) -> bool {
    v.get("optional").and_then(|x| x.as_bool()).unwrap_or(false)
}

/// The ConfigMaps and Secrets the pod's volumes mount (configMap, secret, and the
/// sources of a projected volume).
pub fn volume_refs(p: &Pod) -> Vec<Reference> {
    let ns = &p.metadata.namespace;
    let mut out = Vec::new();
    let vols = p.spec.volumes.as_deref().and_then(|v| v.as_array()).cloned().unwrap_or_default();
    for v in &vols {
        let Some(vol) = str_at(v, "name") else { continue };
        let mut add = |kind: Kind, src: &serde_json::Value, name_field: &str| {
            if let Some(name) = str_at(src, name_field) {
                out.push(Reference { key: ObjectKey::new(kind, ns, name), optional: optional(src), volume: Some(vol.to_string()), data_key: None });
            }
        };
        if let Some(c) = v.get("configMap") {
            add(Kind::ConfigMap, c, "name");
        }
        if let Some(s) = v.get("secret") {
            add(Kind::Secret, s, "secretName");
        }
        for src in v.pointer("/projected/sources").and_then(|s| s.as_array()).into_iter().flatten() {
            if let Some(c) = src.get("configMap") {
                add(Kind::ConfigMap, c, "name");
            }
            if let Some(s) = src.get("secret") {
                add(Kind::Secret, s, "name");
            }
        }
    }
    out
}

/// The ConfigMaps and Secrets (and keys) the environment of the init containers (`init`)
/// or of the app containers reads.
pub fn env_refs(p: &Pod, init: bool) -> Vec<Reference> {
    let ns = &p.metadata.namespace;
    let mut out = Vec::new();
    let containers: &[crate::api::pod::Container] = if init { &p.spec.init_containers } else { &p.spec.containers };
    for c in containers {
        for e in c.env.as_deref().and_then(|v| v.as_array()).into_iter().flatten() {
            for (field, kind) in [("configMapKeyRef", Kind::ConfigMap), ("secretKeyRef", Kind::Secret)] {
                if let Some(r) = e.pointer(&format!("/valueFrom/{field}")) {
                    if let Some(name) = str_at(r, "name") {
                        out.push(Reference {
                            key: ObjectKey::new(kind, ns, name),
                            optional: optional(r),
                            volume: None,
                            data_key: str_at(r, "key").map(String::from),
                        });
                    }
                }
            }
        }
        for e in c.env_from.as_deref().and_then(|v| v.as_array()).into_iter().flatten() {
            for (field, kind) in [("configMapRef", Kind::ConfigMap), ("secretRef", Kind::Secret)] {
                if let Some(r) = e.get(field) {
                    if let Some(name) = str_at(r, "name") {
                        out.push(Reference { key: ObjectKey::new(kind, ns, name), optional: optional(r), volume: None, data_key: None });
                    }
                }
            }
        }
    }
    out
}

/// The watch-based manager's NotFound: the singular resource (`configmap "x" not found`).
fn not_found(key: &ObjectKey) -> String {
    let what = if key.kind == Kind::Secret { "secret" } else { "configmap" };
    format!("{what} {:?} not found", key.name)
}

/// What a reference finds among the objects read: None when it is satisfied.
pub fn problem(r: &Reference, found: &BTreeMap<ObjectKey, Option<Rc<Object>>>) -> Option<String> {
    let obj = found.get(&r.key).cloned().flatten();
    let Some(obj) = obj else {
        return (!r.optional).then(|| not_found(&r.key));
    };
    let key = r.data_key.as_deref()?;
    let (has, what) = match &*obj {
        Object::ConfigMap(c) => (c.has_key(key), "ConfigMap"),
        Object::Secret(s) => (s.data.contains_key(key), "Secret"),
        _ => (true, ""),
    };
    (!has && !r.optional).then(|| format!("couldn't find key {key} in {what} {}/{}", r.key.namespace, r.key.name))
}

/// The objects a pod's claimed volumes need, given what has been read: each claim, the
/// volume a bound claim names, and an attachable volume's VolumeAttachment on `node`.
pub fn claim_keys(p: &Pod, node: &str, found: &BTreeMap<ObjectKey, Option<Rc<Object>>>) -> Vec<ObjectKey> {
    let ns = &p.metadata.namespace;
    let mut out = Vec::new();
    for (_, claim) in crate::api::storage::pod_claims(p.spec.volumes.as_deref()) {
        let ck = ObjectKey::new(Kind::PersistentVolumeClaim, ns, &claim);
        let bound = found
            .get(&ck)
            .cloned()
            .flatten()
            .and_then(|o| o.as_pvc().filter(|c| c.status.phase == "Bound" && !c.spec.volume_name.is_empty()).map(|c| c.spec.volume_name.clone()));
        out.push(ck);
        let Some(vname) = bound else { continue };
        let vk = ObjectKey::new(Kind::PersistentVolume, "", &vname);
        let attach = found.get(&vk).cloned().flatten().and_then(|o| {
            o.as_pv()
                .and_then(|v| v.csi_handle())
                .filter(|(d, _)| crate::controller_manager::external_provisioner::attachable_provisioner(d))
                .map(|(d, h)| crate::api::storage::attachment_name(h, d, node))
        });
        out.push(vk);
        if let Some(va) = attach {
            out.push(ObjectKey::new(Kind::VolumeAttachment, "", &va));
        }
    }
    out
}

/// What a claimed volume still waits for: (volume, Err(the populator's error) when it
/// cannot be processed, Ok(()) when it waits for its attach).
pub fn claim_waits(p: &Pod, node: &str, found: &BTreeMap<ObjectKey, Option<Rc<Object>>>) -> Vec<(String, Result<(), String>)> {
    let ns = &p.metadata.namespace;
    let mut out = Vec::new();
    for (vol, claim) in crate::api::storage::pod_claims(p.spec.volumes.as_deref()) {
        let get = |k: ObjectKey| found.get(&k).cloned().flatten();
        let c = get(ObjectKey::new(Kind::PersistentVolumeClaim, ns, &claim));
        // getPVCExtractPV, then getPVSpec.
        let problem = match c.as_deref().and_then(|o| o.as_pvc()) {
            None => Some(format!("failed to fetch PVC from API server: persistentvolumeclaims {claim:?} not found")),
            Some(c) if c.metadata.rare.deletion_timestamp.is_some() => Some("PVC is being deleted".to_string()),
            Some(c) if c.status.phase != "Bound" => Some("PVC is not bound".to_string()),
            Some(c) if c.spec.volume_name.is_empty() => Some("PVC has empty pvc.Spec.VolumeName".to_string()),
            Some(c) => match get(ObjectKey::new(Kind::PersistentVolume, "", &c.spec.volume_name)) {
                None => Some(format!("failed to fetch PV {} from API server: persistentvolumes {:?} not found", c.spec.volume_name, c.spec.volume_name)),
                Some(pv) => {
                    let attach =
                        pv.as_pv().and_then(|v| v.csi_handle()).filter(|(d, _)| crate::controller_manager::external_provisioner::attachable_provisioner(d));
                    if let Some((d, h)) = attach {
                        let va = get(ObjectKey::new(Kind::VolumeAttachment, "", &crate::api::storage::attachment_name(h, d, node)));
                        if !va.as_deref().and_then(|o| o.as_volume_attachment()).is_some_and(|a| a.status.attached) {
                            out.push((vol.clone(), Ok(())));
                        }
                    }
                    None
                }
            },
        };
        if let Some(e) = problem {
            out.push((vol, Err(format!("error processing PVC {ns}/{claim}: {e}"))));
        }
    }
    out
}

/// Why the kubelet reads objects for a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Purpose {
    Mount,
    Env,
}

/// A round of reads for one pod.
#[derive(Debug, Default)]
pub(super) struct Fetch {
    pub(super) pending: usize,
    pub(super) found: BTreeMap<ObjectKey, Option<Rc<Object>>>,
}

impl Kubelet {
    /// Reads the objects `refs` name (one GET each); `done` runs once all are answered.
    fn fetch(&mut self, uid: &str, refs: &[Reference], purpose: Purpose, ctx: &mut Ctx) {
        let keys: Vec<ObjectKey> = refs.iter().map(|r| r.key.clone()).collect();
        self.fetch_keys(uid, keys, BTreeMap::new(), purpose, ctx);
    }

    /// Reads `keys` (one GET each), adding to what was `found` already.
    fn fetch_keys(&mut self, uid: &str, mut keys: Vec<ObjectKey>, found: BTreeMap<ObjectKey, Option<Rc<Object>>>, purpose: Purpose, ctx: &mut Ctx) {
        keys.sort();
        keys.dedup();
        let Some(w) = self.workers.get_mut(uid) else { return };
        w.fetch = Some(Box::new(Fetch { pending: keys.len(), found }));
        for k in keys {
            self.fetch_seq = self.fetch_seq.wrapping_add(1);
            let tag = self.fetch_seq;
            self.fetches.insert(tag, (uid.to_string(), purpose));
            ctx.request_reply(Request::Get(Box::new(k)), tag);
        }
    }

    /// The volumes are mounted before the sandbox: read what they need first.
    pub(super) fn mount_volumes(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get(uid) else { return };
        let Some(p) = w.pod.as_pod() else { return };
        let refs = volume_refs(p);
        let claims = claim_keys(p, &self.spec.name, &BTreeMap::new());
        if refs.is_empty() && claims.is_empty() {
            if let Some(w) = self.workers.get_mut(uid) {
                w.mounted = true;
            }
            self.start_sandbox(uid, ctx);
            return;
        }
        let mut keys: Vec<ObjectKey> = refs.iter().map(|r| r.key.clone()).collect();
        keys.extend(claims);
        self.fetch_keys(uid, keys, BTreeMap::new(), Purpose::Mount, ctx);
    }

    /// The containers' environment is made when they are created: the init containers'
    /// before they run, the app containers' once they have.
    pub(super) fn resolve_env(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get(uid) else { return };
        let Some(p) = w.pod.as_pod() else { return };
        let refs = env_refs(p, w.rare.init_next < w.rare.init.len());
        if refs.is_empty() {
            self.env_ready(uid, ctx);
            return;
        }
        self.fetch(uid, &refs, Purpose::Env, ctx);
    }

    /// The answer to one GET.
    pub(super) fn fetched(&mut self, tag: u32, req: &Request, resp: &Response, ctx: &mut Ctx) {
        let Some((uid, purpose)) = self.fetches.remove(&tag) else { return };
        let Request::Get(key) = req else { return };
        // Not an answer about the object (kube-apiserver unreachable): the read is made
        // again when the kubelet reconnects.
        if let Response::Error(st) = resp {
            if st.code != 404 {
                self.lost_fetches.insert(uid, purpose);
                return;
            }
        }
        let Some(w) = self.workers.get_mut(&uid) else { return };
        let obj = match resp {
            Response::Object(o) => Some(o.clone()),
            _ => None,
        };
        let fetch = w.fetch.get_or_insert_default();
        fetch.found.insert((**key).clone(), obj);
        fetch.pending = fetch.pending.saturating_sub(1);
        if fetch.pending > 0 {
            return;
        }
        let pod = w.pod.clone();
        let Some(p) = pod.as_pod() else { return };
        // The round is over: its box goes (none reads as an empty one).
        let found = w.fetch.take().map(|f| f.found).unwrap_or_default();
        match purpose {
            Purpose::Mount => {
                if w.phase != Phase::Creating || w.sandbox {
                    return;
                }
                // A bound claim's volume, then its VolumeAttachment: read them too.
                let node = self.spec.name.clone();
                let more: Vec<ObjectKey> = claim_keys(p, &node, &found).into_iter().filter(|k| !found.contains_key(k)).collect();
                if !more.is_empty() {
                    self.fetch_keys(&uid, more, found, Purpose::Mount, ctx);
                    return;
                }
                let failures: Vec<(String, String)> =
                    volume_refs(p).iter().filter_map(|r| problem(r, &found).map(|e| (r.volume.clone().unwrap_or_default(), e))).collect();
                let waits = claim_waits(p, &node, &found);
                if failures.is_empty() && waits.is_empty() {
                    if let Some(r) = w.rare.existing() {
                        r.mount_backoff = None;
                    }
                    w.mounted = true;
                    self.start_sandbox(&uid, ctx);
                    return;
                }
                if failures.is_empty() {
                    let errs: Vec<&str> = waits.iter().filter_map(|(_, r)| r.as_ref().err().map(String::as_str)).collect();
                    if errs.is_empty() {
                        // Waiting for an attach, silently: VerifyControllerAttachedVolume's
                        // error backs its operation off (nestedpendingoperations: 500 ms
                        // doubling to 2m2s), so the kubelet notices an attach up to that
                        // late.
                        let d = w.rare.mount_backoff.map_or(MOUNT_RETRY_INITIAL, |d| d.times(2).min(MOUNT_RETRY_MAX));
                        w.rare.mount_backoff = Some(d);
                        self.timer(&uid, d, PodStep::MountRetry, ctx);
                        return;
                    }
                    // WaitForAttachAndMount fails at once (the populator's errors): SyncPod's
                    // event, and the pod worker's retry.
                    let mut unmounted: Vec<&str> = waits.iter().map(|(v, _)| v.as_str()).collect();
                    unmounted.sort_unstable();
                    let mut unattached: Vec<&str> = waits.iter().filter(|(_, r)| r.is_ok()).map(|(v, _)| v.as_str()).collect();
                    unattached.sort_unstable();
                    let mut unprocessed: Vec<&str> = waits.iter().filter(|(_, r)| r.is_err()).map(|(v, _)| v.as_str()).collect();
                    unprocessed.sort_unstable();
                    let msg = format!(
                        "Unable to attach or mount volumes: unmounted volumes=[{}], unattached volumes=[{}], failed to process volumes=[{}]: {}",
                        unmounted.join(" "),
                        unattached.join(" "),
                        unprocessed.join(" "),
                        errs.join("; ")
                    );
                    self.event(&pod, "Warning", "FailedMount", &msg, ctx);
                    self.timer(&uid, SYNC_ERROR_BACKOFF, PodStep::MountRetry, ctx);
                    return;
                }
                let d = w.rare.mount_backoff.map_or(MOUNT_RETRY_INITIAL, |d| d.times(2).min(MOUNT_RETRY_MAX));
                w.rare.mount_backoff = Some(d);
                for (vol, e) in failures {
                    self.event(&pod, "Warning", "FailedMount", &format!("MountVolume.SetUp failed for volume {vol:?} : {e}"), ctx);
                }
                self.timer(&uid, d, PodStep::MountRetry, ctx);
            }
            Purpose::Env => {
                if matches!(w.phase, Phase::Killing | Phase::Done) {
                    return;
                }
                match env_refs(p, w.rare.init_next < w.rare.init.len()).iter().find_map(|r| problem(r, &found)) {
                    None => {
                        if let Some(r) = w.rare.existing() {
                            r.config_error = None;
                        }
                        self.env_ready(&uid, ctx);
                    }
                    Some(e) => {
                        w.rare.config_error = Some(e.clone());
                        self.sync_status(&uid, ctx);
                        self.event(&pod, "Warning", "Failed", &format!("Error: {e}"), ctx);
                        self.timer(&uid, SYNC_ERROR_BACKOFF, PodStep::EnvRetry, ctx);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(spec: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({"metadata": {"name": "p", "namespace": "shop"}, "spec": spec})).unwrap()
    }

    #[test]
    fn references_and_what_they_find() {
        let p = pod(serde_json::json!({
            "containers": [{"name": "c", "image": "x",
                "env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}}}],
                "envFrom": [{"configMapRef": {"name": "settings", "optional": true}}]}],
            "volumes": [
                {"name": "config", "configMap": {"name": "app-config"}},
                {"name": "tls", "secret": {"secretName": "tls", "optional": true}},
                {"name": "all", "projected": {"sources": [{"configMap": {"name": "a"}}, {"secret": {"name": "b"}}]}},
                {"name": "scratch", "emptyDir": {}}
            ]
        }));
        let vols = volume_refs(&p);
        let names: Vec<(&str, &str, bool)> = vols.iter().map(|r| (r.volume.as_deref().unwrap(), r.key.name.as_str(), r.optional)).collect();
        assert_eq!(names, [("config", "app-config", false), ("tls", "tls", true), ("all", "a", false), ("all", "b", false)]);
        let none = BTreeMap::new();
        // The watch-based managers' NotFound names the singular resource.
        assert_eq!(problem(&vols[0], &none).as_deref(), Some("configmap \"app-config\" not found"));
        assert_eq!(problem(&vols[1], &none), None, "optional");
        assert_eq!(problem(&vols[3], &none).as_deref(), Some("secret \"b\" not found"));
        let env = env_refs(&p, false);
        assert_eq!(env.len(), 2);
        let mut secret = crate::api::config_map::Secret::default();
        secret.data.insert("user".into(), "YWRtaW4=".into());
        let found: BTreeMap<ObjectKey, Option<Rc<Object>>> = [(env[0].key.clone(), Some(Rc::new(Object::Secret(Box::new(secret)))))].into_iter().collect();
        // makeEnvironmentVariables' error for a missing key.
        assert_eq!(problem(&env[0], &found).as_deref(), Some("couldn't find key password in Secret shop/creds"));
        assert_eq!(problem(&env[1], &found), None, "an optional envFrom");
    }
}
