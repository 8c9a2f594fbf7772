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
//! `describe pod` prints an empty `Image ID:`: ksim's kubelet reports no image digest
//! (a real one shows `docker.io/library/nginx@sha256:…`).
//!
//! Go's sort.Slice (tolerations by key, spread constraints by topology key) is not stable;
//! ksim sorts stably, so ties keep the manifest's order.

use serde_json::Value;
use sim_core::api::affinity::TopologySpreadConstraint;
use sim_core::api::event::Event;
use sim_core::api::meta::Time;
use sim_core::api::pod::{Container, ContainerState, ContainerStatus, Pod, PodTemplateSpec, Probe, Toleration};
use sim_core::api::quantity::Quantity;
use sim_core::engine::time::human_duration;
use sim_core::engine::SimTime;
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
        containers(&mut w, "Init Containers", &spec.init_containers, &[], "  ");
    }
    containers(&mut w, "Containers", &spec.containers, &[], "  ");
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

/// describeContainers (no env resolver: a fieldRef's value is left empty); a template
/// has no statuses.
fn containers(w: &mut PrefixWriter, label: &str, cs: &[Container], statuses: &[ContainerStatus], space: &str) {
    let none = if cs.is_empty() { " <none>" } else { "" };
    w.write(0, &format!("{space}{label}:{none}\n"));
    for c in cs {
        let status = statuses.iter().find(|st| *st.name == *c.name);
        container_basic_info(w, c, status, space);
        container_command(w, c);
        if let Some(st) = status {
            container_state(w, st);
        }
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

/// describeContainerBasicInfo: name, (status: container ID), image, (status: image ID),
/// ports, host ports, seccomp.
fn container_basic_info(w: &mut PrefixWriter, c: &Container, status: Option<&ContainerStatus>, space: &str) {
    let name_indent = if space.is_empty() { "" } else { " " };
    w.write(1, &format!("{name_indent}{}:\n", c.name));
    if let Some(st) = status {
        w.write(2, &format!("Container ID:\t{}\n", st.container_id));
    }
    w.write(2, &format!("Image:\t{}\n", c.image));
    if let Some(st) = status {
        w.write(2, &format!("Image ID:\t{}\n", st.image_id));
    }
    // describeContainerPorts / describeContainerHostPorts (v1.34: a named port is followed
    // by ` (NAME)`); the protocol defaults to TCP.
    let proto = |p: &sim_core::api::pod::ContainerPort| p.protocol.clone().unwrap_or_else(|| "TCP".into());
    let named = |s: String, p: &sim_core::api::pod::ContainerPort| match p.name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => format!("{s} ({n})"),
        None => s,
    };
    let ports: Vec<String> = c.ports.iter().map(|p| named(format!("{}/{}", p.container_port, proto(p)), p)).collect();
    let host_ports: Vec<String> = c.ports.iter().map(|p| named(format!("{}/{}", p.host_port.unwrap_or(0), proto(p)), p)).collect();
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

/// describeContainerState: State, Last State (when terminated), Ready, Restart Count.
fn container_state(w: &mut PrefixWriter, st: &ContainerStatus) {
    container_status(w, "State", &st.state);
    if st.last_state.terminated.is_some() {
        container_status(w, "Last State", &st.last_state);
    }
    w.write(2, &format!("Ready:\t{}\n", if st.ready { "True" } else { "False" }));
    w.write(2, &format!("Restart Count:\t{}\n", st.restart_count));
}

/// describeStatus.
fn container_status(w: &mut PrefixWriter, name: &str, s: &ContainerState) {
    let t = |t: Option<Time>| t.unwrap_or_default().rfc1123z();
    if let Some(r) = &s.running {
        w.write(2, &format!("{name}:\tRunning\n"));
        w.write(3, &format!("Started:\t{}\n", t(r.started_at)));
    } else if let Some(wt) = &s.waiting {
        w.write(2, &format!("{name}:\tWaiting\n"));
        if !wt.reason.is_empty() {
            w.write(3, &format!("Reason:\t{}\n", wt.reason));
        }
    } else if let Some(x) = &s.terminated {
        w.write(2, &format!("{name}:\tTerminated\n"));
        if !x.reason.is_empty() {
            w.write(3, &format!("Reason:\t{}\n", x.reason));
        }
        if !x.message.is_empty() {
            w.write(3, &format!("Message:\t{}\n", x.message));
        }
        w.write(3, &format!("Exit Code:\t{}\n", x.exit_code));
        w.write(3, &format!("Started:\t{}\n", t(x.started_at)));
        w.write(3, &format!("Finished:\t{}\n", t(x.finished_at)));
    } else {
        w.write(2, &format!("{name}:\tWaiting\n"));
    }
}

/// tabbedString: the text through a tabwriter (minwidth 0, padding 2, spaces).
fn tabbed(s: &str) -> String {
    use std::io::Write;
    let mut tw = tabwriter::TabWriter::new(Vec::new()).minwidth(0).padding(2);
    let _ = tw.write_all(s.as_bytes());
    let _ = tw.flush();
    String::from_utf8(tw.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// DescribeEvents: `Events: <none>`, or the table of Type, Reason, Age (`LAST (xN over
/// FIRST)` for an Event seen more than once), From (the source component) and Message,
/// oldest first.
fn events(w: &mut PrefixWriter, events: &[&Event], now: SimTime) {
    if events.is_empty() {
        w.write(0, "Events:\t<none>\n");
        return;
    }
    let mut sorted: Vec<&Event> = events.to_vec();
    sorted.sort_by_key(|e| e.last_timestamp.get().or(e.first_timestamp.get()));
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
    w.write(1, "----\t------\t----\t----\t-------\n");
    let since = |t: Option<Time>| t.map_or("<unknown>".to_string(), |t| human_duration(now.since(t.0)));
    for e in sorted {
        let first = since(e.first_timestamp.get());
        let interval = if e.count > 1 { format!("{} (x{} over {first})", since(e.last_timestamp.get()), e.count) } else { first };
        let source = if e.source.component.is_empty() { e.reporting_component.to_string() } else { e.source.component.to_string() };
        w.write(1, &format!("{}\t{}\t{interval}\t{source}\t{}\n", e.type_, e.reason, e.message.trim()));
    }
}

/// qos.GetPodQOS: the status's class, else computed from the containers' requests and
/// limits (BestEffort: none; Guaranteed: cpu and memory limits everywhere, requests equal
/// to them; else Burstable).
fn qos_class(p: &Pod) -> String {
    if !p.status.qos_class.is_empty() {
        return p.status.qos_class.to_string();
    }
    let all: Vec<&Container> = p.spec.containers.iter().chain(p.spec.init_containers.iter()).collect();
    let none = all.iter().all(|c| c.resources.requests.is_empty() && c.resources.limits.is_empty());
    if none {
        return "BestEffort".into();
    }
    let guaranteed = all.iter().all(|c| {
        ["cpu", "memory"].iter().all(|r| c.resources.limits.contains_key(*r))
            && c.resources.requests.iter().all(|(k, v)| c.resources.limits.get(k).is_none_or(|l| l == v))
    });
    if guaranteed { "Guaranteed" } else { "Burstable" }.into()
}

/// describePod (staging/src/k8s.io/kubectl/pkg/describe/describe.go), with the Events
/// that name the pod.
pub fn pod(p: &Pod, evs: &[&Event], now: SimTime) -> String {
    let mut w = PrefixWriter::default();
    let m = &p.metadata;
    w.write(0, &format!("Name:\t{}\n", m.name));
    w.write(0, &format!("Namespace:\t{}\n", m.namespace));
    if let Some(pr) = p.spec.priority {
        w.write(0, &format!("Priority:\t{pr}\n"));
    }
    if !p.spec.priority_class_name.is_empty() {
        w.write(0, &format!("Priority Class Name:\t{}\n", p.spec.priority_class_name));
    }
    if let Some(sa) = opaque_str(p.spec.service_account_name.as_deref()).filter(|s| !s.is_empty()) {
        w.write(0, &format!("Service Account:\t{sa}\n"));
    }
    if p.spec.node_name.is_empty() {
        w.write(0, "Node:\t<none>\n");
    } else {
        w.write(0, &format!("Node:\t{}/{}\n", p.spec.node_name, p.status.host_ip));
    }
    if let Some(t) = p.status.start_time.get() {
        w.write(0, &format!("Start Time:\t{}\n", t.rfc1123z()));
    }
    labels_multiline(&mut w, "Labels", &m.labels);
    annotations_multiline(&mut w, "Annotations", &m.annotations);
    let terminal = p.status.phase == "Failed" || p.status.phase == "Succeeded";
    match (m.rare.deletion_timestamp, terminal) {
        (Some(t), false) => {
            w.write(0, &format!("Status:\tTerminating (lasts {})\n", human_duration(now.since(t.0))));
            w.write(0, &format!("Termination Grace Period:\t{}s\n", m.rare.deletion_grace_period_seconds.unwrap_or(0)));
        }
        _ => w.write(0, &format!("Status:\t{}\n", p.status.phase)),
    }
    if !p.status.reason.is_empty() {
        w.write(0, &format!("Reason:\t{}\n", p.status.reason));
    }
    if !p.status.message.is_empty() {
        w.write(0, &format!("Message:\t{}\n", p.status.message));
    }
    w.write(0, &format!("IP:\t{}\n", p.status.pod_ip));
    if p.status.pod_ips.is_empty() {
        w.write(0, "IPs:\t<none>\n");
    } else {
        w.write(0, "IPs:\n");
        for ip in p.status.pod_ips.iter() {
            w.write(1, &format!("IP:\t{}\n", ip.ip));
        }
    }
    if let Some(r) = m.controller_ref() {
        w.write(0, &format!("Controlled By:\t{}/{}\n", r.kind, r.name));
    }
    if !p.status.nominated_node_name.is_empty() {
        w.write(0, &format!("NominatedNodeName:\t{}\n", p.status.nominated_node_name));
    }
    if !p.spec.init_containers.is_empty() {
        containers(&mut w, "Init Containers", &p.spec.init_containers, &p.status.init_container_statuses, "");
    }
    containers(&mut w, "Containers", &p.spec.containers, &p.status.container_statuses, "");
    if !p.status.conditions.is_empty() {
        w.write(0, "Conditions:\n  Type\tStatus\n");
        for c in &p.status.conditions {
            w.write(1, &format!("{} \t{} \n", c.type_, c.status));
        }
    }
    volumes(&mut w, p.spec.volumes.as_deref(), "");
    w.write(0, &format!("QoS Class:\t{}\n", qos_class(p)));
    labels_multiline(&mut w, "Node-Selectors", &p.spec.node_selector);
    tolerations_multiline(&mut w, "Tolerations", &p.spec.tolerations);
    topology_spread_constraints(&mut w, &p.spec.topology_spread_constraints, "");
    events(&mut w, evs, now);
    tabbed(&w.out)
}

/// `ksim describe KIND NAME FILE…` / `ksim describe KIND/NAME FILE…`: what `kubectl
/// describe` prints at `--at` (default: the end of the run), with the object's Events.
/// Without a name, every object of the kind in the namespace, separated by a blank line.
pub fn run(args: &[String], at: Option<&str>, seed: Option<u64>, namespace: Option<&str>) -> u8 {
    use crate::run::{simulate, EXIT_BAD_INPUT};
    use sim_core::api::{Kind, Object};
    let Some(first) = args.first() else {
        eprintln!("error: you must specify the type of resource to describe");
        return EXIT_BAD_INPUT;
    };
    let (kind_word, mut name) = match first.split_once('/') {
        Some((k, n)) => (k.to_string(), Some(n.to_string())),
        None => (first.clone(), None),
    };
    let mut rest = &args[1..];
    if name.is_none() && rest.len() >= 2 && !crate::files::looks_like_file(&rest[0]) {
        name = Some(rest[0].clone());
        rest = &rest[1..];
    }
    if rest.is_empty() {
        eprintln!("error: no scenario file given: ksim reads the cluster from FILE… after the object");
        return EXIT_BAD_INPUT;
    }
    let kind = match Kind::from_user(&kind_word) {
        Some(
            k @ (Kind::Pod
            | Kind::Node
            | Kind::Deployment
            | Kind::StatefulSet
            | Kind::Service
            | Kind::Job
            | Kind::CronJob
            | Kind::PersistentVolumeClaim
            | Kind::PersistentVolume
            | Kind::StorageClass
            | Kind::ResourceQuota
            | Kind::HorizontalPodAutoscaler
            | Kind::LimitRange
            | Kind::ReplicaSet
            | Kind::ReplicationController
            | Kind::DaemonSet
            | Kind::Ingress),
        ) => k,
        Some(k) => {
            eprintln!(
                "error: ksim describes pods, nodes, deployments, statefulsets, services, jobs, cronjobs, persistentvolumeclaims, persistentvolumes, storageclasses, resourcequotas, limitranges, horizontalpodautoscalers, replicasets, replicationcontrollers, daemonsets and ingresses so far, not {}",
                sim_core::apiserver::qualified_resource(&k)
            );
            return EXIT_BAD_INPUT;
        }
        None => {
            eprintln!("error: the server doesn't have a resource type {:?}", kind_word);
            return EXIT_BAD_INPUT;
        }
    };
    let sim = match simulate(rest, at, seed) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let ns = if kind.namespaced() { namespace.unwrap_or("default") } else { "" };
    let objs: Vec<_> =
        sim.list(&kind).into_iter().filter(|o| o.meta().namespace == ns).filter(|o| name.as_deref().is_none_or(|n| o.meta().name == n)).collect();
    if objs.is_empty() {
        match &name {
            Some(n) => eprintln!("Error from server (NotFound): {} {n:?} not found", sim_core::apiserver::qualified_resource(&kind)),
            None => eprintln!("No resources found in {ns} namespace."),
        }
        return if name.is_some() { 1 } else { 0 };
    }
    let all_events = sim.list(&Kind::Event);
    let mut out = Vec::new();
    for o in &objs {
        let m = o.meta();
        let evs: Vec<&Event> = all_events
            .iter()
            .filter_map(|e| if let Object::Event(e) = &**e { Some(&**e) } else { None })
            .filter(|e| e.involved_object.kind == kind.name() && e.involved_object.name == m.name && e.involved_object.namespace == m.namespace)
            // A node's Events name it by uid (the node controller) or by name (the kubelet).
            .filter(|e| e.involved_object.uid.is_empty() || e.involved_object.uid == m.uid || (kind == Kind::Node && e.involved_object.uid == m.name))
            .collect();
        match &**o {
            Object::Pod(p) => out.push(pod(p, &evs, sim.now)),
            Object::Node(n) => out.push(node(n, &sim, &evs)),
            Object::Deployment(d) => out.push(deployment(d, &sim, &evs)),
            Object::Service(svc) => out.push(service(svc, &sim, &evs)),
            Object::Job(j) => out.push(job(j, &evs, sim.now)),
            Object::CronJob(c) => out.push(cron_job(c, &evs, sim.now)),
            Object::StatefulSet(s) => out.push(stateful_set(s, &sim, &evs)),
            Object::PersistentVolumeClaim(c) => out.push(persistent_volume_claim(c, &sim, &evs)),
            Object::PersistentVolume(v) => out.push(persistent_volume(v, sim.now, &evs)),
            Object::StorageClass(c) => out.push(storage_class(c, sim.now, &evs)),
            Object::ResourceQuota(q) => out.push(resource_quota(q)),
            Object::HorizontalPodAutoscaler(h) => out.push(horizontal_pod_autoscaler(h, &evs, sim.now)),
            Object::LimitRange(l) => out.push(limit_range(l)),
            Object::ReplicaSet(rs) => out.push(replica_set(rs, &sim, &evs)),
            Object::ReplicationController(rc) => out.push(replication_controller(rc, &sim, &evs)),
            Object::DaemonSet(ds) => out.push(daemon_set(ds, &sim, &evs)),
            Object::Ingress(ing) => out.push(ingress(ing, &sim, &evs)),
            _ => {}
        }
    }
    print!("{}", out.join("\n\n"));
    0
}

/// A sum of quantities as upstream's Quantity.Add gives it: in the format of the first
/// one added (zero: `0`); cpu in thousandths, memory in units.
fn sum_quantities<'a>(qs: impl Iterator<Item = &'a Quantity>, cpu: bool) -> Quantity {
    use sim_core::api::quantity::Format;
    let mut format = None;
    let mut total: i64 = 0;
    for q in qs {
        format.get_or_insert(q.format());
        total = total.saturating_add(if cpu { q.milli_value() } else { q.value() });
    }
    match (format, cpu) {
        (_, true) => Quantity::from_milli(total),
        (Some(Format::BinarySI), false) => Quantity::from_bytes(total),
        (_, false) => Quantity::from_value(total),
    }
}

/// resourcehelper.PodRequestsAndLimits for one resource (cpu in thousandths, the others in
/// units): the containers' sum, at least the largest init container's (a request defaults
/// to the limit).
fn pod_requests_and_limits(p: &Pod, resource: &str) -> (Quantity, Quantity) {
    let cpu = resource == "cpu";
    fn req<'c>(c: &'c Container, resource: &str) -> Option<&'c Quantity> {
        c.resources.requests.get(resource).or_else(|| c.resources.limits.get(resource))
    }
    fn lim<'c>(c: &'c Container, resource: &str) -> Option<&'c Quantity> {
        c.resources.limits.get(resource)
    }
    let max_init = |f: for<'c> fn(&'c Container, &str) -> Option<&'c Quantity>| {
        p.spec.init_containers.iter().filter_map(|c| f(c, resource)).max_by_key(|q| if cpu { q.milli_value() } else { q.value() }).cloned()
    };
    let pick = |sum: Quantity, init: Option<Quantity>| match init {
        Some(i) if (if cpu { i.milli_value() > sum.milli_value() } else { i.value() > sum.value() }) => i,
        _ => sum,
    };
    let requests = pick(sum_quantities(p.spec.containers.iter().filter_map(|c| req(c, resource)), cpu), max_init(req));
    let limits = pick(sum_quantities(p.spec.containers.iter().filter_map(|c| lim(c, resource)), cpu), max_init(lim));
    (requests, limits)
}

