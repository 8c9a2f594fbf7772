//! `ksim top node|pod [NAME] FILE… [--at T] [-n NS | -A] [-l SELECTOR] [--containers]
//! [--sort-by cpu|memory] [--no-headers]`: kubectl's `top` (staging/src/k8s.io/kubectl:
//! pkg/cmd/top/top_node.go RunTopNode, top_pod.go RunTopPod and verifyEmptyMetrics,
//! pkg/metricsutil/metrics_printer.go and metrics_sorter.go, kubectl 1.33), over what
//! metrics-server serves at the moment (sim-core's metrics_server.rs): CPU in millicores
//! rounded up, memory in Mi rounded down, a node's percentages of its allocatable
//! truncated, nodes without figures as `<unknown>` rows after the others (by name, where
//! kubectl's map order is random), pods without figures left out.

use crate::run::{simulate, EXIT_BAD_INPUT};
use anstream::{eprintln, print};
use sim_core::api::{Kind, Object};
use sim_core::engine::SimDuration;

pub struct Args<'a> {
    pub args: &'a [String],
    pub at: Option<&'a str>,
    pub seed: Option<u64>,
    pub namespace: Option<&'a str>,
    pub all: bool,
    pub selector: Option<&'a str>,
    pub containers: bool,
    pub sort_by: Option<&'a str>,
    pub no_headers: bool,
}

/// kubectl's `checkErr`: a plain error on stderr with `error: `, exit 1.
fn fail(msg: &str) -> u8 {
    eprintln!("error: {msg}");
    1
}

/// MilliValue of a nanocore quantity: rounded up.
fn millis(nano: i64) -> i64 {
    (nano as i128 + 999_999).div_euclid(1_000_000) as i64
}

fn mebibytes(bytes: i64) -> i64 {
    bytes / (1024 * 1024)
}

