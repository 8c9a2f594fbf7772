//! Storage end to end, against upstream's PV controller (pkg/controller/volume/
//! persistentvolume), the scheduler's VolumeBinding and VolumeRestrictions plugins, the
//! StatefulSet controller's claims, the protection controllers, the attach/detach
//! controller and the kubelet's volume manager — and the documentation's storage
//! manifests doing what their pages say.

mod common;

use sim_core::api::storage::{PersistentVolume, PersistentVolumeClaim};
use sim_core::api::Kind;
use sim_core::engine::SimTime;
use sim_core::{RunOptions, Simulation};

fn sim(text: &str) -> Simulation {
    let s = common::load_str(text);
    Simulation::new(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap()
}

fn claim(sim: &Simulation, name: &str) -> Option<PersistentVolumeClaim> {
    sim.list(&Kind::PersistentVolumeClaim).iter().filter_map(|o| o.as_pvc()).find(|c| c.metadata.name == name).cloned()
}

fn volumes(sim: &Simulation) -> Vec<PersistentVolume> {
    sim.list(&Kind::PersistentVolume).iter().filter_map(|o| o.as_pv()).cloned().collect()
}

fn volume(sim: &Simulation, name: &str) -> Option<PersistentVolume> {
    volumes(sim).into_iter().find(|v| v.metadata.name == name)
}

fn pod_status(sim: &Simulation, name: &str) -> Option<String> {
    sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()).find(|p| p.metadata.name == name).map(sim_core::trace::pod_status)
}

use common::events;

fn corpus(rel: &str) -> Option<String> {
    let p = common::repo_root().join("../shared/corpus/kubernetes-website").join(rel);
    match std::fs::read_to_string(&p) {
        Ok(t) => Some(t),
        Err(_) => {
            assert!(std::env::var_os("KSIM_SKIP_CORPUS").is_some(), "{} not found", p.display());
            None
        }
    }
}

fn scenario(until: &str, body: &str) -> String {
    format!("apiVersion: ksim.dev/v1\nkind: Scenario\nspec: {{until: {until}}}\n---\n{body}")
}

/// concepts/workloads/controllers/statefulset ("Stable Storage": "For each
/// VolumeClaimTemplate entry defined in a StatefulSet, each Pod receives one
/// PersistentVolumeClaim … a single PersistentVolume with a StorageClass of my-storage-class
/// and 1 GiB of provisioned storage") and the StatefulSet basics tutorial (`kubectl get
/// pvc -l app=nginx`: www-web-0 and www-web-1 Bound, 1Gi, RWO): the claims are
/// `<template>-<pod>` (getPersistentVolumeClaimName), labelled with the selector, made
/// before their pods (`create Claim www-web-0 Pod web-0 in StatefulSet web success`,
/// recordClaimEvent), provisioned by the default class, and mounted under the template's
/// name (updateStorage).
#[test]
fn the_documentation_web_stateful_set_gets_a_claim_per_pod() {
    let Some(web) = corpus("application/web/web.yaml") else { return };
    let mut s = sim(&web);
    s.run_until(SimTime::from_secs(60));
    for (pod, c) in [("web-0", "www-web-0"), ("web-1", "www-web-1")] {
        let c = claim(&s, c).unwrap_or_else(|| panic!("{c}"));
        assert_eq!(c.status.phase, "Bound");
        assert_eq!(c.metadata.labels.get("app").map(String::as_str), Some("nginx"));
        assert_eq!(c.class(), "standard", "the default class");
        assert_eq!(sim_core::api::storage::access_modes_string(&c.status.access_modes), "RWO");
        assert_eq!(c.status.capacity.get("storage").map(|q| q.to_string()).as_deref(), Some("1Gi"));
        let v = volume(&s, &c.spec.volume_name).expect("its volume");
        assert_eq!(v.spec.claim_ref.as_ref().map(|r| r.name.as_str()), Some(c.metadata.name.as_str()));
        assert_eq!(v.status.phase, "Bound");
        // kind's local-path volumes are pinned to the node they were made on.
        let p = s.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()).find(|p| p.metadata.name == pod).cloned().unwrap();
        let node = |n: &str| s.list(&Kind::Node).iter().filter_map(|o| o.as_node()).find(|x| x.metadata.name == n).cloned().unwrap();
        let here = node(&p.spec.node_name);
        assert!(v.fits_node(&here.metadata.labels, &here.metadata.name), "the pod's node");
        let other = s.list(&Kind::Node).iter().filter_map(|o| o.as_node()).find(|x| x.metadata.name != p.spec.node_name).cloned().unwrap();
        assert!(!v.fits_node(&other.metadata.labels, &other.metadata.name), "only the pod's node");
        assert_eq!(sim_core::api::storage::pod_claims(p.spec.volumes.as_deref()), [("www".to_string(), c.metadata.name.to_string())]);
        assert_eq!(pod_status(&s, pod).as_deref(), Some("Running"));
    }
    let evs = events(&s, "StatefulSet");
    let i = evs.iter().position(|(_, m)| m == "create Claim www-web-0 Pod web-0 in StatefulSet web success").expect("the claim's event");
    let j = evs.iter().position(|(_, m)| m == "create Pod web-0 in StatefulSet web successful").expect("the pod's event");
    assert!(i < j, "the claim before its pod");
    assert!(s.violations().is_empty(), "{:#?}", s.violations());
}

