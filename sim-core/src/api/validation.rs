//! Validation in the apiserver's own words (k8s.io/apimachinery/pkg/util/validation and
//! pkg/apis/*/validation): each error is a field path and a message such as
//! `spec.replicas: Invalid value: -1: must be greater than or equal to 0`.

use super::meta::{Labels, ObjectMeta};
use super::object::{Kind, Object};
use super::pod::{Container, PodSpec, PodTemplateSpec};
use super::quantity::Quantity;

/// One validation failure: the field path and the apiserver's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldErr {
    pub path: String,
    pub message: String,
}

impl FieldErr {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldErr { path: path.into(), message: message.into() }
    }
    pub fn required(path: impl Into<String>) -> Self {
        FieldErr::new(path, "Required value")
    }
}

impl std::fmt::Display for FieldErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const QUALIFIED_NAME_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

fn is_dns1123_label_body(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-') && b[0] != b'-' && b[b.len() - 1] != b'-'
}

/// Messages for a DNS-1123 label (IsDNS1123Label).
pub fn dns1123_label(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > 63 {
        out.push("must be no more than 63 characters".to_string());
    }
    if !is_dns1123_label_body(s) {
        out.push(DNS1123_LABEL_MSG.to_string());
    }
    out
}

const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

/// Messages for a DNS-1035 label (IsDNS1035Label): Service names.
pub fn dns1035_label(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > 63 {
        out.push("must be no more than 63 characters".to_string());
    }
    if !is_dns1123_label_body(s) || !s.as_bytes()[0].is_ascii_lowercase() {
        out.push(DNS1035_LABEL_MSG.to_string());
    }
    out
}

/// Messages for a DNS-1123 subdomain (IsDNS1123Subdomain).
pub fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > 253 {
        out.push("must be no more than 253 characters".to_string());
    }
    if s.is_empty() || !s.split('.').all(is_dns1123_label_body) {
        out.push(DNS1123_SUBDOMAIN_MSG.to_string());
    }
    out
}

fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

fn label_value_ok(v: &str) -> bool {
    let b = v.as_bytes();
    b.is_empty() || (is_alnum(b[0]) && is_alnum(b[b.len() - 1]) && b.iter().all(|c| is_alnum(*c) || matches!(c, b'-' | b'_' | b'.')))
}

/// The most characters of a value (a name, a label, an annotation) a message quotes;
/// the rest is counted, not shown.
pub const MAX_VALUE_CHARS: usize = 200;

/// A value as the apiserver quotes it, cut after its first 200 characters (a message
/// never echoes a megabyte).
fn quoted(s: &str) -> String {
    let cut = s.char_indices().nth(MAX_VALUE_CHARS).map(|(i, _)| i);
    match cut {
        None => serde_json::to_string(s).unwrap_or_default(),
        Some(i) => format!("{}… ({} more bytes)", serde_json::to_string(&s[..i]).unwrap_or_default(), s.len() - i),
    }
}

/// IsQualifiedName (a label or annotation key): messages, empty when valid.
pub fn qualified_name(k: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    if let Some(p) = prefix {
        for m in dns1123_subdomain(p) {
            out.push(format!("prefix part {m}"));
        }
    }
    if name.is_empty() || name.len() > 63 || !label_value_ok(name) {
        out.push(QUALIFIED_NAME_MSG.to_string());
    }
    out
}

/// IsValidLabelValue: messages, empty when valid.
pub fn label_value(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    if v.len() > 63 {
        out.push("must be no more than 63 characters".to_string());
    }
    if !label_value_ok(v) {
        out.push(LABEL_VALUE_MSG.to_string());
    }
    out
}

/// ValidateLabels: qualified-name keys (optional DNS subdomain prefix) and label values.
pub fn validate_labels(labels: &Labels, path: &str, errs: &mut Vec<FieldErr>) {
    for (k, v) in labels {
        for m in qualified_name(k) {
            errs.push(FieldErr::new(path, format!("Invalid value: {}: {m}", quoted(k))));
        }
        for m in label_value(v) {
            errs.push(FieldErr::new(format!("{path}[{k}]"), format!("Invalid value: {}: {m}", quoted(v))));
        }
    }
}

