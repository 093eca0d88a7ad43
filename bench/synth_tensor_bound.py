#!/usr/bin/env python3
"""How close to the synthetic city's oracle can a model of the weekly count tensor get?

The oracle of `crimecast synth` knows every past event's exact time and position, and the
process's true background intensity. A model of the tensor sees weekly counts per 960 m
cell over ~2 years of training bins. This study fits, with torch (float32, CPU), three
Poisson GLMs of increasing knowledge on the demo's tensor and scores each on the
validation and test spans of the 'all' channel, next to the oracle (K = 1 and 3):

  glm        log mu = log a_52 + convKxK(context maps)          (crimecast's skip path)
  glm+exc    mu = exp(glm) + conv3x3(last bin's counts, >= 0)   (additive self-excitation)
  true-bg    glm+exc, with a_52 replaced by the oracle's mean over the training targets
             (a near noise-free background map no model of the tensor can have)

and, when DEMO_DIR/daily.h5 holds the same incidents counted by day, two GLMs told each
past event's day (what the weekly tensor hides), through recency-weighted counts
r_tau = sum over past days j of counts_j exp(-(t_o - j - 1/2) / tau), tau = 1 and 3 days
(the triggering decays of the synthetic city are 2.4 to 3.5 days):

  +days      glm+exc with maps log(1 + r_tau / a_all) added and r_tau as the excitation input
  true-bg+days  the same, handed the true background

If even `true-bg` (or `true-bg+days`) stays short of closing half the gap between the best baseline and the
oracle, the shortfall is information the weekly tensor does not hold (within-week timing
and sub-cell position of the triggering events), not the network.

When the tensor has its recency maps (/recency, `crimecast raster` since issue 9's
recency work: R_d = sum over past incidents of exp(-age / d) at the bin's end, d = 1 and
3 days, from the incidents' own minutes), one more row is what the network's skip path
now is:

  glm+recency  glm with maps log(1 + R_d / a_all) added (no excitation term)

usage: synth_tensor_bound.py DEMO_DIR [KERNEL...]  (a `crimecast demo` output directory;
  the skip kernels to fit, default 1 3)
  needs DEMO_DIR/tensor.h5 and the oracle over every bin: crimecast synth --seed 1 \\
      --from FROM --to TO --oracle DEMO_DIR/oracle_all.h5 --data DEMO_DIR/tensor.h5 --window 4 --span all
  (FROM, TO: the demo's span, 2013-01-07 and 2022-01-03 since issue 9's recency work,
  2019-01-07 before); the split and window come from DEMO_DIR/model.h5 when it exists,
  else the default 70/15/15 split with window 4 (the demo's);
  optionally DEMO_DIR/daily.h5: crimecast raster --city synthetic --db DEMO_DIR/crimecast.db \\
      --from FROM --to TO --bin day --grid 32 --out DEMO_DIR/daily.h5
"""
import os
import sys

import h5py
import numpy as np
import torch

from tensor_h5 import read_counts, read_recency


def log_average(cumsum, origin, k):
    """log((counts of bins origin-k'+1 .. origin + 1/2) / k'), k = 0: all (models/dataset.h)."""
    first = 0 if k == 0 else max(0, origin - k + 1)
    return np.log((cumsum[origin + 1] - cumsum[first] + 0.5) / (origin - first + 1))


def context_maps(counts, cumsum, days, origin, target, recency=None):
    year, whole = log_average(cumsum, origin, 52), log_average(cumsum, origin, 0)
    maps = [year] + [log_average(cumsum, origin, k) - year for k in (1, 4, 13)] + [whole - year]
    maps.append(np.log1p(counts[origin] / np.exp(whole)))
    phase = 2 * np.pi * (days[target] % 365.2425) / 365.2425
    season = np.ones((2,) + year.shape[1:]) * np.array([np.sin(phase), np.cos(phase)])[:, None, None]
    if recency is not None:  # the tensor's R_d at the origin, as the network reads them (models/dataset.h)
        season = np.concatenate([season] + [np.log1p(r / np.exp(whole)) for r in recency[origin]], 0)
    return np.concatenate(maps + [season], 0)


def split_of(demo, n_bins):
    """[train begin, end, val begin, end, test begin, end] and the window: the model's,
    or cc_split_make's default 70/15/15 with the demo's window 4."""
    path = os.path.join(demo, "model.h5")
    if os.path.exists(path):
        with h5py.File(path, "r") as m:
            return list(m.attrs["split"][:6]), int(m.attrs["window"])
    window, gap = 4, 3
    train_end, val_end = int(np.floor(0.70 * n_bins + 0.5)), int(np.floor(0.85 * n_bins + 0.5))
    return [0, train_end, train_end + gap, val_end, val_end + gap, n_bins], window


