"""Shared by the integration tests that build their own inputs: a tensor file written
with h5py in crimecast's format (README: "The tensor file"), independent of crimecast,
and the per-bin hotspot AUC as crimecast eval defines it, via scikit-learn."""
import math

import h5py
import numpy as np
from sklearn.metrics import roc_auc_score


def write_tensor(path, counts, mask, categories, cell=500.0, created_by="test"):
    """counts [T][C][H][W] weekly from day 16800, on a grid of `cell` metres."""
    T, _, H, W = counts.shape
    with h5py.File(path, "w") as f:
        f["counts"] = counts.astype(np.float32)
        f["time"] = (16800 + 7 * np.arange(T)).astype(np.int64)
        f["category"] = np.array(categories, dtype=h5py.string_dtype())
        f["y"] = cell * H - cell * (np.arange(H) + 0.5)
        f["x"] = cell * (np.arange(W) + 0.5)
        f["mask"] = mask
        for k, v in dict(format="crimecast-tensor", city="synthetic", crs="EPSG:32616", bin="week",
                         source="test", created_by=created_by).items():
            f.attrs[k] = v
        f.attrs["format_version"] = 1
        f.attrs["cell_size_m"] = cell


def top_share(values, a):
    """Each cell's part in the top a cells of `values`, the cells tied at the cut sharing
    its remaining places equally (eval's rule: no figure depends on the cells' order)."""
    values = np.asarray(values, dtype=float)
    share = np.zeros(len(values))
    above = 0
    for value in sorted(set(values.tolist()), reverse=True):
        if above >= a:
            break
        tied = values == value
        share[tied] = min(1.0, (a - above) / tied.sum())
        above += int(tied.sum())
    return share


def hotspot_auc(truth, pred):
    """ROC AUC of `pred` for the top 10% cells of `truth` (halves rounded up, tied cells
    sharing the cut), one bin's in-mask cells: scikit-learn with every cell entered as a
    hotspot of weight w and a non-hotspot of weight 1 - w."""
    n = len(truth)
    w = top_share(truth, int(math.floor(0.10 * n + 0.5)))
    return roc_auc_score(np.r_[np.ones(n), np.zeros(n)], np.r_[pred, pred], sample_weight=np.r_[w, 1 - w])
