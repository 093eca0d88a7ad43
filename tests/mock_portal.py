#!/usr/bin/env python3
"""A loopback mock of the portals crimecast crawls, for tests.

Serves records drawn from ../shared/data with the real APIs' query semantics:
* Socrata: GET /resource/<dataset>.csv with $where (`<field> >= 'A' AND <field> < 'B'`),
  $order=:id, $limit, $offset, answering CSV with the API's lower-case field names, or
  with $select=count(*) AS n the window's count (a quoted header and number, as Socrata);
  Chicago's ijzp-q8t2 holds January-February 2015 rows of chicago_2015_2017.csv.gz.
  Unknown datasets answer 404.
* data.police.uk: GET /api/crimes-street/all-crime?date=YYYY-MM&poly=lat,lng:... answers
  the crimes inside the polygon as JSON, or 503 when there are more than --cap;
  GET /api/crimes-street-dates lists the months it has (latest first), an --unpublished
  one only once published (or always with --list-unpublished); --dates-status S answers
  that list with HTTP S instead, --dates-empty with [].
--no-count answers Socrata's $select=count(*) with HTTP 400 (a mirror without SoQL);
--count-plus N counts N more rows than its pages return.
--insert-on K adds a record at position 5 of the :id order when the K-th data request
arrives (a late record while a window is being read); --swap-on K removes the record at
position 3 and adds one after the others, of the same day as the first record (the
window's count unchanged, its rows shifted).
  Records: a sample of london_met_burglary_2016_2024.csv.gz for 2016-01 and 2016-02, and
  four crimes of other forces inside London's bbox but outside Greater London (Dartford,
  Epsom, Watford, Thurrock), as police.uk answers an area's query with every force's.
Faults (--fault), on every k-th data request: 429 (with Retry-After), 429date (its
Retry-After an HTTP date two seconds ahead), 5xx, drop (the connection closes half way
through the body), cut (half the body, then the connection closed as if it were all:
no Content-Length), cutquote (the same, cut just after a line break inside a quoted
field: the page ends in a newline), headeronly (once, the K-th request: a Socrata page of
the header line alone, as if the window ended there), html (a Socrata page or count or a police.uk
tile answered 200 with a proxy's HTML page), slow (answers after --slow seconds), malformed (some Socrata rows
carry an unparseable date, always the same rows), nul (police.uk: the first crime of
each answer has a \u0000 inside its id; always), othermonth (police.uk: a tile's crimes
answered as of 2019-07), 408 (Request Timeout), huge (a Socrata page, not a count, of
257 MiB: past what the client takes), outside (Socrata: the first record dated 2019-06-01,
outside every window; always).
--page-cap N answers at most N Socrata rows a page, whatever $limit asks (a portal's own
cap). --redirect-to URL answers every data request with a 302 to URL + the same path.
--unpublished MONTH answers [] for police.uk's MONTH until /__publish (with --unpublished-busy,
503 meanwhile for its tiles that will hold too many crimes). --empty-body answers
a Socrata page past the end with an empty body, without the header line.
Control: GET /__log (requests so far, JSON), /__reset, /__expected (what a crawl must
store), /__append?n=N (adds N new Chicago records after the others), /__insert?n=N&at=K
(adds N new records at position K of the :id order, as a late record with a low id),
/__delete?n=N (removes the first N), /__tokens (the X-App-Token of each data request, "" for none),
/__publish.

usage: mock_portal.py SHARED_DATA_DIR [--fault MODE] [--every K] [--delay S] [--cap N] [--page-cap N]
                      [--redirect-to URL] [--unpublished MONTH]
Prints the port it listens on, then serves until killed.
"""
import argparse
import csv
import email.utils
import gzip
import io
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHICAGO = "ijzp-q8t2"
LONDON_BBOX = (-0.52, 51.28, 0.34, 51.70)  # min lon, min lat, max lon, max lat (data/cities/london.json)


