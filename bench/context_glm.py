#!/usr/bin/python3
"""A Poisson GLM over the context maps (models/dataset.h), fitted on the training span and
scored on the validation span only: a quick, network-free way to ask whether a new map
carries signal before a network is trained with it (bench/RESULTS.md, "Level-gated ratios").

    bench/context_glm.py TENSOR.h5 WINDOW PERIOD CHANNEL [RF_VAL_FORECAST.h5] [--variants LIST]
                         [--rate-weights LIST]

PERIOD: the bins of a year (52 weekly, 12 monthly). The split is train's default 70/15/15
with window - 1 bins between spans. The model is log rate = a_P + a 3 x 3 convolution of
the maps (standardised on the training span), fitted by L-BFGS; printed per variant: the
validation MSE and mean Poisson deviance over the mask, and (with RF_VAL_FORECAST.h5, from
`crimecast baseline --method rf --span val`) the forest's validation MSE on the same bins.
Variants: base (train's maps without the level gate), gated (plus (a_k - a_P) log(1 +
exp(a_P)), k = 1, 4, 13: --level-gate on), gated-all (the gate on every ratio and the
near-repeat and recency maps too), shrunk (plus log((n_k + alpha) / (k exp(a_P) + alpha)),
alpha = 2 and 10: empirical-Bayes ratios, another way to make the response depend on level).
--rate-weights G1,G2,..: fit each variant once per G with every cell's Poisson loss weighted by
exp(a_P)^G (its yearly rate to the power G, normalised to mean 1): G = 0 is the plain
likelihood, G = 1 weighs a cell's squared error in the rate about as MSE does (bench/RESULTS.md,
"A loss weighted towards the busy cells").
"""
import argparse
import itertools
import math

import h5py
import numpy as np
import torch

from paired_by_cell import poisson_deviance  # the same clamp as eval's
from tensor_h5 import read_counts, read_recency


def load(path, channel):
    with h5py.File(path, "r") as h:
        x = read_counts(h)[:, channel]
        mask = h["mask"][:] > 0
        rec = read_recency(h)
        rec = rec[:, :, channel] if rec is not None else None
    return x, mask, rec


def maps(x, rec, period, origin, variant):
    """The context maps of one forecast origin (the season from the target bin's index)."""
    cs = np.concatenate([np.zeros((1,) + x.shape[1:]), np.cumsum(x, 0)])

    def log_avg(k):
        kk = min(k, origin + 1)
        return np.log((cs[origin + 1] - cs[origin + 1 - kk] + 0.5) / kk), cs[origin + 1] - cs[origin + 1 - kk], kk

    a_p = log_avg(period)[0]
    a_all = log_avg(10 ** 9)[0]
    ratios = [log_avg(k)[0] - a_p for k in (1, 4, 13)]
    out = [a_p] + ratios + [a_all - a_p, np.log1p(x[origin] / np.exp(a_all))]
    if rec is not None:
        out += [np.log1p(rec[origin, d] / np.exp(a_all)) for d in range(rec.shape[1])]
    level = np.log1p(np.exp(a_p))
    if variant == "gated":
        out += [r * level for r in ratios]
    elif variant == "gated-all":
        out += [m * level for m in out[1:]]
    elif variant == "shrunk":
        for alpha in (2.0, 10.0):
            for k in (1, 4, 13):
                _, n, kk = log_avg(k)
                out.append(np.log((n + alpha) / (kk * np.exp(a_p) + alpha)))
    phase = 2 * math.pi * ((origin + 1) % period) / period
    out += [np.full_like(a_p, math.sin(phase)), np.full_like(a_p, math.cos(phase))]
    return np.stack(out), a_p


def samples(x, rec, period, window, begin, end, variant):
    feats, base, target = [], [], []
    for start in range(begin, end - window):
        origin = start + window - 1
        f, a_p = maps(x, rec, period, origin, variant)
        feats.append(f), base.append(a_p), target.append(x[origin + 1])
    return [torch.tensor(np.array(a), dtype=torch.float64) for a in (feats, base, target)]


def fit_and_score(x, mask, rec, period, window, variant, rate_weight=0.0):
    T = x.shape[0]
    train_end, val_end = round(0.70 * T), round(0.85 * T)
    ft, bt, yt = samples(x, rec, period, window, 0, train_end, variant)
    fv, bv, yv = samples(x, rec, period, window, train_end + window - 1, val_end, variant)
    mu, sd = ft.mean((0, 2, 3), keepdim=True), ft.std((0, 2, 3), keepdim=True) + 1e-9
    ft, fv = (ft - mu) / sd, (fv - mu) / sd
    m = torch.tensor(mask, dtype=torch.float64)
    w = torch.exp(rate_weight * bt) * m  # weight of each sample's cell: its yearly rate ^ G
    w = w / w.mean() * m.mean()          # mean 1 over the counted cells, so G = 0 is w = m
    conv = torch.nn.Conv2d(ft.shape[1], 1, 3, padding=1).double()
    torch.nn.init.zeros_(conv.weight), torch.nn.init.zeros_(conv.bias)
    opt = torch.optim.LBFGS(conv.parameters(), max_iter=300, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        log_rate = bt + conv(ft)[:, 0]
        loss = ((torch.exp(log_rate) - yt * log_rate) * w).sum() / (m.sum() * len(yt)) + 1e-4 * (conv.weight ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        mu_v = torch.exp(bv + conv(fv)[:, 0]).numpy()
    y = yv.numpy()
    dev = poisson_deviance(mu_v, y)
    return ((mu_v - y) ** 2)[:, mask].mean(), dev[:, mask].mean(), y


def main():
    ap = argparse.ArgumentParser(description="Validation-span Poisson GLM over the context maps.")
    ap.add_argument("tensor"), ap.add_argument("window", type=int), ap.add_argument("period", type=int)
    ap.add_argument("channel", type=int), ap.add_argument("rf_val", nargs="?")
    ap.add_argument("--variants", default="base,gated,gated-all,shrunk")
    ap.add_argument("--rate-weights", type=lambda text: [float(g) for g in text.split(",")], default=[0.0])
    args = ap.parse_args()
    torch.set_num_threads(2)
    x, mask, rec = load(args.tensor, args.channel)
    rf = None
    if args.rf_val:
        with h5py.File(args.rf_val, "r") as f:
            rf = f["forecast"][:, args.channel]
    for variant, g in itertools.product(args.variants.split(","), args.rate_weights):
        mse, dev, y = fit_and_score(x, mask, rec, args.period, args.window, variant, g)
        line = "%-10s weight %.2f validation MSE %.4f  deviance %.4f" % (variant, g, mse, dev)
        if rf is not None:
            line += "  | rf-100 MSE %.4f" % ((rf - y[-len(rf):]) ** 2)[:, mask].mean()
        print(line, flush=True)


if __name__ == "__main__":
    main()
