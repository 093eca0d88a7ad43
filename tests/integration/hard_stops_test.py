#!/usr/bin/env python3
"""Hard stops (issue 26): `kill -9` at random moments of import, raster, png and train
(while it writes checkpoints), then what a user finds:

* the store passes `PRAGMA integrity_check` and holds a whole number of files (each file
  one transaction: the count is the sum of the first k files' rows);
* no output is half-written under its final name: a file there is complete (an HDF5
  file that reads and equals the uninterrupted run's, a PNG that ends with its IEND
  chunk and equals the uninterrupted one);
* a killed run's temporary (NAME.tmp-PID) is gone after the next run;
* running again, or `train --resume`, ends where an uninterrupted run ends, bit for bit;
  a finished run that stopped early on patience resumes to nothing (a job killed after
  train's last write and retried leaves the model as it was);
* and, not a kill but what a killed job's log needs: train's stdout lines reach a pipe as
  they are printed (line-buffered), not all at exit.

The kill moments are drawn uniformly over the uninterrupted run's duration (seeded), so
each kill lands somewhere in the work: early, mid-write, or after the end.
(crawl: tests/integration/crawl_test.py kills and resumes it against the mock portal.)

usage: hard_stops_test.py CRIMECAST
"""
import glob
import gzip
import hashlib
import os
import random
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, summary  # noqa: E402

CRIMECAST = sys.argv[1]
KILLS = 5
rng = random.Random(26)


def run(*args):
    return subprocess.run([CRIMECAST, *args], capture_output=True, text=True)


def timed(*args):
    """Runs to the end; returns the seconds it took."""
    start = time.monotonic()
    p = run(*args)
    check("uninterrupted: %s %s" % (args[0], args[1] if len(args) > 1 else ""), p.returncode == 0, p.stderr[-800:])
    return time.monotonic() - start


def killed_at_random(seconds, *args):
    """Starts the command and kill -9s it at a random moment of a run that takes
    `seconds`; returns whether it was still running when killed."""
    proc = subprocess.Popen([CRIMECAST, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.05, 1.1) * seconds)
    alive = proc.poll() is None
    if alive:
        proc.kill()
    proc.wait()
    return alive


def leftovers(folder):
    return glob.glob(os.path.join(folder, "*.tmp-*")) + glob.glob(os.path.join(folder, "*", "*.tmp-*"))


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def h5_content(path):
    """Every dataset and attribute of an HDF5 file (a file that does not read: None)."""
    try:
        with h5py.File(path, "r") as f:
            items = {"/": sorted((k, repr(v)) for k, v in f.attrs.items() if k != "created_by")}

            def visit(name, obj):
                if isinstance(obj, h5py.Dataset):
                    items[name] = obj[()].tobytes() if obj.dtype.kind != "O" else repr(obj[()])
                items[name + "@"] = sorted((k, repr(v)) for k, v in obj.attrs.items()
                                           if k not in ("DIMENSION_LIST", "REFERENCE_LIST"))
            f.visititems(visit)
            return items
    except OSError:
        return None


# ---------------------------------------------------------------- import

HEADER = ("ID,Case Number,Date,Block,IUCR,Primary Type,Description,Location Description,Arrest,Domestic,Beat,"
          "District,Ward,Community Area,FBI Code,X Coordinate,Y Coordinate,Updated On,Latitude,Longitude\n")


def write_records(path, first_id, rows):
    r = np.random.default_rng(first_id)
    lat, lon = 41.75 + 0.2 * r.random(rows), -87.75 + 0.15 * r.random(rows)
    day, minute = r.integers(1, 28, rows), r.integers(0, 24 * 60, rows)
    lines = [HEADER]
    for i in range(rows):
        h, m = divmod(int(minute[i]), 60)
        lines.append("%d,HZ%d,03/%02d/2016 %02d:%02d:00 %s,001XX W MADISON ST,0610,BURGLARY,FORCIBLE ENTRY,"
                     "RESIDENCE,false,false,0111,001,42,32,05,1176000,1900000,03/10/2016 03:51:00 PM,%.6f,%.6f\n"
                     % (first_id + i, first_id + i, day[i], (h % 12) or 12, m, "AM" if h < 12 else "PM", lat[i], lon[i]))
    with gzip.open(path, "wt", newline="") as f:
        f.writelines(lines)


