#!/usr/bin/env python3
"""`crimecast demo --quick` end to end into a temporary directory: every output exists,
opens with an independent reader (sqlite3, h5py, csv, our own PNG decoder) and is
plausible: the oracle beats persistence, the ConvLSTM's training loss fell, the
figures in metrics.csv agree with the forecast files recomputed here with numpy; then
`inspect` on the demo's model (inspect_checks.py).

usage: demo_test.py CRIMECAST
"""
import csv
import html
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

from png_reader import read_png

from checks import check, summary
from inspect_checks import check_inspect

CRIMECAST = sys.argv[1]
MODELS = ["convlstm", "persistence", "histavg", "seasonal", "kde", "rf", "oracle"]


def deviance(y, p):
    p = np.maximum(p, 1e-9)
    return np.mean(2 * (np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / p), 0) - (y - p)))


def check_forecasts(out, counts, times, mask):
    """Every forecast file: same bins, shape, finite non-negative values, the demo's command
    and its step as the file's maker; returns them."""
    forecasts = {}
    version = subprocess.run([CRIMECAST, "--version"], capture_output=True, text=True).stdout.split()[-1]
    for m in MODELS:
        path = os.path.join(out, "forecasts", m + ".h5")
        with h5py.File(path, "r") as f:
            forecasts[m] = (f["forecast"][:], f["time"][:], f.attrs["model"])
            step = {"convlstm": "predict", "oracle": "synth --oracle"}.get(m, "baseline")
            made_by = "crimecast %s demo --quick --out %s (its step crimecast %s)" % (version, out, step)
            check("%s forecast names the demo and its step as its maker" % m, f.attrs["created_by"] == made_by,
                  (f.attrs["created_by"], made_by))
    t0 = forecasts["convlstm"][1]
    for m, (values, t, name) in forecasts.items():
        check("%s forecast covers the same bins" % m, np.array_equal(t, t0), (t, t0))
        check("%s forecast shape" % m, values.shape == (len(t0),) + counts.shape[1:], values.shape)
        check("%s forecast finite and >= 0" % m, np.isfinite(values).all() and (values >= 0).all())
    return forecasts, [int(np.nonzero(times == d)[0][0]) for d in t0]


def check_metrics(out, counts, mask, forecasts, bins):
    """metrics.csv against deviances recomputed per bin from the files, channel 'all'."""
    with open(os.path.join(out, "metrics.csv")) as f:
        rows = {(r["model"], r["category"]): r for r in csv.DictReader(f)}
    inside = mask == 1
    dev = {}
    for m, (values, _, name) in forecasts.items():
        per_bin = [deviance(counts[b, 0][inside].astype(float), values[i, 0][inside].astype(float)) for i, b in enumerate(bins)]
        dev[m] = float(np.mean(per_bin))
        r = rows.get((name, "all"))
        check("metrics.csv has %s/all" % name, r is not None)
        if r:
            check("metrics.csv deviance of %s = numpy's" % name, abs(float(r["deviance"]) - dev[m]) < 1e-4 * max(1, dev[m]),
                  (r["deviance"], dev[m]))
    check("the oracle beats persistence", dev["oracle"] < dev["persistence"], dev)
    check("the oracle beats every baseline",
          all(dev["oracle"] < dev[m] for m in ["persistence", "histavg", "seasonal", "kde", "rf"]), dev)
    print("deviance (channel all): " + ", ".join("%s %.4f" % (m, d) for m, d in dev.items()))


