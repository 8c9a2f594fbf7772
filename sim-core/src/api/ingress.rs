//! Ingress and IngressClass (networking.k8s.io/v1; pkg/apis/networking/types.go), and
//! which backend a request goes to, as the API documents it (concepts/services-networking
//! /ingress: "Path types", "Examples", "Multiple matches", "Hostname wildcards"):
//!
//! - a rule's host is exact (`foo.bar.com`) or a wildcard (`*.foo.com`: exactly one more
//!   label); a rule without host takes every host; the request's host selects one host
//!   first — exact over wildcard over none (nginx's server_name order, one server per
//!   host in ingress-nginx) — and only that host's paths are matched;
//! - `Exact` matches the path exactly; `Prefix` element by element on `/` (a trailing
//!   `/` ignored); `ImplementationSpecific` as `Prefix` (what ingress-nginx's
//!   prefix locations come to for clean paths);
//! - among matching paths the longest wins, then `Exact` over `Prefix`;
//! - nothing matches: the `defaultBackend`, else the controller's own 404.

use super::meta::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::Value;

type Opaque = Option<Box<Value>>;

/// networkingv1.AnnotationIsDefaultIngressClass.
pub const ANNOTATION_DEFAULT_CLASS: &str = "ingressclass.kubernetes.io/is-default-class";
/// The legacy class annotation (networkingv1beta1.AnnotationIngressClass).
pub const ANNOTATION_INGRESS_CLASS: &str = "kubernetes.io/ingress.class";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ingress {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: IngressSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Opaque,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_backend: Option<IngressBackend>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tls: Vec<IngressTls>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<IngressRule>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressTls {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressRule {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpIngressRuleValue>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpIngressRuleValue {
    #[serde(default)]
    pub paths: Vec<HttpIngressPath>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpIngressPath {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_type: Option<String>,
    #[serde(default)]
    pub backend: IngressBackend,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressBackend {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<IngressServiceBackend>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Opaque,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressServiceBackend {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub port: ServiceBackendPort,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceBackendPort {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub number: i32,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressClass {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: IngressClassSpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressClassSpec {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub controller: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Opaque,
}

impl IngressClass {
    pub fn is_default(&self) -> bool {
        self.metadata.annotations.get(ANNOTATION_DEFAULT_CLASS).is_some_and(|v| v == "true")
    }
}

impl Ingress {
    /// The class it asks for: spec.ingressClassName, else the legacy annotation.
    pub fn class(&self) -> Option<&str> {
        self.spec.ingress_class_name.as_deref().or_else(|| self.metadata.annotations.get(ANNOTATION_INGRESS_CLASS).map(String::as_str))
    }

    /// status.loadBalancer.ingress (ip, else hostname).
    pub fn addresses(&self) -> Vec<String> {
        super::service::load_balancer_ingress(self.status.as_deref())
    }
}

/// Where a request is routed: the Ingress's namespace and the backend.
pub type Routed<'a> = (&'a str, &'a IngressBackend);

/// How well a rule's host matches a request's host: 2 exact, 1 wildcard, 0 no host.
pub fn host_match(rule_host: &str, host: &str) -> Option<u8> {
    if rule_host.is_empty() {
        return Some(0);
    }
    if let Some(suffix) = rule_host.strip_prefix("*.") {
        // One label, then the suffix.
        let (label, rest) = host.split_once('.')?;
        return (!label.is_empty() && rest == suffix).then_some(1);
    }
    (rule_host == host).then_some(2)
}

/// Whether a path of `path_type` matches the request path (the documentation's table).
pub fn path_matches(path_type: &str, path: &str, request: &str) -> bool {
    match path_type {
        "Exact" => path == request,
        _ => {
            // Prefix, element by element; a trailing slash on either side is ignored.
            let p: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            let r: Vec<&str> = request.split('/').filter(|s| !s.is_empty()).collect();
            r.len() >= p.len() && p.iter().zip(&r).all(|(a, b)| a == b)
        }
    }
}

/// The backend for a request to `host` + `path` among the paths of the Ingresses given
/// (those of one class): the best host match's paths, longest first, Exact over Prefix;
/// else the first `defaultBackend`. Returns the Ingress's namespace with the backend.
pub fn route<'a>(ingresses: &[&'a Ingress], host: &str, path: &str) -> Option<Routed<'a>> {
    // The server the host selects first (nginx's server_name order: exact, then the
    // longest wildcard, then the catch-all of rules without host); only its paths count.
    let server = ingresses
        .iter()
        .flat_map(|i| &i.spec.rules)
        .filter_map(|r| host_match(&r.host, host).map(|rank| (rank, r.host.len(), r.host.as_str())))
        .max()
        .map(|(_, _, h)| h);
    // (path length, exact) of the best match.
    let mut best: Option<((usize, bool), Routed<'a>)> = None;
    for ing in ingresses {
        for rule in &ing.spec.rules {
            if Some(rule.host.as_str()) != server {
                continue;
            }
            for p in rule.http.iter().flat_map(|h| &h.paths) {
                let t = p.path_type.as_deref().unwrap_or("Prefix");
                let rule_path = if p.path.is_empty() { "/" } else { p.path.as_str() };
                if !path_matches(t, rule_path, path) {
                    continue;
                }
                let key = (rule_path.trim_end_matches('/').len(), t == "Exact");
                if best.as_ref().is_none_or(|(k, _)| key > *k) {
                    best = Some((key, (ing.metadata.namespace.as_str(), &p.backend)));
                }
            }
        }
    }
    if let Some((_, b)) = best {
        return Some(b);
    }
    ingresses.iter().find_map(|i| i.spec.default_backend.as_ref().map(|b| (i.metadata.namespace.as_str(), b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "Examples" table of the Ingress concept page, row by row.
    #[test]
    fn path_matching_follows_the_documentation_table() {
        let rows: &[(&str, &[&str], &str, bool)] = &[
            ("Prefix", &["/"], "/anything/at/all", true),
            ("Exact", &["/foo"], "/foo", true),
            ("Exact", &["/foo"], "/bar", false),
            ("Exact", &["/foo"], "/foo/", false),
            ("Exact", &["/foo/"], "/foo", false),
            ("Prefix", &["/foo"], "/foo", true),
            ("Prefix", &["/foo"], "/foo/", true),
            ("Prefix", &["/foo/"], "/foo", true),
            ("Prefix", &["/foo/"], "/foo/", true),
            ("Prefix", &["/aaa/bb"], "/aaa/bbb", false),
            ("Prefix", &["/aaa/bbb"], "/aaa/bbb", true),
            ("Prefix", &["/aaa/bbb/"], "/aaa/bbb", true),
            ("Prefix", &["/aaa/bbb"], "/aaa/bbb/", true),
            ("Prefix", &["/aaa/bbb"], "/aaa/bbb/ccc", true),
            ("Prefix", &["/aaa/bbb"], "/aaa/bbbxyz", false),
            ("Prefix", &["/", "/aaa"], "/aaa/ccc", true),
            ("Prefix", &["/", "/aaa", "/aaa/bbb"], "/aaa/bbb", true),
            ("Prefix", &["/", "/aaa", "/aaa/bbb"], "/ccc", true),
            ("Prefix", &["/aaa"], "/ccc", false),
        ];
        for (t, paths, request, want) in rows {
            let got = paths.iter().any(|p| path_matches(t, p, request));
            assert_eq!(got, *want, "{t} {paths:?} {request}");
        }
    }

    fn ingress(rules: &[(&str, &str, &str, &str)]) -> Ingress {
        let mut i = Ingress::default();
        i.metadata.namespace = "default".into();
        for (host, path, t, svc) in rules {
            let backend = IngressBackend {
                service: Some(IngressServiceBackend { name: svc.to_string(), port: ServiceBackendPort { number: 80, ..Default::default() } }),
                resource: None,
            };
            let path = HttpIngressPath { path: path.to_string(), path_type: Some(t.to_string()), backend };
            i.spec.rules.push(IngressRule { host: host.to_string(), http: Some(HttpIngressRuleValue { paths: vec![path] }) });
        }
        i
    }

    fn routed(i: &Ingress, host: &str, path: &str) -> Option<String> {
        route(&[i], host, path).and_then(|(_, b)| b.service.as_ref()).map(|s| s.name.clone())
    }

    #[test]
    fn the_longest_path_wins_then_exact() {
        // "Multiple matches": longest first; equal: Exact over Prefix ("Mixed" row).
        let i = ingress(&[
            ("", "/", "Prefix", "root"),
            ("", "/aaa", "Prefix", "aaa"),
            ("", "/aaa/bbb", "Prefix", "bbb"),
            ("", "/foo", "Prefix", "p"),
            ("", "/foo", "Exact", "e"),
        ]);
        assert_eq!(routed(&i, "x", "/aaa/bbb").as_deref(), Some("bbb"));
        assert_eq!(routed(&i, "x", "/aaa/ccc").as_deref(), Some("aaa"));
        assert_eq!(routed(&i, "x", "/ccc").as_deref(), Some("root"));
        assert_eq!(routed(&i, "x", "/foo").as_deref(), Some("e"));
        assert_eq!(routed(&i, "x", "/foo/bar").as_deref(), Some("p"));
    }

    #[test]
    fn hosts_exact_then_wildcard_of_one_label() {
        // "Hostname wildcards" table.
        assert_eq!(host_match("*.foo.com", "bar.foo.com"), Some(1));
        assert_eq!(host_match("*.foo.com", "baz.bar.foo.com"), None);
        assert_eq!(host_match("*.foo.com", "foo.com"), None);
        let i = ingress(&[("*.foo.com", "/", "Prefix", "wild"), ("bar.foo.com", "/", "Prefix", "exact"), ("", "/", "Prefix", "any")]);
        assert_eq!(routed(&i, "bar.foo.com", "/").as_deref(), Some("exact"));
        assert_eq!(routed(&i, "baz.foo.com", "/").as_deref(), Some("wild"));
        assert_eq!(routed(&i, "other.org", "/").as_deref(), Some("any"));
        let only = ingress(&[("foo.bar.com", "/", "Prefix", "x")]);
        assert_eq!(routed(&only, "other.org", "/"), None);
        // The exact host is chosen first: its paths only, not the wildcard's `/`.
        let shop = ingress(&[("shop.foo.com", "/cart", "Prefix", "cart"), ("*.foo.com", "/", "Prefix", "wild")]);
        assert_eq!(routed(&shop, "shop.foo.com", "/cart/1").as_deref(), Some("cart"));
        assert_eq!(routed(&shop, "shop.foo.com", "/admin"), None);
        assert_eq!(routed(&shop, "www.foo.com", "/admin").as_deref(), Some("wild"));
    }
}
