//! kubectl's `Pod Template:` block, as `kubectl rollout history --revision N` prints it:
//! DescribePodTemplate and its helpers in staging/src/k8s.io/kubectl/pkg/describe/describe.go
//! (describeContainers, describeContainerBasicInfo, describeContainerCommand,
//! describeResources, DescribeProbe, describeContainerEnvFrom, describeContainerEnvVars,
//! describeContainerVolumes, describeVolumes, describeTopologySpreadConstraints,
//! printLabelsMultilineWithIndent, printAnnotationsMultiline,
//! printTolerationsMultilineWithIndent) written through a PrefixWriter (two spaces a level).
//! The `\t`s are kept: `rollout history` prints the template from a plain buffer, not
//! through a tabwriter (polymorphichelpers/history.go printTemplate).
//!
//! kubectl reads the object the apiserver defaulted; where ksim's apiserver does not
//! default a field kubectl prints (a port's protocol, a probe's timeout, period and
//! thresholds, an HTTP probe's path and scheme, an env fieldRef's apiVersion), the
//! printer uses the apiserver's default (pkg/apis/core/v1/defaults.go).
//!
//! Left out (ksim keeps these fields as opaque JSON and prints less than kubectl):
//! - an env var's `resourceFieldRef` is printed with an empty value (kubectl computes it
//!   from the container's resources and the divisor, resourcehelper.ExtractContainerResourceValue);
//! - volumes other than hostPath, emptyDir, secret, configMap, persistentVolumeClaim, nfs,
//!   downwardAPI and projected get one `Type:` line naming the source instead of its fields;
//! - an ephemeral volume's claim template is not described.
//!
//! Go's sort.Slice (tolerations by key, spread constraints by topology key) is not stable;
//! ksim sorts stably, so ties keep the manifest's order.

use serde_json::Value;
use sim_core::api::affinity::TopologySpreadConstraint;
use sim_core::api::pod::{Container, PodTemplateSpec, Probe, Toleration};
use sim_core::api::quantity::Quantity;
use std::collections::BTreeMap;

/// kubectl.kubernetes.io/last-applied-configuration: never printed (skipAnnotations).
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// maxAnnotationLen.
const MAX_ANNOTATION_LEN: usize = 140;

/// describe.prefixWriter over a string.
#[derive(Default)]
struct PrefixWriter {
    out: String,
}

impl PrefixWriter {
    fn write(&mut self, level: usize, s: &str) {
        for _ in 0..level {
            self.out.push_str("  ");
        }
        self.out.push_str(s);
    }

    fn write_line(&mut self, s: &str) {
        self.out.push_str(s);
        self.out.push('\n');
    }
}

/// DescribePodTemplate.
pub fn pod_template(t: &PodTemplateSpec) -> String {
    let mut w = PrefixWriter::default();
    let spec = &t.spec;
    w.write(0, "Pod Template:\n");
    labels_multiline(&mut w, "  Labels", &t.metadata.labels);
    if !t.metadata.annotations.is_empty() {
        annotations_multiline(&mut w, "  Annotations", &t.metadata.annotations);
    }
    if let Some(sa) = opaque_str(spec.service_account_name.as_deref()).filter(|s| !s.is_empty()) {
        w.write(1, &format!("Service Account:\t{sa}\n"));
    }
    if !spec.init_containers.is_empty() {
        containers(&mut w, "Init Containers", &spec.init_containers, "  ");
    }
    containers(&mut w, "Containers", &spec.containers, "  ");
    volumes(&mut w, spec.volumes.as_deref(), "  ");
    topology_spread_constraints(&mut w, &spec.topology_spread_constraints, "  ");
    if !spec.priority_class_name.is_empty() {
        w.write(1, &format!("Priority Class Name:\t{}\n", spec.priority_class_name));
    }
    labels_multiline(&mut w, "  Node-Selectors", &spec.node_selector);
    tolerations_multiline(&mut w, "  Tolerations", &spec.tolerations);
    w.out
}

fn opaque_str(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
}

