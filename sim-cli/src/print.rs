//! kubectl-style output: `get` tables (with `-o wide`), JSON Lists and YAML.

use serde_json::{json, Value};
use sim_core::api::meta::Time;
use sim_core::api::{Kind, Object};
use sim_core::engine::time::human_duration;
use sim_core::engine::SimTime;
use sim_core::trace::node_status;
use std::io::Write;
use std::rc::Rc;

/// Lays out rows as kubectl does: columns separated by three spaces, left-aligned.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut tw = tabwriter::TabWriter::new(Vec::new()).padding(3);
    let _ = writeln!(tw, "{}", header.join("\t"));
    for r in rows {
        let _ = writeln!(tw, "{}", r.join("\t"));
    }
    let _ = tw.flush();
    String::from_utf8(tw.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn age(t: Option<Time>, now: SimTime) -> String {
    t.map_or("<unknown>".into(), |t| human_duration(now.since(t.0)))
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "<none>".into()
    } else {
        s.to_string()
    }
}

/// formatHPAMetrics: each metric `current/target` (`<unknown>` before a status), the
/// first two, then `+ N more...`.
pub fn hpa_targets(a: &sim_core::api::horizontal_pod_autoscaler::HorizontalPodAutoscaler) -> String {
    if a.spec.metrics.is_empty() {
        return "<none>".into();
    }
    let unknown = || "<unknown>".to_string();
    let q = |v: &Option<sim_core::api::quantity::Quantity>| v.as_ref().map_or("<nil>".to_string(), |q| q.to_string());
    let mut list = Vec::new();
    for (i, m) in a.spec.metrics.iter().enumerate() {
        let st = a.status.current_metrics.get(i);
        let cell = match m.type_.as_str() {
            "Resource" | "ContainerResource" => {
                let (name, target) = match (&m.resource, &m.container_resource) {
                    (Some(r), _) => (r.name.clone(), r.target.clone()),
                    (None, Some(c)) => (c.name.clone(), c.target.clone()),
                    _ => (String::new(), Default::default()),
                };
                let current = st.and_then(|s| s.resource.as_ref().map(|r| &r.current).or(s.container_resource.as_ref().map(|c| &c.current)));
                if target.average_value.is_some() {
                    format!("{name}: {}/{}", current.map_or_else(unknown, |c| q(&c.average_value)), q(&target.average_value))
                } else {
                    let cur = current.and_then(|c| c.average_utilization).map_or_else(unknown, |u| format!("{u}%"));
                    let tgt = target.average_utilization.map_or("<auto>".to_string(), |u| format!("{u}%"));
                    format!("{name}: {cur}/{tgt}")
                }
            }
            // Pods, Object and External: no adapter serves them in ksim.
            _ => "<unknown>/<unknown>".into(),
        };
        list.push(cell);
    }
    let count = list.len();
    if count > 2 {
        list.truncate(2);
        return format!("{} + {} more...", list.join(", "), count - 2);
    }
    list.join(", ")
}

