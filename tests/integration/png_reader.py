"""A small independent PNG decoder for the tests (8-bit RGB, RGBA, grey and palette
images, non-interlaced): checks every chunk's CRC, inflates IDAT with zlib and undoes
the five scanline filters of the PNG specification. Returns numpy arrays so tests can
look at pixels without PIL."""
import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _chunks(data):
    if data[:8] != SIGNATURE:
        raise ValueError("not a PNG signature")
    pos = 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise ValueError("bad CRC in chunk %r" % kind)
        yield kind.decode("ascii"), body
        pos += 12 + length


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _unfilter(raw, height, stride, bpp):
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    pos = 0
    for y in range(height):
        kind = raw[pos]
        line = np.frombuffer(raw[pos + 1:pos + 1 + stride], dtype=np.uint8).astype(np.int32)
        pos += 1 + stride
        cur = np.zeros(stride, dtype=np.int32)
        if kind == 0:
            cur = line
        elif kind == 1:  # Sub: a running sum along each channel
            cur = (np.cumsum(line.reshape(-1, bpp), axis=0) & 255).reshape(-1)
        elif kind == 2:
            cur = (line + prev) & 255
        else:
            for x in range(stride):
                a = cur[x - bpp] if x >= bpp else 0
                c = prev[x - bpp] if x >= bpp else 0
                pred = {1: a, 3: (a + prev[x]) // 2, 4: _paeth(a, prev[x], c)}[kind]
                cur[x] = (line[x] + pred) & 255
        out[y] = cur
        prev = cur
    return out


def read_png(path):
    """(rgb [H][W][3] uint8, text dict) of the PNG at path."""
    with open(path, "rb") as f:
        data = f.read()
    header, idat, palette, text = None, b"", None, {}
    for kind, body in _chunks(data):
        if kind == "IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == "IDAT":
            idat += body
        elif kind == "PLTE":
            palette = np.frombuffer(body, dtype=np.uint8).reshape(-1, 3)
        elif kind == "tEXt":
            key, _, value = body.partition(b"\0")
            text[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == "iTXt":  # keyword, NUL, flag, method, language, NUL, translated, NUL, UTF-8
            key, _, rest = body.partition(b"\0")
            if rest[0] != 0:
                raise ValueError("compressed iTXt chunk %r" % key)
            _language, _, rest = rest[2:].partition(b"\0")
            _translated, _, value = rest.partition(b"\0")
            text[key.decode("latin-1")] = value.decode("utf-8")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or interlace != 0 or colour not in CHANNELS:
        raise ValueError("unsupported PNG: depth %d colour %d interlace %d" % (depth, colour, interlace))
    bpp = CHANNELS[colour]
    pixels = _unfilter(zlib.decompress(idat), height, width * bpp, bpp).reshape(height, width, bpp)
    if colour == 3:
        rgb = palette[pixels[:, :, 0]]
    elif colour in (0, 4):
        rgb = np.repeat(pixels[:, :, :1], 3, axis=2)
    else:
        rgb = pixels[:, :, :3]
    return rgb, text
