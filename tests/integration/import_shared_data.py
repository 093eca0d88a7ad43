#!/usr/bin/env python3
"""Imports every record file of ../shared/data with crimecast and checks it against an
independent reading of the same files with Python's csv module:

* rows read equals the rows Python's csv finds, and inserted + duplicates + rejected
  equals rows read;
* the counts per reason (no coordinates, outside the area, bad date, malformed) and
  the duplicates equal what this script derives on its own from the city definitions'
  bounding boxes and boundary (London's, by OGR's point in polygon);
* every raw crime type in the data is in its city's category map (none falls into
  "other" by accident);
* sampled rows are stored with the local time, coordinates and category this script
  computes;
* importing every file a second time inserts nothing.

usage: import_shared_data.py CRIMECAST SHARED_DATA_DIR CITIES_DIR
Exits 77 (skipped) when the shared data is not there.
"""
import csv
import datetime
import gzip
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

FILES = [  # (city, path under shared/data, layout)
    ("chicago", "chicago/chicago_2012_2014.csv.gz", "chicago"),
    ("chicago", "chicago/chicago_2015_2017.csv.gz", "chicago"),
    ("sanfrancisco", "sanfrancisco/sf_kaggle_train_2003_2015.csv.gz", "sf-kaggle-train"),
    ("sanfrancisco", "sanfrancisco/sf_kaggle_testweeks_2003_2014.csv.gz", "sf-kaggle-test"),
    ("london", "london/london_met_burglary_2016_2024.csv.gz", "police-uk-street"),
    ("london", "london/city_of_london_police_all_crime_2021.csv.gz", "police-uk-street"),
    ("losangeles", "losangeles/la_crime_2020_present_first10000rows_sample.csv.gz", "la"),
]

SUMMARY = re.compile(
    r"^(?P<file>.+): (?P<read>\d+) read, (?P<inserted>\d+) inserted, (?P<dup>\d+) duplicates, "
    r"(?P<rejected>\d+) rejected \(no coordinates (?P<nocoord>\d+), outside area (?P<outside>\d+), "
    r"bad date (?P<baddate>\d+), malformed (?P<malformed>\d+)\) \[(?P<layout>[^,]+), ")

SAMPLE_EVERY = 997


_parsed = {}


def parse_datetime(layout, row):
    """The local wall-clock time as 'YYYY-MM-DD HH:MM', or None when invalid.
    Timestamps repeat a lot, so results are remembered (strptime is slow)."""
    key = (layout, row.get("Date"), row.get("Dates"), row.get("Month"), row.get("DATE OCC"),
           row.get("TIME OCC"))
    if key not in _parsed:
        _parsed[key] = _parse_datetime(layout, row)
    return _parsed[key]