/// describeNode, with the node's non-terminated pods (describeNodeResource), its Lease
/// and its Events.
pub fn node(n: &sim_core::api::node::Node, sim: &sim_core::Simulation, evs: &[&Event]) -> String {
    use sim_core::api::Kind;
    let mut w = PrefixWriter::default();
    let m = &n.metadata;
    w.write(0, &format!("Name:\t{}\n", m.name));
    // findNodeRoles: node-role.kubernetes.io/ROLE labels and kubernetes.io/role.
    let mut roles: Vec<String> = m
        .labels
        .iter()
        .filter_map(|(k, v)| match k.strip_prefix("node-role.kubernetes.io/") {
            Some(r) if !r.is_empty() => Some(r.to_string()),
            _ if k == "kubernetes.io/role" && !v.is_empty() => Some(v.clone()),
            _ => None,
        })
        .collect();
    roles.sort();
    roles.dedup();
    w.write(0, &format!("Roles:\t{}\n", if roles.is_empty() { "<none>".to_string() } else { roles.join(",") }));
    labels_multiline(&mut w, "Labels", &m.labels);
    annotations_multiline(&mut w, "Annotations", &m.annotations);
    w.write(0, &format!("CreationTimestamp:\t{}\n", m.creation_timestamp.unwrap_or_default().rfc1123z()));
    // printNodeTaintsMultiline: by effect, then key.
    w.write(0, "Taints:\t");
    if n.spec.taints.is_empty() {
        w.write_line("<none>");
    } else {
        let mut taints: Vec<_> = n.spec.taints.iter().collect();
        taints.sort_by(|a, b| (&a.effect, &a.key).cmp(&(&b.effect, &b.key)));
        for (i, t) in taints.into_iter().enumerate() {
            if i != 0 {
                w.write(0, "\t");
            }
            let value = if t.value.is_empty() { String::new() } else { format!("={}", t.value) };
            w.write(0, &format!("{}{value}:{}\n", t.key, t.effect));
        }
    }
    w.write(0, &format!("Unschedulable:\t{}\n", n.spec.unschedulable));
    let rfc = |t: Option<Time>| t.map_or("<unset>".to_string(), |t| t.rfc1123z());
    match sim.api.store.get_parts(&Kind::Lease, sim_core::kubelet::LEASE_NAMESPACE, &m.name).and_then(|o| {
        if let sim_core::api::Object::Lease(l) = &**o {
            Some(l)
        } else {
            None
        }
    }) {
        Some(l) => {
            w.write(0, "Lease:\n");
            w.write(1, &format!("HolderIdentity:\t{}\n", l.spec.holder_identity.as_deref().unwrap_or("<unset>")));
            w.write(1, &format!("AcquireTime:\t{}\n", rfc(l.spec.acquire_time)));
            w.write(1, &format!("RenewTime:\t{}\n", rfc(l.spec.renew_time)));
        }
        None => w.write(0, &format!("Lease:\tFailed to get lease: leases.coordination.k8s.io {:?} not found\n", m.name)),
    }
    if !n.status.conditions.is_empty() {
        w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n");
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n");
        for c in &n.status.conditions {
            w.write(
                1,
                &format!(
                    "{} \t{} \t{} \t{} \t{} \t{}\n",
                    c.type_,
                    c.status,
                    c.last_heartbeat_time.unwrap_or_default().rfc1123z(),
                    c.last_transition_time.unwrap_or_default().rfc1123z(),
                    c.reason,
                    c.message
                ),
            );
        }
    }
    w.write(0, "Addresses:\n");
    for a in &n.status.addresses {
        w.write(1, &format!("{}:\t{}\n", a.type_, a.address));
    }
    for (title, list) in [("Capacity", &n.status.capacity), ("Allocatable", &n.status.allocatable)] {
        if !list.is_empty() {
            w.write(0, &format!("{title}:\n"));
            for (r, q) in list.iter() {
                w.write(0, &format!("  {r}:\t{q}\n"));
            }
        }
    }
    let info = n.status.node_info.as_deref().cloned().unwrap_or_default();
    let field = |k: &str| info.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    w.write(0, "System Info:\n");
    for (label, key) in [
        ("Machine ID", "machineID"),
        ("System UUID", "systemUUID"),
        ("Boot ID", "bootID"),
        ("Kernel Version", "kernelVersion"),
        ("OS Image", "osImage"),
        ("Operating System", "operatingSystem"),
        ("Architecture", "architecture"),
        ("Container Runtime Version", "containerRuntimeVersion"),
        ("Kubelet Version", "kubeletVersion"),
        ("Kube-Proxy Version", "kubeProxyVersion"),
    ] {
        w.write(0, &format!("  {label}:\t{}\n", field(key)));
    }
    if !n.spec.pod_cidr.is_empty() {
        w.write(0, &format!("PodCIDR:\t{}\n", n.spec.pod_cidr));
    }
    if !n.spec.pod_cidrs.is_empty() {
        w.write(0, &format!("PodCIDRs:\t{}\n", n.spec.pod_cidrs.join(",")));
    }
    if !n.spec.provider_id.is_empty() {
        w.write(0, &format!("ProviderID:\t{}\n", n.spec.provider_id));
    }
    // describeNodeResource: the pods bound here that are not Succeeded or Failed.
    let pods: Vec<Pod> = sim
        .list(&Kind::Pod)
        .iter()
        .filter_map(|o| o.as_pod())
        .filter(|p| p.spec.node_name == m.name && p.status.phase != "Succeeded" && p.status.phase != "Failed")
        .cloned()
        .collect();
    let alloc = if n.status.allocatable.is_empty() { &n.status.capacity } else { &n.status.allocatable };
    let alloc_cpu = alloc.get("cpu").map_or(0, Quantity::milli_value);
    let alloc_mem = alloc.get("memory").map_or(0, Quantity::value);
    let pct = |v: i64, of: i64| if of == 0 { 0 } else { (v as f64 / of as f64 * 100.0) as i64 };
    w.write(0, &format!("Non-terminated Pods:\t({} in total)\n", pods.len()));
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n");
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n");
    let mut totals: [Vec<Quantity>; 4] = Default::default();
    for p in &pods {
        let (cr, cl) = pod_requests_and_limits(p, "cpu");
        let (mr, ml) = pod_requests_and_limits(p, "memory");
        let age = p.metadata.creation_timestamp.map_or("<unknown>".to_string(), |t| human_duration(sim.now.since(t.0)));
        w.write(
            1,
            &format!(
                "{}\t{}\t\t{cr} ({}%)\t{cl} ({}%)\t{mr} ({}%)\t{ml} ({}%)\t{age}\n",
                p.metadata.namespace,
                p.metadata.name,
                pct(cr.milli_value(), alloc_cpu),
                pct(cl.milli_value(), alloc_cpu),
                pct(mr.value(), alloc_mem),
                pct(ml.value(), alloc_mem),
            ),
        );
        for (i, q) in [cr, cl, mr, ml].into_iter().enumerate() {
            if !q.is_zero() {
                totals[i].push(q);
            }
        }
    }
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n");
    w.write(1, "Resource\tRequests\tLimits\n");
    w.write(1, "--------\t--------\t------\n");
    let (cr, cl) = (sum_quantities(totals[0].iter(), true), sum_quantities(totals[1].iter(), true));
    let (mr, ml) = (sum_quantities(totals[2].iter(), false), sum_quantities(totals[3].iter(), false));
    w.write(1, &format!("cpu\t{cr} ({}%)\t{cl} ({}%)\n", pct(cr.milli_value(), alloc_cpu), pct(cl.milli_value(), alloc_cpu)));
    w.write(1, &format!("memory\t{mr} ({}%)\t{ml} ({}%)\n", pct(mr.value(), alloc_mem), pct(ml.value(), alloc_mem)));
    // Then ephemeral-storage, each hugepages-* size of the allocatable (in percent of it),
    // and each extended resource (requests and limits, no percentage), by name.
    let totals = |r: &str| {
        let (reqs, lims): (Vec<Quantity>, Vec<Quantity>) = pods.iter().map(|p| pod_requests_and_limits(p, r)).unzip();
        (sum_quantities(reqs.iter().filter(|q| !q.is_zero()), false), sum_quantities(lims.iter().filter(|q| !q.is_zero()), false))
    };
    let of_alloc = |r: &str| alloc.get(r).map_or(0, Quantity::value);
    let hugepages = alloc.keys().filter(|r| r.starts_with("hugepages-"));
    for r in std::iter::once(&"ephemeral-storage".to_string()).chain(hugepages) {
        let (req, lim) = totals(r);
        w.write(1, &format!("{r}\t{req} ({}%)\t{lim} ({}%)\n", pct(req.value(), of_alloc(r)), pct(lim.value(), of_alloc(r))));
    }
    let standard = |r: &str| matches!(r, "cpu" | "memory" | "ephemeral-storage" | "pods") || r.starts_with("hugepages-");
    for r in alloc.keys().filter(|r| !standard(r)) {
        let (req, lim) = totals(r);
        w.write(1, &format!("{r}\t{req}\t{lim}\n"));
    }
    events(&mut w, evs, sim.now);
    tabbed(&w.out)
}