/// tasks/run-application/run-single-instance-stateful-application: "Deploy MySQL … The
/// PersistentVolume and the PersistentVolumeClaim" — `mysql-pv.yaml` makes a 20Gi
/// hostPath volume and a claim of class `manual` (a class no StorageClass defines: not
/// delay-binding, IsDelayBindingMode), bound at once; the Deployment's pod mounts it and
/// runs.
#[test]
fn the_documentation_mysql_volume_binds_and_its_pod_runs() {
    let (Some(pv), Some(deploy)) = (corpus("application/mysql/mysql-pv.yaml"), corpus("application/mysql/mysql-deployment.yaml")) else { return };
    let mut s = sim(&scenario("2m", &format!("{pv}\n---\n{deploy}")));
    s.run_until(SimTime::from_secs(90));
    let c = claim(&s, "mysql-pv-claim").unwrap();
    assert_eq!((c.status.phase.as_str(), c.spec.volume_name.as_str()), ("Bound", "mysql-pv-volume"));
    let v = volume(&s, "mysql-pv-volume").unwrap();
    assert_eq!(v.status.phase, "Bound");
    assert_eq!(v.reclaim_policy(), "Retain", "SetDefaults_PersistentVolume");
    let running = s
        .list(&Kind::Pod)
        .iter()
        .filter_map(|o| o.as_pod())
        .filter(|p| p.metadata.name.starts_with("mysql-"))
        .map(sim_core::trace::pod_status)
        .collect::<Vec<_>>();
    assert_eq!(running, ["Running"]);
    assert!(s.violations().is_empty(), "{:#?}", s.violations());
}

