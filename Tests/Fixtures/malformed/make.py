#!/usr/bin/env python3
"""Writes the malformed-file corpus beside this script (standard library only).

Each file is a small (< 4 KB) broken PNG, TIFF, CSV or .emodel file; MalformedFilesTests loads each
with `emsh -c 'load "<file>"'` and expects exit status 1 and an `error:` line naming the file.
Run: python3 Tests/Fixtures/malformed/make.py   (rewrites every file; deterministic)
"""
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    assert len(data) < 4096, name
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- PNG
def chunk(kind, body, crc=None):
    c = zlib.crc32(kind + body) & 0xFFFFFFFF if crc is None else crc
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", c)


SIG = b"\x89PNG\r\n\x1a\n"


def ihdr(w, h, depth=8, color=0):
    return struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0)


def png(w=16, h=16, color=0, extra=b"", crc_ihdr=None):
    raw = b"".join(b"\x00" + bytes((x * 7 + y) & 0xFF for x in range(w)) for y in range(h))
    return (SIG + chunk(b"IHDR", ihdr(w, h, 8, color), crc_ihdr) + extra
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


good = png()
idat_at = good.index(b"IDAT") - 4
write("png-empty.png", b"")
write("png-trunc-4.png", good[:4])              # inside the signature
write("png-trunc-8.png", good[:8])              # signature only
write("png-trunc-20.png", good[:20])            # inside IHDR
write("png-trunc-33.png", good[:33])            # IHDR complete, no IDAT
write("png-trunc-idat.png", good[:idat_at + 8 + 10])   # inside the IDAT data
write("png-bad-crc.png", png(crc_ihdr=0xDEADBEEF))
write("png-bad-idat-data.png", SIG + chunk(b"IHDR", ihdr(16, 16)) + chunk(b"IDAT", b"\x78\x9c" + b"\xff" * 40) + chunk(b"IEND", b""))
write("png-zero-width.png", SIG + chunk(b"IHDR", ihdr(0, 16)) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))
write("png-huge.png", SIG + chunk(b"IHDR", ihdr(1000000, 1000000)) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
write("png-palette-no-plte.png", png(color=3))
write("png-bad-depth.png", SIG + chunk(b"IHDR", ihdr(16, 16, depth=7)) + chunk(b"IDAT", zlib.compress(b"\x00" * 17 * 16)) + chunk(b"IEND", b""))
write("png-is-jpeg.png", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9")
write("png-is-text.png", "this is not a picture, it is a note\n")

# ---------------------------------------------------------------- TIFF
def tiff(entries, data=b"", magic=b"II*\x00", ifd_offset=None):
    """Little-endian classic TIFF: header, the pixel data at offset 8, then one IFD."""
    ifd_at = 8 + len(data)
    if ifd_at % 2:
        data += b"\x00"
        ifd_at += 1
    head = magic + struct.pack("<I", ifd_at if ifd_offset is None else ifd_offset)
    body = struct.pack("<H", len(entries))
    for tag, typ, count, value in sorted(entries):
        if typ == 3 and count == 1:
            body += struct.pack("<HHIHH", tag, typ, count, value, 0)
        else:
            body += struct.pack("<HHII", tag, typ, count, value)
    body += struct.pack("<I", 0)
    return head + data + body


def strip_tiff(w=8, h=8, offset=8, count=None, nstrips=1, bps=8, rows=None, data=None):
    pixels = bytes((i * 3) & 0xFF for i in range(min(w * h, 64))) if data is None else data
    return tiff([
        (256, 4, 1, w), (257, 4, 1, h), (258, 3, 1, bps), (259, 3, 1, 1), (262, 3, 1, 1),
        (273, 4, nstrips, offset), (277, 3, 1, 1), (278, 4, 1, h if rows is None else rows),
        (279, 4, nstrips, len(pixels) if count is None else count),
    ], pixels)


goodtif = strip_tiff()
write("tif-empty.tif", b"")
write("tif-trunc-header.tif", goodtif[:6])
write("tif-trunc-ifd.tif", goodtif[:len(goodtif) - 40])
write("tif-ifd-past-end.tif", tiff([], b"", ifd_offset=0x7FFF0000))
write("tif-strip-past-end.tif", strip_tiff(offset=1000000, count=64))
write("tif-strip-truncated.tif", strip_tiff(w=64, h=64, count=4096))   # 4096 bytes of pixels claimed, 64 present
write("tif-zero-width.tif", strip_tiff(w=0))
write("tif-huge.tif", strip_tiff(w=1000000, h=1000000))              # one strip claiming 10^12 bytes
huge_z = zlib.compress(b"\x00" * 4096)
write("tif-huge-deflate.tif", tiff([                                      # a small deflate strip claiming 10^12 pixels
    (256, 4, 1, 1000000), (257, 4, 1, 1000000), (258, 3, 1, 8), (259, 3, 1, 8), (262, 3, 1, 1),
    (273, 4, 1, 8), (277, 3, 1, 1), (278, 4, 1, 1000000), (279, 4, 1, len(huge_z))], huge_z))
write("tif-huge-many-strips.tif", strip_tiff(w=1000000, h=1000000, rows=1))
write("tif-negative-size.tif", strip_tiff(w=0xFFFFFFFF, h=0xFFFFFFFF))   # -1 as a signed 32-bit size
write("tif-strip-count-overflow.tif", strip_tiff(nstrips=0xFFFFFFFF, offset=8, count=8))
write("tif-bad-bits.tif", strip_tiff(bps=7))
write("tif-wrong-magic.tif", b"XX*\x00" + goodtif[4:])
write("tif-is-text.tif", "width,height\n8,8\n")
write("tif-is-png.tiff", good)

# ---------------------------------------------------------------- CSV
write("csv-empty.csv", b"")
write("csv-ragged.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,9\n")
write("csv-unterminated-quote.csv", 'name,value\n"open,1\nx,2\n')
write("csv-invalid-utf8.csv", b"a,b\n1,\xff\xfe\xc3\n")

# ---------------------------------------------------------------- .emodel (safetensors)
def model(header, data=b"", length=None):
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    n = len(h) if length is None else length
    return struct.pack("<Q", n) + h + data


meta = {"architecture": json.dumps({"kind": "unet", "depth": 1, "base": 2}), "emsh_version": "1"}
write("model-empty.emodel", b"")
write("model-trunc-5.emodel", b"\x10\x00\x00\x00\x00")
write("model-header-past-eof.emodel", model({"__metadata__": meta}, length=1 << 40))
write("model-header-len-max.emodel", model({"__metadata__": meta}, length=0xFFFFFFFFFFFFFFFF))
write("model-bad-json.emodel", model(b'{"__metadata__": {"architecture": '))
write("model-not-object.emodel", model(b"[1, 2, 3]"))
write("model-lying-shape.emodel", model({"__metadata__": meta,
      "w": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 16]}}, b"\x00" * 16))
write("model-huge-shape.emodel", model({"__metadata__": meta,
      "w": {"dtype": "F32", "shape": [1000000, 1000000, 1000000], "data_offsets": [0, 16]}}, b"\x00" * 16))
write("model-offsets-past-end.emodel", model({"__metadata__": meta,
      "w": {"dtype": "F32", "shape": [4], "data_offsets": [1000000, 1000016]}}, b"\x00" * 16))
write("model-negative-offsets.emodel", model({"__metadata__": meta,
      "w": {"dtype": "F32", "shape": [4], "data_offsets": [-16, 0]}}, b"\x00" * 16))
write("model-truncated-data.emodel", model({"__metadata__": meta,
      "w": {"dtype": "F32", "shape": [64], "data_offsets": [0, 256]}}, b"\x00" * 20))
write("model-no-metadata.emodel", model({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\x00" * 4))