/// describeDeployment: replicas, strategy, the pod template (DescribePodTemplate), the
/// conditions, OldReplicaSets (every old one, oldest first) and NewReplicaSet as
/// printReplicaSetsByLabels writes them, and the Events.
pub fn deployment(d: &sim_core::api::deployment::Deployment, sim: &sim_core::Simulation, evs: &[&Event]) -> String {
    use sim_core::api::Kind;
    use sim_core::controller_manager::deployment::util;
    let mut w = PrefixWriter::default();
    let m = &d.metadata;
    w.write(0, &format!("Name:\t{}\n", m.name));
    w.write(0, &format!("Namespace:\t{}\n", m.namespace));
    w.write(0, &format!("CreationTimestamp:\t{}\n", m.creation_timestamp.unwrap_or_default().rfc1123z()));
    labels_multiline(&mut w, "Labels", &m.labels);
    annotations_multiline(&mut w, "Annotations", &m.annotations);
    let selector = d.spec.selector.as_ref().map(|s| s.to_selector_string()).unwrap_or_default();
    w.write(0, &format!("Selector:\t{selector}\n"));
    let st = &d.status;
    w.write(
        0,
        &format!(
            "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
            d.replicas(),
            st.updated_replicas,
            st.replicas,
            st.available_replicas,
            st.unavailable_replicas
        ),
    );
    let strategy = d.spec.strategy.as_ref();
    w.write(0, &format!("StrategyType:\t{}\n", strategy.map_or("RollingUpdate", |s| s.type_.as_str())));
    w.write(0, &format!("MinReadySeconds:\t{}\n", d.spec.min_ready_seconds.unwrap_or(0)));
    if let Some(ru) = strategy.and_then(|s| s.rolling_update.as_ref()) {
        let show = |v: &Option<sim_core::api::meta::IntOrString>| v.as_ref().map_or("<nil>".to_string(), |v| v.to_string());
        w.write(0, &format!("RollingUpdateStrategy:\t{} max unavailable, {} max surge\n", show(&ru.max_unavailable), show(&ru.max_surge)));
    }
    w.out.push_str(&pod_template(&d.spec.template));
    if !st.conditions.is_empty() {
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n");
        w.write(1, "----\t------\t------\n");
        for c in &st.conditions {
            w.write(1, &format!("{} \t{}\t{}\n", c.type_, c.status, c.reason));
        }
    }
    // GetAllReplicaSetsInChunks: the ReplicaSets it controls, oldest first (findNewReplicaSet
    // sorts the list in place); the new one has its template, and the describer prints
    // every other one as old (allOldRSes, scaled to 0 or not: `NAME (0/0 replicas
    // created)` after a rollout), both lines only when there is a ReplicaSet.
    let mut rss: Vec<sim_core::api::replica_set::ReplicaSet> = sim
        .list(&Kind::ReplicaSet)
        .iter()
        .filter_map(|o| o.as_replica_set())
        .filter(|rs| rs.metadata.namespace == m.namespace && rs.metadata.controller_ref().is_some_and(|r| r.uid == m.uid))
        .cloned()
        .collect();
    rss.sort_by(util::by_creation);
    let new = util::find_new_replica_set(d, &rss);
    let by_labels = |list: Vec<&sim_core::api::replica_set::ReplicaSet>| {
        if list.is_empty() {
            return "<none>".to_string();
        }
        list.iter().map(|rs| format!("{} ({}/{} replicas created)", rs.metadata.name, rs.status.replicas, rs.replicas())).collect::<Vec<_>>().join(", ")
    };
    if !rss.is_empty() {
        let old: Vec<&sim_core::api::replica_set::ReplicaSet> = rss.iter().enumerate().filter(|(i, _)| Some(*i) != new).map(|(_, rs)| rs).collect();
        w.write(0, &format!("OldReplicaSets:\t{}\n", by_labels(old)));
        w.write(0, &format!("NewReplicaSet:\t{}\n", by_labels(new.map(|i| &rss[i]).into_iter().collect())));
    }
    events(&mut w, evs, sim.now);
    tabbed(&w.out)
}