def chicago_api_rows(data_dir):
    """Rows of 2015-01-01, 2015-01-02 and 2015-02-01, in the API's layout."""
    header, rows = None, []
    with gzip.open(os.path.join(data_dir, "chicago/chicago_2015_2017.csv.gz"), "rt", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        for fields in reader:
            day = fields[2][:10]
            if day in ("01/01/2015", "01/02/2015", "02/01/2015"):
                rows.append(fields)
            elif day > "02/01/2015" and day.endswith("2015") and day[:2] == "02":
                break
    api_header = [re.sub(r"[^a-z0-9]+", "_", h.lower()).strip("_") for h in header]
    out = []
    for fields in rows:
        rec = dict(zip(api_header, fields))
        m, d, rest = rec["date"].split("/")
        y, clock, ampm = rest[:4], rest[5:13], rest[14:]
        hh, mm, ss = (int(x) for x in clock.split(":"))
        hh = hh % 12 + (12 if ampm == "PM" else 0)
        rec["date"] = "%s-%s-%sT%02d:%02d:%02d.000" % (y, m, d, hh, mm, ss)
        out.append(rec)
    return api_header, out


# Crimes other forces recorded inside London's bbox, outside Greater London: police.uk's
# answer to a polygon holds them too (the response names no force).
OTHER_FORCES = (("kent-dartford", 51.4462, 0.2187, "2016-01"), ("surrey-epsom", 51.332, -0.267, "2016-01"),
                ("herts-watford", 51.6565, -0.3963, "2016-02"), ("essex-thurrock", 51.49, 0.31, "2016-02"))


def london_area():
    """Whether (lon, lat) is inside data/cities/london.json's boundary, by OGR's point in polygon."""
    from osgeo import ogr
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "cities", "london.json")) as f:
        points = json.load(f)["boundary"]["ring"]
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for lon, lat in points:
        ring.AddPoint_2D(lon, lat)
    area = ogr.Geometry(ogr.wkbPolygon)
    area.AddGeometry(ring)
    area.CloseRings()

    def inside(lon, lat):
        point = ogr.Geometry(ogr.wkbPoint)
        point.AddPoint_2D(lon, lat)
        return area.Contains(point)
    return inside


def london_api_crimes(data_dir):
    """Every 8th burglary of 2016-01 and 2016-02 with coordinates, as API crimes."""
    crimes = []
    with gzip.open(os.path.join(data_dir, "london/london_met_burglary_2016_2024.csv.gz"), "rt", newline="") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if row["Month"] > "2016-02":
                break
            if i % 8 or not row["Latitude"]:
                continue
            crimes.append({"category": "burglary", "location_type": "Force", "context": "",
                           "location": {"latitude": row["Latitude"], "longitude": row["Longitude"],
                                        "street": {"id": i, "name": row["Location"]}},
                           "outcome_status": {"category": row["Last outcome category"], "date": row["Month"]}
                           if row["Last outcome category"] else None,
                           "persistent_id": row["Crime ID"], "id": i, "location_subtype": "",
                           "month": row["Month"]})
    for i, (name, lat, lon, month) in enumerate(OTHER_FORCES):
        crimes.append({"category": "burglary", "location_type": "Force", "context": "",
                       "location": {"latitude": "%.6f" % lat, "longitude": "%.6f" % lon,
                                    "street": {"id": 900000 + i, "name": "On or near High Street"}},
                       "outcome_status": None, "persistent_id": "%s-%d" % (name, i), "id": 900000 + i,
                       "location_subtype": "", "month": month})
    return crimes


