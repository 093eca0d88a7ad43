#!/usr/bin/env python3
"""Conservation on the real cities: imports every record file of ../shared/data, then
for each city rasterises a span and checks, against SQL counts made here with Python's
sqlite3, that

* the sum of channel 'all' equals the number of stored incidents in the whole bins
  of the span (the grid covers the city's bounding box, which import enforces, so no
  incident may fall off it);
* every category channel sums to that category's SQL count;
* the incidents reported in dropped partial bins equal the SQL count outside them.

usage: raster_conservation.py CRIMECAST SHARED_DATA_DIR
Exits 77 (skipped) when the shared data is not there.
"""
import os
import sqlite3
import subprocess
import sys
import tempfile

import h5py
import numpy as np

CITIES = [  # city, files, raster options
    ("chicago", ["chicago/chicago_2012_2014.csv.gz", "chicago/chicago_2015_2017.csv.gz"],
     ["--from", "2012-01-01", "--to", "2018-01-01", "--bin", "week", "--grid", "64"]),
    ("sanfrancisco", ["sanfrancisco/sf_kaggle_train_2003_2015.csv.gz",
                      "sanfrancisco/sf_kaggle_testweeks_2003_2014.csv.gz"],
     ["--from", "2003-01-01", "--to", "2015-01-01", "--bin", "week", "--grid", "32"]),
    ("london", ["london/london_met_burglary_2016_2024.csv.gz",
                "london/city_of_london_police_all_crime_2021.csv.gz"],
     ["--from", "2016-01-01", "--to", "2025-01-01", "--bin", "month", "--grid", "32"]),
    ("losangeles", ["losangeles/la_crime_2020_present_first10000rows_sample.csv.gz"],
     ["--from", "2020-01-03", "--to", "2020-12-30", "--bin", "day", "--cell", "1000"]),
]

BIN_END = {"day": "D", "week": "W", "month": "M"}


def bin_end(last_bin, kind):
    start = np.datetime64(last_bin, "D")
    if kind == "day":
        return str(start + 1)
    if kind == "week":
        return str(start + 7)
    return str((start.astype("datetime64[M]") + 1).astype("datetime64[D]"))


def main():
    crimecast, data_dir = sys.argv[1:3]
    if not os.path.isdir(data_dir):
        print("SKIPPED: no shared data at %s" % data_dir)
        return 77
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "store.db")
        for city, files, options in CITIES:
            p = subprocess.run([crimecast, "import", "--city", city, "--db", db] +
                               [os.path.join(data_dir, f) for f in files], capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit("import failed: %s" % p.stderr)
            out = os.path.join(tmp, city + ".h5")
            p = subprocess.run([crimecast, "raster", "--city", city, "--db", db, "--out", out] + options,
                               capture_output=True, text=True)
            if p.returncode != 0:
                failures.append("%s: raster exited %d: %s" % (city, p.returncode, p.stderr))
                continue
            with h5py.File(out, "r") as f:
                counts = f["counts"][:]
                names = [s.decode() if isinstance(s, bytes) else s for s in f["category"][:]]
                first, last, kind = f.attrs["first_bin"], f.attrs["last_bin"], f.attrs["bin"]
            lo, hi = first + " 00:00", bin_end(last, kind) + " 00:00"
            con = sqlite3.connect(db)
            total = con.execute("SELECT count(*) FROM incidents WHERE city = ? AND occurred >= ? AND occurred < ?",
                                (city, lo, hi)).fetchone()[0]
            per_category = dict(con.execute(
                "SELECT category, count(*) FROM incidents WHERE city = ? AND occurred >= ? AND occurred < ? "
                "GROUP BY category", (city, lo, hi)).fetchall())
            span_from, span_to = options[options.index("--from") + 1], options[options.index("--to") + 1]
            in_span = con.execute("SELECT count(*) FROM incidents WHERE city = ? AND occurred >= ? AND occurred < ?",
                                  (city, span_from + " 00:00", span_to + " 00:00")).fetchone()[0]
            con.close()
            got = float(counts[:, 0].sum())
            print("%s: %s bins %s..%s, sum(all) %d, SQL %d; categories %s" % (city, kind, first, last, got, total, names[1:]))
            if got != total:
                failures.append("%s: sum of 'all' is %d, SQL counts %d" % (city, got, total))
            for c, name in enumerate(names[1:], start=1):
                if float(counts[:, c].sum()) != per_category.get(name, 0):
                    failures.append("%s/%s: %d vs SQL %d" % (city, name, counts[:, c].sum(), per_category.get(name, 0)))
            if sorted(per_category) != sorted(names[1:]):
                failures.append("%s: channels %s, categories in SQL %s" % (city, names[1:], sorted(per_category)))
            dropped = "%d in dropped partial bins, 0 off the grid" % (in_span - total)
            if dropped not in p.stdout:
                failures.append("%s: expected '%s' in: %s" % (city, dropped, p.stdout))
    for failure in failures:
        print("FAIL: " + failure)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