def check_pictures(out, n_bins):
    panels = sorted(os.listdir(os.path.join(out, "panels")))
    check("one panel PNG per test bin", len(panels) == n_bins, (len(panels), n_bins))
    for name in panels[:3] + ["../training.png", "../roc.png"]:
        rgb, text = read_png(os.path.join(out, "panels", name))
        check("%s decodes to a picture" % name, rgb.shape[0] > 100 and rgb.shape[1] > 200, rgb.shape)
        # A panel shows many colormap levels; a chart at least background, ink, grid and
        # two series colours.
        least = 4 if name.startswith("..") else 8
        colours = len(np.unique(rgb.reshape(-1, 3), axis=0))
        check("%s is not blank" % name, colours > least, colours)
    rgb, text = read_png(os.path.join(out, "panels", panels[0]))
    check("panel caption carried as text", "week" in text.get("Description", ""), text)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "demo")
        # An earlier demo's store in the folder, of another seed and span (`demo --seed 7`):
        # its incident ids differ from this run's, which synth refuses to mix; the demo
        # simulates its own store afresh.
        os.makedirs(out)
        earlier = subprocess.run([CRIMECAST, "synth", "--db", os.path.join(out, "crimecast.db"), "--seed", "7",
                                  "--from", "2021-01-04", "--to", "2021-03-01"], capture_output=True, text=True)
        check("an earlier demo's store simulated", earlier.returncode == 0, earlier.stderr[-2000:])
        # and an earlier demo's outputs: a run that failed or stopped part way left the new
        # tensor beside the old forecasts and reports, a shorter one the longer one's panels
        # (a probe, 2026-12-07); files of other names are the user's
        for name in ("panels/1999-01-04.png", "forecasts/oracle.h5", "report.md", "tensor.h5", "notes.txt"):
            os.makedirs(os.path.dirname(os.path.join(out, name)), exist_ok=True)
            with open(os.path.join(out, name), "w") as f:
                f.write("an earlier run's\n")
        gpu = "gpu:      none" not in subprocess.run([CRIMECAST, "info"], capture_output=True, text=True).stdout
        if not gpu:  # --device cuda where there is none: refused before anything is removed or written
            p = subprocess.run([CRIMECAST, "demo", "--quick", "--device", "cuda", "--out", out], capture_output=True,
                               text=True)
            check("demo --device cuda without a GPU: exit 1 before the first step, the folder as it was",
                  p.returncode == 1 and "[1/" not in p.stderr and os.path.exists(os.path.join(out, "report.md"))
                  and os.path.exists(os.path.join(out, "panels", "1999-01-04.png")), p.stderr[-2000:])
        # a folder whose store holds a real city's records (an analyst's, or `demo --city`'s):
        # refused before anything is written or removed (70,000 simulated incidents were
        # added beside them, unsaid; a probe)
        mixed = os.path.join(tmp, "mixed")
        os.makedirs(mixed)
        shutil.copyfile(os.path.join(out, "crimecast.db"), os.path.join(mixed, "crimecast.db"))
        with open(os.path.join(mixed, "report.md"), "w") as f:
            f.write("an earlier run's\n")
        con = sqlite3.connect(os.path.join(mixed, "crimecast.db"))
        con.execute("UPDATE incidents SET city = 'chicago' WHERE rowid IN (SELECT rowid FROM incidents LIMIT 5)")
        con.commit()
        before = con.execute("SELECT city, count(*) FROM incidents GROUP BY city ORDER BY city").fetchall()
        con.close()
        p = subprocess.run([CRIMECAST, "demo", "--quick", "--out", mixed], capture_output=True, text=True)
        con = sqlite3.connect(os.path.join(mixed, "crimecast.db"))
        after = con.execute("SELECT city, count(*) FROM incidents GROUP BY city ORDER BY city").fetchall()
        con.close()
        check("the synthetic demo into a store holding another city's records: exit 1 naming them, before any step, "
              "the store and the folder as they were", p.returncode == 1
              and "holds 5 incidents of other cities than the synthetic one" in p.stderr and "[1/" not in p.stderr
              and after == before and os.path.exists(os.path.join(mixed, "report.md")), (p.stderr[-1000:], after))
        start = time.monotonic()
        p = subprocess.run([CRIMECAST, "demo", "--quick", "--out", out], capture_output=True, text=True)
        elapsed = time.monotonic() - start
        print("demo --quick: %.1f s" % elapsed)
        check("demo --quick exits 0", p.returncode == 0, p.stderr[-3000:])
        if p.returncode:
            print(p.stdout[-3000:], p.stderr[-3000:])
            return 1
        print(p.stdout)
        check("prints the comparison table", "oracle" in p.stdout and "convlstm" in p.stdout and "Written to" in p.stdout)
        check("the earlier demo's outputs are gone (its panel of 1999 among them), a file of another name kept",
              not os.path.exists(os.path.join(out, "panels", "1999-01-04.png"))
              and os.path.exists(os.path.join(out, "notes.txt")), sorted(os.listdir(os.path.join(out, "panels")))[:3])
        check("the earlier store started afresh is said, and not among the steps' warnings in the report",
              "held only an earlier demo's incidents of synthetic: started afresh" in p.stderr
              and "started afresh" not in open(os.path.join(out, "report.md")).read(), p.stderr[-2000:])
        with sqlite3.connect(os.path.join(out, "crimecast.db")) as db:
            stored = db.execute("SELECT count(*) FROM incidents WHERE city = 'synthetic'").fetchone()[0]
            seeds = db.execute("SELECT DISTINCT substr(source_id, 1, 7) FROM incidents").fetchall()
        check("the store holds the synthetic city", stored > 1000, stored)
        check("the store holds only this run's incidents (seed 1), not the earlier demo's", seeds == [("synth-1",)],
              seeds)
        with h5py.File(os.path.join(out, "tensor.h5"), "r") as f:
            counts, times, mask = f["counts"][:], f["time"][:], f["mask"][:]
            check("tensor is weekly 32 x 32", f.attrs["bin"] == "week" and counts.shape[2:] == (32, 32), counts.shape)
        check("tensor counts most stored incidents", 0.5 * stored < counts[:, 0].sum() <= stored,
              (counts[:, 0].sum(), stored))
        with h5py.File(os.path.join(out, "model.h5"), "r") as f:
            loss = f["history/val_loss"][:]
            check("model file format", f.attrs["format"] == "crimecast-model")
        check("the ConvLSTM's validation loss fell", len(loss) >= 2 and loss.min() < loss[0], loss)
        forecasts, bins = check_forecasts(out, counts, times, mask)
        check_metrics(out, counts, mask, forecasts, bins)
        check_pictures(out, len(bins))
        check_inspect(CRIMECAST, os.path.join(out, "model.h5"), os.path.join(out, "tensor.h5"),
                      os.path.join(out, "forecasts", "convlstm.h5"), tmp)
        with open(os.path.join(out, "report.md")) as f:
            report = f.read()
        check("report has the table", "| model |" in report and "| oracle |" in report)
        for link in re.findall(r"\]\(([^)]+)\)", report):
            check("report link %s exists" % link, os.path.exists(os.path.join(out, link)))
        check("report says where the ConvLSTM stands", "of the gap between" in report)
        with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
            page = f.read()
        images = re.findall(r'<img alt="[^"]*" src="([^"]*)"', page)
        check("report.html: the table and every picture embedded (training, ROC, panels), nothing outside it",
              "<td>oracle</td>" in page and len(images) >= 3 and all(i.startswith("data:image/png;base64,") for i in images)
              and not re.search(r'(src|href)="(?!data:)', page), len(images))
        said = [line.split(": note: ", 1)[1] for line in p.stderr.splitlines() if line.startswith("crimecast demo: note: ")]
        items = [html.unescape(i) for i in re.findall(r"<li>(.*?)</li>", page)]
        check("eval's notes on the scores (%d, persistence's zeros among them) are in report.html and report.md as "
              "on the terminal (the terminal alone had them; found by a probe)" % len(said),
              said and any(n.startswith("persistence forecasts 0 in") for n in said) and items == said
              and all(n in report for n in said), (said, items))
        p = subprocess.run([CRIMECAST, "demo", "--city", "chicago", "--out", out], capture_output=True, text=True)
        check("--city without files is a usage error", p.returncode == 2 and "--file" in p.stderr, p.stderr)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