pub fn pod_rows(pods: &[Rc<Object>], now: SimTime, wide: bool, with_ns: bool) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut header = vec!["NAME", "READY", "STATUS", "RESTARTS", "AGE"];
    if with_ns {
        header.insert(0, "NAMESPACE");
    }
    if wide {
        header.extend(["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    }
    let rows = pods
        .iter()
        .filter_map(|o| o.as_pod())
        .map(|p| {
            let cols = sim_core::trace::pod_columns(p);
            let mut r = vec![
                p.metadata.name.to_string(),
                format!("{}/{}", cols.ready, cols.total),
                cols.status.to_string(),
                restarts(&cols, now),
                age(p.metadata.creation_timestamp, now),
            ];
            if with_ns {
                r.insert(0, p.metadata.namespace.to_string());
            }
            if wide {
                r.extend([or_none(&p.status.pod_ip), or_none(&p.spec.node_name), or_none(&p.status.nominated_node_name), "<none>".into()]);
            }
            r
        })
        .collect();
    (header, rows)
}

/// RESTARTS: the count, with how long ago the last one was.
fn restarts(cols: &sim_core::trace::PodColumns, now: SimTime) -> String {
    let n = cols.restarts;
    match cols.last_restart {
        Some(t) if n > 0 => format!("{n} ({} ago)", human_duration(now.since(t.0))),
        _ => n.to_string(),
    }
}

fn roles(labels: &std::collections::BTreeMap<String, String>) -> String {
    let mut r: Vec<String> = labels.keys().filter_map(|k| k.strip_prefix("node-role.kubernetes.io/")).filter(|s| !s.is_empty()).map(String::from).collect();
    if let Some(v) = labels.get("kubernetes.io/role") {
        r.push(v.clone());
    }
    r.sort();
    r.dedup();
    if r.is_empty() {
        "<none>".into()
    } else {
        r.join(",")
    }
}

/// The CONTAINERS, IMAGES and SELECTOR columns of a workload's `-o wide`.
fn workload_columns(t: &sim_core::api::pod::PodTemplateSpec, selector: Option<&sim_core::api::meta::LabelSelector>) -> [String; 3] {
    let c = &t.spec.containers;
    [
        c.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(","),
        c.iter().map(|c| c.image.as_str()).collect::<Vec<_>>().join(","),
        selector.map(|s| s.to_selector_string()).unwrap_or_default(),
    ]
}

/// labels.FormatLabels: `k=v,…` sorted by key, `<none>` when empty.
fn format_labels(m: &std::collections::BTreeMap<String, String>) -> String {
    or_none(&m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","))
}

/// kubectl's printJob: STATUS from the conditions, COMPLETIONS (`1/3`, `0/1 of 2` for a
/// work queue), DURATION from startTime to completionTime (or now).
fn job_rows(objs: &[Rc<Object>], now: SimTime, wide: bool) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut h = vec!["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"];
    if wide {
        h.extend(["CONTAINERS", "IMAGES", "SELECTOR"]);
    }
    let rows = objs
        .iter()
        .filter_map(|o| o.as_job())
        .map(|j| {
            let duration = match (j.status.start_time, j.status.completion_time) {
                (None, _) => String::new(),
                (Some(s), None) => human_duration(now.since(s.0)),
                (Some(s), Some(c)) => human_duration(c.0.since(s.0)),
            };
            let mut r =
                vec![j.metadata.name.to_string(), j.kubectl_status().into(), j.kubectl_completions(), duration, age(j.metadata.creation_timestamp, now)];
            if wide {
                let [c, i, sel] = workload_columns(&j.spec.template, j.spec.selector.as_ref());
                r.extend([c, i, or_none(&sel)]);
            }
            r
        })
        .collect();
    (h, rows)
}

/// kubectl's printCronJob: schedule, time zone, suspend (printBoolPtr), active Jobs, last
/// schedule.
fn cron_job_rows(objs: &[Rc<Object>], now: SimTime, wide: bool) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut h = vec!["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"];
    if wide {
        h.extend(["CONTAINERS", "IMAGES", "SELECTOR"]);
    }
    let rows = objs
        .iter()
        .filter_map(|o| o.as_cron_job())
        .map(|c| {
            let suspend = match c.spec.suspend {
                Some(true) => "True",
                Some(false) => "False",
                None => "<unset>",
            };
            let mut r = vec![
                c.metadata.name.to_string(),
                c.spec.schedule.clone(),
                c.spec.time_zone.clone().unwrap_or_else(|| "<none>".into()),
                suspend.into(),
                c.status.active.len().to_string(),
                c.status.last_schedule_time.map_or("<none>".into(), |t| human_duration(now.since(t.0))),
                age(c.metadata.creation_timestamp, now),
            ];
            if wide {
                let t = &c.spec.job_template.spec;
                let [cs, i, sel] = workload_columns(&t.template, t.selector.as_ref());
                r.extend([cs, i, or_none(&sel)]);
            }
            r
        })
        .collect();
    (h, rows)
}

/// kubectl's printDaemonSet: the status counts, the template's node selector, and with
/// `-o wide` the containers, images and selector (metav1.FormatLabelSelector).
fn daemon_set_rows(objs: &[Rc<Object>], now: SimTime, wide: bool) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut h = vec!["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"];
    if wide {
        h.extend(["CONTAINERS", "IMAGES", "SELECTOR"]);
    }
    let rows = objs
        .iter()
        .filter_map(|o| o.as_daemon_set())
        .map(|ds| {
            let s = &ds.status;
            let mut r = vec![
                ds.metadata.name.to_string(),
                s.desired_number_scheduled.to_string(),
                s.current_number_scheduled.to_string(),
                s.number_ready.to_string(),
                s.updated_number_scheduled.to_string(),
                s.number_available.to_string(),
                format_labels(&ds.spec.template.spec.node_selector),
                age(ds.metadata.creation_timestamp, now),
            ];
            if wide {
                let [c, i, sel] = workload_columns(&ds.spec.template, ds.spec.selector.as_ref());
                r.extend([c, i, or_none(&sel)]);
            }
            r
        })
        .collect();
    (h, rows)
}

