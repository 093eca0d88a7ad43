#!/usr/bin/env python3
"""Paired differences of hit rate and PAI at a fixed flagged area, one forecast against
others, over the same target bins: what `crimecast eval --versus` gives for MSE and
deviance, for the criminologists' figures. Read with h5py, an independent reader.

Per bin (eval's definitions, models/metrics.h): the a cells of highest forecast inside
the mask are flagged, a the nearest whole number of cells to the area (at least one),
cells tied at the cut sharing its remaining places equally; hit rate n / N (n the crimes
in the flagged cells, N all the map's crimes; a map without crimes is left out) and PAI =
hit rate / (a / A), A the mask's cells. The figure of a model is the mean over the bins;
the paired difference is the mean of the per-bin differences, with a 95% percentile
bootstrap over the bins (10,000 resamples, fixed seed). Each model's mean is printed
beside it so that it can be checked against eval's own (hit@AREA, pai@AREA).

usage: paired_pai.py TENSOR.h5 REFERENCE.h5 OTHER.h5... [--category all] [--km2 1]
"""
import argparse
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tensor_h5 import read_counts  # noqa: E402


def names(f):
    return [c.decode() if isinstance(c, bytes) else str(c) for c in f["category"][:]]


def flagged_weights(forecast, a):
    """Weights of the a top cells, ties at the cut shared (forecast: the in-mask values)."""
    order = np.argsort(-forecast, kind="stable")
    cut = forecast[order[a - 1]]
    above = forecast > cut
    tied = forecast == cut
    w = above.astype(np.float64)
    w[tied] = (a - above.sum()) / tied.sum()
    return w


def hit_rates(truth, forecast, a):
    """Per bin: the hit rate of the a top-forecast cells (NaN without crimes)."""
    out = np.full(truth.shape[0], np.nan)
    for b in range(truth.shape[0]):
        total = truth[b].sum()
        if total > 0:
            out[b] = (flagged_weights(forecast[b], a) * truth[b]).sum() / total
    return out


def bootstrap(d, rng, resamples=10000):
    d = d[np.isfinite(d)]
    means = d[rng.integers(0, len(d), (resamples, len(d)))].mean(axis=1)
    return d.mean(), np.percentile(means, 2.5), np.percentile(means, 97.5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tensor")
    ap.add_argument("reference")
    ap.add_argument("others", nargs="+")
    ap.add_argument("--category", default="all")
    ap.add_argument("--km2", type=float, default=1.0)
    args = ap.parse_args()
    with h5py.File(args.tensor, "r") as t:
        counts, mask, times = read_counts(t), t["mask"][:].astype(bool), t["time"][:]
        channel, cell = names(t).index(args.category), float(t.attrs["cell_size_m"])
    A = int(mask.sum())
    a = int(min(A, max(1, np.floor(args.km2 * 1e6 / (cell * cell) + 0.5))))

    def rates(path):
        with h5py.File(path, "r") as f:
            model = f.attrs["model"]
            model = model.decode() if isinstance(model, bytes) else str(model)
            bins = np.searchsorted(times, f["time"][:])
            fc = f["forecast"][:, names(f).index(args.category)][:, mask].astype(np.float64)
        truth = counts[bins, channel][:, mask].astype(np.float64)
        return model, hit_rates(truth, fc, a)

    rng = np.random.default_rng(20261203)
    ref_name, ref = rates(args.reference)
    scale = A / a  # PAI = hit rate x A / a
    print("%s, %s: %d cells flagged of %d (%.3g km2), %d bins" % (args.tensor, args.category, a, A, args.km2,
                                                                  np.isfinite(ref).sum()))
    print("%s: hit %.4f, PAI %.3f" % (ref_name, np.nanmean(ref), np.nanmean(ref) * scale))
    for path in args.others:
        name, other = rates(path)
        d, lo, hi = bootstrap(ref - other, rng)
        word = "tie" if lo <= 0 <= hi else ("ahead" if lo > 0 else "behind")
        print("%s: hit %.4f, PAI %.3f; %s minus it: hit %+.5f [%+.5f, %+.5f], PAI %+.3f [%+.3f, %+.3f] %s" % (
            name, np.nanmean(other), np.nanmean(other) * scale, ref_name, d, lo, hi, d * scale, lo * scale,
            hi * scale, word))


if __name__ == "__main__":
    main()
