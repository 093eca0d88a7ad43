#!/usr/bin/env python3
"""Data-parallel training over MPI (`mpirun --oversubscribe -np 2 crimecast train`, CPU
backend) against one process with the same global batch and seed: the losses of every
epoch and every parameter agree within 1e-5 relative after 3 epochs, the model files hold
the same architecture and split; rank 0 alone prints. `--seeds 3` over 2 ranks writes
the file one process writes, bit for bit, and `tune --budget 4` on 2 ranks its
configuration file. Killing one rank makes the job exit
non-zero with a message and leaves a model file that `--resume` continues.

usage: mpi_train_test.py CRIMECAST MPIRUN
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

from checks import check, summary
from synthetic_tensor import write_tensor

CRIMECAST, MPIRUN = os.path.abspath(sys.argv[1]), sys.argv[2]
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1",
           # Open MPI's own allocations are not ours to judge under LeakSanitizer
           ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")


def train(ranks, *args):
    cmd = [CRIMECAST, "train"] + [str(a) for a in args]
    if ranks:
        cmd = [MPIRUN, "--oversubscribe", "-np", str(ranks)] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV)


def relative(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def main():
    rng = np.random.default_rng(11)
    T, C, H, W = 80, 2, 10, 9
    counts = rng.poisson(rng.gamma(2, 0.5, (1, C, H, W)) * np.ones((T, 1, 1, 1))).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        tensor = os.path.join(tmp, "t.h5")
        write_tensor(tensor, counts, np.ones((H, W), np.uint8), ["burglary", "robbery"])
        common = ["--data", tensor, "--hidden", "4,4", "--window", 4, "--batch", 6, "--threads", 1, "--seed", 5,
                  "--device", "cpu", "--epochs", 3, "--patience", 3]
        one, two = os.path.join(tmp, "one.h5"), os.path.join(tmp, "two.h5")
        p1 = train(0, *common, "--out", one)
        p2 = train(2, *common, "--out", two)
        check("one process trains", p1.returncode == 0, p1.stderr[-2000:])
        check("mpirun -np 2 trains", p2.returncode == 0, p2.stderr[-2000:])
        if p1.returncode or p2.returncode:
            return summary()
        check("rank 0 alone prints (one report)", p2.stdout.count("epoch 3:") == 1, p2.stdout)
        with h5py.File(one, "r") as a, h5py.File(two, "r") as b:
            for name in ("train_loss", "val_loss"):
                la, lb = a["history/" + name][:], b["history/" + name][:]
                check("%s of 3 epochs within 1e-5 relative" % name, len(la) == 3 and len(lb) == 3
                      and relative(lb, la) < 1e-5, (la, lb))
            worst = max(relative(b["params/" + k][:], a["params/" + k][:]) for k in a["params"])
            check("every parameter within 1e-5 relative (%.2g)" % worst, worst < 1e-5 and set(a["params"]) == set(b["params"]))
            same = all(np.array_equal(np.atleast_1d(a.attrs[k]), np.atleast_1d(b.attrs[k]))
                       for k in ("model", "hidden", "window", "horizon", "context", "target_spans", "batch", "seed"))
            check("the same architecture and split", same)

        # --seeds 3 over 2 ranks: each member trained whole by one rank, the file rank 0
        # writes the one process's, bit for bit (--bind-to none: bound to one core, oneDNN
        # picks other kernels and the members differ in the last bits)
        seeds = ["--seeds", 3, "--epochs", 2]
        s1, s2 = os.path.join(tmp, "seeds1.h5"), os.path.join(tmp, "seeds2.h5")
        q1 = train(0, *common[:-4], *seeds, "--out", s1)
        q2 = subprocess.run([MPIRUN, "--oversubscribe", "--bind-to", "none", "-np", "2", CRIMECAST, "train"]
                            + [str(a) for a in common[:-4] + seeds + ["--out", s2]], capture_output=True, text=True, env=ENV)
        check("--seeds 3: one process and 2 ranks train", q1.returncode == 0 and q2.returncode == 0,
              (q1.stderr[-1000:], q2.stderr[-1000:]))
        check("--seeds 3 over 2 ranks: the uneven share is said once, by rank 0", q2.stderr.count(
            "note: --seeds 3 over 2 ranks: each member is trained whole by one rank, so 1 rank trains 2 members and "
            "the others 1") == 1 and "over 2 ranks" not in q1.stderr, q2.stderr[-1500:])
        idle = subprocess.run([MPIRUN, "--oversubscribe", "--bind-to", "none", "-np", "3", CRIMECAST, "train"]
                              + [str(a) for a in common[:-4] + ["--seeds", 2, "--epochs", 1, "--out",
                                                                os.path.join(tmp, "idle.h5")]],
                              capture_output=True, text=True, env=ENV)
        check("--seeds 2 over 3 ranks: trains, saying one rank trains nothing (unsaid; a probe)", idle.returncode == 0
              and "--seeds 2 over 3 ranks: each member is trained whole by one rank, so 1 rank trains nothing; mpirun "
              "-np 2, or --seeds 3, uses them all" in idle.stderr, idle.stderr[-1500:])
        if q1.returncode == 0 and q2.returncode == 0:
            def everything(f):
                out = {}
                f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
                return out
            with h5py.File(s1, "r") as a, h5py.File(s2, "r") as b:
                A, B = everything(a), everything(b)
                differ = sorted(k for k in A if k not in B or not np.array_equal(A[k], B[k]))
                check("--seeds 3 on 2 ranks: every dataset of the file equal to one process's (%d of %d differ)"
                      % (len(differ), len(A)), not differ and set(A) == set(B) and int(a.attrs["members"]) == 3,
                      differ[:5])
                attrs = [k for k in a.attrs if k not in b.attrs
                         or not np.array_equal(np.atleast_1d(a.attrs[k]), np.atleast_1d(b.attrs[k]))]
                check("--seeds 3 on 2 ranks: the same attributes, members' seeds and scores",
                      not attrs and all(dict(a["ensemble"][i].attrs) == dict(b["ensemble"][i].attrs)
                                        for i in a["ensemble"]), attrs)
            # every member reported once by rank 0, rank 1's too, with the one process's
            # figures (rank 1's member was never said, no member's test loss; found by a probe)
            one = re.findall(r"member (\d)/3 best epoch (\d+), validation loss (\S+), test loss (\S+)", q1.stdout)
            two = re.findall(r"member (\d)/3 \(seed \d+\) on rank \d: best epoch (\d+), validation loss (\S+), "
                             r"test loss (\S+)", q2.stdout)
            check("--seeds 3 on 2 ranks: each member reported once, with the one process's epoch and losses",
                  len(one) == 3 and sorted(two) == sorted(one) and "on rank 1: best epoch" in q2.stdout,
                  (one, two, q2.stdout[-800:]))

        # tune --budget 4 over 2 ranks: candidate i on rank i mod 2, the same table and the
        # configuration file one process writes
        tune = ["tune", "--data", tensor, "--budget", 4, "--epochs", 1, "--window", 4, "--threads", 1, "--seed", 2]
        c1, c2 = os.path.join(tmp, "tune1.json"), os.path.join(tmp, "tune2.json")
        k1, k2 = os.path.join(tmp, "kept1"), os.path.join(tmp, "kept2")
        t1 = subprocess.run([CRIMECAST] + [str(a) for a in tune + ["--out", c1, "--keep", k1]], capture_output=True,
                            text=True, env=ENV)
        t2 = subprocess.run([MPIRUN, "--oversubscribe", "--bind-to", "none", "-np", "2", CRIMECAST]
                            + [str(a) for a in tune + ["--out", c2, "--keep", k2]], capture_output=True, text=True, env=ENV)
        check("tune: one process and 2 ranks", t1.returncode == 0 and t2.returncode == 0, (t1.stderr[-800:], t2.stderr[-800:]))
        if t1.returncode == 0 and t2.returncode == 0:
            with open(c1) as f1, open(c2) as f2:
                same = f1.read() == f2.read()
            scores = lambda text: [line.split()[8] for line in text.splitlines() if line[:1].isdigit()]
            check("tune on 2 ranks writes the configuration file one process writes, byte for byte", same)
            check("tune on 2 ranks prints the same scores, once", scores(t1.stdout) == scores(t2.stdout)
                  and len(scores(t2.stdout)) == 4, (t1.stdout, t2.stdout))
            logs = lambda d: "".join(open(os.path.join(d, n)).read() for n in sorted(os.listdir(d)) if n.endswith(".log"))
            check("tune's candidates hold resident windows in one process, not on 2 ranks of one machine (--gather auto)",
                  "resident windows" in logs(k1) and "resident windows" not in logs(k2), (logs(k1)[-600:], logs(k2)[-600:]))

        # one rank killed mid-run: the job stops, non-zero, and the file resumes (400 epochs
        # of 0.03 s: with 40 a loaded machine saw the job end before the kill)
        killed = os.path.join(tmp, "killed.h5")
        long = common[:-4] + ["--epochs", 400, "--patience", 400, "--out", killed]
        job = subprocess.Popen([MPIRUN, "--oversubscribe", "-np", "2", CRIMECAST, "train"] + [str(a) for a in long],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        deadline = time.time() + 120
        while not os.path.exists(killed) and time.time() < deadline and job.poll() is None:
            time.sleep(0.2)
        ranks = subprocess.run(["pgrep", "-f", "-P", str(job.pid), "crimecast"], capture_output=True, text=True).stdout.split()
        if ranks:
            os.kill(int(ranks[-1]), signal.SIGKILL)
        out, err = job.communicate(timeout=120)
        check("killing a rank ends the job non-zero, with a message", bool(ranks) and job.returncode != 0 and err.strip(),
              (ranks, job.returncode, err[-1500:]))
        with h5py.File(killed, "r") as f:
            done = int(f.attrs["epochs_done"])
        check("the model file it left is whole (epochs_done %d)" % done, done >= 1)
        p = train(2, "--resume", killed, "--data", tensor, "--threads", 1, "--device", "cpu", "--epochs", done + 2,
                  "--out", killed)
        with h5py.File(killed, "r") as f:
            after = int(f.attrs["epochs_done"])
        check("--resume continues it (%d -> %d epochs)" % (done, after), p.returncode == 0 and after == done + 2,
              p.stderr[-1500:])
        check("... data parallel again (the resume took the file's options and lost the ranks' before 2026-12-05)",
              "(resumed), on the CPU, data parallel over 2 processes" in p.stdout, p.stdout[-1500:])
        disagreeing_ranks(tmp, tensor, counts, H, W, common)
        tune_resumed_by_more_ranks(tmp, tensor)
    return summary()


def disagreeing_ranks(tmp, tensor, counts, H, W, common):
    """Ranks that do not run the same thing are refused before training, naming the rank:
    another tensor under the same name on one machine (here: rank 1 started in another
    directory holding its own t.h5) trained a mix of the two, and another --seed on one
    rank a model of both seeds, each exit 0."""
    here, there = os.path.join(tmp, "machine0"), os.path.join(tmp, "machine1")
    os.makedirs(here), os.makedirs(there)
    shutil.copy(tensor, os.path.join(here, "t.h5"))
    other = counts.copy()
    other[5] += 1
    write_tensor(os.path.join(there, "t.h5"), other, np.ones((H, W), np.uint8), ["burglary", "robbery"])
    out = os.path.join(tmp, "mixed.h5")
    args = ["train", "--data", "t.h5"] + [str(a) for a in common[2:]] + ["--out", out]
    # the same counts with recency maps on rank 1 alone (a copy rastered with --recency on):
    # the two built other networks, and the job died in MPI's own error with no word
    recent = os.path.join(tmp, "machine2")
    os.makedirs(recent)
    shutil.copy(tensor, os.path.join(recent, "t.h5"))
    with h5py.File(os.path.join(recent, "t.h5"), "r+") as f:
        f["recency"] = (0.5 * counts[:, None].repeat(2, axis=1)).astype(np.float32)
        f["recency"].attrs["tau_days"] = np.array([1.0, 3.0])
    for what, says, first, second in (
            ("another tensor under the same name on rank 1", "t.h5: rank 1 read another tensor than rank 0",
             ["-wdir", here, CRIMECAST] + args, ["-wdir", there, CRIMECAST] + args),
            ("the same counts with recency maps on rank 1 alone (found by a probe)",
             "t.h5: rank 1 read another tensor than rank 0",
             ["-wdir", here, CRIMECAST] + args, ["-wdir", recent, CRIMECAST] + args),
            ("another --seed on rank 1", "rank 1 was started with other options than rank 0",
             ["-wdir", here, CRIMECAST] + args, ["-wdir", here, CRIMECAST] + args + ["--seed", "6"])):
        p = subprocess.run([MPIRUN, "--oversubscribe", "-np", "1"] + first + [":", "-np", "1"] + second,
                           capture_output=True, text=True, env=ENV)
        check("%s: refused naming it, no model" % what, p.returncode != 0 and says in p.stderr
              and not os.path.exists(out), (p.returncode, p.stderr[-800:]))
    tuned = os.path.join(tmp, "mixed.json")
    tune = ["tune", "--data", "t.h5", "--budget", "2", "--epochs", "1", "--window", "4", "--threads", "1", "--out", tuned]
    p = subprocess.run([MPIRUN, "--oversubscribe", "-np", "1", "-wdir", here, CRIMECAST] + tune + [":", "-np", "1", "-wdir",
                        there, CRIMECAST] + tune, capture_output=True, text=True, env=ENV)
    check("tune with another tensor under the same name on rank 1: refused naming it, no configuration",
          p.returncode != 0 and "t.h5: rank 1 read another tensor than rank 0" in p.stderr and not os.path.exists(tuned),
          (p.returncode, p.stderr[-800:]))
    # --keep naming a file on rank 1's machine alone: the message names the rank, as train's
    # do (it did not say which; found by a probe)
    kept_file = os.path.join(tmp, "machine3")
    os.makedirs(kept_file)
    shutil.copy(tensor, os.path.join(kept_file, "t.h5"))
    open(os.path.join(kept_file, "kk"), "w").close()
    keep = tune[:-2] + ["--keep", "kk", "--out", os.path.join(tmp, "kept.json")]
    p = subprocess.run([MPIRUN, "--oversubscribe", "-np", "1", "-wdir", here, CRIMECAST] + keep + [":", "-np", "1", "-wdir",
                        kept_file, CRIMECAST] + keep, capture_output=True, text=True, env=ENV)
    check("tune whose --keep is a file on rank 1 alone: refused, the message naming rank 1", p.returncode != 0
          and "crimecast tune: rank 1 of 2: --keep kk" in p.stderr, (p.returncode, p.stderr[-800:]))
    p = subprocess.run([MPIRUN, "--oversubscribe", "-np", "1", "-wdir", here, CRIMECAST] + args + [":", "-np", "1", "-wdir",
                        here, CRIMECAST] + args, capture_output=True, text=True, env=ENV)
    check("the same command and tensor on both ranks, each from its own start: trains", p.returncode == 0
          and os.path.exists(out), p.stderr[-800:])
    # --resume of a model file of which rank 1's machine holds another copy (one weight
    # changed: a stale file): refused naming the file (rank 1 trained on from it, a mix, exit
    # 0; another network there crashed in the sums, a further-on file hung; a probe, 2026-12-07)
    shutil.copy(out, os.path.join(here, "p.h5"))
    shutil.copy(out, os.path.join(there, "p.h5"))
    with h5py.File(os.path.join(there, "p.h5"), "r+") as f:
        name = sorted(f["params"])[0]
        f["params/" + name][...] = f["params/" + name][...] + np.float32(1e-3)
    resumed = os.path.join(tmp, "resumed.h5")
    again = ["train", "--data", os.path.join(here, "t.h5"), "--resume", "p.h5", "--epochs", "50", "--threads", "1",
             "--out", resumed]
    p = subprocess.run([MPIRUN, "--oversubscribe", "-np", "1", "-wdir", here, CRIMECAST] + again + [":", "-np", "1",
                        "-wdir", there, CRIMECAST] + again, capture_output=True, text=True, env=ENV)
    check("--resume of a file whose copy on rank 1 differs: refused naming the rank and the file, no model",
          p.returncode != 0 and "rank 1 was started with other options than rank 0 (or another copy of --resume p.h5"
          in p.stderr and not os.path.exists(resumed), (p.returncode, p.stderr[-800:]))
    forecast = os.path.join(tmp, "twice.h5")
    p = subprocess.run([MPIRUN, "--oversubscribe", "-np", "2", CRIMECAST, "predict", "--model", out, "--data",
                        os.path.join(here, "t.h5"), "--out", forecast], capture_output=True, text=True, env=ENV)
    check("predict under mpirun -np 2 is refused (each copy did the whole work into the same file)",
          p.returncode == 2 and "only train and tune run as jobs of several processes" in p.stderr
          and not os.path.exists(forecast), (p.returncode, p.stderr[-600:]))


def tune_resumed_by_more_ranks(tmp, tensor):
    """A search kept by one process, resumed by two ranks: rank 1 has no record of its own
    and reads rank 0's (it was refused, saying no search was begun there); and a new search
    by one process removes the record an earlier search of two ranks left for rank 1 (a
    resume of the new one by two ranks was refused as begun on other terms). Both found
    by a probe, 2026-12-07. Each search, resumed, gives the configuration it gave alone."""
    def tune(ranks, keep, seed, *more):
        out = os.path.join(tmp, "tuned-%s-%d-%d.json" % (os.path.basename(keep), seed, ranks))
        cmd = [CRIMECAST, "tune", "--data", tensor, "--budget", "2", "--epochs", "1", "--window", "4", "--threads", "1",
               "--seed", str(seed), "--keep", keep, "--out", out, *more]
        if ranks:
            cmd = [MPIRUN, "--oversubscribe", "--bind-to", "none", "-np", str(ranks)] + cmd
        p = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
        return p, open(out).read() if p.returncode == 0 else None
    keep = os.path.join(tmp, "kept-alone")
    p, alone = tune(0, keep, 3)
    q, resumed = tune(2, keep, 3, "--resume")
    check("a search of one process, resumed by 2 ranks: goes on, the same configuration", p.returncode == 0
          and q.returncode == 0 and resumed == alone, (p.stderr[-500:], q.stderr[-800:]))
    keep = os.path.join(tmp, "kept-two")
    p, _ = tune(2, keep, 3)
    left = os.path.exists(os.path.join(keep, "tune-search-rank1.txt"))
    q, alone = tune(0, keep, 4)
    gone = not os.path.exists(os.path.join(keep, "tune-search-rank1.txt"))
    r, resumed = tune(2, keep, 4, "--resume")
    check("a search of 2 ranks, then a new one of one process there: rank 1's record removed, the new one's resume "
          "by 2 ranks goes on, the same configuration", p.returncode == 0 and left and q.returncode == 0 and gone
          and r.returncode == 0 and resumed == alone, (p.stderr[-500:], q.stderr[-500:], r.stderr[-800:]))


if __name__ == "__main__":
    sys.exit(main())