fn opaque_array(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn bool_at(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// printLabelsMultilineWithIndent with no initial indent and a tab inside.
fn labels_multiline(w: &mut PrefixWriter, title: &str, labels: &BTreeMap<String, String>) {
    w.write(0, &format!("{title}:\t"));
    if labels.is_empty() {
        w.write_line("<none>");
        return;
    }
    for (i, (k, v)) in labels.iter().enumerate() {
        if i != 0 {
            w.write(0, "\t");
        }
        w.write(0, &format!("{k}={v}\n"));
    }
}

/// printAnnotationsMultiline: long or multi-line values go under their key, each line cut
/// at 138 bytes with `...`.
fn annotations_multiline(w: &mut PrefixWriter, title: &str, annotations: &BTreeMap<String, String>) {
    w.write(0, &format!("{title}:\t"));
    let keys: Vec<&String> = annotations.keys().filter(|k| k.as_str() != LAST_APPLIED).collect();
    if keys.is_empty() {
        w.write_line("<none>");
        return;
    }
    for (i, key) in keys.into_iter().enumerate() {
        if i != 0 {
            w.write(0, "\t");
        }
        let value = annotations[key].strip_suffix('\n').unwrap_or(&annotations[key]);
        if value.len() + key.len() + 2 > MAX_ANNOTATION_LEN || value.contains('\n') {
            w.write(0, &format!("{key}:\n"));
            for line in value.split('\n') {
                w.write(0, &format!("\t  {}\n", shorten(line, MAX_ANNOTATION_LEN - 2)));
            }
        } else {
            w.write(0, &format!("{key}: {value}\n"));
        }
    }
}

/// shorten: the first `max` bytes (Go slices bytes; ksim backs off to a char boundary).
fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// describeContainers for a template: no statuses, no env resolver.
fn containers(w: &mut PrefixWriter, label: &str, cs: &[Container], space: &str) {
    let none = if cs.is_empty() { " <none>" } else { "" };
    w.write(0, &format!("{space}{label}:{none}\n"));
    for c in cs {
        container_basic_info(w, c, space);
        container_command(w, c);
        resources(w, c);
        for (title, probe) in [("Liveness", &c.liveness_probe), ("Readiness", &c.readiness_probe), ("Startup", &c.startup_probe)] {
            if let Some(p) = probe {
                w.write(2, &format!("{title}:\t{}\n", describe_probe(p)));
            }
        }
        if !opaque_array(c.env_from.as_deref()).is_empty() {
            env_from(w, c);
        }
        env_vars(w, c);
        container_volumes(w, c);
    }
}

/// describeContainerBasicInfo (no status): name, image, ports, host ports, seccomp.
fn container_basic_info(w: &mut PrefixWriter, c: &Container, space: &str) {
    let name_indent = if space.is_empty() { "" } else { " " };
    w.write(1, &format!("{name_indent}{}:\n", c.name));
    w.write(2, &format!("Image:\t{}\n", c.image));
    // describeContainerPorts / describeContainerHostPorts; the protocol defaults to TCP.
    let proto = |p: &sim_core::api::pod::ContainerPort| p.protocol.clone().unwrap_or_else(|| "TCP".into());
    let ports: Vec<String> = c.ports.iter().map(|p| format!("{}/{}", p.container_port, proto(p))).collect();
    let host_ports: Vec<String> = c.ports.iter().map(|p| format!("{}/{}", p.host_port.unwrap_or(0), proto(p))).collect();
    for (one, many, list) in [("Port", "Ports", ports), ("Host Port", "Host Ports", host_ports)] {
        let s = list.join(", ");
        if s.contains(',') {
            w.write(2, &format!("{many}:\t{s}\n"));
        } else {
            w.write(2, &format!("{one}:\t{}\n", if s.is_empty() { "<none>" } else { &s }));
        }
    }
    if let Some(profile) = c.security_context.as_deref().and_then(|sc| sc.get("seccompProfile")) {
        let type_ = str_at(profile, "type");
        w.write(2, &format!("SeccompProfile:\t{type_}\n"));
        if type_ == "Localhost" {
            w.write(3, &format!("LocalhostProfile:\t{}\n", str_at(profile, "localhostProfile")));
        }
    }
}

/// describeContainerCommand: each command and arg on its own line(s).
fn container_command(w: &mut PrefixWriter, c: &Container) {
    for (title, v) in [("Command", &c.command), ("Args", &c.args)] {
        let items = opaque_array(v.as_deref());
        if items.is_empty() {
            continue;
        }
        w.write(2, &format!("{title}:\n"));
        for item in items {
            for line in item.as_str().unwrap_or("").split('\n') {
                w.write(3, &format!("{line}\n"));
            }
        }
    }
}

/// describeResources at level 2: limits, then requests, by resource name.
fn resources(w: &mut PrefixWriter, c: &Container) {
    for (title, list) in [("Limits", &c.resources.limits), ("Requests", &c.resources.requests)] {
        if !list.is_empty() {
            w.write(2, &format!("{title}:\n"));
        }
        for (name, q) in list {
            w.write(3, &format!("{name}:\t{q}\n"));
        }
    }
}

/// DescribeProbe, with SetDefaults_Probe's values for the fields left unset.
fn describe_probe(p: &Probe) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        p.initial_delay_seconds.unwrap_or(0),
        p.timeout_seconds.unwrap_or(1),
        p.period_seconds.unwrap_or(10),
        p.success_threshold.unwrap_or(1),
        p.failure_threshold.unwrap_or(3)
    );
    if let Some(exec) = p.exec.as_deref() {
        let cmd: Vec<&str> = opaque_array(exec.get("command")).iter().map(|v| v.as_str().unwrap_or("")).collect();
        return format!("exec [{}] {attrs}", cmd.join(" "));
    }
    if let Some(h) = p.http_get.as_deref() {
        let scheme = h.get("scheme").and_then(Value::as_str).unwrap_or("HTTP").to_ascii_lowercase();
        let host = join_host_port(str_at(h, "host"), &int_or_string(h.get("port")));
        let path = h.get("path").and_then(Value::as_str).unwrap_or("/");
        let slash = if path.is_empty() || path.starts_with('/') { "" } else { "/" };
        return format!("http-get {scheme}://{host}{slash}{path} {attrs}");
    }
    if let Some(t) = p.tcp_socket.as_deref() {
        return format!("tcp-socket {}:{} {attrs}", str_at(t, "host"), int_or_string(t.get("port")));
    }
    if let Some(g) = p.grpc.as_deref() {
        let port = g.get("port").and_then(Value::as_i64).unwrap_or(0);
        return format!("grpc <pod>:{port} {} {attrs}", str_at(g, "service"));
    }
    format!("unknown {attrs}")
}

