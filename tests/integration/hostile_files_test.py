#!/usr/bin/env python3
"""Files crimecast did not write, edited with h5py the way a damaged or crafted file
would be (issue 26): every reader refuses what it cannot use with exit 1 and a message
naming the file and the dataset or attribute, and never crashes (a crash is a negative
return code here, a signal). Also the values a count or a forecast cannot hold (NaN,
negative), a seed ensemble's member count beyond its room, a grid too fine to hold, a
model's non-finite parameter or rates past float's range, an output naming an input. And
imported text that is not UTF-8, stored as Python would decode it.

usage: hostile_files_test.py CRIMECAST
"""
import datetime
import os
import re
import resource
import signal
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, summary  # noqa: E402
from synthetic_tensor import write_tensor  # noqa: E402

CRIMECAST = sys.argv[1]
T, C, H, W = 60, 2, 6, 6


def run(*args):
    return subprocess.run([CRIMECAST, *args], capture_output=True, text=True)


def refused(name, p, *words):
    """Exit 1 (not a crash, not a usage error) and every word in the message."""
    check(name, p.returncode == 1 and all(w in p.stderr for w in words), (p.returncode, p.stderr[-600:]))


def edited(src, dst, edit):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        edit(f)
    return dst


def replace(f, name, data):
    del f[name]
    f[name] = data


def tensor_cases(tmp, tensor):
    """A tensor whose datasets disagree with /counts, or hold what a count cannot be."""
    for name, data in (("time", (16800 + 7 * np.arange(T + 40)).astype(np.int64)),
                       ("mask", np.ones((H + 3, W), np.uint8)), ("x", np.arange(W + 100, dtype=float)),
                       ("category", np.array(["all", "burglary", "theft"], dtype=h5py.string_dtype()))):
        bad = edited(tensor, os.path.join(tmp, "long_%s.h5" % name), lambda f: replace(f, name, data))
        refused("a tensor whose /%s is longer than /counts says is refused" % name,
                run("png", "--in", bad, "--index", "0", "--out", os.path.join(tmp, "x.png")), bad, "/" + name)
    bad = edited(tensor, os.path.join(tmp, "cell_array.h5"),
                 lambda f: f.attrs.__setitem__("cell_size_m", np.full(4096, 500.0)))
    refused("a scalar attribute stored as 4096 doubles is refused",
            run("png", "--in", bad, "--index", "0", "--out", os.path.join(tmp, "x.png")), bad, "cell_size_m")
    fixed = edited(tensor, os.path.join(tmp, "fixed_format.h5"),
                   lambda f: f.attrs.__setitem__("format", np.bytes_(b"crimecast-tensor")))
    p = run("png", "--in", fixed, "--index", "0", "--out", os.path.join(tmp, "x.png"))
    check("a fixed-length string where crimecast writes a variable-length one reads as its text (h5py's bytes)",
          p.returncode == 0, p.stderr)
    bad = edited(tensor, os.path.join(tmp, "number_format.h5"), lambda f: f.attrs.__setitem__("format", 7))
    refused("a number where text is is refused",
            run("png", "--in", bad, "--index", "0", "--out", os.path.join(tmp, "x.png")), bad, "format")
    bad = edited(tensor, os.path.join(tmp, "string_counts.h5"),
                 lambda f: replace(f, "counts", np.full((T, C, H, W), "7", dtype=h5py.string_dtype())))
    refused("/counts of strings is refused", run("png", "--in", bad, "--index", "0", "--out", os.path.join(tmp, "x.png")),
            bad, "/counts")
    png = os.path.join(tmp, "x.png")
    axes = (("y", lambda f: replace(f, "y", f["y"][:][::-1]), "/y[1]", "a /y that rises (drawn upside down)"),
            ("x", lambda f: replace(f, "x", f["x"][:] * 1.5), "/x[1]", "an /x not one cell apart"),
            ("time", lambda f: replace(f, "time", np.concatenate([f["time"][:30], f["time"][30:] + 7])), "/time[30]",
             "a gap in /time (a year of bins is no longer a year)"))
    axes += (("dup", lambda f: replace(f, "category", np.array(["all", "all"], dtype=h5py.string_dtype())),
              "/category names 'all' twice", "a channel name twice"),
             ("empty", lambda f: replace(f, "category", np.array(["all", ""], dtype=h5py.string_dtype())),
              "/category[1] is empty", "an empty channel name"),
             ("slash", lambda f: replace(f, "category", np.array(["all", "../../evil"], dtype=h5py.string_dtype())),
              "/category[1] '../../evil' holds a '/'", "a channel name that would be a path (png --all)"),
             ("newline", lambda f: replace(f, "category", np.array(["all", "a\nb"], dtype=h5py.string_dtype())),
              "a control character", "a channel name with a line break"),
             ("dotdot", lambda f: replace(f, "category", np.array(["all", ".."], dtype=h5py.string_dtype())),
              "or is '.' or '..'", "a channel named '..'"),
             ("version", lambda f: f.attrs.__setitem__("format_version", 99), "format_version 99",
              "a newer format_version"))
    for name, edit, says, what in axes:
        bad = edited(tensor, os.path.join(tmp, "axis_%s.h5" % name), edit)
        refused("a tensor with %s is refused" % what, run("png", "--in", bad, "--index", "0", "--out", png), bad, says)
    for label, value, shown in (("NaN", np.nan, "nan"), ("negative", -1.0, "-1")):
        def poison(f, value=value):
            counts = f["counts"][:]
            counts[50, 1, 2, 3] = value
            replace(f, "counts", counts)
        bad = edited(tensor, os.path.join(tmp, "%s.h5" % label), poison)
        refused("a %s count is refused at reading, naming the bin, channel and cell" % label,
                run("train", "--data", bad, "--out", os.path.join(tmp, "m.h5"), "--epochs", "1", "--threads", "1"),
                bad, "holds " + shown, "bin 50", "channel 'burglary'", "cell row 2, column 3")


