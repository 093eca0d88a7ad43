#!/usr/bin/env python3
"""Writes the seed corpora of the text fuzz targets (tests/fuzz/corpus/NAME/) from the
real data in ../shared/data and the city definitions in data/cities:

  import        a few records of every CSV layout (the real files' first rows, and the
                fixtures of tests/test_import.c), as a Socrata page and as a file
                (plain, gzip, a police.uk-style zip archive), with the fuzz target's
                leading byte (city in bits 0-1, file in bit 2)
  police_uk     API pages built from real London records (the API's JSON fields)
  city          the city definitions
  datetime      the timestamps of the real records, one per seed
  train_config  a configuration as tune writes it

The HDF5 targets start from their templates (make_templates.sh) and need no corpus but
an empty edit. Run from the repository root: /usr/bin/python3 tests/fuzz/make_corpus.py
"""
import codecs
import csv
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "..", "shared", "data")
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
CITY = {"chicago": 0, "sanfrancisco": 1, "losangeles": 2, "london": 3}
ROWS = 12


def seed(target, data):
    folder = os.path.join(OUT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def head(path, rows=ROWS):
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        lines = [next(f) for _ in range(rows + 1)]
    return "".join(lines)


STRING = r'"(?:[^"\\]|\\.)*"'


def c_strings(tokens, macros):
    """The text of adjacent C string literals and macros standing for them."""
    text = ""
    for literal, name in re.findall(r'(%s)|([A-Z_][A-Z0-9_]*)' % STRING, re.sub(r"/\*.*?\*/", "", tokens, flags=re.S)):
        text += codecs.escape_decode(literal[1:-1].encode())[0].decode("utf-8") if literal else macros.get(name, "")
    return text


def test_fixtures():
    """The CSV constants of tests/test_import.c (every layout, hostile rows included), by
    the city their name starts with: the layouts that have no real file here too."""
    with open(os.path.join(ROOT, "tests", "test_import.c")) as f:
        source = f.read().replace("\\\n", " ")
    macros = {m.group(1): c_strings(m.group(2), {})
              for m in re.finditer(r'#define ([A-Z_0-9]+)((?:\s*%s)+)\s*\n' % STRING, source)}
    prefixes = {"CHICAGO": "chicago", "SF": "sanfrancisco", "LA": "losangeles", "POLICE_UK": "london"}
    found = []
    for m in re.finditer(r'static const char ([A-Z0-9_]+)\[\] =((?:\s*(?:/\*.*?\*/|%s|[A-Z_][A-Z0-9_]*))+)\s*;'
                         % STRING, source, re.S):
        city = next((c for p, c in prefixes.items() if m.group(1).startswith(p)), None)
        if city:
            found.append((city, c_strings(m.group(2), macros)))
    return found


def csv_seeds():
    real = {
        "chicago": [os.path.join(DATA, "chicago", "chicago_2015_2017.csv.gz")],
        "sanfrancisco": [os.path.join(DATA, "sanfrancisco", "sf_kaggle_train_2003_2015.csv.gz"),
                         os.path.join(DATA, "sanfrancisco", "sf_kaggle_testweeks_2003_2014.csv.gz")],
        "losangeles": [os.path.join(DATA, "losangeles", "la_crime_2020_present_first10000rows_sample.csv.gz")],
        "london": [os.path.join(DATA, "london", "city_of_london_police_all_crime_2021.csv.gz"),
                   os.path.join(DATA, "london", "london_met_burglary_2016_2024.csv.gz")],
    }
    texts = []
    for city, paths in real.items():
        for path in paths:
            texts.append((city, head(path)))
    texts += test_fixtures()
    for city, text in texts:
        body = text.encode("utf-8")
        seed("import", bytes([CITY[city]]) + body)            # a Socrata page
        seed("import", bytes([CITY[city] | 4]) + body)        # a file
        seed("import", bytes([CITY[city] | 4]) + gzip.compress(body, mtime=0))
    # A police.uk monthly archive: the forces' street-level CSVs in a month folder.
    london = head(os.path.join(DATA, "london", "city_of_london_police_all_crime_2021.csv.gz"), 6)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("2021-01/2021-01-city-of-london-street.csv", (2021, 1, 1, 0, 0, 0)), london)
        z.writestr(zipfile.ZipInfo("2021-01/2021-01-city-of-london-outcomes.csv", (2021, 1, 1, 0, 0, 0)), "x\n")
    seed("import", bytes([CITY["london"] | 4]) + archive.getvalue())
    seed("import", bytes([0]) + b"\xef\xbb\xbf")
    return texts


def police_uk_seeds():
    with open(os.path.join(ROOT, "data", "cities", "london.json")) as f:
        slugs = {v: k for k, v in json.load(f)["portal"].get("api_categories", {}).items()}
    rows = list(csv.DictReader(io.StringIO(head(os.path.join(DATA, "london",
                                                             "city_of_london_police_all_crime_2021.csv.gz"), 8))))
    crimes = []
    for i, r in enumerate(rows):
        crimes.append({
            "category": slugs.get(r["Crime type"], "other-crime"), "location_type": "Force",
            "location": {"latitude": r["Latitude"], "street": {"id": 1000 + i, "name": r["Location"]},
                         "longitude": r["Longitude"]},
            "context": r["Context"], "outcome_status": {"category": r["Last outcome category"], "date": r["Month"]},
            "persistent_id": r["Crime ID"], "id": 90000000 + i, "location_subtype": "", "month": r["Month"]})
    seed("police_uk", json.dumps(crimes).encode())
    seed("police_uk", json.dumps(crimes[:1], indent=1).encode())
    seed("police_uk", b"[]")
    return rows


def other_seeds(texts):
    cities = os.path.join(ROOT, "data", "cities")
    for name in sorted(os.listdir(cities)):
        with open(os.path.join(cities, name), "rb") as f:
            seed("city", f.read())
    stamps = set()
    for city, text in texts:
        for row in list(csv.reader(io.StringIO(text)))[1:4]:
            stamps.update(v for v in row if any(c.isdigit() for c in v) and ("/" in v or "-" in v or ":" in v))
    for s in sorted(stamps):
        if len(s) <= 32:
            seed("datetime", s.encode())
    for s in ["2020-02-29", "2020-02-29T23:59:59.999", "12/31/2019 11:59:00 PM", "2019/01/01 12:00 AM", "2021-06",
              "1430", "5", "23:59:30"]:
        seed("datetime", s.encode())
    config = {"format": "crimecast-train-config", "format_version": 1,
              "options": {"hidden": "16,16", "kernel": "3", "lr": "0.001", "context": "on", "window": "8"},
              "tuned_on": "tensor.h5", "validation_loss": 0.0363}
    seed("train_config", json.dumps(config, indent=2).encode())


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    if not os.path.isdir(DATA):
        print("make_corpus.py: no %s" % DATA, file=sys.stderr)
        return 1
    texts = csv_seeds()
    police_uk_seeds()
    other_seeds(texts)
    for target in ("tensor_file", "model_file"):
        seed(target, b"")          # the template itself
        seed(target, b"\x01")      # the other template / reader
    for target in sorted(os.listdir(OUT)):
        print("%-13s %d seeds" % (target, len(os.listdir(os.path.join(OUT, target)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
