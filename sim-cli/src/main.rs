//! `ksim`: run Kubernetes scenarios in a deterministic simulator.

mod bench;
mod can_reach;
mod check;
mod describe;
mod events;
mod explain;
mod files;
mod jsonpath;
mod lesson;
mod logs;
mod plot;
mod print;
mod progress;
mod proxy;
mod replay;
mod replay_2018;
mod rollout;
mod run;
mod timeline;
mod top;
mod web;

use clap::{Args, Parser, Subcommand};

/// mimalloc instead of the system allocator: a simulation makes millions of small,
/// short-lived allocations, and `ksim bench density` runs 20–30 % faster with the same
/// fingerprint (measured with the allocator preloaded, then linked; see ARCHITECTURE.md).
/// `--features system-alloc` keeps the system allocator, for heap profilers (heaptrack)
/// that intercept malloc.
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static ALLOCATOR: alloc::MiMalloc = alloc::MiMalloc;
#[cfg(not(feature = "system-alloc"))]
mod alloc;
use std::io::Write;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "ksim", version, about = "A deterministic simulator of a Kubernetes cluster", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The simulated moment a command looks at, and the run's seed.
#[derive(Args)]
pub struct Moment {
    /// The simulated moment, e.g. 90s (default: the end of the run).
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario (or plain manifests on a default 3-node cluster) and print what happened.
    Run {
        /// Scenario or manifest files (YAML, one or many documents).
        #[arg(required = true)]
        files: Vec<String>,
        /// Seed (overrides the scenario's spec.seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Simulated end time, e.g. 10m (overrides spec.until).
        #[arg(long)]
        until: Option<String>,
        /// Write the full event log (JSON Lines) here.
        #[arg(long)]
        log: Option<String>,
        /// Write the run as a Chrome trace here (Trace Event Format JSON, for Perfetto or
        /// chrome://tracing): one track per component and node, pod lifecycles as slices,
        /// each write a flow to its etcd commit.
        #[arg(long, value_name = "FILE")]
        trace_out: Option<String>,
        /// Timeline lines to print (0 = none).
        #[arg(long, default_value_t = 200)]
        max_lines: usize,
        /// Check the invariants after every event (and convergence at the end).
        #[arg(long)]
        check: bool,
        /// Write every traffic-model request to the event log (with --log), not only the
        /// per-second counts.
        #[arg(long)]
        log_requests: bool,
    },
    /// Run a scenario over many seeds with the invariants on; exit 1 on any violation.
    Check {
        #[arg(required = true)]
        files: Vec<String>,
        /// How many seeds (from the scenario's seed, or --first-seed).
        #[arg(long, default_value_t = 100)]
        seeds: u64,
        #[arg(long)]
        first_seed: Option<u64>,
        /// Parallel runs (default: one per core).
        #[arg(long)]
        jobs: Option<usize>,
        /// Only every K-th seed, starting at the I-th: `--shard I/K`.
        #[arg(long)]
        shard: Option<String>,
        /// Output: json.
        #[arg(short = 'o', long)]
        output: Option<String>,
        /// Run without the invariant checks (to measure what they cost).
        #[arg(long)]
        no_invariants: bool,
    },
    /// Print objects as they are at a simulated moment, like `kubectl get`.
    Get {
        /// Kind (pods, nodes, deployments, replicasets, daemonsets, replicationcontrollers, controllerrevisions, events, services, namespaces, leases),
        /// an optional name, then the scenario files.
        #[arg(required = true, num_args = 1..)]
        args: Vec<String>,
        #[command(flatten)]
        moment: Moment,
        /// Output format: wide, json, yaml, name, jsonpath=TEMPLATE or custom-columns=SPEC.
        #[arg(short = 'o', long)]
        output: Option<String>,
        /// Namespace (default: default).
        #[arg(short = 'n', long)]
        namespace: Option<String>,
        /// All namespaces.
        #[arg(short = 'A', long)]
        all_namespaces: bool,
        /// Label selector, as kubectl's -l (app=web, tier!=db, env in (a,b), !canary).
        #[arg(short = 'l', long)]
        selector: Option<String>,
        /// A last column with each object's labels.
        #[arg(long)]
        show_labels: bool,
        /// Sort by a JSONPath field, e.g. .metadata.creationTimestamp.
        #[arg(long)]
        sort_by: Option<String>,
        /// Watch: the list at --at (default 0s), then a row for every change until the
        /// end of the run.
        #[arg(short = 'w', long)]
        watch: bool,
    },
    /// Why a pod went where it went: its last scheduling attempt before --at, with each
    /// node's filter verdict and each score plugin's raw, normalized and weighted score.
    Explain {
        /// pod/NAME
        target: String,
        /// The scenario files.
        #[arg(required = true)]
        files: Vec<String>,
        #[command(flatten)]
        moment: Moment,
        /// Output format: json.
        #[arg(short = 'o', long)]
        output: Option<String>,
        /// Namespace (default: default).
        #[arg(short = 'n', long)]
        namespace: Option<String>,
    },
    /// An object as `kubectl describe` prints it (pods, nodes, deployments, replicasets, replicationcontrollers,
    /// statefulsets, daemonsets, services, ingresses, jobs, cronjobs, pvcs, pvs, storageclasses, quotas, limitranges, hpas), with its Events.
    Describe {
        /// KIND NAME or KIND/NAME, then the scenario files.
        #[arg(required = true, num_args = 1..)]
        args: Vec<String>,
        #[command(flatten)]
        moment: Moment,
        /// Namespace (default: default).
        #[arg(short = 'n', long)]
        namespace: Option<String>,
    },
    /// A container's log: its lifecycle as the kubelet recorded it (ksim runs no code).
    Logs {
        /// [pod/]NAME
        target: String,
        /// The scenario files.
        #[arg(required = true)]
        files: Vec<String>,
        /// The container (default: the first).
        #[arg(short = 'c', long)]
        container: Option<String>,
        /// The previous, terminated instance.
        #[arg(short = 'p', long)]
        previous: bool,
        #[command(flatten)]
        moment: Moment,
        /// Namespace (default: default).
        #[arg(short = 'n', long)]
        namespace: Option<String>,
    },
    /// The Events at a simulated moment, oldest first, as `kubectl events` prints them.
    Events {
        /// The scenario files.
        #[arg(required = true)]
        files: Vec<String>,
        #[command(flatten)]
        moment: Moment,
        /// Namespace (default: default).
        #[arg(short = 'n', long)]
        namespace: Option<String>,
        /// All namespaces.
        #[arg(short = 'A', long)]
        all_namespaces: bool,
        /// Only the Events of one object: KIND/NAME (pod/web-1).
        #[arg(long = "for")]
        for_object: Option<String>,
        /// Only these types: Normal, Warning (comma-separated).
        #[arg(long)]
        types: Option<String>,
    },
    /// Resource usage as `kubectl top` shows it: what metrics-server serves at the moment
    /// (`spec.cluster.metricsServer: metrics-server`, usage from `ksim.dev/cpu-demand`,
    /// `cpu-usage` and `memory-usage`).
    Top {
        /// node|pod, [NAME], then the scenario files.
        #[arg(required = true, num_args = 1..)]
        args: Vec<String>,
        #[command(flatten)]
        moment: Moment,
        /// Namespace (default: default).
        #[arg(short = 'n', long)]
        namespace: Option<String>,
        /// All namespaces.
        #[arg(short = 'A', long)]
        all_namespaces: bool,
        /// A label selector (-l app=web).
        #[arg(short = 'l', long)]
        selector: Option<String>,
        /// Each pod's containers (pods only).
        #[arg(long)]
        containers: bool,
        /// cpu or memory, largest first.
        #[arg(long)]
        sort_by: Option<String>,
        /// No header line.
        #[arg(long)]
        no_headers: bool,
    },
    /// Guided lessons, one bundled scenario per concept of the course, with a question to
    /// predict before the run: `lesson list`, `lesson show NAME`, `lesson run NAME`.
    Lesson {
        /// list, show NAME or run NAME.
        #[arg(required = true, num_args = 1..=2, value_name = "list|show NAME|run NAME")]
        args: Vec<String>,
        /// The language of the texts: en or ko.
        #[arg(long, default_value = "en")]
        lang: String,
        /// Seed (for run).
        #[arg(long)]
        seed: Option<u64>,
        /// json (for list): every lesson with both languages' texts.
        #[arg(short = 'o', long)]
        output: Option<String>,
    },
    /// Replay a real cluster trace as a scenario run. alibaba-gpu-2023: Alibaba's GPU
    /// cluster trace (cluster-trace-gpu-v2023, the openb CSVs) with its nodes as pools by
    /// shape, GPUs as the extended resource alibaba.com/gpu-milli, and its pods created and
    /// deleted at the trace's times divided by --speed; prints the scheduling outcome over
    /// time. alibaba-2018: the 2018 trace's batch jobs (spar's one-hour sample, tasks.csv.gz
    /// and instances.csv.gz) as Jobs created when the tasks they depend on complete, on
    /// machines of 96 CPU; prints makespan, job completion times and CPU requested.
    Replay {
        /// The trace's directory (or one of its CSV files).
        trace: String,
        /// alibaba-gpu-2023 or alibaba-2018.
        #[arg(long, default_value = "alibaba-gpu-2023")]
        format: String,
        /// alibaba-gpu-2023: every (total/N)-th node; alibaba-2018: N machines (default 4000).
        #[arg(long)]
        nodes: Option<usize>,
        /// Trace seconds per simulated second (default: alibaba-gpu-2023 the whole trace
        /// within an hour; alibaba-2018 1).
        #[arg(long)]
        speed: Option<u64>,
        /// Simulated end (default: alibaba-gpu-2023 the last event plus 5 minutes;
        /// alibaba-2018 when every Job has completed, at most 24h).
        #[arg(long)]
        until: Option<String>,
        /// alibaba-2018: only the first N jobs by arrival.
        #[arg(long)]
        jobs: Option<usize>,
        /// alibaba-2018: one job in K by arrival, from the I-th (of the first --jobs): the
        /// trace split into K replays of their own, e.g. the K pods of an Indexed Job.
        #[arg(long, value_name = "I/K")]
        shard: Option<String>,
        /// alibaba-2018: draw the cluster's CPU and memory requested over time as SVG here.
        #[arg(long, value_name = "FILE")]
        plot: Option<String>,
        /// alibaba-gpu-2023: a KubeSchedulerConfiguration to schedule with (e.g.
        /// MostAllocated bin-packing).
        #[arg(long, value_name = "FILE")]
        config: Option<String>,
        /// Write the scenario here instead of running it (alibaba-2018: the run's, each Job
        /// applied when the replay applied it).
        #[arg(long, value_name = "FILE")]
        emit_scenario: Option<String>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// alibaba-gpu-2023: pods are not deleted: they arrive in the trace's order and
        /// stay (the trace paper's setup), so the cluster fills.
        #[arg(long)]
        keep_pods: bool,
        /// kube-apiserver's --event-ttl (default 1h): how long Events are kept. A
        /// replay's Events are most of its memory; a batch cluster's operator shortens it.
        #[arg(long, value_name = "DURATION")]
        event_ttl: Option<String>,
    },
    /// A chart of the run over simulated time, as SVG: pods by phase, pods waiting for a
    /// node, CPU requested per node, or the traffic's success rate.
    Plot {
        /// Scenario or manifest files.
        #[arg(required = true)]
        files: Vec<String>,
        /// pods-by-phase, pending, allocation or traffic.
        #[arg(long)]
        what: String,
        /// The SVG file to write.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: String,
        #[arg(long)]
        seed: Option<u64>,
        /// Simulated end time (overrides spec.until).
        #[arg(long)]
        until: Option<String>,
    },
    /// What a node's kube-proxy has programmed at a simulated moment: per Service port,
    /// the endpoints traffic to its ClusterIP and NodePort goes to from that node.
    Proxy {
        /// The node.
        node: String,
        /// The scenario files.
        #[arg(required = true)]
        files: Vec<String>,
        #[command(flatten)]
        moment: Moment,
        /// Output format: wide, json, or iptables (what iptables-save shows of its tables).
        #[arg(short = 'o', long)]
        output: Option<String>,
    },
    /// Whether NetworkPolicies let FROM (pod/NAME, deployment/NAME, node/NAME) connect to
    /// TO (pod/NAME, deployment/NAME, service/NAME) on a port at a simulated moment, and
    /// which policy and rule decided.
    CanReach {
        from: String,
        to: String,
        /// The scenario files.
        #[arg(required = true)]
        files: Vec<String>,
        /// The destination port: a number, or a container port's name.
        #[arg(long)]
        port: String,
        #[arg(long, default_value = "TCP")]
        protocol: String,
        #[command(flatten)]
        moment: Moment,
        /// Namespace (default: default).
        #[arg(short = 'n', long)]
        namespace: Option<String>,
    },
    /// kubectl rollout history / status of a Deployment or DaemonSet at a simulated moment.
    Rollout {
        #[command(subcommand)]
        which: rollout::Which,
    },
    /// Serve the browser demo (sim-web/dist, from scripts/build-web.sh) on 127.0.0.1.
    Web {
        /// Port (0: any free port; the URL is printed).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The folder to serve (default: sim-web/dist).
        #[arg(long)]
        dir: Option<String>,
    },
    /// Benchmarks that print figures.
    Bench {
        #[command(subcommand)]
        which: bench::Which,
    },
}

