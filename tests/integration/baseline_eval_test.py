#!/usr/bin/env python3
"""crimecast baseline and eval against numpy and scikit-learn on a tensor file written
here with h5py (random weekly counts, 2 channels, 8 x 8, a mask with holes):

* persistence, histavg (52 and all), seasonal (with its histavg fallback) and kde
  forecasts equal the definitions computed here, for the target bins predict uses;
* eval --json reports, per model and category, the bin-averaged MSE, MAE, deviance,
  AUC (scikit-learn per bin), hit rate, with bootstrap intervals around the mean;
* eval --csv carries the same figures;
* eval --roc draws a PNG (decoded here) with one curve per model in its own colour;
* eval --versus gives paired per-bin differences over the bins two forecasts share, with
  the bootstrap interval recomputed here from the documented resampling;
* eval --area flags the nearest whole number of cells to a fixed area and reports hit
  rate, PAI and PEI there, recomputed here in float64;
* kde without --bandwidth and --half-life chooses both on the validation span, as the
  grid search recomputed here does.

usage: baseline_eval_test.py CRIMECAST
"""
import csv
import datetime
import io
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

from png_reader import read_png
from synthetic_tensor import hotspot_auc, top_share, write_tensor

from checks import check, summary

CRIMECAST = sys.argv[1]
T, C, H, W, WINDOW = 150, 2, 8, 8, 8


def targets():
    """The test span's target bins, as crimecast's split makes them: every bin from
    round(0.85 T) on (rolling origin; the window only sets where training targets start)."""
    return list(range(int(math.floor(0.85 * T + 0.5)), T))


def kde_reference(counts, mask, origin, k, half_life, sigma):
    w = np.array([2.0 ** (-j / half_life) for j in range(k) if origin - j >= 0])
    hist = np.array([counts[origin - j] for j in range(len(w))])
    avg = (w[:, None, None, None] * hist).sum(0) / w.sum()
    radius = int(math.ceil(3 * sigma))
    kern = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kern /= kern.sum()

    def blur(a):
        pad = np.pad(a, radius)
        rows = np.array([[np.dot(kern, pad[r:r + 2 * radius + 1, c + radius]) for c in range(W)] for r in range(H)])
        pad = np.pad(rows, radius)
        return np.array([[np.dot(kern, pad[r + radius, c:c + 2 * radius + 1]) for c in range(W)] for r in range(H)])

    weight = blur(mask.astype(float))
    out = np.zeros_like(avg)
    for c in range(C):
        out[c] = np.where(mask == 1, blur(np.where(mask == 1, avg[c], 0)) / np.where(weight > 0, weight, 1), 0)
    return out


def check_kde_huge_bandwidth(tensor, counts, mask, tmp):
    """A bandwidth far past the grid is the flat limit, not an overflow: every masked
    cell holds the mask's mean of the weighted history (the blur's radius stops at the
    grid; 3 sigma of 1e15 m overflowed int, and the kde returned the map unsmoothed)."""
    out = os.path.join(tmp, "kde_huge.h5")
    p = subprocess.run([CRIMECAST, "baseline", "--method", "kde", "--bandwidth", "1e15", "--half-life", "13",
                        "--data", tensor, "--out", out], capture_output=True, text=True, timeout=120)
    check("kde --bandwidth 1e15 exits 0", p.returncode == 0, p.stderr)
    if p.returncode != 0:
        return
    inside = mask == 1
    want = []
    for t in targets():
        origin = t - 1
        w = np.array([2.0 ** (-j / 13.0) for j in range(52) if origin - j >= 0])
        avg = (w[:, None, None, None] * np.array([counts[origin - j] for j in range(len(w))])).sum(0) / w.sum()
        want.append([np.where(inside, avg[c][inside].mean(), 0) for c in range(C)])
    with h5py.File(out, "r") as f:
        got = f["forecast"][:]
    want = np.array(want)
    check("kde --bandwidth 1e15: the mask's flat mean", np.allclose(got, want, rtol=1e-4, atol=1e-5),
          np.abs(got - want).max())


def check_names_escaped(tensor, forecast, tmp):
    """A model name from a file (anyone's) with a quote, a backslash, a comma and a line
    break comes back whole through eval --json and --csv, which stay parseable."""
    odd = os.path.join(tmp, "odd_name.h5")
    shutil.copy(forecast, odd)
    name = 'm "quoted", back\\slash\nnext line'
    with h5py.File(odd, "r+") as f:
        f.attrs["model"] = name
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--json", odd], capture_output=True, text=True)
    try:
        models = {r["model"] for r in json.loads(p.stdout)}
    except ValueError as e:
        models = {"unparseable: %s" % e}
    check("eval --json: an odd model name comes back whole", models == {name}, models)
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--csv", odd], capture_output=True, text=True)
    models = {r["model"] for r in csv.DictReader(io.StringIO(p.stdout, newline=""))}
    check("eval --csv: an odd model name comes back whole", models == {name}, models)


def check_created_by(tensor, tmp):
    """A forecast file records the command line that wrote it (created_by), each word as a
    shell reads it back: the command runs again from it, whatever the paths hold."""
    odd_dir = os.path.join(tmp, "it's a dir")
    os.makedirs(odd_dir, exist_ok=True)
    out = os.path.join(odd_dir, "hist avg.h5")
    args = ["baseline", "--method", "histavg", "--data", tensor, "--k=4", "--out", out]
    p = subprocess.run([CRIMECAST, *args], capture_output=True, text=True)
    version = subprocess.run([CRIMECAST, "--version"], capture_output=True, text=True).stdout.split()[-1]
    with h5py.File(out, "r") as f:
        words = shlex.split(f.attrs["created_by"])
    check("a forecast's created_by is its command line, quoted", p.returncode == 0
          and words == ["crimecast", version, *args], (words, p.stderr))


def check_tiny_area_label_noted(tmp):
    """A study area of 4 cells: 10% of it rounds to no cell, so the top-10% label flags none
    and AUC, AP and F1 are nan in every bin; eval says why (the table alone did not; found
    by a probe), and --hotspot occurrence gives them values."""
    rng = np.random.default_rng(5)
    counts = rng.poisson(2.0, size=(30, 1, 2, 2)).astype(np.float32)
    tiny = os.path.join(tmp, "tiny.h5")
    write_tensor(tiny, counts, np.ones((2, 2), np.uint8), ["all"])
    forecast = os.path.join(tmp, "tiny_histavg.h5")
    p = subprocess.run([CRIMECAST, "baseline", "--method", "histavg", "--data", tiny, "--out", forecast],
                       capture_output=True, text=True)
    q = subprocess.run([CRIMECAST, "eval", "--data", tiny, "--json", forecast], capture_output=True, text=True)
    rows = json.loads(q.stdout) if q.returncode == 0 else [{}]
    check("a 4-cell study area: AUC nan, and a note saying the top-10% label flags no cell",
          p.returncode == 0 and rows[0].get("auc", 0.0) is None  # JSON's null for nan
          and "the top-10% hotspot label flags no cell of a study area of 4" in q.stderr, (p.stderr, q.stderr))
    q = subprocess.run([CRIMECAST, "eval", "--data", tiny, "--json", "--hotspot", "occurrence", forecast],
                       capture_output=True, text=True)
    rows = json.loads(q.stdout) if q.returncode == 0 else [{}]
    check("... --hotspot occurrence: an AUC, no such note", isinstance(rows[0].get("auc"), float)
          and "flags no cell" not in q.stderr, q.stderr)


def check_crimeless_channel_noted(tmp):
    """A channel with no crime in any bin scored (a gap in the records, or a rare category)
    has nan hotspot figures; eval says why, naming the row (a probe's table was nan with no
    word), and only for that channel: 'all' has crimes and no such note."""
    rng = np.random.default_rng(7)
    counts = rng.poisson(2.0, size=(30, 2, 6, 6)).astype(np.float32)
    counts[20:, 1] = 0  # the category's records end before the test span (bins 25..29)
    data = os.path.join(tmp, "gap.h5")
    write_tensor(data, counts, np.ones((6, 6), np.uint8), ["all", "burglary"])
    forecast = os.path.join(tmp, "gap_histavg.h5")
    p = subprocess.run([CRIMECAST, "baseline", "--method", "histavg", "--data", data, "--out", forecast],
                       capture_output=True, text=True)
    q = subprocess.run([CRIMECAST, "eval", "--data", data, "--json", forecast], capture_output=True, text=True)
    rows = {r["category"]: r for r in json.loads(q.stdout)} if q.returncode == 0 else {}
    check("a channel without a crime in the bins scored: nan hotspot figures, and a note naming it, once",
          p.returncode == 0 and rows.get("burglary", {}).get("auc", 0.0) is None
          and isinstance(rows.get("all", {}).get("auc"), float)
          and q.stderr.count("have no hotspot figures") == 1
          and "1 row(s) have no hotspot figures (AUC, AP, F1, hit rate, PAI, PEI: nan): none of the bins scored holds "
          "a crime of the channel (the first: histavg-52, channel 'burglary'" in q.stderr, (p.stderr, q.stderr, rows))


