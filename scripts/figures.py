#!/usr/bin/env python3
"""Formats the measurements scripts/figures.sh took into the README's figures section.

Usage: scripts/figures.py OUT_DIR README.md CORES [--quick|--replay]
Replaces everything between `<!-- figures:begin -->` and `<!-- figures:end -->`, and the
trace replays' figures between `<!-- replay-figures:begin -->` and `<!-- replay-figures:end -->`
(only those with --replay).
"""
import datetime
import json
import os
import re
import sys

out, readme, cores = sys.argv[1], sys.argv[2], sys.argv[3]
quick = len(sys.argv) > 4 and sys.argv[4] == "--quick"
replay_only = len(sys.argv) > 4 and sys.argv[4] == "--replay"


def load(name):
    p = os.path.join(out, name)
    return json.load(open(p)) if os.path.exists(p) else None


def timed(name):
    """(wall seconds, peak RSS bytes, the run's 'N events' line) of a timed run."""
    p = os.path.join(out, name + ".time")
    if not os.path.exists(p):
        return None
    wall, kb = open(p).read().split()[-2:]
    events = ""
    o = os.path.join(out, name + ".out")
    if os.path.exists(o):
        m = re.search(r"^(\d+) events", open(o).read(), re.M)
        events = f"{int(m.group(1)):,}" if m else ""
    return float(wall), int(kb) * 1024, events


def mb(b):
    return f"{b / 1e9:.2f} GB" if b >= 1e9 else f"{b / 1e6:.0f} MB" if b >= 1e7 else f"{b / 1e6:.1f} MB"


def secs(s):
    return f"{s:.2f} s" if s < 10 else f"{s:.1f} s"


def replace(text, begin, end, lines):
    i, j = text.index(begin) + len(begin), text.index(end)
    return text[:i] + "\n".join(lines) + ("\n" if lines else "") + text[j:]


def replay_figures():
    """The trace replays: `ksim bench replay` of the 2018 trace's first N jobs, the report
    of its first 200, the whole GPU trace."""
    r = []
    rows = [(f"{n:,}", load(f"replay-2018-{n}.json")) for n in [200, 1000]]
    rows.append(("all (the hour)", load("replay-2018-all.json")))
    rows = [(n, d) for n, d in rows if d]
    if not rows:
        return r
    load_avg = " ".join(f"{x:.2f}" for x in os.getloadavg())
    r.append(f"Measured on {datetime.date.today().isoformat()} ({cores} cores, load average {load_avg} at the end), one run each.")
    r.append("`ksim bench replay --format alibaba-2018 [--jobs N]` (4,000 machines; wall time includes")
    r.append("reading the trace; each pod runs its task's median instance duration):")
    r.append("")
    r.append("| jobs | pods | events | makespan | wall | µs per pod | peak RSS |")
    r.append("|---|---|---|---|---|---|---|")
    for n, d in rows:
        ms = d.get("makespan_s")
        span = f"{ms / 60:.1f} min" if ms is not None else "not reached"
        r.append(f"| {n} | {d['pods']:,} | {d['events']:,} | {span} | {secs(d['wall_s'])} | {d['us_per_pod']:,.0f} | {mb(d['peak_rss_bytes'])} |")
    n, d = rows[-1]
    total = 3056536
    r.append("")
    if d.get("pods") == total:
        r.append(f"The last row is the whole hour: {d['jobs_complete']:,} jobs complete, {d['succeeded']:,} of its {total:,} pods succeeded,")
        r.append(f"in {secs(d['wall_s'])} and {mb(d['peak_rss_bytes'])} peak RSS.")
    else:
        r.append(f"At the largest run's cost per pod, the whole hour ({total:,} pods) would take about")
        r.append(f"{d['us_per_pod'] * total / 1e6:,.0f} s.")
    s = load("replay-2018-shard.json")
    if s:
        ms = s.get("makespan_s")
        span = f"makespan {ms / 60:.0f} min" if ms is not None else "not finished"
        r.append("")
        r.append(f"The whole hour in 16 shards (`--shard I/16`, one job in 16 by arrival): shard 0/16 is {s['jobs']:,} jobs,")
        r.append(f"{s['pods']:,} pods and {s['events']:,} events ({span}), {secs(s['wall_s'])} and {mb(s['peak_rss_bytes'])} peak RSS; sixteen")
        r.append("such replays (an Indexed Job of 16 pods) replay the hour.")
    rep = os.path.join(out, "replay-2018-report.txt")
    if os.path.exists(rep):
        keep = [l for l in open(rep).read().splitlines() if l.startswith(("ksim replay:", "pods:", "jobs:", "job completion", "cluster CPU"))]
        r.append("")
        r.append("`ksim replay ../shared/corpus/alibaba-2018-sample --format alibaba-2018 --jobs 200`:")
        r.append("")
        r.append("```")
        r.extend(keep)
        r.append("```")
    g = load("replay-gpu.json")
    if g:
        r.append("")
        r.append(f"`ksim bench replay --format alibaba-gpu-2023` (the whole openb trace: {g['nodes']:,} nodes, {g['pods']:,} pods created")
        r.append(f"and deleted over {g['sim_time_s'] / 60:.0f} simulated minutes): {secs(g['wall_s'])}, {g['events']:,} events, {g['us_per_pod']:,.0f} µs per pod, peak RSS {mb(g['peak_rss_bytes'])}.")
    return r