/// intstr.IntOrString.String().
fn int_or_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(n @ Value::Number(_)) => n.to_string(),
        _ => "0".into(),
    }
}

/// net.JoinHostPort: an IPv6 host gets brackets.
fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// describeContainerEnvFrom.
fn env_from(w: &mut PrefixWriter, c: &Container) {
    w.write(2, "Environment Variables from:\n");
    for e in opaque_array(c.env_from.as_deref()) {
        let (from, r) = match (e.get("configMapRef"), e.get("secretRef")) {
            (Some(r), _) => ("ConfigMap", Some(r)),
            (None, Some(r)) => ("Secret", Some(r)),
            _ => ("", None),
        };
        let name = r.map_or("", |r| str_at(r, "name"));
        let optional = r.is_some_and(|r| bool_at(r, "optional"));
        match e.get("prefix").and_then(Value::as_str).filter(|p| !p.is_empty()) {
            None => w.write(3, &format!("{name}\t{from}\tOptional: {optional}\n")),
            Some(p) => w.write(3, &format!("{name}\t{from} with prefix '{p}'\tOptional: {optional}\n")),
        }
    }
}

/// describeContainerEnvVars (no resolver: a fieldRef's value is empty).
fn env_vars(w: &mut PrefixWriter, c: &Container) {
    let env = opaque_array(c.env.as_deref());
    w.write(2, &format!("Environment:{}\n", if env.is_empty() { "\t<none>" } else { "" }));
    for e in env {
        let name = str_at(e, "name");
        let Some(from) = e.get("valueFrom") else {
            for (i, line) in str_at(e, "value").split('\n').enumerate() {
                w.write(3, &if i == 0 { format!("{name}:\t{line}\n") } else { format!("\t{line}\n") });
            }
            continue;
        };
        if let Some(f) = from.get("fieldRef") {
            let api_version = f.get("apiVersion").and_then(Value::as_str).unwrap_or("v1");
            w.write(3, &format!("{name}:\t ({api_version}:{})\n", str_at(f, "fieldPath")));
        } else if let Some(r) = from.get("resourceFieldRef") {
            w.write(3, &format!("{name}:\t ({})\n", str_at(r, "resource")));
        } else if let Some(s) = from.get("secretKeyRef") {
            let (key, n, optional) = (str_at(s, "key"), str_at(s, "name"), bool_at(s, "optional"));
            w.write(3, &format!("{name}:\t<set to the key '{key}' in secret '{n}'>\tOptional: {optional}\n"));
        } else if let Some(m) = from.get("configMapKeyRef") {
            let (key, n, optional) = (str_at(m, "key"), str_at(m, "name"), bool_at(m, "optional"));
            w.write(3, &format!("{name}:\t<set to the key '{key}' of config map '{n}'>\tOptional: {optional}\n"));
        }
    }
}