/// Most bytes of all annotations of one object, keys and values together (apimachinery
/// `TotalAnnotationSizeLimitB`, 256 KiB).
pub const TOTAL_ANNOTATION_SIZE_LIMIT_B: usize = 256 * (1 << 10);

/// ValidateAnnotations (apimachinery api/validation/objectmeta.go): keys are qualified
/// names (compared in lower case), and keys and values together are at most 256 KiB
/// (`Too long: must have at most 262144 bytes`).
pub fn validate_annotations(annotations: &Labels, path: &str, errs: &mut Vec<FieldErr>) {
    for k in annotations.keys() {
        for m in qualified_name(&k.to_lowercase()) {
            errs.push(FieldErr::new(path, format!("Invalid value: {}: {m}", quoted(k))));
        }
    }
    let total: usize = annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > TOTAL_ANNOTATION_SIZE_LIMIT_B {
        errs.push(FieldErr::new(path, format!("Too long: must have at most {TOTAL_ANNOTATION_SIZE_LIMIT_B} bytes")));
    }
}

/// ValidateObjectMeta: name (or generateName), namespace, labels.
pub fn validate_meta(meta: &ObjectMeta, kind: &Kind, errs: &mut Vec<FieldErr>) {
    let name_check: fn(&str) -> Vec<String> = match kind {
        Kind::Namespace => dns1123_label,
        Kind::Service => dns1035_label,
        _ => dns1123_subdomain,
    };
    if meta.name.is_empty() {
        if meta.generate_name.is_empty() {
            errs.push(FieldErr::new("metadata.name", "Required value: name or generateName is required"));
        }
    } else {
        for m in name_check(&meta.name) {
            errs.push(FieldErr::new("metadata.name", format!("Invalid value: {}: {m}", quoted(&meta.name))));
        }
    }
    if kind.namespaced() && !meta.namespace.is_empty() {
        for m in dns1123_label(&meta.namespace) {
            errs.push(FieldErr::new("metadata.namespace", format!("Invalid value: {}: {m}", quoted(&meta.namespace))));
        }
    }
    validate_labels(&meta.labels, "metadata.labels", errs);
    validate_annotations(&meta.annotations, "metadata.annotations", errs);
}

fn non_negative(path: &str, v: Option<i64>, errs: &mut Vec<FieldErr>) {
    if let Some(v) = v {
        if v < 0 {
            errs.push(FieldErr::new(path, format!("Invalid value: {v}: must be greater than or equal to 0")));
        }
    }
}

fn validate_container(c: &Container, path: &str, names: &mut Vec<String>, errs: &mut Vec<FieldErr>) {
    if c.name.is_empty() {
        errs.push(FieldErr::required(format!("{path}.name")));
    } else {
        for m in dns1123_label(&c.name) {
            errs.push(FieldErr::new(format!("{path}.name"), format!("Invalid value: {}: {m}", quoted(&c.name))));
        }
        if names.contains(&c.name) {
            errs.push(FieldErr::new(format!("{path}.name"), format!("Duplicate value: {}", quoted(&c.name))));
        }
        names.push(c.name.clone());
    }
    if c.image.trim().is_empty() {
        errs.push(FieldErr::required(format!("{path}.image")));
    }
    if !c.image_pull_policy.is_empty() && !["Always", "IfNotPresent", "Never"].contains(&c.image_pull_policy.as_str()) {
        errs.push(FieldErr::new(
            format!("{path}.imagePullPolicy"),
            format!("Unsupported value: {}: supported values: \"Always\", \"IfNotPresent\", \"Never\"", quoted(&c.image_pull_policy)),
        ));
    }
    for (which, list) in [("requests", &c.resources.requests), ("limits", &c.resources.limits)] {
        for (r, q) in list {
            if *q < Quantity::from_value(0) {
                errs.push(FieldErr::new(
                    format!("{path}.resources.{which}[{r}]"),
                    format!("Invalid value: {}: must be greater than or equal to 0", quoted(&q.to_string())),
                ));
            }
        }
    }
    for (r, req) in &c.resources.requests {
        if let Some(lim) = c.resources.limits.get(r) {
            if req > lim {
                errs.push(FieldErr::new(
                    format!("{path}.resources.requests"),
                    format!("Invalid value: {}: must be less than or equal to {r} limit of {lim}", quoted(&req.to_string())),
                ));
            }
        }
    }
    for (i, p) in c.ports.iter().enumerate() {
        if !(1..=65535).contains(&p.container_port) {
            errs.push(FieldErr::new(
                format!("{path}.ports[{i}].containerPort"),
                format!("Invalid value: {}: must be between 1 and 65535, inclusive", p.container_port),
            ));
        }
    }
    for (which, probe) in [("readinessProbe", &c.readiness_probe), ("livenessProbe", &c.liveness_probe), ("startupProbe", &c.startup_probe)] {
        if let Some(p) = probe {
            non_negative(&format!("{path}.{which}.initialDelaySeconds"), p.initial_delay_seconds.map(i64::from), errs);
        }
    }
}