def store_state(db):
    with sqlite3.connect(db) as con:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        rows = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
        content = hashlib.sha256(repr(con.execute(
            "SELECT * FROM incidents ORDER BY city, source_id").fetchall()).encode()).hexdigest()
    return integrity, rows, content


def import_case(tmp):
    files, sizes = [], [40000, 25000, 60000, 30000]
    for k, n in enumerate(sizes):
        files.append(os.path.join(tmp, "records_%d.csv.gz" % k))
        write_records(files[-1], 1000000 * (k + 1), n)
    whole = [sum(sizes[:k]) for k in range(len(sizes) + 1)]
    clean = os.path.join(tmp, "clean.db")
    seconds = timed("import", "--city", "chicago", "--db", clean, *files)
    want = store_state(clean)
    check("the uninterrupted import holds every row", want[1] == whole[-1], want)
    db = os.path.join(tmp, "killed.db")
    for attempt in range(KILLS):
        killed_at_random(seconds, "import", "--city", "chicago", "--db", db, *files)
        if not os.path.exists(db):
            continue
        integrity, rows, _ = store_state(db)
        check("import killed (%d): PRAGMA integrity_check is ok" % attempt, integrity == "ok", integrity)
        check("import killed (%d): the store holds whole files (%d rows)" % (attempt, rows), rows in whole,
              (rows, whole))
    p = run("import", "--city", "chicago", "--db", db, *files)
    check("import again after the kills: exit 0", p.returncode == 0, p.stderr[-500:])
    check("import again after the kills: the store equals the uninterrupted one", store_state(db) == want,
          (store_state(db)[:2], want[:2]))


# ---------------------------------------------------------------- raster and png

def raster_args(db, out):
    return ["raster", "--city", "synthetic", "--db", db, "--from", "2016-01-04", "--to", "2022-01-03", "--bin", "week",
            "--grid", "96", "--out", out]


def raster_case(tmp, db):
    clean = os.path.join(tmp, "clean.h5")
    seconds = timed(*raster_args(db, clean))
    want = h5_content(clean)
    folder = os.path.join(tmp, "raster")
    os.makedirs(folder)
    out = os.path.join(folder, "tensor.h5")
    killed_any = False
    for attempt in range(KILLS):
        killed_any |= killed_at_random(seconds, *raster_args(db, out))
        if os.path.exists(out):
            check("raster killed (%d): the file under the final name is whole" % attempt, h5_content(out) == want)
    check("raster: at least one kill landed while it ran", killed_any)
    p = run(*raster_args(db, out))
    check("raster again: exit 0 and the uninterrupted tensor", p.returncode == 0 and h5_content(out) == want,
          p.stderr[-500:])
    check("raster again: no temporary left behind", not leftovers(folder), leftovers(folder))
    return clean


def png_is_whole(path):
    with open(path, "rb") as f:
        data = f.read()
    return data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82")


def png_case(tmp, tensor):
    clean = os.path.join(tmp, "png_clean")
    seconds = timed("png", "--in", tensor, "--all", "--zoom", "4", "--out", clean)
    want = {os.path.basename(p): digest(p) for p in glob.glob(os.path.join(clean, "*.png"))}
    out = os.path.join(tmp, "png")
    for attempt in range(KILLS):
        killed_at_random(seconds, "png", "--in", tensor, "--all", "--zoom", "4", "--out", out)
        pngs = glob.glob(os.path.join(out, "*.png"))
        check("png killed (%d): every PNG under its final name is whole (%d of %d)" % (attempt, len(pngs), len(want)),
              all(png_is_whole(p) and digest(p) == want[os.path.basename(p)] for p in pngs))
    p = run("png", "--in", tensor, "--all", "--zoom", "4", "--out", out)
    got = {os.path.basename(p): digest(p) for p in glob.glob(os.path.join(out, "*.png"))}
    check("png again: every picture, equal to the uninterrupted ones", p.returncode == 0 and got == want,
          (p.stderr[-300:], len(got), len(want)))
    check("png again: no temporary left behind", not leftovers(out), leftovers(out))


# ---------------------------------------------------------------- train

def params(path):
    with h5py.File(path, "r") as f:
        return {k: f["params"][k][()].tobytes() for k in f["params"]}, int(f.attrs["best_epoch"])


