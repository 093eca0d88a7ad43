#!/usr/bin/env python3
"""`crimecast train --model st-resnet` end to end on a tensor written here with h5py: the
model file's layout (attributes, parameter shapes), and every expected count of
`predict` against an ST-ResNet forward pass written here in float64 numpy from the
paper's equations (models/st_resnet.h), reading only the model file's parameters and
normalisation and the tensor's counts: frames at the closeness, period and trend lags,
residual units, per-cell fusion, plus the historical-average offset. Also: the test
targets are the ConvLSTM's (rolling origin), and a horizon other than 1 is refused.

usage: st_resnet_test.py CRIMECAST
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

from checks import check, summary
from png_reader import read_png
from synthetic_tensor import write_tensor

CRIMECAST = sys.argv[1]


def run(*args):
    return subprocess.run([CRIMECAST] + [str(a) for a in args], capture_output=True, text=True)


def conv3(x, w, b):
    """'same' 3x3 cross-correlation: x [Cin][H][W], w [Cout][Cin][3][3] -> [Cout][H][W]."""
    cin, H, W = x.shape
    pad = np.zeros((cin, H + 2, W + 2))
    pad[:, 1:-1, 1:-1] = x
    out = np.zeros((w.shape[0], H, W))
    for dy in range(3):
        for dx in range(3):
            out += np.einsum("oi,ihw->ohw", w[:, :, dy, dx], pad[:, dy:dy + H, dx:dx + W])
    return out + b[:, None, None]


def relu(v):
    return np.maximum(v, 0)


def st_resnet(p, frames, units):
    """One branch's output O from its stacked frames [frames C][H][W], and fusion by the caller."""
    z = conv3(frames, p["conv1.w"], p["conv1.b"])
    for k in range(units):
        c = relu(conv3(relu(z), p["unit%d.wa" % k], p["unit%d.ba" % k]))
        z = z + conv3(c, p["unit%d.wb" % k], p["unit%d.bb" % k])
    return conv3(relu(z), p["conv2.w"], p["conv2.b"])


def reference(model, counts, target):
    """log-rate of every channel at bin `target`, float64."""
    a = model.attrs
    scale = model["norm/scale"][:].astype(np.float64)
    x = np.log1p(counts.astype(np.float64)) / scale[None, :, None, None]
    lags = {"close": (int(a["closeness"]), 1), "period": (int(a["period"]), int(a["period_lag"])),
            "trend": (int(a["trend"]), int(a["trend_lag"]))}
    y = np.zeros(counts.shape[1:]) + model["params/st.bias"][:].astype(np.float64)[:, None, None]
    for name, (n, lag) in lags.items():
        if n == 0:
            continue
        p = {k[len("st.%s." % name):]: model["params/" + k][:].astype(np.float64)
             for k in model["params"] if k.startswith("st.%s." % name)}
        frames = np.concatenate([x[target - lag * (j + 1)] for j in range(n)])
        y += p["fuse"] * st_resnet(p, frames, int(a["resunits"]))
    k = int(a["baseline_k"])
    o = target - 1
    kk = min(k, o + 1)
    return y + np.log((counts[o - kk + 1:o + 1].astype(np.float64).sum(axis=0) + 0.5) / kk)


def iso(day):
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=int(day))).isoformat()


def check_inspect(m, model, tensor, counts, days, tau, tmp):
    """inspect on ST-ResNet: its input holds only the lags it reads (13, 8, 4, 2, 1 of its
    13-bin window), each the normalised counts of that bin; the saliency of the trend frame
    equals finite differences of the forecast (two --nudge runs)."""
    lags = [13, 8, 4, 2, 1]
    out = os.path.join(tmp, "inspect")
    p = run("inspect", "--model", model, "--data", tensor, "--index", tau, "--json", "--out", out)
    check("inspect of an ST-ResNet exits 0", p.returncode == 0, p.stderr[-2000:])
    if p.returncode:
        return
    summary = json.loads(p.stdout)
    check("saliency by step: the bins of lags 13, 8, 4, 2, 1",
          [r["bin"] for r in summary["saliency_by_step"]] == [iso(days[tau - lag]) for lag in lags],
          summary["saliency_by_step"])
    check("its summary names the architecture and shows no recurrent states (none written)",
          summary["architecture"] == "st-resnet" and summary["layers"] == []
          and not os.path.exists(os.path.join(out, "states")), (summary["architecture"], os.listdir(out)))
    with h5py.File(os.path.join(out, "inspect.h5"), "r") as f:
        x, sal, objective = f["x"][:], f["saliency"][:], float(f.attrs["objective"])
        check("input_bins: the tensor indices of the lags read", list(f.attrs["input_bins"]) == [tau - lag for lag in lags],
              list(f.attrs["input_bins"]))
    scale = m["norm/scale"][:].astype(np.float64)
    want = np.stack([np.log1p(counts[tau - lag].astype(np.float64)) / scale[:, None, None] for lag in lags])
    check("x holds those bins' normalised counts, nothing else", x.shape == want.shape
          and np.allclose(x, want, rtol=1e-6, atol=1e-6), (x.shape, want.shape))
    row, col = np.unravel_index(int(np.argmax(np.abs(sal[0, 0]))), sal.shape[2:])
    F, delta = [], 0.05
    for sign in (1, -1):
        q = run("inspect", "--model", model, "--data", tensor, "--index", tau, "--json", "--out",
                os.path.join(tmp, "nudged"), "--nudge", "0,0,%d,%d,%g" % (row, col, sign * delta))
        F.append(json.loads(q.stdout)["objective"] if q.returncode == 0 else float("nan"))
    fd = (F[0] - F[1]) / (2 * delta)
    check("the trend frame's saliency = finite differences of F (2%)",
          abs(fd - sal[0, 0, row, col]) <= 0.02 * abs(fd) and abs(fd) > 0, (fd, float(sal[0, 0, row, col]), objective))


