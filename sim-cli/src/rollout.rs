//! `ksim rollout history|status TYPE/NAME FILE… --at T`: kubectl's `rollout history` and
//! `rollout status`, read from the store at a simulated moment.
//!
//! Mirrors, in staging/src/k8s.io/kubectl/pkg:
//! - cmd/rollout/rollout_history.go RolloutHistoryOptions.Run: the NamePrinter line
//!   `deployment.apps/NAME ` (or `… with revision #N`) followed by the viewer's text and a
//!   blank line (cli-runtime/pkg/printers/name.go printObj);
//! - polymorphichelpers/history.go DeploymentHistoryViewer.ViewHistory (a revision →
//!   template map of the Deployment's ReplicaSets, deploymentutil.Revision, getChangeCause,
//!   tabbedString's `REVISION  CHANGE-CAUSE` table, printTemplate) and
//!   DaemonSetHistoryViewer.ViewHistory (controlledHistory, applyDaemonSetHistory,
//!   printHistory);
//! - polymorphichelpers/rollout_status.go DeploymentStatusViewer.Status and
//!   DaemonSetStatusViewer.Status, as `rollout status --watch=false` prints them once
//!   (cmd/rollout/rollout_status.go);
//! - errors as cmd/util/helpers.go checkErr prints them: `error: …`, or the apiserver's
//!   `Error from server (NotFound): deployments.apps "x" not found`.
//!
//! Where ksim differs: ksim has no watch, so `rollout status` prints the status at `--at`
//! once and exits 1 while the rollout is still waiting (kubectl --watch=false exits 0
//! there; with a watch it keeps waiting, or fails at its --timeout). A DaemonSet's
//! ControllerRevision is applied as ksim's controller writes it (`{"spec":{"template":
//! {…,"$patch":"replace"}}}`: the template, replaced whole) rather than by a general
//! strategic merge patch. StatefulSets are not modelled. Bad input exits 2 (ksim's
//! convention), a missing object or a failed viewer 1.

use crate::describe;
use crate::print::{group_kind, kind_slash_name};
use crate::run::{simulate, EXIT_BAD_INPUT};
use crate::Moment;
use clap::Subcommand;
use serde_json::Value;
use sim_core::api::daemon_set::{ControllerRevision, DaemonSet};
use sim_core::api::deployment::Deployment;
use sim_core::api::meta::ObjectMeta;
use sim_core::api::pod::PodTemplateSpec;
use sim_core::api::replica_set::ReplicaSet;
use sim_core::api::{Kind, Object};
use sim_core::scenario::diagnostic::clip_quoted;
use sim_core::Simulation;
use std::collections::BTreeMap;
use std::io::Write;
use std::rc::Rc;

/// ChangeCauseAnnotation.
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
/// deploymentutil.RevisionAnnotation.
const REVISION: &str = "deployment.kubernetes.io/revision";
/// The label a Deployment's ReplicaSets and pods carry (DefaultDeploymentUniqueLabelKey).
const POD_TEMPLATE_HASH: &str = "pod-template-hash";

#[derive(Subcommand)]
pub enum Which {
    /// The revisions of a Deployment or DaemonSet with their change-cause, or one
    /// revision's pod template (--revision N), like `kubectl rollout history`.
    History {
        /// TYPE/NAME (deployment/web, daemonset/agent) or TYPE [NAME], then the scenario files.
        #[arg(required = true, num_args = 1..)]
        args: Vec<String>,
        #[command(flatten)]
        moment: Moment,
        /// See the details, including the pod template, of this revision.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        revision: i64,
        /// Namespace (default: default).
        #[arg(short = 'n', long)]
        namespace: Option<String>,
    },
    /// A Deployment's or DaemonSet's rollout status at --at, like `kubectl rollout status
    /// --watch=false`; exits 0 when rolled out, 1 while waiting or on an error.
    Status {
        /// TYPE/NAME (deployment/web, daemonset/agent) or TYPE [NAME], then the scenario files.
        #[arg(required = true, num_args = 1..)]
        args: Vec<String>,
        #[command(flatten)]
        moment: Moment,
        /// Pin to a revision: an error if the Deployment is at another one.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        revision: i64,
        /// Namespace (default: default).
        #[arg(short = 'n', long)]
        namespace: Option<String>,
    },
}