const THREE_VOLUMES: &str = r#"
apiVersion: v1
kind: PersistentVolume
metadata: {name: small}
spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /mnt/small}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: medium}
spec: {capacity: {storage: 5Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /mnt/medium}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: large}
spec: {capacity: {storage: 10Gi}, accessModes: [ReadWriteOnce], persistentVolumeReclaimPolicy: Delete, hostPath: {path: /tmp/large}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: three}
spec: {storageClassName: "", accessModes: [ReadWriteOnce], resources: {requests: {storage: 3Gi}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: eight}
spec: {storageClassName: "", accessModes: [ReadWriteOnce], resources: {requests: {storage: 8Gi}}}
"#;

/// findByClaim / FindMatchingVolume: each claim gets the smallest Available volume that
/// is large enough (3Gi → 5Gi, 8Gi → 10Gi); the 1Gi one stays Available. The claims name
/// class "" (the DefaultStorageClass admission leaves an explicit "" alone), matching
/// the class-less volumes. The bound volume gets `pv.kubernetes.io/bound-by-controller`,
/// the claim `bind-completed` (pv_controller.go bind). Deleting the claims releases the
/// volumes (syncVolume): Retain keeps `medium` Released with its claimRef; Delete on a
/// hostPath under /tmp is carried out by the in-tree deleter (the volume goes).
#[test]
fn claims_bind_the_smallest_volume_that_fits_and_release_by_policy() {
    let body = format!(
        "{THREE_VOLUMES}\n---\napiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 2m\n  timeline:\n  - {{at: 1m, delete: {{target: pvc/three}}}}\n  - {{at: 1m, delete: {{target: pvc/eight}}}}\n"
    );
    let mut s = sim(&body);
    s.run_until(SimTime::from_secs(30));
    assert_eq!(claim(&s, "three").unwrap().spec.volume_name, "medium");
    assert_eq!(claim(&s, "eight").unwrap().spec.volume_name, "large");
    assert_eq!(volume(&s, "small").unwrap().status.phase, "Available");
    let m = volume(&s, "medium").unwrap();
    assert_eq!(m.status.phase, "Bound");
    assert_eq!(m.metadata.annotations.get("pv.kubernetes.io/bound-by-controller").map(String::as_str), Some("yes"));
    assert!(claim(&s, "three").unwrap().metadata.annotations.contains_key("pv.kubernetes.io/bind-completed"));
    s.run_until(SimTime::from_secs(100));
    assert!(claim(&s, "three").is_none(), "no pod used it: the protection finalizer went");
    let m = volume(&s, "medium").unwrap();
    assert_eq!(m.status.phase, "Released");
    assert_eq!(m.spec.claim_ref.as_ref().map(|r| r.name.as_str()), Some("three"), "a Released volume keeps its claimRef");
    assert!(volume(&s, "large").is_none(), "Delete: the volume is gone");
    assert!(s.violations().is_empty(), "{:#?}", s.violations());
}

/// A claim naming a class that does not exist stays Pending (not an error):
/// provisionClaim's findProvisionablePlugin fails with the lister's words, recorded as
/// `ProvisioningFailed` `storageclass.storage.k8s.io "fast" not found`.
#[test]
fn a_claim_of_a_missing_class_stays_pending_with_upstreams_event() {
    let mut s = sim(&scenario(
        "1m",
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec: {storageClassName: fast, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n",
    ));
    s.run_until(SimTime::from_secs(60));
    assert_eq!(claim(&s, "data").unwrap().status.phase, "Pending");
    assert!(events(&s, "PersistentVolumeClaim").contains(&("ProvisioningFailed".into(), "storageclass.storage.k8s.io \"fast\" not found".into())));
}

/// The StorageObjectInUseProtection admission adds `kubernetes.io/pvc-protection`; a
/// claim deleted while a running pod uses it stays, Terminating, until the pod is gone
/// (pvc_protection_controller.go: podUsesPVC), then goes.
#[test]
fn a_claim_in_use_is_kept_until_its_pod_is_gone() {
    let text = r#"
apiVersion: ksim.dev/v1
kind: Scenario
spec:
  until: 3m
  timeline:
  - {at: 1m, delete: {target: pvc/data}}
  - {at: 2m, delete: {target: pod/app}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  terminationGracePeriodSeconds: 5
  containers: [{name: app, image: "nginx:1.27", volumeMounts: [{name: d, mountPath: /d}]}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
"#;
    let mut s = sim(text);
    s.run_until(SimTime::from_secs(59));
    let c = claim(&s, "data").unwrap();
    assert_eq!(c.metadata.finalizers(), ["kubernetes.io/pvc-protection"]);
    assert_eq!(c.status.phase, "Bound");
    s.run_until(SimTime::from_secs(110));
    let c = claim(&s, "data").expect("kept while the pod runs");
    assert!(c.metadata.rare.deletion_timestamp.is_some(), "Terminating");
    s.run_until(SimTime::from_secs(170));
    assert!(claim(&s, "data").is_none(), "gone with its pod");
    // Its provisioned volume (reclaim policy Delete, kind's class) goes too.
    s.run_until(SimTime::from_secs(180));
    assert!(volumes(&s).is_empty(), "{:?}", volumes(&s).iter().map(|v| (&v.metadata.name, &v.status.phase)).collect::<Vec<_>>());
    assert!(s.violations().is_empty(), "{:#?}", s.violations());
}

/// VolumeRestrictions: a ReadWriteOncePod claim used by a scheduled pod makes every node
/// fail for a second pod ("node has pod using PersistentVolumeClaim with the same name
/// and ReadWriteOncePod access mode", Unschedulable: preemption is tried).
#[test]
fn a_read_write_once_pod_claim_admits_one_pod() {
    let pod = |name: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers: [{{name: app, image: \"nginx:1.27\"}}]\n  volumes: [{{name: d, persistentVolumeClaim: {{claimName: data}}}}]\n"
        )
    };
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 1m\n  timeline:\n  - at: 20s\n    apply:\n{}\n---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: data}}\nspec: {{accessModes: [ReadWriteOncePod], resources: {{requests: {{storage: 1Gi}}}}}}\n---\n{}",
        pod("second").lines().map(|l| format!("      {l}")).collect::<Vec<_>>().join("\n"),
        pod("first")
    );
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(60));
    assert_eq!(pod_status(&s, "first").as_deref(), Some("Running"));
    assert_eq!(pod_status(&s, "second").as_deref(), Some("Pending"));
    let msg = events(&s, "Pod").into_iter().find(|(r, _)| r == "FailedScheduling").map(|(_, m)| m).expect("FailedScheduling");
    assert!(
        msg.starts_with("0/3 nodes are available: 3 node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode."),
        "{msg}"
    );
}

/// persistentVolumeClaimRetentionPolicy whenScaled: Delete — the condemned pod owns its
/// claim before it is deleted (updateClaimOwnerRefForSetAndPod), so the garbage
/// collector deletes the claim with it; the default (Retain) keeps the claim for a later
/// scale-up.
#[test]
fn scaling_down_deletes_claims_only_when_the_policy_says_so() {
    let set = |policy: &str| {
        format!(
            r#"
apiVersion: ksim.dev/v1
kind: Scenario
spec:
  until: 3m
  timeline:
  - {{at: 1m, scale: {{target: statefulset/web, replicas: 1}}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: web}}
spec:
  serviceName: web
  replicas: 2
  {policy}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{{name: app, image: "nginx:1.27"}}]
  volumeClaimTemplates:
  - metadata: {{name: www}}
    spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}}}