def check_level_off_noted(tmp):
    """A forecast whose total is off the truth's by a tenth or more, past Poisson chance, is
    noted with both levels a bin (a convlstm-ae forecast 43% low, unsaid, its deviance
    ranked second; a probe); one at the right level is not."""
    rng = np.random.default_rng(11)
    counts = rng.poisson(3.0, size=(40, 2, 8, 8)).astype(np.float32)
    data, right, halved = (os.path.join(tmp, n) for n in ("level.h5", "level_histavg.h5", "level_halved.h5"))
    write_tensor(data, counts, np.ones((8, 8), np.uint8), ["all", "burglary"])
    p = subprocess.run([CRIMECAST, "baseline", "--method", "histavg", "--data", data, "--out", right],
                       capture_output=True, text=True)
    shutil.copy(right, halved)
    with h5py.File(halved, "r+") as f:
        values = f["forecast"][:]
        values[:, 1] *= 0.5
        f["forecast"][...] = values
        f.attrs["model"] = "halved"
        days = f["time"][:]
    with h5py.File(data, "r") as t:
        bins = [int(np.nonzero(t["time"][:] == d)[0][0]) for d in days]
    truth = counts[bins, 1].astype(np.float64).sum() / len(bins)
    forecast = values[:, 1].astype(np.float64).sum() / len(bins)
    q = subprocess.run([CRIMECAST, "eval", "--data", data, right, halved], capture_output=True, text=True)
    said = re.search(r"halved's total is off the truth's by a tenth or more, past chance, in 1 of its 2 channels over "
                     r"the (\d+) bins scored: 'burglary' (\S+) a bin where (\S+) happened \(([-+]\d+)%\)", q.stderr)
    check("a forecast at half the truth's level in one channel: noted with both levels a bin (numpy: %.4g where %.4g), "
          "the one at the right level not" % (forecast, truth), p.returncode == 0 and q.returncode == 0 and said
          and int(said.group(1)) == len(bins) and abs(float(said.group(2)) / forecast - 1) < 1e-3
          and abs(float(said.group(3)) / truth - 1) < 1e-3 and said.group(4) == "%+.0f" % (100 * (forecast / truth - 1))
          and "histavg-52's total is off" not in q.stderr, q.stderr)
    # a PNG, an HTML page, a CSV or a JSON file named over a tensor: refused, the tensor kept
    # (png, report, eval --roc, covariates --join-csv replaced it, exit 0; a probe; tune --out,
    # baseline --importance too: a reviewer)
    victim = os.path.join(tmp, "victim.h5")
    shutil.copy(data, victim)
    before = open(victim, "rb").read()
    for args, what in ((["png", "--in", data, "--index", "0", "--out", victim], "--out file (FILE.png|DIR)"),
                       (["eval", "--data", data, right, "--roc", victim], "--roc file (ROC.png)"),
                       (["report", "--data", data, right, "--out", victim], "--out file (REPORT.html)"),
                       (["covariates", "--data", data, "--table", "none.csv", "--polygons", "none.geojson", "--key", "k",
                         "--polygon-key", "k", "--join-csv", victim], "--join-csv file (FILE.csv)"),
                       (["tune", "--data", data, "--out", victim], "--out file (CONFIG.json)"),
                       (["baseline", "--method", "rf", "--data", data, "--out", os.path.join(tmp, "rf_x.h5"),
                         "--importance", victim], "--importance file (FILE.csv)")):
        q = subprocess.run([CRIMECAST, *args], capture_output=True, text=True)
        check("%s %s over a tensor: refused before any work, the tensor kept" % (args[0], what.split()[0]),
              q.returncode == 2 and "%s: cannot write the %s there: an HDF5 file is there" % (victim, what) in q.stderr
              and open(victim, "rb").read() == before, q.stderr)
    # --join: the forecast cut into one file a bin (as a season of predict --span next makes
    # them), given out of order, scores as the whole (it was refused, "different bins (1 and
    # 1)"; a probe); a bin in two files is refused, naming both
    pieces = []
    with h5py.File(right, "r") as f:
        n = len(f["time"])
        for b in range(n):
            piece = os.path.join(tmp, "level_piece%d.h5" % b)
            shutil.copy(right, piece)
            with h5py.File(piece, "r+") as g:
                for name in ("forecast", "time"):
                    one = f[name][b:b + 1]
                    del g[name]
                    g[name] = one
            pieces.append(piece)
    whole = subprocess.run([CRIMECAST, "eval", "--data", data, "--json", right], capture_output=True, text=True)
    joined = subprocess.run([CRIMECAST, "eval", "--data", data, "--json", "--join", *pieces[::-1]], capture_output=True,
                            text=True)
    same = whole.returncode == 0 and joined.returncode == 0 and [
        {k: v for k, v in r.items() if k != "model"} for r in json.loads(whole.stdout)] == [
        {k: v for k, v in r.items() if k != "model"} for r in json.loads(joined.stdout)]
    check("eval --join of the %d one-bin files, out of order: the whole forecast's figures, said as one" % n,
          n >= 2 and same and "--join: the %d files are one forecast of %d week bins" % (n, n) in joined.stderr,
          (whole.stdout[:300], joined.stdout[:300], joined.stderr))
    twice = subprocess.run([CRIMECAST, "eval", "--data", data, "--join", pieces[0], pieces[1], right],
                           capture_output=True, text=True)
    check("... a bin in two of the files: refused, naming both", twice.returncode == 1 and "--join: the bin of " in
          twice.stderr and "is in %s and in %s: give each bin once" % (pieces[0], right) in twice.stderr, twice.stderr)
    # a tensor of other channels: nothing scored is an error, not an empty table with exit 0 (a probe)
    other = os.path.join(tmp, "level_other.h5")
    write_tensor(other, counts, np.ones((8, 8), np.uint8), ["violence", "fraud"])
    q = subprocess.run([CRIMECAST, "eval", "--data", other, "--json", right], capture_output=True, text=True)
    check("eval of a forecast sharing no channel with the tensor: exit 1 naming both lists, no table",
          q.returncode == 1 and q.stdout == "" and "no channel of the forecasts is in %s (its: violence, fraud; %s's: "
          "all, burglary): nothing to score" % (other, right) in q.stderr, (q.stdout, q.stderr))


def check_other_grids_refused(tensor, forecast, tmp):
    """A forecast on another grid is refused by eval, naming what differs: shifted by a
    kilometre (same size and cell), of another city, or of month bins."""
    def shifted(f):
        x = f["x"][:] + 1000.0
        del f["x"]
        f["x"] = x

    cases = {"its north-west corner": shifted, "city 'elsewhere'": lambda f: f.attrs.__setitem__("city", "elsewhere"),
             "month bins": lambda f: f.attrs.__setitem__("bin", "month")}
    for says, edit in cases.items():
        other = os.path.join(tmp, "other_grid.h5")
        shutil.copy(forecast, other)
        with h5py.File(other, "r+") as f:
            edit(f)
        p = subprocess.run([CRIMECAST, "eval", "--data", tensor, other], capture_output=True, text=True)
        check("eval refuses a forecast on another grid (%s)" % says,
              p.returncode == 1 and "another grid" in p.stderr and says in p.stderr, p.stderr)


def lcg_bootstrap(values, resamples=1000, seed=1):
    """The resampling eval documents: a 32-bit LCG picks the bins, 2.5% / 97.5% order statistics."""
    state, m, means = seed, len(values), []
    for _ in range(resamples):
        total = 0.0
        for _ in range(m):
            state = (state * 1664525 + 1013904223) % 2**32
            total += values[(state >> 8) % m]
        means.append(total / m)
    means.sort()
    return means[int(math.floor(0.025 * (resamples - 1)))], means[int(math.ceil(0.975 * (resamples - 1)))]


def lcg_block_bootstrap(values, block, resamples=1000, seed=1):
    """eval --block B: each resample strings ceil(n / B) blocks of B consecutive values
    from LCG-drawn starts (wrapping past the end), cut to n; the mean of its finite values;
    2.5% / 97.5% order statistics."""
    state, n, means = seed, len(values), []
    for _ in range(resamples):
        picked = []
        for k in range(0, n, block):
            state = (state * 1664525 + 1013904223) % 2**32
            start = (state >> 8) % n
            picked += [values[(start + j) % n] for j in range(min(block, n - k))]
        finite = [v for v in picked if math.isfinite(v)]
        if finite:
            means.append(sum(finite) / len(finite))
    means.sort()
    m = len(means)
    return means[int(math.floor(0.025 * (m - 1)))], means[int(math.ceil(0.975 * (m - 1)))]