pub fn rollout(which: Which) -> u8 {
    match which {
        Which::History { args, moment: Moment { at, seed }, revision, namespace } => history(&args, at.as_deref(), seed, revision, namespace.as_deref()),
        Which::Status { args, moment: Moment { at, seed }, revision, namespace } => status(&args, at.as_deref(), seed, revision, namespace.as_deref()),
    }
}

fn error(msg: &str) {
    let _ = writeln!(anstream::stderr(), "{msg}");
}

/// What the command line names: a kind, perhaps a name, and the scenario files.
struct Target {
    kind: Kind,
    name: Option<String>,
    files: Vec<String>,
}

/// `TYPE/NAME FILE…` or `TYPE [NAME] FILE…` (a second word that is not a file is a name).
fn parse_target(args: &[String]) -> Result<Target, u8> {
    let (ty, name, rest) = match args[0].split_once('/') {
        Some((t, n)) => (t, Some(n.to_string()), &args[1..]),
        None => match &args[1..] {
            [n, files @ ..] if !files.is_empty() && !crate::files::looks_like_file(n) => (args[0].as_str(), Some(n.clone()), files),
            files => (args[0].as_str(), None, files),
        },
    };
    let Some(kind) = kind_from_user(ty) else {
        error(&format!("error: the server doesn't have a resource type {}", clip_quoted(ty)));
        return Err(EXIT_BAD_INPUT);
    };
    if name.as_deref() == Some("") {
        error(&format!("error: arguments in resource/name form must have a single resource and name (got {})", clip_quoted(&args[0])));
        return Err(EXIT_BAD_INPUT);
    }
    if rest.is_empty() {
        error("error: no scenario file given: ksim reads the cluster from FILE… after TYPE/NAME");
        return Err(EXIT_BAD_INPUT);
    }
    Ok(Target { kind, name, files: rest.to_vec() })
}

/// A resource as typed: `deploy`, `deployments`, `Deployment`, or qualified by its group
/// (`deployments.apps`).
fn kind_from_user(s: &str) -> Option<Kind> {
    Kind::from_user(s).or_else(|| {
        let (k, group) = s.split_once('.')?;
        Kind::from_user(k).filter(|kind| kind.group() == group)
    })
}

/// The objects named (one, or every one of the kind in the namespace, perhaps none);
/// NotFound in the apiserver's words.
fn objects(sim: &Simulation, t: &Target, ns: &str) -> Result<Vec<Rc<Object>>, u8> {
    let ns = if t.kind.namespaced() { ns } else { "" };
    let objs: Vec<Rc<Object>> =
        sim.list(&t.kind).into_iter().filter(|o| o.meta().namespace == ns && t.name.as_deref().is_none_or(|n| o.meta().name == n)).collect();
    match (&t.name, objs.is_empty()) {
        (Some(n), true) => {
            error(&format!("Error from server (NotFound): {} {} not found", sim_core::apiserver::qualified_resource(&t.kind), clip_quoted(n)));
            Err(1)
        }
        _ => Ok(objs),
    }
}

/// The validation both subcommands share (a negative --revision is refused), then the
/// run up to `at` and the objects the arguments name.
fn simulate_target(args: &[String], at: Option<&str>, seed: Option<u64>, revision: i64, namespace: Option<&str>) -> Result<(Simulation, Vec<Rc<Object>>), u8> {
    if revision < 0 {
        error(&format!("error: revision must be a positive integer: {revision}"));
        return Err(EXIT_BAD_INPUT);
    }
    let t = parse_target(args)?;
    let sim = simulate(&t.files, at, seed)?;
    let objs = objects(&sim, &t, namespace.unwrap_or("default"))?;
    Ok((sim, objs))
}

pub fn history(args: &[String], at: Option<&str>, seed: Option<u64>, revision: i64, namespace: Option<&str>) -> u8 {
    // RolloutHistoryOptions.Validate, then the run up to --at.
    let (sim, objs) = match simulate_target(args, at, seed, revision, namespace) {
        Ok(r) => r,
        Err(c) => return c,
    };
    let mut out = anstream::stdout();
    for o in objs {
        let viewed = match &*o {
            Object::Deployment(d) => view_deployment_history(&replica_sets_of(&sim, d), revision),
            Object::DaemonSet(ds) => view_daemon_set_history(ds, &revisions_of(&sim, ds), revision),
            _ => Err(format!("no history viewer has been implemented for {:?}", group_kind(&o.kind()))),
        };
        match viewed {
            Ok(text) => {
                let with_revision = if revision > 0 { format!("with revision #{revision}") } else { String::new() };
                let _ = write!(out, "{} {with_revision}\n{text}\n", kind_slash_name(&o.kind(), &o.meta().name));
            }
            Err(e) => {
                error(&format!("error: {e}"));
                return 1;
            }
        }
    }
    0
}