"#
        )
    };
    let mut s = sim(&set("persistentVolumeClaimRetentionPolicy: {whenScaled: Delete}"));
    s.run_until(SimTime::from_secs(55));
    assert!(claim(&s, "www-web-1").is_some());
    s.run_until(SimTime::from_secs(150));
    assert!(claim(&s, "www-web-1").is_none(), "deleted with web-1");
    assert!(claim(&s, "www-web-0").is_some());
    let mut s = sim(&set(""));
    s.run_until(SimTime::from_secs(150));
    assert!(claim(&s, "www-web-1").is_some(), "Retain keeps it");
    assert!(s.violations().is_empty(), "{:#?}", s.violations());
}

/// A pod given a node directly, whose claim is not bound: the kubelet's populator
/// cannot process the volume, WaitForAttachAndMount fails at once and SyncPod records
/// `FailedMount` "Unable to attach or mount volumes: unmounted volumes=[d], unattached
/// volumes=[], failed to process volumes=[d]: error processing PVC default/data: PVC is
/// not bound" (desired_state_of_world_populator.go, kubelet.go SyncPod).
#[test]
fn a_pod_whose_claim_is_not_bound_waits_with_the_kubelets_words() {
    let mut s = sim(&scenario(
        "1m",
        r#"
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {storageClassName: "", accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  nodeName: worker-1
  containers: [{name: app, image: "nginx:1.27"}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
"#,
    ));
    s.run_until(SimTime::from_secs(60));
    assert_eq!(pod_status(&s, "app").as_deref(), Some("ContainerCreating"));
    let want = "Unable to attach or mount volumes: unmounted volumes=[d], unattached volumes=[], failed to process volumes=[d]: error processing PVC default/data: PVC is not bound";
    assert!(events(&s, "Pod").iter().any(|(r, m)| r == "FailedMount" && m == want), "{:?}", events(&s, "Pod"));
    // No volume and no class: the PV controller's Normal FailedBinding.
    assert!(events(&s, "PersistentVolumeClaim")
        .contains(&("FailedBinding".into(), "no persistent volumes available for this claim and no storage class is set".into())));
}

/// Two pods of a Deployment share a ReadWriteOnce CSI volume on different nodes: the
/// second is not attached, and reportMultiAttachError names the pod holding it ("Volume
/// is already used by pod(s) …"); the volume is never attached to two nodes.
#[test]
fn a_second_node_gets_a_multi_attach_error_naming_the_pod_that_holds_the_volume() {
    let mut s = sim(&scenario(
        "1m",
        r#"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: ebs}
provisioner: ebs.csi.aws.com
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: shared}
spec: {storageClassName: ebs, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}
      containers: [{name: app, image: "nginx:1.27"}]
      volumes: [{name: d, persistentVolumeClaim: {claimName: shared}}]
"#,
    ));
    s.run_until(SimTime::from_secs(60));
    let pods: Vec<(String, String)> = s
        .list(&Kind::Pod)
        .iter()
        .filter_map(|o| o.as_pod())
        .filter(|p| p.metadata.name.starts_with("web-"))
        .map(|p| (p.metadata.name.to_string(), sim_core::trace::pod_status(p)))
        .collect();
    let running: Vec<&String> = pods.iter().filter(|(_, st)| st == "Running").map(|(n, _)| n).collect();
    assert_eq!(running.len(), 1, "{pods:?}");
    let want = format!("Volume is already used by pod(s) {}", running[0]);
    let evs = events(&s, "Pod");
    assert!(evs.iter().any(|(r, m)| r == "FailedAttachVolume" && m.starts_with("Multi-Attach error for volume \"pvc-") && m.ends_with(&want)), "{evs:?}");
    assert!(s.violations().is_empty(), "{:#?}", s.violations());
}

/// NodeVolumeLimits: a node whose CSINode lets `ebs.csi.aws.com` attach 2 volumes takes
/// pods until their claims would make 3 ("node(s) exceed max volume count", csi.go
/// Filter); a pod sharing a claim already on the node does not count it again.
#[test]
fn a_node_takes_no_more_csi_volumes_than_its_csinode_allows() {
    let pod = |name: &str, claim: &str| {
        format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers: [{{name: app, image: \"nginx:1.27\"}}]\n  volumes: [{{name: d, persistentVolumeClaim: {{claimName: {claim}}}}}]\n---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: {claim}}}\nspec: {{storageClassName: ebs, accessModes: [ReadWriteMany], resources: {{requests: {{storage: 1Gi}}}}}}\n"
        )
    };
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 1m\n  cluster:\n    nodePools:\n    - {{name: w, count: 1, capacity: {{cpu: \"8\", memory: 16Gi}}, csiDrivers: {{ebs.csi.aws.com: 2}}}}\n  timeline:\n  - at: 20s\n    apply:\n      apiVersion: v1\n      kind: Pod\n      metadata: {{name: shares}}\n      spec:\n        containers: [{{name: app, image: \"nginx:1.27\"}}]\n        volumes: [{{name: d, persistentVolumeClaim: {{claimName: c1}}}}]\n  - at: 30s\n    apply:\n      apiVersion: v1\n      kind: Pod\n      metadata: {{name: third}}\n      spec:\n        containers: [{{name: app, image: \"nginx:1.27\"}}]\n        volumes: [{{name: d, persistentVolumeClaim: {{claimName: c3}}}}]\n---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {{name: ebs}}\nprovisioner: ebs.csi.aws.com\nvolumeBindingMode: WaitForFirstConsumer\n{}{}---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: c3}}\nspec: {{storageClassName: ebs, accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}}}\n",
        pod("one", "c1"),
        pod("two", "c2")
    );
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(60));
    let csi = s.list(&Kind::CSINode);
    let c = csi[0].as_csi_node().unwrap();
    assert_eq!((c.metadata.name.as_str(), c.spec.drivers[0].allocatable.as_ref().and_then(|a| a.count)), ("w-1", Some(2)));
    for p in ["one", "two", "shares"] {
        assert_eq!(pod_status(&s, p).as_deref(), Some("Running"), "{p}");
    }
    assert_eq!(pod_status(&s, "third").as_deref(), Some("Pending"));
    let msg = events(&s, "Pod").into_iter().filter(|(r, _)| r == "FailedScheduling").map(|(_, m)| m).next_back().expect("FailedScheduling");
    assert!(msg.starts_with("0/1 nodes are available: 1 node(s) exceed max volume count. preemption: "), "{msg}");
    assert!(s.violations().is_empty(), "{:#?}", s.violations());
}

/// The documentation's stateful applications, each as its page runs it: every claim of
/// their volumeClaimTemplates Bound and every replica Running —
/// tasks/run-application/run-replicated-stateful-application (mysql: the ConfigMap, the
/// Services and the StatefulSet, `kubectl get pvc -l app=mysql`: data-mysql-0..2),
/// tutorials/stateful-application/cassandra (a class `fast` of minikube's provisioner,
/// Immediate: cassandra-data-cassandra-0..2), tutorials/stateful-application/zookeeper
/// (datadir-zk-0..2) and the StatefulSet basics' `web-parallel`. The StatefulSet
/// concept page's example names `my-storage-class`, which it leaves to the reader: its
/// claim stays Pending (`ProvisioningFailed`, no such class) and so does web-0 ("pod has
/// unbound immediate PersistentVolumeClaims").
#[test]
fn the_documentation_stateful_applications_get_their_volumes() {
    let cases: [(&[&str], &str, usize); 4] = [
        (&["application/mysql/mysql-configmap.yaml", "application/mysql/mysql-services.yaml", "application/mysql/mysql-statefulset.yaml"], "data-mysql-", 3),
        (&["application/cassandra/cassandra-statefulset.yaml"], "cassandra-data-cassandra-", 3),
        (&["application/zookeeper/zookeeper.yaml"], "datadir-zk-", 3),
        (&["application/web/web-parallel.yaml"], "www-web-", 2),
    ];
    for (files, prefix, n) in cases {
        let mut docs = Vec::new();
        for f in files {
            let Some(t) = corpus(f) else { return };
            docs.push(t);
        }
        let mut s = sim(&scenario("5m", &docs.join("\n---\n")));
        s.run_until(SimTime::from_secs(300));
        for i in 0..n {
            let c = claim(&s, &format!("{prefix}{i}")).unwrap_or_else(|| panic!("{prefix}{i}"));
            assert_eq!(c.status.phase, "Bound", "{prefix}{i}");
        }
        let sets = s.list(&Kind::StatefulSet);
        let set = sets[0].as_stateful_set().unwrap();
        assert_eq!(set.status.ready_replicas, n as i32, "{}", set.metadata.name);
        assert!(s.violations().is_empty(), "{:#?}", s.violations());
    }
    let Some(concept) = corpus("controllers/statefulset.yaml") else { return };
    let mut s = sim(&scenario("1m", &concept));
    s.run_until(SimTime::from_secs(60));
    assert_eq!(claim(&s, "www-web-0").unwrap().status.phase, "Pending");
    assert!(events(&s, "PersistentVolumeClaim").contains(&("ProvisioningFailed".into(), "storageclass.storage.k8s.io \"my-storage-class\" not found".into())));
    let msg = events(&s, "Pod").into_iter().find(|(r, _)| r == "FailedScheduling").map(|(_, m)| m).expect("FailedScheduling");
    assert!(msg.starts_with("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims."), "{msg}");
}

/// Two claims synced together, two equal volumes: each gets its own (the PV controller's
/// volume cache holds its own claimRef writes, so the second claim does not take the
/// volume the first is being bound to — pv_controller.go bind, storeVolumeUpdate).
#[test]
fn claims_synced_together_get_a_volume_each() {
    let pv = |n: &str| {
        format!("apiVersion: v1\nkind: PersistentVolume\nmetadata: {{name: {n}}}\nspec: {{capacity: {{storage: 5Gi}}, accessModes: [ReadWriteOnce], hostPath: {{path: /mnt/{n}}}}}\n")
    };
    let pvc = |n: &str| {
        format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: {n}}}\nspec: {{storageClassName: \"\", accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}}}\n")
    };
    let mut s = sim(&scenario("1m", &[pv("p1"), pv("p2"), pvc("a"), pvc("b"), pvc("c")].join("---\n")));
    s.run_until(SimTime::from_secs(60));
    let (a, b, c) = (claim(&s, "a").unwrap(), claim(&s, "b").unwrap(), claim(&s, "c").unwrap());
    let mut bound: Vec<&str> = [&a, &b, &c].iter().filter(|c| c.status.phase == "Bound").map(|c| c.spec.volume_name.as_str()).collect();
    bound.sort();
    assert_eq!(bound, ["p1", "p2"], "two claims bound, one volume each");
    assert_eq!([&a, &b, &c].iter().filter(|c| c.status.phase == "Pending").count(), 1, "the third waits");
    assert!(s.violations().is_empty(), "{:#?}", s.violations());
}

/// Two pods sharing one WaitForFirstConsumer claim (kind's default class): the first
/// pod's node is chosen for the claim (the scheduler's claim assume cache, then its
/// selected-node annotation), so the second can only go there (FindPodVolumes: "node(s)
/// didn't find available persistent volumes to bind" elsewhere) and both run on the node
/// the local-path volume is pinned to.
#[test]
fn pods_sharing_a_waiting_claim_go_to_its_node() {
    let mut s = sim(&scenario(
        "1m",
        r#"
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: shared}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: "nginx:1.27"}]
      volumes: [{name: d, persistentVolumeClaim: {claimName: shared}}]
"#,
    ));
    s.run_until(SimTime::from_secs(60));
    let pods: Vec<(String, String)> =
        s.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()).map(|p| (p.spec.node_name.to_string(), sim_core::trace::pod_status(p))).collect();
    assert_eq!(pods.len(), 2);
    assert!(pods.iter().all(|(n, st)| *n == pods[0].0 && st == "Running"), "{pods:?}");
    let c = claim(&s, "shared").unwrap();
    assert_eq!(c.metadata.annotations.get("volume.kubernetes.io/selected-node"), Some(&pods[0].0));
    assert!(s.violations().is_empty(), "{:#?}", s.violations());
}

