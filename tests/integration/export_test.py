#!/usr/bin/env python3
"""crimecast export against GDAL's own Python bindings (python3-gdal) and PROJ (pyproj):
a tensor written here with h5py (an irregular mask, random counts, a UTM grid) and a
histavg forecast of it are exported; the GeoTIFF's CRS equals the file's, its
geotransform the grid's cell corners (from the /x, /y cell centres) to 1 mm, every band's
values the file's inside the mask and the nodata value outside, band descriptions and
metadata what they say; a corner's WGS84 coordinates through GDAL's transform equal
pyproj's. Bad input: a time not in the file, an unknown category, a file without a CRS,
an unwritable output: a clear error, exit 1 (2 for usage), no file. Hotspot polygons
(.gpkg in the grid's CRS, .geojson in WGS84) read back with OGR: as many as eval's
budget rule flags, those very cells (the highest; a tie at the cut broken in row-major
order), their values and ranks, the budget's area exactly, inside the grid; one cell's
corners in WGS84 equal to pyproj's transform; --dissolve one polygon per 4-connected
patch with the same total area.

usage: export_test.py CRIMECAST
"""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from osgeo import gdal, ogr, osr
from pyproj import Transformer

from checks import check, summary
from synthetic_tensor import write_tensor

CRIMECAST = sys.argv[1]
gdal.UseExceptions()


def run(*args):
    return subprocess.run([CRIMECAST, *args], capture_output=True, text=True)


def corners(path):
    with h5py.File(path, "r") as f:
        cell = float(f.attrs["cell_size_m"])
        return float(f["x"][0]) - cell / 2, float(f["y"][0]) + cell / 2, cell


def check_geotiff(name, tif, h5, dataset, band_maps, descriptions):
    """band_maps [B][H][W] the file's values, in band order."""
    d = gdal.Open(tif)
    with h5py.File(h5, "r") as f:
        crs, mask = f.attrs["crs"], f["mask"][:].astype(bool)
    want = osr.SpatialReference()
    want.SetFromUserInput(crs)
    x0, y0, cell = corners(h5)
    gt = d.GetGeoTransform()
    check(name + ": the file's CRS", osr.SpatialReference(wkt=d.GetProjection()).IsSame(want) == 1, d.GetProjection())
    check(name + ": geotransform = the grid's cell corners to 1 mm, north up",
          abs(gt[0] - x0) < 1e-3 and abs(gt[3] - y0) < 1e-3 and abs(gt[1] - cell) < 1e-3 and abs(gt[5] + cell) < 1e-3
          and gt[2] == 0 and gt[4] == 0 and d.RasterXSize == mask.shape[1] and d.RasterYSize == mask.shape[0], gt)
    values_ok, nodata_ok = True, True
    for b, expected in enumerate(band_maps):
        band = d.GetRasterBand(b + 1)
        got = band.ReadAsArray()
        values_ok &= band.DataType == gdal.GDT_Float32 and np.array_equal(got[mask], expected[mask].astype(np.float32))
        nodata_ok &= band.GetNoDataValue() == -1.0 and np.all(got[~mask] == -1.0)
    check(name + ": %d float32 bands equal to the file's %s inside the mask" % (len(band_maps), dataset),
          d.RasterCount == len(band_maps) and values_ok)
    check(name + ": nodata -1 outside the mask", nodata_ok and (~mask).any())
    check(name + ": band descriptions", [d.GetRasterBand(b + 1).GetDescription() for b in range(d.RasterCount)]
          == descriptions, [d.GetRasterBand(b + 1).GetDescription() for b in range(d.RasterCount)][:3])
    # each band stored apart, in blocks no wider than the grid: tiles of 256 x 256 holding
    # every band made a 1 x 1 grid of 2,191 days take 1.9 GB to write (found by a probe)
    structure, block = d.GetMetadata("IMAGE_STRUCTURE"), d.GetRasterBand(1).GetBlockSize()
    check(name + ": bands stored apart (INTERLEAVE=BAND), in strips of a grid under 256 cells a side (%s)" % block,
          structure.get("INTERLEAVE") == "BAND"
          and (block[0] == d.RasterXSize if max(d.RasterXSize, d.RasterYSize) < 256 else block == [256, 256]),
          structure)
    return d, crs, x0, y0


def components(cells):
    """4-connected patches of a set of (row, col)."""
    left, patches = set(cells), 0
    while left:
        patches += 1
        stack = [left.pop()]
        while stack:
            r, c = stack.pop()
            for n in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                if n in left:
                    left.remove(n)
                    stack.append(n)
    return patches