/// deploymentutil.Revision: the annotation's number, 0 without one, None when it does not parse.
fn revision_of(meta: &ObjectMeta) -> Option<i64> {
    match meta.annotations.get(REVISION) {
        None => Some(0),
        Some(v) => v.parse().ok(),
    }
}

/// The template without its pod-template-hash label (EqualIgnoreHash's comparison).
fn without_hash(t: &PodTemplateSpec) -> PodTemplateSpec {
    let mut t = t.clone();
    t.metadata.labels.remove(POD_TEMPLATE_HASH);
    t
}

/// deploymentutil.GetAllReplicaSets: the ReplicaSets the Deployment's selector matches and
/// it controls, the old ones first and the new one (the oldest with the Deployment's
/// template, FindNewReplicaSet) last.
fn replica_sets_of(sim: &Simulation, d: &Deployment) -> Vec<ReplicaSet> {
    let mut rss: Vec<ReplicaSet> = sim
        .list(&Kind::ReplicaSet)
        .iter()
        .filter_map(|o| o.as_replica_set())
        .filter(|rs| rs.metadata.namespace == d.metadata.namespace)
        .filter(|rs| d.spec.selector.as_ref().is_some_and(|s| s.matches(&rs.metadata.labels)))
        .filter(|rs| rs.metadata.controller_ref().is_some_and(|r| r.uid == d.metadata.uid))
        .cloned()
        .collect();
    let want = without_hash(&d.spec.template);
    let mut by_age: Vec<usize> = (0..rss.len()).collect();
    by_age.sort_by(|&a, &b| (rss[a].metadata.creation_timestamp, &rss[a].metadata.name).cmp(&(rss[b].metadata.creation_timestamp, &rss[b].metadata.name)));
    if let Some(i) = by_age.into_iter().find(|&i| without_hash(&rss[i].spec.template) == want) {
        let new = rss.remove(i);
        rss.push(new);
    }
    rss
}

/// DeploymentHistoryViewer.ViewHistory over the Deployment's ReplicaSets. Err is the
/// viewer's error.
pub fn view_deployment_history(rss: &[ReplicaSet], revision: i64) -> Result<String, String> {
    let mut history: BTreeMap<i64, PodTemplateSpec> = BTreeMap::new();
    for rs in rss {
        // A revision that does not parse is skipped (with a klog warning upstream).
        let Some(v) = revision_of(&rs.metadata) else { continue };
        let mut template = rs.spec.template.clone();
        if let Some(cause) = rs.metadata.annotations.get(CHANGE_CAUSE).filter(|c| !c.is_empty()) {
            template.metadata.annotations.insert(CHANGE_CAUSE.into(), cause.clone());
        }
        history.insert(v, template);
    }
    print_history(history, revision, |t| t.metadata.annotations.get(CHANGE_CAUSE).cloned(), |t| Ok(t.clone()))
}

/// printHistory: "No rollout history found.", one revision's template, or the table.
/// Err is the viewer's error.
fn print_history<T>(
    history: BTreeMap<i64, T>,
    revision: i64,
    change_cause: impl Fn(&T) -> Option<String>,
    template: impl Fn(&T) -> Result<PodTemplateSpec, String>,
) -> Result<String, String> {
    if history.is_empty() {
        return Ok("No rollout history found.".into());
    }
    if revision > 0 {
        let h = history.get(&revision).ok_or("unable to find the specified revision")?;
        return Ok(describe::pod_template(&template(h)?));
    }
    // tabbedString: tabwriter.Init(buf, 0, 8, 2, ' ', 0).
    let mut tw = tabwriter::TabWriter::new(Vec::new()).minwidth(0).padding(2);
    let _ = writeln!(tw, "REVISION\tCHANGE-CAUSE");
    for (r, h) in &history {
        let cause = change_cause(h).filter(|c| !c.is_empty()).unwrap_or_else(|| "<none>".into());
        let _ = writeln!(tw, "{r}\t{cause}");
    }
    let _ = tw.flush();
    Ok(String::from_utf8_lossy(&tw.into_inner().unwrap_or_default()).into_owned())
}

