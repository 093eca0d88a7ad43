#!/usr/bin/env python3
"""crimecast synth end to end: the synthetic city into a temporary store, rastered
weekly on 32 x 32 cells, then the oracle forecast and the baselines (persistence,
histavg, seasonal, kde, rf) for the same test bins, scored here with numpy:

* the oracle is the true conditional mean, so its mean Poisson deviance must be lower
  than every baseline's, in every channel (anything else is a bug in the oracle);
* `crimecast eval --csv` reports the same deviances as computed here;
* the oracle's total over the test bins is the observed total within 3 sigma (sigma
  widened for the clustering: a cluster of a process with branching ratio n holds
  1 / (1 - n) events, n <= 0.6 here);
* storing again inserts nothing; wrong seeds, cities and options are refused clearly.

usage: synth_test.py CRIMECAST
"""
import csv
import io
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

from checks import check, failures, summary

CRIMECAST = sys.argv[1]
TEST_FROM = "2021-06-07"
BASELINES = ["persistence", "histavg", "seasonal", "kde", "rf"]


def run(*args):
    start = time.time()
    p = subprocess.run([CRIMECAST, *args], capture_output=True, text=True)
    p.seconds = time.time() - start
    return p


def mean_deviance(y, p, mask):
    """eval's figure: per bin, 2 (y log(y/p) - (y - p)) averaged over the in-mask cells
    (y log y = 0 at y = 0, p floored at 1e-9); then averaged over bins."""
    y = y[:, mask].astype(np.float64)
    p = np.maximum(p[:, mask].astype(np.float64), 1e-9)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / p), 0.0)
    return float((2 * (term - (y - p))).mean(axis=1).mean())


