//! The control plane's static pods on a kubeadm control-plane node (kubeadm's manifests
//! in /etc/kubernetes/manifests: cmd/kubeadm/app/phases/controlplane/manifests.go
//! GetStaticPodSpecs and phases/etcd/local.go GetEtcdPodSpec; the kubelet's file source
//! and mirror client, pkg/kubelet/config and pod/mirror_client.go).
//!
//! The kubelet runs what the manifests describe and makes each visible through a mirror
//! pod in kube-system named `<component>-<node>`: annotated as mirrored from a file
//! (`kubernetes.io/config.source: file`, `kubernetes.io/config.mirror` = the config hash),
//! owned by its Node, on the host's network, at `system-node-critical` priority, with
//! kubeadm's labels (`component`, `tier: control-plane`) and CPU requests. They run as any
//! pod of the node does; in ksim they stand for the control plane the simulation runs
//! itself (kube-apiserver, etcd, the controller manager and the scheduler are not
//! processes of the node — but the node's crash takes kube-apiserver down with it).
//!
//! A mirror pod is only the static pod's reflection: deleting it (kubectl delete) does
//! not stop the static pod. The kubelet sees the mirror pod marked for deletion,
//! deletes it at once with its uid as precondition and creates it again (SyncPod in
//! pkg/kubelet/kubelet.go: "The mirror pod is semantically different from the static
//! pod. Remove it. The mirror pod will get recreated later."; mirror_client.go's
//! DeleteMirrorPod with a grace period of 0): the new mirror pod has a new uid and age,
//! and the containers, their restarts and start time carry on.

use super::pod_workers::Phase;
use super::Kubelet;
use crate::api::node::Node;
use crate::api::Object;
use crate::apiserver::Request;
use crate::client::Ctx;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The Kubernetes version kubeadm installs, and the etcd it pairs with (kubeadm v1.34.0's
/// constants.SupportedEtcdVersion[34]; later v1.34 patch releases moved to newer 3.6.x).
pub const KUBERNETES_VERSION: &str = "v1.34.0";
pub const ETCD_IMAGE: &str = "registry.k8s.io/etcd:3.6.4-0";

/// (component, image, CPU request, the flag naming what it serves).
fn components(ip: &str) -> [(&'static str, String, &'static str, String); 4] {
    [
        ("etcd", ETCD_IMAGE.to_string(), "100m", format!("--advertise-client-urls=https://{ip}:2379")),
        ("kube-apiserver", format!("registry.k8s.io/kube-apiserver:{KUBERNETES_VERSION}"), "250m", format!("--advertise-address={ip}")),
        ("kube-controller-manager", format!("registry.k8s.io/kube-controller-manager:{KUBERNETES_VERSION}"), "200m", "--leader-elect=true".to_string()),
        ("kube-scheduler", format!("registry.k8s.io/kube-scheduler:{KUBERNETES_VERSION}"), "100m", "--leader-elect=true".to_string()),
    ]
}

impl Kubelet {
    /// The mirror pods of the node's static pods, once the kubelet knows its Node (the
    /// owner reference needs the Node's uid).
    pub(super) fn create_mirror_pods(&mut self, node: &Node, ctx: &mut Ctx) {
        if node.metadata.uid.is_empty() {
            return;
        }
        self.mirrors_created = true;
        for c in components(&self.spec.internal_ip) {
            if let Some(p) = self.mirror_pod(c, node) {
                ctx.request(Request::Create(Object::Pod(Box::new(p))));
            }
        }
    }

    /// The mirror pod of one static pod.
    fn mirror_pod(&self, (component, image, cpu, flag): (&'static str, String, &'static str, String), node: &Node) -> Option<crate::api::pod::Pod> {
        let name = &self.spec.name;
        let ip = &self.spec.internal_ip;
        {
            // The config hash: upstream's is the hash of the pod from its manifest.
            let hash: String = Sha256::digest(format!("{component}/{name}/{image}").as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect();
            let mut annotations = json!({
                "kubernetes.io/config.hash": hash,
                "kubernetes.io/config.mirror": hash,
                "kubernetes.io/config.source": "file",
            });
            match component {
                "kube-apiserver" => annotations["kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"] = json!(format!("{ip}:6443")),
                "etcd" => annotations["kubeadm.kubernetes.io/etcd.advertise-client-urls"] = json!(format!("https://{ip}:2379")),
                _ => {}
            }
            let mut requests = json!({"cpu": cpu});
            if component == "etcd" {
                requests["memory"] = json!("100Mi");
            }
            let pod = json!({
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": format!("{component}-{name}"),
                    "namespace": "kube-system",
                    "labels": {"component": component, "tier": "control-plane"},
                    "annotations": annotations,
                    "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": name, "uid": node.metadata.uid, "controller": true}]
                },
                "spec": {
                    "nodeName": name,
                    "hostNetwork": true,
                    "priorityClassName": "system-node-critical",
                    "priority": 2000001000,
                    "tolerations": [{"operator": "Exists", "effect": "NoExecute"}],
                    "containers": [{
                        "name": component,
                        "image": image,
                        "imagePullPolicy": "IfNotPresent",
                        "command": [component, flag],
                        "resources": {"requests": requests}
                    }]
                }
            });
            serde_json::from_value::<crate::api::pod::Pod>(pod).ok()
        }
    }

    /// handleMirrorPod: a mirror pod of this node's static pods was changed or deleted.
    /// Marked for deletion, it is deleted at once and made again, its static pod's worker
    /// kept aside meanwhile; its successor takes the worker over. Returns whether the
    /// event was the mirror's business.
    pub(super) fn handle_mirror_pod(&mut self, deleted: bool, obj: &std::rc::Rc<Object>, ctx: &mut Ctx) -> bool {
        let Some(p) = obj.as_pod() else { return false };
        if !p.metadata.annotations.contains_key("kubernetes.io/config.mirror") || p.spec.node_name != self.spec.name {
            return false;
        }
        let uid = &p.metadata.uid;
        let name = &p.metadata.name;
        // Marked for deletion, or already gone (a forced delete): the static pod runs on.
        if deleted || p.metadata.rare.deletion_timestamp.is_some() {
            let running = self.workers.get(uid).is_some_and(|w| !matches!(w.phase, Phase::Killing | Phase::Done));
            if !running {
                return false;
            }
            let w = self.workers.remove(uid).expect("worker");
            self.static_workers.insert(name.to_string(), w);
            if !deleted {
                ctx.request(Request::Delete { key: Box::new(obj.key()), grace_period_seconds: Some(0), uid: Some(uid.to_string()) });
            }
            let node = self.node.as_ref().and_then(|n| n.as_node().cloned());
            let component = components(&self.spec.internal_ip).into_iter().find(|c| *name == format!("{}-{}", c.0, self.spec.name));
            if let (Some(node), Some(c)) = (node, component) {
                if let Some(p) = self.mirror_pod(c, &node) {
                    ctx.request(Request::Create(Object::Pod(Box::new(p))));
                }
            }
            return true;
        }
        if !deleted && !self.workers.contains_key(uid) {
            if let Some(mut w) = self.static_workers.remove(name.as_str()) {
                // The status manager's cached status is the static pod's (its start time
                // with it), whichever mirror pod shows it.
                let mut mirror = p.clone();
                if let Some(old) = w.pod.as_pod() {
                    mirror.status = old.status.clone();
                }
                w.set_pod(std::rc::Rc::new(Object::Pod(Box::new(mirror))));
                self.workers.insert(uid, w);
                self.sync_status(uid, ctx);
                return true;
            }
        }
        false
    }
}
