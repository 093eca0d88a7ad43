"""Reading crimecast tensor files from Python (h5py): the counts, dense /counts or
/sparse/count, and the recency maps, derived from /sparse/recent as
heatmaps/sparse.h defines them (older files' dense /recency read as they are)."""
import math

import numpy as np


def bin_ends(f):
    """Each bin's exclusive end in days since 1970-01-01 (the next bin's start)."""
    starts = f["time"][:].astype(np.int64)
    kind = f.attrs["bin"]
    if kind == "day":
        last = starts[-1] + 1
    elif kind == "week":
        last = starts[-1] + 7
    else:
        month = np.datetime64(int(starts[-1]), "D").astype("datetime64[M]") + 1
        last = month.astype("datetime64[D]").astype(np.int64)
    return np.append(starts[1:], last)


def shape(f):
    return len(f["time"]), len(f["category"]), f["y"].shape[0], f["x"].shape[0]


def _planes(f, values):
    """values [N, ...] of the /sparse entries scattered to [T*C, ..., H*W]."""
    T, C, H, W = shape(f)
    start, cell = f["sparse/start"][:], f["sparse/cell"][:]
    plane = np.repeat(np.arange(T * C), np.diff(start))
    out = np.zeros((T * C,) + values.shape[1:] + (H * W,))
    if values.ndim == 1:
        out[plane, cell] = values
    else:
        for r in range(values.shape[1]):
            out[plane, r, cell] = values[:, r]
    return out


def read_counts(f):
    """[T][C][H][W] float64."""
    if "counts" in f:
        return f["counts"][:].astype(np.float64)
    T, C, H, W = shape(f)
    return _planes(f, f["sparse/count"][:].astype(np.float64)).reshape(T, C, H, W)


def read_recency(f):
    """[T][2][C][H][W] float64, or None when the file has none."""
    if "recency" in f:
        return f["recency"][:].astype(np.float64)
    if "sparse" not in f or "recent" not in f["sparse"]:
        return None
    T, C, H, W = shape(f)
    taus = list(f["sparse/recent"].attrs["tau_days"])
    in_bin = _planes(f, f["sparse/recent"][:].astype(np.float64)).reshape(T, C, len(taus), H, W).transpose(0, 2, 1, 3, 4)
    ends = bin_ends(f)
    out = np.zeros_like(in_bin)
    for b in range(T):
        for r, tau in enumerate(taus):
            out[b, r] = in_bin[b, r] + (math.exp(-(ends[b] - ends[b - 1]) / tau) * out[b - 1, r] if b else 0)
    out[out < 1e-12] = 0
    return out
