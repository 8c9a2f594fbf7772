#!/usr/bin/env python3
"""Writes the alibaba-2018-mini trace (tasks.csv.gz, instances.csv.gz) in the layout of
spar's sample of cluster-trace-v2018 (no header):
  tasks:     arrival_s, job, task, duration_s, plan_cpu, plan_mem, instances
  instances: arrival_s, job, task, instance, duration_s, cpu, mem
Run from this folder: python3 generate.py (gzip with mtime 0: the same bytes every time).

Three jobs, ten pods; what sim-cli/tests/replay.rs expects, from the trace's rules:
- j_1 (arrival 0) is a three-task DAG: M1 (2 instances of 10 s and 14 s: their lower
  median, 10 s, is what each pod runs) and M2 (1 instance, 20 s) have no dependency;
  R3_1_2 is task 3, which waits for tasks 1 and 2 (2 instances of 5 s). So R3_1_2's Job
  is created no sooner than M2's pods have run their 20 s, and j_1 ends no sooner than
  max(10, 20) + 5 = 25 s, plus each level's start-up (sandbox 0.5 s, image pull 2 s on a
  node's first pod, start 1 s: at most a few seconds a level).
- j_3 (arrival 5) is a chain: M1 (3 instances of 1, 2, 3 s: median 2 s), then M2_1 (4 s).
- j_2 (arrival 10) has one independent task (a `task_` name: no DAG), 1 instance of 8 s.
By arrival the jobs are j_1, j_3, j_2 (`--jobs 1` keeps j_1 only).
"""
import gzip

tasks = [
    (0, "j_1", "M1", 14, 100.0, 0.5, 2),
    (0, "j_1", "M2", 20, 50.0, 0.25, 1),
    (0, "j_1", "R3_1_2", 5, 200.0, 1.0, 2),
    (10, "j_2", "task_YWxpYmFiYQ==", 8, 100.0, 0.1, 1),
    (5, "j_3", "M1", 3, 100.0, 0.2, 3),
    (5, "j_3", "M2_1", 4, 100.0, 0.2, 1),
]
instances = [
    (0, "j_1", "M1", "ins_1", 10, 90.0, 0.4),
    (0, "j_1", "M1", "ins_2", 14, 95.0, 0.4),
    (0, "j_1", "M2", "ins_3", 20, 40.0, 0.2),
    (0, "j_1", "R3_1_2", "ins_4", 5, 150.0, 0.8),
    (0, "j_1", "R3_1_2", "ins_5", 5, 160.0, 0.9),
    (10, "j_2", "task_YWxpYmFiYQ==", "ins_6", 8, 80.0, 0.1),
    (5, "j_3", "M1", "ins_7", 1, 50.0, 0.1),
    (5, "j_3", "M1", "ins_8", 2, 50.0, 0.1),
    (5, "j_3", "M1", "ins_9", 3, 50.0, 0.1),
    (5, "j_3", "M2_1", "ins_10", 4, 50.0, 0.1),
]


def write(name, rows):
    text = "".join(",".join(str(f) for f in r) + "\n" for r in rows)
    with open(name, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as g:
            g.write(text.encode())


write("tasks.csv.gz", tasks)
write("instances.csv.gz", instances)