def patch_values(cells, values):
    """The sums of `values` over each 4-connected patch of a set of (row, col)."""
    left, sums = set(cells), []
    while left:
        stack, total = [left.pop()], 0.0
        while stack:
            r, c = stack.pop()
            total += float(values[r, c])
            for n in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                if n in left:
                    left.remove(n)
                    stack.append(n)
        sums.append(total)
    return sums


def check_polygons(tmp, forecast, values, mask, day):
    x0, y0, cell = corners(forecast)
    H, W = mask.shape
    n = int(mask.sum())
    a = int(np.floor(0.10 * n + 0.5))  # eval's rule for --topk 10: round(10% of the in-mask cells)
    # the a highest in-mask cells, ties in row-major order
    index = np.flatnonzero(mask.ravel())
    order = index[np.lexsort((index, -values.ravel()[index]))]
    want = [(int(k) // W, int(k) % W) for k in order[:a]]
    gpkg = os.path.join(tmp, "h.gpkg")
    p = run("export", "--in", forecast, "--time", str(day), "--topk", "10%", "--out", gpkg)
    check("export --topk 10 to GeoPackage exits 0", p.returncode == 0, p.stderr)
    layer_ds = ogr.Open(gpkg)
    layer = layer_ds.GetLayer(0)
    feats = list(layer)
    got, ok_values, inside, area = [], True, True, 0.0
    for f in feats:
        g = f.GetGeometryRef()
        xmin, xmax, ymin, ymax = g.GetEnvelope()
        row, col = int(round((y0 - ymax) / cell)), int(round((xmin - x0) / cell))
        got.append((row, col))
        ok_values &= abs(f.GetField("value") - float(values[row, col])) <= 1e-6 * max(1.0, abs(values[row, col]))
        inside &= x0 - 1e-6 <= xmin and xmax <= x0 + W * cell + 1e-6 and y0 - H * cell - 1e-6 <= ymin and ymax <= y0 + 1e-6
        area += g.GetArea()
    check("gpkg: as many polygons as eval's rule flags (%d), those very cells, in rank order" % a,
          len(feats) == a and got == want and [f.GetField("rank") for f in feats] == list(range(1, a + 1)),
          (len(feats), a, got[:4], want[:4]))
    check("gpkg: each polygon's value is the forecast's at its cell", ok_values)
    check("gpkg: total area = the budget's cells x cell area, every polygon inside the grid",
          abs(area - a * cell * cell) < 1e-6 * a * cell * cell and inside, (area, a * cell * cell))
    crs = osr.SpatialReference(wkt=layer.GetSpatialRef().ExportToWkt())
    with h5py.File(forecast, "r") as f:
        grid_crs = f.attrs["crs"]
    want_crs = osr.SpatialReference()
    want_crs.SetFromUserInput(grid_crs)
    check("gpkg: in the grid's CRS", crs.IsSame(want_crs) == 1)
    layer_ds = None

    geojson = os.path.join(tmp, "h.geojson")
    p = run("export", "--in", forecast, "--time", str(day), "--topk", "10", "--out", geojson)
    ds = ogr.Open(geojson)
    first = ds.GetLayer(0).GetNextFeature()
    ring = first.GetGeometryRef().GetGeometryRef(0)
    points = [(ring.GetX(i), ring.GetY(i)) for i in range(ring.GetPointCount())]
    r0, c0 = want[0]
    to_wgs = Transformer.from_crs(grid_crs, "EPSG:4326", always_xy=True)
    expected = [to_wgs.transform(x0 + (c0 + dx) * cell, y0 - (r0 + dy) * cell) for dx, dy in ((0, 0), (1, 0), (1, 1), (0, 1))]
    # GeoJSON keeps 10 decimals: 5e-11 degrees
    matched = all(min(max(abs(lon - x), abs(lat - y)) for x, y in points) < 1e-9 for lon, lat in expected)
    check("geojson: the top cell's four corners in WGS84 = pyproj's transform of the grid corners (1e-9 deg)",
          p.returncode == 0 and matched and len(points) == 5 and first.GetField("rank") == 1, (points, expected))
    ds = None

    # a project's GeoPackage with a layer of its own: refused, the file untouched (it was
    # rewritten with the hotspots alone, the project's layer gone)
    project = os.path.join(tmp, "project.gpkg")
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(project)
    ds.CreateLayer("boroughs", want_crs, ogr.wkbPolygon)
    ds = None
    before = open(project, "rb").read()
    p = run("export", "--in", forecast, "--time", str(day), "--topk", "10", "--out", project)
    check("export into a GeoPackage holding another layer: exit 1 naming it, the file untouched",
          p.returncode == 1 and "holds 'boroughs' besides hotspots" in p.stderr and open(project, "rb").read() == before,
          p.stderr)
    p = run("export", "--in", forecast, "--time", str(day), "--topk", "10", "--out", gpkg)
    check("export over its own earlier GeoPackage (hotspots alone) replaces it", p.returncode == 0, p.stderr)

    dissolved = os.path.join(tmp, "d.gpkg")
    p = run("export", "--in", forecast, "--time", str(day), "--topk", "10", "--dissolve", "--out", dissolved)
    ds = ogr.Open(dissolved)
    layer = ds.GetLayer(0)
    feats = list(layer)
    area = sum(f.GetGeometryRef().GetArea() for f in feats)
    check("--dissolve: one polygon per 4-connected patch, the same total area and cells",
          p.returncode == 0 and len(feats) == components(want) and abs(area - a * cell * cell) < 1e-6 * a * cell * cell
          and sum(f.GetField("cells") for f in feats) == a, (len(feats), components(want), area))
    # a patch's rank and share are the patches' (it gave its best cell's: rank 5 missing
    # among 1, 2, 3, 4, 6, and a share counting other patches' cells; a probe)
    sums = sorted(patch_values(want, values), reverse=True)
    total = float(values[mask.astype(bool)].sum())
    ranked = sorted(feats, key=lambda f: f.GetField("rank"))
    check("--dissolve: patches ranked 1..%d by their summed value, each share the patches' cumulative share"
          % len(sums), [f.GetField("rank") for f in ranked] == list(range(1, len(sums) + 1))
          and all(abs(f.GetField("value") - v) <= 1e-5 * max(1.0, v) for f, v in zip(ranked, sums))
          and all(abs(f.GetField("cum_share") - c) <= 1e-6 for f, c in zip(ranked, np.cumsum(sums) / total)),
          ([(f.GetField("rank"), f.GetField("value"), f.GetField("cum_share")) for f in ranked][:5], sums[:5]))
    kinds = [ogr.GeometryTypeToName(f.GetGeometryRef().GetGeometryType()) for f in feats]
    check("--dissolve: each patch one Polygon (no MultiPolygon of touching parts), as the layer declares",
          set(kinds) == {"Polygon"} and layer.GetGeomType() == ogr.wkbPolygon, (kinds, layer.GetGeomType()))
    ds = None


def check_tie_notes(tmp, tensor, counts, mask):
    """Counts tie: when the cut falls inside a tie, export says how many cells tie and how
    many of them the grid's order flagged; a map of zeros is said to have no hotspot (its
    first cells in row-major order were written without a word)."""
    with h5py.File(tensor, "r") as f:
        days = f["time"][:]
    day = str(np.datetime64("1970-01-01") + np.timedelta64(int(days[4]), "D"))
    v = np.sort(counts[4, 0][mask])[::-1]
    a = int(np.floor(0.10 * v.size + 0.5))
    cut = v[a - 1]
    tied, flagged = int((v == cut).sum()), int((v[:a] == cut).sum())
    out = os.path.join(tmp, "tie.gpkg")
    p = run("export", "--in", tensor, "--time", day, "--category", "all", "--topk", "10%", "--out", out)
    want = "%d cells have the value %g, %d of them flagged in row-major order" % (tied, cut, flagged)
    check("export notes a tie at the cut: " + want, p.returncode == 0 and (want in p.stderr) == (a < v.size and v[a] == cut)
          and a < v.size and v[a] == cut, p.stderr)
    zeros = os.path.join(tmp, "zeros.h5")
    quiet = counts.copy()
    quiet[4] = 0
    write_tensor(zeros, quiet, mask.astype(np.uint8), ["all", "burglary"])
    zeros_json = os.path.join(tmp, "zeros.geojson")
    p = run("export", "--in", zeros, "--time", day, "--topk", "10%", "--out", zeros_json)
    ds = ogr.Open(zeros_json) if p.returncode == 0 else None
    count = ds.GetLayer(0).GetFeatureCount() if ds else -1
    check("export of a map of zeros: no hotspot, an empty layer, said so (it wrote the grid's first cells)",
          p.returncode == 0 and count == 0 and "the map is 0 in every cell: it has no hotspot, and the layer is empty"
          in p.stderr, (count, p.stderr))
    ds = None
    # three cells with crime, a 10% budget of more: the three alone, the rest (0) said
    sparse = quiet.copy()
    inside = np.flatnonzero(mask.ravel())
    for k, cell in enumerate(inside[[5, 17, 40]]):
        sparse[4, 0].flat[cell] = 3 - k
    few = os.path.join(tmp, "few.h5")
    write_tensor(few, sparse, mask.astype(np.uint8), ["all", "burglary"])
    few_json = os.path.join(tmp, "few.geojson")
    p = run("export", "--in", few, "--time", day, "--topk", "10%", "--out", few_json)
    ds = ogr.Open(few_json) if p.returncode == 0 else None
    values = sorted(f.GetField("value") for f in ds.GetLayer(0)) if ds else []
    check("a budget past the cells with crime: those 3 cells alone, the rest said to forecast 0",
          p.returncode == 0 and values == [1.0, 2.0, 3.0] and "only 3 of the %d cells forecast crime" % inside.size
          in p.stderr, (values, p.stderr))
    ds = None
    # an --area past the study area flags every cell, said as eval says it (export said
    # nothing; a probe, 2026-12-07)
    with h5py.File(tensor, "r") as f:
        cell_km2 = float(f.attrs["cell_size_m"]) ** 2 / 1e6
    whole = os.path.join(tmp, "whole.geojson")
    p = run("export", "--in", tensor, "--time", day, "--area", "%gkm2" % (2 * inside.size * cell_km2), "--out", whole)
    ds = ogr.Open(whole) if p.returncode == 0 else None
    count = ds.GetLayer(0).GetFeatureCount() if ds else -1
    cells_with_crime = int((counts[4, 0][mask] > 0).sum())
    check("an --area of twice the study area: every cell with crime written, said to be every cell",
          p.returncode == 0 and count == cells_with_crime and "is more than the whole study area (%d cells, "
          % inside.size in p.stderr and "every cell is flagged" in p.stderr, (count, cells_with_crime, p.stderr))
    ds = None
    # a --topk under half a cell is rounded up to one, said as --area's is; a tensor's share
    # is of the counts, not 'of the forecast' (a probe, 2026-12-07)
    tiny = os.path.join(tmp, "tiny.geojson")
    percent = 40.0 / inside.size  # 0.4 of a cell
    p = run("export", "--in", tensor, "--time", day, "--topk", "%.6g%%" % percent, "--out", tiny)
    check("--topk of 0.4 cell: one cell flagged, said; the summary's share of the counts", p.returncode == 0
          and "--topk %.6g%% of %d cells is less than half a cell: one cell flagged" % (percent, inside.size) in p.stderr
          and "% of the counts)" in p.stdout and "forecast" not in p.stdout, (p.stdout, p.stderr))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(7)
        T, C, H, W = 30, 2, 12, 17
        counts = rng.poisson(1.5, size=(T, C, H, W)).astype(np.float32)
        mask = np.ones((H, W), np.uint8)
        mask[:3, :5] = 0
        mask[9:, 12:] = 0
        tensor, forecast = os.path.join(tmp, "t.h5"), os.path.join(tmp, "f.h5")
        # A cell and origin of no round value (as a real city's grid has): a cell's edge
        # computed two ways differs in its last bit, which would keep patches apart.
        write_tensor(tensor, counts, mask, ["all", "burglary"], cell=173.20508075688772)
        with h5py.File(tensor, "r+") as f:  # a real place: UTM 16N, Chicago's zone
            f["x"][:] = f["x"][:] + 440000.1234567
            f["y"][:] = f["y"][:] + 4628728.1226867
        p = run("baseline", "--method", "histavg", "--data", tensor, "--span", "all", "--out", forecast)
        check("a histavg forecast to export", p.returncode == 0, p.stderr)
        with h5py.File(forecast, "r") as f:
            fc, times = f["forecast"][:], f["time"][:]
        target = int(times[5])
        day = np.datetime64("1970-01-01") + np.timedelta64(target, "D")

        tif = os.path.join(tmp, "f.tif")
        p = run("export", "--in", forecast, "--time", str(day), "--out", tif)
        check("export --time exits 0 naming the file", p.returncode == 0 and tif in p.stdout, p.stderr)
        d, crs, x0, y0 = check_geotiff("forecast, one bin", tif, forecast, "forecast", [fc[5, 0], fc[5, 1]],
                                       ["all %s" % day, "burglary %s" % day])
        meta = d.GetMetadata()
        check("metadata: model, target bin, horizon, units", meta.get("CRIMECAST_MODEL", "").startswith("histavg")
              and meta.get("CRIMECAST_TARGET_BIN") == str(day) and meta.get("CRIMECAST_HORIZON") == "1"
              and meta.get("CRIMECAST_UNITS") == "expected incidents per cell per week", meta)
        # one corner in WGS84: GDAL's transform of the file's CRS against pyproj's
        src = osr.SpatialReference(wkt=d.GetProjection())
        wgs = osr.SpatialReference()
        wgs.ImportFromEPSG(4326)
        wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        lon, lat, _ = osr.CoordinateTransformation(src, wgs).TransformPoint(x0, y0)
        plon, plat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x0, y0)
        check("the north-west corner in WGS84: GDAL's transform = PROJ's to 1e-9 degrees",
              abs(lon - plon) < 1e-9 and abs(lat - plat) < 1e-9, (lon, lat, plon, plat))
        d = None

        tif_all = os.path.join(tmp, "t.tif")
        p = run("export", "--in", tensor, "--all", "--category", "burglary", "--out", tif_all)
        check("export --all exits 0", p.returncode == 0, p.stderr)
        with h5py.File(tensor, "r") as f:
            dates = [str(np.datetime64("1970-01-01") + np.timedelta64(int(t), "D")) for t in f["time"][:]]
        d, *_ = check_geotiff("tensor, every bin of burglary", tif_all, tensor, "counts", list(counts[:, 1]),
                              ["burglary %s" % t for t in dates])
        check("metadata of counts", d.GetMetadata().get("CRIMECAST_MODEL") == "observed counts"
              and d.GetMetadata().get("CRIMECAST_HORIZON") == "none")
        d = None

        # A forecast file that names no model (another tool wrote it) is still a forecast:
        # it was labelled "observed counts", recorded crime (found by a probe).
        unnamed, unnamed_tif = os.path.join(tmp, "unnamed.h5"), os.path.join(tmp, "unnamed.tif")
        shutil.copy(forecast, unnamed)
        with h5py.File(unnamed, "r+") as f:
            del f.attrs["model"]
        p = run("export", "--in", unnamed, "--time", str(day), "--out", unnamed_tif)
        d = gdal.Open(unnamed_tif) if p.returncode == 0 else None
        meta = d.GetMetadata() if d else {}
        check("a forecast naming no model exports as a forecast of an unknown model, not as observed counts",
              meta.get("CRIMECAST_MODEL", "").startswith("unknown model")
              and meta.get("CRIMECAST_UNITS") == "expected incidents per cell per week"
              and "observed" not in p.stdout, (p.stdout, p.stderr, meta))
        d = None

        check_polygons(tmp, forecast, fc[5, 0], mask.astype(bool), day)
        check_tie_notes(tmp, tensor, counts, mask.astype(bool))

        def refused(name, args, out, status=1, says=""):
            q = run("export", *args, "--out", out)
            check(name, q.returncode == status and says in q.stderr and not os.path.exists(out)
                  and not [n for n in os.listdir(os.path.dirname(out) or ".") if ".tmp-" in n]
                  if os.path.isdir(os.path.dirname(out)) else q.returncode == status and says in q.stderr, q.stderr)
        out = os.path.join(tmp, "bad.tif")
        refused("a time not in the file: exit 1 naming the bins", ["--in", forecast, "--time", "1999-01-04"], out,
                says="no week bin starts on 1999-01-04")
        refused("an unknown category: exit 1 naming those there are", ["--in", forecast, "--time", str(day),
                "--category", "arson"], out, says="has no category 'arson' (it has: all burglary)")
        nocrs = os.path.join(tmp, "nocrs.h5")
        with h5py.File(forecast, "r") as f, h5py.File(nocrs, "w") as g:
            for k in f:
                f.copy(k, g)
            for k, v in f.attrs.items():
                if k != "crs":
                    g.attrs[k] = v
        q = run("export", "--in", nocrs, "--time", str(day), "--out", out)
        check("a file without a CRS: exit 1, nothing written", q.returncode == 1 and not os.path.exists(out)
              and nocrs in q.stderr, q.stderr)
        refused("an unwritable output: exit 1 naming it", ["--in", forecast, "--time", str(day)],
                os.path.join(tmp, "no", "such", "dir", "x.tif"), says="x.tif")
        refused("polygons without a budget are a usage error", ["--in", forecast, "--time", str(day)],
                os.path.join(tmp, "x.geojson"), status=2, says="one budget (--area or --topk)")
        refused("--topk outside (0, 100] is a usage error", ["--in", forecast, "--time", str(day), "--topk", "150%"],
                os.path.join(tmp, "x.gpkg"), status=2, says="--topk takes a share of the cells in (0, 100]")
        refused("another format is a usage error", ["--in", forecast, "--time", str(day)],
                os.path.join(tmp, "x.shp"), status=2, says="--out must name a .tif, .geojson or .gpkg file")
        refused("--time and --all together are a usage error", ["--in", forecast, "--time", str(day), "--all"], out,
                status=2, says="exactly one of --time and --all")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