def check_block_bootstrap(tensor, files, expected, counts, mask, tgt):
    """eval --block 4: the intervals of the mean and of the paired differences from blocks
    of 4 consecutive bins, as recomputed here; --block 1 is the single bins' bootstrap."""
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--json", "--block", "4", "--versus", "histavg-52", files[0],
                        files[1]], capture_output=True, text=True)
    single = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--json", "--versus", "histavg-52", files[0],
                             files[1]], capture_output=True, text=True)
    records = json.loads(p.stdout) if p.returncode == 0 else []
    inside, ok = mask == 1, len(records) == 4
    for rec in records:
        c = 0 if rec["category"] == "all" else 1
        truth = counts[tgt][:, c][:, inside].astype(float)
        mine = np.array(expected[rec["model"]])[:, c][:, inside].astype(np.float32)
        other = np.array(expected["histavg-52"])[:, c][:, inside].astype(np.float32)
        mse = ((mine - truth) ** 2).mean(1)
        lo, hi = lcg_block_bootstrap(list(mse), 4)
        ok &= abs(rec["mse_lo"] - lo) < 1e-4 * max(1, abs(lo)) and abs(rec["mse_hi"] - hi) < 1e-4 * max(1, abs(hi))
        if rec["model"] != "histavg-52":
            lo, hi = lcg_block_bootstrap(list(mse - ((other - truth) ** 2).mean(1)), 4)
            ok &= abs(rec["mse_vs_lo"] - lo) < 1e-4 * max(1, abs(lo)) and abs(rec["mse_vs_hi"] - hi) < 1e-4 * max(1, abs(hi))
    check("eval --block 4: every interval as the circular block bootstrap recomputed here", ok,
          [(r["model"], r["category"], r["mse_lo"], r["mse_hi"]) for r in records])
    one = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--json", "--block", "1", "--versus", "histavg-52",
                          files[0], files[1]], capture_output=True, text=True)
    check("eval --block 1 is single bins, byte for byte", one.returncode == 0 and one.stdout == single.stdout
          and p.stdout != single.stdout, one.stderr)
    long = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--json", "--block", "5", files[0]], capture_output=True,
                          text=True)
    rows = json.loads(long.stdout) if long.returncode == 0 else []
    check("eval --block 5 over %d bins (fewer than 5 blocks): no interval, and a note saying why" % len(tgt),
          len(tgt) < 25 and rows and all(r["mse_lo"] is None and r["mse"] is not None for r in rows)
          and "--block 5 leaves fewer than 5 blocks in the %d bins scored" % len(tgt) in long.stderr
          and "--block %d at most here" % (len(tgt) // 5) in long.stderr, long.stderr)


def check_versus(tensor, files, expected, counts, mask, tgt, tmp):
    """eval --versus: per-bin paired differences over the bins two forecasts share, here a
    forecast cut to its later bins against a full one."""
    cut = os.path.join(tmp, "persistence-late.h5")
    with h5py.File(files[0], "r") as src, h5py.File(cut, "w") as dst:
        for key in src:
            data = src[key][:]
            dst.create_dataset(key, data=data[3:] if key in ("forecast", "time") else data)
        for key, value in src.attrs.items():
            dst.attrs[key] = value
        dst.attrs["model"] = "persistence-late"
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--json", "--versus", "histavg-52", files[1], cut],
                       capture_output=True, text=True)
    check("eval refuses forecasts of different bins, naming both files", p.returncode == 1
          and files[1] in p.stderr and cut in p.stderr and "--common-bins" in p.stderr, p.stderr)
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--json", "--common-bins", "--versus", "histavg-52",
                        files[1], cut], capture_output=True, text=True)
    check("eval --common-bins --versus exits 0", p.returncode == 0, p.stderr)
    alone = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--versus", "histavg-52", files[1]],
                           capture_output=True, text=True)
    check("eval --versus naming the only forecast: refused, nothing to compare (report drew an empty table)",
          alone.returncode == 1 and "--versus 'histavg-52' is the only model of every category scored" in alone.stderr,
          alone.stderr)
    with h5py.File(cut, "r") as f:
        days = f["time"][:]
    first, last = (datetime.date(1970, 1, 1) + datetime.timedelta(days=int(d)) for d in (days[0], days[-1]))
    check("eval --common-bins says how many bins it kept, and which",
          "--common-bins: every forecast is scored on the %d bin(s) all of them have, %s to %s" % (
              len(days), first.isoformat(), last.isoformat()) in p.stderr, p.stderr)
    inside = mask == 1
    for rec in json.loads(p.stdout) if p.returncode == 0 else []:
        c = 0 if rec["category"] == "all" else 1
        late = rec["model"] == "persistence-late"
        bins = list(range(3, len(tgt)))  # the bins both forecast: each is scored on them alone
        truth = counts[tgt][bins][:, c][:, inside].astype(float)
        own = np.array(expected["persistence" if late else "histavg-52"])[bins][:, c][:, inside].astype(np.float32)
        check("eval --common-bins %s/%s: mse over the shared bins" % (rec["model"], rec["category"]),
              abs(rec["mse"] - ((own - truth) ** 2).mean()) < 1e-4 * max(1, rec["mse"]), rec["mse"])
        truth = counts[tgt][bins][:, c][:, inside].astype(float)
        mine = np.array(expected["persistence" if late else "histavg-52"])[bins][:, c][:, inside].astype(np.float32)
        other = np.array(expected["histavg-52"])[bins][:, c][:, inside].astype(np.float32)
        diff = ((mine - truth) ** 2).mean(1) - ((other - truth) ** 2).mean(1)
        lo, hi = lcg_bootstrap(list(diff))
        label = "%s/%s" % (rec["model"], rec["category"])
        check("eval --versus %s: mse_vs is the mean paired difference" % label,
              abs(rec["mse_vs"] - diff.mean()) < 1e-4 * max(1, abs(diff.mean())), (rec["mse_vs"], diff.mean()))
        check("eval --versus %s: its interval (same resampled bins)" % label,
              abs(rec["mse_vs_lo"] - lo) < 1e-3 * max(1, abs(lo)) and abs(rec["mse_vs_hi"] - hi) < 1e-3 * max(1, abs(hi)),
              (rec["mse_vs_lo"], rec["mse_vs_hi"], lo, hi))
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--common-bins", "--versus", "histavg-52", files[1], cut],
                       capture_output=True, text=True)
    check("eval --versus table gives a verdict", p.returncode == 0 and "minus histavg-52" in p.stdout
          and any(v in p.stdout for v in ("ahead", "behind", "tie")), p.stdout)
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--common-bins", "--versus", "rf-7", files[1], cut],
                       capture_output=True, text=True)
    check("eval --versus an absent model is refused", p.returncode == 1 and "rf-7" in p.stderr, p.stderr)
    check_shared_model_names(tensor, files, tmp)


def check_shared_model_names(tensor, files, tmp):
    """Two forecasts of the same model (two runs of one method) are two rows told apart by
    their file names, or by their place where the names are alike too; --versus takes
    such a label, and the bare model name is refused as ambiguous. (They were two rows
    with one name, and --versus took whichever came first.)"""
    other_dir = os.path.join(tmp, "again")
    os.makedirs(other_dir, exist_ok=True)
    again = os.path.join(tmp, "histavg-again.h5")
    alike = os.path.join(other_dir, os.path.basename(files[1]))
    for copy in (again, alike):
        shutil.copy(files[1], copy)
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--json", files[0], files[1], again],
                       capture_output=True, text=True)
    records = json.loads(p.stdout) if p.returncode == 0 else []
    names = sorted({r["model"] for r in records})
    base = os.path.basename(files[1])
    check("eval labels two forecasts of one model by file name", names == sorted(
        ["persistence", "histavg-52 (%s)" % base, "histavg-52 (histavg-again.h5)"]), (names, p.stderr))
    same = [r for r in records if r["model"].startswith("histavg-52") and r["category"] == "all"]
    check("... and scores both", len(same) == 2 and same[0]["mse"] == same[1]["mse"], same)
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--json", files[1], alike], capture_output=True, text=True)
    names = sorted({r["model"] for r in json.loads(p.stdout)}) if p.returncode == 0 else p.stderr
    check("alike file names: labelled by their place among the forecasts", names == ["histavg-52 #1", "histavg-52 #2"],
          names)
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--json", "--versus", "histavg-52 (histavg-again.h5)",
                        files[0], files[1], again], capture_output=True, text=True)
    records = json.loads(p.stdout) if p.returncode == 0 else []
    twin = [r for r in records if r["model"] == "histavg-52 (%s)" % base and r["category"] == "all"]
    check("--versus takes a label: the twin's paired difference is 0", len(twin) == 1 and twin[0]["mse_vs"] == 0
          and twin[0]["mse_vs_lo"] == 0 and twin[0]["mse_vs_hi"] == 0, (twin, p.stderr))
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--versus", "histavg-52", files[0], files[1], again],
                       capture_output=True, text=True)
    check("--versus a model two forecasts share is refused, naming a label", p.returncode == 1
          and "is the model of several forecasts" in p.stderr and "'histavg-52 (%s)'" % base in p.stderr, p.stderr)
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--versus", "nosuch", files[0], files[1]],
                       capture_output=True, text=True)
    q = subprocess.run([CRIMECAST, "eval", "--data", tensor, files[0], files[1]], capture_output=True, text=True)
    twice = subprocess.run([CRIMECAST, "eval", "--data", tensor, files[1], files[0], files[1]], capture_output=True,
                           text=True)
    check("eval given one file twice notes it, once (rows 'histavg-52 #1' and '#2' were taken for two models; a "
          "probe)", twice.returncode == 0 and twice.stderr.count("are one file") == 1 and "%s and %s are one file: its "
          "rows are one forecast scored twice" % (files[1], files[1]) in twice.stderr
          and "are one file" not in q.stderr, twice.stderr)
    check("--versus naming no forecast is refused before the scoring: no table, none of the scoring's notes (they "
          "came first; a probe)", p.returncode == 1 and p.stdout == "" and "forecasts 0 in" in q.stderr
          and "forecasts 0 in" not in p.stderr
          and "--versus 'nosuch' is not the model of any forecast given" in p.stderr, (p.stdout[:200], p.stderr))


