//! Controller behaviour end to end: garbage collection along ownerReferences, adoption
//! and release by a ReplicaSet, `apply: {file: …}`, and the informer's relist after 410.

mod common;

use sim_core::api::{Kind, Object};
use sim_core::scenario::run::run_scenario;
use sim_core::RunOptions;

fn run(name: &str) -> sim_core::scenario::run::Report {
    let s = common::load_file(&common::repo_root().join("sim-core/tests/data").join(name));
    assert!(!s.expect.is_empty(), "{name} lost its expectations: this test would prove nothing");
    let r = run_scenario(&s, &RunOptions::for_scenario(&s)).unwrap();
    for e in &r.results {
        assert!(e.ok, "{name}: `{}` at {} observed {}", e.text, e.at, e.observed);
    }
    r
}

#[test]
fn deleting_a_deployment_collects_its_replicasets_and_pods() {
    let r = run("gc-cascade.yaml");
    assert_eq!(r.sim.list(&Kind::ReplicaSet).len(), 0);
    assert_eq!(r.sim.list(&Kind::Pod).len(), 0);
    let deleted_by_gc = r.sim.trace.records().iter().filter(|x| x.verb == "delete" && x.by == "controller-manager" && x.kind == "ReplicaSet").count();
    assert_eq!(deleted_by_gc, 1, "the garbage collector deletes the orphaned ReplicaSet");
}

#[test]
fn a_replicaset_adopts_a_matching_orphan_and_releases_it_when_labels_change() {
    let mut s = common::load_file(&common::repo_root().join("sim-core/tests/data/adopt-release.yaml"));
    s.until = sim_core::engine::SimDuration::from_secs(30);
    let r = run_scenario(&s, &RunOptions::for_scenario(&s)).unwrap();
    let lonely = r.sim.api.store.get_parts(&Kind::Pod, "default", "lonely").unwrap().clone();
    let owner = lonely.meta().controller_ref().expect("adopted").clone();
    assert_eq!((owner.kind.as_str(), owner.name.as_str()), ("ReplicaSet", "web"));
    let r = run("adopt-release.yaml");
    let lonely = r.sim.api.store.get_parts(&Kind::Pod, "default", "lonely").unwrap().clone();
    assert!(lonely.meta().owner_references.is_empty(), "released: {:?}", lonely.meta().owner_references);
    let owned = r.sim.list(&Kind::Pod).iter().filter(|p| p.meta().controller_ref().is_some_and(|o| o.name == "web")).count();
    assert_eq!(owned, 2);
}