/// ValidatePodSpec (the parts ksim interprets).
pub fn validate_pod_spec(spec: &PodSpec, path: &str, errs: &mut Vec<FieldErr>) {
    if spec.containers.is_empty() {
        errs.push(FieldErr::required(format!("{path}.containers")));
    }
    let mut names = Vec::new();
    for (i, c) in spec.init_containers.iter().enumerate() {
        validate_container(c, &format!("{path}.initContainers[{i}]"), &mut names, errs);
    }
    for (i, c) in spec.containers.iter().enumerate() {
        validate_container(c, &format!("{path}.containers[{i}]"), &mut names, errs);
    }
    if !spec.restart_policy.is_empty() && !["Always", "OnFailure", "Never"].contains(&spec.restart_policy.as_str()) {
        errs.push(FieldErr::new(
            format!("{path}.restartPolicy"),
            format!("Unsupported value: {}: supported values: \"Always\", \"OnFailure\", \"Never\"", quoted(&spec.restart_policy)),
        ));
    }
    non_negative(&format!("{path}.terminationGracePeriodSeconds"), spec.termination_grace_period_seconds, errs);
    if let Some(a) = spec.active_deadline_seconds {
        if a <= 0 {
            errs.push(FieldErr::new(format!("{path}.activeDeadlineSeconds"), format!("Invalid value: {a}: must be between 1 and 2147483647, inclusive")));
        }
    }
    for (i, t) in spec.tolerations.iter().enumerate() {
        let p = format!("{path}.tolerations[{i}]");
        match t.operator.as_str() {
            "" | "Equal" => {
                if t.key.is_empty() {
                    errs.push(FieldErr::new(
                        format!("{p}.operator"),
                        "Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
                    ));
                }
            }
            "Exists" => {
                if !t.value.is_empty() {
                    errs.push(FieldErr::new(format!("{p}.operator"), "Invalid value: \"Exists\": value must be empty when `operator` is 'Exists'"));
                }
            }
            o => errs.push(FieldErr::new(format!("{p}.operator"), format!("Unsupported value: {}: supported values: \"Equal\", \"Exists\"", quoted(o)))),
        }
        if !t.effect.is_empty() && !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&t.effect.as_str()) {
            errs.push(FieldErr::new(
                format!("{p}.effect"),
                format!("Unsupported value: {}: supported values: \"NoExecute\", \"NoSchedule\", \"PreferNoSchedule\"", quoted(&t.effect)),
            ));
        }
        if t.toleration_seconds.is_some() && t.effect != "NoExecute" {
            errs.push(FieldErr::new(
                format!("{p}.effect"),
                format!("Invalid value: {}: effect must be 'NoExecute' when `tolerationSeconds` is set", quoted(&t.effect)),
            ));
        }
    }
    validate_scheduling_constraints(spec, path, errs);
}

