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

/// `{path}{field}[{index}]` (a container's, a toleration's), formatted only where an
/// error names it: a valid pod's containers and tolerations each had their path
/// formatted for nothing.
struct Indexed<'a>(&'a str, &'static str, usize);

impl std::fmt::Display for Indexed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}[{}]", self.0, self.1, self.2)
    }
}

fn validate_container<'a>(c: &'a Container, path: &Indexed<'_>, names: &mut Vec<&'a str>, errs: &mut Vec<FieldErr>) {
    if c.name.is_empty() {
        errs.push(FieldErr::required(format!("{path}.name")));
    } else {
        for m in dns1123_label(&c.name) {
            errs.push(FieldErr::new(format!("{path}.name"), format!("Invalid value: {}: {m}", quoted(&c.name))));
        }
        if names.contains(&c.name.as_str()) {
            errs.push(FieldErr::new(format!("{path}.name"), format!("Duplicate value: {}", quoted(&c.name))));
        }
        names.push(&c.name);
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
    // validateProbe (after SetDefaults_Probe, which turns 0 periods and thresholds into
    // their defaults), and validateContainers' `must be 1` for liveness and startup
    // probes' successThreshold.
    for (which, probe) in [("readinessProbe", &c.readiness_probe), ("livenessProbe", &c.liveness_probe), ("startupProbe", &c.startup_probe)] {
        if let Some(p) = probe {
            for (field, v) in [
                ("initialDelaySeconds", p.initial_delay_seconds),
                ("timeoutSeconds", p.timeout_seconds),
                ("periodSeconds", p.period_seconds),
                ("successThreshold", p.success_threshold),
                ("failureThreshold", p.failure_threshold),
            ] {
                if v.is_some_and(|v| v < 0) {
                    non_negative(&format!("{path}.{which}.{field}"), v.map(i64::from), errs);
                }
            }
            if let Some(g) = p.termination_grace_period_seconds.filter(|g| *g <= 0) {
                errs.push(FieldErr::new(format!("{path}.{which}.terminationGracePeriodSeconds"), format!("Invalid value: {g}: must be greater than 0")));
            }
            if which != "readinessProbe" {
                if let Some(s) = p.success_threshold.filter(|s| *s != 0 && *s != 1) {
                    errs.push(FieldErr::new(format!("{path}.{which}.successThreshold"), format!("Invalid value: {s}: must be 1")));
                }
            }
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
        validate_container(c, &Indexed(path, ".initContainers", i), &mut names, errs);
    }
    for (i, c) in spec.containers.iter().enumerate() {
        validate_container(c, &Indexed(path, ".containers", i), &mut names, errs);
    }
    if !spec.restart_policy.is_empty() && !["Always", "OnFailure", "Never"].contains(&spec.restart_policy.as_str()) {
        errs.push(FieldErr::new(
            format!("{path}.restartPolicy"),
            format!("Unsupported value: {}: supported values: \"Always\", \"OnFailure\", \"Never\"", quoted(&spec.restart_policy)),
        ));
    }
    if spec.termination_grace_period_seconds.is_some_and(|v| v < 0) {
        non_negative(&format!("{path}.terminationGracePeriodSeconds"), spec.termination_grace_period_seconds, errs);
    }
    if let Some(a) = spec.active_deadline_seconds {
        if a <= 0 {
            errs.push(FieldErr::new(format!("{path}.activeDeadlineSeconds"), format!("Invalid value: {a}: must be between 1 and 2147483647, inclusive")));
        }
    }
    for (i, t) in spec.tolerations.iter().enumerate() {
        let p = Indexed(path, ".tolerations", i);
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
            if int_or_percent_value(unavail) == 0 && int_or_percent_value(surge) == 0 {
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

/// The pod template checks a DaemonSet and a ReplicationController share
/// (ValidateDaemonSetSpec, ValidatePodTemplateSpecForRC): the template's labels and
/// spec, restartPolicy Always, no activeDeadlineSeconds.
fn validate_controller_template(template: &PodTemplateSpec, kind: &str, errs: &mut Vec<FieldErr>) {
    validate_labels(&template.metadata.labels, "spec.template.metadata.labels", errs);
    validate_pod_spec(&template.spec, "spec.template.spec", errs);
    if template.spec.restart_policy != "Always" {
        errs.push(FieldErr::new(
            "spec.template.spec.restartPolicy",
            format!("Unsupported value: {}: supported values: \"Always\"", quoted(&template.spec.restart_policy)),
        ));
    }
    if template.spec.active_deadline_seconds.is_some() {
        errs.push(FieldErr::new("spec.template.spec.activeDeadlineSeconds", format!("Forbidden: activeDeadlineSeconds in {kind} is not Supported")));
    }
}

/// IsConfigMapKey: the keys of a ConfigMap's or Secret's data.
fn config_key_errors(path: &str, key: &str, errs: &mut Vec<FieldErr>) {
    let p = format!("{path}[{key}]");
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)) {
        errs.push(FieldErr::new(
            &p,
            format!("Invalid value: {}: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')", quoted(key)),
        ));
    } else if key == "." || key == ".." || key.starts_with("..") {
        errs.push(FieldErr::new(&p, format!("Invalid value: {}: must not be '.' or '..' or start with '..'", quoted(key))));
    }
    if key.len() > 253 {
        errs.push(FieldErr::new(&p, format!("Invalid value: {}: must be no more than 253 characters", quoted(key))));
    }
}

/// ValidateConfigMap: valid keys, none both in data and binaryData, at most 1 MiB.
pub fn validate_config_map(c: &super::config_map::ConfigMap, errs: &mut Vec<FieldErr>) {
    let mut total = 0;
    for (k, v) in &c.data {
        config_key_errors("data", k, errs);
        total += v.len();
    }
    for (k, v) in &c.binary_data {
        config_key_errors("binaryData", k, errs);
        if c.data.contains_key(k) {
            errs.push(FieldErr::new(format!("data[{k}]"), format!("Invalid value: {}: duplicate of key present in binaryData", quoted(k))));
        }
        total += v.len() / 4 * 3;
    }
    if total > 1024 * 1024 {
        errs.push(FieldErr::new("", format!("Too long: may not be more than 1048576 bytes (got {total})")));
    }
}

/// ValidateSecret: valid keys holding base64 (the v1 []byte decoding), at most 1 MiB,
/// a known type's required keys are not checked.
pub fn validate_secret(s: &super::config_map::Secret, errs: &mut Vec<FieldErr>) {
    let mut total = 0;
    for (k, v) in &s.data {
        config_key_errors("data", k, errs);
        if let Some(at) = super::config_map::base64_error(v) {
            errs.push(FieldErr::new(format!("data[{k}]"), format!("Invalid value: illegal base64 data at input byte {at}")));
        }
        total += v.len() / 4 * 3;
    }
    if total > 1024 * 1024 {
        errs.push(FieldErr::new("data", format!("Too long: may not be more than 1048576 bytes (got {total})")));
    }
}

/// ValidateStatefulSetSpec (pkg/apis/apps/validation/validation.go) on a defaulted
/// StatefulSet: the pod management policy and update strategy, non-negative counts, a
/// selector that selects the template (restartPolicy Always, no activeDeadlineSeconds).
pub fn validate_stateful_set(s: &super::stateful_set::StatefulSet, errs: &mut Vec<FieldErr>) {
    let spec = &s.spec;
    match spec.pod_management_policy.as_str() {
        "OrderedReady" | "Parallel" => {}
        "" => errs.push(FieldErr::required("spec.podManagementPolicy")),
        p => errs.push(FieldErr::new("spec.podManagementPolicy", format!("Invalid value: {}: must be 'OrderedReady' or 'Parallel'", quoted(p)))),
    }
    match spec.update_strategy.type_.as_str() {
        "RollingUpdate" => {
            if let Some(p) = spec.update_strategy.rolling_update.as_ref().and_then(|r| r.partition) {
                non_negative("spec.updateStrategy.rollingUpdate.partition", Some(i64::from(p)), errs);
            }
        }
        "OnDelete" => {
            if spec.update_strategy.rolling_update.is_some() {
                errs.push(FieldErr::new("spec.updateStrategy.rollingUpdate", "Invalid value: \"OnDelete\": only allowed for updateStrategy 'RollingUpdate'"));
            }
        }
        "" => errs.push(FieldErr::required("spec.updateStrategy")),
        t => errs.push(FieldErr::new("spec.updateStrategy", format!("Invalid value: {}: must be 'RollingUpdate' or 'OnDelete'", quoted(t)))),
    }
    non_negative("spec.replicas", spec.replicas.map(i64::from), errs);
    non_negative("spec.minReadySeconds", spec.min_ready_seconds.map(i64::from), errs);
    if let Some(o) = &spec.ordinals {
        non_negative("spec.ordinals.start", Some(i64::from(o.start)), errs);
    }
    let labels = &spec.template.metadata.labels;
    match &spec.selector {
        None => errs.push(FieldErr::new("spec.selector", "Invalid value: \"null\": empty selector is invalid for statefulset")),
        Some(sel) => {
            let mut ok = true;
            for (p, m) in sel.validate("spec.selector") {
                ok = false;
                errs.push(FieldErr::new(p, m));
            }
            if ok && sel.is_empty() {
                errs.push(FieldErr::new(
                    "spec.selector",
                    "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset",
                ));
            } else if ok && !sel.matches(labels) {
                errs.push(selector_mismatch(labels));
            }
        }
    }
    validate_controller_template(&spec.template, "StatefulSet", errs);
}

/// ValidateJob (pkg/apis/batch/validation/validation.go) on a defaulted Job whose
/// selector the apiserver generated (unless manualSelector): the Indexed pods'
/// hostnames, validateJobSpec's counts and modes, the template with restartPolicy
/// OnFailure or Never, the selector matching the template.
pub fn validate_job(job: &super::job::Job, errs: &mut Vec<FieldErr>) {
    validate_job_spec(job, true, errs);
}

/// ValidateCronJobCreate / validateCronJobSpec: the name (at most 52 characters: the
/// controller appends `-<11 digits>` to it for its Jobs), the schedule (robfig's
/// ParseStandard, no TZ in it), the time zone, concurrencyPolicy, the history limits
/// and startingDeadlineSeconds non-negative, and the Job template
/// (ValidateJobTemplateSpec: the Job spec without its selector, manualSelector refused).
pub fn validate_cron_job(cj: &super::job::CronJob, errs: &mut Vec<FieldErr>) {
    let s = &cj.spec;
    if s.schedule.is_empty() {
        errs.push(FieldErr::required("spec.schedule"));
    } else {
        if let Err(e) = super::cron::parse_standard(&s.schedule) {
            errs.push(FieldErr::new("spec.schedule", format!("Invalid value: {}: {e}", quoted(&s.schedule))));
        }
        if s.schedule.contains("TZ") {
            errs.push(FieldErr::new(
                "spec.schedule",
                format!("Invalid value: {}: cannot use TZ or CRON_TZ in schedule, use timeZone field instead", quoted(&s.schedule)),
            ));
        }
    }
    non_negative("spec.startingDeadlineSeconds", s.starting_deadline_seconds, errs);
    if let Some(tz) = &s.time_zone {
        let bad_part = tz
            .split('/')
            .any(|p| p == "." || p == ".." || p.starts_with('-') || p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c)));
        if tz.is_empty() {
            errs.push(FieldErr::new("spec.timeZone", "Invalid value: \"\": timeZone must be nil or non-empty string"));
        } else if bad_part {
            errs.push(FieldErr::new("spec.timeZone", format!("Invalid value: {}: unknown time zone {tz}", quoted(tz))));
        } else if tz.eq_ignore_ascii_case("Local") {
            errs.push(FieldErr::new(
                "spec.timeZone",
                format!("Invalid value: {}: timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones", quoted(tz)),
            ));
        } else if let Err(e) = super::cron::load_location(tz) {
            errs.push(FieldErr::new("spec.timeZone", format!("Invalid value: {}: {e}", quoted(tz))));
        }
    }
    match s.concurrency_policy.as_str() {
        "Allow" | "Forbid" | "Replace" => {}
        "" => errs.push(FieldErr::required("spec.concurrencyPolicy")),
        other => errs.push(FieldErr::new(
            "spec.concurrencyPolicy",
            format!("Unsupported value: {}: supported values: \"Allow\", \"Forbid\", \"Replace\"", quoted(other)),
        )),
    }
    let mut probe = super::job::Job::default();
    probe.metadata.name = cj.metadata.name.clone();
    probe.spec = s.job_template.spec.clone();
    let mut job_errs = Vec::new();
    validate_job_spec(&probe, false, &mut job_errs);
    for mut e in job_errs {
        if let Some(rest) = e.path.strip_prefix("spec.") {
            e.path = format!("spec.jobTemplate.spec.{rest}");
            errs.push(e);
        }
    }
    if s.job_template.spec.manual_selector == Some(true) {
        errs.push(FieldErr::new("spec.jobTemplate.spec.manualSelector", "Unsupported value: true: supported values: \"nil\", \"false\""));
    }
    non_negative("spec.successfulJobsHistoryLimit", s.successful_jobs_history_limit.map(i64::from), errs);
    non_negative("spec.failedJobsHistoryLimit", s.failed_jobs_history_limit.map(i64::from), errs);
    if cj.metadata.name.len() > 52 {
        errs.push(FieldErr::new("metadata.name", format!("Invalid value: {}: must be no more than 52 characters", quoted(&cj.metadata.name))));
    }
}

/// validateJobSpec, with ValidateJobSpec's selector checks when `with_selector`.
fn validate_job_spec(job: &super::job::Job, with_selector: bool, errs: &mut Vec<FieldErr>) {
    let spec = &job.spec;
    let indexed = spec.completion_mode.as_deref() == Some("Indexed");
    if indexed {
        if let Some(c) = spec.completions.filter(|c| *c > 0) {
            let host = format!("{}-{}", job.metadata.name, c - 1);
            if !dns1123_label(&host).is_empty() {
                errs.push(FieldErr::new(
                    "metadata.name",
                    format!("Invalid value: {}: will not able to create pod with invalid DNS label: {host}", quoted(&job.metadata.name)),
                ));
            }
        }
    }
    for (path, v) in [
        ("spec.parallelism", spec.parallelism.map(i64::from)),
        ("spec.completions", spec.completions.map(i64::from)),
        ("spec.activeDeadlineSeconds", spec.active_deadline_seconds),
        ("spec.backoffLimit", spec.backoff_limit.map(i64::from)),
        ("spec.ttlSecondsAfterFinished", spec.ttl_seconds_after_finished.map(i64::from)),
        ("spec.backoffLimitPerIndex", spec.backoff_limit_per_index.map(i64::from)),
        ("spec.maxFailedIndexes", spec.max_failed_indexes.map(i64::from)),
    ] {
        non_negative(path, v, errs);
    }
    if spec.max_failed_indexes.is_some() && spec.backoff_limit_per_index.is_none() {
        errs.push(FieldErr::new("spec.backoffLimitPerIndex", "Required value: when maxFailedIndexes is specified"));
    }
    if let Some(mode) = &spec.completion_mode {
        if mode != "NonIndexed" && mode != "Indexed" {
            errs.push(FieldErr::new("spec.completionMode", format!("Unsupported value: {}: supported values: \"NonIndexed\", \"Indexed\"", quoted(mode))));
        }
        if indexed {
            if spec.completions.is_none() {
                errs.push(FieldErr::new("spec.completions", "Required value: when completion mode is Indexed"));
            }
            if let Some(p) = spec.parallelism.filter(|p| *p > 100_000) {
                errs.push(FieldErr::new(
                    "spec.parallelism",
                    format!("Invalid value: {p}: must be less than or equal to 100000 when completion mode is Indexed"),
                ));
            }
            if let (Some(c), Some(m)) = (spec.completions, spec.max_failed_indexes) {
                if m > c {
                    errs.push(FieldErr::new("spec.maxFailedIndexes", format!("Invalid value: {m}: must be less than or equal to completions")));
                }
            }
        }
    }
    if !indexed {
        if let Some(b) = spec.backoff_limit_per_index {
            errs.push(FieldErr::new("spec.backoffLimitPerIndex", format!("Invalid value: {b}: requires indexed completion mode")));
        }
        if let Some(m) = spec.max_failed_indexes {
            errs.push(FieldErr::new("spec.maxFailedIndexes", format!("Invalid value: {m}: requires indexed completion mode")));
        }
    }
    if let Some(p) = &spec.pod_replacement_policy {
        if spec.pod_failure_policy.is_some() {
            if p != "Failed" {
                errs.push(FieldErr::new("spec.podReplacementPolicy", format!("Unsupported value: {}: supported values: \"Failed\"", quoted(p))));
            }
        } else if p != "Failed" && p != "TerminatingOrFailed" {
            errs.push(FieldErr::new(
                "spec.podReplacementPolicy",
                format!("Unsupported value: {}: supported values: \"Failed\", \"TerminatingOrFailed\"", quoted(p)),
            ));
        }
    }
    let t = &spec.template;
    validate_labels(&t.metadata.labels, "spec.template.metadata.labels", errs);
    validate_annotations(&t.metadata.annotations, "spec.template.metadata.annotations", errs);
    validate_pod_spec(&t.spec, "spec.template.spec", errs);
    match t.spec.restart_policy.as_str() {
        "Always" | "" => errs.push(FieldErr::new("spec.template.spec.restartPolicy", "Required value: valid values: \"OnFailure\", \"Never\"")),
        "OnFailure" | "Never" => {
            if spec.pod_failure_policy.is_some() && t.spec.restart_policy != "Never" {
                errs.push(FieldErr::new(
                    "spec.template.spec.restartPolicy",
                    format!("Invalid value: {}: only \"Never\" is supported when podFailurePolicy is specified", quoted(&t.spec.restart_policy)),
                ));
            }
        }
        other => errs.push(FieldErr::new(
            "spec.template.spec.restartPolicy",
            format!("Unsupported value: {}: supported values: \"OnFailure\", \"Never\"", quoted(other)),
        )),
    }
    if !with_selector {
        return;
    }
    match &spec.selector {
        None => errs.push(FieldErr::required("spec.selector")),
        Some(sel) => {
            let mut ok = true;
            for (p, m) in sel.validate("spec.selector") {
                ok = false;
                errs.push(FieldErr::new(p, m));
            }
            if ok && !sel.matches(&t.metadata.labels) {
                errs.push(selector_mismatch(&t.metadata.labels));
            }
        }
    }
}

/// ValidateJobSpecUpdate: selector, completionMode, podFailurePolicy,
/// backoffLimitPerIndex, managedBy, successPolicy and completions (but for an Indexed
/// Job scaled with its parallelism: ElasticIndexedJob) are immutable; so is the template,
/// except, for a suspended Job that never started, its scheduling directives (node
/// affinity, node selector, tolerations, scheduling gates) and labels and annotations.
/// The Go value of an immutable struct field is not reproduced.
fn validate_job_update(old: &super::job::Job, new: &super::job::Job, errs: &mut Vec<FieldErr>) {
    let (a, b) = (&old.spec, &new.spec);
    let immutable = |path: &str, errs: &mut Vec<FieldErr>| errs.push(FieldErr::new(path, "Invalid value: field is immutable"));
    if a.completions != b.completions {
        let indexed = b.completion_mode.as_deref() == Some("Indexed");
        match (indexed, b.completions, b.parallelism) {
            (true, Some(c), Some(p)) if c != p => {
                errs.push(FieldErr::new("spec.completions", format!("Invalid value: {c}: can only be modified in tandem with spec.parallelism")))
            }
            (true, Some(_), Some(_)) => {}
            (_, Some(c), _) => errs.push(FieldErr::new("spec.completions", format!("Invalid value: {c}: field is immutable"))),
            _ => immutable("spec.completions", errs),
        }
    }
    if a.selector != b.selector {
        immutable("spec.selector", errs);
    }
    let mutable_scheduling = old.spec.suspend == Some(true) && old.status.start_time.is_none();
    let strip = |t: &PodTemplateSpec| {
        let mut t = t.clone();
        if mutable_scheduling {
            t.metadata.labels.clear();
            t.metadata.annotations.clear();
            let s = std::rc::Rc::make_mut(&mut t.spec);
            s.node_selector.clear();
            s.affinity = None;
            s.tolerations.clear();
            s.scheduling_gates = None;
        }
        t
    };
    if strip(&a.template) != strip(&b.template) {
        immutable("spec.template", errs);
    }
    if a.completion_mode != b.completion_mode {
        immutable("spec.completionMode", errs);
    }
    if a.pod_failure_policy != b.pod_failure_policy {
        immutable("spec.podFailurePolicy", errs);
    }
    if a.backoff_limit_per_index != b.backoff_limit_per_index {
        immutable("spec.backoffLimitPerIndex", errs);
    }
    if a.managed_by != b.managed_by {
        immutable("spec.managedBy", errs);
    }
    if a.success_policy != b.success_policy {
        immutable("spec.successPolicy", errs);
    }
}

/// The mismatch error of a selector that does not select its template's labels.
fn selector_mismatch(labels: &Labels) -> FieldErr {
    FieldErr::new("spec.template.metadata.labels", format!("Invalid value: {}: `selector` does not match template `labels`", go_map(labels)))
}

/// ValidateDaemonSetSpec (pkg/apis/apps/validation/validation.go), on a defaulted
/// DaemonSet. A missing selector is LabelSelectorAsSelector(nil) = Nothing, which
/// matches no template.
pub fn validate_daemon_set(ds: &super::daemon_set::DaemonSet, errs: &mut Vec<FieldErr>) {
    let spec = &ds.spec;
    let labels = &spec.template.metadata.labels;
    let mut selector_ok = true;
    if let Some(sel) = &spec.selector {
        for (p, m) in sel.validate("spec.selector") {
            selector_ok = false;
            errs.push(FieldErr::new(p, m));
        }
    }
    if selector_ok && !spec.selector.as_ref().is_some_and(|s| s.matches(labels)) {
        errs.push(selector_mismatch(labels));
    }
    if spec.selector.as_ref().is_some_and(|s| s.is_empty()) {
        errs.push(FieldErr::new(
            "spec.selector",
            "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset",
        ));
    }
    validate_controller_template(&spec.template, "DaemonSet", errs);
    non_negative("spec.minReadySeconds", spec.min_ready_seconds.map(i64::from), errs);
    validate_daemon_set_update_strategy(&spec.update_strategy, errs);
    non_negative("spec.revisionHistoryLimit", spec.revision_history_limit.map(i64::from), errs);
}

/// ValidateDaemonSetUpdateStrategy. An unknown type is reported with the strategy as Go
/// prints the struct (`%#v`; a non-nil rollingUpdate pointer prints as an address,
/// which ksim cannot reproduce and writes as 0xc000000000).
fn validate_daemon_set_update_strategy(s: &super::daemon_set::DaemonSetUpdateStrategy, errs: &mut Vec<FieldErr>) {
    match s.type_.as_str() {
        "OnDelete" => {}
        "RollingUpdate" => match &s.rolling_update {
            None => errs.push(FieldErr::required("spec.updateStrategy.rollingUpdate")),
            Some(ru) => validate_rolling_update_daemon_set(ru, errs),
        },
        t => {
            let ru = if s.rolling_update.is_some() { "(*apps.RollingUpdateDaemonSet)(0xc000000000)" } else { "(*apps.RollingUpdateDaemonSet)(nil)" };
            errs.push(FieldErr::new(
                "spec.updateStrategy",
                format!(
                    "Unsupported value: apps.DaemonSetUpdateStrategy{{Type:{}, RollingUpdate:{ru}}}: supported values: \"RollingUpdate\", \"OnDelete\"",
                    quoted(t)
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

/// ValidateLimitRange (pkg/apis/core/validation), after SetDefaults_LimitRangeItem: one
/// item per type; no default or defaultRequest on a Pod item; min ≤ defaultRequest ≤
/// default ≤ max for each resource; a ratio at least 1.
fn validate_limit_range(lr: &crate::api::limit_range::LimitRange, errs: &mut Vec<FieldErr>) {
    let mut seen: Vec<&str> = Vec::new();
    for (i, item) in lr.spec.limits.iter().enumerate() {
        let at = format!("spec.limits[{i}]");
        if !matches!(item.type_.as_str(), "Container" | "Pod" | "PersistentVolumeClaim") {
            errs.push(FieldErr::new(
                format!("{at}.type"),
                format!("Unsupported value: {:?}: supported values: \"Container\", \"PersistentVolumeClaim\", \"Pod\"", item.type_),
            ));
        }
        if seen.contains(&item.type_.as_str()) {
            errs.push(FieldErr::new(format!("{at}.type"), format!("Duplicate value: {:?}", item.type_)));
        }
        seen.push(&item.type_);
        let pod = item.type_ == "Pod";
        if pod {
            for (field, list) in [("default", &item.default), ("defaultRequest", &item.default_request)] {
                if !list.is_empty() {
                    errs.push(FieldErr::new(format!("{at}.{field}"), "Forbidden: may not be specified when `type` is 'Pod'"));
                }
            }
        }
        if item.type_ == "PersistentVolumeClaim" && !item.min.contains_key("storage") && !item.max.contains_key("storage") {
            errs.push(FieldErr::new(format!("{at}.limits"), "Required value: either minimum or maximum storage value is required, but neither was provided"));
        }
        // A Pod item's default and defaultRequest are only refused, never compared.
        let (def_list, req_list) = if pod { (&Default::default(), &Default::default()) } else { (&item.default, &item.default_request) };
        let mut keys: Vec<&String> = item.min.keys().chain(item.max.keys()).chain(def_list.keys()).chain(req_list.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            let (min, max, def, req) = (item.min.get(k), item.max.get(k), def_list.get(k), req_list.get(k));
            // (a, b, the field reported, whether a is the value shown, a's name, b's name):
            // each pair must have a ≤ b.
            let rules = [
                (min, max, "min", true, "min value", "max value"),
                (min, req, "defaultRequest", false, "min value", "default request value"),
                (req, max, "defaultRequest", true, "default request value", "max value"),
                (req, def, "defaultRequest", true, "default request value", "default limit value"),
                (min, def, "default", true, "min value", "default value"),
                (def, max, "default", false, "default value", "max value"),
            ];
            for (a, b, field, show_a, a_name, b_name) in rules {
                if let (Some(a), Some(b)) = (a, b) {
                    if a > b {
                        let value = if show_a { a } else { b };
                        errs.push(FieldErr::new(
                            format!("{at}.{field}[{k}]"),
                            format!("Invalid value: \"{value}\": {a_name} {a} is greater than {b_name} {b}"),
                        ));
                    }
                }
            }
        }
        for (k, r) in &item.max_limit_request_ratio {
            if r < &crate::api::quantity::Quantity::from_value(1) {
                errs.push(FieldErr::new(format!("{at}.maxLimitRequestRatio[{k}]"), format!("Invalid value: \"{r}\": ratio {r} is less than 1")));
            }
        }
    }
}

/// ValidateHorizontalPodAutoscalerSpec (pkg/apis/autoscaling/validation/validation.go),
/// after defaulting: replicas bounds, the target reference, each metric (Resource and
/// ContainerResource in full; the other types' sources must be there), and the behavior
/// (validateScalingRules, validateScalingPolicy). Scale-to-zero (HPAScaleToZero) and
/// per-HPA tolerances (HPAConfigurableTolerance) are alpha features, off.
fn validate_hpa(s: &crate::api::horizontal_pod_autoscaler::HorizontalPodAutoscalerSpec, errs: &mut Vec<FieldErr>) {
    if let Some(m) = s.min_replicas.filter(|m| *m < 1) {
        errs.push(FieldErr::new("spec.minReplicas", format!("Invalid value: {m}: must be greater than or equal to 1")));
    }
    if s.max_replicas < 1 {
        errs.push(FieldErr::new("spec.maxReplicas", format!("Invalid value: {}: must be greater than 0", s.max_replicas)));
    }
    if s.min_replicas.is_some_and(|m| s.max_replicas < m) {
        errs.push(FieldErr::new("spec.maxReplicas", format!("Invalid value: {}: must be greater than or equal to `minReplicas`", s.max_replicas)));
    }
    let r = &s.scale_target_ref;
    for (field, v) in [("kind", &r.kind), ("name", &r.name)] {
        let path = format!("spec.scaleTargetRef.{field}");
        if v.is_empty() {
            errs.push(FieldErr::required(path));
        } else if let Some(msg) = path_segment_error(v) {
            errs.push(FieldErr::new(path, format!("Invalid value: {}: {msg}", quoted(v))));
        }
    }
    for (i, m) in s.metrics.iter().enumerate() {
        let path = format!("spec.metrics[{i}]");
        const TYPES: [&str; 5] = ["ContainerResource", "External", "Object", "Pods", "Resource"];
        if m.type_.is_empty() {
            errs.push(FieldErr::new(format!("{path}.type"), "Required value: must specify a metric source type"));
        }
        if !TYPES.contains(&m.type_.as_str()) {
            errs.push(FieldErr::new(
                format!("{path}.type"),
                format!("Unsupported value: {}: supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\"", quoted(&m.type_)),
            ));
        }
        let given = [
            ("containerResource", m.container_resource.is_some()),
            ("external", m.external.is_some()),
            ("object", m.object.is_some()),
            ("pods", m.pods.is_some()),
            ("resource", m.resource.is_some()),
        ];
        let wanted = TYPES.iter().position(|t| *t == m.type_).map(|j| given[j].0);
        if let Some(w) = wanted {
            if !given.iter().any(|(f, g)| *f == w && *g) {
                errs.push(FieldErr::new(format!("{path}.{w}"), "Required value: must populate information for the given metric source"));
            }
        }
        for (f, g) in given {
            if g && Some(f) != wanted {
                errs.push(FieldErr::new(format!("{path}.{f}"), "Forbidden: must populate the given metric source only"));
            }
        }
        let target = |name: &str, t: &crate::api::horizontal_pod_autoscaler::MetricTarget, src: &str, errs: &mut Vec<FieldErr>| {
            let p = format!("{path}.{src}");
            if name.is_empty() {
                errs.push(FieldErr::new(format!("{p}.name"), "Required value: must specify a resource name"));
            }
            let tp = format!("{p}.target");
            if t.average_utilization.is_none() && t.average_value.is_none() {
                errs.push(FieldErr::new(format!("{tp}.averageUtilization"), "Required value: must set either a target raw value or a target utilization"));
            }
            if t.average_utilization.is_some() && t.average_value.is_some() {
                errs.push(FieldErr::new(format!("{tp}.averageValue"), "Forbidden: may not set both a target raw value and a target utilization"));
            }
            // validateMetricTarget.
            if t.type_.is_empty() {
                errs.push(FieldErr::new(format!("{tp}.type"), "Required value: must specify a metric target type"));
            } else if !["Utilization", "Value", "AverageValue"].contains(&t.type_.as_str()) {
                errs.push(FieldErr::new(
                    format!("{tp}.type"),
                    format!("Invalid value: {}: must be either Utilization, Value, or AverageValue", quoted(&t.type_)),
                ));
            }
            if let Some(v) = t.value.as_ref().filter(|q| q.is_negative() || q.is_zero()) {
                errs.push(FieldErr::new(format!("{tp}.value"), format!("Invalid value: \"{}\": must be positive", v)));
            }
            if let Some(v) = t.average_value.as_ref().filter(|q| q.is_negative() || q.is_zero()) {
                errs.push(FieldErr::new(format!("{tp}.averageValue"), format!("Invalid value: \"{}\": must be positive", v)));
            }
            if let Some(u) = t.average_utilization.filter(|u| *u < 1) {
                errs.push(FieldErr::new(format!("{tp}.averageUtilization"), format!("Invalid value: {u}: must be greater than 0")));
            }
        };
        if let Some(r) = &m.resource {
            target(&r.name, &r.target, "resource", errs);
        }
        if let Some(c) = &m.container_resource {
            target(&c.name, &c.target, "containerResource", errs);
            if c.container.is_empty() {
                errs.push(FieldErr::new(format!("{path}.containerResource.container"), "Required value: must specify a container"));
            }
        }
    }
    if let Some(b) = &s.behavior {
        for (dir, rules) in [("scaleUp", &b.scale_up), ("scaleDown", &b.scale_down)] {
            let Some(r) = rules else { continue };
            let p = format!("spec.behavior.{dir}");
            if let Some(w) = r.stabilization_window_seconds {
                if w < 0 {
                    errs.push(FieldErr::new(format!("{p}.stabilizationWindowSeconds"), format!("Invalid value: {w}: must be greater than or equal to zero")));
                }
                if w > 3600 {
                    errs.push(FieldErr::new(format!("{p}.stabilizationWindowSeconds"), format!("Invalid value: {w}: must be less than or equal to 3600")));
                }
            }
            if let Some(sp) = r.select_policy.as_ref().filter(|sp| !["Disabled", "Max", "Min"].contains(&sp.as_str())) {
                errs.push(FieldErr::new(
                    format!("{p}.selectPolicy"),
                    format!("Unsupported value: {}: supported values: \"Disabled\", \"Max\", \"Min\"", quoted(sp)),
                ));
            }
            let policies = r.policies.as_deref().unwrap_or_default();
            if policies.is_empty() {
                errs.push(FieldErr::new(format!("{p}.policies"), "Required value: must specify at least one Policy"));
            }
            for (i, pol) in policies.iter().enumerate() {
                let pp = format!("{p}.policies[{i}]");
                if pol.type_ != "Pods" && pol.type_ != "Percent" {
                    errs.push(FieldErr::new(
                        format!("{pp}.type"),
                        format!("Unsupported value: {}: supported values: \"Percent\", \"Pods\"", quoted(&pol.type_)),
                    ));
                }
                if pol.value <= 0 {
                    errs.push(FieldErr::new(format!("{pp}.value"), format!("Invalid value: {}: must be greater than zero", pol.value)));
                }
                if pol.period_seconds <= 0 {
                    errs.push(FieldErr::new(format!("{pp}.periodSeconds"), format!("Invalid value: {}: must be greater than zero", pol.period_seconds)));
                }
                if pol.period_seconds > 1800 {
                    errs.push(FieldErr::new(
                        format!("{pp}.periodSeconds"),
                        format!("Invalid value: {}: must be less than or equal to 1800", pol.period_seconds),
                    ));
                }
            }
            if r.tolerance.is_some() {
                // The REST strategy drops the field while HPAConfigurableTolerance is off;
                // ksim refuses it rather than drop what the user wrote silently.
                errs.push(FieldErr::new(format!("{p}.tolerance"), "Forbidden: not supported: the HPAConfigurableTolerance feature gate is off"));
            }
        }
    }
}

/// IsValidPathSegmentName (apimachinery/pkg/api/validation/path): the first complaint.
fn path_segment_error(name: &str) -> Option<&'static str> {
    match name {
        "." => Some("may not be '.'"),
        ".." => Some("may not be '..'"),
        _ if name.contains('/') => Some("may not contain '/'"),
        _ if name.contains('%') => Some("may not contain '%'"),
        _ => None,
    }
}

/// ValidateResourceQuotaSpec (pkg/apis/core/validation): each hard value non-negative,
/// whole for the counted resources (IsIntegerResourceName); known scopes, not both of a
/// pair (validateResourceQuotaScopes).
fn validate_resource_quota(s: &crate::api::resource_quota::ResourceQuotaSpec, errs: &mut Vec<FieldErr>) {
    const INTEGER: &[&str] = &[
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
    ];
    // pkg/apis/core/helper: standardResources and standardQuotaResources (each with the
    // hugepages prefixes, IsQuotaHugePageResourceName).
    const STANDARD: &[&str] = &[
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "pods",
        "resourcequotas",
        "services",
        "replicationcontrollers",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "storage",
        "requests.storage",
        "services.nodeports",
        "services.loadbalancers",
    ];
    let hugepages = |r: &str| r.starts_with("hugepages-") || r.starts_with("requests.hugepages-");
    for (r, q) in &s.hard {
        let path = format!("spec.hard[{r}]");
        // ValidateResourceQuotaResourceName: validateResourceName (a qualified name; without
        // a domain, a standard resource), then a standard resource for quota.
        let name_errs = qualified_name(r);
        for m in &name_errs {
            errs.push(FieldErr::new(&path, format!("Invalid value: {}: {m}", quoted(r))));
        }
        if name_errs.is_empty() && !r.contains('/') {
            if !STANDARD.contains(&r.as_str()) && !hugepages(r) {
                errs.push(FieldErr::new(&path, format!("Invalid value: {}: must be a standard resource type or fully qualified", quoted(r))));
            }
            if (!STANDARD.contains(&r.as_str()) || r == "storage") && !hugepages(r) {
                errs.push(FieldErr::new(&path, format!("Invalid value: {}: must be a standard resource for quota", quoted(r))));
            }
        }
        if *q < Quantity::from_value(0) {
            errs.push(FieldErr::new(&path, format!("Invalid value: {}: must be greater than or equal to 0", quoted(&q.to_string()))));
        }
        if (INTEGER.contains(&r.as_str()) || r.starts_with("count/")) && q.milli_value() % 1000 != 0 {
            errs.push(FieldErr::new(&path, format!("Invalid value: {}: must be an integer", quoted(&q.to_string()))));
        }
    }
    const SCOPES: &[&str] =
        &["Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity", "VolumeAttributesClass"];
    let mut scopes: Vec<&str> = s.scopes.iter().map(String::as_str).collect();
    if let Some(sel) = &s.scope_selector {
        scopes.extend(sel.match_expressions.iter().map(|e| e.scope_name.as_str()));
    }
    // field.Invalid(fldPath, resourceQuotaSpec.Scopes, …): the whole list, as Go's %#v.
    let list = format!("[]core.ResourceQuotaScope{{{}}}", s.scopes.iter().map(|x| quoted(x)).collect::<Vec<_>>().join(", "));
    for sc in &s.scopes {
        if !SCOPES.contains(&sc.as_str()) {
            errs.push(FieldErr::new("spec.scopes", format!("Invalid value: {list}: unsupported scope")));
        }
    }
    for (a, b) in [("Terminating", "NotTerminating"), ("BestEffort", "NotBestEffort")] {
        if scopes.contains(&a) && scopes.contains(&b) {
            errs.push(FieldErr::new("spec.scopes", format!("Invalid value: {list}: conflicting scopes")));
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

/// getPercentValue: the number of a valid percent string (`[0-9]+%`).
fn percent_value(v: &super::meta::IntOrString) -> Option<i64> {
    let super::meta::IntOrString::String(s) = v else { return None };
    let digits = s.strip_suffix('%')?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().unwrap_or(i64::MAX))
}

/// getIntOrPercentValue: a percent's number, an int's value, else IntValue() (Atoi of
/// the string, 0 when it is not a number).
fn int_or_percent_value(v: &super::meta::IntOrString) -> i64 {
    match (percent_value(v), v) {
        (Some(p), _) => p,
        (None, super::meta::IntOrString::Int(i)) => i64::from(*i),
        (None, super::meta::IntOrString::String(s)) => s.parse().unwrap_or(0),
    }
}

/// ValidateRollingUpdateDaemonSet: each of maxUnavailable and maxSurge a non-negative
/// int or a percent of at most 100%, and exactly one of them non-zero.
pub fn validate_rolling_update_daemon_set(ru: &super::daemon_set::RollingUpdateDaemonSet, errs: &mut Vec<FieldErr>) {
    let zero = super::meta::IntOrString::Int(0);
    let unavailable = ru.max_unavailable.as_ref().unwrap_or(&zero);
    let surge = ru.max_surge.as_ref().unwrap_or(&zero);
    let path = |f: &str| format!("spec.updateStrategy.rollingUpdate.{f}");
    const PERCENT_MSG: &str =
        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";
    for (f, v) in [("maxUnavailable", unavailable), ("maxSurge", surge)] {
        match v {
            super::meta::IntOrString::String(_) if percent_value(v).is_none() => {
                errs.push(FieldErr::new(path(f), format!("Invalid value: {}: {PERCENT_MSG}", go_intstr(v))));
            }
            super::meta::IntOrString::Int(i) if *i < 0 => {
                errs.push(FieldErr::new(path(f), format!("Invalid value: {i}: must be greater than or equal to 0")));
            }
            _ => {}
        }
    }
    for (f, v) in [("maxUnavailable", unavailable), ("maxSurge", surge)] {
        if percent_value(v).is_some_and(|p| p > 100) {
            errs.push(FieldErr::new(path(f), format!("Invalid value: {}: must not be greater than 100%", go_intstr(v))));
        }
    }
    match (int_or_percent_value(unavailable) != 0, int_or_percent_value(surge) != 0) {
        (true, true) => {
            errs.push(FieldErr::new(path("maxSurge"), format!("Invalid value: {}: may not be set when maxUnavailable is non-zero", go_intstr(surge))))
        }
        (false, false) => errs.push(FieldErr::new(path("maxUnavailable"), "Required value: cannot be 0 when maxSurge is 0")),
        _ => {}
    }
}

/// ValidateReplicationControllerSpec (pkg/apis/core/validation/validation.go), on a
/// defaulted ReplicationController: a non-empty selector matching the template's labels.
pub fn validate_replication_controller(rc: &super::replication_controller::ReplicationController, errs: &mut Vec<FieldErr>) {
    let spec = &rc.spec;
    non_negative("spec.minReadySeconds", spec.min_ready_seconds.map(i64::from), errs);
    if spec.selector.is_empty() {
        errs.push(FieldErr::required("spec.selector"));
    }
    non_negative("spec.replicas", spec.replicas.map(i64::from), errs);
    let Some(t) = &spec.template else {
        errs.push(FieldErr::required("spec.template"));
        return;
    };
    if !spec.selector.is_empty() && !spec.selector.iter().all(|(k, v)| t.metadata.labels.get(k) == Some(v)) {
        errs.push(selector_mismatch(&t.metadata.labels));
    }
    validate_controller_template(t, "ReplicationController", errs);
}

/// ValidateControllerRevision: data is mandatory, revision non-negative.
pub fn validate_controller_revision(cr: &super::daemon_set::ControllerRevision, errs: &mut Vec<FieldErr>) {
    if cr.data.as_ref().is_none_or(|d| d.is_null()) {
        errs.push(FieldErr::new("data", "Required value: data is mandatory"));
    }
    non_negative("revision", Some(cr.revision), errs);
}

/// Go's `%#v` of a map[string]string, as the apiserver prints it.
fn go_map(m: &Labels) -> String {
    let inner: Vec<String> = m.iter().map(|(k, v)| format!("{}:{}", quoted(k), quoted(v))).collect();
    format!("map[string]string{{{}}}", inner.join(", "))
}

/// IsValidPortName (IANA_SVC_NAME): a named port.
pub fn port_name(port: &str) -> Vec<String> {
    let mut out = Vec::new();
    if port.len() > 15 {
        out.push("must be no more than 15 characters".to_string());
    }
    if port.is_empty() || !port.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-') {
        out.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string());
    } else if !port.bytes().any(|c| c.is_ascii_lowercase()) {
        out.push("must contain at least one letter (a-z)".to_string());
    }
    if port.contains("--") {
        out.push("must not contain consecutive hyphens".to_string());
    }
    if port.starts_with('-') || port.ends_with('-') {
        out.push("must not begin or end with a hyphen".to_string());
    }
    out
}

fn supported(path: String, value: &str, values: &[&str], errs: &mut Vec<FieldErr>) {
    if !values.contains(&value) {
        let list = values.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ");
        errs.push(FieldErr::new(path, format!("Unsupported value: {}: supported values: {list}", quoted(value))));
    }
}

/// ValidateService (pkg/apis/core/validation/validation.go) on a defaulted Service: ports
/// (names required when several, unique DNS labels; numbers; protocols; target ports by
/// number or IANA name; no duplicate (protocol, port) or NodePort), the type and what
/// each type allows, session affinity, cluster IPs, external IPs, traffic policies and
/// IP families.
/// ValidateIngressSpec (pkg/apis/networking/validation): rules or a defaultBackend; each
/// rule's host a DNS name (a wildcard `*.` for one label), not an IP; each path with a
/// pathType, absolute for Exact and Prefix, without `//`, `/./`, `/../`, `%2f`, and not
/// ending in `/..` or `/.`; each backend a Service with a name and a port name or number.
fn validate_ingress(s: &super::ingress::IngressSpec, errs: &mut Vec<FieldErr>) {
    if s.rules.is_empty() && s.default_backend.is_none() {
        errs.push(FieldErr::new("spec", "Invalid value: \"null\": either `defaultBackend` or `rules` must be specified"));
    }
    if let Some(b) = &s.default_backend {
        validate_ingress_backend(b, "spec.defaultBackend", errs);
    }
    for (i, r) in s.rules.iter().enumerate() {
        let host_path = format!("spec.rules[{i}].host");
        if !r.host.is_empty() {
            if crate::network::ipam::parse_ip(&r.host).is_some() {
                errs.push(FieldErr::new(&host_path, format!("Invalid value: {}: must be a DNS name, not an IP address", quoted(&r.host))));
            }
            if r.host.contains('*') {
                // IsWildcardDNS1123Subdomain: `*.` then a DNS subdomain.
                let ok = r.host.strip_prefix("*.").is_some_and(|rest| dns1123_subdomain(rest).is_empty() && !rest.contains('*'));
                if !ok {
                    errs.push(FieldErr::new(&host_path, format!("Invalid value: {}: a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')", quoted(&r.host))));
                }
            } else {
                for m in dns1123_subdomain(&r.host) {
                    errs.push(FieldErr::new(&host_path, format!("Invalid value: {}: {m}", quoted(&r.host))));
                }
            }
        }
        let Some(http) = &r.http else { continue };
        if http.paths.is_empty() {
            errs.push(FieldErr::required(format!("spec.rules[{i}].http.paths")));
        }
        for (j, p) in http.paths.iter().enumerate() {
            let base = format!("spec.rules[{i}].http.paths[{j}]");
            let Some(t) = &p.path_type else {
                // validateHTTPIngressPath returns here: the backend is not looked at.
                errs.push(FieldErr::new(format!("{base}.pathType"), "Required value: pathType must be specified"));
                continue;
            };
            match t.as_str() {
                "Exact" | "Prefix" => {
                    if !p.path.starts_with('/') {
                        errs.push(FieldErr::new(format!("{base}.path"), format!("Invalid value: {}: must be an absolute path", quoted(&p.path))));
                    }
                    if !p.path.is_empty() {
                        for seq in ["//", "/./", "/../", "%2f", "%2F"] {
                            if p.path.contains(seq) {
                                errs.push(FieldErr::new(format!("{base}.path"), format!("Invalid value: {}: must not contain '{seq}'", quoted(&p.path))));
                            }
                        }
                        for suffix in ["/..", "/."] {
                            if p.path.ends_with(suffix) {
                                errs.push(FieldErr::new(format!("{base}.path"), format!("Invalid value: {}: cannot end with '{suffix}'", quoted(&p.path))));
                            }
                        }
                    }
                }
                "ImplementationSpecific" => {
                    if !p.path.is_empty() && !p.path.starts_with('/') {
                        errs.push(FieldErr::new(format!("{base}.path"), format!("Invalid value: {}: must be an absolute path", quoted(&p.path))));
                    }
                }
                other => supported(format!("{base}.pathType"), other, &["Exact", "ImplementationSpecific", "Prefix"], errs),
            }
            validate_ingress_backend(&p.backend, &format!("{base}.backend"), errs);
        }
    }
}

/// validateIngressBackend.
fn validate_ingress_backend(b: &super::ingress::IngressBackend, path: &str, errs: &mut Vec<FieldErr>) {
    match (&b.service, &b.resource) {
        (Some(_), Some(_)) => errs.push(FieldErr::new(path, "Invalid value: \"\": cannot set both resource and service backends")),
        (None, Some(_)) => {}
        (None, None) => errs.push(FieldErr::new(path, "Invalid value: \"\": resource or service backend is required")),
        (Some(s), None) => {
            if s.name.is_empty() {
                errs.push(FieldErr::required(format!("{path}.service.name")));
            } else {
                for m in dns1035_label(&s.name) {
                    errs.push(FieldErr::new(format!("{path}.service.name"), format!("Invalid value: {}: {m}", quoted(&s.name))));
                }
            }
            let (name, number) = (&s.port.name, s.port.number);
            if !name.is_empty() && number != 0 {
                errs.push(FieldErr::new(path, "Invalid value: \"\": cannot set both port name & port number"));
            } else if number != 0 {
                if !(1..=65535).contains(&number) {
                    errs.push(FieldErr::new(format!("{path}.service.port.number"), format!("Invalid value: {number}: must be between 1 and 65535, inclusive")));
                }
            } else if name.is_empty() {
                errs.push(FieldErr::new(path, "Required value: port name or number is required"));
            }
        }
    }
}

/// ValidateNetworkPolicySpec (pkg/apis/networking/validation): ports (protocol, number
/// or name, endPort), peers (at least one selector or ipBlock, ipBlock alone), ipBlocks
/// (a CIDR, excepts strictly inside it), policyTypes.
fn validate_network_policy(s: &super::network_policy::NetworkPolicySpec, errs: &mut Vec<FieldErr>) {
    use super::meta::IntOrString;
    use super::network_policy::{Peer, PolicyPort};
    let port_errs = |ports: &[PolicyPort], path: &str, errs: &mut Vec<FieldErr>| {
        for (i, p) in ports.iter().enumerate() {
            let pp = format!("{path}.ports[{i}]");
            if let Some(proto) = p.protocol.as_deref() {
                supported(format!("{pp}.protocol"), proto, &["SCTP", "TCP", "UDP"], errs);
            }
            match &p.port {
                Some(IntOrString::Int(n)) => {
                    if !(1..=65535).contains(n) {
                        errs.push(FieldErr::new(format!("{pp}.port"), format!("Invalid value: {n}: must be between 1 and 65535, inclusive")));
                    }
                    if let Some(end) = p.end_port {
                        if end < *n {
                            errs.push(FieldErr::new(format!("{pp}.endPort"), format!("Invalid value: {n}: must be greater than or equal to `port`")));
                        }
                        if !(1..=65535).contains(&end) {
                            errs.push(FieldErr::new(format!("{pp}.endPort"), format!("Invalid value: {end}: must be between 1 and 65535, inclusive")));
                        }
                    }
                }
                Some(IntOrString::String(name)) => {
                    if let Some(end) = p.end_port {
                        errs.push(FieldErr::new(format!("{pp}.endPort"), format!("Invalid value: {end}: may not be specified when `port` is non-numeric")));
                    }
                    for m in port_name(name) {
                        errs.push(FieldErr::new(format!("{pp}.port"), format!("Invalid value: {}: {m}", quoted(name))));
                    }
                }
                None => {
                    if let Some(end) = p.end_port {
                        errs.push(FieldErr::new(format!("{pp}.endPort"), format!("Invalid value: {end}: may not be specified when `port` is not specified")));
                    }
                }
            }
        }
    };
    let cidr_ok = |c: &str| crate::network::ipam::Cidr::parse(c).ok().filter(|x| x.to_string() == c || c.contains('/'));
    let peer_errs = |peers: &[Peer], path: &str, errs: &mut Vec<FieldErr>| {
        for (i, p) in peers.iter().enumerate() {
            let pp = format!("{path}[{i}]");
            let n = usize::from(p.pod_selector.is_some()) + usize::from(p.namespace_selector.is_some()) + usize::from(p.ip_block.is_some());
            if n == 0 {
                errs.push(FieldErr::new(pp.clone(), "Required value: must specify a peer"));
            } else if n > 1 && p.ip_block.is_some() {
                errs.push(FieldErr::new(pp.clone(), "Forbidden: may not specify both ipBlock and another peer"));
            }
            if let Some(b) = &p.ip_block {
                let bp = format!("{pp}.ipBlock");
                if b.cidr.is_empty() {
                    errs.push(FieldErr::new(format!("{bp}.cidr"), "Required value"));
                    continue;
                }
                let Some(cidr) = cidr_ok(&b.cidr) else {
                    errs.push(FieldErr::new(
                        format!("{bp}.cidr"),
                        format!("Invalid value: {}: must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)", quoted(&b.cidr)),
                    ));
                    continue;
                };
                for (j, e) in b.except.iter().enumerate() {
                    let ep = format!("{bp}.except[{j}]");
                    match cidr_ok(e) {
                        None => errs
                            .push(FieldErr::new(ep, format!("Invalid value: {}: must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)", quoted(e)))),
                        Some(x) if !cidr.contains(x.base) || cidr.prefix >= x.prefix => {
                            errs.push(FieldErr::new(ep, format!("Invalid value: {}: must be a strict subset of `cidr`", quoted(e))))
                        }
                        Some(_) => {}
                    }
                }
            }
        }
    };
    for (i, r) in s.ingress.iter().enumerate() {
        let path = format!("spec.ingress[{i}]");
        port_errs(&r.ports, &path, errs);
        peer_errs(&r.from, &format!("{path}.from"), errs);
    }
    for (i, r) in s.egress.iter().enumerate() {
        let path = format!("spec.egress[{i}]");
        port_errs(&r.ports, &path, errs);
        peer_errs(&r.to, &format!("{path}.to"), errs);
    }
    for (i, t) in s.policy_types.iter().enumerate() {
        supported(format!("spec.policyTypes[{i}]"), t, &["Egress", "Ingress"], errs);
    }
    if s.policy_types.len() > 2 {
        errs.push(FieldErr::new("spec.policyTypes", format!("Invalid value: {:?}: may not specify more than two policyTypes", s.policy_types)));
    }
}

fn validate_service(s: &super::service::Service, errs: &mut Vec<FieldErr>) {
    let spec = &s.spec;
    let type_ = spec.type_.as_str();
    let headless = spec.cluster_ips.first().is_some_and(|ip| ip == "None");
    if spec.ports.is_empty() && !headless && type_ != "ExternalName" {
        errs.push(FieldErr::required("spec.ports"));
    }
    match type_ {
        "LoadBalancer" | "NodePort" => {
            if type_ == "LoadBalancer" {
                for (i, p) in spec.ports.iter().enumerate().filter(|(_, p)| p.port == 10250) {
                    errs.push(FieldErr::new(
                        format!("spec.ports[{i}]"),
                        format!("Invalid value: {}: may not expose port 10250 externally since it is used by kubelet", p.port),
                    ));
                }
            }
            if headless {
                errs.push(FieldErr::new("spec.clusterIPs[0]", format!("Invalid value: \"None\": may not be set to 'None' for {type_} services")));
            }
        }
        "ExternalName" => {
            if !spec.cluster_ips.is_empty() {
                errs.push(FieldErr::new("spec.clusterIPs", "Forbidden: may not be set for ExternalName services"));
            }
            if spec.ip_families.as_ref().is_some_and(|f| !f.is_empty()) {
                errs.push(FieldErr::new("spec.ipFamilies", "Forbidden: may not be set for ExternalName services"));
            }
            if spec.ip_family_policy.is_some() {
                errs.push(FieldErr::new("spec.ipFamilyPolicy", "Forbidden: may not be set for ExternalName services"));
            }
            match spec.external_name.as_deref().map(|n| n.strip_suffix('.').unwrap_or(n)) {
                Some(name) if !name.is_empty() => {
                    for m in dns1123_subdomain(name) {
                        errs.push(FieldErr::new("spec.externalName", format!("Invalid value: {}: {m}", quoted(name))));
                    }
                }
                _ => errs.push(FieldErr::required("spec.externalName")),
            }
        }
        _ => {}
    }
    let mut names = std::collections::BTreeSet::new();
    for (i, p) in spec.ports.iter().enumerate() {
        let path = format!("spec.ports[{i}]");
        match p.name.as_deref().unwrap_or("") {
            "" if spec.ports.len() > 1 => errs.push(FieldErr::required(format!("{path}.name"))),
            "" => {}
            name => {
                for m in dns1123_label(name) {
                    errs.push(FieldErr::new(format!("{path}.name"), format!("Invalid value: {}: {m}", quoted(name))));
                }
                if !names.insert(name) {
                    errs.push(FieldErr::new(format!("{path}.name"), format!("Duplicate value: {}", quoted(name))));
                }
            }
        }
        if !(1..=65535).contains(&p.port) {
            errs.push(FieldErr::new(format!("{path}.port"), format!("Invalid value: {}: must be between 1 and 65535, inclusive", p.port)));
        }
        match p.protocol.as_deref().unwrap_or("") {
            "" => errs.push(FieldErr::required(format!("{path}.protocol"))),
            proto => supported(format!("{path}.protocol"), proto, &["SCTP", "TCP", "UDP"], errs),
        }
        match &p.target_port {
            Some(super::meta::IntOrString::Int(n)) if !(1..=65535).contains(n) => {
                errs.push(FieldErr::new(format!("{path}.targetPort"), format!("Invalid value: {n}: must be between 1 and 65535, inclusive")));
            }
            Some(super::meta::IntOrString::String(name)) => {
                for m in port_name(name) {
                    errs.push(FieldErr::new(format!("{path}.targetPort"), format!("Invalid value: {}: {m}", quoted(name))));
                }
            }
            _ => {}
        }
    }
    if let Some(sel) = &spec.selector {
        validate_labels(sel, "spec.selector", errs);
    }
    match spec.session_affinity.as_deref().unwrap_or("") {
        "" => errs.push(FieldErr::required("spec.sessionAffinity")),
        a => supported("spec.sessionAffinity".into(), a, &["ClientIP", "None"], errs),
    }
    if spec.session_affinity.as_deref() == Some("ClientIP") {
        match spec.session_affinity_config.as_ref().and_then(|c| c.pointer("/clientIP/timeoutSeconds")).and_then(serde_json::Value::as_i64) {
            Some(t) if !(1..=86400).contains(&t) => errs.push(FieldErr::new(
                "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                format!("Invalid value: {t}: must be greater than 0 and less than 86400"),
            )),
            _ => {}
        }
    }
    for (i, ip) in spec.cluster_ips.iter().enumerate() {
        if ip != "None" && ip.parse::<core::net::IpAddr>().is_err() {
            errs.push(FieldErr::new(
                format!("spec.clusterIPs[{i}]"),
                format!("Invalid value: {}: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)", quoted(ip)),
            ));
        }
    }
    if let (Some(first), false) = (spec.cluster_ips.first(), spec.cluster_ip.is_empty()) {
        if *first != spec.cluster_ip {
            errs.push(FieldErr::new("spec.clusterIPs[0]", format!("Invalid value: {}: must match `clusterIP` when `clusterIP` is specified", quoted(first))));
        }
    }
    for (i, ip) in spec.external_ips.iter().flatten().enumerate() {
        if ip.parse::<core::net::IpAddr>().is_err() {
            errs.push(FieldErr::new(
                format!("spec.externalIPs[{i}]"),
                format!("Invalid value: {}: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)", quoted(ip)),
            ));
        }
    }
    match type_ {
        "" => errs.push(FieldErr::required("spec.type")),
        t => supported("spec.type".into(), t, &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"], errs),
    }
    if type_ == "ClusterIP" {
        for (i, _) in spec.ports.iter().enumerate().filter(|(_, p)| p.node_port.unwrap_or(0) != 0) {
            errs.push(FieldErr::new(format!("spec.ports[{i}].nodePort"), "Forbidden: may not be used when `type` is 'ClusterIP'"));
        }
    }
    let mut node_ports = std::collections::BTreeSet::new();
    let mut ports = std::collections::BTreeSet::new();
    for (i, p) in spec.ports.iter().enumerate() {
        let proto = p.protocol.as_deref().unwrap_or("");
        if let Some(np) = p.node_port.filter(|np| *np != 0) {
            if !node_ports.insert((proto, np)) {
                errs.push(FieldErr::new(format!("spec.ports[{i}].nodePort"), format!("Duplicate value: {np}")));
            }
        }
        if !ports.insert((proto, p.port)) {
            // The key is a core.ServicePort printed with %#v.
            errs.push(FieldErr::new(
                format!("spec.ports[{i}]"),
                format!(
                    "Duplicate value: core.ServicePort{{Name:\"\", Protocol:{proto:?}, AppProtocol:(*string)(nil), Port:{}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}",
                    p.port
                ),
            ));
        }
    }
    // validateServiceExternalTrafficPolicy (allocation, which fills healthCheckNodePort,
    // comes before validation upstream, so its Required case does not arise).
    if let Some(p) = spec.external_traffic_policy.as_deref().filter(|p| !p.is_empty()) {
        if !spec.externally_accessible() {
            errs.push(FieldErr::new("spec.externalTrafficPolicy", format!("Invalid value: {p:?}: may only be set for externally-accessible services")));
        } else {
            supported("spec.externalTrafficPolicy".into(), p, &["Cluster", "Local"], errs);
        }
    }
    match spec.health_check_node_port.unwrap_or(0) {
        0 => {}
        p if !spec.needs_health_check() => errs.push(FieldErr::new(
            "spec.healthCheckNodePort",
            format!("Invalid value: {p}: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"),
        )),
        p if !(1..=65535).contains(&p) => {
            errs.push(FieldErr::new("spec.healthCheckNodePort", format!("Invalid value: {p}: must be between 1 and 65535, inclusive")))
        }
        _ => {}
    }
    if let Some(p) = spec.internal_traffic_policy.as_deref() {
        supported("spec.internalTrafficPolicy".into(), p, &["Cluster", "Local"], errs);
    }
    if let Some(p) = spec.ip_family_policy.as_deref() {
        supported("spec.ipFamilyPolicy".into(), p, &["PreferDualStack", "RequireDualStack", "SingleStack"], errs);
    }
    for (i, f) in spec.ip_families.iter().flatten().enumerate() {
        supported(format!("spec.ipFamilies[{i}]"), f, &["IPv4", "IPv6"], errs);
    }
}

/// Update-only rules: what may not change on a live object (ValidatePodUpdate,
/// ValidateDeploymentUpdate, ValidateReplicaSetUpdate, the DaemonSet strategy's
/// immutable selector, ValidateControllerRevisionUpdate).
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
        (Object::DaemonSet(a), Object::DaemonSet(b)) if a.spec.selector != b.spec.selector => {
            errs.push(FieldErr::new("spec.selector", "Invalid value: field is immutable"));
        }
        (Object::Job(a), Object::Job(b)) => validate_job_update(a, b, &mut errs),
        (Object::StatefulSet(a), Object::StatefulSet(b)) => {
            // ValidateStatefulSetUpdate: only these fields may change.
            let mut probe = b.spec.clone();
            probe.replicas = a.spec.replicas;
            probe.ordinals = a.spec.ordinals.clone();
            probe.template = a.spec.template.clone();
            probe.update_strategy = a.spec.update_strategy.clone();
            probe.revision_history_limit = a.spec.revision_history_limit;
            probe.persistent_volume_claim_retention_policy = a.spec.persistent_volume_claim_retention_policy.clone();
            probe.min_ready_seconds = a.spec.min_ready_seconds;
            if probe != a.spec {
                errs.push(FieldErr::new(
                    "spec",
                    "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                ));
            }
        }
        // ValidateServiceUpdate's validateUpgradeDowngradeClusterIPs: the primary ClusterIP
        // may not change once set, unless the type changes from or to ExternalName.
        (Object::Service(a), Object::Service(b))
            if b.spec.type_ != "ExternalName"
                && a.spec.type_ != "ExternalName"
                && !a.spec.cluster_ips.is_empty()
                && !b.spec.cluster_ips.is_empty()
                && a.spec.cluster_ips[0] != b.spec.cluster_ips[0] =>
        {
            let value = b.spec.cluster_ips.iter().map(|ip| quoted(ip)).collect::<Vec<_>>().join(", ");
            errs.push(FieldErr::new("spec.clusterIPs[0]", format!("Invalid value: []string{{{value}}}: may not change once set")));
        }
        (Object::PersistentVolumeClaim(a), Object::PersistentVolumeClaim(b)) => validate_pvc_update(a, b, &mut errs),
        (Object::StorageClass(a), Object::StorageClass(b)) => validate_storage_class_update(a, b, &mut errs),
        (Object::ControllerRevision(a), Object::ControllerRevision(b)) if a.data != b.data => {
            errs.push(FieldErr::new("data", "Invalid value: field is immutable"));
        }
        _ => {}
    }
    errs
}

/// The access modes the apiserver accepts, sorted as sets.List prints them.
const PV_ACCESS_MODES: [&str; 4] = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

/// The access-mode part of ValidatePersistentVolumeSpec and ValidatePersistentVolumeClaimSpec:
/// known modes, and ReadWriteOncePod alone.
fn validate_access_modes(path: &str, modes: &[String], required_detail: &str, errs: &mut Vec<FieldErr>) {
    if modes.is_empty() {
        let msg = if required_detail.is_empty() { "Required value".to_string() } else { format!("Required value: {required_detail}") };
        errs.push(FieldErr::new(path, msg));
    }
    let (mut rwop, mut other) = (false, false);
    for m in modes {
        if !PV_ACCESS_MODES.contains(&m.as_str()) {
            let list = PV_ACCESS_MODES.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
            errs.push(FieldErr::new(path, format!("Unsupported value: {}: supported values: {list}", quoted(m))));
        } else if m == "ReadWriteOncePod" {
            rwop = true;
        } else {
            other = true;
        }
    }
    if rwop && other {
        errs.push(FieldErr::new(path, "Forbidden: may not use ReadWriteOncePod with other access modes"));
    }
}

fn validate_volume_mode(path: &str, mode: Option<&String>, errs: &mut Vec<FieldErr>) {
    if let Some(m) = mode {
        if m != "Block" && m != "Filesystem" {
            errs.push(FieldErr::new(path, format!("Unsupported value: {}: supported values: \"Block\", \"Filesystem\"", quoted(m))));
        }
    }
}

fn validate_class_name(path: &str, class: &str, errs: &mut Vec<FieldErr>) {
    if !class.is_empty() {
        for msg in dns1123_subdomain(class) {
            errs.push(FieldErr::new(path, format!("Invalid value: {}: {msg}", quoted(class))));
        }
    }
}

/// ValidatePersistentVolumeClaimSpec (pkg/apis/core/validation/validation.go): access
/// modes, a positive storage request, the class name and volume mode.
pub fn validate_pvc_spec(spec: &super::storage::PersistentVolumeClaimSpec, path: &str, errs: &mut Vec<FieldErr>) {
    validate_access_modes(&format!("{path}.accessModes"), &spec.access_modes, "at least 1 access mode is required", errs);
    let p = format!("{path}.resources[storage]");
    match spec.resources.requests.get("storage") {
        None => errs.push(FieldErr::required(p)),
        Some(q) if q.is_zero() || q.is_negative() => {
            errs.push(FieldErr::new(p, format!("Invalid value: {}: must be greater than zero", quoted(&q.to_string()))));
        }
        Some(_) => {}
    }
    if let Some(c) = &spec.storage_class_name {
        validate_class_name(&format!("{path}.storageClassName"), c, errs);
    }
    validate_volume_mode(&format!("{path}.volumeMode"), spec.volume_mode.as_ref(), errs);
}

/// The volume sources a PersistentVolume names (exactly one is allowed).
fn pv_sources(s: &super::storage::PersistentVolumeSpec) -> Vec<&'static str> {
    let all = [
        ("hostPath", s.host_path.is_some()),
        ("local", s.local.is_some()),
        ("csi", s.csi.is_some()),
        ("nfs", s.nfs.is_some()),
        ("iscsi", s.iscsi.is_some()),
        ("fc", s.fc.is_some()),
        ("awsElasticBlockStore", s.aws_elastic_block_store.is_some()),
        ("gcePersistentDisk", s.gce_persistent_disk.is_some()),
        ("azureDisk", s.azure_disk.is_some()),
        ("azureFile", s.azure_file.is_some()),
        ("cephfs", s.cephfs.is_some()),
        ("rbd", s.rbd.is_some()),
        ("cinder", s.cinder.is_some()),
        ("flexVolume", s.flex_volume.is_some()),
        ("glusterfs", s.glusterfs.is_some()),
        ("portworxVolume", s.portworx_volume.is_some()),
        ("vsphereVolume", s.vsphere_volume.is_some()),
    ];
    all.into_iter().filter(|(_, on)| *on).map(|(n, _)| n).collect()
}

/// ValidatePersistentVolumeSpec: access modes, a storage capacity, one volume source,
/// a known reclaim policy, the class name and volume mode.
pub fn validate_pv(pv: &super::storage::PersistentVolume, errs: &mut Vec<FieldErr>) {
    let s = &pv.spec;
    validate_access_modes("spec.accessModes", &s.access_modes, "", errs);
    if s.capacity.is_empty() {
        errs.push(FieldErr::required("spec.capacity"));
    } else if !s.capacity.contains_key("storage") || s.capacity.len() > 1 {
        let given = s.capacity.keys().map(|k| k.to_string()).collect::<Vec<_>>().join(" ");
        errs.push(FieldErr::new("spec.capacity", format!("Unsupported value: map[{given}]: supported values: \"storage\"")));
    }
    let sources = pv_sources(s);
    match sources.len() {
        0 => errs.push(FieldErr::new("spec", "Required value: must specify a volume type")),
        1 => {}
        _ => errs.push(FieldErr::new(format!("spec.{}", sources[1]), "Forbidden: may not specify more than 1 volume type")),
    }
    let policy = &s.persistent_volume_reclaim_policy;
    if !policy.is_empty() && !["Delete", "Recycle", "Retain"].contains(&policy.as_str()) {
        errs.push(FieldErr::new(
            "spec.persistentVolumeReclaimPolicy",
            format!("Unsupported value: {}: supported values: \"Delete\", \"Recycle\", \"Retain\"", quoted(policy)),
        ));
    }
    validate_class_name("spec.storageClassName", &s.storage_class_name, errs);
    validate_volume_mode("spec.volumeMode", s.volume_mode.as_ref(), errs);
    if s.local.is_some() && s.node_affinity.as_ref().and_then(|a| a.required.as_ref()).is_none() {
        // ValidatePersistentVolumeSpec: "Local volumes require node affinity".
        errs.push(FieldErr::new("spec.nodeAffinity", "Required value: Local volume requires node affinity"));
    }
}

/// ValidateStorageClass (pkg/apis/storage/validation): a provisioner, a known reclaim
/// policy and binding mode.
pub fn validate_storage_class(c: &super::storage::StorageClass, errs: &mut Vec<FieldErr>) {
    if c.provisioner.is_empty() {
        errs.push(FieldErr::required("provisioner"));
    } else {
        for msg in qualified_name(&c.provisioner.to_ascii_lowercase()) {
            errs.push(FieldErr::new("provisioner", format!("Invalid value: {}: {msg}", quoted(&c.provisioner.to_ascii_lowercase()))));
        }
    }
    if let Some(p) = &c.reclaim_policy {
        if p != "Delete" && p != "Retain" {
            errs.push(FieldErr::new("reclaimPolicy", format!("Unsupported value: {}: supported values: \"Delete\", \"Retain\"", quoted(p))));
        }
    }
    if let Some(m) = &c.volume_binding_mode {
        if m != "Immediate" && m != "WaitForFirstConsumer" {
            errs.push(FieldErr::new(
                "volumeBindingMode",
                format!("Unsupported value: {}: supported values: \"Immediate\", \"WaitForFirstConsumer\"", quoted(m)),
            ));
        }
    }
}

/// ValidatePersistentVolumeClaimUpdate: the spec is immutable but for a larger storage
/// request, a volume name set once, and a class given to a claim that had none.
fn validate_pvc_update(a: &super::storage::PersistentVolumeClaim, b: &super::storage::PersistentVolumeClaim, errs: &mut Vec<FieldErr>) {
    let mut probe = b.spec.clone();
    // Only a Bound claim's request may change (then the PersistentVolumeClaimResize
    // admission decides).
    if a.status.phase == "Bound" {
        probe.resources.requests = a.spec.resources.requests.clone();
        probe.volume_attributes_class_name = a.spec.volume_attributes_class_name.clone();
    }
    if a.spec.volume_name.is_empty() {
        probe.volume_name.clear();
    }
    if a.spec.storage_class_name.is_none() {
        probe.storage_class_name = None;
    }
    if probe != a.spec {
        errs.push(FieldErr::new(
            "spec",
            "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
        ));
    }
    if let (Some(old), Some(new)) = (a.request(), b.request()) {
        if new < old {
            errs.push(FieldErr::new("spec.resources.requests.storage", "Forbidden: field can not be less than previous value"));
        }
    }
}

/// ValidateStorageClassUpdate: parameters, provisioner and reclaim policy are fixed.
fn validate_storage_class_update(a: &super::storage::StorageClass, b: &super::storage::StorageClass, errs: &mut Vec<FieldErr>) {
    if a.parameters != b.parameters {
        errs.push(FieldErr::new("parameters", "Forbidden: updates to parameters are forbidden."));
    }
    if a.provisioner != b.provisioner {
        errs.push(FieldErr::new("provisioner", "Forbidden: updates to provisioner are forbidden."));
    }
    if a.reclaim_policy() != b.reclaim_policy() {
        errs.push(FieldErr::new("reclaimPolicy", "Forbidden: updates to reclaimPolicy are forbidden."));
    }
    if a.volume_binding_mode() != b.volume_binding_mode() {
        errs.push(FieldErr::new("volumeBindingMode", format!("Invalid value: {}: field is immutable", quoted(b.volume_binding_mode()))));
    }
}

/// Validates a (defaulted) object for create or update.
pub fn validate(obj: &Object) -> Vec<FieldErr> {
    let mut errs = Vec::new();
    let kind = obj.kind();
    validate_meta(obj.meta(), &kind, &mut errs);
    match obj {
        Object::Pod(p) => validate_pod_spec(&p.spec, "spec", &mut errs),
        Object::ReplicaSet(rs) => validate_workload(rs.spec.replicas, rs.spec.selector.as_ref(), &rs.spec.template, &mut errs),
        Object::DaemonSet(ds) => validate_daemon_set(ds, &mut errs),
        Object::ReplicationController(rc) => validate_replication_controller(rc, &mut errs),
        Object::ControllerRevision(cr) => validate_controller_revision(cr, &mut errs),
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
        Object::Service(s) => validate_service(s, &mut errs),
        Object::Job(j) => validate_job(j, &mut errs),
        Object::StatefulSet(s) => validate_stateful_set(s, &mut errs),
        Object::ConfigMap(c) => validate_config_map(c, &mut errs),
        Object::Secret(s) => validate_secret(s, &mut errs),
        Object::CronJob(c) => validate_cron_job(c, &mut errs),
        Object::PersistentVolumeClaim(c) => validate_pvc_spec(&c.spec, "spec", &mut errs),
        Object::PersistentVolume(v) => validate_pv(v, &mut errs),
        Object::StorageClass(c) => validate_storage_class(c, &mut errs),
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
        Object::LimitRange(lr) => validate_limit_range(lr, &mut errs),
        Object::ResourceQuota(q) => validate_resource_quota(&q.spec, &mut errs),
        Object::HorizontalPodAutoscaler(h) => validate_hpa(&h.spec, &mut errs),
        Object::NetworkPolicy(np) => validate_network_policy(&np.spec, &mut errs),
        Object::Ingress(i) => validate_ingress(&i.spec, &mut errs),
        Object::IngressClass(c) => {
            // ValidateIngressClassSpec: a controller is required (a domain-prefixed path).
            if c.spec.controller.is_empty() {
                errs.push(FieldErr::required("spec.controller"));
            } else if c.spec.controller.len() > 250 {
                errs.push(FieldErr::new("spec.controller", "Too long: may not be more than 250 bytes"));
            }
        }
        Object::Unstructured(u) => super::scheduling::validate(u, &mut errs),
        _ => {}
    }
    errs
}

#[cfg(test)]
mod tests {
    /// ValidateResourceQuotaResourceName (pkg/apis/core/validation): a misspelt name is
    /// neither a standard resource nor qualified, nor one quota tracks; `storage` is a
    /// resource quota does not track; qualified names, `count/…` and hugepages pass.
    #[test]
    fn quota_resource_names_as_upstream() {
        let check = |name: &str| {
            let spec: crate::api::resource_quota::ResourceQuotaSpec = serde_json::from_str(&format!(r#"{{"hard":{{"{name}":"1"}}}}"#)).unwrap();
            let mut errs = Vec::new();
            validate_resource_quota(&spec, &mut errs);
            errs.iter().map(|e| e.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(
            check("requets.memory"),
            [
                "spec.hard[requets.memory]: Invalid value: \"requets.memory\": must be a standard resource type or fully qualified",
                "spec.hard[requets.memory]: Invalid value: \"requets.memory\": must be a standard resource for quota"
            ]
        );
        assert_eq!(check("storage"), ["spec.hard[storage]: Invalid value: \"storage\": must be a standard resource for quota"]);
        for ok in ["requests.storage", "count/deployments.apps", "requests.nvidia.com/gpu", "hugepages-2Mi", "services.loadbalancers"] {
            assert!(check(ok).is_empty(), "{ok}: {:?}", check(ok));
        }
    }

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

    /// The paths of a pod spec's container and toleration errors, as field.Path makes
    /// them (pkg/apis/core/validation/validation.go validateContainers: Duplicate,
    /// Required; validateTolerations: NotSupported; ValidatePodSpec's
    /// terminationGracePeriodSeconds; validateProbe), on a spec as defaulting leaves it
    /// (but for the fields ksim does not model).
    #[test]
    fn container_and_toleration_errors_name_their_paths() {
        let spec: PodSpec = serde_json::from_str(
            r#"{"containers":[{"name":"web","image":"nginx","imagePullPolicy":"Always"},{"name":"web","image":"","imagePullPolicy":"Always","livenessProbe":{"exec":{"command":["true"]},"periodSeconds":-1}}],
                "tolerations":[{"key":"a","operator":"Exists"},{"key":"b","operator":"In"}],"terminationGracePeriodSeconds":-1}"#,
        )
        .unwrap();
        let mut errs = Vec::new();
        validate_pod_spec(&spec, "spec", &mut errs);
        let mut got: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        got.sort();
        assert_eq!(
            got,
            [
                "spec.containers[1].image: Required value",
                "spec.containers[1].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0",
                "spec.containers[1].name: Duplicate value: \"web\"",
                "spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0",
                "spec.tolerations[1].operator: Unsupported value: \"In\": supported values: \"Equal\", \"Exists\"",
            ]
        );
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

    fn ds(selector: Option<&[(&str, &str)]>, labels: &[(&str, &str)]) -> super::super::daemon_set::DaemonSet {
        let m = |p: &[(&str, &str)]| p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Labels>();
        let mut d = super::super::daemon_set::DaemonSet::default();
        d.metadata.name = "abc".into();
        d.spec.selector = selector.map(|s| super::super::meta::LabelSelector { match_labels: m(s), match_expressions: vec![] });
        d.spec.template.metadata.labels = m(labels).into();
        let spec = std::rc::Rc::make_mut(&mut d.spec.template.spec);
        spec.restart_policy = "Always".into();
        spec.containers = std::rc::Rc::new(vec![Container { name: "ctr".into(), image: "image".into(), ..Default::default() }]);
        d.spec.update_strategy.type_ = "OnDelete".into();
        d
    }

    fn ds_errs(d: &super::super::daemon_set::DaemonSet) -> Vec<String> {
        let mut errs = Vec::new();
        validate_daemon_set(d, &mut errs);
        errs.iter().map(|e| e.to_string()).collect()
    }

    /// apps validation_test.go TestValidateDaemonSet: the success case, and the error
    /// cases nil selector, empty selector, selector_doesnt_match, invalid restart policy 1
    /// and 2 — in ValidateDaemonSetSpec's words.
    #[test]
    fn daemon_sets_are_validated_like_validate_daemon_set() {
        let ab: &[(&str, &str)] = &[("a", "b")];
        assert!(ds_errs(&ds(Some(ab), ab)).is_empty());
        let mismatch = "spec.template.metadata.labels: Invalid value: map[string]string{\"a\":\"b\"}: `selector` does not match template `labels`";
        assert_eq!(ds_errs(&ds(None, ab)), [mismatch], "nil selector: LabelSelectorAsSelector(nil) selects nothing");
        assert_eq!(
            ds_errs(&ds(Some(&[]), ab)),
            ["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset"]
        );
        assert_eq!(ds_errs(&ds(Some(&[("foo", "bar")]), ab)), [mismatch]);
        for policy in ["OnFailure", "Never"] {
            let mut d = ds(Some(ab), ab);
            std::rc::Rc::make_mut(&mut d.spec.template.spec).restart_policy = policy.into();
            assert_eq!(ds_errs(&d), [format!("spec.template.spec.restartPolicy: Unsupported value: \"{policy}\": supported values: \"Always\"")]);
        }
        let mut d = ds(Some(ab), ab);
        std::rc::Rc::make_mut(&mut d.spec.template.spec).active_deadline_seconds = Some(10);
        assert_eq!(ds_errs(&d), ["spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported"]);
        let mut d = ds(Some(ab), ab);
        d.spec.update_strategy.type_ = "Foo".into();
        assert_eq!(
            ds_errs(&d),
            ["spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:\"Foo\", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: \"RollingUpdate\", \"OnDelete\""]
        );
        d.spec.update_strategy.type_ = "RollingUpdate".into();
        assert_eq!(ds_errs(&d), ["spec.updateStrategy.rollingUpdate: Required value"]);
    }

    /// ValidateRollingUpdateDaemonSet: exactly one of maxUnavailable and maxSurge is
    /// non-zero, each a non-negative int or a percent of at most 100%.
    #[test]
    fn rolling_update_daemon_set_rules() {
        use super::super::daemon_set::RollingUpdateDaemonSet;
        use super::super::meta::IntOrString::{Int, String as Str};
        let check = |u: super::super::meta::IntOrString, s: super::super::meta::IntOrString| {
            let mut errs = Vec::new();
            validate_rolling_update_daemon_set(&RollingUpdateDaemonSet { max_unavailable: Some(u), max_surge: Some(s) }, &mut errs);
            errs.iter().map(|e| e.to_string()).collect::<Vec<_>>()
        };
        assert!(check(Int(1), Int(0)).is_empty());
        assert!(check(Int(0), Str("10%".into())).is_empty());
        assert_eq!(check(Int(0), Int(0)), ["spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"]);
        assert_eq!(check(Str("0%".into()), Int(0)), ["spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"]);
        assert_eq!(
            check(Int(1), Int(1)),
            ["spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:\"\"}: may not be set when maxUnavailable is non-zero"]
        );
        assert_eq!(
            check(Str("120%".into()), Int(0)),
            ["spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"120%\"}: must not be greater than 100%"]
        );
        assert_eq!(check(Int(-1), Int(0))[0], "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: -1: must be greater than or equal to 0");
        assert!(check(Str("20Percent".into()), Int(0))[0].contains("a valid percent string must be a numeric string followed by an ending '%'"));
    }

    /// core validation_test.go TestValidateReplicationController: the success case, and
    /// the error cases "empty selector", "selector_doesnt_match", "invalid manifest" (no
    /// template), "negative_replicas", "invalid restart policy 1 / 2".
    #[test]
    fn replication_controllers_are_validated_like_core() {
        use super::super::replication_controller::ReplicationController;
        let ab: Labels = [("a".to_string(), "b".to_string())].into_iter().collect();
        let rc = |selector: Labels, labels: Labels| {
            let mut rc = ReplicationController::default();
            rc.metadata.name = "abc".into();
            rc.spec.selector = selector;
            let mut t = PodTemplateSpec::default();
            t.metadata.labels = labels.into();
            let spec = std::rc::Rc::make_mut(&mut t.spec);
            spec.restart_policy = "Always".into();
            spec.containers = std::rc::Rc::new(vec![Container { name: "ctr".into(), image: "image".into(), ..Default::default() }]);
            rc.spec.template = Some(t);
            rc
        };
        let errs = |rc: &ReplicationController| {
            let mut e = Vec::new();
            validate_replication_controller(rc, &mut e);
            e.iter().map(|e| e.to_string()).collect::<Vec<_>>()
        };
        assert!(errs(&rc(ab.clone(), ab.clone())).is_empty());
        assert_eq!(errs(&rc(Labels::new(), ab.clone())), ["spec.selector: Required value"]);
        let other: Labels = [("foo".to_string(), "bar".to_string())].into_iter().collect();
        assert_eq!(
            errs(&rc(other, ab.clone())),
            ["spec.template.metadata.labels: Invalid value: map[string]string{\"a\":\"b\"}: `selector` does not match template `labels`"]
        );
        let mut none = rc(ab.clone(), ab.clone());
        none.spec.template = None;
        assert_eq!(errs(&none), ["spec.template: Required value"]);
        let mut negative = rc(ab.clone(), ab.clone());
        negative.spec.replicas = Some(-1);
        assert_eq!(errs(&negative), ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]);
        let mut never = rc(ab.clone(), ab);
        std::rc::Rc::make_mut(&mut never.spec.template.as_mut().unwrap().spec).restart_policy = "Never".into();
        assert_eq!(errs(&never), ["spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""]);
    }

    /// ValidateDaemonSetUpdate's immutable selector and ValidateControllerRevision(Update).
    #[test]
    fn daemon_set_selectors_and_revision_data_are_immutable() {
        let ab: &[(&str, &str)] = &[("a", "b")];
        let old = Object::DaemonSet(Box::new(ds(Some(ab), ab)));
        let new = Object::DaemonSet(Box::new(ds(Some(&[("a", "b"), ("c", "d")]), &[("a", "b"), ("c", "d")])));
        assert_eq!(validate_update(&old, &new)[0].to_string(), "spec.selector: Invalid value: field is immutable");
        let mut cr = super::super::daemon_set::ControllerRevision::default();
        cr.metadata.name = "abc-1".into();
        assert_eq!(validate(&Object::ControllerRevision(Box::new(cr.clone())))[0].to_string(), "data: Required value: data is mandatory");
        cr.data = Some(serde_json::json!({"a": 1}));
        let mut changed = cr.clone();
        changed.data = Some(serde_json::json!({"a": 2}));
        let (a, b) = (Object::ControllerRevision(Box::new(cr)), Object::ControllerRevision(Box::new(changed)));
        assert!(validate(&a).is_empty());
        assert_eq!(validate_update(&a, &b)[0].to_string(), "data: Invalid value: field is immutable");
    }
}