/// describeStatefulSet: replicas, the update strategy (and its partition), the pods by
/// phase (getPodStatusForController: the pods it controls), the pod template, the volume
/// claim templates (describeVolumeClaimTemplates) and the Events.
pub fn stateful_set(s: &sim_core::api::stateful_set::StatefulSet, sim: &sim_core::Simulation, evs: &[&Event]) -> String {
    let mut w = PrefixWriter::default();
    let m = &s.metadata;
    w.write(0, &format!("Name:\t{}\n", m.name));
    w.write(0, &format!("Namespace:\t{}\n", m.namespace));
    w.write(0, &format!("CreationTimestamp:\t{}\n", m.creation_timestamp.unwrap_or_default().rfc1123z()));
    w.write(0, &format!("Selector:\t{}\n", s.spec.selector.as_ref().map(|s| s.to_selector_string()).unwrap_or_default()));
    labels_multiline(&mut w, "Labels", &m.labels);
    annotations_multiline(&mut w, "Annotations", &m.annotations);
    w.write(0, &format!("Replicas:\t{} desired | {} total\n", s.replicas(), s.status.replicas));
    w.write(0, &format!("Update Strategy:\t{}\n", s.spec.update_strategy.type_));
    if let Some(p) = s.spec.update_strategy.rolling_update.as_ref().and_then(|r| r.partition) {
        w.write(1, &format!("Partition:\t{p}\n"));
        if let Some(mu) = s.spec.update_strategy.rolling_update.as_ref().and_then(|r| r.max_unavailable.as_ref()) {
            w.write(1, &format!("MaxUnavailable:\t{mu}\n"));
        }
    }
    w.write(0, &format!("Pods Status:\t{}\n", pod_status_for_controller(sim, &m.namespace, &m.uid, s.spec.selector.as_ref())));
    w.out.push_str(&pod_template(&s.spec.template));
    if s.spec.volume_claim_templates.is_empty() {
        w.write(0, "Volume Claims:\t<none>\n");
    } else {
        w.write(0, "Volume Claims:\n");
        for t in &s.spec.volume_claim_templates {
            let s = |p: &str| t.pointer(p).and_then(|v| v.as_str()).unwrap_or("").to_string();
            w.write(1, &format!("Name:\t{}\n", s("/metadata/name")));
            w.write(1, &format!("StorageClass:\t{}\n", s("/spec/storageClassName")));
            let map = |p: &str| -> BTreeMap<String, String> {
                t.pointer(p)
                    .and_then(|v| v.as_object())
                    .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect())
                    .unwrap_or_default()
            };
            labels_multiline(&mut w, "  Labels", &map("/metadata/labels"));
            annotations_multiline(&mut w, "  Annotations", &map("/metadata/annotations"));
            let cap = t.pointer("/spec/resources/requests/storage").map(|v| v.as_str().map(String::from).unwrap_or_else(|| v.to_string()));
            w.write(1, &format!("Capacity:\t{}\n", cap.unwrap_or_else(|| "<default>".into())));
            let modes: Vec<&str> =
                t.pointer("/spec/accessModes").and_then(|v| v.as_array()).map(|a| a.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
            w.write(1, &format!("Access Modes:\t[{}]\n", modes.join(" ")));
        }
    }
    events(&mut w, evs, sim.now);
    tabbed(&w.out)
}

/// describeJob: the spec's counts and modes (Parallelism only when set, `Completions:
/// <unset>`), start and completion times, `Pods Statuses`, an Indexed Job's completed
/// indexes (capIndexesListOrNone, 50 characters), the pod template and the Events; no
/// Conditions section.
pub fn job(j: &sim_core::api::job::Job, evs: &[&Event], now: SimTime) -> String {
    use sim_core::engine::time::human_duration;
    let mut w = PrefixWriter::default();
    let m = &j.metadata;
    let s = &j.spec;
    w.write(0, &format!("Name:\t{}\n", m.name));
    w.write(0, &format!("Namespace:\t{}\n", m.namespace));
    w.write(0, &format!("Selector:\t{}\n", s.selector.as_ref().map(|s| s.to_selector_string()).unwrap_or_default()));
    labels_multiline(&mut w, "Labels", &m.labels);
    annotations_multiline(&mut w, "Annotations", &m.annotations);
    if let Some(r) = m.controller_ref() {
        w.write(0, &format!("Controlled By:\t{}/{}\n", r.kind, r.name));
    }
    if let Some(p) = s.parallelism {
        w.write(0, &format!("Parallelism:\t{p}\n"));
    }
    match s.completions {
        Some(c) => w.write(0, &format!("Completions:\t{c}\n")),
        None => w.write(0, "Completions:\t<unset>\n"),
    }
    if let Some(mode) = &s.completion_mode {
        w.write(0, &format!("Completion Mode:\t{mode}\n"));
    }
    if let Some(sus) = s.suspend {
        w.write(0, &format!("Suspend:\t{sus}\n"));
    }
    if let Some(b) = s.backoff_limit {
        w.write(0, &format!("Backoff Limit:\t{b}\n"));
    }
    if let Some(t) = s.ttl_seconds_after_finished {
        w.write(0, &format!("TTL Seconds After Finished:\t{t}\n"));
    }
    let st = &j.status;
    if let Some(t) = st.start_time {
        w.write(0, &format!("Start Time:\t{}\n", t.rfc1123z()));
    }
    if let Some(t) = st.completion_time {
        w.write(0, &format!("Completed At:\t{}\n", t.rfc1123z()));
    }
    if let (Some(a), Some(b)) = (st.start_time, st.completion_time) {
        w.write(0, &format!("Duration:\t{}\n", human_duration(b.0.since(a.0))));
    }
    if let Some(d) = s.active_deadline_seconds {
        w.write(0, &format!("Active Deadline Seconds:\t{d}s\n"));
    }
    match st.ready {
        None => w.write(0, &format!("Pods Statuses:\t{} Active / {} Succeeded / {} Failed\n", st.active, st.succeeded, st.failed)),
        Some(r) => w.write(0, &format!("Pods Statuses:\t{} Active ({r} Ready) / {} Succeeded / {} Failed\n", st.active, st.succeeded, st.failed)),
    }
    if j.indexed() {
        w.write(0, &format!("Completed Indexes:\t{}\n", cap_indexes_list_or_none(st.completed_indexes.as_deref().unwrap_or(""), 50)));
    }
    w.out.push_str(&pod_template(&s.template));
    events(&mut w, evs, now);
    tabbed(&w.out)
}