/// describeContainerVolumes: mounts by mount path, then devices by device path.
fn container_volumes(w: &mut PrefixWriter, c: &Container) {
    let mut mounts: Vec<&Value> = opaque_array(c.volume_mounts.as_deref()).iter().collect();
    let none = if mounts.is_empty() { "\t<none>" } else { "" };
    w.write(2, &format!("Mounts:{none}\n"));
    mounts.sort_by(|a, b| str_at(a, "mountPath").cmp(str_at(b, "mountPath")));
    for m in mounts {
        let mut flags = vec![if bool_at(m, "readOnly") { "ro".to_string() } else { "rw".to_string() }];
        if let Some(sub) = m.get("subPath").and_then(Value::as_str).filter(|s| !s.is_empty()) {
            flags.push(format!("path={sub:?}"));
        }
        w.write(3, &format!("{} from {} ({})\n", str_at(m, "mountPath"), str_at(m, "name"), flags.join(",")));
    }
    let mut devices: Vec<&Value> = opaque_array(c.volume_devices.as_deref()).iter().collect();
    if !devices.is_empty() {
        w.write(2, &format!("Devices:{none}\n"));
        devices.sort_by(|a, b| str_at(a, "devicePath").cmp(str_at(b, "devicePath")));
        for d in devices {
            w.write(3, &format!("{} from {}\n", str_at(d, "devicePath"), str_at(d, "name")));
        }
    }
}