def recency_and_size_cases(tmp, tensor):
    """Recency maps hold counts too; a file claims no more than it stores, nor more than
    the process may have (found by tests/fuzz/fuzz_tensor_file)."""
    def nan_recency(f):
        recency = np.zeros((T, 2, C, H, W), np.float32)
        recency[50, 1, 1, 2, 3] = np.nan
        f["recency"] = recency
        f["recency"].attrs["tau_days"] = np.array([1.0, 3.0])
    bad = edited(tensor, os.path.join(tmp, "nan_recency.h5"), nan_recency)
    refused("a NaN in /recency is refused at reading, naming the bin, map, channel and cell",
            run("train", "--data", bad, "--out", os.path.join(tmp, "m.h5"), "--recency", "on", "--epochs", "1",
                "--threads", "1"),
            bad, "/recency holds nan", "bin 50", "map 1", "channel 'burglary'", "cell row 2, column 3")

    def lzf(f):
        counts = f["counts"][:]
        del f["counts"]
        f.create_dataset("counts", data=counts, compression="lzf")  # h5py's own filter, not libhdf5's
    bad = edited(tensor, os.path.join(tmp, "lzf.h5"), lzf)
    refused("counts compressed with LZF (h5py's filter, which HDF5 itself lacks): said so (it said 'missing, "
            "unreadable, or not N values'; found by a probe)",
            run("png", "--in", bad, "--index", "0", "--out", os.path.join(tmp, "x.png")), bad,
            "dataset /counts is compressed with a filter this HDF5 lacks", "filter 32000")

    def with_recency(f):
        f["recency"] = np.zeros((T, 2, C, H, W), np.float32)
        f["recency"].attrs["tau_days"] = np.array([1.0, 3.0])
    timed = edited(tensor, os.path.join(tmp, "timed.h5"), with_recency)
    model = os.path.join(tmp, "timed_m.h5")
    p = run("train", "--data", timed, "--out", model, "--hidden", "2", "--window", "4", "--epochs", "1", "--threads", "1")
    refused("predict with a model that reads recency maps on a tensor without them: says to raster with --recency "
            "on or train with --recency off (it said 'from records with times finer', for a file rastered with "
            "--recency off; found by a probe)",
            run("predict", "--model", model, "--data", tensor, "--out", os.path.join(tmp, "timed_f.h5")),
            "--recency on", "--recency off")

    def unwritten(f):
        del f["counts"]
        f.create_dataset("counts", shape=(4000, 64, 128, 128), chunks=(1, 1, 128, 128), dtype=np.float32)
    bad = edited(tensor, os.path.join(tmp, "unwritten.h5"), unwritten)
    refused("a /counts of 16 GiB that the file does not store is refused before allocating",
            run("png", "--in", bad, "--index", "0", "--out", os.path.join(tmp, "x.png")), bad, "not stored whole")

    with open(CRIMECAST, "rb") as f:
        sanitized = b"__asan_init" in f.read()
    if sanitized:
        print("skip a tensor larger than ulimit -v (AddressSanitizer needs the address space)")
        return
    big = os.path.join(tmp, "big.h5")
    with h5py.File(big, "w") as f:
        for key, value in h5py.File(tensor, "r").attrs.items():
            f.attrs[key] = value
        counts = f.create_dataset("counts", shape=(4096, 8, 128, 128), chunks=(64, 8, 128, 128), dtype=np.float32,
                                  compression="gzip")
        zeros = np.zeros((64, 8, 128, 128), np.float32)
        for b in range(0, 4096, 64):
            counts[b:b + 64] = zeros

    # 1.5 GiB: the program's own libraries (cuBLAS, cuDNN, oneDNN) map about 0.8 GiB.
    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
    # One OpenBLAS thread: its worker threads retry a failed 128 MiB mmap forever under
    # ulimit -v, so the process would hang at exit (OpenBLAS's, not crimecast's).
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    p = subprocess.run([CRIMECAST, "png", "--in", big, "--index", "0", "--out", os.path.join(tmp, "x.png")],
                       capture_output=True, text=True, preexec_fn=limited, env=env, timeout=120)
    refused("a 2 GiB tensor under ulimit -v 1.5 GiB is refused, saying so", p, big,
            "needs 2.0 GiB, more than this process may have (1.5 GiB)")
    # The same shape stored sparse, three entries: every reader makes it dense, and the
    # message says so (it named /sparse/count, of three floats, as needing 2 GiB).
    sparse = os.path.join(tmp, "big_sparse.h5")
    with h5py.File(big, "r") as f, h5py.File(sparse, "w") as g:
        for key, value in f.attrs.items():
            g.attrs[key] = value
        g["time"] = (16800 + 7 * np.arange(4096)).astype(np.int64)
        g["category"] = np.array(["c%d" % c for c in range(8)], dtype=h5py.string_dtype())
        g["y"], g["x"] = 500.0 * (127.5 - np.arange(128)), 500.0 * (np.arange(128) + 0.5)
        g["mask"] = np.ones((128, 128), np.uint8)
        planes = 4096 * 8
        start = np.zeros(planes + 1, np.int64)
        start[1:] = 3  # the three entries are plane 0's
        g["sparse/start"], g["sparse/cell"] = start, np.array([0, 5, 9], np.int32)
        g["sparse/count"] = np.ones(3, np.float32)
    p = subprocess.run([CRIMECAST, "png", "--in", sparse, "--index", "0", "--out", os.path.join(tmp, "x.png")],
                       capture_output=True, text=True, preexec_fn=limited, env=env, timeout=120)
    refused("the same shape stored sparse: refused naming the dense size every reader holds", p, sparse,
            "its counts, 4096 x 8 x 128 x 128 as every reader holds them, take 2.0 GiB")


def forecast_cases(tmp, tensor):
    forecast = os.path.join(tmp, "f.h5")
    p = run("baseline", "--method", "histavg", "--data", tensor, "--out", forecast)
    check("the baseline to edit is written", p.returncode == 0, p.stderr)
    # one file given for the other: said so, not "no 4-D dataset /counts"
    for command in (("train", "--epochs", "1", "--out", os.path.join(tmp, "m.h5")),
                    ("baseline", "--method", "histavg", "--out", os.path.join(tmp, "b.h5"))):
        refused("%s given a forecast as its count tensor says so" % command[0],
                run(command[0], "--data", forecast, *command[1:]), forecast,
                "a forecast (format crimecast-forecast), not a count tensor (raster writes those)")
    for name, p in (("eval", run("eval", "--data", tensor, tensor)),
                    ("png --dataset forecast", run("png", "--in", tensor, "--dataset", "forecast", "--index", "0",
                                                   "--out", os.path.join(tmp, "x.png")))):
        refused("%s given a count tensor as a forecast says so" % name, p, tensor,
                "a count tensor (format crimecast-tensor), not a forecast")
    says_forecast = edited(tensor, os.path.join(tmp, "says_forecast.h5"),
                           lambda f: f.attrs.__setitem__("format", "crimecast-forecast"))
    refused("a count tensor whose format says forecast is refused as a tensor",
            run("train", "--data", says_forecast, "--epochs", "1", "--out", os.path.join(tmp, "m.h5")), says_forecast,
            "a forecast (format crimecast-forecast)")

    def nan(f):
        values = f["forecast"][:]
        values[0, 0, 1, 1] = np.nan
        replace(f, "forecast", values)
    odd = edited(forecast, os.path.join(tmp, "escape_name.h5"), lambda f: f.attrs.__setitem__("model", "a\x1b[31mred"))
    p = run("eval", "--data", tensor, odd)
    check("a model name with an escape sequence: eval's table shows it as \\x1b, not raw (found by a probe)",
          p.returncode == 0 and "\x1b" not in p.stdout and "a\\x1b[31mred" in p.stdout.lower(), p.stdout[:300])
    for value in (0, -3, 2.5, 2 ** 40, "one"):
        bad = edited(forecast, os.path.join(tmp, "horizon.h5"), lambda f, v=value: f.attrs.__setitem__("horizon", v))
        refused("a forecast whose horizon attribute is %r is refused, naming it (it was scored; found by a probe)"
                % value, run("eval", "--data", tensor, forecast, bad), bad, "root attribute horizon is not a whole")
    no_horizon = edited(forecast, os.path.join(tmp, "horizon.h5"), lambda f: f.attrs.__delitem__("horizon"))
    p = run("eval", "--data", tensor, forecast, no_horizon)
    check("a forecast without a horizon attribute (another tool's) is scored, with no note of '0 bin(s) ahead'",
          p.returncode == 0 and "bin(s) ahead" not in p.stderr, p.stderr)

    def onto_training_weeks(f):  # /time moved back a year, first_bin and last_bin left as they were
        replace(f, "time", f["time"][:] - 7 * 52)
    bad = edited(forecast, os.path.join(tmp, "time_moved.h5"), onto_training_weeks)
    with h5py.File(forecast, "r") as f:
        first = f.attrs["first_bin"]
        moved_first = str(np.datetime64("1970-01-01") + np.timedelta64(int(f["time"][0]) - 7 * 52, "D"))
    refused("a forecast whose /time was moved onto the training weeks, first_bin left, is refused naming both (it was "
            "scored as a forecast of them; found by a probe)", run("eval", "--data", tensor, bad), bad,
            "root attribute first_bin is '%s', but /time's first bin is %s, before it" % (first, moved_first))
    bad = edited(forecast, os.path.join(tmp, "last_bin_odd.h5"),
                 lambda f: f.attrs.__setitem__("last_bin", "1999-01-01"))
    refused("a forecast whose last_bin is before /time's last bin is refused naming it",
            run("eval", "--data", tensor, bad), bad, "root attribute last_bin is '1999-01-01', but /time's last bin is",
            "after it")
    bad = edited(forecast, os.path.join(tmp, "last_bin_junk.h5"), lambda f: f.attrs.__setitem__("last_bin", "soon"))
    refused("a forecast whose last_bin is no date is refused naming it", run("eval", "--data", tensor, bad), bad,
            "root attribute last_bin is 'soon': not a date")
    appended = edited(tensor, os.path.join(tmp, "appended.h5"), lambda f: f.attrs.__setitem__("last_bin", "1999-01-01"))
    p = run("png", "--in", appended, "--index", "0", "--out", os.path.join(tmp, "x.png"))
    check("a count tensor whose last_bin /time has passed (weeks appended with h5py) is read, by /time", p.returncode == 0,
          p.stderr)

    def sliced(f):  # bins 2 .. 5 kept with h5py, the attributes copied as they were: read
        for name in ("forecast", "time"):
            part = f[name][2:6]
            replace(f, name, part)
    part = edited(forecast, os.path.join(tmp, "sliced.h5"), sliced)
    p = run("eval", "--data", tensor, part)
    check("a forecast sliced with h5py, first_bin and last_bin left as they were, is scored", p.returncode == 0,
          p.stderr)
    huge = edited(tensor, os.path.join(tmp, "huge_count.h5"),
                  lambda f: f["counts"].__setitem__((3, 1, 2, 2), np.float32(3e38)))
    refused("a count of 3e38 is refused naming bin, channel and cell (it trained, at a loss of 1.5e34; a probe)",
            run("train", "--data", huge, "--epochs", "1", "--out", os.path.join(tmp, "m_huge.h5")), huge,
            "at bin 3", "channel 'burglary', cell row 2, column 2", "at most 2^24")
    p = run("png", "--in", edited(tensor, os.path.join(tmp, "top_count.h5"),
                                  lambda f: f["counts"].__setitem__((3, 1, 2, 2), np.float32(2 ** 24))),
            "--index", "3", "--category", "burglary", "--out", os.path.join(tmp, "top.png"))
    check("a count of exactly 2^24 is read", p.returncode == 0, p.stderr)
    nudged = edited(forecast, os.path.join(tmp, "nudged_cell.h5"),
                    lambda f: f.attrs.__setitem__("cell_size_m", float(f.attrs["cell_size_m"]) * (1 + 1e-9)))
    p = run("eval", "--data", tensor, nudged)
    sizes = re.findall(r"cells of (\S+) m in .*, not \d+ x \d+ of (\S+) m in", p.stderr)
    check("a forecast whose cells differ by 1e-9: refused, the two sizes shown apart (it said '500 m ..., not ... of "
          "500 m'; found by a probe)", p.returncode == 1 and len(sizes) == 1 and sizes[0][0] != sizes[0][1], p.stderr)
    def fixed_text(f):  # as h5py writes bytes, and netCDF its text: strings of one fixed size
        for key in ("format", "model", "bin", "city", "crs"):
            f.attrs.create(key, np.bytes_(f.attrs[key].encode()))
        replace(f, "category", np.array([c.encode() for c in f["category"].asstr()[:]], dtype="S16"))
    fixed = edited(forecast, os.path.join(tmp, "fixed_text.h5"), fixed_text)
    with h5py.File(fixed, "r") as f:
        stored_fixed = not f.attrs.get_id("format").get_type().is_variable_str() and f["category"].dtype.kind == "S"
    p, q = run("eval", "--data", tensor, forecast), run("eval", "--data", tensor, fixed)
    check("a forecast whose texts are fixed-size strings (h5py's bytes) reads as the same forecast: the same table "
          "(it was 'not a crimecast tensor or forecast file'; found by a probe)",
          stored_fixed and p.returncode == 0 and q.returncode == 0 and p.stdout == q.stdout, (stored_fixed, q.stderr))
    bad = edited(forecast, os.path.join(tmp, "nan_forecast.h5"), nan)
    refused("a NaN in a forecast is refused, not scored (eval used to spin)",
            run("eval", "--data", tensor, bad), bad, "holds nan")

    def moved(f):  # and its first_bin with it, as a tool writing its own forecast would
        days = f["time"][:]
        days[0] += 3
        replace(f, "time", days)
        f.attrs["first_bin"] = str(np.datetime64("1970-01-01") + np.timedelta64(int(days[0]), "D"))
    bad = edited(forecast, os.path.join(tmp, "moved.h5"), moved)
    day = 16800 + 7 * int(np.floor(0.85 * T + 0.5)) + 3
    date = str(np.datetime64("1970-01-01") + np.timedelta64(day, "D"))
    refused("a forecast bin the tensor lacks is named by its date", run("eval", "--data", tensor, bad), date)


