#!/usr/bin/env python3
"""`crimecast demo --city london --file F --quick` on hand-made police.uk files: the span
ends with the last month whole (records dated to their month's first day were cut at
the day after, which dropped the last month as a partial bin); a second demo into the
same folder with another file keeps the store (it may be an analyst's) and says that
the first file's records are counted too (the report named one file and said nothing);
a step's warnings reach the terminal, demo.log and the reports (they went to stderr
alone).

usage: demo_city_test.py CRIMECAST
"""
import csv
import os
import sqlite3
import subprocess
import sys
import tempfile

import numpy as np

from checks import check, summary

CRIMECAST = sys.argv[1]
HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code",
          "LSOA name", "Crime type", "Last outcome category", "Context"]


def write_police_uk(path, first_year, years, per_month, seed):
    """per_month burglaries a month around central London, ids unique to the file."""
    rng = np.random.default_rng(seed)
    rows = []
    for year in range(first_year, first_year + years):
        for month in range(1, 13):
            for k in range(per_month):
                rows.append(["f%d-%d-%02d-%d" % (seed, year, month, k), "%d-%02d" % (year, month),
                             "Metropolitan Police Service", "Metropolitan Police Service",
                             "%.6f" % rng.uniform(-0.20, 0.00), "%.6f" % rng.uniform(51.46, 51.56), "On or near X",
                             "E01000001", "City of London 001A", "Burglary", "Under investigation", ""])
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)
    return len(rows)


def demo(path, out):
    return subprocess.run([CRIMECAST, "demo", "--city", "london", "--file", path, "--quick", "--device", "cpu",
                           "--out", out], capture_output=True, text=True)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "demo")
        first = os.path.join(tmp, "first.csv")
        n_first = write_police_uk(first, 2018, 4, 60, seed=1)
        p = demo(first, out)
        check("demo of 48 months exits 0", p.returncode == 0, p.stderr[-2000:])
        report = open(os.path.join(out, "report.md")).read() if p.returncode == 0 else ""
        check("its span ends with the last month whole: 2018-01-01 to 2022-01-01, 48 month bins",
              "2018-01-01 to 2022-01-01, counted into 48 month bins" in report, report[:600])
        with sqlite3.connect(os.path.join(out, "crimecast.db")) as db:
            stored = db.execute("SELECT count(*) FROM incidents").fetchone()[0]
        check("the store holds the first file's %d records" % n_first, stored == n_first, stored)

        second = os.path.join(tmp, "second.csv")
        n_second = write_police_uk(second, 2019, 3, 50, seed=2)
        p = demo(second, out)
        said = "already holds %d incidents of london: they are counted with these files" % n_first
        check("a second demo into the folder, another file: exits 0", p.returncode == 0, p.stderr[-2000:])
        check("... the terminal is told the store's earlier records are counted too", said in p.stderr,
              p.stderr[-2000:])
        with sqlite3.connect(os.path.join(out, "crimecast.db")) as db:
            stored = db.execute("SELECT count(*) FROM incidents").fetchone()[0]
        report = open(os.path.join(out, "report.md")).read() if p.returncode == 0 else ""
        log = open(os.path.join(out, "demo.log")).read()
        check("... the store is kept: both files' %d records" % (n_first + n_second), stored == n_first + n_second,
              stored)
        check("... its report says so: imported with those the store held, 2018-01-01 to 2022-01-01",
              "imported from 1 file(s) with those the store held already, 2018-01-01 to 2022-01-01" in report,
              report[:600])
        check("... the warning is in demo.log, report.md and report.html",
              said in log and "Warnings from the steps" in report and said in report
              and said in open(os.path.join(out, "report.html")).read(), report[:1200])
        bad = os.path.join(tmp, "bad")
        p = subprocess.run([CRIMECAST, "demo", "--city", "London", "--file", first, "--out", bad], capture_output=True,
                           text=True)
        check("demo --city London (a name crimecast has not): a usage error, exit 2, no folder made (it failed at "
              "step 1, exit 1)", p.returncode == 2 and "London" in p.stderr and not os.path.exists(bad), p.stderr)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