def check_kde_choice(tensor, counts, mask, tmp):
    """kde without --bandwidth and --half-life: the pair of 1/2, 1, 2, 4 cells and K/32 ..
    K/2 bins with the lowest mean Poisson deviance over the validation targets' in-mask
    cells, recomputed here; the test forecast made with it."""
    val = list(range(int(math.floor(0.70 * T + 0.5)), int(math.floor(0.85 * T + 0.5))))
    inside = mask == 1
    best = None
    for cells in (0.5, 1, 2, 4):
        for share in (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2):
            f = np.array([kde_reference(counts, mask, t - 1, 52, share * 52, cells) for t in val]).astype(np.float32)
            p = np.maximum(f.astype(float), 1e-9)[:, :, inside]
            y = counts[val][:, :, inside].astype(float)
            dev = np.mean(2 * (np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / p), 0) - (y - p)))
            if best is None or dev < best[0]:
                best = (dev, cells * 500.0, share * 52)
    out = os.path.join(tmp, "kde_chosen.h5")
    p = subprocess.run([CRIMECAST, "baseline", "--method", "kde", "--data", tensor, "--out", out], capture_output=True,
                       text=True)
    check("baseline kde without --bandwidth exits 0 and says what it chose", p.returncode == 0
          and "chosen on the validation span" in p.stdout, p.stdout + p.stderr)
    with h5py.File(out, "r") as f:
        chosen = f.attrs.get("kde_chosen")
        got = f["forecast"][:]
        model = f.attrs["model"]
    check("kde: the bandwidth and half-life of lowest validation deviance (%.0f m, %g bins; deviance %.5f)"
          % (best[1], best[2], best[0]),
          chosen is not None and abs(chosen[0] - best[1]) < 1e-9 and abs(chosen[1] - best[2]) < 1e-9
          and abs(chosen[2] - best[0]) < 1e-6 * best[0], (chosen, best))
    want = np.array([kde_reference(counts, mask, t - 1, 52, best[2], best[1] / 500.0) for t in targets()])
    check("kde: the test forecast with the chosen pair (%s)" % model,
          got.shape == want.shape and np.allclose(got, want, rtol=1e-4, atol=1e-5))
    check("... and no in-sample note for the test span", "in-sample" not in p.stderr, p.stderr)
    p = subprocess.run([CRIMECAST, "baseline", "--method", "kde", "--data", tensor, "--span", "val", "--out", out],
                       capture_output=True, text=True)
    check("kde --span val without --bandwidth: a note that its scores there are in-sample", p.returncode == 0
          and "chosen on the validation bins this forecast covers: its scores there are in-sample" in p.stderr, p.stderr)


def check_areas(tensor, files, expected, counts, mask, tgt):
    """eval --area: the nearest whole number of 500 m cells (0.25 km2 each) to each area,
    at least one, flagged by forecast (cells tied at the cut share it); hit rate, PAI and
    PEI recomputed here in float64."""
    areas = {"0.1km2": 1, "0.6km2": 2, "1km2": 4, "2.1km2": 8}   # round(area / 0.25 km2), at least 1
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--json", "--topk", "5", "--area", "0.1km2,0.6,1km2,2.1km2",
                        *files], capture_output=True, text=True)
    check("eval --area exits 0", p.returncode == 0, p.stderr)
    notes = [line for line in p.stderr.splitlines() if "note: --area" in line]
    check("eval --area: a note for 0.1 km2 alone (1 cell of 0.25 km2; the others are within a quarter of theirs)",
          len(notes) == 1 and "--area 0.1 km2 flags 1 cell of 0.25 km2 on this grid, 0.25 km2 in all" in notes[0],
          p.stderr)
    records = json.loads(p.stdout) if p.returncode == 0 else []
    inside = mask == 1
    worst = 0.0
    for rec in records:
        c = 0 if rec["category"] == "all" else 1
        pred = np.array(expected[rec["model"]])[:, c][:, inside].astype(np.float32).astype(float)
        truth = counts[tgt][:, c][:, inside].astype(float)
        n = truth.shape[1]
        for name, a in areas.items():
            hit, pai, pei = [], [], []
            for b in range(len(tgt)):
                caught, total = (top_share(pred[b], a) * truth[b]).sum(), truth[b].sum()
                best = np.sort(truth[b])[::-1][:a].sum()
                hit.append(caught / total)
                pai.append(caught / total / (a / n))
                pei.append(caught / best)
            for key, want in (("hit", hit), ("pai", pai), ("pei", pei)):
                got = rec["%s@%s" % (key, name)]
                worst = max(worst, abs(got - np.mean(want)) / max(1.0, abs(np.mean(want))))
    check("eval --area: hit rate, PAI and PEI at 0.1, 0.6, 1 and 2.1 km2 equal float64 recomputation (%.1e)" % worst,
          len(records) == len(files) * C and worst < 1e-6, worst)
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--area", "1 acre", *files], capture_output=True, text=True)
    check("eval --area refuses what is not square kilometres", p.returncode == 2 and "--area" in p.stderr, p.stderr)
    n = int(mask.sum())
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--area", "1000km2", "--topk", "1,50", *files],
                       capture_output=True, text=True)
    want_topk = "--topk 1%% flags 1 of the study area's %d cells, %.3g%% of it" % (n, 100.0 / n)
    check("eval: an area past the study area and a share that rounds far from itself are noted",
          p.returncode == 0 and "--area 1000 km2 is more than the whole study area (%d cells" % n in p.stderr
          and want_topk in p.stderr and "--topk 50%" not in p.stderr, (want_topk, p.stderr))


def check_versus_areas(tensor, files, expected, counts, mask, tgt):
    """eval --versus pairs every figure, the hotspot ones too: PAI at 1 km2 (4 cells here)
    minus histavg-52's, bin by bin (bins without crimes left out), its mean and the same
    bootstrap as above; the verdict reads higher PAI as ahead."""
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--json", "--topk", "5", "--area", "1km2", "--versus",
                        "histavg-52", *files], capture_output=True, text=True)
    check("eval --versus --area exits 0", p.returncode == 0, p.stderr)
    inside, worst, compared = mask == 1, 0.0, 0
    for rec in json.loads(p.stdout) if p.returncode == 0 else []:
        c = 0 if rec["category"] == "all" else 1
        truth = counts[tgt][:, c][:, inside].astype(float)
        n = truth.shape[1]

        def pai(model):
            pred = np.array(expected[model])[:, c][:, inside].astype(np.float32).astype(float)
            return np.array([(top_share(pred[b], 4) * truth[b]).sum() / truth[b].sum() / (4 / n)
                             if truth[b].sum() > 0 else np.nan for b in range(len(tgt))])

        diff = pai(rec["model"]) - pai("histavg-52")
        diff = diff[np.isfinite(diff)]
        lo, hi = lcg_bootstrap(list(diff))
        for got, want in ((rec["pai@1km2_vs"], diff.mean()), (rec["pai@1km2_vs_lo"], lo), (rec["pai@1km2_vs_hi"], hi)):
            worst = max(worst, abs(got - want) / max(1.0, abs(want)))
        compared += 1
    check("eval --versus: pai@1km2_vs and its interval equal the paired float64 recomputation (%.1e)" % worst,
          compared == len(files) * C and worst < 1e-6, worst)
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--area", "1km2", "--versus", "histavg-52", *files],
                       capture_output=True, text=True)
    records = json.loads(subprocess.run([CRIMECAST, "eval", "--data", tensor, "--json", "--area", "1km2", "--versus",
                                         "histavg-52", *files], capture_output=True, text=True).stdout or "[]")
    # the text table's verdicts, row by row, for pai@1km2: ahead where the interval is above 0
    table = re.findall(r"^(\S+)\s+(.*)$", p.stdout.split("minus histavg-52")[1], re.M) if "minus histavg-52" in p.stdout else []
    header = p.stdout.split("minus histavg-52")[1].splitlines()[1].split() if table else []
    ok = bool(table) and "pai@1km2" in header
    for rec in records:
        if rec["category"] != "all" or rec["model"] == "histavg-52":
            continue
        cells = [row for row in table if row[0] == rec["model"]]
        want = "ahead" if rec["pai@1km2_vs_lo"] > 0 else "behind" if rec["pai@1km2_vs_hi"] < 0 else "tie"
        words = re.findall(r"\] (ahead|behind|tie)", cells[0][1]) if cells else []
        ok = ok and len(words) == len(header) - 1 and words[header.index("pai@1km2") - 1] == want
    check("eval --versus table: the PAI column's verdict reads higher as ahead", ok, p.stdout[-2000:])


def check_undefined_not_best(counts, mask, tmp):
    """A category with no crime: its hotspot and area figures are undefined (nan) for every
    model, and the table marks none of them best (it marked them all)."""
    empty = counts.copy()
    empty[:, 1] = 0
    tensor = os.path.join(tmp, "empty_burglary.h5")
    write_tensor(tensor, empty, mask, ["all", "burglary"], created_by="baseline_eval_test.py")
    files = []
    for method in ("persistence", "histavg"):
        files.append(os.path.join(tmp, "empty_%s.h5" % method))
        subprocess.run([CRIMECAST, "baseline", "--method", method, "--data", tensor, "--out", files[-1]],
                       capture_output=True, text=True)
    loose = os.path.join(tmp, "empty_persistence_loose.h5")
    p = subprocess.run([CRIMECAST, "baseline", "--method", "persistence", "--data", tensor, "--out", loose,
                        "--trees", "5", "--k", "4", "--bandwidth", "100"], capture_output=True, text=True)
    with h5py.File(loose, "r") as a, h5py.File(files[0], "r") as b:
        same = np.array_equal(a["forecast"][:], b["forecast"][:])
    check("options another method reads are named in a warning, and change nothing",
          p.returncode == 0 and same and "warning: --trees, --k, --bandwidth given here are not used by --method "
          "persistence" in p.stderr, p.stderr)
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, *files], capture_output=True, text=True)
    block = p.stdout.split("category burglary")[-1]
    check("eval: a category with no crime has undefined figures, none marked best", p.returncode == 0
          and " nan " in block and "nan*" not in block and "*" in block, p.stdout[-1500:])


