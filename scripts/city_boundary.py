#!/usr/bin/env python3
"""Makes a city file's "boundary" ring from area polygons (a maintainer's tool, not part of
the program; it made data/cities/london.json's from the London LSOA boundaries of
../shared/data).

The polygons (any GDAL vector file in a projected CRS in metres; .tar.gz through GDAL's
/vsitar/) are dissolved into one area, closed by a buffer of CLOSE metres out and back in
(the LSOA files are clipped to the mean high water line: the Thames is a gap between
them, which would leave the river and its bridges outside London), the largest polygon's
outer ring taken, buffered out by SIMPLIFY + 2 metres and simplified to SIMPLIFY metres (so
that it holds all of the area), and written as [lon, lat] pairs in WGS84, rounded to 1e-5
degrees (about 1 m).

usage: city_boundary.py POLYGONS OUT.json [CLOSE_M [SIMPLIFY_M]]
  e.g. city_boundary.py /vsitar/../shared/data/london/london_lsoa2011_boundaries_shp.tar.gz/LSOA_2011_London_gen_MHW.shp ring.json
"""
import json
import sys

from osgeo import gdal, ogr, osr

ogr.UseExceptions()
osr.UseExceptions()
gdal.SetConfigOption("CPL_VSIL_GZIP_WRITE_PROPERTIES", "NO")  # no cache file written beside the source


def dissolved(path):
    source = ogr.Open(path)  # held: its layer is freed with it
    layer = source.GetLayer(0)
    parts = ogr.Geometry(ogr.wkbMultiPolygon)
    for feature in layer:
        g = feature.GetGeometryRef()
        for i in range(g.GetGeometryCount() if g.GetGeometryType() == ogr.wkbMultiPolygon else 0):
            parts.AddGeometry(g.GetGeometryRef(i).Clone())
        if g.GetGeometryType() == ogr.wkbPolygon:
            parts.AddGeometry(g.Clone())
    return parts.UnionCascaded(), layer.GetSpatialRef()


def outline(area, close_m, simplify_m):
    closed = area.Buffer(close_m, 16).Buffer(-close_m, 16)
    if closed.GetGeometryType() == ogr.wkbMultiPolygon:
        closed = max((closed.GetGeometryRef(i) for i in range(closed.GetGeometryCount())), key=lambda g: g.GetArea())
    outer = ogr.Geometry(ogr.wkbPolygon)
    outer.AddGeometry(closed.GetGeometryRef(0).Clone())  # holes dropped: the area is what the ring encloses
    # Simplifying moves the outline by up to SIMPLIFY metres either way: buffered out by that
    # (and the 1 m of the rounding) first, the ring keeps all of the area (19 burglaries in a
    # Sutton LSOA fell 1-9 m outside the ring simplified without it; a probe, 2026-12-07).
    return outer.Buffer(simplify_m + 2, 16).SimplifyPreserveTopology(simplify_m)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    close_m = float(sys.argv[3]) if len(sys.argv) > 3 else 500.0
    simplify_m = float(sys.argv[4]) if len(sys.argv) > 4 else 25.0
    area, crs = dissolved(sys.argv[1])
    ring = outline(area, close_m, simplify_m)
    print("area %.1f km2 dissolved, %.1f km2 in the ring, %d points; they differ by %.1f km2"
          % (area.GetArea() / 1e6, ring.GetArea() / 1e6, ring.GetGeometryRef(0).GetPointCount(),
             ring.SymDifference(area).GetArea() / 1e6), file=sys.stderr)
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    for srs in (crs, wgs84):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ring.Transform(osr.CoordinateTransformation(crs, wgs84))
    r = ring.GetGeometryRef(0)
    points = [[round(r.GetX(i), 5), round(r.GetY(i), 5)] for i in range(r.GetPointCount())]
    with open(sys.argv[2], "w") as f:
        json.dump(points, f)


if __name__ == "__main__":
    main()
