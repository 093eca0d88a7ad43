#!/usr/bin/env python3
"""The crimecast command line: exit statuses (0 ok, 1 data/runtime error, 2 usage),
help and version, error messages naming files, the default store, and a small import
whose result is read back with Python's sqlite3. Every command's --help is read back and
each option it lists is put to the parser: the usage and the parser come from one table,
so an option the help names must be known, take a value exactly when the help shows one,
refuse values outside the choices the help lists, and accept its own default.

usage: cli_test.py CRIMECAST
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

CRIMECAST = os.path.abspath(sys.argv[1])
failures = []


def run(*args, cwd=None):
    return subprocess.run([CRIMECAST, *args], capture_output=True, text=True, cwd=cwd)


def check(name, condition, detail=""):
    print("%s %s" % ("ok  " if condition else "FAIL", name))
    if not condition:
        failures.append("%s %s" % (name, detail))


CSV = ("ID,Case Number,Date,Block,IUCR,Primary Type,Description,Location Description,Arrest,"
       "Domestic,Beat,District,Ward,Community Area,FBI Code,X Coordinate,Y Coordinate,Updated On,"
       "Latitude,Longitude\n"
       "1,A1,03/01/2016 01:15:00 PM,X,0820,THEFT,OVER $500,STREET,false,false,1,1,1,1,6,1,1,"
       "03/11/2016 03:48:18 PM,41.88,-87.63\n"
       "2,A2,03/01/2016 01:15:00 PM,X,0820,ROBBERY,ARMED,STREET,false,false,1,1,1,1,6,1,1,"
       "03/11/2016 03:48:18 PM,41.89,-87.64\n"
       "3,A3,03/01/2016 01:15:00 PM,X,0820,ROBBERY,ARMED,STREET,false,false,1,1,1,1,6,,,"
       "03/11/2016 03:48:18 PM,,\n")

p = run("--version")
check("--version exits 0", p.returncode == 0 and re.match(r"crimecast \d+\.\d+\.\d+", p.stdout), p)
p = run()
check("no command is a usage error", p.returncode == 2 and "usage:" in p.stderr, p)
p = run("frobnicate")
check("unknown command is a usage error", p.returncode == 2 and "unknown command 'frobnicate'" in p.stderr, p)
p = run("--help")
check("--help lists import and info", p.returncode == 0 and "import" in p.stdout and "info" in p.stdout, p)
p, q = run("help", "import"), run("import", "--help")
check("help import is import --help", p.returncode == 0 and p.stdout == q.stdout and "usage: crimecast import" in p.stdout, p)
p = run("help", "frobnicate")
check("help of an unknown command is a usage error", p.returncode == 2 and "unknown command 'frobnicate'" in p.stderr, p)
with open("/dev/full", "w") as full:  # a full disk: what went to stdout was cut
    p = subprocess.run([CRIMECAST, "info"], stdout=full, stderr=subprocess.PIPE, text=True)
check("a command whose stdout could not be written exits 1 and says so (eval --json > file on a full disk "
      "exited 0 with half a JSON: found by a probe)",
      p.returncode == 1 and "standard output was not written whole" in p.stderr, p)
p = run("info")
check("info names the backends and the GPU situation",
      p.returncode == 0 and "backends: cpu" in p.stdout and "gpu" in p.stdout, p)
if "cuda" in p.stdout.split("\n")[1]:
    blas = re.search(r"^gpu blas: cuBLAS (\S+) \(opened on the first GPU use\)$", p.stdout, re.M)
    check("info names the cuBLAS a GPU run would open (opened then, not at every start: 0.16 s and 200 MiB)",
          blas is not None and "libcublas.so." in blas.group(1) and os.path.exists(blas.group(1)), p.stdout)
if "cuda" in p.stdout.split("\n")[1] and not os.path.exists("/proc/driver/nvidia"):
    check("info on a machine without the NVIDIA driver says so (it said 'CUDA driver version is insufficient', with "
          "a source path; found by a probe)", "gpu:      none (no NVIDIA driver on this machine" in p.stdout
          and ".cu:" not in p.stdout, p.stdout)
for command, extra in (("train", ["--data", "t.h5", "--out", "m.h5"]), ("predict", ["--model", "m.h5", "--data", "t.h5", "--out", "f.h5"]),
                       ("bench", ["train"])):
    p = run(command, *extra, "--device", "gpu")
    check(command + " --device gpu is a usage error naming the choices",
          p.returncode == 2 and "--device must be auto, cpu or cuda" in p.stderr, p)
    p = run(command, *extra, "--conv", "winograd")
    check(command + " --conv winograd is a usage error naming the choices",
          p.returncode == 2 and "--conv must be auto, gemm, cudnn or onednn" in p.stderr, p)
    # OpenBLAS called from 1000 threads at once crashed bench (exit 139; a probe, 2026-12-06)
    p = run(command, *extra, "--threads", "300")
    check(command + " --threads 300 is a usage error naming the range",
          p.returncode == 2 and "--threads must be a whole number 0-256 (got '300')" in p.stderr, p)
# Hexadecimal is no option's number (strtod takes "0x10" as 16), in the commands' own
# parsers too: each is a usage error quoting it.
for args in (["baseline", "--method", "kde", "--data", "t.h5", "--out", "f.h5", "--bandwidth", "0x10"],
             ["export", "--in", "f.h5", "--time", "2020-01-06", "--out", "h.geojson", "--area", "0x1km2"],
             ["export", "--in", "f.h5", "--time", "2020-01-06", "--out", "h.geojson", "--topk", "0x1"],
             ["train", "--data", "t.h5", "--out", "m.h5", "--memory", "0x1G"]):
    p = run(*args)
    check("%s %s %s is a usage error" % (args[0], args[-2], args[-1]), p.returncode == 2 and args[-1] in p.stderr, p)
# png --all writes a directory: an --out naming a PNG made a directory of that name (a probe)
p = run("png", "--in", "f.h5", "--all", "--out", "frames.PNG")
check("png --all --out frames.PNG is a usage error asking for a directory", p.returncode == 2
      and "--all draws every time step into the directory --out, and 'frames.PNG' names a PNG" in p.stderr
      and not os.path.exists("frames.PNG"), p)
# import --city synthetic: a simulated city has no record files (it took the name and
# failed on the file's header, leaving a store; a probe)
p = run("import", "--city", "synthetic", "--db", "synthetic_import.db", "f.h5")
check("import --city synthetic is a usage error pointing to synth, no store made", p.returncode == 2
      and "city 'synthetic' is simulated" in p.stderr and "crimecast synth makes its records" in p.stderr
      and not os.path.exists("synthetic_import.db"), p)
# a mistyped option: the nearest one suggested (a probe)
p = run("raster", "--city", "chicago", "--grd", "16")
check("raster --grd: unknown, 'did you mean --grid?'", p.returncode == 2
      and "unknown option '--grd' (did you mean --grid?)" in p.stderr, p)
p = run("bench")
check("bench without a benchmark names the one there is", p.returncode == 2
      and "no BENCHMARK given (the benchmark to run: train)" in p.stderr, p)
# --csv and --json are flags writing to stdout: a file named after one, not there, is the
# output meant, not a forecast that "cannot be opened" (a probe)
for flag in ("csv", "json"):
    p = run("eval", "--data", "t.h5", "f.h5", "--" + flag, "m." + flag)
    check("eval --%s m.%s is a usage error saying --%s writes to stdout" % (flag, flag, flag),
          p.returncode == 2 and "m.%s is no forecast file: --%s takes no file and writes the records to stdout "
          "(crimecast eval ... --%s > m.%s)" % (flag, flag, flag, flag) in p.stderr, p)
p = run("baseline", "--method", "etas", "--data", "t.h5", "--out", "f.h5", "--bandwidth", "0")
check("baseline --method etas --bandwidth 0 is a usage error (0 meant 'choose it' inside the fit)",
      p.returncode == 2 and "--bandwidth is the background kernel's width, metres > 0" in p.stderr, p)
# An option of one value given twice with two values: the last is taken, and said.
p = run("bench", "train", "--device", "cpu", "--batch", "2", "--grid", "8", "--hidden", "4", "--steps", "1",
        "--warmup", "0", "--grid", "6", "--grid=6", "--json")
check("an option given twice with other values: the last taken, a warning naming both",
      p.returncode == 0 and json.loads(p.stdout).get("grid") == 6 and p.stderr.count("warning") == 1
      and "warning: --grid given twice ('8', then '6'): the last is taken" in p.stderr, p)
# GPU options on the CPU, and --threads past OMP_THREAD_LIMIT, were taken without a word (a
# probe, 2026-12-07): said in a note, the run as it would be without them
p = subprocess.run([CRIMECAST, "bench", "train", "--device", "cpu", "--batch", "2", "--grid", "8", "--hidden", "4",
                    "--steps", "1", "--warmup", "0", "--json", "--conv", "cudnn", "--deterministic", "off", "--graph",
                    "off", "--threads", "2"], capture_output=True, text=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
check("bench --device cpu with GPU options and --threads 2 under OMP_THREAD_LIMIT=1: run, both said",
      p.returncode == 0 and "note: --conv cudnn, --deterministic off, --graph off: GPU options, not read on the CPU\n"
      in p.stderr and "note: --threads 2: OpenMP allows this process 1 (OMP_THREAD_LIMIT)" in p.stderr, p)
p = run("bench", "train", "--device", "cpu", "--batch", "2", "--grid", "8", "--hidden", "4", "--steps", "1",
        "--warmup", "0", "--json", "--tf32")
plain = run("bench", "train", "--device", "cpu", "--batch", "2", "--grid", "8", "--hidden", "4", "--steps", "1",
            "--warmup", "0")
said = re.search(r"the step's (\S+) GFLOP take (\S+) s at that rate", plain.stdout)
check("bench on a small shape: the step's GFLOP and their time in significant digits (it printed '0.0 GFLOP take "
      "0.0010 s'; a probe)", plain.returncode == 0 and said and float(said.group(1)) > 0 and float(said.group(2)) > 0,
      plain)
check("... and TF32 said to be FP32 there only when asked (the clause followed --conv cudnn alone; a probe)",
      p.returncode == 0 and "note: TF32: GPU options, not read on the CPU (TF32 is FP32 there)" in p.stderr, p)
p = run("bench", "train", "--device", "cpu", "--batch", "2", "--grid", "8", "--hidden", "4", "--steps", "1",
        "--warmup", "0", "--json")
check("... and none of it without them", p.returncode == 0 and "note:" not in p.stderr, p)
# a shape whose int map counts pass 2^31 (65537 x 65536 x 4 maps): refused before anything
# is allocated (its buffers were sized by the wrapped count, and overrun)
p = run("bench", "train", "--device", "cpu", "--grid", "1", "--channels", "1", "--hidden", "1", "--layers", "1",
        "--kernel", "1", "--window", "1", "--batch", "65537", "--horizon", "65536")
check("bench train of a shape past 2^31 maps: refused, saying so", p.returncode != 0
      and "pass 2^31" in p.stderr, p)
# parameters past 2^64 (their count wrapped: 1879270577760489936 in the message; found by a probe)
p = run("bench", "train", "--device", "cpu", "--grid", "100000", "--hidden", "100000", "--kernel", "99999")
check("bench train of parameters past 2^64: out of memory, saying more than 2^58", p.returncode == 1
      and "more than 2^58 parameters, activations or workspace floats" in p.stderr, p)
# a convolution workspace past 2^64 beside few parameters (its size wrapped to a small
# buffer, which the im2col would have overrun)
p = run("bench", "train", "--device", "cpu", "--grid", "100000", "--hidden", "1", "--layers", "1", "--kernel", "99999",
        "--channels", "1", "--batch", "1", "--window", "1")
check("bench train of a workspace past 2^64: out of memory, saying more than 2^58", p.returncode == 1
      and "more than 2^58 parameters, activations or workspace floats" in p.stderr, p)
p = run("bench", "train", "--device", "cpu", "--window", "513")
check("bench train --window 513: a usage error, as train's (it failed at run time)", p.returncode == 2
      and "--window must be a whole number 1-512" in p.stderr, p)
p = run("bench", "train", "--device", "cpu", "--batch", "2", "--grid", "8", "--hidden", "4", "--steps", "3", "--json")
try:
    bench = json.loads(p.stdout)
except ValueError:
    bench = {}
check("bench train --device cpu --json: one object, the config given, a positive step time, the CPU's SGEMM rate",
      p.returncode == 0 and bench.get("device") == "cpu" and bench.get("batch") == 2 and bench.get("grid") == 8
      and bench.get("hidden") == 4 and bench.get("step_seconds", 0) > 0 and bench.get("gemm_tflops_fp32", 0) > 0
      and bench.get("gemm_tflops_tf32") == 0 and bench.get("flop_time_at_gemm_rate", 0) > 0
      and bench.get("cpu_gemm", "") != "", p)
# convlstm-ae at down 4 on a 10 x 10 grid: encoder 10 -> 5 -> 3, a 3 x 3 core, decoder
# 3 -> 6 -> 12 (cropped to 10). Its multiply-adds counted conv by conv, times 2 (FLOPs)
# and 3 (forward and two backward products), less the data gradient of the convolution
# that reads the input (the first strided encoder stage: nothing wants it).
B, G, C, HD, K, WIN, F = 2, 10, 3, 4, 3, 8, 5
p = run("bench", "train", "--device", "cpu", "--batch", str(B), "--grid", str(G), "--channels", str(C), "--hidden",
        str(HD), "--kernel", str(K), "--down", "4", "--features", str(F), "--steps", "1", "--warmup", "0", "--json")
bench = json.loads(p.stdout) if p.returncode == 0 else {}
core = 3 * 3
macs = (4 * HD * F * K * K * core * WIN + 4 * HD * HD * K * K * core * WIN + F * HD * core  # layer 0: input, state, head
        + 4 * HD * HD * K * K * core * (WIN + WIN + 1) + F * HD * core  # layer 1: input, state, forecaster input, head
        + F * C * 9 * 5 * 5 * WIN + F * F * 9 * 3 * 3 * WIN  # strided encoder
        + F * F * 16 * 3 * 3 + F * F * 16 * 6 * 6  # transposed decoder, per coarse input cell
        + C * F * G * G)  # the 1x1 head at full resolution
input_macs = F * C * 9 * 5 * 5 * WIN
want = 6 * B * macs - 2 * B * input_macs
counted = bench.get("step_gflop", 0) * 1e9
check("bench train --down 4: convlstm-ae on a grid down does not divide, its FLOPs as counted by hand (%.0f vs %d)"
      % (counted, want), p.returncode == 0 and bench.get("down") == 4 and bench.get("features") == F
      and abs(counted - want) <= 1e-6 * want, p)
# a plain convlstm of one layer, horizon 2: input over the window, state over window - 1 +
# horizon steps, the 1x1 head over the horizon; no data gradient of the input convolution
B, G, C, HD, K, WIN, H = 2, 8, 3, 4, 3, 4, 2
p = run("bench", "train", "--device", "cpu", "--batch", str(B), "--grid", str(G), "--channels", str(C), "--layers", "1",
        "--hidden", str(HD), "--kernel", str(K), "--window", str(WIN), "--horizon", str(H), "--steps", "1", "--warmup",
        "0", "--json")
input_macs = 4 * HD * C * K * K * G * G * WIN
macs = input_macs + 4 * HD * HD * K * K * G * G * (WIN - 1 + H) + C * HD * G * G * H
want, counted = 6 * B * macs - 2 * B * input_macs, (json.loads(p.stdout).get("step_gflop", 0) * 1e9 if p.returncode == 0 else 0)
check("bench train, one layer, horizon 2: its FLOPs as counted by hand (%.0f vs %d)" % (counted, want),
      abs(counted - want) <= 1e-6 * want, p)
p = run("bench", "train", "--device", "cpu", "--down", "3")
check("bench --down 3 is refused naming the choices", p.returncode != 0 and "--down must be 1, 2 or 4" in p.stderr, p)
p = run("bench", "train", "--device", "cpu", "--batch", "1", "--grid", "4", "--hidden", "2", "--steps", "1", "--features", "8")
check("bench --features without --down 2|4 is named as unused (it was ignored without a word; a probe)",
      p.returncode == 0 and "warning: --features given here is not used by --down 1" in p.stderr, p)
p = run("bench", "train", "--device", "cpu", "--batch", "1", "--grid", "8", "--hidden", "2", "--steps", "1", "--down", "2",
        "--features", "4")
check("... and not with --down 2", p.returncode == 0 and "not used" not in p.stderr, p)
p = run("info")
if re.search(r"^gpu:\s+none", p.stdout, re.M):  # no GPU here (as in CI)
    p = run("bench", "train", "--device", "cuda", "--steps", "1")
    check("bench --device cuda without a GPU exits 1 naming why", p.returncode == 1 and "--device cuda: " in p.stderr, p)
# The GEMM kernels: chosen at start-up, checked against a float64 reference in a child
# process; CRIMECAST_GEMM_FAULT makes a kernel set fail that check (wrong or crashed).
def info_gemm(**env):
    q = subprocess.run([CRIMECAST, "info"], capture_output=True, text=True, env={**os.environ, **env})
    line = re.search(r"^cpu gemm: (.*)$", q.stdout, re.M)
    return q, line.group(1) if line else ""
q, gemm = info_gemm()
conv_line = re.search(r"^cpu conv: (.*)$", q.stdout, re.M)
check("info names the CPU's convolution path", conv_line is not None
      and (conv_line.group(1).startswith("oneDNN v") or conv_line.group(1).startswith("im2col + GEMM")), q.stdout)
for conv in ("auto", "gemm", "onednn"):
    b = run("bench", "train", "--device", "cpu", "--conv", conv, "--batch", "2", "--grid", "8", "--hidden", "4",
            "--steps", "1", "--json")
    want = "gemm" if conv == "gemm" or conv_line.group(1).startswith("im2col") else "onednn"
    if conv == "onednn" and want == "gemm":  # a build without oneDNN refuses it
        check("bench --conv onednn without oneDNN exits 1 naming why", b.returncode == 1 and "oneDNN" in b.stderr, b)
        continue
    check("bench --device cpu --conv %s runs the %s path" % (conv, want),
          b.returncode == 0 and json.loads(b.stdout or "{}").get("conv") == want, b)
b = run("bench", "train", "--device", "cpu", "--tf32", "--precision", "bf16", "--steps", "1")
check("--tf32 with --precision bf16 is refused as contradictory", b.returncode == 2 and "--tf32 and --precision bf16" in b.stderr, b)
for command in (["bench", "train"], ["train", "--data", "t.h5", "--out", "m.h5"], ["predict", "--model", "m.h5", "--data",
                "t.h5", "--out", "f.h5"], ["demo"]):
    b = run(*command, "--device", "cpu", "--conv", "gemm", "--precision", "bf16")
    check("%s --device cpu --conv gemm --precision bf16: a usage error (exit 2), as in every command" % command[0],
          b.returncode == 2 and "runs the CPU's convolutions through oneDNN, not --conv gemm" in b.stderr, b)
b = run("bench", "train", "--device", "cpu", "--precision", "bf16", "--batch", "2", "--grid", "8", "--hidden", "16",
        "--steps", "1", "--json")
if b.returncode == 0:
    check("bench --precision bf16 on the CPU runs oneDNN in bf16", json.loads(b.stdout).get("math") == "bf16"
          and json.loads(b.stdout).get("conv") == "onednn", b)
else:
    check("bench --precision bf16 where it cannot run says why", b.returncode == 1 and ("oneDNN" in b.stderr), b)
for flag, want in (([], "on"), (["--deterministic", "off"], "on")):  # the CPU's ops are deterministic either way
    b = run("bench", "train", "--device", "cpu", *flag, "--batch", "2", "--grid", "8", "--hidden", "4", "--steps", "1",
            "--json")
    check("bench %s on the CPU reports deterministic %s" % (" ".join(flag) or "(default)", want),
          b.returncode == 0 and json.loads(b.stdout or "{}").get("deterministic") == want, b)
# --profile: the ops of the steps, counted by the model's equations: each of the 3 layers
# evaluates its cell's gates once per input step (window 4) and once per output step
# (horizon 2), forward and backward; one optimizer step; the ops' time within the steps'.
b = run("bench", "train", "--device", "cpu", "--batch", "2", "--grid", "8", "--hidden", "4", "--layers", "3",
        "--window", "4", "--horizon", "2", "--steps", "2", "--profile", "--json")
prof = json.loads(b.stdout or "{}") if b.returncode == 0 else {}
calls = {p["op"]: p["calls"] for p in prof.get("profile", [])}
seconds = [p["seconds"] for p in prof.get("profile", [])]
check("bench --profile counts each op per step as the equations say", b.returncode == 0 and prof.get("profile_steps") == 2
      and calls.get("lstm_gates_forward") == 18 and calls.get("lstm_gates_backward") == 18
      and calls.get("adamw_step_guarded") == 1 and calls.get("conv2d_forward", 0) > 0, b)
check("bench --profile: times longest first, their sum within the steps' wall time",
      seconds == sorted(seconds, reverse=True) and all(t >= 0 for t in seconds)
      and abs(sum(seconds) - prof.get("profile_ops_seconds", -1)) < 1e-6 * (len(seconds) + 1)
      and prof.get("profile_ops_seconds", 1) <= prof.get("profile_step_seconds", 0) * 1.0001 + 1e-6, b)
b = run("bench", "train", "--device", "cpu", "--batch", "2", "--grid", "8", "--hidden", "4", "--steps", "1", "--profile")
check("bench --profile prints the time per op under the line", b.returncode == 0
      and re.search(r"time per op, 1 step called one by one", b.stdout)
      and re.search(r"^\s+conv2d_forward\s+[0-9.]+ ms a step", b.stdout, re.M), b)
b = run("bench", "train", "--device", "cpu", "--deterministic", "maybe", "--steps", "1")
check("--deterministic takes on or off", b.returncode != 0 and "--deterministic" in b.stderr and "on or off" in b.stderr, b)
# --conv auto: on the CPU TF32 and --deterministic off leave the CPU's own choice (oneDNN, or
# im2col + GEMM without it); on a GPU with cuDNN TF32 and bf16 take cuDNN, FP32 stays on
# im2col + cuBLAS with --deterministic off too (kernels/device.h, cc_gpu_auto_conv)
for flags in (["--precision", "tf32"], ["--deterministic", "off"]):
    b = run("bench", "train", "--device", "cpu", *flags, "--batch", "2", "--grid", "8", "--hidden", "4", "--steps",
            "1", "--json")
    want = "gemm" if conv_line.group(1).startswith("im2col") else "onednn"
    check("bench --device cpu %s keeps the CPU's %s path" % (" ".join(flags), want),
          b.returncode == 0 and json.loads(b.stdout or "{}").get("conv") == want, b)
gpu_conv = re.search(r"^gpu conv: (.*)$", q.stdout, re.M)
check("info says which GPU convolutions a CUDA build has", (gpu_conv is not None) == ("cuda" in q.stdout.split("\n")[1]),
      q.stdout)
if gpu_conv and not re.search(r"^gpu:\s+none", q.stdout, re.M):
    cudnn = "or cuDNN" in gpu_conv.group(1)  # without it: "(this build has no cuDNN)"
    for flags, want in ((["--precision", "fp32"], "gemm"), (["--precision", "tf32"], "cudnn" if cudnn else "gemm"),
                        (["--deterministic", "off"], "gemm"), (["--precision", "bf16"], "cudnn" if cudnn else "gemm")):
        b = run("bench", "train", "--device", "cuda", *flags, "--batch", "2", "--grid", "8", "--hidden", "4",
                "--steps", "1", "--json")
        check("bench --device cuda %s with --conv auto runs %s" % (" ".join(flags), want),
              b.returncode == 0 and json.loads(b.stdout or "{}").get("conv") == want, b)
b = run("bench", "train", "--device", "cuda", "--conv", "cudnn", "--precision", "bf16", "--batch", "2", "--grid",
        "8", "--hidden", "4", "--steps", "1", "--json")
if re.search(r"^gpu:\s+none", run("info").stdout, re.M):
    check("--device cuda without a GPU is refused, saying so", b.returncode == 1 and "--device cuda" in b.stderr, b)
else:  # cuDNN's bfloat16 convolutions (kernels/cuda/conv2d_cudnn.cu)
    check("bf16 with --conv cudnn runs on a GPU", b.returncode == 0 and json.loads(b.stdout or "{}").get("conv")
          == "cudnn" and json.loads(b.stdout or "{}").get("math") == "bf16", b)
if gemm.startswith("OpenBLAS"):
    loaded = re.search(r"(\w+) kernels", gemm).group(1)
    error = float(re.search(r"largest relative error (\S+)$", gemm).group(1))
    check("info: the GEMM kernels, why, and the check's error", q.returncode == 0 and error < 1e-4
          and ("own pick" in gemm or "OPENBLAS_CORETYPE" in gemm), gemm)
    q, gemm = info_gemm(CRIMECAST_GEMM_FAULT=loaded)
    check("a kernel set with wrong results is dropped for the next", q.returncode == 0
          and "failed the check: %s wrong" % loaded in gemm and not re.match(r"OpenBLAS [^,]*, %s kernels" % loaded, gemm)
          and re.search(r"largest relative error \S+$", gemm), gemm)
    q, gemm = info_gemm(CRIMECAST_GEMM_FAULT=loaded + ":crash")
    check("a kernel set that crashes the check is dropped for the next", q.returncode == 0
          and "%s crashed" % loaded in gemm, gemm)
    q, gemm = info_gemm(CRIMECAST_GEMM_FAULT="%s,Haswell,SkylakeX,Prescott:crash" % loaded)
    check("every kernel set failing leaves the built-in loops", q.returncode == 0
          and gemm.startswith("built-in loops") and "failed the check" in gemm, gemm)
    q = subprocess.run([CRIMECAST, "bench", "train", "--device", "cpu", "--batch", "2", "--grid", "8", "--hidden",
                        "4", "--steps", "2", "--json"], capture_output=True, text=True,
                       env={**os.environ, "CRIMECAST_GEMM_FAULT": "%s,Haswell,SkylakeX,Prescott" % loaded})
    check("the loops train when every kernel set failed", q.returncode == 0
          and json.loads(q.stdout or "{}").get("cpu_gemm", "").startswith("built-in loops"), q)
    q, gemm = info_gemm(OPENBLAS_CORETYPE="Prescott")
    check("OPENBLAS_CORETYPE set by the user is obeyed and said", "Prescott kernels (set by OPENBLAS_CORETYPE)" in gemm,
          gemm)
    q, gemm = info_gemm(OPENBLAS_CORETYPE="Prescott", CRIMECAST_GEMM_FAULT="Prescott")
    check("a user's set that fails the check is named as the user's pick, not OpenBLAS's",
          "OPENBLAS_CORETYPE's pick was Prescott" in gemm or "OPENBLAS_CORETYPE's pick Prescott" in gemm, gemm)
    q, gemm = info_gemm(OPENBLAS_CORETYPE="Katmai")
    check("an OPENBLAS_CORETYPE that OpenBLAS runs on another set (Katmai: Prescott's) is the user's pick",
          "set by OPENBLAS_CORETYPE=Katmai, which OpenBLAS runs on these kernels" in gemm and "not a kernel set"
          not in q.stderr, (q.stderr, gemm))
    q, gemm = info_gemm(OPENBLAS_CORETYPE="Bogus")
    loaded = re.search(r"it loaded (\w+) instead", q.stderr)
    check("an OPENBLAS_CORETYPE OpenBLAS does not know: said, not reported as obeyed, the set it loaded named as the "
          "one kept (it said crimecast chose from the CPU's features instead; a probe, 2026-12-06)",
          "OPENBLAS_CORETYPE=Bogus is not a kernel set" in q.stderr and "set by OPENBLAS_CORETYPE" not in gemm
          and "Bogus kernels" not in gemm and loaded is not None
          and ("%s kernels" % loaded.group(1) in gemm or "OpenBLAS's own pick" not in gemm),  # kept unless a wider set
          (q.stderr, gemm))
else:
    check("info: a build without OpenBLAS says the loops run", gemm.startswith("built-in loops"), gemm)
p = run("info", "--bogus")
check("info rejects arguments", p.returncode == 2, p)
# every command's help within 92 columns: usage lines ran to 165 (bench), hand-broken ones
# no longer lined up (a probe, 2026-12-07)
commands = re.findall(r"^  ([a-z]+) ", run("--help").stdout, re.M)
wide = {c: max(run(c, "--help").stdout.splitlines(), key=len) for c in commands}
wide = {c: line for c, line in wide.items() if len(line) > 92}
check("every command's --help (%d commands) fits 92 columns" % len(commands), len(commands) >= 17 and not wide, wide)
p = run("import", "--help")
check("import --help", p.returncode == 0 and p.stdout.startswith("usage: crimecast import"), p)
p = run("import", "x.csv")
check("import without --city is a usage error", p.returncode == 2 and "--city is required" in p.stderr, p)
p = run("import", "--city", "chicago")
check("import without files is a usage error", p.returncode == 2 and "no FILE" in p.stderr, p)
p = run("import", "--city", "atlantis", "x.csv")
check("unknown city is a usage error", p.returncode == 2 and "atlantis" in p.stderr, p)
with tempfile.TemporaryDirectory() as empty:
    # CRIMECAST_DATA_DIR without cities/ (a typo): said, not passed over for the built-in cities
    p = subprocess.run([CRIMECAST, "raster", "--city", "chicago", "--from", "2020-01-06", "--to", "2020-02-03", "--bin",
                        "week", "--grid", "4", "--db", "s.db", "--out", "t.h5"], capture_output=True, text=True,
                       env={**os.environ, "CRIMECAST_DATA_DIR": empty}, cwd=empty)
    check("CRIMECAST_DATA_DIR without cities/: a usage error naming it", p.returncode == 2
          and "CRIMECAST_DATA_DIR is '%s', which holds no cities/ directory" % empty in p.stderr, p)
with tempfile.TemporaryDirectory() as data_dir:
    # A city definition that is there but broken is no fault of the command line: exit 1
    # naming the file (it was a usage error, 2), and nothing written.
    os.mkdir(os.path.join(data_dir, "cities"))
    broken = os.path.join(data_dir, "cities", "broken.json")
    with open(broken, "w") as f:
        f.write('{"name": "broken", ')
    env = {**os.environ, "CRIMECAST_DATA_DIR": data_dir}
    for args in (("import", "--city", "broken", "x.csv"), ("synth", "--city-name", "broken", "--db", "s.db"),
                 ("raster", "--city", "broken", "--from", "2020-01-06", "--to", "2020-02-03", "--bin", "week",
                  "--grid", "4", "--db", "s.db", "--out", "t.h5"),
                 ("crawl", "--city", "broken", "--from", "2020-01-01", "--to", "2020-02-01", "--db", "s.db")):
        p = subprocess.run([CRIMECAST, *args], capture_output=True, text=True, env=env, cwd=data_dir)
        check("%s: a broken city definition is a runtime error naming the file" % args[0], p.returncode == 1
              and broken in p.stderr and "not a valid JSON city definition" in p.stderr
              and sorted(os.listdir(data_dir)) == ["cities"], p)
    p = subprocess.run([CRIMECAST, "import", "--city", "atlantis", "x.csv"], capture_output=True, text=True, env=env)
    check("beside it, an unknown city is still a usage error listing the known ones", p.returncode == 2
          and "unknown city 'atlantis' (known: broken;" in p.stderr, p)
    # City files a user writes from a shipped one (a probe, 2026-12-07): chicago.json copied
    # as mine.json counted Chicago's incidents as mine's (the store files them under the
    # file's 'name'); api_categories as a list crashed (exit 139); a ring of one point
    # enclosing nothing put every incident outside.
    chicago = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "cities",
                                          "chicago.json")))
    hostile = {"mine": (dict(chicago), "its field 'name' is 'chicago', not 'mine' as its file name is"),
               "apil": (dict(chicago, name="apil", portal=dict(chicago["portal"], api_categories=["theft"])),
                        "portal.api_categories must map slugs to crime type strings"),
               "flat": (dict(chicago, name="flat", boundary={"ring": [[-87.7, 41.8]] * 3}),
                        "'boundary' ring encloses no area")}
    for name, (definition, says) in hostile.items():
        path = os.path.join(data_dir, "cities", name + ".json")
        with open(path, "w") as f:
            json.dump(definition, f)
        for args in (("import", "--city", name, "x.csv"),
                     ("raster", "--city", name, "--from", "2020-01-06", "--to", "2020-02-03", "--bin", "week",
                      "--grid", "4", "--db", "s.db", "--out", "t.h5")):
            p = subprocess.run([CRIMECAST, *args], capture_output=True, text=True, env=env, cwd=data_dir)
            check("%s --city %s: refused naming the file (%s)" % (args[0], name, says), p.returncode == 1
                  and path + ": " + says in p.stderr and sorted(os.listdir(data_dir)) == ["cities"], p)
    # a city file's CRS whose metres are not the ground's: the message said "CRS 'EPSG:3857'
    # stretches distances" as if --crs had given it (a probe)
    with open(os.path.join(data_dir, "cities", "merc.json"), "w") as f:
        json.dump(dict(chicago, name="merc", crs="EPSG:3857"), f)
    store = os.path.join(data_dir, "synth.db")
    subprocess.run([CRIMECAST, "synth", "--db", store, "--from", "2020-01-01", "--to", "2020-01-08"], capture_output=True)
    p = subprocess.run([CRIMECAST, "raster", "--city", "merc", "--db", store, "--from", "2020-01-06", "--to",
                        "2020-02-03", "--bin", "week", "--grid", "4", "--out", "t.h5"], capture_output=True, text=True,
                       env=env, cwd=data_dir)
    check("raster --city merc: the city file's crs named as the city's", p.returncode == 1 and "the city definition of "
          "merc, its 'crs' over its 'bbox' (no --crs given): CRS 'EPSG:3857' stretches distances" in p.stderr
          and not os.path.exists(os.path.join(data_dir, "t.h5")), p)
p = run("import", "--city", "chicago", "--frob", "x.csv")
check("unknown option is a usage error", p.returncode == 2 and "--frob" in p.stderr, p)
p = run("png", "--=x")
check("'--=x' is an unknown option (it was 'ambiguous: it starts' every option)", p.returncode == 2
      and "unknown option '--=x'" in p.stderr and "ambiguous" not in p.stderr, p)
p = run("demo", "x.csv")
check("demo FILE without --city says --city is missing (it said '--city and --file go together' of no --file)",
      p.returncode == 2 and "record files (x.csv, ...) need --city" in p.stderr, p)
for categories, says in ((",", "--categories names no category"), ("burglary,theft,burglary",
                                                                  "--categories names 'burglary' twice"),
                         ("theft,,burglary", "--categories has an empty name"), ("theft,", "has an empty name")):
    p = run("raster", "--city", "chicago", "--from", "2016-01-04", "--to", "2016-02-01", "--bin", "week", "--grid",
            "8", "--categories", categories, "--out", "never.h5")
    check("raster --categories '%s' is a usage error" % categories, p.returncode == 2 and says in p.stderr, p)

for command, says in ((("train", "--data", "never.h5", "--hidden", "16,", "--out", "m.h5"), "--hidden takes channels"),
                      (("eval", "--data", "never.h5", "--topk", "5,5", "f.h5"), "--topk names 5% twice"),
                      (("eval", "--data", "never.h5", "--topk", "5,", "f.h5"), "--topk takes area percentages"),
                      (("eval", "--data", "never.h5", "--area", "1km2,1", "f.h5"), "--area names 1 km2 twice"),
                      (("eval", "--data", "never.h5", "--area", "1km2,", "f.h5"), "--area takes areas"),
                      (("eval", "--data", "never.h5", "--area", "1e9km2", "f.h5"), "below 10^6"),
                      # a PROJ string without +type=crs is an operation to PROJ: it was called not a UTM zone
                      (("raster", "--city", "chicago", "--from", "2016-01-04", "--to", "2016-02-01", "--bin", "week",
                        "--grid", "8", "--crs", "+proj=utm +zone=16 +datum=WGS84 +units=m", "--out", "never.h5"),
                       "is a PROJ operation, not a CRS: add +type=crs")):
    p = run(*command)
    check("%s is a usage error" % " ".join(command), p.returncode == 2 and says in p.stderr, p)
p = run("train", "--data", "never.h5", "--out", "/no-such-dir/m.h5")
check("train checks where it writes before it reads or trains", p.returncode == 1 and "/no-such-dir" in p.stderr
      and "never.h5" not in p.stderr, p)
p = run("eval", "--data", "never.h5", "--topk", "1%,5", "f.h5")
check("eval --topk takes '1%' as export does (it refused it): past the options to the missing file",
      p.returncode == 1 and "never.h5" in p.stderr, p)

with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "small.csv")
    with open(src, "w") as f:
        f.write(CSV)
    missing = os.path.join(tmp, "missing.csv")
    p = run("import", "--city", "chicago", missing, cwd=tmp)
    check("a missing file is a runtime error naming it", p.returncode == 1 and missing in p.stderr, p)
    check("... and makes no store for nothing (an empty crimecast.db was left; found by a probe)",
          not os.path.exists(os.path.join(tmp, "crimecast.db")), os.listdir(tmp))
    # one malformed row after thousands without coordinates: the first rejected row of each
    # reason is named, not only the first five rows (all of them 'no coordinates')
    lines = CSV.splitlines(True)
    many = os.path.join(tmp, "many_rejected.csv")
    with open(many, "w") as f:
        f.write(lines[0] + lines[3] * 7 + "9,A9,03/01/2016 01:15:00 PM,TRUNCATED\n" + lines[1] + lines[2])
    rejected = run("import", "--city", "chicago", "--db", os.path.join(tmp, "rejected.db"), many)
    named = re.findall(r":(\d+): (no coordinates|malformed)", rejected.stderr)
    # a named pipe whose writer waits in open(): import reads it whole, the writer unharmed (a
    # probe's open-and-close of each file, to see that one can be read, ended the writer with
    # SIGPIPE and left import waiting; found by a review)
    pipe = os.path.join(tmp, "records.pipe")
    os.mkfifo(pipe)
    writer = subprocess.Popen([sys.executable, "-c", "import sys; open(sys.argv[1], 'w').write(sys.argv[2])", pipe,
                               CSV])
    try:
        piped = subprocess.run([CRIMECAST, "import", "--city", "chicago", "--db", os.path.join(tmp, "piped.db"), pipe],
                               capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired as e:
        piped = e
    writer.wait(timeout=60)
    check("import of a named pipe: the records stored, the writer ended well",
          getattr(piped, "returncode", None) == 0 and "3 read, 2 inserted" in piped.stdout and writer.returncode == 0,
          (getattr(piped, "stderr", piped), writer.returncode))
    stray = os.path.join(tmp, "stray_quote.csv")
    with open(stray, "w") as f:  # line 2's quote closes in line 4: lines 2-4 one record of too few fields
        f.write(lines[0] + lines[1].replace(",X,", ",\"X,") + lines[2] + lines[1].replace(",OVER $500,", ",OVER $500\",") + lines[2])
    p = run("import", "--city", "chicago", "--db", os.path.join(tmp, "stray.db"), stray)
    check("a stray quote: the row says the lines it swallowed (2-4), not just its field count",
          p.returncode == 0 and "stray_quote.csv:2: malformed row" in p.stderr
          and "a quote opened here closes on line 4, and the 3 lines from here to there were read as this one record"
          in p.stderr, p.stderr)
    open_to_end = os.path.join(tmp, "open_to_end.csv")
    with open(open_to_end, "w") as f:  # line 3's quote never closes: lines 3-6 one record, nothing after it
        f.write(lines[0] + lines[1] + lines[2].replace(",X,", ",\"X,") + lines[2] + lines[1] + lines[2])
    p = run("import", "--city", "chicago", "--db", os.path.join(tmp, "open.db"), open_to_end)
    check("a quote open to the end of the file: the row says how many lines it swallowed (4, to line 6; it said "
          "only that the quote was not closed; a probe)", p.returncode == 0 and "open_to_end.csv:3: malformed row" in
          p.stderr and "the 4 lines from here to the last (line 6) were read as this one record" in p.stderr, p.stderr)
    doubled = os.path.join(tmp, "doubled.csv")
    with open(doubled, "w") as f:  # a second Latitude column: the first was read, without a word (a probe)
        f.write(lines[0].rstrip("\n") + ",Latitude\n" + lines[1].rstrip("\n") + ",0\n")
    p = run("import", "--city", "chicago", "--db", os.path.join(tmp, "doubled.db"), doubled)
    check("a header naming a column it reads twice: the file refused, naming both columns", p.returncode == 1
          and "header (line 1) has two columns named 'Latitude' (columns 19 and 21): which one to read is unclear"
          in p.stderr, p.stderr)
    far = os.path.join(tmp, "far.csv")
    with open(far, "w") as f:  # a latitude of 1e308 was shown in its 309 digits
        f.write(lines[0] + lines[1].replace("41.88,-87.63", "1e308,-87.63"))
    p = run("import", "--city", "chicago", "--db", os.path.join(tmp, "far.db"), far)
    check("a point far outside: its coordinates shown short (lat 1e+308)", p.returncode == 0
          and "far.csv:2: outside the city's area (its bounding box, and its boundary where the city file gives one) "
          "(lat 1e+308, lon -87.63)" in p.stderr, p.stderr)
    check("7 rows without coordinates, then a malformed one: the first 5 named and line 9's malformed row too",
          rejected.returncode == 0 and [int(n) for n, _ in named] == [2, 3, 4, 5, 6, 9]
          and named[-1][1] == "malformed", rejected.stderr)

    # Default store: crimecast.db in the working directory.
    p = run("import", "--city", "chicago", src, cwd=tmp)
    check("import exits 0", p.returncode == 0, p)
    check("summary line", "3 read, 2 inserted, 0 duplicates, 1 rejected (no coordinates 1," in p.stdout, p.stdout)
    check("rejected row shown as file:line", src + ":4: no coordinates" in p.stderr, p.stderr)
    db = os.path.join(tmp, "crimecast.db")
    con = sqlite3.connect(db)
    rows = con.execute("SELECT source_id, occurred, category, raw_type FROM incidents ORDER BY source_id").fetchall()
    check("stored rows", rows == [("1", "2016-03-01 13:15", "theft", "THEFT"),
                                  ("2", "2016-03-01 13:15", "robbery", "ROBBERY")], rows)
    con.close()

    p = run("import", "--city", "chicago", "--db", db, src)
    check("second import inserts 0", p.returncode == 0 and "2 duplicates" in p.stdout and " 0 inserted" in p.stdout, p)

    bad = os.path.join(tmp, "bad.csv")
    with open(bad, "w") as f:
        f.write("when,where\n1,2\n")
    p = run("import", "--city", "chicago", "--db", db, bad, src)
    check("a bad file exits 1, names the file, other files still import",
          p.returncode == 1 and bad in p.stderr and "nothing from this file was stored" in p.stderr
          and "total: 2 files, 1 failed" in p.stdout, p)
    con = sqlite3.connect(db)
    check("store unchanged by the bad file", con.execute("SELECT count(*) FROM incidents").fetchone()[0] == 2)
    con.close()

    notdb = os.path.join(tmp, "notes.txt")
    with open(notdb, "w") as f:
        f.write("this is not a database, only some text that is long enough to look like one\n")
    p = run("import", "--city", "chicago", "--db", notdb, src)
    check("a non-store --db is a runtime error naming it", p.returncode == 1 and notdb in p.stderr, p)


def help_options(text):
    """(name, value, default) of every option row in a usage text; value is None for a
    flag, default None when the row names none. Continuation lines are joined."""
    rows, current = [], None
    for line in text.splitlines():
        m = re.match(r"^  --([a-z0-9-]+)(?: (\S+))?(?:\s+(.*))?$", line)
        if m:
            current = [m.group(1), m.group(2), m.group(3) or ""]
            rows.append(current)
        elif current and line.startswith(" " * 20):
            current[2] += " " + line.strip()
        else:
            current = None
    out = []
    for name, value, help_text in rows:
        d = re.search(r"\(default: ([^)]*)\)\s*$", help_text)
        out.append((name, value, d.group(1) if d else None))
    return out


def check_help(command, prefix):
    p = run(*prefix, "--help")
    check(command + " --help exits 0 with its usage on stdout",
          p.returncode == 0 and p.stdout.startswith("usage: crimecast " + command)
          and p.stdout.rstrip().endswith("print this help and exit") and p.stderr == "", p)
    check(command + " -h is --help", run(*prefix, "-h").stdout == p.stdout)
    options = help_options(p.stdout)
    check(command + " --help lists options", len(options) > 0 or command == "info", p.stdout)
    for name, value, default in options:
        if value is None:
            q = run(*prefix, "--%s=1" % name)
            check("%s --%s is a flag" % (command, name),
                  q.returncode == 2 and "option '--%s' takes no value" % name in q.stderr, q)
            continue
        q = run(*prefix, "--" + name)
        check("%s --%s takes a value" % (command, name),
              q.returncode == 2 and "option '--%s' needs a value" % name in q.stderr, q)
        if "|" in value and not value.startswith(("K|", "all|", "FILE", "SIZE|")):
            choices = value.split("|")
            q = run(*prefix, "--" + name, "zzz")
            words = ", ".join(choices[:-1]) + " or " + choices[-1]
            check("%s --%s refuses a value outside %s" % (command, name, value),
                  q.returncode == 2 and "--%s must be %s (got 'zzz')" % (name, words) in q.stderr, q)
        if default is not None:
            q = run(*prefix, "--" + name, default, "--no-such-option")
            check("%s --%s accepts its default %s" % (command, name, default),
                  q.returncode == 2 and "unknown option '--no-such-option'" in q.stderr
                  and ("--" + name) not in q.stderr, q)


p = run("--help")
commands = re.findall(r"^  ([a-z]+)\s", p.stdout, re.M)
check("--help lists the commands", len(commands) >= 2, p.stdout)
for command in commands:
    check_help(command, ["bench", "train"] if command == "bench" else [command])
    q = run(*(["bench", "train"] if command == "bench" else [command]), "--no-such-option")
    check(command + " refuses an unknown option", q.returncode == 2 and "unknown option '--no-such-option'" in q.stderr
          and "Try 'crimecast %s --help'." % command in q.stderr, q)

print("%d failed of the checks above" % len(failures))
sys.exit(1 if failures else 0)