def check_few_bins(tensor, tmp):
    """A bootstrap interval of a mean over 9 bins or fewer covers far less than 95%: eval
    gives none (null in JSON), says so, and --versus gives no verdict; 10 bins give one."""
    def iso(day):
        return (datetime.date(1970, 1, 1) + datetime.timedelta(days=int(day))).isoformat()
    for bins in (1, 9, 10):
        first = iso(16800 + 7 * (T - bins))
        files = []
        for method in ("persistence", "histavg"):
            files.append(os.path.join(tmp, "few%d_%s.h5" % (bins, method)))
            p = subprocess.run([CRIMECAST, "baseline", "--method", method, "--data", tensor, "--test-from", first,
                                "--out", files[-1]], capture_output=True, text=True)
            check("baseline --test-from %s exits 0" % first, p.returncode == 0, p.stderr)
        p = subprocess.run([CRIMECAST, "eval", "--data", tensor, *files, "--json"], capture_output=True, text=True)
        rows = json.loads(p.stdout) if p.returncode == 0 else []
        few = bins < 10
        check("eval over %d bins: %s" % (bins, "no interval, said so" if few else "intervals"),
              len(rows) == 4 and all(math.isfinite(r["mse"]) and (r["mse_lo"] is None) == few and
                                     (r["auc_hi"] is None) == few for r in rows) and
              ("a bootstrap interval needs at least 10" in p.stderr) == few, (rows[:1], p.stderr))
        p = subprocess.run([CRIMECAST, "eval", "--data", tensor, *files, "--versus", "persistence"],
                           capture_output=True, text=True)
        paired = p.stdout.split("minus persistence")[1] if "minus persistence" in p.stdout else ""
        verdicts = sum(paired.count(w) for w in (" ahead", " behind", " tie"))
        check("eval --versus over %d bins: %s" % (bins, "no verdict" if few else "verdicts"),
              p.returncode == 0 and paired and ((verdicts == 0 and "(no interval)" in paired) if few else verdicts > 0),
              p.stdout[-1200:])


def check_eval_messages(tensor, files, counts, mask, tmp):
    """What eval says when it cannot score or pair, each cause named as it is: a forecast
    that starts before the tensor (it was called misaligned), a --versus model without the
    category (its cells read "no shared bins"), intervals missing for too few bins or too
    few --block blocks (the note blamed --block when no block size could help), a --versus
    naming a model cut in the table (it was "not the model of any forecast")."""
    # seasonal at a horizon past a year: the bin a year before the target comes after the
    # origin, not before the tensor (the note said it was not in the tensor; found by a probe)
    far = os.path.join(tmp, "far.h5")
    p = subprocess.run([CRIMECAST, "baseline", "--method", "seasonal", "--data", tensor, "--horizon", "60", "--window",
                        "2", "--out", far], capture_output=True, text=True)
    check("seasonal --horizon 60: the note says the year-earlier bin comes after the origin", p.returncode == 0
          and "the bin a year (52 bins) before them comes after their origin (--horizon 60)" in p.stderr
          and "before them in the tensor" not in p.stderr, p.stderr)
    # a forecast of the bin after a daily tensor: 'the day it forecasts' (it said 'the week (or month)')
    days = os.path.join(tmp, "days.h5")
    write_tensor(days, counts[:40], mask, ["all", "burglary"], created_by="baseline_eval_test.py")
    with h5py.File(days, "r+") as f:
        f.attrs["bin"] = "day"
        t0 = int(f["time"][0])
        f["time"][:] = t0 + np.arange(40)
    nxt = os.path.join(tmp, "days_next.h5")
    p = subprocess.run([CRIMECAST, "baseline", "--method", "persistence", "--data", days, "--span", "next", "--out", nxt],
                       capture_output=True, text=True)
    q = subprocess.run([CRIMECAST, "eval", "--data", days, nxt], capture_output=True, text=True)
    check("eval of a daily forecast past the tensor: 'a raster that holds the day it forecasts'", p.returncode == 0
          and q.returncode == 1 and "holds the day it forecasts" in q.stderr, (p.stderr, q.stderr))
    # --span next of a tensor too short to split (11 weeks, window 8): the naive baselines
    # fit nothing and forecast it, as predict does; kde's choice and rf's fit need the
    # split and say so (all refused "the train span holds no target"; a probe, 2026-12-07)
    short = os.path.join(tmp, "short11.h5")
    write_tensor(short, counts[:11], mask, ["all", "burglary"], created_by="baseline_eval_test.py")
    got = {}
    for method in ("persistence", "histavg", "kde --bandwidth 500 --half-life 4", "kde", "rf"):
        out = os.path.join(tmp, "short_%s.h5" % method.split()[0])
        p = subprocess.run([CRIMECAST, "baseline", "--method", *method.split(), "--data", short, "--span", "next",
                            "--out", out], capture_output=True, text=True)
        with h5py.File(out, "r") if p.returncode == 0 else open(os.devnull) as f:
            got[method] = f["forecast"][0] if p.returncode == 0 else p.stderr
    inside = mask.astype(bool)
    check("--span next of 11 bins: persistence is the last bin, histavg the mean of the 11",
          np.array_equal(got["persistence"][:, inside], counts[10][:, inside])
          and np.allclose(got["histavg"][:, inside], counts[:11].mean(axis=0)[:, inside], rtol=1e-6),
          {m: v if isinstance(v, str) else v.shape for m, v in got.items()})
    check("... kde with --bandwidth and --half-life forecasts it; choosing them, and rf, are refused naming the span",
          not isinstance(got["kde --bandwidth 500 --half-life 4"], str)
          and "train span" in got["kde"] and "given --bandwidth or --half-life, the other its default, it forecasts" in got["kde"]
          and "train span" in got["rf"], (got["kde"], got["rf"]))
    # forecasts of disjoint spans with --common-bins: the refusal names both files and
    # their spans (it named neither; found by a probe)
    val = os.path.join(tmp, "histavg_val.h5")
    subprocess.run([CRIMECAST, "baseline", "--method", "histavg", "--data", tensor, "--span", "val", "--out", val],
                   capture_output=True, text=True)
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, files[0], val, "--common-bins"], capture_output=True,
                       text=True)
    check("eval --common-bins of a test-span and a validation-span forecast: refused naming both and their spans",
          p.returncode == 1 and re.search(r"the forecasts share no bin: \S+ forecasts \d{4}-\d\d-\d\d \.\. "
                                          r"\d{4}-\d\d-\d\d, \S*histavg_val\.h5 \d{4}", p.stderr) is not None
          and files[0] in p.stderr, p.stderr)
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, files[0], val], capture_output=True, text=True)
    check("eval of forecasts that share no bin, without --common-bins: refused, not told to give --common-bins "
          "(which then fails; found by a probe)", p.returncode == 1 and "share none" in p.stderr
          and "--common-bins" not in p.stderr, p.stderr)
    late = os.path.join(tmp, "late.h5")  # the same weeks from bin T - 5 on, after the forecast's first
    write_tensor(late, counts[T - 5:], mask, ["all", "burglary"], created_by="baseline_eval_test.py")
    with h5py.File(late, "r+") as f:
        f["time"][...] = f["time"][:] + 7 * (T - 5)
    p = subprocess.run([CRIMECAST, "eval", "--data", late, files[0]], capture_output=True, text=True)
    first = (datetime.date(1970, 1, 1) + datetime.timedelta(days=16800 + 7 * (T - 5))).isoformat()
    check("a forecast starting before the tensor: exit 1, 'before the tensor's first bin, %s'" % first,
          p.returncode == 1 and "before the tensor's first bin, %s" % first in p.stderr, p.stderr)

    only_all = os.path.join(tmp, "msg_only_all.h5")
    write_tensor(only_all, counts[:, :1], mask, ["all"], created_by="baseline_eval_test.py")
    all_histavg = os.path.join(tmp, "msg_all_histavg.h5")
    subprocess.run([CRIMECAST, "baseline", "--method", "histavg", "--data", only_all, "--out", all_histavg],
                   capture_output=True, text=True)
    with h5py.File(all_histavg, "r+") as f:
        f.attrs["model"] = "all-only"
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, files[0], all_histavg, "--versus", "all-only"],
                       capture_output=True, text=True)
    burglary = p.stdout.split("category burglary")[-1]
    check("--versus a model without the category: its paired cells say so, not 'no shared bins'",
          p.returncode == 0 and "no such category there" in burglary and "no shared bins" not in burglary, p.stdout)
    # --roc of a category one forecast lacks: its curve is left out, said (it was left out
    # without a word; a probe, 2026-12-07)
    roc = os.path.join(tmp, "msg_roc.png")
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, files[0], all_histavg, "--roc", roc, "--roc-category",
                        "burglary"], capture_output=True, text=True)
    check("eval --roc of a category a forecast lacks: drawn, its curve said to be left out", p.returncode == 0
          and os.path.exists(roc) and "the ROC chart has no curve of %s, which has no category 'burglary'"
          % all_histavg in p.stderr, p.stderr)

    def iso(day):
        return (datetime.date(1970, 1, 1) + datetime.timedelta(days=int(day))).isoformat()
    for bins, block, said in ((12, 3, "--block 3 leaves fewer than 5 blocks in the 12 bins scored"),
                              (9, 2, "9 bin(s) scored: a bootstrap interval needs at least 10")):
        pair = []
        for method in ("persistence", "histavg"):
            pair.append(os.path.join(tmp, "msg%d_%s.h5" % (bins, method)))
            subprocess.run([CRIMECAST, "baseline", "--method", method, "--data", tensor, "--test-from",
                            iso(16800 + 7 * (T - bins)), "--out", pair[-1]], capture_output=True, text=True)
        p = subprocess.run([CRIMECAST, "eval", "--data", tensor, *pair, "--block", str(block)], capture_output=True,
                           text=True)
        check("%d bins, --block %d: the note names the cause ('%s')" % (bins, block, said),
              p.returncode == 0 and said in p.stderr and ("--block 2 at most here" in p.stderr) == (bins == 12),
              p.stderr)

    long_name = "histavg-52-with-a-very-long-descriptive-name-from-another-lab-v2-final"  # 70 bytes
    named = os.path.join(tmp, "msg_long.h5")
    shutil.copy(files[1], named)
    with h5py.File(named, "r+") as f:
        f.attrs["model"] = long_name
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, files[0], named, "--versus", long_name],
                       capture_output=True, text=True)
    check("--versus a model name longer than the table's labels: exit 1 giving the label to use",
          p.returncode == 1 and "give '%s'" % long_name[:63] in p.stderr, p.stderr)


