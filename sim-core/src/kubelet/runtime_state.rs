//! The kubelet's view of the container runtime's network (pkg/kubelet/runtime.go
//! `runtimeState.networkErrors`, kubelet.go `updateRuntimeUp`): until a CNI plugin has
//! written its configuration the runtime reports NetworkReady=false, the node's Ready
//! condition is False with that error, and only hostNetwork pods start (kubelet.go
//! SyncPod: "If the network plugin is not ready, only start the pod if it uses the host
//! network").
//!
//! The runtime itself (`runtimeStop`): updateRuntimeUp polls its status every 5 s and
//! records the last success; `runtimeErrors` says "container runtime is down" once that
//! is maxWaitForContainerRuntime (30 s) old, and the PLEG health check (its relist every
//! second, threshold 3 min) adds "PLEG is not healthy: pleg was last seen active … ago;
//! threshold is 3m0s". ksim takes the last success, and the last relist, to be the moment
//! the runtime stopped (upstream: up to 5 s and 1 s before). ReadyCondition aggregates the
//! runtime's and the network's errors as utilerrors.NewAggregate prints them: one alone,
//! several as `[a, b]`.
//!
//! A CNI is installed by its DaemonSet (Calico's `calico-node`, Flannel's
//! `kube-flannel-ds`, …): ksim takes the node's network as ready once that DaemonSet's pod
//! on the node is Ready (upstream: once its install-cni init container has written the
//! configuration and the runtime's next status poll — every 5 s — sees it). The
//! configuration stays on disk: deleting the DaemonSet or restarting the node does not
//! take the network down again.

use crate::api::pod::Pod;
use crate::engine::{SimDuration, SimTime};

/// maxWaitForContainerRuntime (kubelet.go): the runtime is down once its last good status
/// is this old.
pub const MAX_WAIT_FOR_CONTAINER_RUNTIME: SimDuration = SimDuration::from_secs(30);
/// The PLEG's relistThreshold (pleg/generic.go).
pub const PLEG_RELIST_THRESHOLD: SimDuration = SimDuration::from_secs(180);

/// runtimeErrors and networkErrors, aggregated as ReadyCondition does (None: Ready).
pub fn ready_error(runtime_down_since: Option<SimTime>, network_ready: bool, now: SimTime) -> Option<String> {
    let mut errs: Vec<String> = Vec::new();
    if let Some(t) = runtime_down_since {
        // `!lastBaseRuntimeSync.Add(threshold).After(now)`: down from the threshold on.
        if now >= t + MAX_WAIT_FOR_CONTAINER_RUNTIME {
            errs.push("container runtime is down".into());
        }
        // GenericPLEG.Healthy: `elapsed > relistThreshold`.
        let elapsed = now.since(t);
        if elapsed > PLEG_RELIST_THRESHOLD {
            // Go's Duration.String of both.
            errs.push(format!(
                "PLEG is not healthy: pleg was last seen active {} ago; threshold is {}",
                crate::engine::time::go_duration_ms(elapsed),
                crate::engine::time::go_duration_ms(PLEG_RELIST_THRESHOLD)
            ));
        }
    }
    if !network_ready {
        errs.push(NETWORK_NOT_READY.into());
    }
    match errs.len() {
        0 => None,
        1 => errs.pop(),
        _ => Some(format!("[{}]", errs.join(", "))),
    }
}

/// The runtime's network condition as the kubelet words it (containerd's
/// `Network plugin returns error: cni plugin not initialized`, RuntimeCondition.String,
/// updateRuntimeUp's prefix).
pub const NETWORK_NOT_READY: &str =
    "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized";

/// NetworkNotReadyErrorMsg (pkg/kubelet/errors.go).
pub const NETWORK_NOT_READY_ERROR_MSG: &str = "network is not ready";

/// updateRuntimeUp's period: how long after the CNI is in place the kubelet sees it.
pub const RUNTIME_UPDATE_PERIOD: crate::engine::SimDuration = crate::engine::SimDuration::from_secs(5);

/// The DaemonSets of the CNI plugins ksim recognises by name (their upstream manifests'
/// names); any other is recognised by the `ksim.dev/cni` annotation on its pod template.
pub const CNI_DAEMONSETS: &[&str] = &["calico-node", "kube-flannel-ds", "cilium", "weave-net", "canal", "kube-router", "antrea-agent"];

/// Whether a pod installs the node's CNI.
pub fn is_cni_pod(p: &Pod) -> bool {
    p.metadata.annotations.contains_key("ksim.dev/cni")
        || p.metadata.owner_references.iter().any(|r| r.kind == "DaemonSet" && CNI_DAEMONSETS.contains(&r.name.as_str()))
}