/// kubectl's printReplicationController; `-o wide` adds containers, images and the
/// selector (labels.FormatLabels).
fn replication_controller_rows(objs: &[Rc<Object>], now: SimTime, wide: bool) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut h = vec!["NAME", "DESIRED", "CURRENT", "READY", "AGE"];
    if wide {
        h.extend(["CONTAINERS", "IMAGES", "SELECTOR"]);
    }
    let rows = objs
        .iter()
        .filter_map(|o| o.as_replication_controller())
        .map(|rc| {
            let mut r = vec![
                rc.metadata.name.to_string(),
                rc.replicas().to_string(),
                rc.status.replicas.to_string(),
                rc.status.ready_replicas.to_string(),
                age(rc.metadata.creation_timestamp, now),
            ];
            if wide {
                let template = rc.spec.template.clone().unwrap_or_default();
                let [c, i, _] = workload_columns(&template, None);
                r.extend([c, i, format_labels(&rc.spec.selector)]);
            }
            r
        })
        .collect();
    (h, rows)
}

/// kubectl's printControllerRevision: the controller as `kind.group/name`.
fn controller_revision_rows(objs: &[Rc<Object>], now: SimTime) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let h = vec!["NAME", "CONTROLLER", "REVISION", "AGE"];
    let rows = objs
        .iter()
        .filter_map(|o| o.as_controller_revision())
        .map(|cr| {
            let controller = cr.metadata.controller_ref().map_or("<none>".to_string(), |r| {
                let group = r.api_version.split_once('/').map_or("", |(g, _)| g);
                let kind = if group.is_empty() { r.kind.clone() } else { format!("{}.{group}", r.kind) };
                format!("{}/{}", kind.to_ascii_lowercase(), r.name)
            });
            vec![cr.metadata.name.to_string(), controller, cr.revision.to_string(), age(cr.metadata.creation_timestamp, now)]
        })
        .collect();
    (h, rows)
}

/// schema.GroupKind.String(): `Deployment.apps`, `Pod` (core kinds have no group).
pub fn group_kind(kind: &Kind) -> String {
    match kind.group() {
        "" => kind.name().to_string(),
        g => format!("{}.{g}", kind.name()),
    }
}

/// What kubectl writes before a name when it names the kind too (the NamePrinter, and
/// `get` with several kinds): `deployment.apps/web`, `pod/web-1`.
pub fn kind_slash_name(kind: &Kind, name: &str) -> String {
    format!("{}/{name}", group_kind(kind).to_ascii_lowercase())
}

/// decorateTable with WithKind: the NAME column's cells become `kind.group/name`
/// (tables without a NAME column, as Events', are left alone).
pub fn prefix_kind(kind: &Kind, header: &[&str], rows: &mut [Vec<String>]) {
    let Some(i) = header.iter().position(|h| *h == "NAME") else { return };
    for r in rows.iter_mut() {
        if let Some(cell) = r.get_mut(i) {
            *cell = kind_slash_name(kind, cell);
        }
    }
}