def model_cases(tmp, tensor):
    model = os.path.join(tmp, "m.h5")
    p = run("train", "--data", tensor, "--out", model, "--hidden", "2", "--window", "4", "--epochs", "1",
            "--threads", "1", "--seeds", "2")
    check("the model to edit is written", p.returncode == 0, p.stderr)
    out = os.path.join(tmp, "mf.h5")
    bad = edited(model, os.path.join(tmp, "scale.h5"), lambda f: replace(f, "norm/scale", np.ones(4096, np.float32)))
    refused("a model whose /norm/scale holds 4096 floats is refused",
            run("predict", "--model", bad, "--data", tensor, "--out", out), bad, "/norm/scale")
    for finished in (16, 99):
        bad = edited(model, os.path.join(tmp, "members_%d.h5" % finished),
                     lambda f, n=finished: f.attrs.__setitem__("members_finished", n))
        refused("members_finished = %d is refused by predict" % finished,
                run("predict", "--model", bad, "--data", tensor, "--out", out), bad)
        refused("members_finished = %d is refused by train --resume" % finished,
                run("train", "--data", tensor, "--resume", bad, "--out", os.path.join(tmp, "r.h5")), bad)
    bad = edited(model, os.path.join(tmp, "zero_scale.h5"),
                 lambda f: replace(f, "norm/scale", np.array([0.0, 1.0], np.float32)))
    refused("a model whose normalisation scale is 0 is refused (found by tests/fuzz/fuzz_model_file)",
            run("predict", "--model", bad, "--data", tensor, "--out", out), bad, "/norm/scale[0] is 0")
    bad = edited(model, os.path.join(tmp, "recency.h5"), lambda f: f.attrs.__setitem__("recency", 1103344161))
    refused("a model whose recency attribute is huge is refused (its message overflowed an int: "
            "tests/fuzz/fuzz_model_file under UBSan)",
            run("predict", "--model", bad, "--data", tensor, "--out", out), bad, "recency (1103344161)")
    # an output of another crimecast kind: refused before any work, the file as it was
    # (train --out naming a tensor made it a model, unsaid; a probe)
    tensor_copy, model_copy = os.path.join(tmp, "tensor_copy.h5"), os.path.join(tmp, "model_copy.h5")
    shutil.copy(tensor, tensor_copy), shutil.copy(model, model_copy)
    for command, target, there, writes in (
            (("train", "--data", tensor, "--epochs", "1", "--hidden", "2", "--window", "4"), tensor_copy,
             "count tensor file (format 'crimecast-tensor')", "model"),
            (("predict", "--model", model, "--data", tensor), model_copy, "model file (format 'crimecast-model')",
             "forecast"),
            (("baseline", "--method", "histavg", "--data", tensor), tensor_copy,
             "count tensor file (format 'crimecast-tensor')", "forecast")):
        before = open(target, "rb").read()
        p = run(*command, "--out", target)
        refused("%s --out naming a %s is refused, the file kept" % (command[0], there.split(" (")[0]), p, target,
                "is a %s, which this %s file would replace: name another file" % (there, writes))
        check("... %s unchanged" % target, open(target, "rb").read() == before)
    for name in ("baseline_k", "context", "skip"):
        bad = edited(model, os.path.join(tmp, "no_%s.h5" % name), lambda f, n=name: f.attrs.__delitem__(n))
        refused("a model file without its %s attribute (split_protocol kept) is refused naming it (read as none: a "
                "forecast 36%% low; a probe)" % name, run("predict", "--model", bad, "--data", tensor, "--out", out),
                bad, "attribute %s is missing, which every model file with split_protocol has" % name)

    def older(f):  # as a file from before split_protocol and the baseline
        for name in ("split_protocol", "baseline_k"):
            del f.attrs[name]
    p = run("predict", "--model", edited(model, os.path.join(tmp, "older.h5"), older), "--data", tensor, "--out",
            os.path.join(tmp, "older_f.h5"))
    check("... one from before split_protocol without baseline_k is read (as no baseline)", p.returncode == 0, p.stderr)

    def poisoned(f):
        values = f["params/head.b"][:]
        values.flat[0] = np.nan
        replace(f, "params/head.b", values)
    bad = edited(model, os.path.join(tmp, "nan_param.h5"), poisoned)
    refused("a NaN parameter is refused by predict, named (it forecast zeros silently)",
            run("predict", "--model", bad, "--data", tensor, "--out", out), bad, "/params/head.b holds nan")
    refused("a NaN parameter is refused by train --resume",
            run("train", "--data", tensor, "--resume", bad, "--out", os.path.join(tmp, "r.h5")), "/params/head.b holds nan")
    huge = edited(model, os.path.join(tmp, "huge_bias.h5"),
                  lambda f: replace(f, "params/head.b", np.full(f["params/head.b"].shape, 200.0, np.float32)))
    p = run("predict", "--model", huge, "--data", tensor, "--out", out)
    refused("a model whose rates pass float's range (e^200): no forecast of inf is written", p, out, "holds inf",
            "not written")
    check("... and no file under its name", not os.path.exists(out))
    before = open(model, "rb").read()
    p = run("predict", "--model", model, "--data", tensor, "--out", model)
    check("predict --out naming its --model: a usage error, the model untouched",
          p.returncode == 2 and "same file" in p.stderr and open(model, "rb").read() == before, p.stderr)
    # two outputs of one command naming one file: the second write replaced the first (synth
    # wrote its oracle forecast over the incident store; found by a probe on 2026-12-06)
    store = os.path.join(tmp, "written_twice.db")
    p = run("synth", "--db", store, "--from", "2020-01-06", "--to", "2020-01-20")
    before = open(store, "rb").read() if p.returncode == 0 else b""
    p = run("synth", "--db", store, "--oracle", store, "--data", tensor)
    check("synth --db S --oracle S: a usage error naming both, the store untouched", p.returncode == 2
          and "--db %s and --oracle %s are the same file" % (store, store) in p.stderr
          and before and open(store, "rb").read() == before, p.stderr)
    p = run("synth", "--db", store, "--out", store, "--from", "2020-01-06", "--to", "2020-01-20")
    check("... but --db S --out S, one option under two names, is taken", p.returncode == 0, p.stderr)
    # an incident store named as any command's output (raster's, report's, png's --out): it
    # was replaced (a typo, days of crawling; a probe and a reviewer)
    before = open(store, "rb").read()
    p = run("png", "--in", tensor, "--index", "0", "--out", store)
    check("png --out naming an incident store: refused, the store as it was", p.returncode == 1
          and "an SQLite database is there (an incident store?)" in p.stderr and open(store, "rb").read() == before,
          p.stderr)
    # the names SQLite reads otherwise: an empty one and ':memory:' are temporary databases
    # (every incident stored was lost, exit 0), a 'file:' one a URI (another file was written)
    for name in ("", ":memory:"):
        p = run("synth", "--db", name, "--from", "2020-01-06", "--to", "2020-01-20")
        check("synth --db '%s': refused as SQLite's temporary database (it stored into nothing, exit 0)" % name,
              p.returncode == 1 and "temporary database" in p.stderr, p.stderr)
    p = subprocess.run([os.path.abspath(CRIMECAST), "synth", "--db", "file:uri.db", "--from", "2020-01-06", "--to", "2020-01-20"],
                       capture_output=True, text=True, cwd=tmp)
    check("synth --db file:uri.db stores into the file of that name, not uri.db (a URI to SQLite)",
          p.returncode == 0 and os.path.exists(os.path.join(tmp, "file:uri.db"))
          and not os.path.exists(os.path.join(tmp, "uri.db")), (p.stderr, os.listdir(tmp)))
    new = os.path.join(tmp, "new_output.csv")
    p = run("baseline", "--method", "rf", "--data", tensor, "--out", new, "--importance",
            os.path.join(tmp, ".", "new_output.csv"), "--trees", "2", "--depth", "2")
    check("baseline --out F --importance ./F (a file not there yet): a usage error, nothing written",
          p.returncode == 2 and "are the same file" in p.stderr and not os.path.exists(new), p.stderr)
    # the files --export-features PREFIX writes were checked against nothing: the input
    # tensor, the importance table or the forecast was replaced by a feature CSV (a probe)
    as_features = os.path.join(tmp, "x_train.csv")
    shutil.copy(tensor, as_features)
    before = open(as_features, "rb").read()
    p = run("baseline", "--method", "rf", "--data", as_features, "--out", os.path.join(tmp, "rf_x.h5"),
            "--trees", "2", "--depth", "2", "--export-features", os.path.join(tmp, "x"))
    check("baseline --data x_train.csv --export-features x: a usage error, the tensor untouched", p.returncode == 2
          and "x_train.csv (written for --export-features) and --data " in p.stderr and "are the same file" in p.stderr
          and open(as_features, "rb").read() == before and not os.path.exists(os.path.join(tmp, "rf_x.h5")), p.stderr)
    p = run("baseline", "--method", "rf", "--data", tensor, "--out", os.path.join(tmp, "rf_y.h5"), "--trees", "2",
            "--depth", "2", "--export-features", os.path.join(tmp, "y"), "--importance", os.path.join(tmp, "y_test.csv"))
    check("baseline --export-features y --importance y_test.csv: a usage error, nothing written", p.returncode == 2
          and "y_test.csv (written for --export-features) and --importance" in p.stderr
          and not os.path.exists(os.path.join(tmp, "rf_y.h5")), p.stderr)
    named = (("window", 0, "attribute window is 0, outside 1 .. 512"),
             ("layers", 3, "attribute hidden holds 1 layer sizes, layers says 3"),
             ("loss", "hinge", "attribute loss is 'hinge'"),
             ("kernel", None, "attribute kernel is missing"),
             ("lr", "fast", "attribute lr is missing or not a number"),
             ("city", None, "attribute city is missing or not text"),
             ("window", 2 ** 32 + 8, "attribute window is 4294967304, past an int"),  # was read as 8, accepted
             # these two said only "inconsistent or of an unknown value" before
             ("bin", "fortnight", "attribute bin is 'fortnight', not day, week or month"),
             ("period_lag", 9999, "attribute period_lag is 9999, outside 0 .. 512"),
             ("x0", float("nan"), "attribute x0 is nan"),  # matched every tensor's grid (found by review)
             ("layers", 9, "attribute layers is 9, outside 1 .. 4"),
             # read as 4 (found by a probe on 2026-12-06)
             ("window", 4.5, "attribute window is missing or not a whole number"))
    for attribute, value, says in named:
        def set_or_drop(f, attribute=attribute, value=value):
            if value is None:
                del f.attrs[attribute]
            else:
                f.attrs[attribute] = value
        bad = edited(model, os.path.join(tmp, "attr_%s.h5" % attribute), set_or_drop)
        refused("a model whose %s attribute is damaged: the message names it" % attribute,
                run("predict", "--model", bad, "--data", tensor, "--out", out), bad, says)
    # Attributes train never writes together, and damaged weights (each taken before, found
    # by a probe on 2026-12-06): a NaN best_val let no later epoch be saved as better; the
    # mse loss with a baseline forecast 96 crimes a cell for 4; convlstm-ae with down 1 ran
    # as a convlstm; a flipped byte in a weight was read as another weight.
    def loss_with_baseline(f):
        f.attrs["loss"], f.attrs["baseline_k"] = "mse", 4
    for name, edit, command, says in (
            ("nan_best_val.h5", lambda f: f.attrs.__setitem__("best_val", np.nan), "train",
             "attribute best_val is nan with best_epoch"),
            ("mse_baseline.h5", loss_with_baseline, "predict", "attributes loss 'mse' and baseline_k 4"),
            ("ae_down1.h5", lambda f: f.attrs.__setitem__("model", "convlstm-ae"), "predict",
             "attribute model is 'convlstm-ae' but down is 1")):
        bad = edited(model, os.path.join(tmp, name), edit)
        args = (["train", "--data", tensor, "--resume", bad, "--out", os.path.join(tmp, "r.h5")] if command == "train"
                else ["predict", "--model", bad, "--data", tensor, "--out", out])
        refused("a model file with %s: refused by %s, naming it" % (name[:-3], command), run(*args), bad, says)
    flipped = os.path.join(tmp, "flipped_weight.h5")
    shutil.copy(model, flipped)
    with h5py.File(flipped, "r") as f:
        at = f["params/head.b"].id.get_chunk_info(0).byte_offset
    with open(flipped, "r+b") as f:
        f.seek(at)
        byte = f.read(1)[0]
        f.seek(at)
        f.write(bytes([byte ^ 0x02]))
    refused("a flipped byte in a weight: refused by its checksum, naming the dataset",
            run("predict", "--model", flipped, "--data", tensor, "--out", out), flipped, "/params/head.b cannot be "
            "read whole: the file is damaged")
    bad = edited(model, os.path.join(tmp, "no_best_val.h5"), lambda f: f.attrs.__delitem__("best_val"))
    refused("a model without best_val is refused by train --resume, naming it",
            run("train", "--data", tensor, "--resume", bad, "--out", os.path.join(tmp, "r.h5")), bad,
            "attribute best_val is missing or not a number")
    def negative(f):
        f.attrs["epochs_done"], f.attrs["best_epoch"] = -500, -500
    bad = edited(model, os.path.join(tmp, "negative_epochs.h5"), negative)
    refused("a negative epochs_done is refused by train --resume (it indexed the loss history below its start; "
            "found by review)", run("train", "--data", tensor, "--resume", bad, "--out", os.path.join(tmp, "r.h5")),
            bad, "attribute epochs_done is -500")
    # An ensemble stopped as its second member began (its root untrained: epochs_done 0):
    # inspect shows the finished member, the --seeds 1 model alone (it showed the untrained
    # one without a word; found by a probe).
    single = os.path.join(tmp, "single.h5")
    p = run("train", "--data", tensor, "--out", single, "--hidden", "2", "--window", "4", "--epochs", "1",
            "--threads", "1")
    begun = edited(model, os.path.join(tmp, "begun.h5"), lambda f: f.attrs.__setitem__("epochs_done", 0))
    shown = {}
    for name, path in (("single", single), ("begun", begun)):
        q = run("inspect", "--model", path, "--data", tensor, "--index", "30", "--out", os.path.join(tmp, "i_" + name))
        shown[name] = (q, h5py.File(os.path.join(tmp, "i_" + name, "inspect.h5"), "r")["forecast"][()]
                       if q.returncode == 0 else None)
    q, got = shown["begun"]
    check("inspect of an ensemble whose member 2 is untrained: member 1 shown, said so, its forecast the lone model's",
          p.returncode == 0 and got is not None and shown["single"][1] is not None
          and np.array_equal(got, shown["single"][1]) and "member 2 of 2 is untrained" in q.stderr
          and "showing member 1 (seed 1)" in q.stderr, (p.stderr, q.stderr))
    short = os.path.join(tmp, "short.h5")
    with h5py.File(tensor, "r") as f:
        write_tensor(short, f["counts"][:3], f["mask"][:], ["all", "burglary"], created_by="hostile_files_test.py")
    refused("inspect of a model whose window (4 bins) is longer than the tensor (3 bins): refused, saying so (it read "
            "the time of bin 4 of 3 for its message; found by review)",
            run("inspect", "--model", model, "--data", short, "--index", "2", "--out", os.path.join(tmp, "inspect")),
            short, "3 bins", "window of 4 bins")
    for attribute, value, says in (("format_version", 99, "attribute format_version is 99; this crimecast reads version 1"),
                                   ("model", "transformer", "attribute model is 'transformer', not convlstm"),
                                   ("gate_order", "gifo", "attribute gate_order is not 'ifgo'")):
        bad = edited(model, os.path.join(tmp, "attr_%s.h5" % attribute),
                     lambda f, a=attribute, v=value: f.attrs.__setitem__(a, v))
        refused("a model whose %s is %r is refused (it was read as this version's convlstm; found by a probe)"
                % (attribute, value), run("predict", "--model", bad, "--data", tensor, "--out", out), bad, says)

    def negative_v(f):
        name = sorted(f["optim/v"])[0]
        values = f["optim/v/" + name][:]
        values.flat[0] = -1.0
        replace(f, "optim/v/" + name, values)
    bad = edited(model, os.path.join(tmp, "negative_v.h5"), negative_v)
    refused("a negative AdamW second moment is refused by train --resume, named (it trained to 'loss became nan: "
            "a lower --lr'; found by a probe)", run("train", "--data", tensor, "--resume", bad, "--out",
                                                    os.path.join(tmp, "r.h5")), bad, "/optim/v/", "never negative")
    inspected = os.path.join(tmp, "inspect_inf")
    refused("inspect of a model whose rates pass float's range: refused as predict refuses it, nothing written (it "
            "wrote forecast inf, saliency NaN; found by a probe)",
            run("inspect", "--model", huge, "--data", tensor, "--index", "30", "--out", inspected), huge,
            "its forecast is inf")
    check("... and no directory made", not os.path.exists(inspected))
    bad = edited(model, os.path.join(tmp, "wide.h5"), lambda f: f.attrs.__setitem__("channels", 100000))
    refused("a model asking for 100000 channels is refused before allocating",
            run("predict", "--model", bad, "--data", tensor, "--out", out), bad, "attribute channels is 100000, outside 1 .. 64")