/// controlledHistory: the ControllerRevisions the DaemonSet's selector matches and it controls.
fn revisions_of(sim: &Simulation, ds: &DaemonSet) -> Vec<ControllerRevision> {
    sim.list(&Kind::ControllerRevision)
        .iter()
        .filter_map(|o| o.as_controller_revision())
        .filter(|cr| cr.metadata.namespace == ds.metadata.namespace)
        .filter(|cr| ds.spec.selector.as_ref().is_some_and(|s| s.matches(&cr.metadata.labels)))
        .filter(|cr| cr.metadata.controller_ref().is_some_and(|r| r.uid == ds.metadata.uid))
        .cloned()
        .collect()
}

/// DaemonSetHistoryViewer.ViewHistory. Err is the viewer's error.
pub fn view_daemon_set_history(ds: &DaemonSet, revisions: &[ControllerRevision], revision: i64) -> Result<String, String> {
    let history: BTreeMap<i64, &ControllerRevision> = revisions.iter().map(|cr| (cr.revision, cr)).collect();
    print_history(
        history,
        revision,
        |cr| cr.metadata.annotations.get(CHANGE_CAUSE).cloned(),
        |cr| apply_daemon_set_history(ds, cr).ok_or_else(|| format!("unable to parse history {}", cr.metadata.name)),
    )
}

/// applyDaemonSetHistory for the patch ksim's controller writes: the template it replaces
/// the DaemonSet's with, or the DaemonSet's own when the patch has none.
fn apply_daemon_set_history(ds: &DaemonSet, cr: &ControllerRevision) -> Option<PodTemplateSpec> {
    let Some(patch) = cr.data.as_ref().and_then(|d| d.pointer("/spec/template")) else {
        return Some(ds.spec.template.clone());
    };
    let mut t = patch.clone();
    if let Value::Object(m) = &mut t {
        m.remove("$patch");
    }
    serde_json::from_value(t).ok()
}

pub fn status(args: &[String], at: Option<&str>, seed: Option<u64>, revision: i64, namespace: Option<&str>) -> u8 {
    // RolloutStatusOptions.Validate, then the run up to --at.
    let (_sim, objs) = match simulate_target(args, at, seed, revision, namespace) {
        Ok(r) => r,
        Err(c) => return c,
    };
    if objs.len() != 1 {
        error(&format!("error: rollout status is only supported on individual resources and resource collections - {} resources were found", objs.len()));
        return 1;
    }
    let viewed = match &*objs[0] {
        Object::Deployment(d) => deployment_status(d, revision),
        Object::DaemonSet(ds) => daemon_set_status(ds),
        Object::StatefulSet(s) => stateful_set_status(s),
        _ => Err(format!("no status viewer has been implemented for {}", group_kind(&objs[0].kind()))),
    };
    match viewed {
        Ok((msg, done)) => {
            let _ = write!(anstream::stdout(), "{msg}");
            u8::from(!done)
        }
        Err(e) => {
            error(&format!("error: {e}"));
            1
        }
    }
}