/// describeCronJob: the schedule and policies (`<unset>` for what is not set), the Job
/// template (describeJobTemplate), the last schedule time, the active Jobs, the Events.
/// describeHorizontalPodAutoscalerV2 (staging/src/k8s.io/kubectl/pkg/describe/describe.go):
/// the metrics as `current / target`, the replica bounds, the behavior when given, the
/// target's pods, the conditions and the Events.
pub fn horizontal_pod_autoscaler(h: &sim_core::api::horizontal_pod_autoscaler::HorizontalPodAutoscaler, evs: &[&Event], now: SimTime) -> String {
    let mut w = PrefixWriter::default();
    let m = &h.metadata;
    let s = &h.spec;
    w.write(0, &format!("Name:\t{}\n", m.name));
    w.write(0, &format!("Namespace:\t{}\n", m.namespace));
    labels_multiline(&mut w, "Labels", &m.labels);
    annotations_multiline(&mut w, "Annotations", &m.annotations);
    if let Some(t) = m.creation_timestamp {
        w.write(0, &format!("CreationTimestamp:\t{}\n", t.rfc1123z()));
    }
    w.write(0, &format!("Reference:\t{}/{}\n", s.scale_target_ref.kind, s.scale_target_ref.name));
    w.write(0, "Metrics:\t( current / target )\n");
    for (i, metric) in s.metrics.iter().enumerate() {
        let st = h.status.current_metrics.get(i);
        let (name, container, target) = match (&metric.resource, &metric.container_resource) {
            (Some(r), _) => (r.name.as_str(), None, &r.target),
            (None, Some(c)) => (c.name.as_str(), Some(c.container.as_str()), &c.target),
            _ => {
                w.write(1, &format!("<unknown metric type {:?}>\n", metric.type_));
                continue;
            }
        };
        let current = st.and_then(|s| s.resource.as_ref().map(|r| &r.current).or(s.container_resource.as_ref().map(|c| &c.current)));
        match container {
            None => w.write(1, &format!("resource {name} on pods")),
            Some(c) => w.write(1, &format!("resource {name} of container \"{c}\" on pods")),
        }
        if let Some(avg) = &target.average_value {
            let cur = current.and_then(|c| c.average_value.as_ref()).map_or("<unknown>".to_string(), |q| q.to_string());
            w.write(0, &format!(":\t{cur} / {avg}\n"));
        } else {
            let cur = current
                .and_then(|c| Some(format!("{}% ({})", c.average_utilization?, c.average_value.as_ref().map_or("<nil>".to_string(), |q| q.to_string()))))
                .unwrap_or_else(|| "<unknown>".into());
            let tgt = target.average_utilization.map_or("<auto>".to_string(), |u| format!("{u}%"));
            w.write(1, &format!("(as a percentage of request):\t{cur} / {tgt}\n"));
        }
    }
    w.write(0, &format!("Min replicas:\t{}\n", s.min_replicas.map_or("<unset>".to_string(), |m| m.to_string())));
    w.write(0, &format!("Max replicas:\t{}\n", s.max_replicas));
    if let Some(b) = &s.behavior {
        w.write(0, "Behavior:\n");
        for (direction, rules) in [("Scale Up", &b.scale_up), ("Scale Down", &b.scale_down)] {
            let Some(r) = rules else { continue };
            w.write(1, &format!("{direction}:\n"));
            if let Some(win) = r.stabilization_window_seconds {
                w.write(2, &format!("Stabilization Window: {win} seconds\n"));
            }
            let policies = r.policies.as_deref().unwrap_or_default();
            if !policies.is_empty() {
                w.write(2, &format!("Select Policy: {}\n", r.select_policy.as_deref().unwrap_or("Max")));
                w.write(2, "Policies:\n");
                for p in policies {
                    w.write(3, &format!("- Type: {}\tValue: {}\tPeriod: {} seconds\n", p.type_, p.value, p.period_seconds));
                }
            }
        }
    }
    w.write(0, &format!("{} pods:\t", s.scale_target_ref.kind));
    w.write(0, &format!("{} current / {} desired\n", h.status.current_replicas, h.status.desired_replicas));
    if !h.status.conditions.is_empty() {
        w.write(0, "Conditions:\n");
        w.write(1, "Type\tStatus\tReason\tMessage\n");
        w.write(1, "----\t------\t------\t-------\n");
        for c in &h.status.conditions {
            w.write(1, &format!("{}\t{}\t{}\t{}\n", c.type_, c.status, c.reason, c.message));
        }
    }
    events(&mut w, evs, now);
    tabbed(&w.out)
}

pub fn cron_job(c: &sim_core::api::job::CronJob, evs: &[&Event], now: SimTime) -> String {
    let mut w = PrefixWriter::default();
    let m = &c.metadata;
    let s = &c.spec;
    let unset = |v: Option<String>| v.unwrap_or_else(|| "<unset>".into());
    w.write(0, &format!("Name:\t{}\n", m.name));
    w.write(0, &format!("Namespace:\t{}\n", m.namespace));
    labels_multiline(&mut w, "Labels", &m.labels);
    annotations_multiline(&mut w, "Annotations", &m.annotations);
    w.write(0, &format!("Schedule:\t{}\n", s.schedule));
    w.write(0, &format!("Concurrency Policy:\t{}\n", s.concurrency_policy));
    w.write(0, &format!("Suspend:\t{}\n", unset(s.suspend.map(|b| if b { "True" } else { "False" }.to_string()))));
    w.write(0, &format!("Successful Job History Limit:\t{}\n", unset(s.successful_jobs_history_limit.map(|v| v.to_string()))));
    w.write(0, &format!("Failed Job History Limit:\t{}\n", unset(s.failed_jobs_history_limit.map(|v| v.to_string()))));
    w.write(0, &format!("Starting Deadline Seconds:\t{}\n", unset(s.starting_deadline_seconds.map(|v| format!("{v}s")))));
    let t = &s.job_template.spec;
    w.write(0, &format!("Selector:\t{}\n", unset(t.selector.as_ref().map(|s| s.to_selector_string()))));
    w.write(0, &format!("Parallelism:\t{}\n", unset(t.parallelism.map(|v| v.to_string()))));
    w.write(0, &format!("Completions:\t{}\n", unset(t.completions.map(|v| v.to_string()))));
    if let Some(d) = t.active_deadline_seconds {
        w.write(0, &format!("Active Deadline Seconds:\t{d}s\n"));
    }
    w.out.push_str(&pod_template(&t.template));
    w.write(0, &format!("Last Schedule Time:\t{}\n", unset(c.status.last_schedule_time.map(|t| t.rfc1123z()))));
    let active: Vec<&str> = c.status.active.iter().map(|a| a.name.as_str()).collect();
    w.write(0, &format!("Active Jobs:\t{}\n", if active.is_empty() { "<none>".to_string() } else { active.join(", ") }));
    events(&mut w, evs, now);
    tabbed(&w.out)
}

/// capIndexesListOrNone: `<none>`, or the list cut at the first comma after `soft_limit`
/// characters, with `...`.
fn cap_indexes_list_or_none(indexes: &str, soft_limit: usize) -> String {
    if indexes.is_empty() {
        return "<none>".into();
    }
    match indexes.bytes().enumerate().skip(soft_limit).find(|(_, b)| *b == b',') {
        Some((ix, _)) => format!("{}...", &indexes[..=ix]),
        None => indexes.to_string(),
    }
}

/// formatEndpointSlices: the ready endpoints of the slices for one port name, `IP:port`
/// (just the address for slices without ports), the first 3 and then `+ N more...`.
fn format_endpoint_slices(slices: &[&sim_core::api::endpoints::EndpointSlice], port_name: &str) -> String {
    if slices.is_empty() {
        return "<none>".into();
    }
    let (max, mut more, mut count) = (3usize, false, 0usize);
    let mut list: Vec<String> = Vec::new();
    for s in slices {
        let ports: Vec<Option<i32>> = match &s.ports {
            Some(ps) if !ps.is_empty() => ps.iter().filter(|p| p.name.as_deref().unwrap_or("") == port_name).map(|p| p.port).collect(),
            _ => vec![None],
        };
        for port in ports {
            for e in &s.endpoints {
                if list.len() == max {
                    more = true;
                }
                if e.conditions.ready == Some(false) {
                    continue;
                }
                let addr = e.addresses.first().cloned().unwrap_or_default();
                if !more {
                    list.push(match port {
                        Some(p) => format!("{addr}:{p}"),
                        None => addr,
                    });
                }
                count += 1;
            }
        }
    }
    let ret = list.join(",");
    if more {
        format!("{ret} + {} more...", count - max)
    } else {
        ret
    }
}