def check_rare_category(counts, mask, tgt, tmp):
    """Burglary with crime in 5 of the test bins alone: its hit rate, PAI and PEI are
    defined on 5 bins, too few for an interval; eval says so (it said nothing when the
    bins were many and the figure's were few)."""
    rare = counts.copy()
    quiet = [t for t in tgt[5:]]
    rare[quiet, 1] = 0
    tensor = os.path.join(tmp, "rare.h5")
    write_tensor(tensor, rare, mask, ["all", "burglary"], created_by="baseline_eval_test.py")
    forecast = os.path.join(tmp, "rare_histavg.h5")
    subprocess.run([CRIMECAST, "baseline", "--method", "histavg", "--data", tensor, "--out", forecast],
                   capture_output=True, text=True)
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, forecast, "--json", "--topk", "5"], capture_output=True,
                       text=True)
    rows = {r["category"]: r for r in json.loads(p.stdout)} if p.returncode == 0 else {}
    b = rows.get("burglary", {})
    check("a category with crime in 5 of %d bins: hit rate without interval, MSE with one, and a note" % len(tgt),
          b and b["hit@5"] is not None and b["hit@5_lo"] is None and b["mse_lo"] is not None
          and "of the 2 rows (every model and channel scored) are defined on fewer than 10 of the %d bins" % len(tgt)
          in p.stderr, (b, p.stderr))


def check_noted_differences(tmp, tensor, files, counts, mask):
    """A forecast whose study area (mask) is not the tensor's, or with categories the
    tensor has not, is scored on the tensor's mask and categories, with a note saying so."""
    moved = os.path.join(tmp, "moved_mask.h5")
    shutil.copy(files[0], moved)
    with h5py.File(moved, "r+") as f:
        m = f["mask"][:]
        m[0, :3] = 1 - m[0, :3]
        f["mask"][...] = m
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--csv", files[0], moved], capture_output=True, text=True)
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    alike = len(rows) == 2 * C and all(rows[i]["mse"] == rows[i + 1]["mse"] for i in range(0, len(rows), 2))
    check("a forecast of another mask: a note with the cells that differ, scored on the tensor's",
          p.returncode == 0 and alike and "%s's study area (mask) differs from the tensor's in 3 of %d cells"
          % (moved, H * W) in p.stderr, (p.stderr, rows[:2]))
    only_all = os.path.join(tmp, "only_all.h5")
    write_tensor(only_all, counts[:, :1], mask, ["all"], created_by="baseline_eval_test.py")
    p = subprocess.run([CRIMECAST, "eval", "--data", only_all, files[0]], capture_output=True, text=True)
    check("a forecast of a category the tensor has not: a note naming it", p.returncode == 0
          and "forecasts 'burglary', which the tensor has not: not scored" in p.stderr, p.stderr)


def check_floored_channel(tmp, tensor, histavg_all, counts, mask, tgt):
    """The floor's note of one category: histavg-all (no zeros) with zeros put under crimes
    of category 1 until they make a tenth of its deviance, and channel 'all' scaled up until
    all categories' together are under a tenth: that category named (the pooled figure alone
    was said; a probe)."""
    with h5py.File(histavg_all, "r") as f:
        pred = f["forecast"][:].astype(float)
    inside = mask == 1
    truth = counts[tgt].astype(float)

    def deviance(y, p):
        p = np.maximum(p, 1e-9)
        return 2 * (np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / p), 0) - (y - p))

    crimes = np.argwhere((truth[:, 1] > 0) & inside[None])
    zeroed = pred.copy()
    for k, (b, y, x) in enumerate(crimes):
        zeroed[b, 1, y, x] = 0
        dev = deviance(truth[:, :, inside], zeroed[:, :, inside].astype(np.float32).astype(float))
        zeros = (zeroed[:, :, inside] <= 1e-9) & (truth[:, :, inside] > 0)
        if dev[:, 1][zeros[:, 1]].sum() >= 0.1 * dev[:, 1].sum():
            break
    for scale in (1, 2, 4, 8, 16):  # channel 'all' made worse (no zeros) until the pooled share is under a tenth
        scaled = zeroed.copy()
        scaled[:, 0] *= scale
        dev = deviance(truth[:, :, inside], scaled[:, :, inside].astype(np.float32).astype(float))
        pooled = dev[zeros].sum() / dev.sum()
        if pooled < 0.1:
            break
    zeroed = scaled
    edited = os.path.join(tmp, "histavg-zeros.h5")
    shutil.copyfile(histavg_all, edited)
    with h5py.File(edited, "r+") as f:
        f["forecast"][...] = zeroed.astype(np.float32)
        f.attrs["model"] = "histavg-zeros"
    p = subprocess.run([CRIMECAST, "eval", "--data", tensor, edited], capture_output=True, text=True)
    with h5py.File(tensor, "r") as f:
        name = f["category"][1]
        name = name.decode() if isinstance(name, bytes) else name
    said = "histavg-zeros forecasts 0 in %d of the %d cell-bins where crimes of category '%s' happened (%.1f%%)" % (
        zeros[:, 1].sum(), (truth[:, 1][:, inside] > 0).sum(), name, 100 * zeros[:, 1].sum() / (truth[:, 1][:, inside] > 0).sum())
    share = "those cells make %.0f%% of its deviance there" % (100 * dev[:, 1][zeros[:, 1]].sum() / dev[:, 1].sum())
    check("eval names a category whose deviance is a tenth its zeros under crimes (%d), all together %.1f%%" % (
          zeros[:, 1].sum(), 100 * pooled), p.returncode == 0 and pooled < 0.1 and said in p.stderr and share in p.stderr
          and "its 2 channels together" not in p.stderr, (said, share, p.stderr))