def lines_as_they_happen(seconds, *args):
    """A log read through a pipe (a scheduler's log, `| tee`) gets each line when it is
    printed: the first and the last arrive most of the run apart, not together at exit."""
    proc = subprocess.Popen([CRIMECAST, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    arrived = [time.monotonic() for _ in proc.stdout]
    proc.wait()
    spread = arrived[-1] - arrived[0] if arrived else 0.0
    check("%s: stdout lines arrive as printed (%d lines over %.2f s of a %.2f s run)" % (args[0], len(arrived), spread,
                                                                                        seconds),
          proc.returncode == 0 and len(arrived) >= 3 and spread > 0.3 * seconds)


def train_case(tmp, tensor):
    # A high learning rate: some epochs do not improve, so a resume replays from an older
    # checkpoint than the last epoch.
    common = ["--data", tensor, "--hidden", "4", "--layers", "1", "--window", "4", "--epochs", "10", "--patience", "10",
              "--lr", "0.02",
              "--threads", "1", "--device", "cpu"]
    clean = os.path.join(tmp, "model_clean.h5")
    seconds = timed("train", *common, "--out", clean)
    want = params(clean)
    lines_as_they_happen(seconds, "train", *common, "--out", os.path.join(tmp, "model_piped.h5"))
    folder = os.path.join(tmp, "train")
    os.makedirs(folder)
    model = os.path.join(folder, "model.h5")
    resumed = 0
    for attempt in range(KILLS):
        if os.path.exists(model):
            check("train killed: the model file reads", h5_content(model) is not None)
            args = ["train", "--data", tensor, "--resume", model, "--threads", "1", "--device", "cpu", "--out", model]
            resumed += 1
        else:
            args = ["train", *common, "--out", model]
        killed_at_random(seconds, *args)
    if os.path.exists(model):
        p = run("train", "--data", tensor, "--resume", model, "--threads", "1", "--device", "cpu", "--out", model)
        resumed += 1
    else:
        p = run("train", *common, "--out", model)
    check("train after %d resumes: exit 0" % resumed, p.returncode == 0, p.stderr[-500:])
    check("train killed and resumed: the uninterrupted model, bit for bit", params(model) == want)
    check("train: no temporary left behind", not leftovers(folder), leftovers(folder))
    p = run("predict", "--model", model, "--data", tensor, "--out", os.path.join(tmp, "f.h5"))
    check("predict reads the resumed model", p.returncode == 0, p.stderr[-300:])
    ctrl_c_case(tmp, common, want)
    sigterm_case(tmp, common)
    stale_file_case(tmp, common)
    extension_case(tmp, tensor, common, clean)


def extension_case(tmp, tensor, common, clean):
    """A finished run given more epochs (--resume --epochs 10): the same model as a run
    asked for 10 at first, bit for bit. Its file keeps the best epoch's state, so where
    the last epochs did not improve, training goes back to the best one and runs them
    again (before 2026-12-05 it went on from the best state numbered as the last epoch:
    another model)."""
    rewound, want = 0, model_state(clean)
    for first in (4, 6, 8):
        short = os.path.join(tmp, "model_%d.h5" % first)
        args = [a if a != "10" or common[i - 1] != "--epochs" else str(first) for i, a in enumerate(common)]
        p = run("train", *args, "--out", short)
        q = run("train", "--data", tensor, "--resume", short, "--epochs", "10", "--threads", "1", "--device", "cpu",
                "--out", os.path.join(tmp, "model_%d_to_10.h5" % first))
        rewound += "training goes on from epoch" in q.stdout
        got = model_state(os.path.join(tmp, "model_%d_to_10.h5" % first))
        check("%d epochs, then resumed to 10: the 10-epoch run bit for bit (parameters, moments, history, counters)"
              % first, p.returncode == 0 and q.returncode == 0 and got == want,
              sorted(k for k in want[0] if got[0].get(k) != want[0][k]) + [got[1], want[1]])
    check("... at least one of them ended on an epoch that did not improve (the case under test)", rewound > 0, rewound)


def train_stopped_by(sig, common, model):
    """train sent `sig` once its first epoch is done (nine epochs left: time enough for the
    signal to land); the finished process and its stderr."""
    proc = subprocess.Popen([CRIMECAST, "train", *common, "--out", model], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("epoch 1:"):
            break
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    return proc, err


def sigterm_case(tmp, common):
    """SIGTERM (kill, timeout, a batch scheduler's stop) stops train as Ctrl-C does: before
    its next step, exit 1, saying it heard the signal, the model file as last saved and the
    command that resumes it (it died at once, exit 143, nothing said; a probe)."""
    model = os.path.join(tmp, "model_sigterm.h5")
    proc, err = train_stopped_by(signal.SIGTERM, common, model)
    check("train stops on SIGTERM: exit 1, the signal heard, 'interrupted in epoch', and how to resume",
          proc.returncode == 1 and "crimecast: SIGTERM: stopping at the next safe point" in err
          and "interrupted in epoch " in err and "resume with:\n  crimecast train " in err and os.path.exists(model),
          (proc.returncode, err[-600:]))


def stale_file_case(tmp, common):
    """Ctrl-C after an epoch that did not improve: the file holds the last to improve (it is
    written only then), and the message says which, since a resume trains the epochs after
    it again ("the run as last saved" read as the epoch stopped in; a probe)."""
    model = os.path.join(tmp, "model_stale.h5")
    proc = subprocess.Popen([CRIMECAST, "train", *common, "--out", model], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    seen, best = [], 0
    for line in proc.stdout:
        seen.append(line)
        m = re.match(r"epoch (\d+): ", line)
        if m and "(best so far" in line:
            best = int(m.group(1))
        elif m and best > 0:
            break
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=120)
    improved = [int(m.group(1)) for m in re.finditer(r"^epoch (\d+): .*\(best so far", "".join(seen) + rest, re.M)]
    stopped = re.search(r"interrupted in epoch (\d+)", err)
    stale = improved and stopped and improved[-1] < int(stopped.group(1)) - 1  # the signal may land an epoch later
    check("Ctrl-C after an epoch that did not improve (stopped in %s; the last to improve %s): the message names it "
          "as the file's" % (stopped and stopped.group(1), improved[-1] if improved else None),
          stale and proc.returncode == 1 and "holds the run as last saved (at its epoch %d, the last to improve: a "
          "resume trains on from there); resume with:" % improved[-1] in err, err[-600:])
    # predict with that file says its training stopped part way, and with the run resumed to
    # its end says nothing (an interrupted retrain was forecast with, unsaid; a probe)
    data = common[common.index("--data") + 1]
    p = subprocess.run([CRIMECAST, "predict", "--model", model, "--data", data, "--out", model + ".f.h5"],
                       capture_output=True, text=True)
    check("predict with the stopped run's file warns it stopped part way, the file at its epoch %s of 10" % (
          improved[-1] if improved else "?"), p.returncode == 0 and improved and "the training stopped part way (or "
          "is still running): the file holds its epoch %d of 10, the best so far" % improved[-1] in p.stderr, p.stderr)
    if "resume with:" in err:
        command = shlex.split(err.split("resume with:\n", 1)[1].strip())
        q = subprocess.run([CRIMECAST] + command[1:], capture_output=True, text=True)
        p = subprocess.run([CRIMECAST, "predict", "--model", model, "--data", data, "--out", model + ".g.h5"],
                           capture_output=True, text=True)
        check("... and resumed to its end, predict says nothing of it", q.returncode == 0 and p.returncode == 0
              and "stopped part way" not in p.stderr, (q.stderr[-300:], p.stderr))


def ctrl_c_case(tmp, common, want):
    """Ctrl-C (SIGINT) in train: it stops before its next step and exits 1, naming what
    the model file holds and the command that resumes it (the path quoted, the device
    options repeated); that command ends where the uninterrupted run ends, bit for bit.
    (Ctrl-C killed train at once before 2026-12-05, as kill -9 does.)"""
    model = os.path.join(tmp, "model ctrl-c.h5")  # a space: the printed command quotes it
    proc, err = train_stopped_by(signal.SIGINT, common, model)
    said = "resume with:\n  crimecast train "
    check("train stops on Ctrl-C: exit 1, 'interrupted in epoch', and how to resume", proc.returncode == 1
          and "interrupted in epoch " in err and said in err, (proc.returncode, err[-600:]))
    if said not in err:
        return
    command = shlex.split(err.split("resume with:\n", 1)[1].strip())
    check("the command names the file, in quotes, and the threads and device", command[1:] == [
        "train", "--data", common[1], "--resume", model, "--out", model, "--epochs", "10", "--device", "cpu",
        "--threads", "1"] and "'%s'" % model in err, command)
    p = subprocess.run([CRIMECAST] + command[1:], capture_output=True, text=True)
    check("that command ends where the uninterrupted run ends, bit for bit", p.returncode == 0
          and params(model) == want, p.stderr[-500:])
    ignoring = os.path.join(tmp, "model_nohup.h5")
    proc = subprocess.Popen([CRIMECAST, "train", *common, "--out", ignoring], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    for line in proc.stdout:
        if line.startswith("epoch 1:"):
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    check("started ignoring SIGINT (nohup, '&' in a script), train ignores it and ends as uninterrupted",
          proc.returncode == 0 and params(ignoring) == want, err[-500:])


def tune_ctrl_c_case(tmp, tensor):
    """Ctrl-C in tune: the candidate in training stops before its next step, the search ends
    there (exit 1) saying how far it got and the best so far; no configuration is written
    and the temporary directory of the candidates is removed. (Ctrl-C killed tune at once
    before 2026-12-06, leaving that directory behind.)"""
    scratch, config = os.path.join(tmp, "tune-tmp"), os.path.join(tmp, "tuned.json")
    os.mkdir(scratch)
    proc = subprocess.Popen([CRIMECAST, "tune", "--data", tensor, "--out", config, "--budget", "4", "--epochs", "2",
                             "--patience", "2", "--window", "4", "--threads", "1"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, TMPDIR=scratch))
    first = ""
    for line in proc.stdout:
        if line.startswith("1 "):  # the first candidate's row: the second is in training
            first = line
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    loss = first.split()[-3] if first else "?"
    check("tune stops on Ctrl-C in candidate 2: exit 1, the best so far named, no configuration, no temporaries",
          proc.returncode == 1 and "stopped by Ctrl-C with 1 of 4 candidates finished (the best so far: candidate 1, "
          "validation loss %s); no configuration written" % loss in err and not os.path.exists(config)
          and os.listdir(scratch) == [], (proc.returncode, err[-600:], os.listdir(scratch)))


def tune_resume_case(tmp, tensor):
    """A search kept with --keep and stopped by Ctrl-C in its second candidate goes on with
    --resume and ends where the uninterrupted search ends: the same scores and the same
    configuration file, byte for byte. (A stopped search did not resume before 2026-12-06:
    it was run again from its first candidate.)"""
    common = ["tune", "--data", tensor, "--budget", "3", "--epochs", "3", "--patience", "3", "--window", "4",
              "--threads", "1"]
    whole, stopped = os.path.join(tmp, "tune-whole.json"), os.path.join(tmp, "tune-stopped.json")
    keep = os.path.join(tmp, "tune-kept")
    p = subprocess.run([CRIMECAST, *common, "--keep", os.path.join(tmp, "tune-whole"), "--out", whole],
                       capture_output=True, text=True)
    check("an uninterrupted search of 3 candidates", p.returncode == 0, p.stderr[-500:])
    rows = lambda text: [line.split()[:9] for line in text.splitlines() if re.match(r"^\d+ ", line)]
    want = rows(p.stdout)
    proc = subprocess.Popen([CRIMECAST, *common, "--keep", keep, "--out", stopped], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("1 "):  # the second candidate is in training
            break
    for _ in range(600):  # until it has saved an epoch: the stop then leaves it half trained
        if os.path.exists(os.path.join(keep, "candidate-02.h5")):
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    check("Ctrl-C in the second candidate: exit 1, no configuration, pointing to --resume",
          proc.returncode == 1 and "--resume goes on from them" in err and not os.path.exists(stopped), err[-600:])
    with h5py.File(os.path.join(keep, "candidate-02.h5"), "r") as m:
        done = int(m.attrs["epochs_done"])
    check("... candidate 2 stopped half trained (%d of 3 epochs), so that the resume goes on inside it" % done,
          0 < done < 3)
    p = subprocess.run([CRIMECAST, *common, "--keep", keep, "--out", stopped, "--resume"], capture_output=True,
                       text=True)
    went_on = re.search(r"resuming the search in \S+: (\d) of the 3 candidates go on", p.stdout)
    check("--resume goes on from the kept candidates (%s of them)" % (went_on.group(1) if went_on else "?"),
          p.returncode == 0 and went_on is not None and int(went_on.group(1)) >= 1, (p.stdout[-600:], p.stderr[-600:]))
    same = os.path.exists(stopped) and open(stopped, "rb").read() == open(whole, "rb").read()
    check("... and ends as the uninterrupted search: the same scores, the same configuration byte for byte",
          rows(p.stdout) == want and same, (rows(p.stdout), want))
    p = subprocess.run([CRIMECAST, *common, "--seed", "5", "--keep", keep, "--out", stopped, "--resume"],
                       capture_output=True, text=True)
    check("--resume of it with another --seed: refused naming the term (it would mix two searches' candidates)",
          p.returncode == 1 and "seed 1, not seed 5" in p.stderr, p.stderr)


def model_state(path):
    """What a resume must leave as it was: parameters, moments, counters and history."""
    def content(value):  # strings by value (the bytes of an object array are pointers)
        return repr(value.tolist()) if value.dtype.kind == "O" else value.tobytes()

    with h5py.File(path, "r") as f:
        data = {}
        f.visititems(lambda name, obj: data.__setitem__(name, content(obj[()]))
                     if isinstance(obj, h5py.Dataset) else None)
        return data, {k: f.attrs[k] for k in ("epochs_done", "step", "best_epoch", "best_val")}


def finished_run_case(tmp, tensor):
    """A run that stopped early (patience), killed after its final write (while it scores
    the test span) and retried with --resume, as a scheduler retries a killed job: the
    resume has nothing left to train and leaves the model as the run ended it."""
    args = ["--data", tensor, "--hidden", "4", "--layers", "1", "--window", "4", "--epochs", "30", "--patience", "1",
            "--lr", "0.05", "--threads", "1", "--device", "cpu", "--seed", "3"]
    ended = os.path.join(tmp, "model_ended.h5")
    p = run("train", *args, "--out", ended)
    check("an early-stopped run: exit 0", p.returncode == 0, p.stderr[-500:])
    want, counters = model_state(ended)
    check("the run stopped early on patience (the case under test)",
          counters["epochs_done"] < 30 and counters["epochs_done"] == counters["best_epoch"] + 1, counters)
    model = os.path.join(tmp, "model_retried.h5")
    p = run("train", "--data", tensor, "--resume", ended, "--threads", "1", "--device", "cpu", "--out", model)
    check("resume of a finished run: exit 0, and no epoch run again (its patience was spent), which it says (it "
          "printed the header of a run of 30 epochs and no word; a probe)",
          p.returncode == 0 and "training goes on from epoch" not in p.stdout and "\nepoch " not in p.stdout
          and "(it stopped early at epoch %d, 1 after its best, epoch %d: its patience of 1 is spent, and a resume "
          "keeps it; nothing more is trained)" % (counters["epochs_done"], counters["best_epoch"]) in p.stdout,
          p.stdout[-500:] + p.stderr[-500:])
    got, got_counters = model_state(model)
    check("resume of a finished run: its counters as the run ended them", got_counters == counters,
          (got_counters, counters))
    check("resume of a finished run: every dataset as the run ended it, bit for bit", got == want,
          sorted(k for k in want if got.get(k) != want[k]))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        import_case(tmp)
        db = os.path.join(tmp, "synth.db")
        p = run("synth", "--db", db, "--from", "2016-01-04", "--to", "2022-01-03", "--seed", "2")
        check("the synthetic store is written", p.returncode == 0, p.stderr)
        tensor = raster_case(tmp, db)
        png_case(tmp, tensor)
        small = os.path.join(tmp, "small.h5")
        p = run("raster", "--city", "synthetic", "--db", db, "--from", "2019-01-07", "--to", "2022-01-03", "--bin",
                "week", "--grid", "16", "--categories", "burglary", "--out", small)
        check("the training tensor is written", p.returncode == 0, p.stderr)
        train_case(tmp, small)
        finished_run_case(tmp, small)
        tune_ctrl_c_case(tmp, small)
        tune_resume_case(tmp, small)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
