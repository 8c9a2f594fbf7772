//! VolumeRestrictions (pkg/scheduler/framework/plugins/volumerestrictions/
//! volume_restrictions.go), its ReadWriteOncePod part: a claim with the
//! ReadWriteOncePod access mode already used by a scheduled pod makes every node fail
//! with "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod
//! access mode" (Unschedulable: preempting that pod would help). A claim that does not
//! exist rejects the pod at PreFilter with the lister's words. (The inline-disk
//! conflicts of GCE PD, AWS EBS, RBD and iSCSI volumes are not modelled: those in-tree
//! sources have moved to CSI.)

use super::super::framework::Status;
use crate::api::Kind;
use crate::client::Informer;

pub const NAME: &str = "VolumeRestrictions";
pub const ERR_REASON_RWOP_CONFLICT: &str = "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode";

/// PreFilter: the pod's ReadWriteOncePod claims (namespace/name), or the missing claim.
pub fn rwop_claims(pod: &crate::api::pod::Pod, inf: &Informer) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (_, name) in crate::api::storage::pod_claims(pod.spec.volumes.as_deref()) {
        let Some(c) = inf.get(&Kind::PersistentVolumeClaim, &pod.metadata.namespace, &name).and_then(|o| o.as_pvc()) else {
            return Err(format!("persistentvolumeclaim {name:?} not found"));
        };
        if c.spec.access_modes.iter().any(|m| m == "ReadWriteOncePod") {
            out.push(name);
        }
    }
    Ok(out)
}

/// Filter: the conflicting count PreFilter computed.
pub fn filter(conflicts: usize) -> Option<Status> {
    (conflicts > 0).then(|| Status::unschedulable(NAME, vec![ERR_REASON_RWOP_CONFLICT.into()]))
}
