#!/usr/bin/env python3
"""The tables of bench/covariates_london.sh from its eval JSON: per span, each model's
deviance, MSE, hit rate and PAI at 1% and 1 km2 (95% intervals over bins), and the paired
differences against the forest and the network without covariates; the networks'
validation losses per seed from their training logs; the forest's importance of every
covariate.

usage: covariates_summary.py GRID_DIR SEEDS
"""
import csv
import json
import os
import re
import sys

d, seeds = sys.argv[1], int(sys.argv[2])
COVARIATES = {"imd", "income", "employment", "education", "health", "crime", "housing", "living_env",
              "retail", "grocery", "parks", "transit", "workplaces", "residential"}


def fmt(r, k):
    return f"{r[k]:.4g} [{r[k + '_lo']:.4g}, {r[k + '_hi']:.4g}]"


print(f"\n== {d}")
NAMES = {"iod": "deprivation", "all": "deprivation + mobility"}
for span in ("val", "test"):
    for v in ("iod", "all"):
        for versus in ("rf", "convlstm"):
            rows = [r for r in json.load(open(os.path.join(d, f"versus_{versus}_{v}_{span}.json"))) if r["category"] == "all"]
            print(f"-- {span} span, {NAMES[v]}: paired against {rows[0]['model']} ('all')")
            for r in rows:
                area = next((k for k in r if k.startswith("hit@") and "km2" in k and not k.endswith(("_lo", "_hi"))), None)
                print(f"{r['model']:>14}  deviance {fmt(r, 'deviance')}  mse {fmt(r, 'mse')}  hit@1 {r['hit@1']:.3f}  "
                      f"pai@1 {r['pai@1']:.2f}" + (f"  {area} {r[area]:.3f}" if area else "") +
                      f"  | minus ref: deviance {fmt(r, 'deviance_vs')}  mse {fmt(r, 'mse_vs')}")
for v in ("off", "iod", "all"):
    vals = []
    for s in range(1, seeds + 1):
        log = open(os.path.join(d, f"train_{v}_s{s}.log")).read()
        m = re.findall(r"validation loss (-?[0-9.]+), test loss", log)
        vals.append(float(m[-1]) if m else float("nan"))
    print(f"network, covariates {v}: validation loss per seed " + ", ".join(f"{x:.5f}" for x in vals) +
          f"; mean {sum(vals) / len(vals):.5f}")
imp = os.path.join(d, "importance.csv")
if os.path.exists(imp):
    rows = [r for r in csv.DictReader(open(imp)) if r["category"] == "all"]
    print("forest permutation importance ('all', validation span; rank of %d features):" % len(rows))
    for rank, r in enumerate(rows, 1):
        if r["feature"] in COVARIATES or rank <= 5:
            print(f"  {rank:>3}. {r['feature']:<14} {float(r['importance_mean']):.4f} +- {float(r['importance_std']):.4f}")