def empty_store(tmp):
    """An incident store with no incident of Chicago in it: a week of the synthetic city's
    (a file of no bytes is refused as no store yet; raster refuses a --db where there is
    none)."""
    path = os.path.join(tmp, "none.db")
    if not os.path.exists(path):
        p = run("synth", "--db", path, "--from", "2020-01-01", "--to", "2020-01-08")
        check("a store of no Chicago incident made (synth)", p.returncode == 0, p.stderr)
    return path


def grid_case(tmp):
    empty_store(tmp)
    p = run("raster", "--city", "chicago", "--db", os.path.join(tmp, "none.db"), "--from", "2020-01-06",
            "--to", "2020-02-03", "--bin", "week", "--cell", "1", "--out", os.path.join(tmp, "fine.h5"))
    refused("a grid of 1 m cells over Chicago is refused before allocating", p, "at most 8192 a side")
    empty = os.path.join(tmp, "empty.h5")
    p = run("raster", "--city", "chicago", "--db", os.path.join(tmp, "none.db"), "--from", "2020-01-06",
            "--to", "2020-02-03", "--bin", "week", "--grid", "8", "--out", empty)
    refused("a span without incidents is not rastered into a tensor of zeros", p, "no incident of chicago counted")
    check("... and no file is written", not os.path.exists(empty))


