#!/usr/bin/env python3
"""Where does a paired MSE difference between two forecasts come from?

`crimecast eval --versus` bootstraps the per-bin difference of two forecasts' errors over
the bins. This script splits that difference by cell: it prints the paired MSE and
Poisson-deviance differences (A minus B, bootstrap 95% interval over the bins, as eval
does), the cells whose squared-error difference contributes most to the MSE figure, and
the same paired figures with those cells left out. It reads the files with h5py, an
independent reader of crimecast's formats.

A diagnosis, not a selection: leaving cells out after looking at the test span would
be tuning on it, so the figures without them only say how concentrated a difference is.

usage: paired_by_cell.py TENSOR.h5 A.h5 B.h5 [--category NAME] [--drop N] [--top K]
"""
import argparse

import h5py
import numpy as np


def forecast(path, category):
    with h5py.File(path, 'r') as f:
        names = [c.decode() if isinstance(c, bytes) else str(c) for c in f['category'][:]]
        return f['time'][:], f['forecast'][:, names.index(category)]


def poisson_deviance(p, y):
    p = np.maximum(p, 1e-8)  # eval clamps the same way: a zero forecast of a zero count costs 0
    y_log = np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / p), 0.0)
    return 2 * (y_log - (y - p))


def bootstrap(per_bin, rng, resamples=10000):
    means = per_bin[rng.integers(0, len(per_bin), (resamples, len(per_bin)))].mean(1)
    return per_bin.mean(), np.percentile(means, 2.5), np.percentile(means, 97.5)


def report(label, a, b, y, keep, rng):
    for name, loss in (('MSE', lambda p: (p - y) ** 2), ('deviance', lambda p: poisson_deviance(p, y))):
        mean, lo, hi = bootstrap((loss(a) - loss(b))[:, keep].mean(1), rng)
        verdict = 'ahead' if hi < 0 else 'behind' if lo > 0 else 'tie'
        print(f'{label}: A minus B {name} {mean:+.4f} [{lo:+.4f}, {hi:+.4f}] {verdict}')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('tensor'), ap.add_argument('a'), ap.add_argument('b')
    ap.add_argument('--category', default='all')
    ap.add_argument('--drop', type=int, default=1, help='cells to leave out, largest contribution first')
    ap.add_argument('--top', type=int, default=5, help='cells to list')
    args = ap.parse_args()
    with h5py.File(args.tensor, 'r') as t:
        names = [c.decode() if isinstance(c, bytes) else str(c) for c in t['category'][:]]
        counts, times, mask = t['counts'][:, names.index(args.category)], t['time'][:], t['mask'][:].astype(bool)
    time_a, a = forecast(args.a, args.category)
    time_b, b = forecast(args.b, args.category)
    if not np.array_equal(time_a, time_b):
        raise SystemExit(f'{args.a} and {args.b} forecast different bins')
    y = counts[np.searchsorted(times, time_a)]
    rng = np.random.default_rng(1)
    cells = int(mask.sum())
    report(f'all {cells} cells', a, b, y, mask, rng)
    share = ((a - y) ** 2 - (b - y) ** 2).mean(0) / cells  # each cell's part of the MSE difference
    share[~mask] = 0
    order = np.argsort(-np.abs(share), axis=None)
    for q in order[:args.top]:
        row, col = np.unravel_index(q, mask.shape)
        print(f'cell row {row} col {col}: {share[row, col]:+.4f} of the MSE difference, mean count '
              f'{y[:, row, col].mean():.1f}, MSE A {((a - y)[:, row, col] ** 2).mean():.1f} '
              f'B {((b - y)[:, row, col] ** 2).mean():.1f}')
    keep = mask.copy()
    keep.flat[order[:args.drop]] = False
    report(f'without the {args.drop} largest', a, b, y, keep, rng)


if __name__ == '__main__':
    main()
