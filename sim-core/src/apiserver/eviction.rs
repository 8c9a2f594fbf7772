//! The pods/eviction subresource (pkg/registry/core/pod/storage/eviction.go): a pod
//! that is finished, pending or already being deleted goes at once (canIgnorePDB); so
//! does one no PodDisruptionBudget selects. With one budget: an unready pod goes if the
//! policy is AlwaysAllow, or if the budget is healthy (IfHealthyBudget, the default);
//! otherwise the budget must have processed its generation (else 429 "still being
//! processed") and allow a disruption (else 429 "Cannot evict pod as it would violate the
//! pod's disruption budget."); the eviction then takes one from disruptionsAllowed and
//! records the pod in disruptedPods (checkAndDecrement) before deleting it gracefully.
//! More than one budget is an internal error.

use super::{status, ApiErr, ApiServer, Response, Status};
use crate::api::meta::Time;
use crate::api::pod_disruption_budget::{PodDisruptionBudget, ALWAYS_ALLOW};
use crate::api::{Kind, Object, ObjectKey};
use crate::engine::SimTime;
use crate::etcd::{StoreError, WatchEvent};
use std::rc::Rc;

/// The 429 of a budget that allows no disruption: the message, and the
/// DisruptionBudget cause saying why (what kubectl prints is the message).
pub fn too_many_requests(pdb: &PodDisruptionBudget) -> Status {
    let mut st = status(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.".into());
    st.cause = Some("DisruptionBudget");
    st.cause_message = Some(format!(
        "The disruption budget {} needs {} healthy pods and has {} currently",
        pdb.metadata.name, pdb.status.desired_healthy, pdb.status.current_healthy
    ));
    st
}

impl ApiServer {
    /// addConditionAndDeletePod: the pod gets the DisruptionTarget condition (reason
    /// EvictionByEvictionAPI), then is deleted gracefully.
    fn add_condition_and_delete(&mut self, key: &ObjectKey, grace: Option<i64>, now: SimTime, writes: &mut Vec<Rc<WatchEvent>>) -> Result<Response, ApiErr> {
        if let Some(mut p) = self.store.get(key).and_then(|o| o.as_pod()).cloned() {
            p.set_condition("DisruptionTarget", "True", "EvictionByEvictionAPI", "Eviction API: evicting", crate::api::meta::Time(now));
            p.metadata.resource_version.0 = 0;
            self.update(Object::Pod(Box::new(p)), now, true, writes)?;
        }
        self.delete(key, grace, None, now, writes)
    }

    pub(super) fn evict(&mut self, ns: &str, name: &str, grace: Option<i64>, now: SimTime, writes: &mut Vec<Rc<WatchEvent>>) -> Result<Response, ApiErr> {
        let key = ObjectKey::new(Kind::Pod, ns, name);
        let cur = self.store.get(&key).ok_or(ApiErr::Store(StoreError::NotFound))?.clone();
        let pod = cur.as_pod().expect("a pod");
        let ignore_pdb = matches!(&*pod.status.phase, "Succeeded" | "Failed" | "Pending") || pod.metadata.rare.deletion_timestamp.is_some();
        if ignore_pdb {
            return self.add_condition_and_delete(&key, grace, now, writes);
        }
        let pdbs: Vec<PodDisruptionBudget> = self
            .store
            .list(&Kind::PodDisruptionBudget)
            .filter_map(|o| o.as_pdb())
            .filter(|p| p.metadata.namespace == ns && p.spec.selector.as_ref().is_some_and(|s| s.matches(&pod.metadata.labels)))
            .cloned()
            .collect();
        if pdbs.len() > 1 {
            // A bare metav1.Status (no reason, no "Internal error occurred" prefix).
            return Err(ApiErr::Status(status(
                500,
                "",
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.".into(),
            )));
        }
        let Some(mut pdb) = pdbs.into_iter().next() else { return self.add_condition_and_delete(&key, grace, now, writes) };
        if !pod.is_ready() {
            let always = pdb.spec.unhealthy_pod_eviction_policy.as_deref() == Some(ALWAYS_ALLOW);
            let healthy_budget = pdb.status.current_healthy >= pdb.status.desired_healthy && pdb.status.desired_healthy > 0;
            if always || healthy_budget {
                return self.add_condition_and_delete(&key, grace, now, writes);
            }
        }
        if pdb.status.observed_generation < pdb.metadata.rare.generation {
            // createTooManyRequestsError: the budget's name goes in the cause.
            let mut st = status(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.".into());
            st.cause = Some("DisruptionBudget");
            st.cause_message = Some(format!("The disruption budget {} is still being processed by the server.", pdb.metadata.name));
            return Err(ApiErr::Status(st));
        }
        if pdb.status.disruptions_allowed < 0 {
            return Err(ApiErr::Status(status(
                403,
                "Forbidden",
                format!("poddisruptionbudget.policy {:?} is forbidden: pdb disruptions allowed is negative", pdb.metadata.name),
            )));
        }
        if pdb.status.disruptions_allowed == 0 {
            return Err(ApiErr::Status(too_many_requests(&pdb)));
        }
        pdb.status.disruptions_allowed -= 1;
        if pdb.status.disruptions_allowed == 0 {
            pdb.update_disruption_allowed_condition(Time(now));
        }
        pdb.status.disrupted_pods.insert(name.to_string(), Time(now));
        let ev = self.store.update(Object::PodDisruptionBudget(Box::new(pdb)), now).map_err(ApiErr::Store)?;
        writes.push(ev);
        self.add_condition_and_delete(&key, grace, now, writes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::{IntOrString, LabelSelector};
    use crate::api::namespace::Namespace;
    use crate::api::pod::{Container, Pod};
    use crate::apiserver::Request;
    use crate::engine::RngStreams;
    use crate::etcd::HistoryLimits;

    fn server() -> ApiServer {
        let mut a = ApiServer::new(RngStreams::new(1).stream("apiserver"), HistoryLimits::default());
        let mut ns = Namespace::default();
        ns.metadata.name = "default".into();
        assert!(a.handle(Request::Create(Object::Namespace(Box::new(ns))), SimTime(0)).response.is_ok());
        a
    }

    fn ready_pod(a: &mut ApiServer, name: &str) {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.labels.insert("app".into(), "web".into());
        std::rc::Rc::make_mut(&mut p.spec).containers = std::rc::Rc::new(vec![Container { name: "c".into(), image: "nginx".into(), ..Default::default() }]);
        let created = a.handle(Request::Create(Object::Pod(Box::new(p))), SimTime(0));
        let Response::Object(o) = created.response else { panic!() };
        let uid = o.meta().uid.clone();
        a.handle(Request::Bind(Box::new(crate::apiserver::Binding { namespace: "default".into(), name: name.into(), uid, node: "n1".into() })), SimTime(1));
        let mut p = a.store.get(&ObjectKey::new(Kind::Pod, "default", name)).unwrap().as_pod().unwrap().clone();
        p.status.phase = "Running".into();
        p.set_condition("Ready", "True", "", "", Time(SimTime(2)));
        p.metadata.resource_version.0 = 0;
        assert!(a.handle(Request::UpdateStatus(Object::Pod(Box::new(p))), SimTime(2)).response.is_ok());
    }

    fn pdb(a: &mut ApiServer, allowed: i32, observed: bool) {
        let mut b = PodDisruptionBudget::default();
        b.metadata.name = "web-pdb".into();
        b.spec.min_available = Some(IntOrString::Int(2));
        let mut sel = LabelSelector::default();
        sel.match_labels.insert("app".into(), "web".into());
        b.spec.selector = Some(sel);
        assert!(a.handle(Request::Create(Object::PodDisruptionBudget(Box::new(b))), SimTime(3)).response.is_ok());
        let mut b = a.store.get(&ObjectKey::new(Kind::PodDisruptionBudget, "default", "web-pdb")).unwrap().as_pdb().unwrap().clone();
        b.status = crate::api::pod_disruption_budget::PdbStatus {
            observed_generation: if observed { 1 } else { 0 },
            disruptions_allowed: allowed,
            current_healthy: 2 + allowed,
            desired_healthy: 2,
            expected_pods: 2 + allowed,
            ..Default::default()
        };
        assert!(a.handle(Request::UpdateStatus(Object::PodDisruptionBudget(Box::new(b))), SimTime(4)).response.is_ok());
    }

    fn evict(a: &mut ApiServer, name: &str) -> Response {
        a.handle(
            Request::Evict(Box::new(crate::apiserver::Eviction { namespace: "default".into(), name: name.into(), grace_period_seconds: None })),
            SimTime(10),
        )
        .response
    }

    /// eviction_test.go TestEviction: "matching pdbs with no disruptions allowed" → 429;
    /// "matching pdbs with disruptions allowed" → deleted, budget decremented.
    #[test]
    fn a_budget_with_no_disruption_left_refuses_with_429() {
        let mut a = server();
        ready_pod(&mut a, "w1");
        ready_pod(&mut a, "w2");
        pdb(&mut a, 0, true);
        let Response::Error(st) = evict(&mut a, "w1") else { panic!("expected 429") };
        assert_eq!(st.code, 429);
        assert!(st.message.starts_with("Cannot evict pod as it would violate the pod's disruption budget."), "{}", st.message);
        assert_eq!(st.message, "Cannot evict pod as it would violate the pod's disruption budget.");
        assert_eq!(st.cause_message.as_deref(), Some("The disruption budget web-pdb needs 2 healthy pods and has 2 currently"));
    }

    #[test]
    fn an_allowed_eviction_takes_one_disruption_and_deletes_gracefully() {
        let mut a = server();
        ready_pod(&mut a, "w1");
        ready_pod(&mut a, "w2");
        ready_pod(&mut a, "w3");
        pdb(&mut a, 1, true);
        assert!(evict(&mut a, "w1").is_ok());
        let b = a.store.get(&ObjectKey::new(Kind::PodDisruptionBudget, "default", "web-pdb")).unwrap().as_pdb().unwrap().clone();
        assert_eq!(b.status.disruptions_allowed, 0);
        assert!(b.status.disrupted_pods.contains_key("w1"));
        assert_eq!(b.condition("DisruptionAllowed").map(|c| c.reason.as_str()), Some("InsufficientPods"));
        let w1 = a.store.get(&ObjectKey::new(Kind::Pod, "default", "w1")).unwrap();
        assert!(w1.meta().rare.deletion_timestamp.is_some(), "graceful: terminating");
        // addConditionAndDeletePod.
        let c = w1.as_pod().unwrap().status.conditions.iter().find(|c| c.type_ == "DisruptionTarget").cloned().expect("DisruptionTarget");
        assert_eq!((&*c.status, &*c.reason, &*c.message), ("True", "EvictionByEvictionAPI", "Eviction API: evicting"));
        assert!(!evict(&mut a, "w2").is_ok(), "the next one waits for the controller");
    }

    #[test]
    fn an_unprocessed_budget_says_so() {
        let mut a = server();
        ready_pod(&mut a, "w1");
        pdb(&mut a, 1, false);
        let Response::Error(st) = evict(&mut a, "w1") else { panic!() };
        assert_eq!(st.message, "Cannot evict pod as it would violate the pod's disruption budget.");
        assert_eq!(st.cause_message.as_deref(), Some("The disruption budget web-pdb is still being processed by the server."));
    }
}