def main():
    with tempfile.TemporaryDirectory() as tmp:
        db, tensor = os.path.join(tmp, "synth.db"), os.path.join(tmp, "weekly.h5")
        p = run("synth", "--db", db)
        check("synth stores the city", p.returncode == 0 and "inserted" in p.stdout, p.stdout + p.stderr)
        print(p.stdout.strip() + "\n  [%.1f s]" % p.seconds)
        p = run("synth", "--out", db)
        check("storing again inserts nothing", p.returncode == 0 and ", 0 inserted" in p.stdout, p.stdout + p.stderr)
        p = run("raster", "--city", "synthetic", "--db", db, "--from", "2019-01-01", "--to", "2022-01-01",
                "--bin", "week", "--grid", "32", "--out", tensor)
        check("raster --city synthetic works unchanged", p.returncode == 0, p.stdout + p.stderr)
        if failures:
            return

        files = {}
        oracle = os.path.join(tmp, "oracle.h5")
        p = run("synth", "--oracle", oracle, "--data", tensor, "--test-from", TEST_FROM)
        check("synth --oracle writes the forecast", p.returncode == 0, p.stdout + p.stderr)
        with h5py.File(oracle, "r") as f:
            made_by = f.attrs["created_by"].split(" ", 2)
        check("the oracle records the command that wrote it", made_by[0] == "crimecast" and made_by[2] ==
              "synth --oracle %s --data %s --test-from %s" % (oracle, tensor, TEST_FROM), made_by)
        print(p.stdout.strip().splitlines()[-1] + "  [%.1f s with the simulation]" % p.seconds)
        files["oracle"] = oracle
        # --span next: on a raster one week short, the bin after its last is the full
        # raster's last, and the oracle (the process's expectation given every event before
        # the origin) must be the same there, bit for bit
        shorter, following = os.path.join(tmp, "shorter.h5"), os.path.join(tmp, "oracle-next.h5")
        run("raster", "--city", "synthetic", "--db", db, "--from", "2019-01-01", "--to", "2021-12-20",
            "--bin", "week", "--grid", "32", "--out", shorter)
        p = run("synth", "--oracle", following, "--data", shorter, "--span", "next")
        with h5py.File(oracle, "r") as a, h5py.File(following, "r") as b:
            check("synth --oracle --span next: the following week, the full raster's last oracle bin bit for bit",
                  p.returncode == 0 and list(b["time"][:]) == [a["time"][-1]]
                  and np.array_equal(b["forecast"][0], a["forecast"][-1]), p.stderr)
        # ... and of a raster too short to split (11 weeks, window 8): the oracle fits
        # nothing, so it forecasts the same week (it was refused, "the train span holds no
        # target"; a probe, 2026-12-07)
        short, short_next = os.path.join(tmp, "short.h5"), os.path.join(tmp, "oracle-short-next.h5")
        run("raster", "--city", "synthetic", "--db", db, "--from", "2021-10-04", "--to", "2021-12-20",
            "--bin", "week", "--grid", "32", "--out", short)
        p = run("synth", "--oracle", short_next, "--data", short, "--span", "next")
        with h5py.File(following, "r") as a, h5py.File(short_next, "r") if p.returncode == 0 else open(os.devnull) as b:
            check("synth --oracle --span next of 11 weeks: the same week's oracle", p.returncode == 0
                  and list(b["time"][:]) == list(a["time"][:]) and np.array_equal(b["forecast"][:], a["forecast"][:]),
                  p.stderr)
        for method in BASELINES:
            out = os.path.join(tmp, method + ".h5")
            p = run("baseline", "--method", method, "--data", tensor, "--out", out, "--test-from", TEST_FROM)
            check("baseline %s runs" % method, p.returncode == 0, p.stdout + p.stderr)
            print("  %s [%.1f s]" % (method, p.seconds))
            files[method] = out
        p = run("baseline", "--method", "histavg", "--data", tensor, "--out", os.path.join(tmp, "early.h5"),
                "--test-from", "2018-06-04")
        check("a --test-from before the tensor says so (it said 'target bins 1..-1')", p.returncode == 1
              and "is not after the tensor's first bin" in p.stderr, p.stderr)
        if failures:
            return

        with h5py.File(tensor, "r") as f:
            counts, times, mask = f["counts"][...], f["time"][...], f["mask"][...].astype(bool)
            channels = [c.decode() if isinstance(c, bytes) else c for c in f["category"][...]]
        forecasts, models = {}, {}
        for name, path in files.items():
            with h5py.File(path, "r") as f:
                forecasts[name] = (f["forecast"][...], f["time"][...])
                models[name] = f.attrs["model"]
        oracle_times = forecasts["oracle"][1]
        check("the oracle forecasts the baselines' bins",
              all(np.array_equal(t, oracle_times) for _, t in forecasts.values()), oracle_times)
        check("the oracle is named 'oracle'", models["oracle"] == "oracle", models["oracle"])
        index = np.searchsorted(times, oracle_times)
        truth = counts[index]
        print("%d test bins from %s; mean Poisson deviance per channel:" % (len(index), TEST_FROM))
        print("  %-14s" % "model" + "".join("%15s" % c for c in channels))
        deviance = {}
        for name, (values, _) in forecasts.items():
            deviance[name] = [mean_deviance(truth[:, c], values[:, c], mask) for c in range(len(channels))]
            print("  %-14s" % models[name] + "".join("%15.4f" % d for d in deviance[name]))
        for c, channel in enumerate(channels):
            worse = [b for b in BASELINES if not deviance["oracle"][c] < deviance[b][c]]
            check("oracle beats every baseline on '%s'" % channel, not worse,
                  {b: deviance[b][c] for b in worse} | {"oracle": deviance["oracle"][c]})

        p = run("eval", "--data", tensor, "--csv", *files.values())
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        agree = p.returncode == 0 and len(rows) == len(files) * len(channels)
        for row in rows:
            name = next(n for n in files if models[n] == row["model"])
            mine = deviance[name][channels.index(row["category"])]
            agree = agree and abs(float(row["deviance"]) - mine) <= 1e-4 * max(1.0, mine)
        check("eval --csv reports the same deviances", agree, p.stdout[:1500] + p.stderr)

        predicted = forecasts["oracle"][0].sum(axis=(0, 2, 3))
        observed = truth.sum(axis=(0, 2, 3))
        for c, channel in enumerate(channels):
            sigma = np.sqrt(predicted[c]) / (1 - 0.6)
            print("  %-14s observed %7.0f, oracle %9.1f (%.2f sigma)" % (channel, observed[c], predicted[c],
                                                                       (observed[c] - predicted[c]) / sigma))
            check("oracle total matches the observed on '%s'" % channel,
                  abs(observed[c] - predicted[c]) < 3 * sigma, (observed[c], predicted[c]))

        refused = os.path.join(tmp, "refused.h5")
        p = run("synth", "--oracle", refused, "--data", tensor, "--seed", "2")
        check("another seed's oracle is refused", p.returncode == 1 and "seed" in p.stderr and tensor in p.stderr,
              p.stderr)
        p = run("synth", "--oracle", refused, "--data", tensor, "--from", "2020-01-01")
        check("a tensor outside the simulated span is refused", p.returncode == 1 and "span" in p.stderr, p.stderr)
        p = run("synth", "--db", os.path.join(tmp, "real.db"), "--city-name", "chicago")
        check("a real city is refused", p.returncode == 2 and "synthetic" in p.stderr, p.stderr)
        p = run("synth", "--db", db, "--seed", "9")
        check("another run into the same city is refused", p.returncode == 1 and "another --city-name" in p.stderr,
              p.stderr)
        # Two runs of other seeds at once into one new store: one stores its city, the
        # other is refused (the store was counted before the inserts' transaction began, so
        # both stored, in 2 of 4 tries: two cities mixed in one).
        for attempt in range(3):
            both = os.path.join(tmp, "both%d.db" % attempt)
            runs = [subprocess.Popen([CRIMECAST, "synth", "--db", both, "--seed", seed, "--to", "2020-01-01"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for seed in ("1", "2")]
            outcomes = [r.communicate() for r in runs]
            codes, errors = sorted(r.returncode for r in runs), [e[-300:] for _, e in outcomes]
            with sqlite3.connect(both) as con:
                seeds = len({sid.rsplit("-", 1)[0] for (sid,) in con.execute("select source_id from incidents")})
            check("two synth runs of other seeds at once into one store: one stored, one refused (try %d)" % attempt,
                  codes == [0, 1] and seeds == 1 and any("another synth run" in e or "the store is busy" in e
                                                         for e in errors),
                  (codes, seeds, errors))
        p = run("synth", "--oracle", refused)
        check("--oracle without --data is a usage error", p.returncode == 2, p.stderr)
        far = os.path.join(tmp, "far.db")
        p = run("synth", "--db", far, "--from", "1900-01-01", "--to", "1900-01-03")
        check("a span a century from 2020 (the drift would make millions a day) is a usage error",
              p.returncode == 2 and "1995-01-01 .. 2045-01-01" in p.stderr and not os.path.exists(far), p.stderr)
        p = run("synth", "--db", far, "--seed", "18446744073709551616")
        check("a seed past 2^64 - 1 is refused, not clamped", p.returncode == 2 and "--seed must be" in p.stderr
              and not os.path.exists(far), p.stderr)
        p = run("synth", "--db", far, "--seed", " -1")
        check("a seed ' -1' (a blank, then a minus) is refused, not read as 2^64 - 1",
              p.returncode == 2 and "--seed must be" in p.stderr and not os.path.exists(far), p.stderr)
        p = run("synth", "--db", far, "--out", os.path.join(tmp, "other.db"))
        check("--db and --out naming two stores is a usage error", p.returncode == 2 and "give one" in p.stderr
              and not os.path.exists(far), p.stderr)
        p = run("synth", "--help")
        check("--help", p.returncode == 0 and "--oracle" in p.stdout, p.stdout)
        check("nothing written when refused", not os.path.exists(refused))


main()
sys.exit(summary())
