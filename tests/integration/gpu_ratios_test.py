#!/usr/bin/env python3
"""bench/gpu_ratios.py on a made-up run of bench/gpu_check.sh: the fastest crimecast step
per config, precision and determinism (over --conv and --graph), each ratio worked out by
hand, stray non-JSON lines skipped, CPU rows ignored, and an empty run refused."""
import os
import subprocess
import sys
import tempfile

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "gpu_ratios.py")

OURS = """\
{"device": "cuda", "conv": "gemm", "math": "fp32", "deterministic": "on", "graph": "off", "batch": 64, "grid": 64, "channels": 1, "down": 1, "step_seconds": 0.650, "flop_time_at_gemm_rate": 0.315}
{"device": "cuda", "conv": "cudnn", "math": "fp32", "deterministic": "on", "graph": "on", "batch": 64, "grid": 64, "channels": 1, "down": 1, "step_seconds": 0.600, "flop_time_at_gemm_rate": 0.315}
crimecast: a stray warning line
{"device": "cuda", "conv": "cudnn", "math": "fp32", "deterministic": "off", "graph": "off", "batch": 64, "grid": 64, "channels": 1, "down": 1, "step_seconds": 0.200, "flop_time_at_gemm_rate": 0.315}
{"device": "cpu", "conv": "gemm", "math": "fp32", "deterministic": "on", "graph": "off", "batch": 64, "grid": 64, "channels": 1, "down": 1, "step_seconds": 0.001, "flop_time_at_gemm_rate": 0.315}
{"device": "cuda", "conv": "gemm", "math": "bf16", "deterministic": "on", "graph": "on", "batch": 8, "grid": 256, "channels": 12, "down": 4, "step_seconds": 0.050, "flop_time_at_gemm_rate": 0.010}
"""
THEIRS = """\
{"device": "cuda", "tf32": 0, "bf16": 0, "compile": null, "deterministic": 1, "channels": 1, "batch": 64, "grid": 64, "down": 1, "step_seconds": 0.300}
{"device": "cuda", "tf32": 0, "bf16": 0, "compile": null, "deterministic": 0, "channels": 1, "batch": 64, "grid": 64, "down": 1, "step_seconds": 0.258}
{"device": "cuda", "tf32": 0, "bf16": 0, "compile": "max-autotune", "deterministic": 0, "channels": 1, "batch": 64, "grid": 64, "down": 1, "step_seconds": 0.150}
{"device": "cuda", "tf32": 0, "bf16": 1, "compile": null, "deterministic": 1, "channels": 12, "batch": 8, "grid": 256, "down": 4, "step_seconds": 0.100}
"""

failures = 0


def check(what, ok, detail=""):
    global failures
    print("%s: %s%s" % ("ok" if ok else "FAIL", what, "" if ok else "\n" + str(detail)))
    failures += not ok


def run(folder):
    return subprocess.run([sys.executable, SCRIPT, folder], capture_output=True, text=True)


with tempfile.TemporaryDirectory() as d:
    with open(os.path.join(d, "bench_crimecast.jsonl"), "w") as f:
        f.write(OURS)
    with open(os.path.join(d, "bench_pytorch.jsonl"), "w") as f:
        f.write(THEIRS)
    r = run(d)
    rows = [line for line in r.stdout.splitlines() if line.startswith("| ") and line[2].isdigit()]
    check("three rows: two determinisms of fp32 64x64, bf16 at patrol size (CPU rows left out)",
          r.returncode == 0 and len(rows) == 3, r)
    cells = {tuple(c.strip() for c in row.split("|")[1:4]): [c.strip() for c in row.split("|")[4:8]] for row in rows}
    fp32_on = cells.get(("64, 64, 1, 1", "fp32", "on"), [])
    # fastest deterministic fp32: cuDNN with the graph, 600 ms; eager 300 / 600; floor 600 / 315
    check("deterministic fp32: the fastest run, cudnn with the graph", fp32_on[:1] == ["600.0 ms (cudnn, graph on)"],
          fp32_on)
    check("deterministic fp32: eager 0.50, no compile run, 1.90 of the FLOP time (met on the largest config)",
          fp32_on[1:] == ["0.50 (not met)", "-", "1.90 (met)"], fp32_on)
    fp32_off = cells.get(("64, 64, 1, 1", "fp32", "off"), [])
    check("non-deterministic fp32: 258/200 = 1.29 eager, 150/200 = 0.75 compiled, 200/315 = 0.63",
          fp32_off == ["200.0 ms (cudnn, graph off)", "1.29 (not met)", "0.75 (not met)", "0.63 (met)"], fp32_off)
    bf16 = cells.get(("8, 256, 12, 4", "bf16", "on"), [])
    check("bf16 at patrol size: 100/50 = 2.00 eager (met), the FLOP ratio 5.00 reported without a target",
          bf16 == ["50.0 ms (gemm, graph on)", "2.00 (met)", "-", "5.00"], bf16)
    os.remove(os.path.join(d, "bench_crimecast.jsonl"))
    r = run(d)
    check("a run without crimecast's steps is refused", r.returncode != 0 and "no crimecast GPU step" in r.stderr, r)

sys.exit(1 if failures else 0)