/// kubectl's getServiceExternalIP: the external IPs, the load balancer's ingress
/// (`<pending>` until it has one; cut to 13 characters and `...` past 16 unless wide),
/// or the external name.
fn service_external_ip(s: &sim_core::api::service::Service, wide: bool) -> String {
    let external = s.spec.external_ips.clone().unwrap_or_default();
    match s.type_name() {
        "ClusterIP" | "NodePort" if !external.is_empty() => external.join(","),
        "ClusterIP" | "NodePort" => "<none>".into(),
        "LoadBalancer" => {
            let mut lb = s.load_balancer_ingress().join(",");
            if !wide && lb.chars().count() > 16 {
                lb = format!("{}...", lb.chars().take(13).collect::<String>());
            }
            let mut all: Vec<String> = if lb.is_empty() { Vec::new() } else { lb.split(',').map(str::to_string).collect() };
            all.extend(external);
            if all.is_empty() {
                "<pending>".into()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => s.spec.external_name.clone().unwrap_or_default(),
        _ => "<unknown>".into(),
    }
}

/// listWithMoreString: the first 3, then ` + N more...`; `<unset>` for none.
fn list_with_more(items: impl Iterator<Item = String>) -> String {
    let all: Vec<String> = items.collect();
    match all.len() {
        0 => "<unset>".into(),
        n if n > 3 => format!("{} + {} more...", all[..3].join(","), n - 3),
        _ => all.join(","),
    }
}

/// formatEndpoints: each subset's ready addresses as ip:port for each port (ip alone
/// when the subset has no ports), 3 shown then ` + N more...`; `<none>` without subsets.
fn format_endpoints(e: &sim_core::api::endpoints::Endpoints) -> String {
    if e.subsets.is_empty() {
        return "<none>".into();
    }
    let mut list = Vec::new();
    let mut count = 0;
    for ss in &e.subsets {
        if ss.ports.is_empty() {
            count += ss.addresses.len();
            list.extend(ss.addresses.iter().map(|a| a.ip.clone()));
            continue;
        }
        for p in &ss.ports {
            count += ss.addresses.len();
            list.extend(ss.addresses.iter().map(|a| format!("{}:{}", a.ip, p.port)));
        }
    }
    if count > 3 {
        list.truncate(3);
        return format!("{} + {} more...", list.join(","), count - 3);
    }
    list.join(",")
}

/// Header and rows for `kubectl get <kind>`.
pub fn rows(kind: &Kind, objs: &[Rc<Object>], now: SimTime, wide: bool, with_ns: bool) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let ns_col = |mut h: Vec<&'static str>, mut rows: Vec<Vec<String>>| {
        if with_ns && kind.namespaced() {
            h.insert(0, "NAMESPACE");
            for (r, o) in rows.iter_mut().zip(objs) {
                r.insert(0, o.meta().namespace.to_string());
            }
        }
        (h, rows)
    };
    match kind {
        Kind::Pod => pod_rows(objs, now, wide, with_ns),
        Kind::Node => {
            // printNode: -o wide adds the first InternalIP and ExternalIP addresses
            // (`<none>`) and the node info (`<unknown>` when empty); no pod CIDR column
            // (`ksim describe node` prints PodCIDR).
            let mut h = vec!["NAME", "STATUS", "ROLES", "AGE", "VERSION"];
            if wide {
                h.extend(["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]);
            }
            let rows = objs
                .iter()
                .filter_map(|o| o.as_node())
                .map(|n| {
                    let info = n.status.node_info.as_deref().cloned().unwrap_or(Value::Null);
                    let s = |k: &str| info.get(k).and_then(Value::as_str).unwrap_or("<unknown>").to_string();
                    let mut r = vec![
                        n.metadata.name.to_string(),
                        node_status(n),
                        roles(&n.metadata.labels),
                        age(n.metadata.creation_timestamp, now),
                        s("kubeletVersion"),
                    ];
                    if wide {
                        let external = n.status.addresses.iter().find(|a| a.type_ == "ExternalIP").map_or("<none>".to_string(), |a| a.address.clone());
                        r.extend([or_none(n.internal_ip()), external, s("osImage"), s("kernelVersion"), s("containerRuntimeVersion")]);
                    }
                    r
                })
                .collect();
            (h, rows)
        }
        Kind::Deployment => {
            let mut h = vec!["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"];
            if wide {
                h.extend(["CONTAINERS", "IMAGES", "SELECTOR"]);
            }
            let rows = objs
                .iter()
                .filter_map(|o| o.as_deployment())
                .map(|d| {
                    let mut r = vec![
                        d.metadata.name.to_string(),
                        format!("{}/{}", d.status.ready_replicas, d.replicas()),
                        d.status.updated_replicas.to_string(),
                        d.status.available_replicas.to_string(),
                        age(d.metadata.creation_timestamp, now),
                    ];
                    if wide {
                        r.extend(workload_columns(&d.spec.template, d.spec.selector.as_ref()));
                    }
                    r
                })
                .collect();
            ns_col(h, rows)
        }
        Kind::ReplicaSet => {
            let mut h = vec!["NAME", "DESIRED", "CURRENT", "READY", "AGE"];
            if wide {
                h.extend(["CONTAINERS", "IMAGES", "SELECTOR"]);
            }
            let rows = objs
                .iter()
                .filter_map(|o| o.as_replica_set())
                .map(|rs| {
                    let mut r = vec![
                        rs.metadata.name.to_string(),
                        rs.replicas().to_string(),
                        rs.status.replicas.to_string(),
                        rs.status.ready_replicas.to_string(),
                        age(rs.metadata.creation_timestamp, now),
                    ];
                    if wide {
                        r.extend(workload_columns(&rs.spec.template, rs.spec.selector.as_ref()));
                    }
                    r
                })
                .collect();
            ns_col(h, rows)
        }
        Kind::NetworkPolicy => {
            // printNetworkPolicy: metav1.FormatLabelSelector of spec.podSelector.
            let h = vec!["NAME", "POD-SELECTOR", "AGE"];
            let rows = objs
                .iter()
                .filter_map(|o| o.as_network_policy())
                .map(|p| vec![p.metadata.name.to_string(), or_none(&p.spec.pod_selector.to_selector_string()), age(p.metadata.creation_timestamp, now)])
                .collect();
            ns_col(h, rows)
        }
        Kind::Ingress => {
            // printIngress: CLASS <none> without spec.ingressClassName; formatHosts (up to
            // 3, then "+ N more..."); ingressLoadBalancerStatusStringer (sorted, unique, cut
            // past 16 unless wide; blank without status); formatPorts.
            let h = vec!["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"];
            let rows = objs
                .iter()
                .filter_map(|o| o.as_ingress())
                .map(|i| {
                    let mut hosts: Vec<&str> = Vec::new();
                    let mut more = false;
                    for r in &i.spec.rules {
                        if hosts.len() == 3 {
                            more = true;
                        }
                        if !more && !r.host.is_empty() {
                            hosts.push(&r.host);
                        }
                    }
                    let hosts = match (hosts.is_empty(), more) {
                        (true, _) => "*".to_string(),
                        (false, true) => format!("{} + {} more...", hosts.join(","), i.spec.rules.len() - 3),
                        (false, false) => hosts.join(","),
                    };
                    let mut addrs = i.addresses();
                    addrs.sort();
                    addrs.dedup();
                    let mut address = addrs.join(",");
                    if !wide && address.len() > 16 {
                        address = format!("{}...", &address[..13]);
                    }
                    let ports = if i.spec.tls.is_empty() { "80" } else { "80, 443" };
                    vec![
                        i.metadata.name.to_string(),
                        i.spec.ingress_class_name.clone().unwrap_or_else(|| "<none>".into()),
                        hosts,
                        address,
                        ports.to_string(),
                        age(i.metadata.creation_timestamp, now),
                    ]
                })
                .collect();
            ns_col(h, rows)
        }
        Kind::IngressClass => {
            // printIngressClass: PARAMETERS Kind[.APIGroup]/Name or <none>.
            let h = vec!["NAME", "CONTROLLER", "PARAMETERS", "AGE"];
            let rows = objs
                .iter()
                .filter_map(|o| o.as_ingress_class())
                .map(|c| {
                    let params = c.spec.parameters.as_ref().map_or("<none>".to_string(), |p| {
                        let s = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
                        let group = s("apiGroup");
                        format!("{}{}/{}", s("kind"), if group.is_empty() { String::new() } else { format!(".{group}") }, s("name"))
                    });
                    vec![c.metadata.name.to_string(), c.spec.controller.clone(), params, age(c.metadata.creation_timestamp, now)]
                })
                .collect();
            (h, rows)
        }
        Kind::PodDisruptionBudget => {
            // printPodDisruptionBudget: N/A for the bound not set.
            let h = vec!["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"];
            let na = |v: &Option<sim_core::api::meta::IntOrString>| v.as_ref().map_or("N/A".to_string(), |v| v.to_string());
            let rows = objs
                .iter()
                .filter_map(|o| o.as_pdb())
                .map(|p| {
                    vec![
                        p.metadata.name.to_string(),
                        na(&p.spec.min_available),
                        na(&p.spec.max_unavailable),
                        p.status.disruptions_allowed.to_string(),
                        age(p.metadata.creation_timestamp, now),
                    ]
                })
                .collect();
            ns_col(h, rows)
        }
        Kind::DaemonSet => {
            let (h, rows) = daemon_set_rows(objs, now, wide);
            ns_col(h, rows)
        }
        Kind::Job => {
            let (h, rows) = job_rows(objs, now, wide);
            ns_col(h, rows)
        }
        Kind::StatefulSet => {
            // printStatefulSet: READY ready/desired; wide: containers and images.
            let mut h = vec!["NAME", "READY", "AGE"];
            if wide {
                h.extend(["CONTAINERS", "IMAGES"]);
            }
            let rows = objs
                .iter()
                .filter_map(|o| o.as_stateful_set())
                .map(|s| {
                    let mut r =
                        vec![s.metadata.name.to_string(), format!("{}/{}", s.status.ready_replicas, s.replicas()), age(s.metadata.creation_timestamp, now)];
                    if wide {
                        let [c, i, _] = workload_columns(&s.spec.template, s.spec.selector.as_ref());
                        r.extend([c, i]);
                    }
                    r
                })
                .collect();
            ns_col(h, rows)
        }
        Kind::ConfigMap => {
            // printConfigMap: the number of keys.
            let rows = objs
                .iter()
                .filter_map(|o| o.as_config_map())
                .map(|c| vec![c.metadata.name.to_string(), (c.data.len() + c.binary_data.len()).to_string(), age(c.metadata.creation_timestamp, now)])
                .collect();
            ns_col(vec!["NAME", "DATA", "AGE"], rows)
        }
        Kind::Secret => {
            let rows = objs
                .iter()
                .filter_map(|o| o.as_secret())
                .map(|s| vec![s.metadata.name.to_string(), s.type_.clone(), s.data.len().to_string(), age(s.metadata.creation_timestamp, now)])
                .collect();
            ns_col(vec!["NAME", "TYPE", "DATA", "AGE"], rows)
        }
        Kind::CronJob => {
            let (h, rows) = cron_job_rows(objs, now, wide);
            ns_col(h, rows)
        }
        Kind::PersistentVolume => {
            // printPersistentVolume: CLAIM is namespace/name, Terminating while deleted,
            // VOLUMEATTRIBUTESCLASS <unset>; wide adds VOLUMEMODE.
            use sim_core::api::storage::access_modes_string;
            let mut h = vec!["NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "REASON", "AGE"];
            if wide {
                h.push("VOLUMEMODE");
            }
            let rows = objs
                .iter()
                .filter_map(|o| o.as_pv())
                .map(|v| {
                    let claim = v.spec.claim_ref.as_ref().map(|r| format!("{}/{}", r.namespace, r.name)).unwrap_or_default();
                    let phase = if v.metadata.rare.deletion_timestamp.is_some() { "Terminating".to_string() } else { v.status.phase.clone() };
                    let mut r = vec![
                        v.metadata.name.to_string(),
                        v.storage().map(|q| q.to_string()).unwrap_or_else(|| "0".into()),
                        access_modes_string(&v.spec.access_modes),
                        v.spec.persistent_volume_reclaim_policy.clone(),
                        phase,
                        claim,
                        v.class().to_string(),
                        v.spec.volume_attributes_class_name.clone().unwrap_or_else(|| "<unset>".into()),
                        v.status.reason.clone(),
                        age(v.metadata.creation_timestamp, now),
                    ];
                    if wide {
                        r.push(v.spec.volume_mode.clone().unwrap_or_else(|| "<unset>".into()));
                    }
                    r
                })
                .collect();
            (h, rows)
        }
        Kind::PersistentVolumeClaim => {
            // printPersistentVolumeClaim: VOLUME, CAPACITY (the status') and ACCESS MODES
            // only once a volume is named.
            use sim_core::api::storage::access_modes_string;
            let mut h = vec!["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE"];
            if wide {
                h.push("VOLUMEMODE");
            }
            let rows = objs
                .iter()
                .filter_map(|o| o.as_pvc())
                .map(|c| {
                    let phase = if c.metadata.rare.deletion_timestamp.is_some() { "Terminating".to_string() } else { c.status.phase.clone() };
                    let (cap, modes) = if c.spec.volume_name.is_empty() {
                        (String::new(), String::new())
                    } else {
                        (c.status.capacity.get("storage").map(|q| q.to_string()).unwrap_or_else(|| "0".into()), access_modes_string(&c.status.access_modes))
                    };
                    let mut r = vec![
                        c.metadata.name.to_string(),
                        phase,
                        c.spec.volume_name.clone(),
                        cap,
                        modes,
                        c.class().to_string(),
                        c.spec.volume_attributes_class_name.clone().unwrap_or_else(|| "<unset>".into()),
                        age(c.metadata.creation_timestamp, now),
                    ];
                    if wide {
                        r.push(c.spec.volume_mode.clone().unwrap_or_else(|| "<unset>".into()));
                    }
                    r
                })
                .collect();
            ns_col(h, rows)
        }
        Kind::CSINode => {
            // printCSINode: the number of drivers.
            let rows = objs
                .iter()
                .filter_map(|o| o.as_csi_node())
                .map(|c| vec![c.metadata.name.to_string(), c.spec.drivers.len().to_string(), age(c.metadata.creation_timestamp, now)])
                .collect();
            (vec!["NAME", "DRIVERS", "AGE"], rows)
        }
        Kind::VolumeAttachment => {
            // printVolumeAttachment: the PV name (or the inline spec's), ATTACHED true/false.
            let h = vec!["NAME", "ATTACHER", "PV", "NODE", "ATTACHED", "AGE"];
            let rows = objs
                .iter()
                .filter_map(|o| o.as_volume_attachment())
                .map(|a| {
                    vec![
                        a.metadata.name.to_string(),
                        a.spec.attacher.clone(),
                        a.spec.source.persistent_volume_name.clone().unwrap_or_default(),
                        a.spec.node_name.clone(),
                        a.status.attached.to_string(),
                        age(a.metadata.creation_timestamp, now),
                    ]
                })
                .collect();
            (h, rows)
        }
        Kind::StorageClass => {
            // printStorageClass: " (default)" after a default class's name.
            let h = vec!["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"];
            let rows = objs
                .iter()
                .filter_map(|o| o.as_storage_class())
                .map(|c| {
                    let mut name = c.metadata.name.to_string();
                    if sim_core::api::storage::is_default_class(&c.metadata) {
                        name.push_str(" (default)");
                    }
                    vec![
                        name,
                        c.provisioner.clone(),
                        c.reclaim_policy().to_string(),
                        c.volume_binding_mode().to_string(),
                        c.allow_volume_expansion.unwrap_or(false).to_string(),
                        age(c.metadata.creation_timestamp, now),
                    ]
                })
                .collect();
            (h, rows)
        }
        Kind::ReplicationController => {
            let (h, rows) = replication_controller_rows(objs, now, wide);
            ns_col(h, rows)
        }
        Kind::ControllerRevision => {
            let (h, rows) = controller_revision_rows(objs, now);
            ns_col(h, rows)
        }
        Kind::Event => {
            let h = vec!["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"];
            let rows = objs
                .iter()
                .filter_map(|o| if let Object::Event(e) = &**o { Some(e) } else { None })
                .map(|e| {
                    vec![
                        age(e.last_timestamp.get(), now),
                        e.type_.to_string(),
                        e.reason.to_string(),
                        format!("{}/{}", e.involved_object.kind.to_ascii_lowercase(), e.involved_object.name),
                        e.message.to_string(),
                    ]
                })
                .collect();
            ns_col(h, rows)
        }
        Kind::Service => {
            // printService: CLUSTER-IP is clusterIPs[0] ("None" when headless), PORT(S)
            // makePortString, EXTERNAL-IP getServiceExternalIP; -o wide adds SELECTOR.
            let mut h = vec!["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"];
            if wide {
                h.push("SELECTOR");
            }
            let rows = objs
                .iter()
                .filter_map(|o| o.as_service())
                .map(|s| {
                    let ports: Vec<String> = s
                        .spec
                        .ports
                        .iter()
                        .map(|p| {
                            let proto = p.protocol.as_deref().unwrap_or("TCP");
                            match p.node_port.filter(|np| *np > 0) {
                                Some(np) => format!("{}:{np}/{proto}", p.port),
                                None => format!("{}/{proto}", p.port),
                            }
                        })
                        .collect();
                    let mut r = vec![
                        s.metadata.name.to_string(),
                        s.type_name().to_string(),
                        s.spec.cluster_ips.first().cloned().unwrap_or_else(|| "<none>".into()),
                        service_external_ip(s, wide),
                        or_none(&ports.join(",")),
                        age(s.metadata.creation_timestamp, now),
                    ];
                    if wide {
                        r.push(or_none(&format_labels(s.spec.selector.as_ref().unwrap_or(&Default::default()))));
                    }
                    r
                })
                .collect();
            ns_col(h, rows)
        }
        Kind::EndpointSlice => {
            // printEndpointSlice: formatDiscoveryPorts / formatDiscoveryEndpoints.
            let h = vec!["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"];
            let rows = objs
                .iter()
                .filter_map(|o| o.as_endpoint_slice())
                .map(|s| {
                    let ports = s.ports.iter().flatten().map(|p| match (p.port, &p.name) {
                        (Some(n), _) => n.to_string(),
                        (None, Some(name)) => name.clone(),
                        (None, None) => "*".into(),
                    });
                    let addresses = s.endpoints.iter().flat_map(|e| e.addresses.iter().cloned());
                    vec![
                        s.metadata.name.to_string(),
                        s.address_type.clone(),
                        list_with_more(ports),
                        list_with_more(addresses),
                        age(s.metadata.creation_timestamp, now),
                    ]
                })
                .collect();
            ns_col(h, rows)
        }
        Kind::Endpoints => {
            // printEndpoints: formatEndpoints (ready addresses only, ip:port, 3 shown).
            let h = vec!["NAME", "ENDPOINTS", "AGE"];
            let rows = objs
                .iter()
                .filter_map(|o| o.as_endpoints())
                .map(|e| vec![e.metadata.name.to_string(), format_endpoints(e), age(e.metadata.creation_timestamp, now)])
                .collect();
            ns_col(h, rows)
        }
        Kind::ResourceQuota => {
            // printResourceQuota (v1.33+ column order): status.hard sorted, `used/hard`,
            // limits.* under LIMIT, everything else under REQUEST.
            let h = vec!["NAME", "REQUEST", "LIMIT", "AGE"];
            let rows = objs
                .iter()
                .filter_map(|o| o.as_resource_quota())
                .map(|q| {
                    let (mut request, mut limit) = (Vec::new(), Vec::new());
                    for (r, hard) in &q.status.hard {
                        let used = q.status.used.get(r).map_or("0".to_string(), |u| u.to_string());
                        let cell = format!("{r}: {used}/{hard}");
                        if r.split('.').next() == Some("limits") && r.contains('.') {
                            limit.push(cell);
                        } else {
                            request.push(cell);
                        }
                    }
                    vec![q.metadata.name.to_string(), request.join(", "), limit.join(", "), age(q.metadata.creation_timestamp, now)]
                })
                .collect();
            ns_col(h, rows)
        }
        Kind::HorizontalPodAutoscaler => {
            // printHorizontalPodAutoscaler and formatHPAMetrics (v1.30+: `cpu: 87%/50%`).
            let h = vec!["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"];
            let rows = objs
                .iter()
                .filter_map(|o| o.as_hpa())
                .map(|a| {
                    let r = &a.spec.scale_target_ref;
                    vec![
                        a.metadata.name.to_string(),
                        format!("{}/{}", r.kind, r.name),
                        hpa_targets(a),
                        a.spec.min_replicas.map_or("<unset>".into(), |m| m.to_string()),
                        a.spec.max_replicas.to_string(),
                        a.status.current_replicas.to_string(),
                        age(a.metadata.creation_timestamp, now),
                    ]
                })
                .collect();
            ns_col(h, rows)
        }
        // No table printer upstream: the server's default table.
        Kind::LimitRange => {
            let h = vec!["NAME", "CREATED AT"];
            let rows = objs.iter().map(|o| vec![o.meta().name.to_string(), o.meta().creation_timestamp.map_or(String::new(), |t| t.rfc3339())]).collect();
            ns_col(h, rows)
        }
        _ => {
            let h = vec!["NAME", "AGE"];
            let rows = objs.iter().map(|o| vec![o.meta().name.to_string(), age(o.meta().creation_timestamp, now)]).collect();
            ns_col(h, rows)
        }
    }
}

/// kubectl's `-o json` for a list: `{"apiVersion":"v1","items":[…],"kind":"List",…}`.
pub fn list_json(objs: &[Rc<Object>]) -> Value {
    json!({
        "apiVersion": "v1",
        "items": objs.iter().map(|o| o.to_json()).collect::<Vec<_>>(),
        "kind": "List",
        "metadata": {"resourceVersion": ""}
    })
}

pub fn to_yaml(v: &Value) -> String {
    let mut s = serde_saphyr::to_string(v).unwrap_or_else(|e| format!("# cannot print as YAML: {e}\n"));
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}
