#!/usr/bin/env python3
"""The ST-ResNet tables of bench/RESULTS.md from bench/st_resnet_tables.sh's output:
per table, seed and channel, ST-ResNet's test figures beside the ConvLSTM's and the
forest's, and its paired differences against each (eval --versus).

usage: st_resnet_summary.py OUTDIR [chicago32 sf london chicago64]"""
import json
import os
import sys

NAMES = {"chicago32": "Chicago 32x32", "chicago64": "Chicago 64x64", "sf": "San Francisco 32x32",
         "london": "London 32x32 (monthly)"}


def ci(r, k, digits=4):
    return "%.*g [%.*g, %.*g]" % (digits, r[k], digits, r[k + "_lo"], digits, r[k + "_hi"])


def vs(r, k):
    return "%+.4g [%+.4g, %+.4g]" % (r[k + "_vs"], r[k + "_vs_lo"], r[k + "_vs_hi"])


def main():
    out = sys.argv[1]
    tables = sys.argv[2:] or ["chicago32", "sf", "london", "chicago64"]
    print("| city, grid, channel | seed | model | MSE [95% CI] | deviance [95% CI] | PAI @1% |")
    print("|---|---|---|---|---|---|")
    paired = []
    for t in tables:
        d = os.path.join(out, t, "st")
        if not os.path.exists(os.path.join(d, "versus_rf_s1.json")):
            continue
        seeds = sorted(int(f[len("versus_rf_s"):-5]) for f in os.listdir(d) if f.startswith("versus_rf_s"))
        for s in seeds:
            rows = json.load(open(os.path.join(d, "versus_rf_s%d.json" % s)))
            conv = {r["category"]: r for r in json.load(open(os.path.join(d, "versus_convlstm_s%d.json" % s)))
                    if r["model"] == "st-resnet"}
            for r in rows:
                if r["model"] not in ("st-resnet", "convlstm", "rf-100"):
                    continue
                print("| %s, %s | %d | %s | %s | %s | %.2f |" % (NAMES.get(t, t), r["category"], s, r["model"],
                                                              ci(r, "mse"), ci(r, "deviance"), r["pai@1"]))
                if r["model"] == "st-resnet":
                    c = conv[r["category"]]
                    paired.append("| %s, %s | %d | %s | %s | %s | %s |" % (
                        NAMES.get(t, t), r["category"], s, vs(r, "mse"), vs(r, "deviance"), vs(c, "mse"), vs(c, "deviance")))
    print()
    print("| city, grid, channel | seed | MSE: st-resnet - rf-100 | deviance: st-resnet - rf-100 | "
          "MSE: st-resnet - convlstm | deviance: st-resnet - convlstm |")
    print("|---|---|---|---|---|---|")
    print("\n".join(paired))
    for t in tables:
        f = os.path.join(out, t, "st", "choice.txt")
        if os.path.exists(f):
            print("\n%s: %s" % (t, open(f).read().strip().replace("\n", "; ")))


if __name__ == "__main__":
    main()