/// DeploymentStatusViewer.Status: (message, done), or the error kubectl returns.
pub fn deployment_status(d: &Deployment, revision: i64) -> Result<(String, bool), String> {
    let name = &d.metadata.name;
    if revision > 0 {
        let current = match d.metadata.annotations.get(REVISION) {
            None => 0,
            Some(v) => {
                v.parse::<i64>().map_err(|_| format!("cannot get the revision of deployment {name:?}: strconv.ParseInt: parsing {v:?}: invalid syntax"))?
            }
        };
        if revision != current {
            return Err(format!("desired revision ({revision}) is different from the running revision ({current})"));
        }
    }
    if d.metadata.rare.generation > d.status.observed_generation {
        return Ok(("Waiting for deployment spec update to be observed...\n".into(), false));
    }
    let progressing = d.status.conditions.iter().find(|c| c.type_ == "Progressing");
    if progressing.is_some_and(|c| c.reason == "ProgressDeadlineExceeded") {
        return Err(format!("deployment {name:?} exceeded its progress deadline"));
    }
    let s = &d.status;
    // spec.replicas is defaulted to 1 by the apiserver.
    let msg = if s.updated_replicas < d.replicas() {
        format!("Waiting for deployment {name:?} rollout to finish: {} out of {} new replicas have been updated...\n", s.updated_replicas, d.replicas())
    } else if s.replicas > s.updated_replicas {
        format!("Waiting for deployment {name:?} rollout to finish: {} old replicas are pending termination...\n", s.replicas - s.updated_replicas)
    } else if s.available_replicas < s.updated_replicas {
        format!("Waiting for deployment {name:?} rollout to finish: {} of {} updated replicas are available...\n", s.available_replicas, s.updated_replicas)
    } else {
        return Ok((format!("deployment {name:?} successfully rolled out\n"), true));
    };
    Ok((msg, false))
}

/// StatefulSetStatusViewer.Status (rollout_status.go): with the partition the apiserver
/// defaults (0), a RollingUpdate StatefulSet reports the partitioned roll out.
pub fn stateful_set_status(s: &sim_core::api::stateful_set::StatefulSet) -> Result<(String, bool), String> {
    if s.spec.update_strategy.type_ != "RollingUpdate" {
        return Err("rollout status is only available for RollingUpdate strategy type".into());
    }
    let st = &s.status;
    if st.observed_generation == 0 || s.metadata.rare.generation > st.observed_generation {
        return Ok(("Waiting for statefulset spec update to be observed...\n".into(), false));
    }
    if st.ready_replicas < s.replicas() {
        return Ok((format!("Waiting for {} pods to be ready...\n", s.replicas() - st.ready_replicas), false));
    }
    if let Some(ru) = &s.spec.update_strategy.rolling_update {
        if let Some(p) = ru.partition {
            if st.updated_replicas < s.replicas() - p {
                let msg =
                    format!("Waiting for partitioned roll out to finish: {} out of {} new pods have been updated...\n", st.updated_replicas, s.replicas() - p);
                return Ok((msg, false));
            }
        }
        return Ok((format!("partitioned roll out complete: {} new pods have been updated...\n", st.updated_replicas), true));
    }
    if st.update_revision != st.current_revision {
        return Ok((format!("waiting for statefulset rolling update to complete {} pods at revision {}...\n", st.updated_replicas, st.update_revision), false));
    }
    Ok((format!("statefulset rolling update complete {} pods at revision {}...\n", st.current_replicas, st.current_revision), true))
}