/// validateTopologySpreadConstraints and validatePodAffinity (the fields ksim interprets).
fn validate_scheduling_constraints(spec: &PodSpec, path: &str, errs: &mut Vec<FieldErr>) {
    let mut seen = Vec::new();
    for (i, c) in spec.topology_spread_constraints.iter().enumerate() {
        let p = format!("{path}.topologySpreadConstraints[{i}]");
        if c.max_skew <= 0 {
            errs.push(FieldErr::new(format!("{p}.maxSkew"), format!("Invalid value: {}: must be greater than zero", c.max_skew)));
        }
        if c.topology_key.is_empty() {
            errs.push(FieldErr::new(format!("{p}.topologyKey"), "Required value: can not be empty"));
        }
        if !["DoNotSchedule", "ScheduleAnyway"].contains(&c.when_unsatisfiable.as_str()) {
            errs.push(FieldErr::new(
                format!("{p}.whenUnsatisfiable"),
                format!("Unsupported value: {}: supported values: \"DoNotSchedule\", \"ScheduleAnyway\"", quoted(&c.when_unsatisfiable)),
            ));
        }
        if let Some(m) = c.min_domains {
            if m <= 0 {
                errs.push(FieldErr::new(format!("{p}.minDomains"), format!("Invalid value: {m}: must be greater than zero")));
            } else if c.when_unsatisfiable != "DoNotSchedule" {
                errs.push(FieldErr::new(
                    format!("{p}.minDomains"),
                    format!("Invalid value: {m}: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {}", c.when_unsatisfiable),
                ));
            }
        }
        for (f, v) in [("nodeAffinityPolicy", &c.node_affinity_policy), ("nodeTaintsPolicy", &c.node_taints_policy)] {
            if let Some(v) = v {
                if v != "Honor" && v != "Ignore" {
                    errs.push(FieldErr::new(format!("{p}.{f}"), format!("Unsupported value: {}: supported values: \"Honor\", \"Ignore\"", quoted(v))));
                }
            }
        }
        let pair = (c.topology_key.clone(), c.when_unsatisfiable.clone());
        if seen.contains(&pair) {
            errs.push(FieldErr::new(format!("{p}.{{topologyKey, whenUnsatisfiable}}"), format!("Duplicate value: \"{{{}, {}}}\"", pair.0, pair.1)));
        }
        seen.push(pair);
        if let Some(sel) = &c.label_selector {
            for (fp, m) in sel.validate(&format!("{p}.labelSelector")) {
                errs.push(FieldErr::new(fp, m));
            }
        }
    }
    let Some(a) = &spec.affinity else { return };
    for (field, pa) in [("podAffinity", &a.pod_affinity), ("podAntiAffinity", &a.pod_anti_affinity)] {
        let Some(pa) = pa else { continue };
        let base = format!("{path}.affinity.{field}");
        let term = |t: &super::affinity::PodAffinityTerm, p: &str, errs: &mut Vec<FieldErr>| {
            if t.topology_key.is_empty() {
                errs.push(FieldErr::new(format!("{p}.topologyKey"), "Required value: can not be empty"));
            }
            for (sel, f) in [(&t.label_selector, "labelSelector"), (&t.namespace_selector, "namespaceSelector")] {
                if let Some(sel) = sel {
                    for (fp, m) in sel.validate(&format!("{p}.{f}")) {
                        errs.push(FieldErr::new(fp, m));
                    }
                }
            }
        };
        for (i, t) in pa.required.iter().enumerate() {
            term(t, &format!("{base}.requiredDuringSchedulingIgnoredDuringExecution[{i}]"), errs);
        }
        for (i, w) in pa.preferred.iter().enumerate() {
            let p = format!("{base}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
            if !(1..=100).contains(&w.weight) {
                errs.push(FieldErr::new(format!("{p}.weight"), format!("Invalid value: {}: must be in the range 1-100", w.weight)));
            }
            term(&w.pod_affinity_term, &format!("{p}.podAffinityTerm"), errs);
        }
    }
}

/// Validation of a workload's selector and template (ReplicaSet, Deployment).
pub fn validate_workload(replicas: Option<i32>, selector: Option<&super::meta::LabelSelector>, template: &PodTemplateSpec, errs: &mut Vec<FieldErr>) {
    non_negative("spec.replicas", replicas.map(i64::from), errs);
    match selector {
        None => errs.push(FieldErr::required("spec.selector")),
        Some(sel) => {
            for (p, m) in sel.validate("spec.selector") {
                errs.push(FieldErr::new(p, m));
            }
            if sel.is_empty() {
                errs.push(FieldErr::new("spec.selector", "Invalid value: \"null\": empty selector is invalid for deployment"));
            } else if !sel.matches(&template.metadata.labels) {
                errs.push(FieldErr::new(
                    "spec.template.metadata.labels",
                    format!("Invalid value: {}: `selector` does not match template `labels`", go_map(&template.metadata.labels)),
                ));
            }
        }
    }
    validate_labels(&template.metadata.labels, "spec.template.metadata.labels", errs);
    validate_annotations(&template.metadata.annotations, "spec.template.metadata.annotations", errs);
    validate_pod_spec(&template.spec, "spec.template.spec", errs);
    if !template.spec.restart_policy.is_empty() && template.spec.restart_policy != "Always" {
        errs.push(FieldErr::new(
            "spec.template.spec.restartPolicy",
            format!("Unsupported value: {}: supported values: \"Always\"", quoted(&template.spec.restart_policy)),
        ));
    }
}

/// Go's `%#v` of an intstr.IntOrString, as field.Invalid prints one (the type has no
/// value-receiver String method, so the struct is printed raw).
pub fn go_intstr(v: &super::meta::IntOrString) -> String {
    match v {
        super::meta::IntOrString::Int(i) => format!("intstr.IntOrString{{Type:0, IntVal:{i}, StrVal:\"\"}}"),
        super::meta::IntOrString::String(s) => format!("intstr.IntOrString{{Type:1, IntVal:0, StrVal:{}}}", quoted(s)),
    }
}

/// ValidatePositiveIntOrPercent: a non-negative integer or a `[0-9]+%` percentage.
fn validate_positive_int_or_percent(v: &super::meta::IntOrString, path: &str, errs: &mut Vec<FieldErr>) {
    match v {
        super::meta::IntOrString::Int(i) => non_negative(path, Some(i64::from(*i)), errs),
        super::meta::IntOrString::String(s) => {
            let valid = s.strip_suffix('%').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if !valid {
                errs.push(FieldErr::new(
                    path,
                    format!(
                        "Invalid value: {}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
                        go_intstr(v)
                    ),
                ));
            }
        }
    }
}

/// The value of an int-or-percent for the both-zero rule (getIntOrPercentValue).
fn int_or_percent_value(v: Option<&super::meta::IntOrString>) -> i64 {
    match v {
        Some(super::meta::IntOrString::Int(i)) => i64::from(*i),
        Some(super::meta::IntOrString::String(s)) => s.strip_suffix('%').and_then(|n| n.parse::<i64>().ok()).unwrap_or(0),
        None => 0,
    }
}

/// ValidateDeploymentStrategy and ValidateRollingUpdateDeployment
/// (pkg/apis/apps/validation): Recreate takes no rollingUpdate; maxSurge and
/// maxUnavailable are non-negative ints or percentages, not both 0, and maxUnavailable is
/// at most 100%.
fn validate_deployment_strategy(strategy: Option<&crate::api::deployment::DeploymentStrategy>, errs: &mut Vec<FieldErr>) {
    let Some(s) = strategy else { return };
    match s.type_.as_str() {
        "Recreate" => {
            if s.rolling_update.is_some() {
                errs.push(FieldErr::new("spec.strategy.rollingUpdate", "Forbidden: may not be specified when strategy `type` is 'Recreate'"));
            }
        }
        "RollingUpdate" | "" => {
            let Some(ru) = &s.rolling_update else { return };
            let zero = super::meta::IntOrString::Int(0);
            let (surge, unavail) = (ru.max_surge.as_ref().unwrap_or(&zero), ru.max_unavailable.as_ref().unwrap_or(&zero));
            validate_positive_int_or_percent(unavail, "spec.strategy.rollingUpdate.maxUnavailable", errs);
            validate_positive_int_or_percent(surge, "spec.strategy.rollingUpdate.maxSurge", errs);
            if int_or_percent_value(Some(unavail)) == 0 && int_or_percent_value(Some(surge)) == 0 {
                errs.push(FieldErr::new(
                    "spec.strategy.rollingUpdate.maxUnavailable",
                    format!("Invalid value: {}: may not be 0 when `maxSurge` is 0", go_intstr(unavail)),
                ));
            }
            if let super::meta::IntOrString::String(p) = unavail {
                if p.strip_suffix('%').and_then(|n| n.parse::<i64>().ok()).is_some_and(|n| n > 100) {
                    errs.push(FieldErr::new(
                        "spec.strategy.rollingUpdate.maxUnavailable",
                        format!("Invalid value: {}: must not be greater than 100%", go_intstr(unavail)),
                    ));
                }
            }
        }
        other => {
            let ru = if s.rolling_update.is_some() { "(*apps.RollingUpdateDeployment)(…)" } else { "(*apps.RollingUpdateDeployment)(nil)" };
            errs.push(FieldErr::new(
                "spec.strategy",
                format!(
                    "Unsupported value: apps.DeploymentStrategy{{Type:{}, RollingUpdate:{ru}}}: supported values: \"Recreate\", \"RollingUpdate\"",
                    quoted(other)
                ),
            ));
        }
    }
}

/// IsNotMoreThan100Percent.
fn not_more_than_100_percent(v: &super::meta::IntOrString, path: &str, errs: &mut Vec<FieldErr>) {
    if let super::meta::IntOrString::String(p) = v {
        if p.strip_suffix('%').and_then(|n| n.parse::<i64>().ok()).is_some_and(|n| n > 100) {
            errs.push(FieldErr::new(path, format!("Invalid value: {}: must not be greater than 100%", go_intstr(v))));
        }
    }
}

/// ValidatePodDisruptionBudgetSpec (pkg/apis/policy/validation).
fn validate_pdb_spec(s: &crate::api::pod_disruption_budget::PdbSpec, errs: &mut Vec<FieldErr>) {
    if s.min_available.is_some() && s.max_unavailable.is_some() {
        errs.push(FieldErr::new("spec", "Invalid value: minAvailable and maxUnavailable cannot be both set"));
    }
    for (f, v) in [("spec.minAvailable", &s.min_available), ("spec.maxUnavailable", &s.max_unavailable)] {
        if let Some(v) = v {
            validate_positive_int_or_percent(v, f, errs);
            not_more_than_100_percent(v, f, errs);
        }
    }
    if let Some(sel) = &s.selector {
        for (p, m) in sel.validate("spec.selector") {
            errs.push(FieldErr::new(p, m));
        }
    }
    if let Some(p) = &s.unhealthy_pod_eviction_policy {
        if p != "IfHealthyBudget" && p != "AlwaysAllow" {
            errs.push(FieldErr::new(
                "spec.unhealthyPodEvictionPolicy",
                format!("Unsupported value: {}: supported values: \"AlwaysAllow\", \"IfHealthyBudget\"", quoted(p)),
            ));
        }
    }
}

/// Go's `%#v` of a map[string]string, as the apiserver prints it.
fn go_map(m: &Labels) -> String {
    let inner: Vec<String> = m.iter().map(|(k, v)| format!("{}:{}", quoted(k), quoted(v))).collect();
    format!("map[string]string{{{}}}", inner.join(", "))
}

/// Update-only rules: what may not change on a live object (ValidatePodUpdate,
/// ValidateDeploymentUpdate, ValidateReplicaSetUpdate).
pub fn validate_update(old: &Object, new: &Object) -> Vec<FieldErr> {
    let mut errs = Vec::new();
    match (old, new) {
        (Object::Pod(a), Object::Pod(b)) => {
            // Only images, activeDeadlineSeconds and added tolerations may change.
            let mut probe = (*b.spec).clone();
            let old_spec = &*a.spec;
            if probe.containers.len() == old_spec.containers.len() {
                let cs = std::rc::Rc::make_mut(&mut probe.containers);
                for (c, o) in cs.iter_mut().zip(old_spec.containers.iter()) {
                    c.image = o.image.clone();
                }
            }
            if probe.init_containers.len() == old_spec.init_containers.len() {
                for (c, o) in probe.init_containers.iter_mut().zip(old_spec.init_containers.iter()) {
                    c.image = o.image.clone();
                }
            }
            probe.active_deadline_seconds = old_spec.active_deadline_seconds;
            if old_spec.tolerations.iter().all(|t| probe.tolerations.contains(t)) {
                probe.tolerations = old_spec.tolerations.clone();
            }
            if probe != *old_spec {
                errs.push(FieldErr::new(
                    "spec",
                    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
                ));
            }
        }
        (Object::Deployment(a), Object::Deployment(b)) if a.spec.selector != b.spec.selector => {
            errs.push(FieldErr::new("spec.selector", "Invalid value: field is immutable"));
        }
        (Object::ReplicaSet(a), Object::ReplicaSet(b)) if a.spec.selector != b.spec.selector => {
            errs.push(FieldErr::new("spec.selector", "Invalid value: field is immutable"));
        }
        _ => {}
    }
    errs
}

/// Validates a (defaulted) object for create or update.
pub fn validate(obj: &Object) -> Vec<FieldErr> {
    let mut errs = Vec::new();
    let kind = obj.kind();
    validate_meta(obj.meta(), &kind, &mut errs);
    match obj {
        Object::Pod(p) => validate_pod_spec(&p.spec, "spec", &mut errs),
        Object::ReplicaSet(rs) => validate_workload(rs.spec.replicas, rs.spec.selector.as_ref(), &rs.spec.template, &mut errs),
        Object::Deployment(d) => {
            validate_workload(d.spec.replicas, d.spec.selector.as_ref(), &d.spec.template, &mut errs);
            non_negative("spec.revisionHistoryLimit", d.spec.revision_history_limit.map(i64::from), &mut errs);
            non_negative("spec.minReadySeconds", d.spec.min_ready_seconds.map(i64::from), &mut errs);
            validate_deployment_strategy(d.spec.strategy.as_ref(), &mut errs);
            if let Some(p) = d.spec.progress_deadline_seconds {
                non_negative("spec.progressDeadlineSeconds", Some(i64::from(p)), &mut errs);
                if p <= d.spec.min_ready_seconds.unwrap_or(0) {
                    errs.push(FieldErr::new("spec.progressDeadlineSeconds", format!("Invalid value: {p}: must be greater than minReadySeconds")));
                }
            }
        }
        Object::Service(s) => {
            for (i, p) in s.spec.ports.iter().enumerate() {
                if !(1..=65535).contains(&p.port) {
                    errs.push(FieldErr::new(format!("spec.ports[{i}].port"), format!("Invalid value: {}: must be between 1 and 65535, inclusive", p.port)));
                }
            }
        }
        Object::Node(n) => {
            for (i, t) in n.spec.taints.iter().enumerate() {
                if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&t.effect.as_str()) {
                    errs.push(FieldErr::new(
                        format!("spec.taints[{i}].effect"),
                        format!("Unsupported value: {}: supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"", quoted(&t.effect)),
                    ));
                }
            }
        }
        Object::PodDisruptionBudget(pdb) => validate_pdb_spec(&pdb.spec, &mut errs),
        Object::Unstructured(u) => super::scheduling::validate(u, &mut errs),
        _ => {}
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_like_apimachinery() {
        assert!(dns1123_subdomain("web-1.example").is_empty());
        assert!(!dns1123_subdomain("Web").is_empty());
        assert!(!dns1123_subdomain("-web").is_empty());
        assert!(!dns1123_subdomain("").is_empty());
        assert!(dns1123_label("a.b").len() == 1);
        assert!(dns1035_label("web").is_empty());
        assert!(!dns1035_label("1web").is_empty());
        assert_eq!(dns1123_label(&"a".repeat(64))[0], "must be no more than 63 characters");
    }

    #[test]
    fn negative_replicas_in_apiserver_words() {
        let mut errs = Vec::new();
        validate_workload(Some(-1), None, &PodTemplateSpec::default(), &mut errs);
        assert_eq!(errs[0].to_string(), "spec.replicas: Invalid value: -1: must be greater than or equal to 0");
        assert_eq!(errs[1].to_string(), "spec.selector: Required value");
    }

    /// pkg/apis/apps/validation ValidateRollingUpdateDeployment / ValidateDeploymentSpec.
    #[test]
    fn deployment_strategies_are_checked_in_the_apiservers_words() {
        use crate::api::deployment::{Deployment, DeploymentStrategy, RollingUpdateDeployment};
        use crate::api::meta::IntOrString;
        let check = |surge: IntOrString, unavail: IntOrString| {
            let mut d = Deployment::default();
            d.metadata.name = "web".into();
            d.spec.strategy = Some(DeploymentStrategy {
                type_: "RollingUpdate".into(),
                rolling_update: Some(RollingUpdateDeployment { max_surge: Some(surge), max_unavailable: Some(unavail) }),
            });
            let mut errs = Vec::new();
            validate_deployment_strategy(d.spec.strategy.as_ref(), &mut errs);
            errs.iter().map(|e| e.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(
            check(IntOrString::Int(0), IntOrString::Int(0)),
            ["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0"]
        );
        assert_eq!(check(IntOrString::String("0%".into()), IntOrString::Int(0)).len(), 1, "0% counts as 0");
        assert_eq!(
            check(IntOrString::Int(1), IntOrString::String("150%".into())),
            ["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"150%\"}: must not be greater than 100%"]
        );
        assert!(check(IntOrString::String("200%".into()), IntOrString::Int(0)).is_empty(), "maxSurge may exceed 100%");
        assert_eq!(
            check(IntOrString::Int(-1), IntOrString::Int(1)),
            ["spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0"]
        );
        let mut errs = Vec::new();
        validate_deployment_strategy(
            Some(&DeploymentStrategy { type_: "Recreate".into(), rolling_update: Some(RollingUpdateDeployment::default()) }),
            &mut errs,
        );
        assert_eq!(errs[0].to_string(), "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'");
    }

    #[test]
    fn label_values_are_checked() {
        let mut errs = Vec::new();
        let labels: Labels = [("app".to_string(), "a b".to_string()), ("ok/x".to_string(), "v".to_string())].into_iter().collect();
        validate_labels(&labels, "metadata.labels", &mut errs);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].to_string().starts_with("metadata.labels[app]: Invalid value: \"a b\": a valid label"));
    }

    #[test]
    fn annotations_are_checked_like_apimachinery() {
        let mut errs = Vec::new();
        let mut a: Labels = [("ok.example.com/Key".to_string(), "v".to_string())].into_iter().collect();
        validate_annotations(&a, "metadata.annotations", &mut errs);
        assert!(errs.is_empty(), "keys are compared in lower case: {errs:?}");
        // 262,144 bytes of keys and values pass; one more does not.
        a.insert("big".into(), "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT_B - "ok.example.com/Key".len() - 1 - "big".len()));
        validate_annotations(&a, "metadata.annotations", &mut errs);
        assert!(errs.is_empty(), "{errs:?}");
        a.get_mut("big").unwrap().push('x');
        validate_annotations(&a, "metadata.annotations", &mut errs);
        assert_eq!(errs, [FieldErr::new("metadata.annotations", "Too long: must have at most 262144 bytes")]);
        errs.clear();
        validate_annotations(&[("bad key".to_string(), String::new())].into_iter().collect(), "metadata.annotations", &mut errs);
        assert!(errs[0].message.starts_with("Invalid value: \"bad key\": name part must consist of"), "{errs:?}");
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let mut errs = Vec::new();
        validate_labels(&[("app".to_string(), "v".repeat(1 << 20))].into_iter().collect(), "metadata.labels", &mut errs);
        let m = &errs[0].message;
        assert!(m.len() < 400, "{} bytes", m.len());
        assert_eq!(m, &format!("Invalid value: \"{}\"… ({} more bytes): must be no more than 63 characters", "v".repeat(200), (1 << 20) - 200));
    }
}