pub fn top(a: Args) -> u8 {
    let Some(what) = a.args.first() else {
        eprintln!("error: you must specify a resource: `ksim top node FILE…` or `ksim top pod FILE…`");
        return EXIT_BAD_INPUT;
    };
    let nodes = match what.as_str() {
        "node" | "nodes" | "no" => true,
        "pod" | "pods" | "po" => false,
        other => {
            eprintln!("error: unknown command {other:?} for \"ksim top\": available commands are node and pod");
            return EXIT_BAD_INPUT;
        }
    };
    let mut rest = &a.args[1..];
    let mut name = None;
    if rest.len() >= 2 && !crate::files::looks_like_file(&rest[0]) {
        name = Some(rest[0].clone());
        rest = &rest[1..];
    }
    if rest.is_empty() {
        eprintln!("error: no scenario file given: ksim reads the cluster from FILE… after the resource");
        return EXIT_BAD_INPUT;
    }
    // Validate (top_node.go, top_pod.go).
    if a.sort_by.is_some_and(|s| s != "cpu" && s != "memory") {
        eprintln!("error: --sort-by accepts only cpu or memory");
        return EXIT_BAD_INPUT;
    }
    if name.is_some() && a.selector.is_some() {
        let what = if nodes { "--selector" } else { "selector" };
        eprintln!("error: only one of NAME or {what} can be provided");
        return EXIT_BAD_INPUT;
    }
    let selector = match a.selector.map(sim_core::scenario::expect::Selector::parse) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let sim = match simulate(rest, a.at, a.seed) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let matches = |labels: &std::collections::BTreeMap<String, String>| selector.as_ref().is_none_or(|s| s.matches(labels));
    let by_cpu = a.sort_by == Some("cpu");
    let by_memory = a.sort_by == Some("memory");
    if nodes {
        let metrics = match sim.node_metrics() {
            Ok(m) => m,
            Err(e) => return fail(&e),
        };
        let node_objects: Vec<_> =
            sim.list(&Kind::Node).into_iter().filter(|o| name.as_ref().is_none_or(|n| o.meta().name == *n) && matches(&o.meta().labels)).collect();
        let mut metrics: Vec<_> = metrics.into_iter().filter(|m| node_objects.iter().any(|o| o.meta().name == m.name)).collect();
        if let Some(n) = &name {
            if !node_objects.iter().any(|o| o.meta().name == *n) {
                eprintln!("Error from server (NotFound): node {n:?} not found");
                return 1;
            }
            if metrics.is_empty() {
                eprintln!("Error from server (NotFound): nodemetrics.metrics.k8s.io {n:?} not found");
                return 1;
            }
        }
        if metrics.is_empty() {
            return fail("metrics not available yet");
        }
        if by_cpu {
            metrics.sort_by_key(|m| std::cmp::Reverse(millis(m.cpu_nano)));
        } else if by_memory {
            metrics.sort_by_key(|m| std::cmp::Reverse(m.memory));
        }
        let allocatable = |n: &str| -> Option<(i64, i64)> {
            let o = node_objects.iter().find(|o| o.meta().name == n)?;
            let Object::Node(node) = &**o else { return None };
            let get = |r: &str, milli: bool| node.status.allocatable.get(r).map_or(0, |q| if milli { q.milli_value() } else { q.value() });
            Some((get("cpu", true), get("memory", false)))
        };
        let pct = |used: i64, of: i64| if of == 0 { "0%".to_string() } else { format!("{}%", (used as f64 / of as f64 * 100.0) as i64) };
        let mut rows = Vec::new();
        for m in &metrics {
            let (cpu, mem) = (millis(m.cpu_nano), m.memory);
            let mut r = vec![m.name.clone(), format!("{cpu}m")];
            let alloc = allocatable(&m.name);
            if let Some((c, _)) = alloc {
                r.push(pct(cpu, c));
            }
            r.push(format!("{}Mi", mebibytes(mem)));
            if let Some((_, mm)) = alloc {
                r.push(pct(mem, mm));
            }
            rows.push(r);
        }
        for o in &node_objects {
            if !metrics.iter().any(|m| m.name == o.meta().name) {
                rows.push(vec![o.meta().name.to_string(), "<unknown>".into(), "<unknown>".into(), "<unknown>".into(), "<unknown>".into()]);
            }
        }
        print_rows(&["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"], &rows, a.no_headers);
        return 0;
    }
    let ns = a.namespace.unwrap_or("default");
    let metrics = match sim.pod_metrics(if a.all { None } else { Some(ns) }) {
        Ok(m) => m,
        Err(e) => return fail(&e),
    };
    let pod = |namespace: &str, n: &str| sim.api.store.get_parts(&Kind::Pod, namespace, n).cloned();
    let mut metrics: Vec<_> = metrics
        .into_iter()
        .filter(|m| name.as_ref().is_none_or(|n| m.name == *n) && pod(&m.namespace, &m.name).is_some_and(|p| matches(&p.meta().labels)))
        .collect();
    if let Some(n) = &name {
        if metrics.is_empty() {
            let running = pod(ns, n).is_some_and(|p| p.as_pod().is_some_and(|p| p.status.phase == "Running"));
            if running {
                eprintln!("Error from server (NotFound): podmetrics.metrics.k8s.io \"{ns}/{n}\" not found");
            } else {
                eprintln!("Error from server (NotFound): pods {n:?} not found");
            }
            return 1;
        }
    }
    if metrics.is_empty() {
        // verifyEmptyMetrics: the pods of the namespace (of any phase; with -A still the
        // current namespace's, as kubectl does).
        let pods: Vec<_> = sim.list(&Kind::Pod).into_iter().filter(|p| p.meta().namespace == ns && matches(&p.meta().labels)).collect();
        if pods.is_empty() {
            if a.all {
                eprintln!("No resources found");
            } else {
                eprintln!("No resources found in {ns} namespace.");
            }
            return 0;
        }
        for p in &pods {
            let age = p.meta().creation_timestamp.map_or(SimDuration::ZERO, |t| sim.now.since(t.0));
            if age > SimDuration::from_secs(120) {
                return fail(&format!("Metrics not available for pod {}/{}, age: {age}", ns, p.meta().name));
            }
        }
        return fail("metrics not available yet");
    }
    if by_cpu {
        metrics.sort_by_key(|m| std::cmp::Reverse(millis(m.cpu_nano)));
    } else if by_memory {
        metrics.sort_by_key(|m| std::cmp::Reverse(m.memory));
    }
    let mut header = Vec::new();
    if a.all {
        header.push("NAMESPACE");
    }
    if a.containers {
        header.push("POD");
    }
    header.extend(["NAME", "CPU(cores)", "MEMORY(bytes)"]);
    let rows: Vec<Vec<String>> = metrics
        .iter()
        .map(|m| {
            let mut r = Vec::new();
            if a.all {
                r.push(m.namespace.to_string());
            }
            if a.containers {
                r.extend([m.name.clone(), m.container.clone()]);
            } else {
                r.push(m.name.clone());
            }
            r.extend([format!("{}m", millis(m.cpu_nano)), format!("{}Mi", mebibytes(m.memory))]);
            r
        })
        .collect();
    print_rows(&header, &rows, a.no_headers);
    0
}