/// describeService: type, IP families, cluster IPs, external and load-balancer
/// addresses, each port with its target, NodePort and endpoints (formatEndpointSlices),
/// affinity and traffic policies, and the Events.
pub fn service(svc: &sim_core::api::service::Service, sim: &sim_core::Simulation, evs: &[&Event]) -> String {
    use sim_core::api::Kind;
    let mut w = PrefixWriter::default();
    let (m, sp) = (&svc.metadata, &svc.spec);
    w.write(0, &format!("Name:\t{}\n", m.name));
    w.write(0, &format!("Namespace:\t{}\n", m.namespace));
    labels_multiline(&mut w, "Labels", &m.labels);
    annotations_multiline(&mut w, "Annotations", &m.annotations);
    // labels.FormatLabels: k=v sorted, comma-separated, <none> when empty.
    let selector = sp
        .selector
        .as_ref()
        .filter(|s| !s.is_empty())
        .map_or("<none>".to_string(), |s| s.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","));
    w.write(0, &format!("Selector:\t{selector}\n"));
    w.write(0, &format!("Type:\t{}\n", sp.type_));
    if let Some(p) = &sp.ip_family_policy {
        w.write(0, &format!("IP Family Policy:\t{p}\n"));
    }
    let families = sp.ip_families.clone().unwrap_or_default();
    w.write(0, &format!("IP Families:\t{}\n", if families.is_empty() { "<none>".to_string() } else { families.join(",") }));
    w.write(0, &format!("IP:\t{}\n", sp.cluster_ip));
    w.write(0, &format!("IPs:\t{}\n", if sp.cluster_ips.is_empty() { "<none>".to_string() } else { sp.cluster_ips.join(",") }));
    if let Some(ips) = sp.external_ips.as_ref().filter(|v| !v.is_empty()) {
        w.write(0, &format!("External IPs:\t{}\n", ips.join(",")));
    }
    if let Some(ip) = opaque_str(sp.load_balancer_ip.as_deref()).filter(|s| !s.is_empty()) {
        w.write(0, &format!("Desired LoadBalancer IP:\t{ip}\n"));
    }
    if let Some(n) = sp.external_name.as_deref().filter(|s| !s.is_empty()) {
        w.write(0, &format!("External Name:\t{n}\n"));
    }
    // buildIngressString: `IP (ipMode)`, else the hostname, comma-separated.
    let ingress: Vec<String> = svc
        .status
        .as_deref()
        .and_then(|s| s.pointer("/loadBalancer/ingress"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|i| match (i.get("ip").and_then(Value::as_str), i.get("ipMode").and_then(Value::as_str)) {
            (Some(ip), Some(mode)) => format!("{ip} ({mode})"),
            (Some(ip), None) => ip.to_string(),
            _ => str_at(i, "hostname").to_string(),
        })
        .collect();
    if !ingress.is_empty() {
        w.write(0, &format!("LoadBalancer Ingress:\t{}\n", ingress.join(", ")));
    }
    let slices: Vec<&sim_core::api::endpoints::EndpointSlice> =
        sim.api.store.list(&Kind::EndpointSlice).filter_map(|o| o.as_endpoint_slice()).filter(|s| s.is_for(&m.namespace, &m.name)).collect();
    for p in &sp.ports {
        let name = p.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| "<unset>".into());
        let proto = p.protocol.clone().unwrap_or_else(|| "TCP".into());
        w.write(0, &format!("Port:\t{name}\t{}/{proto}\n", p.port));
        let target = match &p.target_port {
            Some(t) => t.to_string(),
            None => p.port.to_string(),
        };
        w.write(0, &format!("TargetPort:\t{target}/{proto}\n"));
        if let Some(np) = p.node_port.filter(|n| *n != 0) {
            w.write(0, &format!("NodePort:\t{name}\t{np}/{proto}\n"));
        }
        w.write(0, &format!("Endpoints:\t{}\n", format_endpoint_slices(&slices, p.name.as_deref().unwrap_or(""))));
    }
    w.write(0, &format!("Session Affinity:\t{}\n", sp.session_affinity.as_deref().unwrap_or("")));
    if let Some(p) = sp.external_traffic_policy.as_deref().filter(|p| !p.is_empty()) {
        w.write(0, &format!("External Traffic Policy:\t{p}\n"));
    }
    if let Some(p) = &sp.internal_traffic_policy {
        w.write(0, &format!("Internal Traffic Policy:\t{p}\n"));
    }
    if let Some(hc) = sp.health_check_node_port.filter(|p| *p != 0) {
        w.write(0, &format!("HealthCheck NodePort:\t{hc}\n"));
    }
    let ranges: Vec<&str> = opaque_array(sp.load_balancer_source_ranges.as_deref()).iter().filter_map(Value::as_str).collect();
    if !ranges.is_empty() {
        w.write(0, &format!("LoadBalancer Source Ranges:\t{}\n", ranges.join(",")));
    }
    events(&mut w, evs, sim.now);
    tabbed(&w.out)
}

