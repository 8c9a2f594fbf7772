//! The garbage collector, background propagation: a dependent whose every owner is gone
//! (by uid) is deleted. ksim checks owners against its informer cache; owners of kinds
//! it does not cache are assumed to exist.

use super::ControllerManager;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::Request;
use crate::client::Ctx;

pub fn all_owners_gone(cm: &ControllerManager, obj: &Object) -> bool {
    let refs = &obj.meta().owner_references;
    !refs.is_empty()
        && refs.iter().all(|r| {
            let cached_kind = matches!(r.kind.as_str(), "ReplicaSet" | "Deployment" | "Pod" | "Node");
            cached_kind && !cm.owner_exists(&r.uid)
        })
}

pub fn sync(cm: &mut ControllerManager, key: &(Kind, String, String), ctx: &mut Ctx) {
    let Some(obj) = cm.informer.get(&key.0, &key.1, &key.2).cloned() else { return };
    if obj.meta().deletion_timestamp.is_some() || !all_owners_gone(cm, &obj) {
        return;
    }
    ctx.request(Request::Delete { key: ObjectKey::new(key.0.clone(), &key.1, &key.2), grace_period_seconds: None, uid: Some(obj.meta().uid.clone()) });
}