fn print_rows(header: &[&str], rows: &[Vec<String>], no_headers: bool) {
    print!("{}", render(header, rows, no_headers));
}

/// metrics_printer.go's layout: cli-runtime's tabwriter (min width 6 with the padding, 3) with
/// every cell, the last too, followed by a tab (printValue), so every line is padded.
fn render(header: &[&str], rows: &[Vec<String>], no_headers: bool) -> String {
    use std::io::Write;
    let mut tw = tabwriter::TabWriter::new(Vec::new()).minwidth(3).padding(3);
    if !no_headers {
        let _ = writeln!(tw, "{}\t", header.join("\t"));
    }
    for r in rows {
        let _ = writeln!(tw, "{}\t", r.join("\t"));
    }
    let _ = tw.flush();
    String::from_utf8(tw.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    /// kubectl's own expected outputs (pkg/metricsutil/metrics_printer_test.go, v0.33.0),
    /// trailing spaces included.
    #[test]
    fn the_layout_is_kubectls() {
        let nodes = ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"];
        assert_eq!(
            render(&nodes, &[row(&["node1", "1000m", "10%", "1024Mi", "10%"])], false),
            "NAME    CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)   \nnode1   1000m        10%      1024Mi          10%         \n"
        );
        assert_eq!(render(&nodes, &[row(&["node1", "1000m", "10%", "1024Mi", "10%"])], true), "node1   1000m   10%   1024Mi   10%   \n");
        assert_eq!(
            render(&nodes, &[row(&["node1", "1000m", "10%", "1024Mi", "10%"]), row(&["node2", "<unknown>", "<unknown>", "<unknown>", "<unknown>"])], false),
            "NAME    CPU(cores)   CPU(%)      MEMORY(bytes)   MEMORY(%)   \nnode1   1000m        10%         1024Mi          10%         \nnode2   <unknown>    <unknown>   <unknown>       <unknown>   \n"
        );
        assert_eq!(
            render(&["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"], &[row(&["test", "container1", "200m", "1024Mi"])], false),
            "POD    NAME         CPU(cores)   MEMORY(bytes)   \ntest   container1   200m         1024Mi          \n"
        );
    }

    #[test]
    fn cpu_rounds_up_and_memory_down() {
        // MilliValue rounds a nanocore quantity up (1234567n is 2m); memory is floored to Mi.
        assert_eq!((millis(1_234_567), millis(0), millis(1)), (2, 0, 1));
        assert_eq!((mebibytes(1023 * 1024), mebibytes(1536 << 20)), (0, 1536));
    }
}
