#!/usr/bin/env python3
"""The README's picture of crimecast's GIS export, made headless: the GeoTIFF and the
hotspot polygons that `crimecast export` wrote, read back with GDAL/OGR (as QGIS reads
them), the raster drawn with an inferno-like ramp (square root, nodata grey), the
polygons' outlines over it at their map coordinates, an SVG page rendered by headless
Chromium into a PNG.

usage: gis_screenshot.py FORECAST.tif HOTSPOTS.gpkg OUT.png [TITLE]
"""
import base64
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
from osgeo import gdal, ogr

gdal.UseExceptions()
RAMP = np.array([[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21],
                 [250, 193, 39], [252, 255, 164]], float)


def png_bytes(rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\0" + rgb[y].astype(np.uint8).tobytes() for y in range(h))
    chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    tif, gpkg, out = sys.argv[1:4]
    title = sys.argv[4] if len(sys.argv) > 4 else "crimecast export in a GIS view"
    d = gdal.Open(tif)
    band = d.GetRasterBand(1)
    v, nodata = band.ReadAsArray(), band.GetNoDataValue()
    x0, cell, _, y0, _, _ = d.GetGeoTransform()
    zoom = 18
    inside = v != nodata
    t = np.sqrt(np.clip(v, 0, None) / max(v[inside].max(), 1e-9))
    pos = t * (len(RAMP) - 1)
    i = np.clip(pos.astype(int), 0, len(RAMP) - 2)
    rgb = RAMP[i] + (RAMP[i + 1] - RAMP[i]) * (pos - i)[..., None]
    rgb[~inside] = 200
    rgb = np.repeat(np.repeat(rgb, zoom, axis=0), zoom, axis=1)
    H, W = v.shape
    paths = []
    source = ogr.Open(gpkg)  # kept: the layer dies with it
    layer = source.GetLayer(0)
    for f in layer:
        g = f.GetGeometryRef()
        polys = [g] if g.GetGeometryName() == "POLYGON" else [g.GetGeometryRef(k) for k in range(g.GetGeometryCount())]
        for p in polys:
            for r in range(p.GetGeometryCount()):
                ring = p.GetGeometryRef(r)
                pts = " ".join("%.1f,%.1f" % ((ring.GetX(k) - x0) / cell * zoom, (y0 - ring.GetY(k)) / cell * zoom)
                               for k in range(ring.GetPointCount()))
                paths.append('<polygon points="%s" fill="none" stroke="#00e5ff" stroke-width="3"/>' % pts)
    meta = d.GetMetadata()
    caption = "%s, band '%s' (%s, target %s), %d hotspot patches from %s; %s" % (
        os.path.basename(tif), band.GetDescription(), meta.get("CRIMECAST_MODEL"), meta.get("CRIMECAST_TARGET_BIN"),
        layer.GetFeatureCount(), os.path.basename(gpkg), d.GetProjection().split('"')[1])
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d">'
           '<image width="%d" height="%d" href="data:image/png;base64,%s"/>%s</svg>'
           % (W * zoom, H * zoom, W * zoom, H * zoom, base64.b64encode(png_bytes(rgb)).decode(), "".join(paths)))
    page = ('<!DOCTYPE html><html><body style="margin:12px;font-family:sans-serif">'
            '<h3 style="margin:0 0 8px">%s</h3>%s<p style="font-size:13px;color:#444">%s</p></body></html>'
            % (title, svg, caption))
    with tempfile.TemporaryDirectory() as tmp:
        html = os.path.join(tmp, "page.html")
        with open(html, "w") as f:
            f.write(page)
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=%d,%d" % (W * zoom + 24, H * zoom + 110), "--screenshot=" + os.path.abspath(out),
                        "file://" + html], check=True, capture_output=True)


if __name__ == "__main__":
    main()