def check_inspect_mse(tensor, tau, tmp):
    """inspect on a ConvLSTM trained with MSE: its terms are an output r (a normalised
    log1p count), the forecast max(0, expm1(r x scale)), and it is labelled so (it was
    called a log-rate with forecast exp(r))."""
    model, out = os.path.join(tmp, "mse.h5"), os.path.join(tmp, "inspect_mse")
    run("train", "--data", tensor, "--hidden", "4", "--layers", 1, "--epochs", 1, "--context", "off", "--loss", "mse",
        "--baseline", "none", "--threads", 1, "--device", "cpu", "--out", model)
    p = run("inspect", "--model", model, "--data", tensor, "--index", tau, "--json", "--out", out)
    check("inspect of an MSE model exits 0", p.returncode == 0, p.stderr[-2000:])
    if p.returncode:
        return
    with h5py.File(model, "r") as m, h5py.File(os.path.join(out, "inspect.h5"), "r") as f, \
            h5py.File(tensor, "r") as t:
        scale, c = m["norm/scale"][:].astype(np.float64), int(f.attrs["category_index"])
        r = (f["baseline"][-1, c].astype(np.float64) + f["skip"][-1, c] + f["network"][-1, c])
        fc, inside = f["forecast"][-1, c], t["mask"][:].astype(bool)
    want = np.where(inside, np.maximum(0, np.expm1(r * scale[c])), 0)  # 0 outside the mask, as predict's
    check("MSE: forecast = max(0, expm1(r x scale)) inside the mask, 0 outside it (1e-5)",
          np.allclose(fc, want, rtol=1e-5, atol=1e-5), float(np.abs(fc - want).max()))
    _, text = read_png(os.path.join(out, "decomposition.png"))
    check("MSE: its terms are called the output's, not a log-rate's",
          json.loads(p.stdout)["terms"] == "output" and "the output's terms" in text.get("Title", ""), text.get("Title"))