def main():
    rng = np.random.default_rng(5)
    rate = rng.gamma(1.0, 2.0, size=(C, H, W))
    counts = rng.poisson(rate[None] * (1 + 0.3 * np.sin(np.arange(T) / 8.0))[:, None, None, None]).astype(np.float32)
    counts[:, 1] = np.minimum(counts[:, 1], counts[:, 0])
    mask = (rng.uniform(size=(H, W)) > 0.15).astype(np.uint8)
    tgt = targets()
    with tempfile.TemporaryDirectory() as tmp:
        tensor = os.path.join(tmp, "t.h5")
        write_tensor(tensor, counts, mask, ["all", "burglary"], created_by="baseline_eval_test.py")
        expected = {
            "persistence": [counts[t - 1] for t in tgt],
            "histavg-52": [counts[max(0, t - 52):t].mean(0) for t in tgt],
            "histavg-all": [counts[:t].mean(0) for t in tgt],
            "seasonal": [counts[t - 52] for t in tgt],
            "kde-750m": [kde_reference(counts, mask, t - 1, 52, 13.0, 1.5) for t in tgt],
            # --k all: every bin up to the origin, the half-life still the default K's quarter
            "kde-750m-all": [kde_reference(counts, mask, t - 1, t, 13.0, 1.5) for t in tgt],
            "kde-750m-k26": [kde_reference(counts, mask, t - 1, 26, 6.5, 1.5) for t in tgt],
            # another half-life than K/4: named for it, so eval tells it from the default's
            "kde-750m-h3": [kde_reference(counts, mask, t - 1, 52, 3.0, 1.5) for t in tgt],
        }
        args = {"persistence": ["--method", "persistence"], "histavg-52": ["--method", "histavg"],
                "histavg-all": ["--method", "histavg", "--k", "all"], "seasonal": ["--method", "seasonal"],
                "kde-750m": ["--method", "kde", "--bandwidth", "750"],
                "kde-750m-all": ["--method", "kde", "--bandwidth", "750", "--k", "all"],
                "kde-750m-k26": ["--method", "kde", "--bandwidth", "750", "--k", "26"],
                "kde-750m-h3": ["--method", "kde", "--bandwidth", "750", "--half-life", "3"]}
        nowhere = os.path.join(tmp, "no-such-dir", "rf.h5")
        p = subprocess.run([CRIMECAST, "baseline", "--data", tensor, "--out", nowhere, "--method", "rf", "--trees", "5"],
                           capture_output=True, text=True)
        check("an --out in a missing directory: refused before the fit (nothing fitted, no forecast said)",
              p.returncode == 1 and "no-such-dir" in p.stderr and p.stdout == "", (p.stdout, p.stderr))
        files = []
        for name, extra in args.items():
            out = os.path.join(tmp, name + ".h5")
            p = subprocess.run([CRIMECAST, "baseline", "--data", tensor, "--out", out, *extra], capture_output=True, text=True)
            check("baseline %s exits 0" % name, p.returncode == 0, p.stderr)
            with h5py.File(out, "r") as f:
                got = f["forecast"][:]
                check("baseline %s: model attribute" % name, f.attrs["model"] == name, f.attrs["model"])
                check("baseline %s: target bins" % name, np.array_equal(f["time"][:], 16800 + 7 * np.array(tgt)))
                want = np.array(expected[name])
                check("baseline %s: values" % name, got.shape == want.shape and np.allclose(got, want, rtol=1e-4, atol=1e-5),
                      np.abs(got - want).max() if got.shape == want.shape else (got.shape, want.shape))
            files.append(out)

        # --span next: the week after the last bin, from the bins up to it (the same float64
        # references at bin T, which no file holds)
        following = {"persistence": counts[T - 1], "histavg-52": counts[T - 52:T].mean(0), "histavg-all": counts.mean(0),
                     "seasonal": counts[T - 52], "kde-750m": kde_reference(counts, mask, T - 1, 52, 13.0, 1.5),
                     "kde-750m-all": kde_reference(counts, mask, T - 1, T, 13.0, 1.5),
                     "kde-750m-k26": kde_reference(counts, mask, T - 1, 26, 6.5, 1.5),
                     "kde-750m-h3": kde_reference(counts, mask, T - 1, 52, 3.0, 1.5)}
        for name, extra in list(args.items()) + [("rf-5", ["--method", "rf", "--trees", "5", "--threads", "1"])]:
            out = os.path.join(tmp, name + "-next.h5")
            p = subprocess.run([CRIMECAST, "baseline", "--data", tensor, "--out", out, "--span", "next", *extra],
                               capture_output=True, text=True)
            with h5py.File(out, "r") if p.returncode == 0 else open(os.devnull) as f:
                got = f["forecast"][:] if p.returncode == 0 else None
                dated = p.returncode == 0 and list(f["time"][:]) == [16800 + 7 * T]
            want = following.get(name)
            right = got is not None and got.shape == (1, C, H, W) and (
                np.allclose(got[0], want, rtol=1e-4, atol=1e-5) if want is not None
                else np.all(np.isfinite(got)) and got.min() >= 0)
            check("baseline %s --span next: the bin after the last, %s" % (
                  name, "values = the float64 reference at bin T" if want is not None else "finite, >= 0"),
                  dated and right, p.stderr)
            if name == "rf-5":  # each forest said as it is fitted (a fit of minutes was silent; a probe, 2026-12-06)
                said = re.findall(r"rf: forest for '[^']*' \((\d+) of (\d+); 5 trees", p.stdout)
                check("baseline rf says each channel's forest, numbered, in order",
                      said == [(str(c + 1), str(C)) for c in range(C)], p.stdout)

        p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--json", *files], capture_output=True, text=True)
        check("eval --json exits 0", p.returncode == 0, p.stderr)
        records = json.loads(p.stdout)
        check("one record per model and category", len(records) == len(files) * C)
        # The deviance's floor named where it rules: persistence's zeros under crimes, counted
        # here over both categories, and their share of its summed deviance.
        pred = np.array(expected["persistence"], dtype=np.float32).astype(float)[:, :, mask == 1]
        truth = counts[tgt][:, :, mask == 1].astype(float)
        floor = np.maximum(pred, 1e-9)
        dev = 2 * (np.where(truth > 0, truth * np.log(np.where(truth > 0, truth, 1) / floor), 0) - (truth - floor))
        zeros = (pred <= 1e-9) & (truth > 0)
        said = "persistence forecasts 0 in %d of the %d cell-bins where crimes happened (%.1f%%, its %d channels " \
            "together)" % (zeros.sum(), (truth > 0).sum(), 100 * zeros.sum() / (truth > 0).sum(), C)
        share = "those cells make %.0f%% of its deviance" % (100 * dev[zeros].sum() / dev.sum())
        check("eval notes persistence's zeros under crimes (%d) and their share of the deviance" % zeros.sum(),
              zeros.sum() > 0 and said in p.stderr and share in p.stderr, (said, share, p.stderr))
        check("no such note for histavg-all (it has no zeros under crimes: %d)" % (
              (np.array(expected["histavg-all"])[:, :, mask == 1] <= 1e-9) & (truth > 0)).sum(),
              "histavg-all forecasts 0" not in p.stderr, p.stderr)
        check_floored_channel(tmp, tensor, files[list(args).index("histavg-all")], counts, mask, tgt)
        inside = mask == 1
        for rec in records:
            c = 0 if rec["category"] == "all" else 1
            pred = np.array(expected[rec["model"]])[:, c][:, inside].astype(np.float32).astype(float)
            truth = counts[tgt][:, c][:, inside].astype(float)
            mse = np.mean(((pred - truth) ** 2).mean(1))
            mae = np.mean(np.abs(pred - truth).mean(1))
            aucs = [hotspot_auc(truth[b], pred[b]) for b in range(len(tgt))]
            total = truth.sum(1)
            a = int(math.floor(0.05 * truth.shape[1] + 0.5))
            hits = [(top_share(pred[b], a) * truth[b]).sum() / total[b] for b in range(len(tgt))]
            label = "%s/%s" % (rec["model"], rec["category"])
            check("eval %s mse" % label, abs(rec["mse"] - mse) < 1e-4 * max(1, mse), (rec["mse"], mse))
            check("eval %s mae" % label, abs(rec["mae"] - mae) < 1e-4 * max(1, mae), (rec["mae"], mae))
            check("eval %s auc (scikit-learn per bin)" % label, abs(rec["auc"] - np.mean(aucs)) < 1e-4, (rec["auc"], np.mean(aucs)))
            check("eval %s hit@5" % label, abs(rec["hit@5"] - np.mean(hits)) < 1e-4, (rec["hit@5"], np.mean(hits)))
            check("eval %s interval brackets the mean" % label, rec["mse_lo"] <= rec["mse"] <= rec["mse_hi"])
        check_areas(tensor, files, expected, counts, mask, tgt)
        check_noted_differences(tmp, tensor, files, counts, mask)
        check_versus_areas(tensor, files, expected, counts, mask, tgt)
        check_kde_choice(tensor, counts, mask, tmp)
        check_kde_huge_bandwidth(tensor, counts, mask, tmp)
        p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--csv", *files], capture_output=True, text=True)
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        check("eval --csv carries the same figures", len(rows) == len(records)
              and all(abs(float(r["mse"]) - j["mse"]) < 1e-6 * max(1, j["mse"]) for r, j in zip(rows, records)))
        check_names_escaped(tensor, files[0], tmp)
        check_tiny_area_label_noted(tmp)
        check_crimeless_channel_noted(tmp)
        check_level_off_noted(tmp)
        check_created_by(tensor, tmp)
        check_other_grids_refused(tensor, files[0], tmp)
        p = subprocess.run([CRIMECAST, "eval", "--data", tensor, *files], capture_output=True, text=True)
        check("eval table marks the best", p.returncode == 0 and "*" in p.stdout and "category burglary" in p.stdout)
        roc = os.path.join(tmp, "roc.png")
        p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--roc", roc, "--roc-category", "burglary", *files],
                           capture_output=True, text=True)
        check("eval --roc exits 0", p.returncode == 0, p.stderr)
        rgb, text = read_png(roc)
        check("roc.png is 800 x 600", rgb.shape == (600, 800, 3), rgb.shape)
        # Okabe-Ito, the chart palette: one saturated colour per model, each present.
        palette = [(0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167), (230, 159, 0)]
        for i, colour in enumerate(palette[:len(files)]):
            present = np.all(rgb == np.array(colour, dtype=np.uint8), axis=2).sum()
            check("roc.png draws model %d in its colour" % i, present > 200, present)
        check("roc.png titled with the category", "burglary" in text.get("Title", ""), text)
        p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--roc", roc, "--roc-category", "nope", *files],
                           capture_output=True, text=True)
        check("eval --roc-category unknown is refused, before any table (it printed them all first; a probe)",
              p.returncode == 1 and "has no category 'nope'" in p.stderr and p.stdout == "", (p.stdout[:200], p.stderr))
        nowhere = os.path.join(tmp, "no", "such", "dir", "roc.png")
        p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--roc", nowhere, *files], capture_output=True, text=True)
        check("eval --roc into a directory that is not there: exit 1 naming it, before any table (it printed every "
              "table, then failed; found by a probe)", p.returncode == 1 and nowhere in p.stderr and p.stdout == "",
              (p.stdout[:200], p.stderr))
        p = subprocess.run([CRIMECAST, "eval", "--data", tensor, "--roc-category", "burglary", *files],
                           capture_output=True, text=True)
        check("eval --roc-category without --roc is a usage error (it did nothing)",
              p.returncode == 2 and "--roc-category needs --roc" in p.stderr, p.stderr)
        check_versus(tensor, files, expected, counts, mask, tgt, tmp)
        check_block_bootstrap(tensor, files, expected, counts, mask, tgt)
        check_undefined_not_best(counts, mask, tmp)
        check_few_bins(tensor, tmp)
        check_rare_category(counts, mask, tgt, tmp)
        check_eval_messages(tensor, files, counts, mask, tmp)
        every = os.path.join(tmp, "seasonal_all.h5")
        p = subprocess.run([CRIMECAST, "baseline", "--method", "seasonal", "--span", "all", "--data", tensor, "--out",
                            every], capture_output=True, text=True)
        with h5py.File(every, "r") as f:
            bins = (f["time"][:] - 16800) // 7
        early = int((bins < 52).sum())
        check("seasonal over every bin: the %d of %d targets without a bin a year before are noted" % (early, len(bins)),
              p.returncode == 0 and early > 0 and "%d of the %d target bins have no bin a year (52 bins) before them"
              % (early, len(bins)) in p.stderr, p.stderr)
        p = subprocess.run([CRIMECAST, "baseline", "--method", "histavg", "--span", "all", "--data", tensor, "--out",
                            every], capture_output=True, text=True)
        short = int((bins < 52).sum())  # origin + 1 = bin < 52 at horizon 1
        check("histavg-52 over every bin: the %d targets with fewer than 52 bins of history are noted" % short,
              p.returncode == 0 and "%d of the %d target bins have fewer than 52 bins up to their origin: histavg-52 "
              "averages those there are" % (short, len(bins)) in p.stderr, p.stderr)
        far = os.path.join(tmp, "histavg_h3.h5")
        p = subprocess.run([CRIMECAST, "baseline", "--method", "histavg", "--horizon", "3", "--data", tensor, "--out", far],
                           capture_output=True, text=True)
        q = subprocess.run([CRIMECAST, "eval", "--data", tensor, files[1], far, "--common-bins"], capture_output=True,
                           text=True)
        check("eval of forecasts of other horizons notes it (the rows are both histavg-52)", p.returncode == 0
              and q.returncode == 0 and "%s forecasts 3 bin(s) ahead, %s 1" % (far, files[1]) in q.stderr, q.stderr)
        check_short_bins(counts, mask, tensor, tmp)
    return summary()


