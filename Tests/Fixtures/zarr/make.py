#!/usr/bin/env python3
"""Writes the OME-Zarr fixtures of Tests/VolumeIOTests/ZarrFixtureTests.swift with Python's zarr,
numcodecs and ome-zarr (an independent writer). Run from anywhere:

    python3 -m venv .venv-zarr && .venv-zarr/bin/pip install zarr ome-zarr numcodecs
    .venv-zarr/bin/python Tests/Fixtures/zarr/make.py

Every store holds a 5 x 20 x 30 (z, y, x) volume in 2 x 8 x 16 chunks (the last chunk of every
axis is partial) whose voxel at flat index i = (z*20 + y)*30 + x is a formula of i (see VALUES),
with scale z 50, y 7.5, x 7.5 nm (or the same in micrometres)."""
import json
import os
import shutil

import numcodecs
import numpy as np
import zarr

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPE = (5, 20, 30)
CHUNKS = (2, 8, 16)
I = np.arange(np.prod(SHAPE), dtype=np.int64).reshape(SHAPE)
VALUES = {
    "u8": (I * 37) % 256,
    "u16": (I * 1237) % 65536,
    "u32": I * 100003,
    "f32": I * 0.25 - 100,
    "u64": (I % 7) * 1000000 + I,
}


def axes(unit):
    return [{"name": n, "type": "space", "unit": unit} for n in ("z", "y", "x")]


def multiscales(name, unit="nanometer", scale=(50, 7.5, 7.5), version="0.4", levels=1):
    return [{
        "version": version, "name": name, "axes": axes(unit),
        "datasets": [{"path": str(k), "coordinateTransformations": [
            {"type": "scale", "scale": [scale[0], scale[1] * 2 ** k, scale[2] * 2 ** k]}]} for k in range(levels)],
    }]


def fresh(name):
    path = os.path.join(HERE, name)
    shutil.rmtree(path, ignore_errors=True)
    return path


def v2(name, values, dtype, compressor, separator=".", unit="nanometer", scale=(50, 7.5, 7.5), attrs=None):
    g = zarr.open_group(fresh(name), mode="w", zarr_format=2)
    a = g.create_array("0", shape=SHAPE, chunks=CHUNKS, dtype=dtype, compressors=compressor, fill_value=0,
                       chunk_key_encoding={"name": "v2", "separator": separator})
    a[:] = values.astype(dtype)
    g.attrs.update({"multiscales": multiscales(name, unit, scale), **(attrs or {})})
    return g


def main():
    v2("zstd_u8.zarr", VALUES["u8"], "|u1", numcodecs.Zstd(level=3))
    v2("blosc_lz4_u16.zarr", VALUES["u16"], "<u2", numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE),
       separator="/", unit="micrometer", scale=(0.05, 0.0075, 0.0075))
    v2("zlib_f32.zarr", VALUES["f32"], "<f4", numcodecs.Zlib(level=6))
    v2("gzip_u8.zarr", VALUES["u8"], "|u1", numcodecs.GZip(level=5), separator="/")
    v2("raw_u16.zarr", VALUES["u16"], "<u2", None)
    v2("bigendian_u16.zarr", VALUES["u16"], ">u2", numcodecs.Zstd(level=1))
    # Labels as Python writes them: uint64, blosc with its zstd; emsh reads them as u32 labels.
    v2("labels_u64.zarr", VALUES["u64"], "<u8", numcodecs.Blosc(cname="zstd", clevel=3, shuffle=numcodecs.Blosc.BITSHUFFLE),
       attrs={"emsh": {"kind": "labels"}})
    # int64 with one negative value: refused, naming the chunk that holds it.
    neg = VALUES["u64"].copy()
    neg[4, 19, 29] = -5
    v2("labels_negative_i8.zarr", neg, "<i8", numcodecs.Zstd(level=1))
    # A missing chunk reads as the fill value (0).
    g = v2("missing_chunk_u8.zarr", VALUES["u8"], "|u1", numcodecs.Zstd(level=3))
    os.remove(os.path.join(HERE, "missing_chunk_u8.zarr", "0", "1.1.1"))

    # Zarr v3 / OME-NGFF 0.5: zarr.json, attributes under "ome", default "c/" chunk keys.
    g = zarr.open_group(fresh("v3_zstd_u16.zarr"), mode="w", zarr_format=3)
    a = g.create_array("0", shape=SHAPE, chunks=CHUNKS, dtype="uint16", compressors=zarr.codecs.ZstdCodec(level=3),
                       fill_value=0, dimension_names=["z", "y", "x"])
    a[:] = VALUES["u16"].astype("uint16")
    g.attrs.update({"ome": {"version": "0.5", "multiscales": multiscales("v3_zstd_u16.zarr", version=None)}})
    # v3 big-endian f32 with gzip.
    g = zarr.open_group(fresh("v3_gzip_f32_be.zarr"), mode="w", zarr_format=3)
    a = g.create_array("0", shape=SHAPE, chunks=CHUNKS, dtype=">f4", compressors=zarr.codecs.GzipCodec(level=5),
                       fill_value=0)
    a[:] = VALUES["f32"].astype(">f4")
    g.attrs.update({"ome": {"version": "0.5", "multiscales": multiscales("v3_gzip_f32_be.zarr", version=None)}})

    # v3 sharded: shards of 4 x 16 x 32 holding 2 x 8 x 16 chunks (index at the end, with crc32c);
    # one inner chunk is all fill value (left out of its shard) and one shard is missing.
    g = zarr.open_group(fresh("v3_sharded_u16.zarr"), mode="w", zarr_format=3)
    a = g.create_array("0", shape=SHAPE, chunks=CHUNKS, shards=(4, 16, 32), dtype="uint16",
                       compressors=zarr.codecs.ZstdCodec(level=3), fill_value=0)
    sharded = VALUES["u16"].astype("uint16")
    sharded[0:2, 0:8, 0:16] = 0
    sharded[4:5, 16:20, 0:30] = 0
    a[:] = sharded
    g.attrs.update({"ome": {"version": "0.5", "multiscales": multiscales("v3_sharded_u16.zarr", version=None)}})

    # ome-zarr's own writer: t, c, z, y, x with t = c = 1, two levels (its default downsampling).
    from ome_zarr.io import parse_url
    from ome_zarr.writer import write_image
    from ome_zarr.format import FormatV04
    path = fresh("omezarr_tczyx_u8.zarr")
    root = zarr.open_group(parse_url(path, mode="w", fmt=FormatV04()).store, mode="w", zarr_format=2)
    write_image(VALUES["u8"].astype("uint8")[None, None], root, axes="tczyx", fmt=FormatV04(),
                scale_factors=[{"t": 1, "c": 1, "z": 1, "y": 2, "x": 2}], storage_options={"chunks": (1, 1) + CHUNKS},
                scale={"t": 1, "c": 1, "z": 50, "y": 7.5, "x": 7.5}, axes_units={"z": "nanometer", "y": "nanometer", "x": "nanometer"})
    print("fixtures written:", sorted(n for n in os.listdir(HERE) if n.endswith(".zarr")))


if __name__ == "__main__":
    main()
