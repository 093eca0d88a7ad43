#!/usr/bin/env python3
"""Issue 29's ratios from one run of bench/gpu_check.sh: for every config (batch, grid,
channels, down), precision (fp32, tf32, bf16) and determinism, crimecast's fastest step
(over --conv gemm|cudnn, --cudnn-layout nchw|nhwc and --graph off|on) against PyTorch eager and torch.compile at the
same precision and determinism, and crimecast's step against the time its FLOPs need at the
GEMM rate measured in the same run. Prints a Markdown table; the targets: PyTorch eager /
crimecast >= 1.5, torch.compile / crimecast >= 1.0, crimecast / FLOP time <= 2 (the last on
the largest standard config, batch 64 at 64 x 64).

usage: gpu_ratios.py OUTDIR    (reads OUTDIR/bench_crimecast.jsonl and bench_pytorch.jsonl)
"""
import json
import os
import sys


def records(path):
    """The JSON objects of a file, one per line; other lines (warnings, errors) skipped."""
    if not os.path.exists(path):
        return []
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    return out


def config_of(r):
    return (r["batch"], r["grid"], r.get("channels", 1), r.get("down", 1) or 1)


def ours(rows):
    """(config, precision, deterministic) -> the fastest crimecast run there."""
    best = {}
    for r in rows:
        if r.get("device") != "cuda":
            continue
        key = (config_of(r), r["math"], r.get("deterministic", "on") == "on")
        if key not in best or r["step_seconds"] < best[key]["step_seconds"]:
            best[key] = r
    return best


def theirs(rows):
    """(config, precision, deterministic, compiled) -> PyTorch's step."""
    steps = {}
    for r in rows:
        if r.get("device") != "cuda":
            continue
        precision = "bf16" if r.get("bf16") else "tf32" if r.get("tf32") else "fp32"
        key = (config_of(r), precision, bool(r.get("deterministic", 0)), bool(r.get("compile")))
        steps[key] = r["step_seconds"]
    return steps


def verdict(value, target, at_least=True):
    if value is None:
        return "-"
    met = value >= target if at_least else value <= target
    return "%.2f (%s)" % (value, "met" if met else "not met")


def table(best, pytorch):
    lines = ["| batch, grid, channels, down | precision | deterministic | crimecast step (conv, graph) | "
             "PyTorch eager / crimecast (>= 1.5) | torch.compile / crimecast (>= 1.0) | crimecast / FLOP time (<= 2) |",
             "|---|---|---|---|---|---|---|"]
    order = {"fp32": 0, "tf32": 1, "bf16": 2}
    for key in sorted(best, key=lambda k: (k[0], order.get(k[1], 9), not k[2])):
        config, precision, deterministic = key
        r = best[key]
        step = r["step_seconds"]
        eager = pytorch.get((config, precision, deterministic, False))
        compiled = pytorch.get((config, precision, deterministic, True))
        floor = r.get("flop_time_at_gemm_rate") or 0
        largest = config[:2] == (64, 64) and config[2:] == (1, 1)
        lines.append("| %d, %d, %d, %d | %s | %s | %.1f ms (%s, graph %s) | %s | %s | %s |" % (
            config + (precision, "on" if deterministic else "off", step * 1e3,
                      r.get("conv") + (" nhwc" if r.get("cudnn_layout") == "nhwc" else ""), r.get("graph", "off"),
                      verdict(eager / step if eager else None, 1.5), verdict(compiled / step if compiled else None, 1.0),
                      verdict(step / floor if floor else None, 2.0, at_least=False) if largest
                      else ("%.2f" % (step / floor) if floor else "-"))))
    return "\n".join(lines)


def kernel_families(rows):
    """Markdown: for each PyTorch run that listed its kernels (pytorch_convlstm.py --kernels),
    the share of the listed kernels' time in each family (Winograd, FFT, implicit GEMM...)."""
    lines = []
    for r in rows:
        if "kernels" not in r or not r["kernels"]:
            continue
        of = r.get("kernels_of", {})
        precision = "bf16" if of.get("bf16") else "tf32" if of.get("tf32") else "fp32"
        total = sum(k["ms"] for k in r["kernels"])
        share = {}
        for k in r["kernels"]:
            share[k["family"]] = share.get(k["family"], 0.0) + k["ms"]
        parts = ", ".join("%s %.0f%%" % (f, 100 * t / total) for f, t in sorted(share.items(), key=lambda x: -x[1]))
        lines.append("| %s, %s, down %s | %s | %s | %.1f ms | %s |" % (
            of.get("batch"), of.get("grid"), of.get("down"), precision, "on" if of.get("deterministic") else "off",
            total, parts))
    if not lines:
        return ""
    return "\n".join(["", "PyTorch eager's kernels (the listed ones' time, one profiled step):", "",
                      "| batch, grid, down | precision | deterministic | listed kernels | by family |",
                      "|---|---|---|---|---|"] + lines)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    best = ours(records(os.path.join(out, "bench_crimecast.jsonl")))
    pytorch_rows = records(os.path.join(out, "bench_pytorch.jsonl"))
    pytorch = theirs(pytorch_rows)
    if not best:
        sys.exit("%s: no crimecast GPU step in bench_crimecast.jsonl" % out)
    print(table(best, pytorch))
    families = kernel_families(pytorch_rows)
    if families:
        print(families)


if __name__ == "__main__":
    main()
