//! PriorityClass (scheduling.k8s.io/v1) and PodDisruptionBudget (policy/v1): stored as
//! unstructured objects, read through these typed views by the apiserver's Priority
//! admission and by the scheduler's DefaultPreemption. Decoding is strict, so a typo in
//! either is reported at load like any modelled kind.

use super::meta::{IntOrString, LabelSelector, ObjectMeta};
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

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodDisruptionBudget {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: PdbSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PdbSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_available: Option<IntOrString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unhealthy_pod_eviction_policy: Option<String>,
}

/// Whether an unstructured kind is read through one of these views.
pub fn is_interpreted(group: &str, kind: &str) -> bool {
    matches!((group, kind), ("scheduling.k8s.io", "PriorityClass") | ("policy", "PodDisruptionBudget"))
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

impl PodDisruptionBudget {
    pub fn from_object(o: &Object) -> Option<PodDisruptionBudget> {
        match o {
            Object::Unstructured(u) if u.kind == "PodDisruptionBudget" => serde_json::from_value(to_value(u)).ok(),
            _ => None,
        }
    }
}

/// Validation in the apiserver's words (ValidatePriorityClass, ValidatePodDisruptionBudgetSpec).
pub fn validate(u: &Unstructured, errs: &mut Vec<super::validation::FieldErr>) {
    use super::validation::FieldErr;
    let v = to_value(u);
    match u.kind.as_str() {
        "PriorityClass" => {
            if !u.rest.contains_key("value") {
                errs.push(FieldErr::required("value"));
                return;
            }
            let pc: PriorityClass = match serde_json::from_value(v) {
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
        "PodDisruptionBudget" => {
            let pdb: PodDisruptionBudget = match serde_json::from_value(v) {
                Ok(p) => p,
                Err(e) => return errs.push(FieldErr::new("", e.to_string())),
            };
            let s = &pdb.spec;
            if s.min_available.is_some() && s.max_unavailable.is_some() {
                errs.push(FieldErr::new("spec", "Invalid value: minAvailable and maxUnavailable cannot be both set"));
            }
            for (f, val) in [("minAvailable", &s.min_available), ("maxUnavailable", &s.max_unavailable)] {
                if let Some(val) = val {
                    match val {
                        IntOrString::Int(i) if *i < 0 => {
                            errs.push(FieldErr::new(format!("spec.{f}"), format!("Invalid value: {i}: must be greater than or equal to 0")))
                        }
                        IntOrString::String(_) => match val.scaled_value(100, true) {
                            Err(e) => errs.push(FieldErr::new(format!("spec.{f}"), format!("Invalid value: {val:?}: {e}"))),
                            Ok(p) if !(0..=100).contains(&p) => {
                                errs.push(FieldErr::new(format!("spec.{f}"), format!("Invalid value: \"{val}\": must not be greater than 100%")))
                            }
                            Ok(_) => {}
                        },
                        _ => {}
                    }
                }
            }
            if let Some(sel) = &s.selector {
                for (p, m) in sel.validate("spec.selector") {
                    errs.push(FieldErr::new(p, m));
                }
            }
        }
        _ => {}
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
        let pc = PriorityClass::from_object(&Object::Unstructured(u.clone())).unwrap();
        assert_eq!((pc.value, pc.preemption_policy()), (1000, "PreemptLowerPriority"));
        let mut errs = Vec::new();
        validate(&u, &mut errs);
        assert!(errs.is_empty(), "{errs:?}");
        let bad =
            unstructured(json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "system-mine"}, "value": 2000000000}));
        validate(&bad, &mut errs);
        assert_eq!(errs.len(), 2, "{errs:?}");
    }

    #[test]
    fn pdb_rejects_both_bounds() {
        let u = unstructured(json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "p", "namespace": "default"},
            "spec": {"minAvailable": 1, "maxUnavailable": "50%", "selector": {"matchLabels": {"app": "web"}}}}));
        let mut errs = Vec::new();
        validate(&u, &mut errs);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(PodDisruptionBudget::from_object(&Object::Unstructured(u)).unwrap().spec.selector.is_some());
    }
}