def _parse_datetime(layout, row):
    try:
        if layout == "chicago":
            t = datetime.datetime.strptime(row["Date"], "%m/%d/%Y %I:%M:%S %p")
        elif layout == "sf-kaggle-train":
            t = datetime.datetime.strptime(row["Dates"], "%Y-%m-%d %H:%M:%S")
        elif layout == "sf-kaggle-test":
            t = datetime.datetime.strptime(row["Dates"], "%Y-%m-%d %I:%M:%S%p")
        elif layout == "police-uk-street":
            t = datetime.datetime.strptime(row["Month"], "%Y-%m")
        elif layout == "la":
            day = row["DATE OCC"].split(" ")[0]
            t = datetime.datetime.strptime(day, "%m/%d/%Y")
            hhmm = int(row["TIME OCC"])
            t = t.replace(hour=hhmm // 100, minute=hhmm % 100)
        else:
            raise AssertionError(layout)
    except ValueError:
        return None
    return t.strftime("%Y-%m-%d %H:%M")


def coordinates(layout, row):
    if layout.startswith("sf-kaggle"):
        return row["Y"], row["X"]
    if layout == "la":
        return row["LAT"], row["LON"]
    return row["Latitude"], row["Longitude"]


RAW_TYPE = {"chicago": "Primary Type", "sf-kaggle-train": "Category",
            "police-uk-street": "Crime type", "la": "Crm Cd Desc", "sf-kaggle-test": None}


def source_key(layout, row, fields, ordinals):
    """What identifies the row: the portal's id, or the row's fields plus the ordinal
    of identical rows so far in this file."""
    ident = {"chicago": row.get("ID"), "sf-kaggle-test": row.get("Id"),
             "police-uk-street": row.get("Crime ID"), "la": row.get("DR_NO")}.get(layout)
    if layout == "sf-kaggle-test":
        ident = "kaggle-test-" + ident
    if ident:
        return ident, True
    key = tuple(fields)
    ordinals[key] = ordinals.get(key, 0) + 1
    return (key, ordinals[key]), False


def area_test(city_def):
    """Whether (lon, lat) is inside the city file's boundary ring, by OGR's (GEOS's) point in
    polygon, remembered per point (police.uk's snap points repeat); always, without one."""
    if "boundary" not in city_def:
        return lambda lon, lat: True
    from osgeo import ogr
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for lon, lat in city_def["boundary"]["ring"]:
        ring.AddPoint_2D(lon, lat)
    area = ogr.Geometry(ogr.wkbPolygon)
    area.AddGeometry(ring)
    area.CloseRings()
    known = {}

    def inside(lon, lat):
        if (lon, lat) not in known:
            point = ogr.Geometry(ogr.wkbPoint)
            point.AddPoint_2D(lon, lat)
            known[(lon, lat)] = area.Contains(point)
        return known[(lon, lat)]
    return inside


def expected_counts(city_def, layout, path, seen, samples):
    bbox = city_def["bbox"]
    in_area = area_test(city_def)
    mapping = {raw.strip().upper(): cat for cat, raws in city_def["categories"].items() for raw in raws}
    counts = dict(read=0, inserted=0, dup=0, nocoord=0, outside=0, baddate=0, malformed=0)
    unmapped = set()
    ordinals = {}
    with gzip.open(path, "rt", newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader)
        for fields in reader:
            if not fields:
                continue
            counts["read"] += 1
            if len(fields) != len(header):
                counts["malformed"] += 1
                continue
            row = dict(zip(header, fields))
            key, has_id = source_key(layout, row, fields, ordinals)
            occurred = parse_datetime(layout, row)
            if occurred is None:
                counts["baddate"] += 1
                continue
            lat_text, lon_text = coordinates(layout, row)
            if not lat_text.strip() and not lon_text.strip():
                counts["nocoord"] += 1
                continue
            lat, lon = float(lat_text), float(lon_text)
            if (lat == 0 and lon == 0) or abs(lat) == 90:  # (0, 0), or a pole (SF's lat 90, lon -120.5)
                counts["nocoord"] += 1
                continue
            if not (bbox["min_lon"] <= lon <= bbox["max_lon"] and bbox["min_lat"] <= lat <= bbox["max_lat"]) \
                    or not in_area(lon, lat):
                counts["outside"] += 1
                continue
            if key in seen:
                counts["dup"] += 1
                continue
            seen.add(key)
            counts["inserted"] += 1
            raw = row[RAW_TYPE[layout]] if RAW_TYPE[layout] else ""
            category = mapping.get(raw.strip().upper(), "unknown" if not raw.strip() else None)
            if category is None:
                unmapped.add(raw)
            if has_id and counts["inserted"] % SAMPLE_EVERY == 1:
                samples.append((key, occurred, lat, lon, category, raw or None))
    return counts, unmapped


def run_import(crimecast, city, db, path):
    proc = subprocess.run([crimecast, "import", "--city", city, "--db", db, path],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("FAIL: crimecast import %s exited %d:\n%s" % (path, proc.returncode, proc.stderr))
    for line in proc.stdout.splitlines():
        m = SUMMARY.match(line)
        if m:
            return {k: (v if k in ("file", "layout") else int(v)) for k, v in m.groupdict().items()}
    sys.exit("FAIL: no summary line for %s in:\n%s" % (path, proc.stdout))


def check_samples(db, city, samples):
    con = sqlite3.connect(db)
    for key, occurred, lat, lon, category, raw in samples:
        got = con.execute("SELECT occurred, lat, lon, category, raw_type FROM incidents "
                          "WHERE city = ? AND source_id = ?", (city, key)).fetchone()
        assert got is not None, "%s %s not stored" % (city, key)
        assert got[0] == occurred, (city, key, got[0], occurred)
        assert abs(got[1] - lat) < 1e-9 and abs(got[2] - lon) < 1e-9, (city, key, got, lat, lon)
        assert got[3] == category, (city, key, got[3], category)
        assert got[4] == raw, (city, key, got[4], raw)
    con.close()
    return len(samples)


def main():
    crimecast, data_dir, cities_dir = sys.argv[1:4]
    if not os.path.isdir(data_dir):
        print("SKIPPED: no shared data at %s" % data_dir)
        return 77
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "store.db")
        seen = {}
        totals = {}
        for city, rel, layout in FILES:
            path = os.path.join(data_dir, rel)
            city_def = json.load(open(os.path.join(cities_dir, city + ".json")))
            samples = []
            want, unmapped = expected_counts(city_def, layout, path, seen.setdefault(city, set()), samples)
            got = run_import(crimecast, city, db, path)
            print("%s: crimecast %s" % (rel, {k: got[k] for k in want}))
            print("%s: python    %s" % (rel, want))
            if got["layout"] != layout:
                failures.append("%s: layout %s, expected %s" % (rel, got["layout"], layout))
            for k, v in want.items():
                if got[k] != v:
                    failures.append("%s: %s = %d, expected %d" % (rel, k, got[k], v))
            if got["inserted"] + got["dup"] + got["rejected"] != got["read"]:
                failures.append("%s: inserted + duplicates + rejected != read" % rel)
            if unmapped:
                failures.append("%s: raw types missing from %s.json: %s" % (rel, city, sorted(unmapped)))
            print("%s: %d sampled rows match" % (rel, check_samples(db, city, samples)))
            totals[city] = totals.get(city, 0) + got["inserted"]
        con = sqlite3.connect(db)
        for city, n in totals.items():
            stored = con.execute("SELECT count(*) FROM incidents WHERE city = ?", (city,)).fetchone()[0]
            if stored != n:
                failures.append("%s: %d rows stored, %d reported inserted" % (city, stored, n))
        con.close()
        for city, rel, layout in FILES:
            again = run_import(crimecast, city, db, os.path.join(data_dir, rel))
            if again["inserted"] != 0:
                failures.append("%s: second import inserted %d" % (rel, again["inserted"]))
            print("%s: second import inserted %d, %d duplicates" % (rel, again["inserted"], again["dup"]))
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