if replay_only:
    text = open(readme).read()
    open(readme, "w").write(replace(text, "<!-- replay-figures:begin -->\n", "<!-- replay-figures:end -->", replay_figures()))
    sys.exit(0)

lines = []
w = lines.append
load_avg = " ".join(f"{x:.2f}" for x in os.getloadavg())
w(f"Measured by `scripts/figures.sh` on {datetime.date.today().isoformat()}, on a {cores}-core")
w(f"machine shared with other work (load average {load_avg} at the end), release build, one")
w("run each unless said: take them as orders of magnitude.")
w("")
w("`ksim bench density` creates N nodes and Deployments of 100 pods totalling P, and runs")
w("until every pod is Running (the default scheduler profile, with the system default")
w("spreading of every Deployment pod). Three runs of each, min / median / max:")
w("")
w("| run | events | wall | µs per pod | peak RSS | KB per pod |")
w("|---|---|---|---|---|---|")
sizes = [(100, 3000, "`--nodes 100 --pods 3000`"), (1000, 30000, "`--nodes 1000 --pods 30000`"), (5000, 150000, "`--nodes 5000 --pods 150000` (Kubernetes' limits)")]


def spread(xs, f):
    xs = sorted(xs)
    return " / ".join(f(x) for x in [xs[0], xs[len(xs) // 2], xs[-1]])


def median(xs):
    return sorted(xs)[len(xs) // 2]


density = {}
for n, p, label in sizes:
    runs = [d for d in (load(f"density-{n}-{r}.json") for r in (1, 2, 3)) if d]
    if not runs:
        continue
    density[n] = runs
    walls, rss = [d["wall_s"] for d in runs], [d["peak_rss_bytes"] for d in runs]
    us = spread([x * 1e6 / p for x in walls], lambda x: f"{x:,.0f}")
    kb = spread([x / p / 1e3 for x in rss], lambda x: f"{x:.1f}")
    w(f"| {label} | {runs[0]['events']:,} | {spread(walls, secs)} | {us} | {spread(rss, mb)} | {kb} |")
w("")
through = []
for n, p, label in sizes:
    runs = [t for t in (timed(f"density-run-{n}-{r}") for r in (1, 2, 3)) if t]
    if not runs or n not in density:
        continue
    fp = re.search(r"^fingerprint: sha256:([0-9a-f]{64})$", open(os.path.join(out, f"density-run-{n}-1.out")).read(), re.M)
    if not fp or fp.group(1) != density[n][0]["fingerprint"]:
        sys.exit(f"figures.py: `ksim run` of the emitted density-{n} scenario is not the bench's run (fingerprint {fp.group(1) if fp else None})")
    walls, rss = [t[0] for t in runs], [t[1] for t in runs]
    bw, br = median([d["wall_s"] for d in density[n]]), median([d["peak_rss_bytes"] for d in density[n]])
    through.append(f"| {label} | {spread(walls, secs)} | {spread(rss, mb)} | {median(walls) / bw:.2f}× | {median(rss) / br:.2f}× |")
if through:
    w("The same runs through `ksim run`: `ksim bench density … --emit-scenario FILE` writes the")
    w("bench's run as a scenario (its cluster, its Deployments, until the moment the bench")
    w("stopped), and `ksim run FILE --max-lines 0` runs it — the same events and fingerprint")
    w("(the script checks), with the scenario read from YAML, its expectation checked and the")
    w("pods printed. Three runs each, min / median / max, and the medians against the bench's:")
    w("")
    w("| run | wall | peak RSS | wall against the bench | memory against the bench |")
    w("|---|---|---|---|---|")
    lines.extend(through)
    w("")
r = load("rollout.json")
if r:
    w(f"`ksim bench rollout --nodes 1000 --replicas 30000 --deployments 100`: {r['deployments']} Deployments of")
    w(f"{r['replicas'] // max(r['deployments'], 1)} pods running, then a new image on all of them at once (RollingUpdate, 25% surge and")
    w(f"unavailable): rolled out in {r['rollout_sim_time_s']:.0f} simulated seconds, {secs(r['rollout_wall_s'])} of wall time, {r['rollout_events']:,} events")
    w(f"({r['events_per_s']:,.0f} events/s), peak RSS {mb(r['peak_rss_bytes'])} (setup {secs(r['setup_wall_s'])}).")
    w("")
w("One Deployment of N replicas on 1,000 nodes, 10 simulated minutes (`ksim run`; the")
w("controllers' work per sync follows what changed, not the pods of the workload):")
w("")
w("| replicas | wall | events | peak RSS |")
w("|---|---|---|---|")
for n in [10000, 40000, 100000]:
    t = timed(f"deploy-{n}")
    if t:
        w(f"| {n:,} | {secs(t[0])} | {t[2]} | {mb(t[1])} |")
w("")
w("A run's memory follows the cluster, not simulated time (the event log is streamed,")
w("Events expire after an hour): peak RSS of `ksim run FILE --until T --max-lines 0`:")
w("")
w("| run | wall | events | peak RSS |")
w("|---|---|---|---|")
for name, label in [("idle-1h", "idle 3-node cluster, `--until 1h`"), ("idle-100h", "idle 3-node cluster, `--until 100h`"), ("idle-10000h", "idle 3-node cluster, `--until 10000h`"), ("big-10m", "`scenarios/big-cluster.yaml` (500 nodes, 5,000 pods), `--until 10m`"), ("big-100h", "`scenarios/big-cluster.yaml`, `--until 100h` (stops at the 50 M event limit)")]:
    t = timed(name)
    if t:
        w(f"| {label} | {secs(t[0])} | {t[2]} | {mb(t[1])} |")
w("")
w("`ksim bench scheduler` (scheduler_perf SchedulingBasic's shape: 5,000 nodes of 4 CPU /")
w("32Gi / 110 pods, 10,000 pause pods, the real apiserver and store, no kubelets; upstream's")
w("own regression floor at this size is 810 pods/s):")
w("")
w("| workload | pods/s | with creation | peak RSS |")
w("|---|---|---|---|")
for name, label in [("sched-basic", "basic"), ("sched-anti", "required anti-affinity per group of 1,000 and a DoNotSchedule zone spread on every pod")]:
    d = load(name + ".json")
    if d:
        w(f"| {label} | {d['pods_per_s']:,.0f} | {d['pods_per_s_with_create']:,.0f} | {mb(d['peak_rss_bytes'])} |")
w("")
t = load("traffic.json")
if t:
    w(f"`ksim bench traffic --rate 10000/s --duration 10m` (a client calling a Service on 3 nodes,")
    w(f"random node crashes): {t['requests']:,} requests counted in {secs(t['added_wall_s'])} of added wall time")
    w(f"({t['ns_per_request']:,.0f} ns a request; {t['wall_with_traffic_s']:.3f} s with the traffic, {t['wall_without_s']:.3f} s without).")
    w("")
c = timed("check-faults")
if c:
    try:
        j = json.loads(open(os.path.join(out, "check-faults.out")).read())
        w(f"`ksim check scenarios/random-node-faults.yaml --seeds 200` ({j['runs']} histories of 20 simulated")
        w(f"minutes with random node crashes, every invariant on): {secs(c[0])}, {j['events']:,} events, {j['violations']} violations.")
        w("")
    except (ValueError, KeyError):
        pass
web = os.path.join(out, "web.txt")
if os.path.exists(web):
    w("In the browser (`scripts/bench-web.sh`: headless Chromium on the same machine):")
    w("")
    w("```")
    lines.extend(open(web).read().rstrip("\n").splitlines())
    w("```")
    w("")

text = open(readme).read()
begin, end = "<!-- figures:begin -->\n", "<!-- figures:end -->"
i, j = text.index(begin) + len(begin), text.index(end)
if quick:
    # Keep the figures of the long runs from before rather than dropping them.
    print("--quick: README left as it is; the figures would be:\n" + "\n".join(lines))
    sys.exit(0)
text = text[:i] + "\n".join(lines) + "\n" + text[j:]
open(readme, "w").write(replace(text, "<!-- replay-figures:begin -->\n", "<!-- replay-figures:end -->", replay_figures()))