/// kubectl's refusal of an output format it has no printer for (exit 2).
pub fn check_output(output: Option<&str>, allowed: &[&str]) -> Result<(), u8> {
    match output {
        Some(o) if !allowed.contains(&o) => {
            let _ = writeln!(
                anstream::stderr(),
                "error: unable to match a printer suitable for the output format {}, allowed formats are: {}",
                sim_core::scenario::diagnostic::clip_quoted(o),
                allowed.join(",")
            );
            Err(run::EXIT_BAD_INPUT)
        }
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    #[cfg(not(feature = "system-alloc"))]
    alloc::configure();
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run { files, seed, until, log, trace_out, max_lines, check, log_requests } => {
            run::run(&files, seed, until.as_deref(), log.as_deref(), trace_out.as_deref(), max_lines, check, log_requests)
        }
        Command::Check { output, .. } | Command::Explain { output, .. } if check_output(output.as_deref(), &["json"]).is_err() => run::EXIT_BAD_INPUT,
        Command::Proxy { output, .. } if check_output(output.as_deref(), &["iptables", "json", "wide"]).is_err() => run::EXIT_BAD_INPUT,
        Command::Get { output, .. }
            if !output.as_deref().is_some_and(|o| o.starts_with("jsonpath=") || o.starts_with("custom-columns="))
                && check_output(output.as_deref(), &["json", "name", "wide", "yaml"]).is_err() =>
        {
            run::EXIT_BAD_INPUT
        }
        Command::Check { files, seeds, first_seed, jobs, shard, output, no_invariants } => check::check(check::Args {
            files: &files,
            seeds,
            first_seed,
            jobs,
            shard: shard.as_deref(),
            json: output.as_deref() == Some("json"),
            invariants: !no_invariants,
        }),
        Command::Get { args, moment: Moment { at, seed }, output, namespace, all_namespaces, selector, show_labels, sort_by, watch } => {
            run::get(run::GetArgs {
                args: &args,
                at: at.as_deref(),
                seed,
                output: output.as_deref(),
                namespace: namespace.as_deref(),
                all: all_namespaces,
                selector: selector.as_deref(),
                show_labels,
                sort_by: sort_by.as_deref(),
                watch,
            })
        }
        Command::Explain { target, files, moment: Moment { at, seed }, output, namespace } => {
            explain::explain(&target, &files, at.as_deref(), seed, output.as_deref(), namespace.as_deref())
        }
        Command::Logs { target, files, container, previous, moment: Moment { at, seed }, namespace } => logs::logs(logs::Args {
            target: &target,
            files: &files,
            container: container.as_deref(),
            previous,
            at: at.as_deref(),
            seed,
            namespace: namespace.as_deref(),
        }),
        Command::Describe { args, moment: Moment { at, seed }, namespace } => describe::run(&args, at.as_deref(), seed, namespace.as_deref()),
        Command::Events { files, moment: Moment { at, seed }, namespace, all_namespaces, for_object, types } => events::events(events::Args {
            files: &files,
            at: at.as_deref(),
            seed,
            namespace: namespace.as_deref(),
            all: all_namespaces,
            for_object: for_object.as_deref(),
            types: types.as_deref(),
        }),
        Command::Top { args, moment: Moment { at, seed }, namespace, all_namespaces, selector, containers, sort_by, no_headers } => top::top(top::Args {
            args: &args,
            at: at.as_deref(),
            seed,
            namespace: namespace.as_deref(),
            all: all_namespaces,
            selector: selector.as_deref(),
            containers,
            sort_by: sort_by.as_deref(),
            no_headers,
        }),
        Command::Lesson { args, lang, seed, output } => {
            let Some(lang) = lesson::Lang::parse(&lang) else {
                eprintln!("error: --lang {lang:?}: supported values: \"en\", \"ko\"");
                return ExitCode::from(2);
            };
            match (args[0].as_str(), args.get(1), output.as_deref()) {
                (_, _, Some(o)) if o != "json" => {
                    eprintln!("error: unable to match a printer suitable for the output format {o:?}, allowed formats are: json");
                    2
                }
                ("list", None, Some(_)) => lesson::list_json(),
                ("list", None, None) => lesson::list(lang),
                ("show", Some(n), None) => lesson::show(n, lang),
                ("run", Some(n), None) => lesson::run(n, lang, seed),
                _ => {
                    eprintln!("error: expected `ksim lesson list`, `ksim lesson show NAME` or `ksim lesson run NAME`");
                    2
                }
            }
        }
        Command::Replay { trace, format, nodes, speed, until, jobs, shard, plot, config, emit_scenario, seed, keep_pods, event_ttl } => {
            replay::replay(replay::Args {
                trace: &trace,
                format: &format,
                nodes,
                speed,
                until: until.as_deref(),
                jobs,
                plot: plot.as_deref(),
                config: config.as_deref(),
                emit: emit_scenario.as_deref(),
                seed,
                keep: keep_pods,
                event_ttl: event_ttl.as_deref(),
                shard: shard.as_deref(),
            })
        }
        Command::Plot { files, what, output, seed, until } => plot::plot(&files, &what, &output, seed, until.as_deref()),
        Command::Proxy { node, files, moment: Moment { at, seed }, output } => proxy::proxy(&node, &files, at.as_deref(), seed, output.as_deref()),
        Command::CanReach { from, to, files, port, protocol, moment: Moment { at, seed }, namespace } => {
            can_reach::can_reach(&from, &to, &port, &protocol, &files, at.as_deref(), seed, namespace.as_deref())
        }
        Command::Rollout { which } => rollout::rollout(which),
        Command::Bench { which } => bench::bench(which),
        Command::Web { port, dir } => web::serve(port, dir.as_deref()),
    };
    ExitCode::from(code)
}