/// Growing a claim (validation.go ValidatePersistentVolumeClaimUpdate and the
/// PersistentVolumeClaimResize admission): a Pending claim's spec is immutable; a Bound
/// claim of a class without allowVolumeExpansion (kind's `standard`) is refused with the
/// plugin's words.
#[test]
fn growing_a_claim_is_refused_as_upstream_refuses_it() {
    let claim_doc = |size: &str| {
        format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: data}}\nspec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: {size}}}}}}}")
    };
    let grow = |at: &str| format!("  - at: {at}\n    apply:\n{}\n", claim_doc("5Gi").lines().map(|l| format!("      {l}")).collect::<Vec<_>>().join("\n"));
    let pod = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: app}\nspec:\n  containers: [{name: app, image: \"nginx:1.27\"}]\n  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]\n";
    // Pending (no pod yet for a WaitForFirstConsumer class).
    let mut s = sim(&format!("apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 30s\n  timeline:\n{}---\n{}\n", grow("10s"), claim_doc("1Gi")));
    s.run_until(SimTime::from_secs(30));
    let errs: Vec<&String> = s.timeline_errors.iter().map(|(_, e)| e).collect();
    assert!(
        errs.iter().any(|e| e.contains("PersistentVolumeClaim \"data\" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims")),
        "{errs:?}"
    );
    // Bound, class standard (no allowVolumeExpansion).
    let mut s = sim(&format!("apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 1m\n  timeline:\n{}---\n{}\n{pod}", grow("40s"), claim_doc("1Gi")));
    s.run_until(SimTime::from_secs(60));
    assert_eq!(claim(&s, "data").unwrap().status.phase, "Bound");
    let errs: Vec<&String> = s.timeline_errors.iter().map(|(_, e)| e).collect();
    assert!(
        errs.iter().any(|e| e.contains(
            "persistentvolumeclaims \"data\" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize"
        )),
        "{errs:?}"
    );
    assert_eq!(claim(&s, "data").unwrap().request().map(|q| q.to_string()).as_deref(), Some("1Gi"));
}

/// KEP-2485: a higher-priority pod may preempt the holder of a ReadWriteOncePod claim —
/// VolumeRestrictions' conflict is Unschedulable, and its PreFilter state drops the
/// victim's use (updateWithPod) — then runs once the holder is gone.
#[test]
fn a_higher_priority_pod_preempts_the_holder_of_a_read_write_once_pod_claim() {
    let text = r#"
apiVersion: ksim.dev/v1
kind: Scenario
spec:
  until: 2m
  timeline:
  - at: 20s
    apply:
      apiVersion: v1
      kind: Pod
      metadata: {name: urgent}
      spec:
        priorityClassName: high
        containers: [{name: app, image: "nginx:1.27"}]
        volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOncePod], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: holder}
spec:
  terminationGracePeriodSeconds: 5
  containers: [{name: app, image: "nginx:1.27"}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
"#;
    let mut s = sim(text);
    s.run_until(SimTime::from_secs(19));
    assert_eq!(pod_status(&s, "holder").as_deref(), Some("Running"));
    s.run_until(SimTime::from_secs(120));
    assert!(pod_status(&s, "holder").is_none(), "preempted");
    assert!(events(&s, "Pod").iter().any(|(r, _)| r == "Preempted"));
    assert_eq!(pod_status(&s, "urgent").as_deref(), Some("Running"));
    assert!(s.violations().is_empty(), "{:#?}", s.violations());
}