def check_short_bins(counts, mask, tensor, tmp):
    """A last bin holding 40% of the bins before it (a source holding three days of the
    week; a probe): eval notes it among the bins scored, baseline --span next warns of it
    in its window, as predict does; the whole tensor gets neither."""
    short = counts.copy()
    short[-1] = np.floor(short[-1] * 0.4)
    path = os.path.join(tmp, "short_last.h5")
    write_tensor(path, short, mask, ["all", "burglary"], created_by="baseline_eval_test.py")
    totals = short[:, 0].reshape(T, -1).sum(1)  # every cell, as a raster's (none outside its mask)
    share = 100 * totals[-1] / np.median(totals[-9:-1])
    usual = np.median(totals[T - 1 - 52:T - 1])  # the year before the short bin
    yearly = totals[-1] < 0.5 * usual and totals[-1] < usual - 5 * np.sqrt(usual)
    day = str(np.datetime64("1970-01-01") + np.timedelta64(16800 + 7 * (T - 1), "D"))
    listed = ("%s (%.0f, where the 52 weeks before it had a median of %.0f)" % (day, totals[-1], usual) if yearly
              else "%s (%.0f: %.0f%% of the 8 weeks before it)" % (day, totals[-1], share))
    check("the short week is short by the year's rule or the 8 weeks'", yearly or share < 70, (usual, share))
    fc = os.path.join(tmp, "short_histavg.h5")
    p = subprocess.run([CRIMECAST, "baseline", "--method", "histavg", "--data", path, "--out", fc], capture_output=True,
                       text=True)
    q = subprocess.run([CRIMECAST, "eval", "--data", path, fc], capture_output=True, text=True)
    n = len(targets())
    check("eval: the last scored week at %.0f%% of the 8 before is noted, dated, with its count" % share,
          p.returncode == 0 and q.returncode == 0 and "%s: 1 of the %d week bins scored holds far fewer incidents than "
          "the weeks before it: %s; records missing there" % (path, n, listed) in q.stderr, (listed, q.stderr))
    nxt = os.path.join(tmp, "short_next.h5")
    p = subprocess.run([CRIMECAST, "baseline", "--method", "persistence", "--span", "next", "--data", path, "--out",
                        nxt], capture_output=True, text=True)
    check("baseline --span next: the short week in its window is a warning naming it (predict warned; baseline did "
          "not)", p.returncode == 0 and "for the week --span next forecasts, the last week, which persistence "
          "reads, is far below the weeks before it: %s; records the store lacks" % listed in p.stderr
          and "which it takes for quiet weeks, or a real fall" in p.stderr, p.stderr)
    p = subprocess.run([CRIMECAST, "baseline", "--method", "histavg", "--span", "next", "--data", path, "--out", nxt],
                       capture_output=True, text=True)
    check("... histavg-52: 1 of the last 52 weeks it reads", p.returncode == 0 and "for the week --span next "
          "forecasts, 1 of the last 52 weeks histavg-52 reads is far below the weeks before it: %s;" % listed
          in p.stderr, p.stderr)
    p = subprocess.run([CRIMECAST, "baseline", "--method", "seasonal", "--span", "next", "--data", path, "--out", nxt],
                       capture_output=True, text=True)
    check("... seasonal, which reads the week a year before: not said", p.returncode == 0
          and "far below" not in p.stderr, p.stderr)
    whole = [subprocess.run([CRIMECAST, "eval", "--data", tensor, os.path.join(tmp, "histavg-52.h5")],
                            capture_output=True, text=True),
             subprocess.run([CRIMECAST, "baseline", "--method", "persistence", "--span", "next", "--data", tensor,
                             "--out", nxt], capture_output=True, text=True)]
    check("... the tensor without a short week: neither says so, nor of a gapped category",
          all(r.returncode == 0 and "far below" not in r.stderr and "far fewer" not in r.stderr
              and "holds no incident" not in r.stderr for r in whole), [r.stderr for r in whole])
    # day bins: a holiday falls to 54% of the 8 days before it (Chicago's Christmas Day) and
    # is no gap (a probe found it called one); a day at 35% still is
    said = []
    totals = counts[:, 0].reshape(T, -1).sum(1)
    eight, year = np.median(totals[-9:-1]), np.median(totals[-1 - 149:-1])
    for keep in (0.58, 0.30):  # of the higher of the two medians, or of the lower
        daily = counts.copy()
        want = keep * (max(eight, year) if keep > 0.5 else min(eight, year))
        last = daily[np.argmax(totals[:-1]), 0].reshape(-1).copy()  # the busiest day's, taken away one at a time
        for k in np.argsort(-last)[np.arange(int(last.sum() * 4)) % last.size]:
            if last.sum() <= round(want):
                break
            if last[k] > 0:
                last[k] -= 1
        daily[-1, 0] = last.reshape(daily[-1, 0].shape)
        daily[-1, 1] = np.minimum(daily[-1, 1], daily[-1, 0])
        path = os.path.join(tmp, "daily_%d.h5" % (100 * keep))
        write_tensor(path, daily, mask, ["all", "burglary"], created_by="baseline_eval_test.py")
        with h5py.File(path, "r+") as f:
            f.attrs["bin"] = "day"
            f["time"][:] = 16800 + np.arange(T)
        fc = os.path.join(tmp, "daily_%d_f.h5" % (100 * keep))
        subprocess.run([CRIMECAST, "baseline", "--method", "histavg", "--data", path, "--out", fc], capture_output=True)
        said.append(subprocess.run([CRIMECAST, "eval", "--data", path, fc], capture_output=True, text=True))
    day = str(np.datetime64("1970-01-01") + np.timedelta64(16800 + T - 1, "D"))
    check("day bins: a last day at 58%% of the days before it is not called short; at 30%% it is (%s)" % day,
          said[0].returncode == 0 and "far fewer" not in said[0].stderr and said[1].returncode == 0
          and "1 of the %d day bins scored holds far fewer incidents than the days before it: %s (" % (n, day)
          in said[1].stderr, (said[0].stderr, said[1].stderr))
    # every other bin scored without a burglary, 'all' as it was: the Kaggle test weeks
    gapped = counts.copy()
    emptied = targets()[::2]
    gapped[emptied, 1] = 0
    path = os.path.join(tmp, "gapped.h5")
    write_tensor(path, gapped, mask, ["all", "burglary"], created_by="baseline_eval_test.py")
    fc = os.path.join(tmp, "gapped_histavg.h5")
    p = subprocess.run([CRIMECAST, "baseline", "--method", "histavg", "--data", path, "--out", fc], capture_output=True,
                       text=True)
    q = subprocess.run([CRIMECAST, "eval", "--data", path, fc], capture_output=True, text=True)
    days = [str(np.datetime64("1970-01-01") + np.timedelta64(16800 + 7 * int(b), "D")) for b in emptied[:3]]
    kept = [b for b in targets() if b not in emptied]
    usual = np.median(gapped[kept, 1].reshape(len(kept), -1).sum(1))
    check("eval: a category empty in %d of the %d bins scored, 'all' not, is noted with the first dates and its "
          "median elsewhere (%.0f)" % (len(emptied), len(targets()), usual), p.returncode == 0 and q.returncode == 0
          and "%s: 'burglary' holds no incident in %d of the %d week bins scored (%s, ...) where 'all' holds some, and "
          "a median of %.0f a week in the others" % (path, len(emptied), len(targets()), ", ".join(days), usual)
          in q.stderr, q.stderr)


if __name__ == "__main__":
    sys.exit(main())