class Portal:
    def __init__(self, args):
        self.args = args
        self.header, self.chicago = chicago_api_rows(args.data)
        self.london = london_api_crimes(args.data)
        self.lock = threading.Lock()
        self.log = []
        self.data_requests = 0
        self.appended = 0
        self.tokens = []
        self.published = not args.unpublished

    def malformed(self, index):
        return self.args.fault == "malformed" and index % 37 == 5

    def expected(self):
        """What a complete crawl must store: Chicago ids (valid coordinates, good dates)
        and London persistent ids inside the bounding box and Greater London's outline."""
        chicago = sorted({r["id"] for i, r in enumerate(self.chicago)
                          if r["latitude"] and not self.malformed(i)})
        inside = london_area()
        london = sorted({c["persistent_id"] for c in self.london
                         if LONDON_BBOX[0] <= float(c["location"]["longitude"]) <= LONDON_BBOX[2]
                         and LONDON_BBOX[1] <= float(c["location"]["latitude"]) <= LONDON_BBOX[3]
                         and inside(float(c["location"]["longitude"]), float(c["location"]["latitude"]))
                         and (self.published or c["month"] != self.args.unpublished)})
        rejected_dates = sum(1 for i in range(len(self.chicago)) if self.malformed(i))
        return {"chicago": chicago, "london": london, "malformed": rejected_dates}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="text/plain", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        portal = self.server.portal
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path.startswith("/__"):
            return self.control(portal, url.path, query)
        with portal.lock:
            portal.log.append(self.path)
            portal.tokens.append(self.headers.get("X-App-Token", ""))
            portal.data_requests += 1
            n = portal.data_requests
        if n == portal.args.insert_on:  # a late record with a low id, arriving while a window is read
            self.control(portal, "/__insert_quiet", {"n": "1", "at": "5"})
        if n == portal.args.swap_on:  # one record removed early, one added late: the same count
            with portal.lock:
                del portal.chicago[3]
                rec = dict(portal.chicago[0])
                portal.appended += 1
                rec["id"] = str(90000000 + portal.appended)
                portal.chicago.append(rec)
        if portal.args.redirect_to:
            return self.send(302, "moved\n", headers=[("Location", portal.args.redirect_to + self.path)])
        if portal.args.delay:
            time.sleep(portal.args.delay)
        if portal.args.fault and n % portal.args.every == 0 and self.fault(portal, url):
            return
        if url.path.startswith("/resource/"):
            return self.socrata(portal, url.path, query)
        if url.path == "/api/crimes-street/all-crime":
            return self.police(portal, query)
        if url.path == "/api/crimes-street-dates":
            if portal.args.dates_status:
                return self.send(portal.args.dates_status, "no list\n")
            months = [] if portal.args.dates_empty else sorted({c["month"] for c in portal.london}, reverse=True)
            listed = [m for m in months if portal.published or portal.args.list_unpublished
                      or m != portal.args.unpublished]
            return self.send(200, json.dumps([{"date": m, "stop-and-search": []} for m in listed]),
                             "application/json")
        self.send(404, "no such resource\n")

    def fault(self, portal, url):
        mode = portal.args.fault
        if mode == "429":
            self.send(429, "slow down\n", headers=[("Retry-After", "1" if portal.data_requests < 5 else "0")])
        elif mode == "429long":  # two hours: more than any request waits
            self.send(429, "slow down\n", headers=[("Retry-After", "7200")])
        elif mode == "429date":
            when = email.utils.formatdate(time.time() + 2, usegmt=True)
            self.send(429, "slow down\n", headers=[("Retry-After", when)])
        elif mode in ("cut", "cutquote"):
            body = self.body_for(portal, url)
            if mode == "cutquote":  # just after the line break inside a quoted field: the page ends in "\n"
                at = body.find(b"LINE ONE\n")
                if at < 0:
                    return False
                body = body[: at + len(b"LINE ONE\n")]
            else:
                body = body[: len(body) // 2]
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
        elif mode == "5xx":
            self.send(500 if portal.data_requests % 2 else 502, "server error\n")
        elif mode == "othermonth" and url.path == "/api/crimes-street/all-crime":  # a proxy ignoring ?date=
            query = dict(urllib.parse.parse_qsl(url.query))
            crimes = self.police_crimes(portal, query)
            if not crimes or len(crimes) > portal.args.cap:
                return False
            self.send(200, json.dumps([dict(c, month="2019-07") for c in crimes]), "application/json")
        elif mode == "408":  # a proxy's Request Timeout: the next try may well pass
            self.send(408, "request timeout\n")
        elif mode == "drop":
            body = self.body_for(portal, url)
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
        elif mode == "headeronly":
            if portal.data_requests != portal.args.every or "$offset" not in url.query:
                return False
            self.send(200, ",".join(portal.header) + "\n", "text/csv")
        elif mode == "huge" and url.path.startswith("/resource/") and "count(*)" not in url.query:
            mib = (b"x" * 1023 + b"\n") * 1024
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(257 * len(mib)))
            self.end_headers()
            for _ in range(257):  # the client hangs up past its limit: handle_error lets that pass
                self.wfile.write(mib)
        elif mode == "html":
            self.send(200, "<!DOCTYPE html>\n<html><body>Service busy</body></html>\n", "text/html")
        elif mode == "slow":
            time.sleep(portal.args.slow)
            return False
        else:
            return False
        return True

    def body_for(self, portal, url):
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path.startswith("/resource/"):
            return self.socrata_body(portal, query)
        return json.dumps(self.police_crimes(portal, query)).encode()

    def socrata_body(self, portal, query):
        m = re.fullmatch(r"(\w+) >= '([^']+)' AND (\w+) < '([^']+)'", query.get("$where", ""))
        lo, hi = (m.group(2), m.group(4)) if m else ("", "\uffff")
        rows = [(i, r) for i, r in enumerate(portal.chicago[: len(portal.chicago)]) if lo <= r["date"] < hi]
        if "count(*)" in query.get("$select", ""):
            return ('"n"\n"%d"\n' % (len(rows) + portal.args.count_plus)).encode()
        assert query.get("$order") == ":id", query
        offset, limit = int(query.get("$offset", 0)), int(query.get("$limit", 1000))
        if portal.args.page_cap:
            limit = min(limit, portal.args.page_cap)
        if portal.args.empty_body and offset >= len(rows):
            return b""  # a mirror's empty result: no header line either
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(portal.header)
        for i, r in rows[offset:offset + limit]:
            rec = dict(r)
            if portal.malformed(i):
                rec["date"] = "not-a-date"
            if portal.args.fault == "cutquote" and i % 50 == 7 and r["latitude"]:  # a quoted field across two lines
                rec["description"] = "LINE ONE\nLINE TWO"
            if portal.args.fault == "outside" and i == 0:  # a row the window's $where did not ask for
                rec["date"] = "2019-06-01T12:00:00.000"
            w.writerow([rec[h] for h in portal.header])
        return out.getvalue().encode()

    def socrata(self, portal, path, query):
        if path != "/resource/%s.csv" % CHICAGO:
            return self.send(404, "dataset not found\n")
        if portal.args.no_count and "$select" in query:
            return self.send(400, "query.soql.no-such-function\n")
        self.send(200, self.socrata_body(portal, query), "text/csv")

    def police_crimes(self, portal, query, as_published=False):
        points = [tuple(float(v) for v in p.split(",")) for p in query["poly"].split(":")]
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        if query["date"] == portal.args.unpublished and not portal.published and not as_published:
            return []
        crimes = [c for c in portal.london if c["month"] == query["date"]
                  and min(lats) <= float(c["location"]["latitude"]) <= max(lats)
                  and min(lons) <= float(c["location"]["longitude"]) <= max(lons)]
        if portal.args.fault == "nul" and crimes:
            crimes[0] = dict(crimes[0], persistent_id=crimes[0]["persistent_id"][:4] + "\x00" +
                             crimes[0]["persistent_id"][4:])
        return crimes

    def police(self, portal, query):
        crimes = self.police_crimes(portal, query)
        busy = portal.args.unpublished_busy and len(self.police_crimes(portal, query, True)) > portal.args.cap
        if len(crimes) > portal.args.cap or busy:
            return self.send(503, "too many crimes\n")
        self.send(200, json.dumps(crimes), "application/json")

    def control(self, portal, path, query):
        if path == "/__log":
            with portal.lock:
                return self.send(200, json.dumps(portal.log), "application/json")
        if path == "/__reset":
            with portal.lock:
                portal.log = []
            return self.send(200, "ok\n")
        if path == "/__expected":
            return self.send(200, json.dumps(portal.expected()), "application/json")
        if path == "/__tokens":
            with portal.lock:
                return self.send(200, json.dumps(portal.tokens), "application/json")
        if path == "/__publish":
            portal.published = True
            return self.send(200, "ok\n")
        if path == "/__delete":
            with portal.lock:
                del portal.chicago[: int(query.get("n", 1))]
            return self.send(200, "ok\n")
        if path in ("/__insert", "/__insert_quiet"):
            with portal.lock:
                at = int(query.get("at", 0))
                for k in range(int(query.get("n", 1))):
                    rec = dict(portal.chicago[at])
                    portal.appended += 1
                    rec["id"] = str(90000000 + portal.appended)
                    portal.chicago.insert(at, rec)
            return None if path == "/__insert_quiet" else self.send(200, "ok\n")
        if path == "/__append":
            with portal.lock:
                for k in range(int(query.get("n", 1))):
                    rec = dict(portal.chicago[k])
                    portal.appended += 1
                    rec["id"] = str(90000000 + portal.appended)
                    portal.chicago.append(rec)
            return self.send(200, "ok\n")
        self.send(404, "unknown control\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients that time out or get a dropped connection close their end: expected here.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--fault", default="", choices=["", "429", "429long", "408", "huge", "outside", "othermonth", "429date", "5xx", "drop", "cut", "cutquote", "headeronly",
                                                    "html", "slow", "malformed", "nul"])
    ap.add_argument("--empty-body", action="store_true")
    ap.add_argument("--page-cap", type=int, default=0)
    ap.add_argument("--redirect-to", default="")
    ap.add_argument("--unpublished", default="")
    ap.add_argument("--list-unpublished", action="store_true")
    ap.add_argument("--unpublished-busy", action="store_true")
    ap.add_argument("--dates-status", type=int, default=0)
    ap.add_argument("--dates-empty", action="store_true")
    ap.add_argument("--no-count", action="store_true")
    ap.add_argument("--count-plus", type=int, default=0)
    ap.add_argument("--insert-on", type=int, default=0)
    ap.add_argument("--swap-on", type=int, default=0)
    ap.add_argument("--every", type=int, default=3)
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--slow", type=float, default=2.0)
    ap.add_argument("--cap", type=int, default=150)
    args = ap.parse_args()
    server = Server(("127.0.0.1", 0), Handler)
    server.portal = Portal(args)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
