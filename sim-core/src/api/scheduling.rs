//! PriorityClass (scheduling.k8s.io/v1): stored as an unstructured object, read through
//! this typed view by the apiserver's Priority admission. Decoding is strict, so a typo
//! is reported at load like any modelled kind.

use super::meta::ObjectMeta;
use super::object::{Object, Unstructured};
use serde::{Deserialize, Serialize};

/// scheduling.HighestUserDefinablePriority.
pub const HIGHEST_USER_DEFINABLE_PRIORITY: i32 = 1_000_000_000;
/// The built-in classes every apiserver creates (SystemPriorityClasses).
pub const SYSTEM_CLASSES: &[(&str, i32)] = &[("system-cluster-critical", 2_000_000_000), ("system-node-critical", 2_000_001_000)];

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriorityClass {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    pub value: i32,
    #[serde(default)]
    pub global_default: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preemption_policy: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// Whether an unstructured kind is read through one of these views.
pub fn is_interpreted(group: &str, kind: &str) -> bool {
    matches!((group, kind), ("scheduling.k8s.io", "PriorityClass"))
}

fn to_value(u: &Unstructured) -> serde_json::Value {
    serde_json::to_value(u).unwrap_or_default()
}

impl PriorityClass {
    pub fn from_object(o: &Object) -> Option<PriorityClass> {
        match o {
            Object::Unstructured(u) if u.kind == "PriorityClass" => serde_json::from_value(to_value(u)).ok(),
            _ => None,
        }
    }
    /// PreemptLowerPriority unless the class says Never.
    pub fn preemption_policy(&self) -> &str {
        self.preemption_policy.as_deref().unwrap_or("PreemptLowerPriority")
    }
}

/// Validation in the apiserver's words (ValidatePriorityClass).
pub fn validate(u: &Unstructured, errs: &mut Vec<super::validation::FieldErr>) {
    use super::validation::FieldErr;
    if u.kind != "PriorityClass" {
        return;
    }
    if !u.rest.contains_key("value") {
        errs.push(FieldErr::required("value"));
        return;
    }
    let pc: PriorityClass = match serde_json::from_value(to_value(u)) {
        Ok(pc) => pc,
        Err(e) => return errs.push(FieldErr::new("", e.to_string())),
    };
    let system = SYSTEM_CLASSES.iter().any(|(n, _)| *n == pc.metadata.name);
    if pc.metadata.name.starts_with("system-") && !system {
        errs.push(FieldErr::new("metadata.name", "Forbidden: priority class names with 'system-' prefix are reserved"));
    }
    if !system && pc.value > HIGHEST_USER_DEFINABLE_PRIORITY {
        errs.push(FieldErr::new("value", "Forbidden: maximum allowed value of a user defined priority is 1000000000"));
    }
    if let Some(p) = &pc.preemption_policy {
        if p != "Never" && p != "PreemptLowerPriority" {
            errs.push(FieldErr::new("preemptionPolicy", format!("Unsupported value: {p:?}: supported values: \"Never\", \"PreemptLowerPriority\"")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn unstructured(v: serde_json::Value) -> Unstructured {
        let map = v.as_object().unwrap();
        Unstructured {
            api_version: map["apiVersion"].as_str().unwrap().into(),
            kind: map["kind"].as_str().unwrap().into(),
            metadata: serde_json::from_value(map["metadata"].clone()).unwrap(),
            rest: map.iter().filter(|(k, _)| !["apiVersion", "kind", "metadata"].contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect(),
        }
    }

    #[test]
    fn priority_class_view_and_validation() {
        let u = unstructured(
            json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"}, "value": 1000, "globalDefault": false}),
        );
        let pc = PriorityClass::from_object(&Object::Unstructured(Box::new(u.clone()))).unwrap();
        assert_eq!((pc.value, pc.preemption_policy()), (1000, "PreemptLowerPriority"));
        let mut errs = Vec::new();
        validate(&u, &mut errs);
        assert!(errs.is_empty(), "{errs:?}");
        let bad =
            unstructured(json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "system-mine"}, "value": 2000000000}));
        validate(&bad, &mut errs);
        assert_eq!(errs.len(), 2, "{errs:?}");
    }
}
