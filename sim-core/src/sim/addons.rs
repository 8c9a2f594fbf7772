//! The cluster add-ons a scenario can ask for, as kubeadm installs them
//! (cmd/kubeadm/app/phases/addons/dns: manifests.go `CoreDNSDeployment`, `KubeDNSService`;
//! dns.go `EnsureDNSAddon`): created through the apiserver at t = 0, then scheduled,
//! started and kept running by the cluster like any workload.

use crate::api::Object;
use serde_json::json;

/// kubeadm v1.34's CoreDNS image (constants.CoreDNSVersion).
pub const COREDNS_IMAGE: &str = "registry.k8s.io/coredns/coredns:v1.12.1";

/// The kube-dns Service's address: kubeadm's GetDNSIP, the service subnet's 10th address.
pub fn dns_ip(service_cidr: crate::network::ipam::Cidr) -> String {
    crate::network::ipam::format_ip(service_cidr.base + 10)
}

/// The CoreDNS Deployment and the kube-dns Service, as kubeadm writes them.
pub fn coredns(dns_ip: &str) -> Vec<Object> {
    let deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
            "template": {
                "metadata": {"labels": {"k8s-app": "kube-dns"}},
                "spec": {
                    "priorityClassName": "system-cluster-critical",
                    "serviceAccountName": "coredns",
                    "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                        "weight": 100,
                        "podAffinityTerm": {
                            "labelSelector": {"matchExpressions": [{"key": "k8s-app", "operator": "In", "values": ["kube-dns"]}]},
                            "topologyKey": "kubernetes.io/hostname"
                        }
                    }]}},
                    "tolerations": [
                        {"key": "CriticalAddonsOnly", "operator": "Exists"},
                        {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
                    ],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "containers": [{
                        "name": "coredns",
                        "image": COREDNS_IMAGE,
                        "imagePullPolicy": "IfNotPresent",
                        "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
                        "args": ["-conf", "/etc/coredns/Corefile"],
                        "ports": [
                            {"containerPort": 53, "name": "dns", "protocol": "UDP"},
                            {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                            {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}
                        ],
                        "livenessProbe": {
                            "httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"},
                            "initialDelaySeconds": 60, "timeoutSeconds": 5, "successThreshold": 1, "failureThreshold": 5
                        },
                        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181, "scheme": "HTTP"}}
                    }],
                    "dnsPolicy": "Default"
                }
            }
        }
    });
    let service = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kube-dns",
            "namespace": "kube-system",
            "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
            "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}
        },
        "spec": {
            "clusterIP": dns_ip,
            "ports": [
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}
            ],
            "selector": {"k8s-app": "kube-dns"}
        }
    });
    let d = serde_json::from_value(deployment).expect("the CoreDNS Deployment decodes");
    let s = serde_json::from_value(service).expect("the kube-dns Service decodes");
    vec![Object::Deployment(Box::new(d)), Object::Service(Box::new(s))]
}

/// ingress-nginx's image in the official manifest (controller v1.15.1).
pub const INGRESS_NGINX_IMAGE: &str = "registry.k8s.io/ingress-nginx/controller:v1.15.1";

/// ingress-nginx as its cloud manifest installs it (kubernetes/ingress-nginx
/// deploy/static/provider/cloud/deploy.yaml), reduced to what the cluster acts on: the
/// namespace, the IngressClass `nginx` (not the default class), the controller
/// Deployment and its LoadBalancer Service (externalTrafficPolicy Local).
pub fn ingress_nginx() -> Vec<Object> {
    let labels = json!({
        "app.kubernetes.io/component": "controller",
        "app.kubernetes.io/instance": "ingress-nginx",
        "app.kubernetes.io/name": "ingress-nginx"
    });
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ingress-nginx", "labels": {"app.kubernetes.io/instance": "ingress-nginx", "app.kubernetes.io/name": "ingress-nginx"}}});
    let class = json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "nginx", "labels": labels},
        "spec": {"controller": "k8s.io/ingress-nginx"}
    });
    let deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx", "labels": labels},
        "spec": {
            "minReadySeconds": 0,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": labels},
            "strategy": {"rollingUpdate": {"maxUnavailable": 1}, "type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [{
                        "name": "controller",
                        "image": INGRESS_NGINX_IMAGE,
                        "imagePullPolicy": "IfNotPresent",
                        "args": [
                            "/nginx-ingress-controller",
                            "--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller",
                            "--election-id=ingress-nginx-leader",
                            "--controller-class=k8s.io/ingress-nginx",
                            "--ingress-class=nginx",
                            "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller"
                        ],
                        "ports": [
                            {"containerPort": 80, "name": "http", "protocol": "TCP"},
                            {"containerPort": 443, "name": "https", "protocol": "TCP"},
                            {"containerPort": 8443, "name": "webhook", "protocol": "TCP"}
                        ],
                        "readinessProbe": {
                            "httpGet": {"path": "/healthz", "port": 10254, "scheme": "HTTP"},
                            "initialDelaySeconds": 10, "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3
                        },
                        "livenessProbe": {
                            "httpGet": {"path": "/healthz", "port": 10254, "scheme": "HTTP"},
                            "initialDelaySeconds": 10, "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 5
                        },
                        "resources": {"requests": {"cpu": "100m", "memory": "90Mi"}}
                    }],
                    "dnsPolicy": "ClusterFirst",
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "serviceAccountName": "ingress-nginx",
                    "terminationGracePeriodSeconds": 300
                }
            }
        }
    });
    let service = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx", "labels": labels},
        "spec": {
            "externalTrafficPolicy": "Local",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [
                {"appProtocol": "http", "name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"},
                {"appProtocol": "https", "name": "https", "port": 443, "protocol": "TCP", "targetPort": "https"}
            ],
            "selector": labels,
            "type": "LoadBalancer"
        }
    });
    vec![
        Object::Namespace(serde_json::from_value(namespace).expect("the namespace decodes")),
        Object::IngressClass(Box::new(serde_json::from_value(class).expect("the IngressClass decodes"))),
        Object::Deployment(Box::new(serde_json::from_value(deployment).expect("the controller Deployment decodes"))),
        Object::Service(Box::new(serde_json::from_value(service).expect("the controller Service decodes"))),
    ]
}