/// labels.FormatLabels: `k=v,k2=v2` sorted, `<none>` when empty.
fn format_labels(m: &BTreeMap<String, String>) -> String {
    if m.is_empty() {
        return "<none>".into();
    }
    m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// describePersistentVolumeClaim (kubectl describe.go): STATUS as the table prints it,
/// Capacity and Access Modes from the status once a volume is named, `Used By` the pods
/// whose volumes name the claim.
pub fn persistent_volume_claim(c: &sim_core::api::storage::PersistentVolumeClaim, sim: &sim_core::Simulation, evs: &[&Event]) -> String {
    use sim_core::api::storage::{access_modes_string, pod_claims};
    let now = sim.now;
    let mut w = PrefixWriter::default();
    let m = &c.metadata;
    w.write(0, &format!("Name:\t{}\n", m.name));
    w.write(0, &format!("Namespace:\t{}\n", m.namespace));
    w.write(0, &format!("StorageClass:\t{}\n", c.class()));
    match m.rare.deletion_timestamp {
        Some(t) => w.write(0, &format!("Status:\tTerminating (lasts {})\n", human_duration(now.since(t.0)))),
        None => w.write(0, &format!("Status:\t{}\n", c.status.phase)),
    }
    w.write(0, &format!("Volume:\t{}\n", c.spec.volume_name));
    labels_multiline(&mut w, "Labels", &m.labels);
    annotations_multiline(&mut w, "Annotations", &m.annotations);
    w.write(0, &format!("Finalizers:\t[{}]\n", m.finalizers().join(" ")));
    let (capacity, modes) = if c.spec.volume_name.is_empty() {
        (String::new(), String::new())
    } else {
        (c.status.capacity.get("storage").map(|q| q.to_string()).unwrap_or_else(|| "0".into()), access_modes_string(&c.status.access_modes))
    };
    w.write(0, &format!("Capacity:\t{capacity}\n"));
    w.write(0, &format!("Access Modes:\t{modes}\n"));
    if let Some(vm) = &c.spec.volume_mode {
        w.write(0, &format!("VolumeMode:\t{vm}\n"));
    }
    let mut used: Vec<String> = sim
        .list(&sim_core::api::Kind::Pod)
        .iter()
        .filter_map(|o| o.as_pod())
        .filter(|p| p.metadata.namespace == m.namespace && pod_claims(p.spec.volumes.as_deref()).iter().any(|(_, n)| *n == m.name))
        .map(|p| p.metadata.name.to_string())
        .collect();
    used.sort();
    w.write(0, "Used By:\t");
    if used.is_empty() {
        w.write_line("<none>");
    } else {
        for (i, p) in used.iter().enumerate() {
            if i != 0 {
                w.write(0, "\t");
            }
            w.write(0, &format!("{p}\n"));
        }
    }
    events(&mut w, evs, now);
    tabbed(&w.out)
}

/// describePersistentVolume: its claim, policy, modes, capacity, node affinity (as
/// printVolumeNodeAffinity), message and source.
pub fn persistent_volume(v: &sim_core::api::storage::PersistentVolume, now: SimTime, evs: &[&Event]) -> String {
    let mut w = PrefixWriter::default();
    let m = &v.metadata;
    w.write(0, &format!("Name:\t{}\n", m.name));
    labels_multiline(&mut w, "Labels", &m.labels);
    annotations_multiline(&mut w, "Annotations", &m.annotations);
    w.write(0, &format!("Finalizers:\t[{}]\n", m.finalizers().join(" ")));
    w.write(0, &format!("StorageClass:\t{}\n", v.class()));
    match m.rare.deletion_timestamp {
        Some(t) => w.write(0, &format!("Status:\tTerminating (lasts {})\n", human_duration(now.since(t.0)))),
        None => w.write(0, &format!("Status:\t{}\n", v.status.phase)),
    }
    let claim = v.spec.claim_ref.as_ref().map(|r| format!("{}/{}", r.namespace, r.name)).unwrap_or_default();
    w.write(0, &format!("Claim:\t{claim}\n"));
    w.write(0, &format!("Reclaim Policy:\t{}\n", v.spec.persistent_volume_reclaim_policy));
    w.write(0, &format!("Access Modes:\t{}\n", sim_core::api::storage::access_modes_string(&v.spec.access_modes)));
    if let Some(vm) = &v.spec.volume_mode {
        w.write(0, &format!("VolumeMode:\t{vm}\n"));
    }
    w.write(0, &format!("Capacity:\t{}\n", v.storage().map(|q| q.to_string()).unwrap_or_else(|| "0".into())));
    w.write(0, "Node Affinity:\t");
    match v.spec.node_affinity.as_ref().and_then(|a| a.required.as_ref()) {
        None => w.write_line("<none>"),
        Some(sel) => {
            w.write_line("");
            w.write(1, "Required Terms:\t");
            if sel.node_selector_terms.is_empty() {
                w.write_line("<none>");
            } else {
                w.write_line("");
                for (i, t) in sel.node_selector_terms.iter().enumerate() {
                    w.write(2, &format!("Term {i}:\t"));
                    if t.match_expressions.is_empty() {
                        w.write_line("<none>");
                    }
                    for (j, r) in t.match_expressions.iter().enumerate() {
                        if j != 0 {
                            w.write(2, "\t");
                        }
                        let mut e = format!("{} {}", r.key, r.operator.to_ascii_lowercase());
                        if !r.values.is_empty() {
                            e = format!("{e} [{}]", r.values.join(", "));
                        }
                        w.write(0, &format!("{e}\n"));
                    }
                }
            }
        }
    }
    w.write(0, &format!("Message:\t{}\n", v.status.message));
    w.write(0, "Source:\n");
    let s = &v.spec;
    if let Some(h) = s.host_path.as_deref() {
        let type_ = h.get("type").and_then(Value::as_str).filter(|t| !t.is_empty()).unwrap_or("<none>");
        w.write(2, &format!("Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{type_}\n", str_at(h, "path")));
    } else if let Some(c) = s.csi.as_deref() {
        w.write(
            2,
            &format!(
                "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t{}\n    FSType:\t{}\n    VolumeHandle:\t{}\n    ReadOnly:\t{}\n",
                str_at(c, "driver"),
                str_at(c, "fsType"),
                str_at(c, "volumeHandle"),
                bool_at(c, "readOnly")
            ),
        );
        let attrs = c.get("volumeAttributes").and_then(Value::as_object);
        match attrs.filter(|a| !a.is_empty()) {
            None => w.write(2, "VolumeAttributes:\t<none>\n"),
            Some(a) => {
                // printCSIPersistentVolumeAttributesMultilineIndent: each `key=value` written
                // at LEVEL_2 after the tab, cut at maxAnnotationLen bytes with `...`.
                for (i, (k, val)) in a.iter().enumerate() {
                    if i == 0 {
                        w.write(2, "VolumeAttributes:\t");
                    } else {
                        w.write(2, "");
                        w.write(2, "\t");
                    }
                    let line = shorten(&format!("{k}={}", val.as_str().unwrap_or_default()), MAX_ANNOTATION_LEN);
                    w.write(2, &format!("{line}\n"));
                }
            }
        }
    } else if let Some(n) = s.nfs.as_deref() {
        let text = format!("    Server:\t{}\n    Path:\t{}\n    ReadOnly:\t{}\n", str_at(n, "server"), str_at(n, "path"), bool_at(n, "readOnly"));
        w.write(2, &format!("Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n{text}"));
    } else if let Some(l) = s.local.as_deref() {
        w.write(2, &format!("Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n    Path:\t{}\n", str_at(l, "path")));
    } else {
        w.write(2, "Type:\t(ksim does not describe this volume source)\n");
    }
    events(&mut w, evs, now);
    tabbed(&w.out)
}

/// describeQuota: status.hard by name, each with its use (re-expressed in the hard
/// value's format when they differ, as `resource.NewQuantity(used.Value(), format)`).
pub fn resource_quota(q: &sim_core::api::resource_quota::ResourceQuota) -> String {
    use sim_core::api::quantity::Format;
    let mut w = PrefixWriter::default();
    w.write(0, &format!("Name:\t{}\n", q.metadata.name));
    w.write(0, &format!("Namespace:\t{}\n", q.metadata.namespace));
    if !q.spec.scopes.is_empty() {
        let mut scopes = q.spec.scopes.clone();
        scopes.sort();
        w.write(0, &format!("Scopes:\t{}\n", scopes.join(", ")));
        for s in &scopes {
            let help = match s.as_str() {
                "Terminating" => "Matches all pods that have an active deadline. These pods have a limited lifespan on a node before being actively terminated by the system.",
                "NotTerminating" => "Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.",
                "BestEffort" => "Matches all pods that do not have resource requirements set. These pods have a best effort quality of service.",
                "NotBestEffort" => "Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service.",
                _ => "",
            };
            if !help.is_empty() {
                w.write(0, &format!(" * {help}\n"));
            }
        }
    }
    w.write(0, "Resource\tUsed\tHard\n");
    w.write(0, "--------\t----\t----\n");
    for (r, hard) in &q.status.hard {
        let used = q.status.used.get(r).cloned().unwrap_or_default();
        let used = if used.format() == hard.format() {
            used
        } else {
            match hard.format() {
                Format::BinarySI => Quantity::from_bytes(used.value()),
                Format::DecimalSI => Quantity::from_value(used.value()),
                Format::DecimalExponent => used,
            }
        };
        w.write(0, &format!("{r}\t{used}\t{hard}\n"));
    }
    tabbed(&w.out)
}

/// describeLimitRange: one row per item and resource (sorted; upstream walks a Go map),
/// `-` for what the item does not set.
pub fn limit_range(l: &sim_core::api::limit_range::LimitRange) -> String {
    let mut w = PrefixWriter::default();
    w.write(0, &format!("Name:\t{}\n", l.metadata.name));
    w.write(0, &format!("Namespace:\t{}\n", l.metadata.namespace));
    w.write(0, "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n");
    w.write(0, "----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n");
    for item in &l.spec.limits {
        let mut keys: Vec<&String> = item
            .max
            .keys()
            .chain(item.min.keys())
            .chain(item.default.keys())
            .chain(item.default_request.keys())
            .chain(item.max_limit_request_ratio.keys())
            .collect();
        keys.sort();
        keys.dedup();
        let cell = |m: &sim_core::api::pod::ResourceList, k: &str| m.get(k).map_or("-".to_string(), |q| q.to_string());
        for k in keys {
            w.write(
                0,
                &format!(
                    "{}\t{k}\t{}\t{}\t{}\t{}\t{}\n",
                    item.type_,
                    cell(&item.min, k),
                    cell(&item.max, k),
                    cell(&item.default_request, k),
                    cell(&item.default, k),
                    cell(&item.max_limit_request_ratio, k)
                ),
            );
        }
    }
    tabbed(&w.out)
}

/// describeStorageClass.
pub fn storage_class(c: &sim_core::api::storage::StorageClass, now: SimTime, evs: &[&Event]) -> String {
    let mut w = PrefixWriter::default();
    w.write(0, &format!("Name:\t{}\n", c.metadata.name));
    w.write(0, &format!("IsDefaultClass:\t{}\n", if sim_core::api::storage::is_default_class(&c.metadata) { "Yes" } else { "No" }));
    w.write(0, &format!("Annotations:\t{}\n", format_labels(&c.metadata.annotations)));
    w.write(0, &format!("Provisioner:\t{}\n", c.provisioner));
    w.write(0, &format!("Parameters:\t{}\n", format_labels(&c.parameters)));
    let expansion = match c.allow_volume_expansion {
        None => "<unset>",
        Some(true) => "True",
        Some(false) => "False",
    };
    w.write(0, &format!("AllowVolumeExpansion:\t{expansion}\n"));
    if c.mount_options.is_empty() {
        w.write(0, "MountOptions:\t<none>\n");
    } else {
        w.write(0, "MountOptions:\n");
        for o in &c.mount_options {
            w.write(1, &format!("{o}\n"));
        }
    }
    if let Some(p) = &c.reclaim_policy {
        w.write(0, &format!("ReclaimPolicy:\t{p}\n"));
    }
    if let Some(b) = &c.volume_binding_mode {
        w.write(0, &format!("VolumeBindingMode:\t{b}\n"));
    }
    if !c.allowed_topologies.is_empty() {
        w.write(0, "AllowedTopologies:\t");
        w.write_line("");
        for (i, t) in c.allowed_topologies.iter().enumerate() {
            w.write(1, &format!("Term {i}:\t"));
            if t.match_label_expressions.is_empty() {
                w.write_line("<none>");
            }
            for (j, r) in t.match_label_expressions.iter().enumerate() {
                if j != 0 {
                    w.write(1, "\t");
                }
                let mut e = format!("{} in", r.key);
                if !r.values.is_empty() {
                    e = format!("{e} [{}]", r.values.join(", "));
                }
                w.write(0, &format!("{e}\n"));
            }
        }
    }
    events(&mut w, evs, now);
    tabbed(&w.out)
}

/// getPodStatusForController: the pods matching the selector whose controller is the
/// object (its uid), counted by phase: Running, Pending (`Waiting`), Succeeded, Failed.
fn pod_status_for_controller(sim: &sim_core::Simulation, namespace: &str, uid: &str, selector: Option<&sim_core::api::meta::LabelSelector>) -> String {
    use sim_core::api::Kind;
    let (mut running, mut waiting, mut succeeded, mut failed) = (0, 0, 0, 0);
    for p in sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()) {
        if p.metadata.namespace != namespace || p.metadata.controller_ref().is_none_or(|r| r.uid != uid) {
            continue;
        }
        // LabelSelectorAsSelector: a nil selector selects nothing, an empty one everything.
        if !selector.is_some_and(|s| s.matches(&p.metadata.labels)) {
            continue;
        }
        match &*p.status.phase {
            "Running" => running += 1,
            "Pending" => waiting += 1,
            "Succeeded" => succeeded += 1,
            "Failed" => failed += 1,
            _ => {}
        }
    }
    format!("{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed")
}

/// A controller's `Conditions:` table (Type, Status, Reason), written only when it has
/// some.
fn replica_conditions(w: &mut PrefixWriter, conditions: &[sim_core::api::replica_set::ReplicaSetCondition]) {
    if conditions.is_empty() {
        return;
    }
    w.write(0, "Conditions:\n  Type\tStatus\tReason\n");
    w.write(1, "----\t------\t------\n");
    for c in conditions {
        w.write(1, &format!("{} \t{}\t{}\n", c.type_, c.status, c.reason));
    }
}

/// metav1.FormatLabelSelector: the selector's string, `<none>` when it selects
/// everything or nothing.
fn format_label_selector(s: Option<&sim_core::api::meta::LabelSelector>) -> String {
    let l = s.map(|s| s.to_selector_string()).unwrap_or_default();
    if l.is_empty() {
        "<none>".into()
    } else {
        l
    }
}