#[test]
fn an_informer_relists_after_410_gone() {
    use sim_core::client::Informer;
    use sim_core::engine::SimTime;
    use sim_core::etcd::{HistoryLimits, Store};
    let mut store = Store::new(HistoryLimits { max_age_ms: 1000, max_entries: 100 });
    let ns = |n: &str| {
        let mut o = sim_core::api::namespace::Namespace::default();
        o.metadata.name = n.into();
        Object::Namespace(Box::new(o))
    };
    let mut inf = Informer::default();
    store.create(ns("a"), SimTime(0)).unwrap();
    assert!(!inf.resync(&store, &[Kind::Namespace]), "a first sync from revision 0 replays the history");
    assert_eq!(inf.list(&Kind::Namespace).count(), 1);
    store.create(ns("b"), SimTime(10)).unwrap();
    store.create(ns("c"), SimTime(5000)).unwrap();
    store.compact_older_than(SimTime(5000));
    assert!(store.watch_from(inf.last_revision).is_err(), "revision {} is compacted", inf.last_revision);
    assert!(inf.resync(&store, &[Kind::Namespace]), "410 Gone → relist");
    let names: Vec<String> = inf.list(&Kind::Namespace).map(|o| o.meta().name.to_string()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(inf.last_revision, store.revision());
}

#[test]
fn node_selectors_and_required_node_affinity_constrain_placement() {
    let r = run("node-selector.yaml");
    let msg = r
        .sim
        .trace
        .records()
        .iter()
        .find(|x| x.kind == "Event" && x.get_str("object") == Some("Pod/nowhere"))
        .and_then(|x| x.get_str("message").map(String::from));
    // As kube-scheduler words it, the PostFilter (DefaultPreemption) part included, down
    // to the double period of the nested FitError.
    assert_eq!(
        msg.as_deref(),
        Some("0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling..")
    );
}

#[test]
fn prefer_no_schedule_taints_and_preferred_node_affinity_steer_scoring() {
    run("preferences.yaml");
}

fn run_checked(name: &str) -> sim_core::scenario::run::Report {
    let s = common::load_file(&common::repo_root().join("sim-core/tests/data").join(name));
    assert!(!s.expect.is_empty(), "{name} lost its expectations: this test would prove nothing");
    let r = run_scenario(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap();
    for e in &r.results {
        assert!(e.ok, "{name}: `{}` at {} observed {}", e.text, e.at, e.observed);
    }
    r
}

/// Issue 9.1: a create the apiserver refuses is recorded as FailedCreate with the
/// apiserver's words (RealPodControl.createPods: "Error creating: %v"; the Priority
/// admission plugin's "no PriorityClass with name %s was found", with the generateName as
/// the name: admission.extractResourceName), never as SuccessfulCreate, and retried with
/// the workqueue's per-item back-off (5 ms · 2^(n−1)), not in a loop.
#[test]
fn a_refused_create_is_a_failed_create_retried_with_back_off() {
    let r = run_checked("refused-create.yaml");
    // The controller's recorder folds the repeats into one Event with a count
    // (client-go's EventCorrelator: the same source, object, reason and message).
    let events: Vec<sim_core::api::event::Event> = r.sim.list(&Kind::Event).iter().filter_map(|o| o.as_event().cloned()).collect();
    let of = |reason: &str| events.iter().filter(|e| e.reason == reason).cloned().collect::<Vec<_>>();
    assert!(of("SuccessfulCreate").is_empty(), "nothing was created");
    let failed = of("FailedCreate");
    assert_eq!(failed.len(), 1, "one Event, counted: {failed:?}");
    let rs = r.sim.list(&Kind::ReplicaSet)[0].clone();
    let rs = rs.as_replica_set().unwrap();
    let want = format!("Error creating: pods \"{}-\" is forbidden: no PriorityClass with name nosuchclass was found", rs.metadata.name);
    assert_eq!(failed[0].message, want);
    // Attempts in 300 s: after n retries at least Σ 5·2^(k−1) = 5(2^n − 1) ms have passed,
    // so n ≤ 15 (5·(2^16 − 1) > 300,000); each retry also takes at most the workers'
    // 5 ms and a 2 ms round trip, so 15 retries fit (5·(2^15−1) + 15·7 < 300,000). The
    // first failure's ReplicaFailure status write wakes the controller once more (an
    // update event, as upstream's updateRS enqueues it). 1 + 15 (+1) attempts.
    assert!((16..=17).contains(&failed[0].count), "{} FailedCreate occurrences", failed[0].count);
    assert!(r.sim.events_processed < 2_000, "{} engine events: the controller spins", r.sim.events_processed);
    let cond = rs.condition("ReplicaFailure").expect("ReplicaFailure condition");
    assert_eq!((cond.status.as_str(), cond.reason.as_str()), ("True", "FailedCreate"));
    assert_eq!(format!("Error creating: {}", cond.message), want);
    assert!(r.sim.violations().is_empty(), "{:?}", r.sim.violations());
    assert!(r.sim.check_converged().is_empty(), "a ReplicaSet whose creates are refused is not a liveness failure: {:?}", r.sim.check_converged());
}

/// Issue 9.2a: upstream's slow-start batches overshoot after a quick scale-down; the
/// ReplicaSet bound allows what the sync observed, and the extras go at the next sync.
#[test]
fn a_scale_flap_overshoots_as_upstream_and_the_checker_allows_it() {
    let r = run_checked("scale-flap.yaml");
    let created = r.sim.trace.records().iter().filter(|x| x.kind == "Pod" && x.verb == "create").count();
    assert_eq!(created, 50, "the sync that saw 50 created 48 more while the scale to 2 landed");
    assert!(r.sim.violations().is_empty(), "{:#?}", r.sim.violations());
    assert!(r.sim.check_converged().is_empty());
}

/// Issue 9.2b: liveness is judged only once Kubernetes could have converged: a scale one
/// millisecond before the end, or minute-long latencies, leave it unjudged.
#[test]
fn liveness_waits_for_the_time_kubernetes_needs() {
    let base = std::fs::read_to_string(common::repo_root().join("sim-core/tests/data/scale-flap.yaml")).unwrap();
    let late = base
        .replace("until: 3m", "until: 20s")
        .replace("- {at: 10005ms, scale: {target: deployment/web, replicas: 2}}", "- {at: 19999ms, scale: {target: deployment/web, replicas: 2}}");
    let late = late.split("  expect:").next().unwrap().to_string() + &base[base.find("---").unwrap()..];
    let s = common::load_str(&late);
    let r = run_scenario(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap();
    assert!(!r.sim.quiet_at_end(), "liveness from {} but the run ends at {}", r.sim.liveness_from(), r.sim.now);
    assert!(r.sim.check_converged().is_empty());
    let slow = base.replace("until: 3m", "until: 3m\n  latency: {request: 1m, watch: 1m}");
    let slow = slow.split("  expect:").next().unwrap().to_string() + &base[base.find("---").unwrap()..];
    let s = common::load_str(&slow);
    let r = run_scenario(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap();
    assert!(!r.sim.quiet_at_end(), "with one-minute hops nothing has settled by 3m");
    assert!(r.sim.check_converged().is_empty());
    assert!(r.sim.violations().is_empty(), "{:?}", r.sim.violations());
}

/// The disruption controller's status (disruption.go getExpectedPodCount,
/// countHealthyPods, updatePdbStatus): 3 ready replicas of a Deployment;
/// minAvailable 2 → expected 3 (the selected pods), desired 2, allowed 1;
/// maxUnavailable 1 → expected 3 (the Deployment's scale), desired 3 − 1 = 2, allowed 1;
/// minAvailable "50%" → expected 3 (scale), desired ceil(1.5) = 2, allowed 1;
/// minAvailable 5 → allowed 0 (never negative), condition InsufficientPods.
#[test]
fn pod_disruption_budgets_count_like_the_disruption_controller() {
    let pdb = |name: &str, bound: &str| {
        format!(
            "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: {name}}}\nspec:\n  {bound}\n  selector: {{matchLabels: {{app: web}}}}\n"
        )
    };
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: pdbs}}\nspec:\n  until: 1m\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: 3\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers: [{{name: web, image: nginx}}]\n{}{}{}{}",
        pdb("min-int", "minAvailable: 2"),
        pdb("max-int", "maxUnavailable: 1"),
        pdb("min-pct", "minAvailable: \"50%\""),
        pdb("too-many", "minAvailable: 5"),
    );
    let s = common::load_str(&text);
    let r = run_scenario(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap();
    let get = |n: &str| r.sim.api.store.get_parts(&Kind::PodDisruptionBudget, "default", n).and_then(|o| o.as_pdb().cloned()).unwrap();
    for (name, expected, desired, allowed) in [("min-int", 3, 2, 1), ("max-int", 3, 2, 1), ("min-pct", 3, 2, 1), ("too-many", 3, 5, 0)] {
        let st = get(name).status;
        assert_eq!((st.expected_pods, st.desired_healthy, st.current_healthy, st.disruptions_allowed), (expected, desired, 3, allowed), "{name}");
        assert_eq!(st.observed_generation, 1, "{name}");
    }
    let c = get("too-many").condition("DisruptionAllowed").cloned().unwrap();
    assert_eq!((c.status.as_str(), c.reason.as_str()), ("False", "InsufficientPods"));
    assert_eq!(get("min-int").condition("DisruptionAllowed").unwrap().reason, "SufficientPods");
    assert!(r.sim.violations().is_empty(), "{:?}", r.sim.violations());
}

/// client-go's EventCorrelator on a ReplicaSet creating 40 pods (events_cache.go):
/// `SuccessfulCreate` events differ only in their message, so from the 10th
/// (defaultAggregateMaxEvents) on they become one `(combined from similar events): …`
/// Event whose count grows; the source may write 25 events about one object before its
/// token bucket (defaultSpamBurst 25, one token per 300 s) runs dry. So: 9 single
/// Events, and one combined Event counting occurrences 10 to 25 — 16.
#[test]
fn a_replicasets_create_events_are_combined_and_rate_limited() {
    let text = "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {name: events}\nspec:\n  until: 1m\n---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web}\nspec:\n  replicas: 40\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n";
    let s = common::load_str(text);
    let r = run_scenario(&s, &RunOptions::for_scenario(&s)).unwrap();
    let events: Vec<sim_core::api::event::Event> =
        r.sim.list(&Kind::Event).iter().filter_map(|o| o.as_event().cloned()).filter(|e| e.reason == "SuccessfulCreate").collect();
    let (combined, single): (Vec<_>, Vec<_>) = events.iter().partition(|e| e.message.starts_with("(combined from similar events): Created pod: web-"));
    assert_eq!(single.len(), 9, "{single:?}");
    assert!(single.iter().all(|e| e.count == 1 && e.message.starts_with("Created pod: web-")));
    assert_eq!(combined.len(), 1, "{combined:?}");
    assert_eq!(combined[0].count, 16);
    assert_eq!(r.sim.list(&Kind::Pod).len(), 40, "the events are limited, not the creates");
}
