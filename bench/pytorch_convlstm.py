#!/usr/bin/env python3
"""The standard benchmark configuration in PyTorch (Debian python3-torch), float32 on the CPU
or, with --device cuda, on the GPU through cuDNN (eager; --tf32 1 allows TF32 tensor cores):
the same ConvLSTM encoder-forecaster as crimecast's (models/convlstm.h; gate order i, f,
g, o; forecaster layer 0 without input; 1x1 head over all forecaster layers), the same
training step (forward, masked Poisson loss on log-rates, backward, AdamW). With --down 2
or 4, crimecast's convlstm-ae: per factor 2 a 3x3 stride-2 convolution and ReLU to
--features maps, the ConvLSTM on them (its head writing F maps), per factor 2 a 4x4
stride-2 transposed convolution and ReLU, the maps cropped to the grid, a 1x1 head.
With --compile 1 the model runs under torch.compile(mode="max-autotune": Triton and
cuBLAS kernels tuned per shape, CUDA graphs on), what a user who wants PyTorch's fastest
step would write; the optimizer stays eager in both. The first --warmup steps compile,
tune and record the graphs (give it several). Prints one JSON object with the median step
time. With --kernels N, one more step runs under torch.profiler and a second JSON object
lists the N kernels (CUDA) or ops (CPU) that took the most time, each with the family its
name says (Winograd, FFT, implicit GEMM, GEMM, layout transform, other): which algorithms
PyTorch's cuDNN chose (bench/RESULTS.md argues its FP32 step is fast through transforms).

usage: pytorch_convlstm.py [--threads 2] [--steps 3] [--warmup 1] [--batch 16] [--grid 32]
       [--channels 1] [--layers 2] [--hidden 64] [--kernel 5] [--window 8] [--horizon 1]
       [--down 1|2|4] [--features 16] [--device cpu|cuda] [--tf32 0|1] [--bf16 0|1] [--compile 0|1]
       [--deterministic 0|1] [--kernels N]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn


class ConvLSTM(nn.Module):
    def __init__(self, channels, layers, hidden, kernel):
        super().__init__()
        self.layers, self.hidden, self.pad = layers, hidden, kernel // 2
        conv = lambda cin, cout, bias: nn.Conv2d(cin, cout, kernel, padding=self.pad, bias=bias)
        self.enc_x = nn.ModuleList([conv(channels if l == 0 else hidden, 4 * hidden, True) for l in range(layers)])
        self.enc_h = nn.ModuleList([conv(hidden, 4 * hidden, False) for _ in range(layers)])
        self.fc_x = nn.ModuleList([conv(hidden, 4 * hidden, True) for _ in range(1, layers)])
        self.fc_b0 = nn.Parameter(torch.zeros(4 * hidden))
        self.fc_h = nn.ModuleList([conv(hidden, 4 * hidden, False) for _ in range(layers)])
        self.head = nn.Conv2d(layers * hidden, channels, 1)

    @staticmethod
    def gates(a, c):
        i, f, g, o = torch.split(a, a.shape[1] // 4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c

    def forward(self, x, horizon):  # x [window][batch][C][H][W]
        window, batch, _, height, width = x.shape
        inputs, states = x, []
        for l in range(self.layers):
            pre = self.enc_x[l](inputs.reshape(window * batch, *inputs.shape[2:])).reshape(window, batch, -1, height, width)
            h, c, outs = None, x.new_zeros(batch, self.hidden, height, width), []
            for t in range(window):
                a = pre[t] if h is None else pre[t] + self.enc_h[l](h)
                h, c = self.gates(a, c)
                outs.append(h)
            states.append((h, c))
            inputs = torch.stack(outs)
        per_layer, inputs = [], None
        for l in range(self.layers):
            h, c = states[l]
            if l == 0:
                pre = self.fc_b0.view(1, 1, -1, 1, 1).expand(horizon, batch, -1, height, width)
            else:
                pre = self.fc_x[l - 1](inputs.reshape(horizon * batch, *inputs.shape[2:])).reshape(horizon, batch, -1, height, width)
            outs = []
            for s in range(horizon):
                h, c = self.gates(pre[s] + self.fc_h[l](h), c)
                outs.append(h)
            inputs = torch.stack(outs)
            per_layer.append(inputs)
        hs = torch.cat(per_layer, dim=2)
        return self.head(hs.reshape(horizon * batch, *hs.shape[2:])).reshape(horizon, batch, -1, height, width)


class ConvLSTMAE(nn.Module):
    def __init__(self, channels, layers, hidden, kernel, down, features):
        super().__init__()
        stages = {2: 1, 4: 2}[down]
        self.encoder = nn.ModuleList([nn.Conv2d(channels if i == 0 else features, features, 3, stride=2, padding=1)
                                      for i in range(stages)])
        self.core = ConvLSTM(features, layers, hidden, kernel)
        self.decoder = nn.ModuleList([nn.ConvTranspose2d(features, features, 4, stride=2, padding=1)
                                      for _ in range(stages)])
        self.head = nn.Conv2d(features, channels, 1)

    def forward(self, x, horizon):  # x [window][batch][C][H][W]
        window, batch, _, height, width = x.shape
        z = x.reshape(window * batch, *x.shape[2:])
        for conv in self.encoder:
            z = torch.relu(conv(z))
        z = self.core(z.reshape(window, batch, *z.shape[1:]), horizon)
        z = z.reshape(horizon * batch, *z.shape[2:])
        for deconv in self.decoder:
            z = torch.relu(deconv(z))
        y = self.head(z[:, :, :height, :width])
        return y.reshape(horizon, batch, -1, height, width)


# Substrings of kernel names (lower case) and the family they say, first match wins: cuDNN's
# and cuBLAS's kernels name their algorithm (e.g. sm90_xmma_fprop_implicit_gemm_...,
# ..._winograd_..., fft2d_r2c_...), and its layout transforms say nchwToNhwc or the like.
FAMILIES = (("winograd", "winograd"), ("fft", "fft"), ("implicit_gemm", "implicit gemm"),
            ("implicit_convolve", "implicit gemm"), ("wgrad_alg", "filter gradient, cuDNN algo 0/1"), ("dgrad", "data gradient, other"), ("nchwtonhwc", "layout transform"),
            ("nhwctonchw", "layout transform"), ("transpose", "layout transform"), ("gemm", "gemm"),
            ("nvjet", "gemm"), ("conv", "convolution, other"))


def family(name):
    low = name.lower()
    return next((f for key, f in FAMILIES if key in low), "other")


def kernel_times(step, device, top):
    """The `top` kernels (CUDA) or ops (CPU) of one step by their own time, as dicts."""
    from torch.profiler import ProfilerActivity, profile
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
    with profile(activities=activities) as prof:
        step()
    rows = []
    for e in prof.key_averages():
        if device == "cuda":  # kernels only: their device time (named self_cuda_time_total before PyTorch 2.4)
            own = getattr(e, "self_device_time_total", None)
            own = getattr(e, "self_cuda_time_total", 0) if own is None else own
            if getattr(e, "device_type", None) is not None and "CUDA" not in str(e.device_type):
                continue
        else:
            own = e.self_cpu_time_total
        if own > 0:
            rows.append({"name": e.key[:160], "family": family(e.key), "ms": own / 1e3, "calls": e.count})
    rows.sort(key=lambda r: -r["ms"])
    return rows[:top]


def main():
    ap = argparse.ArgumentParser()
    for name, default in dict(threads=2, steps=3, warmup=1, batch=16, grid=32, channels=1, layers=2, hidden=64,
                              kernel=5, window=8, horizon=1, down=1, features=16).items():
        ap.add_argument("--" + name, type=int, default=default)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--tf32", type=int, choices=(0, 1), default=0)
    # bf16 as crimecast's --precision bf16: autocast runs the convolutions on bfloat16
    # inputs (oneDNN on the CPU), parameters, optimizer and loss stay FP32
    ap.add_argument("--bf16", type=int, choices=(0, 1), default=0)
    ap.add_argument("--compile", type=int, choices=(0, 1), default=0)
    # 1: cuDNN's deterministic algorithms only, as crimecast's default; 0: any (PyTorch's default)
    ap.add_argument("--deterministic", type=int, choices=(0, 1), default=0)
    ap.add_argument("--kernels", type=int, default=0)
    a = ap.parse_args()
    if a.compile and not hasattr(torch, "compile"):
        raise SystemExit("--compile 1 needs PyTorch 2 (torch.compile); this is %s" % torch.__version__)
    torch.set_num_threads(a.threads)
    # Equal precision with crimecast: plain FP32 unless --tf32 1 (PyTorch's cuDNN default is TF32).
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = bool(a.tf32)
    torch.backends.cudnn.benchmark = True  # timed choice among the algorithms allowed
    torch.backends.cudnn.deterministic = bool(a.deterministic)
    torch.manual_seed(1)
    dev = torch.device(a.device)
    if a.down == 1:
        model = ConvLSTM(a.channels, a.layers, a.hidden, a.kernel).to(dev)
    else:
        model = ConvLSTMAE(a.channels, a.layers, a.hidden, a.kernel, a.down, a.features).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    forward = torch.compile(model, mode="max-autotune") if a.compile else model
    # CUDA graph trees reuse their outputs' memory: each step tells them a new one begins
    mark_step = getattr(getattr(torch, "compiler", None), "cudagraph_mark_step_begin", None)
    x = torch.rand(a.window, a.batch, a.channels, a.grid, a.grid, device=dev)
    y = torch.randint(0, 3, (a.horizon, a.batch, a.channels, a.grid, a.grid), device=dev).float()
    sync = torch.cuda.synchronize if a.device == "cuda" else (lambda: None)
    times = []

    def step():
        opt.zero_grad()
        if a.compile and mark_step:
            mark_step()
        with torch.autocast(device_type=a.device, dtype=torch.bfloat16, enabled=bool(a.bf16)):
            r = forward(x, a.horizon)
        r = r.float()
        loss = (torch.exp(r) - y * r).mean()
        loss.backward()
        opt.step()
        sync()

    for i in range(a.warmup + a.steps):
        sync()
        start = time.perf_counter()
        step()
        if i >= a.warmup:
            times.append(time.perf_counter() - start)
    print(json.dumps({"framework": "pytorch %s" % torch.__version__, "threads": a.threads, "device": a.device,
                      "gpu": torch.cuda.get_device_name() if a.device == "cuda" else None, "tf32": a.tf32,
                      "bf16": a.bf16, "compile": "max-autotune" if a.compile else None,
                      "deterministic": a.deterministic,
                      "channels": a.channels, "batch": a.batch, "grid": a.grid, "down": a.down,
                      "step_seconds": statistics.median(times), "step_seconds_min": min(times),
                      "mkldnn": torch.backends.mkldnn.is_available()}))
    if a.kernels > 0:
        rows = kernel_times(step, a.device, a.kernels)
        print(json.dumps({"kernels_of": {"tf32": a.tf32, "bf16": a.bf16, "deterministic": a.deterministic,
                                         "compile": a.compile, "batch": a.batch, "grid": a.grid, "down": a.down},
                          "kernels": rows}))


if __name__ == "__main__":
    main()