def main():
    rng = np.random.default_rng(5)
    T, C, H, W = 90, 2, 8, 7
    week = np.arange(T)
    rate = 0.6 + 0.5 * np.sin(2 * np.pi * week / 13)[:, None, None, None] + rng.gamma(2, 0.4, (1, C, H, W))
    counts = rng.poisson(rate).astype(np.float32)
    mask = np.ones((H, W), np.uint8)
    mask[0, :3] = 0
    with tempfile.TemporaryDirectory() as tmp:
        tensor, model, forecast = (os.path.join(tmp, n) for n in ("t.h5", "st.h5", "f.h5"))
        write_tensor(tensor, counts, mask, ["burglary", "robbery"])
        args = ["--data", tensor, "--model", "st-resnet", "--closeness", 2, "--period", 2, "--period-lag", 4,
                "--trend", 1, "--trend-lag", 13, "--resunits", 2, "--features", 6, "--context", "off", "--skip", 0,
                "--epochs", 3, "--batch", 8, "--threads", 1, "--device", "cpu"]
        p = run("train", *args, "--gather", "resident", "--out", model)
        check("train --model st-resnet exits 0", p.returncode == 0, p.stderr[-2000:])
        if p.returncode:
            return summary()
        host = os.path.join(tmp, "st_host.h5")
        q = run("train", *args, "--gather", "host", "--out", host)
        with h5py.File(model, "r") as m, h5py.File(host, "r") as h:
            same = all(np.array_equal(m["params/" + k][:], h["params/" + k][:]) for k in m["params"])
        check("ST-ResNet's 13-bin windows: resident tables train what the host's gather trains, bit for bit",
              q.returncode == 0 and "resident windows" in p.stdout and same, (p.stdout, q.stderr))
        with h5py.File(model, "r") as m:
            a = m.attrs
            check("model file: st-resnet, its lags, window = the longest lag (13)",
                  a["model"] == "st-resnet" and int(a["window"]) == 13 and int(a["horizon"]) == 1
                  and [int(a[k]) for k in ("closeness", "period", "trend", "period_lag", "trend_lag", "resunits")]
                  == [2, 2, 1, 4, 13, 2], dict(a))
            shapes = {k: m["params/" + k].shape for k in m["params"]}
            check("parameter shapes", shapes["st.close.conv1.w"] == (6, 4, 3, 3) and shapes["st.trend.conv1.w"] == (6, 2, 3, 3)
                  and shapes["st.period.unit1.wb"] == (6, 6, 3, 3) and shapes["st.period.conv2.w"] == (2, 6, 3, 3)
                  and shapes["st.trend.fuse"] == (2, 8, 7) and shapes["st.bias"] == (2,) and "skip.w" not in shapes,
                  shapes)
            check("the fusion weights moved from their start (1/3)",
                  np.abs(m["params/st.close.fuse"][:] - 1 / 3).max() > 1e-4)
            p = run("predict", "--model", model, "--data", tensor, "--device", "cpu", "--out", forecast)
            check("predict exits 0", p.returncode == 0, p.stderr)
            with h5py.File(forecast, "r") as f, h5py.File(tensor, "r") as t:
                fc, times, days = f["forecast"][:], f["time"][:], t["time"][:]
                check("forecast model name", f.attrs["model"] == "st-resnet", dict(f.attrs))
            targets = [int(np.nonzero(days == d)[0][0]) for d in times]
            worst = 0.0
            for i, tau in enumerate(targets):
                want = np.exp(reference(m, counts, tau)) * mask  # predict writes 0 outside the study area
                worst = max(worst, float(np.abs(fc[i] - want).max() / want.max()))
            check("every expected count = the float64 numpy ST-ResNet (1e-4 of the largest)", worst < 1e-4, worst)
            check_inspect(m, model, tensor, counts, days, targets[2], tmp)
        convlstm = os.path.join(tmp, "c.h5")
        p = run("train", "--data", tensor, "--hidden", "4", "--layers", "1", "--epochs", 1, "--context", "off",
                "--threads", 1, "--device", "cpu", "--out", convlstm)
        p = run("predict", "--model", convlstm, "--data", tensor, "--device", "cpu", "--out", forecast + ".c")
        with h5py.File(forecast + ".c", "r") as f:
            check("the same test targets as the ConvLSTM's", np.array_equal(f["time"][:], times), (f["time"][:], times))
            fc_convlstm = f["forecast"][:]
        p = run("predict", "--model", model, "--model", convlstm, "--data", tensor, "--device", "cpu",
                "--out", forecast + ".e")
        with h5py.File(forecast + ".e", "r") as f:
            mean = (fc.astype(np.float64) + fc_convlstm) / 2
            check("an ensemble of the two (windows 13 and 8) is their mean, named 'ensemble', not the first's",
                  p.returncode == 0 and f.attrs["model"] == "ensemble"
                  and np.abs(f["forecast"][:] - mean).max() <= 1e-6 * mean.max(), (p.stderr, dict(f.attrs)))
        ae = os.path.join(tmp, "ae.h5")
        run("train", "--data", tensor, "--model", "convlstm-ae", "--down", 2, "--features", 4, "--hidden", "4",
            "--layers", "1", "--epochs", 1, "--context", "off", "--threads", 1, "--device", "cpu", "--out", ae)
        p = run("predict", "--model", convlstm, "--model", ae, "--data", tensor, "--device", "cpu",
                "--out", forecast + ".a")
        with h5py.File(forecast + ".a", "r") as f:
            check("a ConvLSTM and a convlstm-ae together are 'convlstm-ensemble' (the report's network, not a baseline)",
                  p.returncode == 0 and f.attrs["model"] == "convlstm-ensemble", (p.stderr, dict(f.attrs)))
        check_inspect_mse(tensor, targets[2], tmp)
        bad = os.path.join(tmp, "bad.h5")
        p = run("train", "--data", tensor, "--model", "st-resnet", "--horizon", 2, "--out", bad)
        check("st-resnet with --horizon 2 is refused", p.returncode != 0 and "horizon" in p.stderr
              and not os.path.exists(bad), p.stderr)
        p = run("train", "--data", tensor, "--model", "st-resnet", "--trend-lag", 100, "--out", bad)
        check("a lag beyond the tensor is refused", p.returncode != 0 and "lag" in p.stderr and not os.path.exists(bad),
              p.stderr)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