/// DaemonSetStatusViewer.Status (it ignores --revision: "DaemonSets does not have history yet").
pub fn daemon_set_status(ds: &DaemonSet) -> Result<(String, bool), String> {
    if ds.strategy_type() != "RollingUpdate" {
        return Err("rollout status is only available for RollingUpdate strategy type".into());
    }
    let (name, s) = (&ds.metadata.name, &ds.status);
    if ds.metadata.rare.generation > s.observed_generation {
        return Ok(("Waiting for daemon set spec update to be observed...\n".into(), false));
    }
    if s.updated_number_scheduled < s.desired_number_scheduled {
        let msg = format!(
            "Waiting for daemon set {name:?} rollout to finish: {} out of {} new pods have been updated...\n",
            s.updated_number_scheduled, s.desired_number_scheduled
        );
        return Ok((msg, false));
    }
    if s.number_available < s.desired_number_scheduled {
        let msg = format!(
            "Waiting for daemon set {name:?} rollout to finish: {} of {} updated pods are available...\n",
            s.number_available, s.desired_number_scheduled
        );
        return Ok((msg, false));
    }
    Ok((format!("daemon set {name:?} successfully rolled out\n"), true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::api::daemon_set::DaemonSetStatus;
    use sim_core::api::deployment::DeploymentStatus;

    fn deployment(generation: i64, spec_replicas: i32, status: DeploymentStatus) -> Deployment {
        let mut d = Deployment::default();
        d.metadata.name = "foo".into();
        d.metadata.namespace = "bar".into();
        d.metadata.rare.generation = generation;
        d.spec.replicas = Some(spec_replicas);
        d.status = status;
        d
    }

    /// rollout_status_test.go TestDeploymentStatusViewerStatus, case by case.
    #[test]
    fn deployment_status_as_upstream_tests_it() {
        let st = |observed_generation, replicas, updated_replicas, available_replicas, unavailable_replicas| DeploymentStatus {
            observed_generation,
            replicas,
            updated_replicas,
            available_replicas,
            unavailable_replicas,
            ..Default::default()
        };
        let cases = [
            (0, 1, st(1, 1, 0, 1, 0), "Waiting for deployment \"foo\" rollout to finish: 0 out of 1 new replicas have been updated...\n", false),
            (1, 1, st(1, 2, 1, 2, 0), "Waiting for deployment \"foo\" rollout to finish: 1 old replicas are pending termination...\n", false),
            (1, 2, st(1, 2, 2, 1, 1), "Waiting for deployment \"foo\" rollout to finish: 1 of 2 updated replicas are available...\n", false),
            (1, 2, st(1, 2, 2, 2, 0), "deployment \"foo\" successfully rolled out\n", true),
            (2, 2, st(1, 2, 2, 2, 0), "Waiting for deployment spec update to be observed...\n", false),
        ];
        for (i, (generation, replicas, status, msg, done)) in cases.into_iter().enumerate() {
            let got = deployment_status(&deployment(generation, replicas, status), 0);
            assert_eq!(got, Ok((msg.to_string(), done)), "test{}", i + 1);
        }
    }

    /// The errors of DeploymentStatusViewer.Status: the progress deadline (the Progressing
    /// condition's TimedOutReason) and a pinned revision that is not the running one.
    #[test]
    fn deployment_status_errors() {
        let mut d = deployment(1, 2, DeploymentStatus { observed_generation: 1, ..Default::default() });
        d.status.conditions.push(sim_core::api::deployment::DeploymentCondition {
            type_: "Progressing".into(),
            status: "False".into(),
            reason: "ProgressDeadlineExceeded".into(),
            ..Default::default()
        });
        assert_eq!(deployment_status(&d, 0), Err("deployment \"foo\" exceeded its progress deadline".into()));
        d.metadata.annotations.insert(REVISION.into(), "2".into());
        assert_eq!(deployment_status(&d, 3), Err("desired revision (3) is different from the running revision (2)".into()));
    }

    /// rollout_status_test.go TestDaemonSetStatusViewerStatus and
    /// TestDaemonSetStatusViewerStatusWithWrongUpdateStrategyType.
    #[test]
    fn daemon_set_status_as_upstream_tests_it() {
        let st = |observed_generation, updated_number_scheduled, desired_number_scheduled, number_available| DaemonSetStatus {
            observed_generation,
            updated_number_scheduled,
            desired_number_scheduled,
            number_available,
            ..Default::default()
        };
        let cases = [
            (0, st(1, 0, 1, 0), "Waiting for daemon set \"foo\" rollout to finish: 0 out of 1 new pods have been updated...\n", false),
            (1, st(1, 2, 2, 1), "Waiting for daemon set \"foo\" rollout to finish: 1 of 2 updated pods are available...\n", false),
            (1, st(1, 2, 2, 2), "daemon set \"foo\" successfully rolled out\n", true),
            (2, st(1, 2, 2, 2), "Waiting for daemon set spec update to be observed...\n", false),
        ];
        for (i, (generation, status, msg, done)) in cases.into_iter().enumerate() {
            let mut ds = DaemonSet::default();
            ds.metadata.name = "foo".into();
            ds.metadata.rare.generation = generation;
            ds.spec.update_strategy.type_ = "RollingUpdate".into();
            ds.status = status;
            assert_eq!(daemon_set_status(&ds), Ok((msg.to_string(), done)), "test{}", i + 1);
        }
        let mut ds = DaemonSet::default();
        ds.spec.update_strategy.type_ = "OnDelete".into();
        assert_eq!(daemon_set_status(&ds), Err("rollout status is only available for RollingUpdate strategy type".into()));
    }

    fn replica_set(i: i64, cause: Option<&str>) -> ReplicaSet {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": format!("moons-{i}"), "labels": {"foo": "bar"},
                         "annotations": {"deployment.kubernetes.io/revision": i.to_string()}},
            "spec": {"selector": {"matchLabels": {"foo": "bar"}},
                     "template": {"metadata": {"labels": {"foo": "bar"}}, "spec": {"containers": [{"name": "test", "image": format!("foo:{i}")}]}}}
        }))
        .map(|mut rs: ReplicaSet| {
            if let Some(c) = cause {
                rs.metadata.annotations.insert(CHANGE_CAUSE.into(), c.into());
            }
            rs
        })
        .expect("a ReplicaSet")
    }

    /// history_test.go TestViewDeploymentHistory: four ReplicaSets, revisions 3 and 4
    /// with a change-cause.
    #[test]
    fn deployment_history_as_upstream_tests_it() {
        let rss = [replica_set(1, None), replica_set(2, None), replica_set(3, Some("foo change cause")), replica_set(4, Some("bar change cause"))];
        assert_eq!(
            view_deployment_history(&rss, 0).unwrap(),
            "REVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n3         foo change cause\n4         bar change cause\n"
        );
        // "should describe a single revision", with the Node-Selectors and Tolerations
        // lines of the DescribePodTemplate cited in describe.rs.
        assert_eq!(
            view_deployment_history(&rss, 3).unwrap(),
            "Pod Template:\n  Labels:\tfoo=bar\n  Annotations:\tkubernetes.io/change-cause: foo change cause\n  Containers:\n   test:\n    Image:\tfoo:3\n    \
             Port:\t<none>\n    Host Port:\t<none>\n    Environment:\t<none>\n    Mounts:\t<none>\n  Volumes:\t<none>\n  Node-Selectors:\t<none>\n  Tolerations:\t<none>\n"
        );
        assert_eq!(view_deployment_history(&rss, 9), Err("unable to find the specified revision".into()));
        assert_eq!(view_deployment_history(&[], 0), Ok("No rollout history found.".into()));
    }

    /// rollout_status_test.go TestStatefulSetStatusViewerStatus's cases (the messages of
    /// StatefulSetStatusViewer.Status): spec not observed, pods not ready, a partitioned
    /// roll out under way and complete, and a rolling update without rollingUpdate.
    #[test]
    fn stateful_set_status_as_upstream_tests_it() {
        use sim_core::api::stateful_set::{RollingUpdateStatefulSetStrategy, StatefulSet};
        let mk = |gen: i64, observed: i64, ready: i32, updated: i32, partition: Option<i32>| {
            let mut s = StatefulSet::default();
            s.metadata.rare.generation = gen;
            s.spec.replicas = Some(3);
            s.spec.update_strategy.type_ = "RollingUpdate".into();
            s.spec.update_strategy.rolling_update = partition.map(|p| RollingUpdateStatefulSetStrategy { partition: Some(p), max_unavailable: None });
            s.status.observed_generation = observed;
            s.status.ready_replicas = ready;
            s.status.updated_replicas = updated;
            s.status.current_replicas = 3;
            s.status.current_revision = "foo".into();
            s.status.update_revision = if updated == 3 { "foo".into() } else { "bar".into() };
            s
        };
        let ok = |s: StatefulSet| stateful_set_status(&s).unwrap();
        assert_eq!(ok(mk(2, 1, 3, 3, Some(0))), ("Waiting for statefulset spec update to be observed...\n".to_string(), false));
        assert_eq!(ok(mk(1, 1, 1, 3, Some(0))), ("Waiting for 2 pods to be ready...\n".to_string(), false));
        assert_eq!(ok(mk(1, 1, 3, 0, Some(2))), ("Waiting for partitioned roll out to finish: 0 out of 1 new pods have been updated...\n".to_string(), false));
        assert_eq!(ok(mk(1, 1, 3, 1, Some(2))), ("partitioned roll out complete: 1 new pods have been updated...\n".to_string(), true));
        assert_eq!(ok(mk(1, 1, 3, 2, None)), ("waiting for statefulset rolling update to complete 2 pods at revision bar...\n".to_string(), false));
        assert_eq!(ok(mk(1, 1, 3, 3, None)), ("statefulset rolling update complete 3 pods at revision foo...\n".to_string(), true));
        let mut on_delete = mk(1, 1, 3, 3, None);
        on_delete.spec.update_strategy.type_ = "OnDelete".into();
        assert_eq!(stateful_set_status(&on_delete).unwrap_err(), "rollout status is only available for RollingUpdate strategy type");
    }
}
