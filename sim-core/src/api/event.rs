//! Event (core/v1): what `kubectl describe` and `kubectl get events` show.
//! (Not to be confused with `SimEvent`, the engine's events, or `WatchEvent`.)

use super::meta::{EventKind, MaybeTime, ObjectMeta, Text, TypeField, V1};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::rc::Rc;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Event {
    #[serde(default)]
    pub api_version: TypeField<V1>,
    #[serde(default)]
    pub kind: TypeField<EventKind>,
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Shared by the Events a recorder writes about one object (a kubelet's about a pod).
    #[serde(default)]
    pub involved_object: Rc<ObjectReference>,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    /// Reasons are mostly constants (Scheduled, Pulled, Created, Started): borrowed.
    pub reason: Cow<'static, str>,
    /// A `Text`: the messages a kubelet repeats (its pods' "Created container: web") are
    /// one copy it keeps, which the Events in flight and the store's share.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub message: Text,
    /// Shared by every Event of one recorder.
    #[serde(default)]
    pub source: Rc<EventSource>,
    /// `MaybeTime`s, 8 bytes each.
    #[serde(default, skip_serializing_if = "MaybeTime::is_none")]
    pub first_timestamp: MaybeTime,
    #[serde(default, skip_serializing_if = "MaybeTime::is_none")]
    pub last_timestamp: MaybeTime,
    #[serde(default)]
    pub count: i32,
    /// `Text` (Normal and Warning are shared words): 8 bytes where a `Cow` is 24, so an
    /// Event is 192 bytes, one of mimalloc's bins (it was 208, in the bin of 224).
    #[serde(rename = "type", default)]
    pub type_: Text,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub reporting_component: Cow<'static, str>,
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Event>() == 192);

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectReference {
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub kind: Cow<'static, str>,
    /// The object's own namespace, name and uid (`Text`s its metadata shares): the Events of a
    /// starting pod share one reference, which its kubelet keeps until the containers
    /// have started.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub namespace: Text,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub name: Text,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub uid: Text,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub api_version: Cow<'static, str>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventSource {
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub component: Cow<'static, str>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
}
