#!/usr/bin/env python3
"""The patrol-resolution table of bench/RESULTS.md from what bench/patrol_tables.sh wrote
for one city: eval_top10.csv, eval_occurrence.csv (the AUC with the occurrence label)
and versus_kde.json (paired deviance minus the validation-chosen KDE's). One markdown row
per channel and model.

usage: patrol_summary.py CITYDIR [CHANNEL ...]   (default channels: all robbery burglary)
"""
import csv
import json
import os
import sys


def rows(path):
    with open(path) as f:
        return {(r["model"], r["category"]): r for r in csv.DictReader(f)}


def g(x, digits=4):
    return "%.*g" % (digits, float(x))


def main():
    folder, channels = sys.argv[1], sys.argv[2:] or ["all", "robbery", "burglary"]
    top10, occurrence = rows(os.path.join(folder, "eval_top10.csv")), rows(os.path.join(folder, "eval_occurrence.csv"))
    with open(os.path.join(folder, "versus_kde.json")) as f:
        versus = {(r["model"], r["category"]): r for r in json.load(f)}
    print("| channel | model | deviance [95% CI] | MSE | hit@0.5km2 | hit@1km2 | PAI@1km2 | PEI@1km2 | hit@1% "
          "| AUC top 10% | AUC occurrence | deviance minus KDE, paired |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for channel in channels:
        for (model, category), r in top10.items():
            if category != channel:
                continue
            v = versus.get((model, category), {})
            d, lo, hi = (v.get("deviance_vs"), v.get("deviance_vs_lo"), v.get("deviance_vs_hi"))
            word = "tie" if d is None or lo <= 0 <= hi else ("ahead" if hi < 0 else "behind")
            paired = "%+.4f [%+.4f, %+.4f] %s" % (d, lo, hi, word) if d is not None else "-"
            print("| %s | %s | %s [%s, %s] | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                channel, model, g(r["deviance"]), g(r["deviance_lo"]), g(r["deviance_hi"]), g(r["mse"]),
                g(r["hit@0.5km2"], 3), g(r["hit@1km2"], 3), g(r["pai@1km2"], 3), g(r["pei@1km2"], 3),
                g(r["hit@1"], 3), g(r["auc"], 3), g(occurrence[(model, category)]["auc"], 3), paired))


if __name__ == "__main__":
    main()