/// The default StorageClass a cluster ships: kind's (kubernetes-sigs/kind
/// pkg/build/nodeimage/const_storage.go, applied by installstorage at cluster create) or
/// minikube's (deploy/addons/storageclass/storageclass.yaml: the beta default annotation,
/// no mode or policy, so Immediate and Delete by defaulting). Their provisioners run in
/// the controller manager's loop (controller_manager/external_provisioner.rs).
pub fn default_storage_class(s: crate::scenario::model::Storage) -> Vec<Object> {
    use crate::scenario::model::Storage;
    let v = match s {
        Storage::LocalPath => json!({
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "rancher.io/local-path",
            "volumeBindingMode": "WaitForFirstConsumer",
            "reclaimPolicy": "Delete"
        }),
        Storage::MinikubeHostPath => json!({
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {
                "name": "standard",
                "annotations": {"storageclass.beta.kubernetes.io/is-default-class": "true"},
                "labels": {"kubernetes.io/cluster-service": "true"}
            },
            "provisioner": "k8s.io/minikube-hostpath"
        }),
        Storage::None => return Vec::new(),
    };
    vec![Object::StorageClass(Box::new(serde_json::from_value(v).expect("a StorageClass")))]
}

/// kubeadm's kube-proxy add-on (cmd/kubeadm/app/phases/addons/proxy/manifests.go
/// KubeProxyDaemonSet19): a DaemonSet in kube-system, on the host's network, tolerating
/// every taint, at `system-node-critical` priority. Its pods stand for the kube-proxy
/// ksim runs on each node (proxy/), which does not wait for them.
pub fn kube_proxy() -> Vec<Object> {
    let ds = json!({
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": {"k8s-app": "kube-proxy"}},
        "spec": {
            "selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": {"k8s-app": "kube-proxy"}},
                "spec": {
                    "priorityClassName": "system-node-critical",
                    "serviceAccountName": "kube-proxy",
                    "hostNetwork": true,
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [{
                        "name": "kube-proxy",
                        "image": format!("registry.k8s.io/kube-proxy:{}", crate::kubelet::KUBERNETES_VERSION),
                        "imagePullPolicy": "IfNotPresent",
                        "command": ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf", "--hostname-override=$(NODE_NAME)"]
                    }]
                }
            }
        }
    });
    vec![Object::DaemonSet(Box::new(serde_json::from_value(ds).expect("the kube-proxy DaemonSet decodes")))]
}

/// metrics-server's components.yaml (v0.7.2), as far as a cluster runs it: its Deployment
/// and Service in kube-system (the APIService `v1beta1.metrics.k8s.io` that registers it
/// with the aggregation layer, and its RBAC, are not modelled kinds).
pub fn metrics_server() -> Vec<Object> {
    let deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "metrics-server", "namespace": "kube-system", "labels": {"k8s-app": "metrics-server"}},
        "spec": {
            "selector": {"matchLabels": {"k8s-app": "metrics-server"}},
            "strategy": {"rollingUpdate": {"maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"k8s-app": "metrics-server"}},
                "spec": {
                    "containers": [{
                        "name": "metrics-server",
                        "image": crate::metrics_server::IMAGE,
                        "imagePullPolicy": "IfNotPresent",
                        "args": ["--cert-dir=/tmp", "--secure-port=10250", "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname", "--kubelet-use-node-status-port", "--metric-resolution=15s"],
                        "ports": [{"containerPort": 10250, "name": "https", "protocol": "TCP"}],
                        "livenessProbe": {"httpGet": {"path": "/livez", "port": "https", "scheme": "HTTPS"}, "periodSeconds": 10, "failureThreshold": 3},
                        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "https", "scheme": "HTTPS"}, "initialDelaySeconds": 20, "periodSeconds": 10, "failureThreshold": 3},
                        "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}}
                    }],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "priorityClassName": "system-cluster-critical",
                    "serviceAccountName": "metrics-server"
                }
            }
        }
    });
    let service = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "metrics-server", "namespace": "kube-system", "labels": {"k8s-app": "metrics-server"}},
        "spec": {"ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": "https"}], "selector": {"k8s-app": "metrics-server"}}
    });
    vec![
        Object::Deployment(Box::new(serde_json::from_value(deployment).expect("the metrics-server Deployment decodes"))),
        Object::Service(Box::new(serde_json::from_value(service).expect("the metrics-server Service decodes"))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dns_address_is_the_tenth_of_the_service_subnet() {
        // kubeadm's GetDNSIP: the service subnet's 10th address, 10.96.0.10 for 10.96.0.0/12.
        let cidr = crate::network::ipam::Cidr::parse("10.96.0.0/12").unwrap();
        assert_eq!(dns_ip(cidr), "10.96.0.10");
        assert_eq!(coredns("10.96.0.10").len(), 2);
        assert_eq!(ingress_nginx().len(), 4);
        assert_eq!(metrics_server().len(), 2);
    }
}
