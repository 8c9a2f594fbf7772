//! Controller behaviour end to end: garbage collection along ownerReferences, adoption
//! and release by a ReplicaSet, `apply: {file: …}`, and the informer's relist after 410.

mod common;

use sim_core::api::{Kind, Object};
use sim_core::scenario::run::run_scenario;
use sim_core::RunOptions;

fn run(name: &str) -> sim_core::scenario::run::Report {
    let s = common::load_file(&common::repo_root().join("sim-core/tests/data").join(name));
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
        Object::Namespace(o)
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
    let names: Vec<String> = inf.list(&Kind::Namespace).map(|o| o.meta().name.clone()).collect();
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
