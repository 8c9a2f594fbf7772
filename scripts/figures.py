#!/usr/bin/env python3
"""Formats the measurements scripts/figures.sh took into the README's figures section.

Usage: scripts/figures.py OUT_DIR README.md CORES [--quick]
Replaces everything between `<!-- figures:begin -->` and `<!-- figures:end -->`.
"""
import datetime
import json
import os
import re
import sys

out, readme, cores = sys.argv[1], sys.argv[2], sys.argv[3]
quick = len(sys.argv) > 4 and sys.argv[4] == "--quick"


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


lines = []
w = lines.append
load_avg = " ".join(f"{x:.2f}" for x in os.getloadavg())
w(f"Measured by `scripts/figures.sh` on {datetime.date.today().isoformat()}, on a {cores}-core")
w(f"machine shared with other work (load average {load_avg} at the end), release build, one")
w("run each: take them as orders of magnitude.")
w("")
w("`ksim bench density` creates N nodes and Deployments of 100 pods totalling P, and runs")
w("until every pod is Running (the default scheduler profile, with the system default")
w("spreading of every Deployment pod):")
w("")
w("| run | wall | events | events/s | peak RSS |")
w("|---|---|---|---|---|")
for name, label in [("density-100", "`--nodes 100 --pods 3000`"), ("density-1000", "`--nodes 1000 --pods 30000`"), ("density-5000", "`--nodes 5000 --pods 150000` (Kubernetes' limits)")]:
    d = load(name + ".json")
    if d:
        w(f"| {label} | {secs(d['wall_s'])} | {d['events']:,} | {d['events_per_s']:,.0f} | {mb(d['peak_rss_bytes'])} |")
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
open(readme, "w").write(text[:i] + "\n".join(lines) + "\n" + text[j:])