/// describeReplicaSet: selector, labels, annotations, `Controlled By`, `Replicas: N
/// current / M desired`, the pods by phase (getPodStatusForController), the pod template,
/// the conditions and the Events.
pub fn replica_set(rs: &sim_core::api::replica_set::ReplicaSet, sim: &sim_core::Simulation, evs: &[&Event]) -> String {
    let mut w = PrefixWriter::default();
    let m = &rs.metadata;
    w.write(0, &format!("Name:\t{}\n", m.name));
    w.write(0, &format!("Namespace:\t{}\n", m.namespace));
    w.write(0, &format!("Selector:\t{}\n", format_label_selector(rs.spec.selector.as_ref())));
    labels_multiline(&mut w, "Labels", &m.labels);
    annotations_multiline(&mut w, "Annotations", &m.annotations);
    if let Some(r) = m.controller_ref() {
        w.write(0, &format!("Controlled By:\t{}/{}\n", r.kind, r.name));
    }
    w.write(0, &format!("Replicas:\t{} current / {} desired\n", rs.status.replicas, rs.replicas()));
    w.write(0, &format!("Pods Status:\t{}\n", pod_status_for_controller(sim, &m.namespace, &m.uid, rs.spec.selector.as_ref())));
    w.out.push_str(&pod_template(&rs.spec.template));
    replica_conditions(&mut w, &rs.status.conditions);
    events(&mut w, evs, sim.now);
    tabbed(&w.out)
}

/// describeReplicationController: as describeReplicaSet with the selector as a label set
/// (labels.FormatLabels) and no `Controlled By`; a missing template prints `<unset>` with
/// no line end, as upstream does.
pub fn replication_controller(rc: &sim_core::api::replication_controller::ReplicationController, sim: &sim_core::Simulation, evs: &[&Event]) -> String {
    let mut w = PrefixWriter::default();
    let m = &rc.metadata;
    w.write(0, &format!("Name:\t{}\n", m.name));
    w.write(0, &format!("Namespace:\t{}\n", m.namespace));
    w.write(0, &format!("Selector:\t{}\n", format_labels(&rc.spec.selector)));
    labels_multiline(&mut w, "Labels", &m.labels);
    annotations_multiline(&mut w, "Annotations", &m.annotations);
    w.write(0, &format!("Replicas:\t{} current / {} desired\n", rc.status.replicas, rc.replicas()));
    // labels.SelectorFromSet: an empty set selects everything.
    let selector = sim_core::api::meta::LabelSelector { match_labels: rc.spec.selector.clone(), match_expressions: Vec::new() };
    w.write(0, &format!("Pods Status:\t{}\n", pod_status_for_controller(sim, &m.namespace, &m.uid, Some(&selector))));
    match &rc.spec.template {
        Some(t) => w.out.push_str(&pod_template(t)),
        None => w.write(0, "Pod Template:\n  <unset>"),
    }
    replica_conditions(&mut w, &rc.status.conditions);
    events(&mut w, evs, sim.now);
    tabbed(&w.out)
}

/// describeDaemonSet: selector, the template's node selector (labels.FormatLabels), the
/// status counts (written with `: ` and no tab, as upstream does), the pods by phase, the
/// pod template and the Events; no `Controlled By`, no conditions.
pub fn daemon_set(ds: &sim_core::api::daemon_set::DaemonSet, sim: &sim_core::Simulation, evs: &[&Event]) -> String {
    let mut w = PrefixWriter::default();
    let (m, st) = (&ds.metadata, &ds.status);
    w.write(0, &format!("Name:\t{}\n", m.name));
    w.write(0, &format!("Namespace:\t{}\n", m.namespace));
    // labels.Selector's String: empty for a selector that selects everything.
    w.write(0, &format!("Selector:\t{}\n", ds.spec.selector.as_ref().map(|s| s.to_selector_string()).unwrap_or_default()));
    w.write(0, &format!("Node-Selector:\t{}\n", format_labels(&ds.spec.template.spec.node_selector)));
    labels_multiline(&mut w, "Labels", &m.labels);
    annotations_multiline(&mut w, "Annotations", &m.annotations);
    w.write(0, &format!("Desired Number of Nodes Scheduled: {}\n", st.desired_number_scheduled));
    w.write(0, &format!("Current Number of Nodes Scheduled: {}\n", st.current_number_scheduled));
    w.write(0, &format!("Number of Nodes Scheduled with Up-to-date Pods: {}\n", st.updated_number_scheduled));
    w.write(0, &format!("Number of Nodes Scheduled with Available Pods: {}\n", st.number_available));
    w.write(0, &format!("Number of Nodes Misscheduled: {}\n", st.number_misscheduled));
    w.write(0, &format!("Pods Status:\t{}\n", pod_status_for_controller(sim, &m.namespace, &m.uid, ds.spec.selector.as_ref())));
    w.out.push_str(&pod_template(&ds.spec.template));
    events(&mut w, evs, sim.now);
    tabbed(&w.out)
}

/// IngressDescriber.describeBackendV1: a Service backend as `svc:port (endpoints)` —
/// the ready endpoints of the Service port the backend names (by number or name;
/// formatEndpointSlices), `<error: …>` in the parentheses when the Service is missing;
/// a resource backend as `APIGroup: G, Kind: K, Name: N`.
fn ingress_backend(sim: &sim_core::Simulation, namespace: &str, b: &sim_core::api::ingress::IngressBackend) -> String {
    use sim_core::api::Kind;
    if let Some(s) = &b.service {
        // serviceBackendStringer.
        let port = if s.port.number != 0 { s.port.number.to_string() } else { s.port.name.clone() };
        let sb = format!("{}:{port}", s.name);
        let Some(svc) = sim.api.store.get_parts(&Kind::Service, namespace, &s.name).and_then(|o| o.as_service()) else {
            return format!("{sb} (<error: services {:?} not found>)", s.name);
        };
        let mut sp_name = "";
        for p in &svc.spec.ports {
            let name = p.name.as_deref().unwrap_or("");
            if (s.port.number != 0 && s.port.number == p.port) || (!s.port.name.is_empty() && s.port.name == name) {
                sp_name = name;
            }
        }
        let slices: Vec<&sim_core::api::endpoints::EndpointSlice> =
            sim.api.store.list(&Kind::EndpointSlice).filter_map(|o| o.as_endpoint_slice()).filter(|e| e.is_for(namespace, &s.name)).collect();
        return format!("{sb} ({})", format_endpoint_slices(&slices, sp_name));
    }
    if let Some(r) = b.resource.as_deref() {
        let group = r.get("apiGroup").and_then(Value::as_str).unwrap_or("<none>");
        return format!("APIGroup: {group}, Kind: {}, Name: {}", str_at(r, "kind"), str_at(r, "name"));
    }
    String::new()
}

/// IngressDescriber.describeIngressV1: Labels before Namespace, the load balancer's
/// addresses (ingressLoadBalancerStatusStringerV1: each ip, else hostname, sorted and
/// deduplicated), the class, the default backend, the TLS hosts (describeIngressTLSV1),
/// the Host / Path / Backends table (a rule without host is `*`; rules without http are
/// skipped; none left: one `*  *  DEFAULT` row), the annotations after the rules, and the
/// Events.
pub fn ingress(ing: &sim_core::api::ingress::Ingress, sim: &sim_core::Simulation, evs: &[&Event]) -> String {
    let mut w = PrefixWriter::default();
    let (m, sp) = (&ing.metadata, &ing.spec);
    w.write(0, &format!("Name:\t{}\n", m.name));
    labels_multiline(&mut w, "Labels", &m.labels);
    w.write(0, &format!("Namespace:\t{}\n", m.namespace));
    let mut addresses: Vec<&str> = ing
        .status
        .as_deref()
        .and_then(|s| s.pointer("/loadBalancer/ingress"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| [str_at(i, "ip"), str_at(i, "hostname")].into_iter().find(|s| !s.is_empty()))
        .collect();
    addresses.sort_unstable();
    addresses.dedup();
    w.write(0, &format!("Address:\t{}\n", addresses.join(",")));
    w.write(0, &format!("Ingress Class:\t{}\n", sp.ingress_class_name.as_deref().unwrap_or("<none>")));
    let default_backend = sp.default_backend.as_ref().map_or("<default>".to_string(), |b| ingress_backend(sim, &m.namespace, b));
    w.write(0, &format!("Default backend:\t{default_backend}\n"));
    if !sp.tls.is_empty() {
        w.write(0, "TLS:\n");
        for t in &sp.tls {
            match t.secret_name.as_deref().filter(|s| !s.is_empty()) {
                None => w.write(1, &format!("SNI routes {}\n", t.hosts.join(","))),
                Some(s) => w.write(1, &format!("{s} terminates {}\n", t.hosts.join(","))),
            }
        }
    }
    w.write(0, "Rules:\n  Host\tPath\tBackends\n");
    w.write(1, "----\t----\t--------\n");
    let mut count = 0;
    for rule in &sp.rules {
        let Some(http) = &rule.http else { continue };
        count += 1;
        w.write(1, &format!("{}\t\n", if rule.host.is_empty() { "*" } else { &rule.host }));
        for p in &http.paths {
            w.write(2, &format!("\t{} \t{}\n", p.path, ingress_backend(sim, &m.namespace, &p.backend)));
        }
    }
    if count == 0 {
        w.write(1, &format!("*\t*\t{default_backend}\n"));
    }
    annotations_multiline(&mut w, "Annotations", &m.annotations);
    events(&mut w, evs, sim.now);
    tabbed(&w.out)
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