def empty_mask_case(tmp, tensor):
    """A tensor whose mask holds no cell: every loss and score is a mean over the mask, so
    train (which saved a model of loss 0), baseline and eval (a table of nan) refuse it, as
    do png and export (a grey picture, "scale 0 .. 1"): the reader every command shares."""
    bad = edited(tensor, os.path.join(tmp, "no_cells.h5"), lambda f: replace(f, "mask", np.zeros((H, W), np.uint8)))
    forecast = os.path.join(tmp, "f_for_empty.h5")
    p = run("baseline", "--method", "histavg", "--data", tensor, "--out", forecast)
    check("a forecast to score against the empty mask", p.returncode == 0, p.stderr)
    for args in (["train", "--data", bad, "--out", os.path.join(tmp, "m0.h5"), "--epochs", "1"],
                 ["baseline", "--method", "persistence", "--data", bad, "--out", os.path.join(tmp, "b0.h5")],
                 ["eval", "--data", bad, forecast],
                 ["png", "--in", bad, "--index", "0", "--out", os.path.join(tmp, "p0.png")],
                 ["export", "--in", bad, "--all", "--out", os.path.join(tmp, "e0.tif")]):
        refused("%s refuses a tensor whose mask holds no cell" % args[0], run(*args), bad, "the mask holds no cell")


def crs_case(tmp, tensor):
    """A grid's cells are measured in metres (cell_size_m, kde bandwidths, areas): a tensor
    in degrees or US feet, or in a CRS PROJ does not know, is refused by the reader every
    command shares (png, export, baseline and eval accepted one in degrees before)."""
    forecast = os.path.join(tmp, "f_for_crs.h5")
    p = run("baseline", "--method", "histavg", "--data", tensor, "--out", forecast)
    check("a forecast to score against a tensor in degrees", p.returncode == 0, p.stderr)
    cases = (("EPSG:4326", "is not a projected CRS in metres"), ("EPSG:2263", "is not a projected CRS in metres"),
             ("EPSG:999999", "unknown CRS 'EPSG:999999'"), ("EPSG:\x01", "unknown CRS 'EPSG:\\x01'"),
             ("", "the CRS is empty"), ("+proj=utm +zone=16 +ellps=WGS84 +units=m +no_defs +type=crs +k_0=0.9996 +x_0=5e5",
                                        "a CRS of 80 characters: at most 63"))
    for i, (crs, says) in enumerate(cases):
        bad = edited(tensor, os.path.join(tmp, "crs_%d.h5" % i), lambda f, crs=crs: f.attrs.__setitem__("crs", crs))
        for args in (["png", "--in", bad, "--index", "0", "--out", os.path.join(tmp, "crs.png")],
                     ["baseline", "--method", "persistence", "--data", bad, "--out", os.path.join(tmp, "crs_b.h5")],
                     ["eval", "--data", bad, forecast]):
            refused("%s refuses a tensor in %s" % (args[0], crs), run(*args), bad, "root attribute crs", says)
    p = run("png", "--in", tensor, "--index", "0", "--out", os.path.join(tmp, "crs.png"))
    check("... and draws one in EPSG:32616 (UTM 16N, metres)", p.returncode == 0, p.stderr)
    empty_store(tmp)
    long_crs = "+proj=tmerc +lat_0=0 +lon_0=-87 +k=0.9996 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m +no_defs +type=crs"
    p = run("raster", "--city", "chicago", "--db", os.path.join(tmp, "none.db"), "--from", "2020-01-06",
            "--to", "2020-02-03", "--bin", "week", "--grid", "8", "--crs", long_crs, "--out", os.path.join(tmp, "long.h5"))
    check("raster refuses a --crs longer than a tensor file holds (it wrote the first 63 characters, another CRS): "
          "a usage error", p.returncode == 2 and "--crs: a CRS of %d characters: at most 63" % len(long_crs) in p.stderr,
          (p.returncode, p.stderr[-600:]))


CHICAGO_HEADER = ("ID,Case Number,Date,Block,IUCR,Primary Type,Description,Location Description,Arrest,"
                  "Domestic,Beat,District,Ward,Community Area,FBI Code,X Coordinate,Y Coordinate,"
                  "Updated On,Latitude,Longitude\r\n").encode()


