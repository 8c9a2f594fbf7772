//! ingress-nginx's status sync (kubernetes/ingress-nginx internal/ingress/status/
//! status.go `syncStatus`, `standardizeLoadBalancerIngresses`; the cloud manifest's
//! `--publish-service=ingress-nginx/ingress-nginx-controller`): the elected controller
//! pod copies its Service's load-balancer addresses into `status.loadBalancer.ingress` of
//! every Ingress of its class (`--controller-class=k8s.io/ingress-nginx`, the IngressClass
//! `nginx`, or the legacy `kubernetes.io/ingress.class: nginx` annotation). While the
//! Service is `<pending>` the Ingresses have no address; without a Ready controller pod
//! nothing is written.
//!
//! Not part of kube-controller-manager: ingress-nginx is a Deployment of its own
//! (sim/addons.rs installs it with `spec.cluster.ingressController: ingress-nginx`);
//! ksim runs its status sync in the controller manager's loop, and its routing in the
//! traffic model (traffic/ingress.rs).

use super::informers::SharedInformers;
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::{Kind, Object};
use crate::apiserver::Request;
use crate::etcd::WatchEvent;
use serde_json::json;

/// The controller's namespace, Service and class, as the official manifest names them.
pub const NAMESPACE: &str = "ingress-nginx";
pub const SERVICE: &str = "ingress-nginx-controller";
pub const CONTROLLER_CLASS: &str = "k8s.io/ingress-nginx";
pub const CLASS: &str = "nginx";

pub struct IngressStatusController {
    queue: WorkQueue<()>,
    pub enabled: bool,
}

impl Default for IngressStatusController {
    fn default() -> Self {
        IngressStatusController { queue: WorkQueue::without_bucket(Order::Sorted), enabled: false }
    }
}

/// Whether ingress-nginx serves an Ingress: its class (looked up by `class`) is an
/// IngressClass of k8s.io/ingress-nginx, or the legacy annotation names `nginx`.
pub fn serves<'a>(ing: &crate::api::ingress::Ingress, class: impl Fn(&str) -> Option<&'a Object>) -> bool {
    if let Some(c) = &ing.spec.ingress_class_name {
        return class(c).and_then(|o| o.as_ingress_class()).is_some_and(|c| c.spec.controller == CONTROLLER_CLASS);
    }
    ing.metadata.annotations.get(crate::api::ingress::ANNOTATION_INGRESS_CLASS).is_some_and(|c| c == CLASS)
}

impl Controller for IngressStatusController {
    type Key = ();
    const NAME: &'static str = "ingress-nginx-controller";

    fn queue(&mut self) -> &mut WorkQueue<()> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Ingress | Kind::IngressClass | Kind::Service | Kind::Pod)
    }

    fn on_watch(&mut self, _inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        if !self.enabled {
            return;
        }
        let relevant = match &*ev.object {
            Object::Ingress(_) | Object::IngressClass(_) => true,
            Object::Service(s) => s.metadata.namespace == NAMESPACE && s.metadata.name == SERVICE,
            Object::Pod(p) => p.metadata.namespace == NAMESPACE,
            _ => false,
        };
        if relevant {
            self.queue.add(());
        }
    }

    fn sync(&mut self, inf: &SharedInformers, _key: &(), ctx: &mut ControllerCtx) -> Synced {
        // The leader: some Ready controller pod.
        let leader = inf.list(&Kind::Pod).filter_map(|o| o.as_pod()).any(|p| p.metadata.namespace == NAMESPACE && p.is_ready());
        if !leader {
            return Synced::Done;
        }
        let Some(svc) = inf.get(&Kind::Service, NAMESPACE, SERVICE).and_then(|o| o.as_service()) else { return Synced::Done };
        let mut want = svc.load_balancer_ingress();
        want.sort();
        let ingresses: Vec<_> = inf.list(&Kind::Ingress).cloned().collect();
        for o in ingresses {
            let Some(ing) = o.as_ingress() else { continue };
            if !serves(ing, |c| inf.get(&Kind::IngressClass, "", c).map(|o| &**o)) {
                continue;
            }
            let mut have = ing.addresses();
            have.sort();
            if have == want {
                continue;
            }
            let mut i = ing.clone();
            i.metadata.resource_version.0 = 0;
            i.status = if want.is_empty() {
                None
            } else {
                let list: Vec<serde_json::Value> = want.iter().map(|a| json!({"ip": a})).collect();
                Some(Box::new(json!({"loadBalancer": {"ingress": list}})))
            };
            ctx.request(Request::UpdateStatus(Object::Ingress(Box::new(i))));
        }
        Synced::Done
    }
}
