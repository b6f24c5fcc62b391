#!/usr/bin/env python3
"""Writes the small seed inputs of the fuzz corpus (Fuzz/corpus/<target>/seed-*), with the
standard library only. Inputs the fuzzer finds are added beside them by scripts/fuzz."""
import os, struct, zlib

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

def put(target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data)

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

def png(width, height, depth, color, rows, palette=None):
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0))
    if palette:
        out += chunk(b"PLTE", palette)
    raw = b"".join(b"\x00" + r for r in rows)
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")

g8 = png(4, 3, 8, 0, [bytes([x * 60 + y for x in range(4)]) for y in range(3)])
put("png", "seed-gray8.png", g8)
put("png", "seed-gray16.png", png(2, 2, 16, 0, [struct.pack(">HH", 1000, 65535), struct.pack(">HH", 0, 7)]))
put("png", "seed-palette.png", png(4, 2, 8, 3, [bytes([0, 1, 1, 0]), bytes([1, 0, 0, 1])], palette=b"\x00\x00\x00\xff\x00\x00"))
put("png", "seed-rgb.png", png(2, 1, 8, 2, [bytes([255, 0, 0, 0, 255, 0])]))
put("png", "seed-truncated.png", g8[: len(g8) // 2])

def tiff(width, height, pages, bits=8, fmt=1):
    """Little-endian baseline TIFF, uncompressed, one strip per page."""
    bps = bits // 8
    out = bytearray(b"II*\x00" + struct.pack("<I", 0))
    first_ifd_pos = 4
    prev_next_pos = first_ifd_pos
    for p in range(pages):
        data = bytes(((x + y + p * 7) * 13) & 0xff for y in range(height) for x in range(width * bps))
        data_off = len(out)
        out += data
        if len(out) % 2:
            out += b"\x00"
        entries = [(256, 3, 1, width), (257, 3, 1, height), (258, 3, 1, bits), (259, 3, 1, 1),
                   (262, 3, 1, 1), (273, 4, 1, data_off), (277, 3, 1, 1), (278, 3, 1, height),
                   (279, 4, 1, len(data)), (339, 3, 1, fmt)]
        ifd_off = len(out)
        struct.pack_into("<I", out, prev_next_pos, ifd_off)
        out += struct.pack("<H", len(entries))
        for tag, typ, count, value in entries:
            if typ == 3:
                out += struct.pack("<HHIHH", tag, typ, count, value, 0)
            else:
                out += struct.pack("<HHII", tag, typ, count, value)
        prev_next_pos = len(out)
        out += struct.pack("<I", 0)
    return bytes(out)

t8 = tiff(5, 4, 2)
put("tiff", "seed-u8-2pages.tif", t8)
put("tiff", "seed-u16.tif", tiff(3, 3, 1, bits=16))
put("tiff", "seed-f32.tif", tiff(2, 2, 1, bits=32, fmt=3))
put("tiff", "seed-truncated.tif", t8[: len(t8) - 20])

put("csv", "seed-numbers.csv", b"id,volume_um3,eccentricity\n1,0.5,0.9\n2,1.25,0.3\n")
put("csv", "seed-quoted.csv", b'name,note\n"a, b","say ""hi"""\nc,"two\nlines"\n')
put("csv", "seed-ragged.csv", b"a,b\n1\n")
put("csv", "seed-unterminated.csv", b'a\n"open\n')

scripts = {
    "seed-basic.ems": 'x = 1 + 2 * 3\nprint "x = $x"\n',
    "seed-control.ems": 'def f a b {\n  return $a * $b\n}\nfor k in [1, 2, 3] { if $k > 1 { print (f $k 2) } else { continue } }\n',
    "seed-records.ems": 'r = {a: [1, 2, {b: "c"}], d: nil}\nprint $r.a[-1].b (len $r.a) (keys $r)\n',
    "seed-while.ems": 'i = 0\nwhile $i < 10 { i = $i + 1; if $i == 5 { break } }\nprint (str $i)\n',
    "seed-error.ems": 'print $undefined\n',
    "seed-syntax.ems": 'x = [1, 2\nprint "unterminated\n',
}
for name, text in scripts.items():
    put("script", name, text.encode())

# Zarr metadata: a v2 .zarray, a v3 zarr.json, group attributes (v0.4 and v0.5), and broken ones.
zarray = {"zarr_format": 2, "shape": [5, 20, 30], "chunks": [2, 8, 16], "dtype": "<u2",
          "compressor": {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0},
          "fill_value": 0, "order": "C", "filters": None, "dimension_separator": "/"}
import json
put("zarr", "seed-v2.zarray", json.dumps(zarray, indent=2).encode())
put("zarr", "seed-v2-i8-be.zarray", json.dumps({**zarray, "dtype": ">i8", "compressor": {"id": "zstd", "level": 3},
                                                "fill_value": "NaN", "shape": [1, 1, 5, 20, 30],
                                                "chunks": [1, 1, 2, 8, 16]}).encode())
put("zarr", "seed-v3.json", json.dumps({
    "zarr_format": 3, "node_type": "array", "shape": [5, 20, 30], "data_type": "float32",
    "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 8, 16]}},
    "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}}, "fill_value": "0x7fc00000",
    "codecs": [{"name": "transpose", "configuration": {"order": [0, 1, 2]}},
               {"name": "bytes", "configuration": {"endian": "big"}},
               {"name": "blosc", "configuration": {"cname": "zstd", "clevel": 3, "shuffle": "bitshuffle", "typesize": 4}}],
    "dimension_names": ["z", "y", "x"], "attributes": {}}).encode())
multiscales = [{"version": "0.4", "name": "x", "axes": [
    {"name": "c", "type": "channel"}, {"name": "z", "type": "space", "unit": "micrometer"},
    {"name": "y", "type": "space", "unit": "nanometer"}, {"name": "x", "type": "space", "unit": "angstrom"}],
    "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1, 0.05, 7.5, 75]},
                                                             {"type": "translation", "translation": [0, 0, 0, 0]}]}],
    "coordinateTransformations": [{"type": "scale", "scale": [1, 1, 2, 2]}]}]
put("zarr", "seed-v04.zattrs", json.dumps({"multiscales": multiscales, "emsh": {"kind": "labels"}}).encode())
put("zarr", "seed-v05-group.json", json.dumps({"zarr_format": 3, "node_type": "group", "attributes": {
    "ome": {"version": "0.5", "multiscales": [{"axes": ["z", "y", "x"], "datasets": [{"path": "0"}]}]}}}).encode())
put("zarr", "seed-bad-trailing-comma.zarray", b'{"zarr_format": 2, "shape": [1,],}')
put("zarr", "seed-bad-escape.json", b'{"a": "\\ud800\\u00e9", "b": [1e999, -0, 0.5e-3]}')
# The zarr chunk seeds (seed-chunk-*, seed-shard-u16) are chunk files copied from Tests/Fixtures/zarr
# (written by zarr-python; this script needs only the standard library, so it does not make them).