def rejected_file_case(tmp):
    """A file none of whose rows is stored (here: Chicago rows far outside the city's box)
    is warned of: it exits 0 as a file of skipped rows does, but said nothing."""
    path, db = os.path.join(tmp, "elsewhere.csv"), os.path.join(tmp, "elsewhere.db")
    with open(path, "wb") as f:
        f.write(CHICAGO_HEADER + b"".join(b"%d,HZ%d,02/03/2015 10:00:00 AM,X,0820,THEFT,X,STREET,false,false,1,1,1,1,6,1,"
                                          b"1,02/11/2016 03:48:18 PM,40.71,-74.00\r\n" % (50000000 + i, i) for i in range(3)))
    p = run("import", "--city", "chicago", "--db", db, path)
    check("a file of rows all rejected: a warning naming it", p.returncode == 0 and "warning: no row of %s was stored: "
          "all 3 were rejected" % path in p.stderr, p.stderr)


def new_store_race_case(tmp):
    """Two imports into one new store at once, eight times: both files stored every time
    (one failed in about 1 of 10 before: 'database is locked' after 0.1 s, or 'not a
    crimecast store', the schema read between another process's two statements)."""
    files = []
    for k in range(2):
        path = os.path.join(tmp, "race%d.csv" % k)
        with open(path, "wb") as f:
            f.write(CHICAGO_HEADER + b"".join(b"%d,HZ%d,02/03/2015 10:00:00 AM,X,0820,THEFT,X,STREET,false,false,1,1,1,"
                                              b"1,6,1,1,02/11/2016 03:48:18 PM,41.88,-87.63\r\n" % (60000000 + 5000 * k + i, i)
                                              for i in range(3000)))
        files.append(path)
    failures = []
    for attempt in range(8):
        db = os.path.join(tmp, "race%d.db" % attempt)
        runs = [subprocess.Popen([CRIMECAST, "import", "--city", "chicago", "--db", db, f], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True) for f in files]
        errors = [r.communicate()[1] for r in runs]
        stored = sqlite3.connect(db).execute("select count(*) from incidents").fetchone()[0]
        if any(r.returncode for r in runs) or stored != 6000:
            failures.append((attempt, stored, errors))
    check("two imports into one new store at once: both stored, 8 times of 8", not failures, failures[:2])
    # An import from a pipe whose writer stalls holds no lock while it waits: another
    # import into the store goes through at once (it waited for the pipe, and failed with
    # "database is locked" when the stall passed the 10 s busy timeout).
    db, fifo = os.path.join(tmp, "piped.db"), os.path.join(tmp, "slow.fifo")
    os.mkfifo(fifo)
    slow = subprocess.Popen([CRIMECAST, "import", "--city", "chicago", "--db", db, fifo], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30  # the writer's end opens once the import opens the reader's (never: no hang)
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:
            if time.time() > deadline or slow.poll() is not None:
                raise
            time.sleep(0.05)
    os.set_blocking(fd, True)
    with os.fdopen(fd, "wb") as pipe, open(files[0], "rb") as source:
        pipe.write(source.readline())  # the header, then a stall
        pipe.flush()
        time.sleep(0.5)
        start = time.time()
        fast = subprocess.run([CRIMECAST, "import", "--city", "chicago", "--db", db, files[1]], capture_output=True,
                              text=True)
        took = time.time() - start
        time.sleep(max(0.0, 5.0 - took))
        pipe.write(source.read())
    slow.communicate()
    stored = sqlite3.connect(db).execute("select count(*) from incidents").fetchone()[0]
    check("an import from a stalled pipe keeps no lock: another import meanwhile takes %.1f s, both stored" % took,
          fast.returncode == 0 and took < 3.0 and slow.returncode == 0 and stored == 6000, (fast.stderr, stored))


def text_case(tmp):
    """Random bytes in the type and description of a CSV (a Latin-1 export, a cut UTF-8
    sequence): the store holds what Python's decode(errors='replace') makes of them, so
    Python's sqlite3 reads every row (it raises on text that is not UTF-8)."""
    rng = np.random.default_rng(11)
    alphabet = np.array([*b"ABCXYZ", *range(0x80, 0x100)], np.uint8)
    raws, rows = [], [CHICAGO_HEADER]
    for i in range(400):
        typ, desc = (bytes(rng.choice(alphabet, size=int(rng.integers(1, 10)))) for _ in range(2))
        raws.append((typ, desc))
        rows.append(b"%d,HZ%d,02/03/2015 10:00:00 AM,X,0820,%s,%s,STREET,false,false,1,1,1,1,6,1,1,"
                    b"02/11/2016 03:48:18 PM,41.88,-87.63\r\n" % (40000000 + i, i, typ, desc))
    path, db = os.path.join(tmp, "latin1.csv"), os.path.join(tmp, "text.db")
    with open(path, "wb") as f:
        f.write(b"".join(rows))
    p = run("import", "--city", "chicago", "--db", db, path)
    mended = sum(1 for t, d in raws if t.decode("utf-8", "replace").encode() != t
                 or d.decode("utf-8", "replace").encode() != d)
    check("import of text that is not UTF-8", p.returncode == 0 and "400 inserted" in p.stdout
          and f"{mended} of the rows accepted (not rejected) hold text that is not UTF-8 (the first at {path}:2"
          in p.stderr,
          (p.returncode, p.stdout[-300:], p.stderr[-600:]))
    with sqlite3.connect(db) as con:
        stored = dict((int(i), (t, d)) for i, t, d in con.execute(
            "SELECT source_id, raw_type, description FROM incidents WHERE city = 'chicago'"))
    wrong = [i for i, (t, d) in enumerate(raws)
             if stored.get(40000000 + i) != (t.decode("utf-8", "replace"), d.decode("utf-8", "replace"))]
    check("stored text is Python's decode(errors='replace')", len(stored) == 400 and not wrong and mended > 300,
          (len(stored), mended, wrong[:5], [stored.get(40000000 + i) for i in wrong[:3]]))


def fifo_store_case(tmp):
    """A store that is a FIFO: refused at once (raster waited on it forever; import said
    'disk I/O error')."""
    fifo = os.path.join(tmp, "store.fifo")
    os.mkfifo(fifo)
    open(os.path.join(tmp, "nothing.csv"), "w").close()  # a file there: the store is what is refused
    for args in (["raster", "--city", "chicago", "--db", fifo, "--from", "2015-01-01", "--to", "2015-02-01", "--bin",
                  "week", "--grid", "8", "--out", os.path.join(tmp, "r.h5")],
                 ["import", "--city", "chicago", "--db", fifo, os.path.join(tmp, "nothing.csv")]):
        try:
            p = subprocess.run([CRIMECAST, *args], capture_output=True, text=True, timeout=20)
        except subprocess.TimeoutExpired:
            p = None
        check("%s --db FIFO: refused at once, saying so" % args[0], p is not None and p.returncode == 1
              and "not a regular file (a pipe or device), not an incident store" in p.stderr, p and p.stderr)


def gigapixel_case(tmp):
    """A picture past a gigapixel (600 x 600 cells at --zoom 64: 38400 x 38400) is refused
    before its memory is asked for, naming the size (it said only "cannot write PNG" when
    the allocation failed)."""
    wide = os.path.join(tmp, "wide.h5")
    write_tensor(wide, np.ones((1, 1, 600, 600), np.float32), np.ones((600, 600), np.uint8), ["all"])
    png = os.path.join(tmp, "wide.png")
    p = run("png", "--in", wide, "--index", "0", "--zoom", "64", "--out", png)
    check("png of 38400 x 38400 pixels: refused naming the size, nothing written", p.returncode == 1
          and "a 38400 x 38400 picture is more than a gigapixel: a smaller --zoom" in p.stderr
          and not os.path.exists(png), p.stderr)


def not_a_file_case(tmp, tensor):
    """What is wrong with a path is said as it is: missing, a directory, not HDF5."""
    text = os.path.join(tmp, "notes.txt")
    with open(text, "w") as f:
        f.write("hello\n")
    missing = os.path.join(tmp, "nope.h5")
    png = os.path.join(tmp, "x.png")
    cut = os.path.join(tmp, "cut.h5")
    with open(tensor, "rb") as f, open(cut, "wb") as g:
        g.write(f.read(1500))  # the signature and superblock, the rest gone
    for what, path, says in (("a missing file", missing, "cannot open it: No such file or directory"),
                             ("a directory", tmp, "a directory, not a file"),
                             ("a text file", text, "not an HDF5 file"),
                             ("an HDF5 file cut short", cut, "an HDF5 file that HDF5 cannot open (cut short")):
        refused("png given %s says so" % what, run("png", "--in", path, "--index", "0", "--out", png), path, says)
    refused("predict given a missing model says so",
            run("predict", "--model", missing, "--data", tensor, "--out", os.path.join(tmp, "y.h5")), missing,
            "cannot open it: No such file or directory")
    fifo = os.path.join(tmp, "fifo.h5")
    os.mkfifo(fifo)
    try:
        p = subprocess.run([CRIMECAST, "png", "--in", fifo, "--index", "0", "--out", png], capture_output=True,
                           text=True, timeout=60)
        refused("png given a FIFO says so at once (it waited in open() for a writer; found by a probe)", p, fifo,
                "not a regular file")
        p = subprocess.run([CRIMECAST, "eval", "--data", tensor, fifo], capture_output=True, text=True, timeout=60)
        refused("eval given a FIFO as its first forecast says so at once (its horizon peek waited; found by a "
                "review)", p, fifo, "not a regular file")
    except subprocess.TimeoutExpired:
        check("png given a FIFO says so at once (it waited in open() for a writer; found by a probe)", False,
              "still waiting after 60 s")


def probe_2026_12_07_cases(tmp, tensor):
    """What a hostile-files probe found taken (2026-12-07): an external link to a FIFO
    (every reader blocked for good), a mask of other values than 0 and 1 (HDF5's conversion
    chose the study area), recency sums above their counts (a sum of 1e30 moved forecasts
    by 6 crimes a cell), names past what the readers keep (two channels alike in their first
    63 bytes were one in eval; a city cut to 31), and a report page of raw non-UTF-8 bytes."""
    png = os.path.join(tmp, "x.png")
    fifo = os.path.join(tmp, "linked_fifo")
    os.mkfifo(fifo)
    bad = edited(tensor, os.path.join(tmp, "external.h5"),
                 lambda f: (f.__delitem__("counts"), f.__setitem__("counts", h5py.ExternalLink(fifo, "/counts"))))
    for args in (("png", "--in", bad, "--index", "0", "--out", png),
                 ("baseline", "--method", "histavg", "--data", bad, "--out", os.path.join(tmp, "e_f.h5"))):
        try:
            p = subprocess.run([CRIMECAST, *args], capture_output=True, text=True, timeout=60)
            refused("%s of a tensor whose /counts is an external link (to a FIFO): refused at once" % args[0], p, bad,
                    "'/counts' is an external link")
        except subprocess.TimeoutExpired:
            check("%s of a tensor whose /counts is an external link (to a FIFO): refused at once" % args[0], False,
                  "still waiting after 60 s")
    def stored_outside(f):
        mask = f["mask"][:]
        del f["mask"]
        f.create_dataset("mask", shape=mask.shape, dtype=mask.dtype, external=[(fifo, 0, mask.nbytes)])
    bad = edited(tensor, os.path.join(tmp, "external_storage.h5"), stored_outside)
    try:
        p = subprocess.run([CRIMECAST, "png", "--in", bad, "--all", "--out", os.path.join(tmp, "es")],
                           capture_output=True, text=True, timeout=60)
        refused("png of a tensor whose /mask keeps its values in a FIFO (external storage): refused at once (a "
                "reviewer)", p, bad, "dataset '/mask' keeps its values in other files")
    except subprocess.TimeoutExpired:
        check("png of a tensor whose /mask keeps its values in a FIFO (external storage): refused at once", False,
              "still waiting after 60 s")
    for label, value, dtype, shown in (("-1", -1, np.int8, "-1"), ("2", 2, np.uint8, "2"), ("256", 256, np.int32, "256"),
                                       ("0.5", 0.5, np.float64, "0.5"), ("NaN", np.nan, np.float64, "nan")):
        def masked(f, value=value, dtype=dtype):
            mask = f["mask"][:].astype(dtype)
            mask[1, 4] = value
            replace(f, "mask", mask)
        bad = edited(tensor, os.path.join(tmp, "mask_%s.h5" % label), masked)
        refused("a /mask holding %s is refused naming the cell (HDF5's conversion to bytes decided it)" % label,
                run("png", "--in", bad, "--index", "0", "--out", png), bad, "/mask holds %s at row 1, column 4" % shown)
    with h5py.File(tensor, "r") as f:
        counts = f["counts"][:]
    planes = counts.reshape(T * C, H * W)
    start = np.concatenate([[0], np.cumsum((planes > 0).sum(axis=1))]).astype(np.int64)
    cell = np.concatenate([np.nonzero(row)[0] for row in planes]).astype(np.int32)
    entries = planes[planes > 0]
    def sparse(recent):
        def edit(f):
            f["sparse/start"], f["sparse/cell"] = start, cell
            f["sparse/recent"] = recent.astype(np.float32)
            f["sparse/recent"].attrs["tau_days"] = np.array([1.0, 3.0])
        return edit
    whole = np.stack([0.4 * entries, 0.9 * entries], axis=1)
    good = edited(tensor, os.path.join(tmp, "recent_ok.h5"), sparse(whole))
    model = os.path.join(tmp, "recent_m.h5")
    p = run("train", "--data", good, "--out", model, "--hidden", "2", "--window", "4", "--epochs", "1", "--threads", "1",
            "--recency", "on")
    check("recency sums at most their counts: read, trained on", p.returncode == 0, p.stderr[-500:])
    i = int(start[50 * C + 1])
    b, c, q = 50, 1, int(cell[i])
    over = whole.copy()
    over[i, 1] = 1e30
    bad = edited(tensor, os.path.join(tmp, "recent_over.h5"), sparse(over))
    capped = whole.copy()
    capped[i, 1] = entries[i]
    at_count = edited(tensor, os.path.join(tmp, "recent_capped.h5"), sparse(capped))
    over_run = run("predict", "--model", model, "--data", bad, "--out", os.path.join(tmp, "ro_f.h5"))
    capped_run = run("predict", "--model", model, "--data", at_count, "--out", os.path.join(tmp, "rc_f.h5"))
    with h5py.File(os.path.join(tmp, "ro_f.h5"), "r") as f, h5py.File(os.path.join(tmp, "rc_f.h5"), "r") as g:
        same = np.array_equal(f["forecast"][:], g["forecast"][:])
    said = ("entry %d (bin %d (" % (i, b), "channel 'burglary', cell row %d, column %d): 1e+30, above its %g incidents"
            % (q // W, q % W, planes[b * C + c, q]))
    check("a recency sum of 1e30 above its cell's count: taken as the count, said in a warning naming the file and "
          "the entry (it moved the forecast by 6 crimes a cell)", over_run.returncode == 0 and capped_run.returncode == 0
          and same and "warning: %s: 1 in-bin recency sum is above its count" % bad in over_run.stderr
          and all(w in over_run.stderr for w in said) and "warning" not in capped_run.stderr, over_run.stderr[-600:])
    def zeroed(f):
        sparse(whole)(f)
        values = f["counts"][:]
        values[b, :, q // W, q % W] = 0
        replace(f, "counts", values)
    bad = edited(tensor, os.path.join(tmp, "recent_no_count.h5"), zeroed)
    refused("recency sums in a cell whose counts are 0 are refused",
            run("predict", "--model", model, "--data", bad, "--out", os.path.join(tmp, "rz_f.h5")), bad,
            "a cell in which the counts hold no incident")
    for what, edit, says in (
            ("two channel names alike in their first 63 bytes",
             lambda f: replace(f, "category", np.array(["all", "a" * 70], dtype=h5py.string_dtype())), "is too long"),
            ("a channel name that is not UTF-8",
             lambda f: replace(f, "category", np.array([b"all", b"caf\xe9"], dtype=h5py.string_dtype("utf-8"))),
             "is not UTF-8"),
            ("a city of 40 bytes (cut to 31: two cities alike that far were one)",
             lambda f: f.attrs.__setitem__("city", "chicago-metropolitan-police-area-north"), "city")):
        bad = edited(tensor, os.path.join(tmp, "name_%d.h5" % len(what)), edit)
        refused("a tensor with %s is refused" % what, run("png", "--in", bad, "--index", "0", "--out", png), bad, says)
    other = edited(good, os.path.join(tmp, "other_channel.h5"),
                   lambda f: replace(f, "category", np.array(["all", "robbery"], dtype=h5py.string_dtype())))
    refused("train --resume on a tensor of other channels: the message names the model file, as predict's does",
            run("train", "--data", other, "--resume", model, "--out", os.path.join(tmp, "oc.h5")),
            "%s: the model was trained on 2 channels (all, burglary); this tensor has 2 (all, robbery)" % model)
    forecast = os.path.join(tmp, "named_f.h5")
    run("baseline", "--method", "histavg", "--data", tensor, "--out", forecast)
    with h5py.File(forecast, "r+") as f:
        f.attrs.create("model", b"conv\xff\xfe<b>", dtype=h5py.string_dtype("utf-8"))
    page = os.path.join(tmp, "named.html")
    p = run("report", "--data", tensor, forecast, "--out", page)
    try:
        text = open(page, "rb").read().decode("utf-8") if p.returncode == 0 else ""
        well = True
    except UnicodeDecodeError:
        text, well = "", False
    check("report of a forecast whose model name is not UTF-8: the page is UTF-8 (U+FFFD), the name escaped",
          p.returncode == 0 and well and "conv\ufffd\ufffd&lt;b&gt;" in text, (p.returncode, p.stderr[-400:], well))


def float_mask_case(tmp, tensor):
    """Another tool's tensor whose /mask is float64 ones and zeros (numpy's default): read
    as before (whole-number attributes must be integers; datasets convert)."""
    with h5py.File(tensor, "r") as f:
        counts, mask = f["counts"][:], f["mask"][:]
    floats = os.path.join(tmp, "float_mask.h5")
    write_tensor(floats, counts, mask.astype(np.float64), ["all", "burglary"], created_by="hostile_files_test.py")
    p = run("baseline", "--method", "histavg", "--data", floats, "--out", os.path.join(tmp, "float_mask_f.h5"))
    check("a tensor whose /mask is float64 0/1 (another tool's) is read", p.returncode == 0, p.stderr)


def disk_full_case(tmp, tensor):
    """A disk that fills while a file is written (here: a file-size limit below the file, its
    signal ignored, so writes fail with EFBIG): exit 1 naming the file, nothing of it
    left, and no "saved" said of it (HDF5 crashed at exit re-closing the failed file, and
    train printed "saved" before writing)."""
    def limit(kib):
        def limited():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (kib * 1024, kib * 1024))
        return limited
    folder = os.path.join(tmp, "full")
    os.makedirs(folder)
    model, forecast = os.path.join(folder, "m.h5"), os.path.join(folder, "f.h5")
    for args, path, kib in ((["train", "--data", tensor, "--out", model, "--epochs", "1", "--hidden", "16", "--device",
                              "cpu"], model, 40),
                            (["baseline", "--method", "histavg", "--data", tensor, "--span", "all", "--out", forecast],
                             forecast, 8)):
        p = subprocess.run([CRIMECAST, *args], capture_output=True, text=True, preexec_fn=limit(kib))
        check("%s on a full disk: exit 1 naming the file, nothing left of it, no 'saved'" % args[0],
              p.returncode == 1 and path in p.stderr and "(best so far: saved)" not in p.stdout
              and os.listdir(folder) == [],
              (p.returncode, p.stdout[-300:], p.stderr[-300:], os.listdir(folder)))
    # a shell's `ulimit -f`: SIGXFSZ at its default, which ended every writing command at
    # the write past the limit, without a word (exit 153) and its temporary left (found by
    # a probe on 2026-12-06): crimecast ignores it, and says why the write failed
    def shell_limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8 * 1024, 8 * 1024))
    p = subprocess.run([CRIMECAST, "baseline", "--method", "histavg", "--data", tensor, "--span", "all", "--out",
                        forecast], capture_output=True, text=True, preexec_fn=shell_limit)
    check("baseline under a shell's ulimit -f: exit 1 naming the file and 'File too large', nothing left",
          p.returncode == 1 and forecast in p.stderr and "File too large" in p.stderr and os.listdir(folder) == [],
          (p.returncode, p.stderr[-300:], os.listdir(folder)))
    # an import into a store that cannot grow: the message names the file not stored, not
    # the store alone (found by a probe on 2026-12-06)
    records = os.path.join(tmp, "records_for_a_full_store.csv")
    with open(records, "w") as f:
        f.write("ID,Case Number,Date,Block,IUCR,Primary Type,Description,Location Description,Arrest,Domestic,Beat,"
                "District,Ward,Community Area,FBI Code,X Coordinate,Y Coordinate,Updated On,Latitude,Longitude\n")
        for i in range(3000):
            f.write("%d,A%d,03/01/2016 01:15:00 PM,X,0820,THEFT,OVER $500,STREET,false,false,1,1,1,1,6,1,1,"
                    "03/11/2016 03:48:18 PM,41.88,-87.63\n" % (i + 1, i + 1))
    def store_limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
    p = subprocess.run([CRIMECAST, "import", "--city", "chicago", "--db", os.path.join(folder, "s.db"), records],
                       capture_output=True, text=True, preexec_fn=store_limit)
    check("an import into a store that cannot grow: exit 1, the message names the file not stored and the cause (it "
          "said 'disk I/O error' alone; a probe, 2026-12-07)",
          p.returncode == 1 and "crimecast import: %s: " % records in p.stderr
          and ("(File too large: past the file-size limit, ulimit -f)" in p.stderr
               or "(a file-size limit is set, ulimit -f: is the store past it?" in p.stderr), p.stderr[-400:])
    # reading a whole store on a full disk: SQLite cannot make the files of its write-ahead
    # log beside it, which raster called "not a readable SQLite database: disk I/O error"
    # (found by a probe on 2026-12-06; the store was fine)
    whole_store = os.path.join(tmp, "whole_store.db")
    p = run("import", "--city", "chicago", "--db", whole_store, records)
    check("a store to read on a full disk", p.returncode == 0, p.stderr)
    for leftover in (whole_store + "-wal", whole_store + "-shm"):
        if os.path.exists(leftover):
            os.unlink(leftover)
    p = subprocess.run([CRIMECAST, "raster", "--db", whole_store, "--city", "chicago", "--from", "2016-03-01", "--to",
                        "2016-03-02", "--bin", "day", "--grid", "4", "--out", os.path.join(folder, "t.h5")],
                       capture_output=True, text=True, preexec_fn=limit(0))
    check("raster of a store on a full disk: exit 1, the cause and what to do, not 'not a readable SQLite database'",
          p.returncode == 1 and "%s: the store could not be opened" % whole_store in p.stderr
          and "File too large" in p.stderr and "make room" in p.stderr and "not a readable" not in p.stderr,
          (p.returncode, p.stderr[-400:]))
    for leftover in os.listdir(folder):
        os.unlink(os.path.join(folder, leftover))
    # export: GDAL's GeoJSON driver says nothing of a failed write (it left a file cut at
    # 8 KiB and exit 0); a GeoPackage and a GeoTIFF fail inside GDAL.
    whole = os.path.join(tmp, "whole.h5")
    p = run("baseline", "--method", "histavg", "--data", tensor, "--span", "all", "--out", whole)
    check("a forecast to export", p.returncode == 0, p.stderr)
    with h5py.File(whole, "r") as f:
        day = datetime.date(1970, 1, 1) + datetime.timedelta(days=int(f["time"][0]))
    for name, extra in (("h.geojson", ["--time", day.isoformat(), "--topk", "50%"]),
                        ("h.gpkg", ["--time", day.isoformat(), "--topk", "50%"]), ("h.tif", ["--all"])):
        out = os.path.join(folder, name)
        args = ["export", "--in", whole, "--out", out, *extra]
        p = subprocess.run([CRIMECAST, *args], capture_output=True, text=True)
        size = os.path.getsize(out) if p.returncode == 0 else 0
        for leftover in os.listdir(folder):
            os.unlink(os.path.join(folder, leftover))
        p = subprocess.run([CRIMECAST, *args], capture_output=True, text=True, preexec_fn=limit(max(1, size // 2048)))
        check("export %s on a disk full at half its %d bytes: exit 1 naming it, nothing left" % (name, size),
              size > 4096 and p.returncode == 1 and out in p.stderr and os.listdir(folder) == [],
              (p.returncode, p.stdout[-300:], p.stderr[-300:], os.listdir(folder)))


def main():
    rng = np.random.default_rng(3)
    counts = rng.poisson(2.0, size=(T, C, H, W)).astype(np.float32)
    counts[:, 1] = np.minimum(counts[:, 1], counts[:, 0])
    mask = np.ones((H, W), np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        tensor = os.path.join(tmp, "t.h5")
        write_tensor(tensor, counts, mask, ["all", "burglary"], created_by="hostile_files_test.py")
        tensor_cases(tmp, tensor)
        recency_and_size_cases(tmp, tensor)
        forecast_cases(tmp, tensor)
        model_cases(tmp, tensor)
        grid_case(tmp)
        empty_mask_case(tmp, tensor)
        crs_case(tmp, tensor)
        text_case(tmp)
        rejected_file_case(tmp)
        float_mask_case(tmp, tensor)
        probe_2026_12_07_cases(tmp, tensor)
        new_store_race_case(tmp)
        not_a_file_case(tmp, tensor)
        gigapixel_case(tmp)
        fifo_store_case(tmp)
        disk_full_case(tmp, tensor)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