class Glm(torch.nn.Module):
    """log mu = offset + skip(maps), plus a non-negative excitation conv of `excite` if any."""

    def __init__(self, channels, maps, kernel, excite_maps):
        super().__init__()
        self.skip = torch.nn.Conv2d(maps, channels, kernel, padding=kernel // 2)
        torch.nn.init.zeros_(self.skip.weight), torch.nn.init.zeros_(self.skip.bias)
        self.excitation = torch.nn.Parameter(torch.full((channels, excite_maps, 3, 3), -5.0)) if excite_maps else None

    def forward(self, maps, excite, log_offset):
        mu = torch.exp(log_offset + self.skip(maps))
        if self.excitation is not None:
            mu = mu + torch.nn.functional.conv2d(excite, torch.nn.functional.softplus(self.excitation), padding=1)
        return mu


RECENCY_DAYS = (1.0, 3.0)


def recency(daily, daily_days, origin_day, tau):
    """r_tau at origin_day: past daily counts weighted exp(-age / tau), age from mid-day."""
    end = int(np.searchsorted(daily_days, origin_day))
    first = max(0, end - int(20 * max(RECENCY_DAYS)))  # older days weigh < exp(-20)
    weights = np.exp(-(origin_day - daily_days[first:end] - 0.5) / tau)
    return np.tensordot(weights, daily[first:end], axes=(0, 0))


def deviance(y, mu, mask):
    mu = mu.clamp_min(1e-9)
    d = 2 * (torch.where(y > 0, y * torch.log(y.clamp_min(1e-30) / mu), torch.zeros_like(y)) - (y - mu))
    return d[..., mask].mean().item()


def main():
    torch.manual_seed(0)
    demo = sys.argv[1]
    kernels = [int(k) for k in sys.argv[2:]] or [1, 3]
    with h5py.File(os.path.join(demo, "tensor.h5"), "r") as f:
        counts, mask, days = read_counts(f), f["mask"][:].astype(bool), f["time"][:]
        recency_maps = read_recency(f)
    split, window = split_of(demo, counts.shape[0])
    with h5py.File(os.path.join(demo, "oracle_all.h5"), "r") as o:
        oracle, oracle_days = o["forecast"][:].astype(np.float64), list(o["time"][:])
    daily_path = os.path.join(demo, "daily.h5")
    daily = None
    if os.path.exists(daily_path):
        with h5py.File(daily_path, "r") as f:
            daily, daily_days = read_counts(f), f["time"][:]
        assert daily.shape[1:] == counts.shape[1:], "daily.h5 must have the weekly tensor's channels and grid"
    cumsum = np.concatenate([np.zeros((1,) + counts.shape[1:]), np.cumsum(counts, 0)])
    mask = torch.tensor(mask)
    train_targets = range(window, split[1])
    background = np.log(np.mean([oracle[oracle_days.index(days[t])] for t in train_targets], 0))

    def span(targets, true_background, with_days, with_recency=False):
        maps, excite = [], []
        for t in targets:
            sample_maps = context_maps(counts, cumsum, days, t - 1, t, recency_maps if with_recency else None)
            if with_days:
                r = [recency(daily, daily_days, days[t], tau) for tau in RECENCY_DAYS]
                rate = np.exp(log_average(cumsum, t - 1, 0))
                sample_maps = np.concatenate([sample_maps] + [np.log1p(x / rate) for x in r], 0)
                excite.append(np.concatenate(r, 0))
            else:
                excite.append(counts[t - 1])
            maps.append(sample_maps)
        offset = np.stack([background if true_background else log_average(cumsum, t - 1, 52) for t in targets])
        arrays = (np.stack(maps), counts[list(targets)], np.stack(excite), offset,
                  oracle[[oracle_days.index(days[t]) for t in targets]])
        return [torch.tensor(a, dtype=torch.float32) for a in arrays]

    spans = {"val": range(split[2] + window, split[3]), "test": range(split[4] + window, split[5])}
    variants = [("glm", False, False, False, False), ("glm+exc", True, False, False, False),
                ("true-bg", True, True, False, False)]
    if daily is not None:
        variants += [("+days", True, False, True, False), ("true-bg+days", True, True, True, False)]
    if recency_maps is not None:
        variants += [("glm+recency", False, False, False, True)]
    print("split", split, "window", window)
    print("span   model          kernel  deviance(all)   (oracle)")
    for kernel in kernels:
        for name, excitation, true_background, with_days, with_recency in variants:
            train = span(train_targets, true_background, with_days, with_recency)
            model = Glm(counts.shape[1], train[0].shape[1], kernel, train[2].shape[1] if excitation else 0)
            optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
            for _ in range(300):  # full batch, to convergence (a GLM: no early stopping needed)
                optimiser.zero_grad()
                mu = model(train[0], train[2], train[3])
                loss = (mu - train[1] * torch.log(mu.clamp_min(1e-9)))[..., mask].mean()
                loss.backward()
                optimiser.step()
            with torch.no_grad():
                for span_name, targets in spans.items():
                    maps, y, excite, offset, truth = span(targets, true_background, with_days, with_recency)
                    print("%-6s %-14s %d       %.4f          %.4f" % (span_name, name, kernel,
                          deviance(y[:, 0], model(maps, excite, offset)[:, 0], mask),
                          deviance(y[:, 0], truth[:, 0], mask)), flush=True)


if __name__ == "__main__":
    main()
