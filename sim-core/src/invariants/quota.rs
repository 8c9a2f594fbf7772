//! `quota-used-within-hard`: the ResourceQuota admission plugin admits an object only if
//! each resource it asks for keeps the quota's `status.used` within `status.hard`, and
//! charges it by raising `status.used` in the same step — a compare-and-swap on the
//! quota, so concurrent creates cannot both take the last unit
//! (staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go:
//! checkRequest's `newUsage > hard` refusal, then the status update with the quota's
//! resourceVersion). So a charge never takes a resource's used above its hard.
//! Upstream guarantees no more: `used` may stand above `hard` when the hard limit is
//! lowered, or when the resource-quota controller counts objects that existed before
//! the quota — so only the charges are judged (a quota write made by a create or an
//! apply of another object), and only for the resources they raise.

use super::Violation;
use crate::api::Object;
use crate::engine::SimTime;
use crate::etcd::{WatchEvent, WatchEventType};

pub const QUOTA_WITHIN_HARD: &str = "quota-used-within-hard";

/// A write of a ResourceQuota (`verb` as logged: a charge is a modification made by
/// `create` or `apply`).
pub fn on_write(w: &WatchEvent, verb: &str, time: SimTime, event: &str) -> Option<Violation> {
    let Object::ResourceQuota(q) = &*w.object else { return None };
    if w.type_ != WatchEventType::Modified || !matches!(verb, "create" | "apply") {
        return None;
    }
    let before = w.prev.as_deref().and_then(|o| if let Object::ResourceQuota(p) = o { Some(&p.status.used) } else { None });
    let over: Vec<String> = q
        .status
        .used
        .iter()
        .filter(|(r, used)| before.and_then(|b| b.get(*r)).is_none_or(|old| *used > old))
        .filter_map(|(r, used)| q.status.hard.get(r).filter(|hard| used > hard).map(|hard| format!("{r}: {used}/{hard}")))
        .collect();
    (!over.is_empty()).then(|| Violation {
        invariant: QUOTA_WITHIN_HARD,
        time,
        event: event.to_string(),
        objects: vec![format!("resourcequota/{}/{}", q.metadata.namespace, q.metadata.name)],
        message: format!("admission charged the quota past its hard limit: {}", over.join(", ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etcd::Store;

    fn quota(hard: &str, used: &str) -> Object {
        Object::ResourceQuota(Box::new(
            serde_json::from_str(&format!(
                r#"{{"apiVersion":"v1","kind":"ResourceQuota","metadata":{{"name":"q","namespace":"default"}},"spec":{{"hard":{{"pods":"{hard}"}}}},"status":{{"hard":{{"pods":"{hard}"}},"used":{{"pods":"{used}"}}}}}}"#
            ))
            .unwrap(),
        ))
    }

    #[test]
    fn a_charge_past_hard_is_caught_and_a_lowered_hard_is_not() {
        let mut store = Store::new(Default::default());
        store.create(quota("2", "0"), SimTime(0)).unwrap();
        let mut put = |o: Object, verb: &str, t: u64| on_write(&store.update(o, SimTime(t)).unwrap(), verb, SimTime(t), "e").map(|v| v.invariant);
        assert_eq!(put(quota("2", "2"), "create", 1), None);
        assert_eq!(put(quota("2", "3"), "create", 2), Some(QUOTA_WITHIN_HARD));
        // The controller's recount may find more than hard (objects older than the quota),
        // and a hard lowered under used is the user's doing: neither is a charge.
        assert_eq!(put(quota("2", "4"), "update", 3), None);
        assert_eq!(put(quota("1", "4"), "apply", 4), None);
    }
}
