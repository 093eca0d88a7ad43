#!/usr/bin/env python3
"""End-to-end training in PyTorch on a crimecast tensor file: what a user would otherwise
write, timed against `crimecast train` on the same tensor (bench/train_e2e_vs_pytorch.sh).

The same network and protocol as `crimecast train --model convlstm-ae --down D --features
F --context off --recency off --level-gate off --skip 0 --baseline 52` (models/convlstm.h,
models/dataset.h), so that both read the same inputs:
  split      targets from bin `window` to round(0.70 T) train, to round(0.85 T) validation
  inputs     log1p(counts) / scale_c, scale_c the RMS of log1p(counts) of channel c over
             the bins before the first validation target, in-mask cells
  offset     log((S + 1/2) / k'), S the counts of the k' = min(52, o + 1) bins up to the
             origin o: the network learns a correction to the 52-bin average; its head
             starts at zero, so it starts as that average
  loss       Poisson, mean over in-mask cells of exp(r) - y r
  optimiser  AdamW (lr 1e-3, betas 0.9 / 0.999, eps 1e-8, no decay), the gradients'
             global norm clipped to 1, each epoch's training samples shuffled and cut into
             n // batch batches; validation loss after each epoch
The tensor lives on the device and windows are gathered there (GPU-first, as PyTorch
users write it); the time is the whole run after the file is read: data to the device,
offsets, every epoch's training and validation.

usage: pytorch_train.py TENSOR.h5 [--epochs 8] [--batch 8] [--window 8] [--down 4]
       [--features 16] [--layers 2] [--hidden 16] [--kernel 3] [--device cpu|cuda]
       [--threads 2] [--tf32 0|1] [--seed 1]
Prints each epoch's losses and one JSON object.
"""
import argparse
import json
import os
import sys
import time

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_convlstm import ConvLSTMAE  # noqa: E402 (the bench's own module)
from tensor_h5 import read_counts  # noqa: E402

BASELINE_BINS = 52


def split_targets(T, window):
    """crimecast's rolling-origin split (models/dataset.h), horizon 1: train and validation targets."""
    val, test = int(np.floor(0.70 * T + 0.5)), int(np.floor(0.85 * T + 0.5))
    return np.arange(window, val), np.arange(val, test)


def offsets(counts, k):
    """log((S + 1/2) / k') at every origin o, S the last k' = min(k, o + 1) bins' counts."""
    cs = torch.cumsum(counts.double(), dim=0)
    T = counts.shape[0]
    o = torch.arange(T, device=counts.device)
    kk = torch.clamp(o + 1, max=k)
    before = torch.where((o - kk >= 0).view(-1, 1, 1, 1), cs[torch.clamp(o - kk, min=0)], torch.zeros_like(cs[0]))
    return torch.log((cs - before + 0.5) / kk.view(-1, 1, 1, 1).double()).float()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tensor")
    for name, default in dict(epochs=8, batch=8, window=8, down=4, features=16, layers=2, hidden=16, kernel=3,
                              threads=2, seed=1, tf32=0).items():
        ap.add_argument("--" + name, type=int, default=default)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = bool(a.tf32)
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(a.seed)
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if a.device == "cuda" else (lambda: None)
    with h5py.File(a.tensor, "r") as f:
        counts_np = read_counts(f).astype(np.float32)  # [T][C][H][W]
        mask_np = f["mask"][:].astype(bool)
    T, C, H, W = counts_np.shape
    train, val = split_targets(T, a.window)

    sync()
    start = time.perf_counter()
    counts = torch.from_numpy(counts_np).to(dev)
    mask = torch.from_numpy(mask_np).to(dev)
    logs = torch.log1p(counts.double())
    fit = logs[:val[0]][:, :, mask]  # the bins fitting reads, in-mask cells: [bins][C][cells]
    scale = torch.sqrt((fit ** 2).mean(dim=(0, 2)))
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    inputs = (logs / scale.view(1, C, 1, 1)).float()
    base = offsets(counts, BASELINE_BINS)
    model = ConvLSTMAE(C, a.layers, a.hidden, a.kernel, a.down, a.features).to(dev)
    with torch.no_grad():  # the head starts at zero: the forecast starts as the 52-bin average
        model.head.weight.zero_(), model.head.bias.zero_()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    steps = torch.arange(a.window, device=dev)
    cells = mask.sum() * C

    def loss_of(targets):
        targets = torch.as_tensor(targets, device=dev)
        origin = targets - 1
        x = inputs[(origin - a.window + 1).view(1, -1) + steps.view(-1, 1)]  # [window][batch][C][H][W]
        r = model(x, 1)[0] + base[origin]
        y = counts[targets]
        return ((torch.exp(r) - y * r) * mask).sum() / (cells * len(targets))

    gen = torch.Generator().manual_seed(a.seed)
    history = []
    for epoch in range(1, a.epochs + 1):
        model.train()
        order = train[torch.randperm(len(train), generator=gen).numpy()]
        total = torch.zeros((), device=dev)
        batches = len(order) // a.batch
        for b in range(batches):
            opt.zero_grad(set_to_none=True)
            loss = loss_of(order[b * a.batch:(b + 1) * a.batch])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += loss.detach()
        model.eval()
        with torch.no_grad():
            v = sum(loss_of(val[i:i + a.batch]) * len(val[i:i + a.batch]) for i in range(0, len(val), a.batch))
        history.append((float(total) / batches, float(v) / len(val)))
        print("epoch %d: train loss %.6f, validation loss %.6f" % (epoch, *history[-1]), flush=True)
    sync()
    seconds = time.perf_counter() - start
    print(json.dumps({"framework": "pytorch %s" % torch.__version__, "device": a.device,
                      "gpu": torch.cuda.get_device_name() if a.device == "cuda" else None, "threads": a.threads,
                      "tf32": a.tf32, "tensor": [T, C, H, W], "epochs": a.epochs, "batch": a.batch, "down": a.down,
                      "features": a.features, "train_seconds": seconds, "val_loss": [h[1] for h in history],
                      "train_loss": [h[0] for h in history],
                      "peak_gpu_bytes": torch.cuda.max_memory_allocated() if a.device == "cuda" else None}))


if __name__ == "__main__":
    main()