/// describeVolumes for the sources listed at the top of this file.
fn volumes(w: &mut PrefixWriter, vols: Option<&Value>, space: &str) {
    let vols = opaque_array(vols);
    if vols.is_empty() {
        w.write(0, &format!("{space}Volumes:\t<none>\n"));
        return;
    }
    w.write(0, &format!("{space}Volumes:\n"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for v in vols {
        w.write(1, &format!("{name_indent}{}:\n", str_at(v, "name")));
        volume_source(w, v);
    }
}

fn volume_source(w: &mut PrefixWriter, v: &Value) {
    if let Some(h) = v.get("hostPath") {
        let type_ = h.get("type").and_then(Value::as_str).unwrap_or("<none>");
        w.write(2, &format!("Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{type_}\n", str_at(h, "path")));
    } else if let Some(e) = v.get("emptyDir") {
        let size = e.get("sizeLimit").and_then(quantity).filter(|q| !q.is_zero() && !q.is_negative());
        let size = size.map_or("<unset>".to_string(), |q| q.to_string());
        w.write(
            2,
            &format!("Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t{}\n    SizeLimit:\t{size}\n", str_at(e, "medium")),
        );
    } else if let Some(s) = v.get("secret") {
        w.write(
            2,
            &format!(
                "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{}\n    Optional:\t{}\n",
                str_at(s, "secretName"),
                bool_at(s, "optional")
            ),
        );
    } else if let Some(c) = v.get("configMap") {
        w.write(
            2,
            &format!("Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{}\n    Optional:\t{}\n", str_at(c, "name"), bool_at(c, "optional")),
        );
    } else if let Some(c) = v.get("persistentVolumeClaim") {
        let text = format!("    ClaimName:\t{}\n    ReadOnly:\t{}\n", str_at(c, "claimName"), bool_at(c, "readOnly"));
        w.write(2, &format!("Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n{text}"));
    } else if let Some(n) = v.get("nfs") {
        let text = format!("    Server:\t{}\n    Path:\t{}\n    ReadOnly:\t{}\n", str_at(n, "server"), str_at(n, "path"), bool_at(n, "readOnly"));
        w.write(2, &format!("Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n{text}"));
    } else if let Some(d) = v.get("downwardAPI") {
        downward_api(w, d);
    } else if let Some(p) = v.get("projected") {
        projected(w, p);
    } else {
        let source = v.as_object().and_then(|m| m.keys().find(|k| k.as_str() != "name")).map_or("", String::as_str);
        w.write(2, &format!("Type:\t{source} (ksim does not describe this volume source)\n"));
    }
}

/// A quantity written as a string or a bare number.
fn quantity(v: &Value) -> Option<Quantity> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

/// printDownwardAPIVolumeSource.
fn downward_api(w: &mut PrefixWriter, d: &Value) {
    w.write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n");
    for item in opaque_array(d.get("items")) {
        if let Some(f) = item.get("fieldRef") {
            w.write(3, &format!("{} -> {}\n", str_at(f, "fieldPath"), str_at(item, "path")));
        }
        if let Some(r) = item.get("resourceFieldRef") {
            w.write(3, &format!("{} -> {}\n", str_at(r, "resource"), str_at(item, "path")));
        }
    }
}

/// printProjectedVolumeSource.
fn projected(w: &mut PrefixWriter, p: &Value) {
    w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n");
    for s in opaque_array(p.get("sources")) {
        if let Some(x) = s.get("secret") {
            w.write(2, &format!("SecretName:\t{}\n    Optional:\t{}\n", str_at(x, "name"), bool_at(x, "optional")));
        } else if s.get("downwardAPI").is_some() {
            w.write(2, "DownwardAPI:\ttrue\n");
        } else if let Some(x) = s.get("configMap") {
            w.write(2, &format!("ConfigMapName:\t{}\n    Optional:\t{}\n", str_at(x, "name"), bool_at(x, "optional")));
        } else if let Some(x) = s.get("serviceAccountToken") {
            // SetDefaults_ServiceAccountTokenProjection: one hour.
            let secs = x.get("expirationSeconds").and_then(Value::as_i64).unwrap_or(3600);
            w.write(2, &format!("TokenExpirationSeconds:\t{secs}\n"));
        }
    }
}

/// describeTopologySpreadConstraints, by topology key.
fn topology_spread_constraints(w: &mut PrefixWriter, tscs: &[TopologySpreadConstraint], space: &str) {
    if tscs.is_empty() {
        return;
    }
    let mut sorted: Vec<&TopologySpreadConstraint> = tscs.iter().collect();
    sorted.sort_by(|a, b| a.topology_key.cmp(&b.topology_key));
    w.write(0, &format!("{space}Topology Spread Constraints:\t"));
    for (i, t) in sorted.into_iter().enumerate() {
        if i != 0 {
            w.write(0, &format!("{space}\t"));
        }
        w.write(0, &format!("{}:{} when max skew {} is exceeded", t.topology_key, t.when_unsatisfiable, t.max_skew));
        if let Some(s) = &t.label_selector {
            let s = s.to_selector_string();
            w.write(0, &format!(" for selector {}", if s.is_empty() { "<none>" } else { &s }));
        }
        w.write(0, "\n");
    }
}

/// printTolerationsMultilineWithIndent, by key.
fn tolerations_multiline(w: &mut PrefixWriter, title: &str, tolerations: &[Toleration]) {
    w.write(0, &format!("{title}:\t"));
    if tolerations.is_empty() {
        w.write_line("<none>");
        return;
    }
    let mut sorted: Vec<&Toleration> = tolerations.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    for (i, t) in sorted.into_iter().enumerate() {
        if i != 0 {
            w.write(0, "\t");
        }
        let mut s = t.key.clone();
        if !t.value.is_empty() {
            s.push_str(&format!("={}", t.value));
        }
        if !t.effect.is_empty() {
            s.push_str(&format!(":{}", t.effect));
        }
        // `operator: Exists` with nothing else tolerates everything.
        if t.operator == "Exists" && t.value.is_empty() {
            s.push_str(if !t.key.is_empty() || !t.effect.is_empty() { " op=Exists" } else { "op=Exists" });
        }
        if let Some(secs) = t.toleration_seconds {
            s.push_str(&format!(" for {secs}s"));
        }
        w.write(0, &format!("{s}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(yaml_json: Value) -> PodTemplateSpec {
        serde_json::from_value(yaml_json).expect("a pod template")
    }

    /// history_test.go TestViewHistory "should describe the revision if revision is
    /// specified" (the template of the DaemonSet and StatefulSet cases), plus the
    /// `Node-Selectors` and `Tolerations` lines DescribePodTemplate has printed since
    /// they were added to it (describe.go at the version cited above).
    #[test]
    fn a_plain_template_as_upstream_describes_it() {
        let t = template(serde_json::json!({
            "metadata": {"labels": {"foo": "bar"}},
            "spec": {"containers": [{"name": "test", "image": "nginx"}]}
        }));
        assert_eq!(
            pod_template(&t),
            "Pod Template:\n  Labels:\tfoo=bar\n  Containers:\n   test:\n    Image:\tnginx\n    Port:\t<none>\n    Host Port:\t<none>\n    \
             Environment:\t<none>\n    Mounts:\t<none>\n  Volumes:\t<none>\n  Node-Selectors:\t<none>\n  Tolerations:\t<none>\n"
        );
    }

    /// TestViewDeploymentHistory "should describe a single revision": the change-cause
    /// annotation under Annotations.
    #[test]
    fn annotations_are_listed_by_key() {
        let t = template(serde_json::json!({
            "metadata": {"labels": {"foo": "bar"}, "annotations": {"kubernetes.io/change-cause": "foo change cause"}},
            "spec": {"containers": [{"name": "test", "image": "foo:3"}]}
        }));
        assert!(
            pod_template(&t).starts_with("Pod Template:\n  Labels:\tfoo=bar\n  Annotations:\tkubernetes.io/change-cause: foo change cause\n  Containers:\n")
        );
    }

    /// Each line as the describe.go function that writes it formats it (no upstream test
    /// covers a template this full): two ports (`Ports:`/`Host Ports:`, protocol
    /// defaulted to TCP), command and args, limits before requests, probes with
    /// SetDefaults_Probe's values, a fieldRef without a resolver, a read-only mount, an
    /// emptyDir, two labels and two tolerations on continuation lines.
    #[test]
    fn ports_probes_resources_env_mounts_and_tolerations() {
        let t = template(serde_json::json!({
            "metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}},
            "spec": {
                "containers": [{
                    "name": "web", "image": "nginx:1.25",
                    "command": ["nginx", "-g"], "args": ["daemon off;"],
                    "ports": [{"containerPort": 80}, {"containerPort": 53, "hostPort": 53, "protocol": "UDP"}],
                    "resources": {"limits": {"memory": "128Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
                    "readinessProbe": {"initialDelaySeconds": 5, "httpGet": {"port": 80}},
                    "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}},
                    "env": [{"name": "A", "value": "1"}, {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                    "volumeMounts": [{"name": "data", "mountPath": "/var/data", "readOnly": true}]
                }],
                "volumes": [{"name": "data", "emptyDir": {}}],
                "nodeSelector": {"disk": "ssd"},
                "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}, {"key": "a", "value": "b", "effect": "NoExecute", "tolerationSeconds": 30}]
            }
        }));
        let want = "Pod Template:
  Labels:\tapp=web
\tpod-template-hash=abc
  Containers:
   web:
    Image:\tnginx:1.25
    Ports:\t80/TCP, 53/UDP
    Host Ports:\t0/TCP, 53/UDP
    Command:
      nginx
      -g
    Args:
      daemon off;
    Limits:
      memory:\t128Mi
    Requests:
      cpu:\t100m
      memory:\t128Mi
    Liveness:\texec [cat /tmp/healthy] delay=0s timeout=1s period=10s #success=1 #failure=3
    Readiness:\thttp-get http://:80/ delay=5s timeout=1s period=10s #success=1 #failure=3
    Environment:
      A:\t1
      POD:\t (v1:metadata.name)
    Mounts:
      /var/data from data (ro)
  Volumes:
   data:
    Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:\t
    SizeLimit:\t<unset>
  Node-Selectors:\tdisk=ssd
  Tolerations:\ta=b:NoExecute for 30s
\tgpu:NoSchedule op=Exists
";
        assert_eq!(pod_template(&t), want);
    }
}
