#!/usr/bin/env python3
"""Checks OME-Zarr stores written by emsh with Python's zarr and ome-zarr (independent readers).

  zarr_peer.py DIR
      For every DIR/NAME.zarr with a DIR/NAME.raw beside it (the level-0 voxels, C order, the
      store's dtype, little-endian), as written by the VolumeIOTests test writeStoreForPythonPeer
      when EMSH_ZARR_OUT=DIR:
        - zarr opens the group and level "0"; dtype, shape and every value equal the .raw file;
        - ome-zarr's reader (parse_url + Reader) finds the multiscales image node, its axes
          (z, y, x in nanometer) and the scale transform of each level: z kept, y and x doubled
          per level, level 0 = [50, 7.5, 7.5];
        - level 1 has the shape ceil(y/2), ceil(x/2) and is the 2x2 mean (images, rounded half
          up for integers) or the voxel at even coordinates (masks, labels: "emsh" kind).
      Prints "zarr_peer ok" and exits 0, or names the first mismatch and exits 1.

  Setup: python3 -m venv .venv-zarr && .venv-zarr/bin/pip install zarr ome-zarr numcodecs
  Run:   EMSH_ZARR_OUT=/tmp/zarr-peer swift test --filter writeStoreForPythonPeer
         .venv-zarr/bin/python scripts/bench.d/zarr_peer.py /tmp/zarr-peer
"""
import glob
import os
import sys

import numpy as np
import zarr
from ome_zarr.io import parse_url
from ome_zarr.reader import Multiscales, Reader

SCALE0 = [50.0, 7.5, 7.5]


def fail(msg):
    print("zarr_peer FAIL:", msg)
    sys.exit(1)


def reduce2x(a, nearest):
    if nearest:
        return a[:, ::2, ::2]
    z, y, x = a.shape
    p = np.zeros((z, y + y % 2, x + x % 2), dtype=np.float64)
    n = np.zeros_like(p)
    p[:, :y, :x] = a
    n[:, :y, :x] = 1
    s = p[:, 0::2, 0::2] + p[:, 1::2, 0::2] + p[:, 0::2, 1::2] + p[:, 1::2, 1::2]
    c = n[:, 0::2, 0::2] + n[:, 1::2, 0::2] + n[:, 0::2, 1::2] + n[:, 1::2, 1::2]
    m = s / c
    if a.dtype.kind == "f":
        return m.astype(a.dtype)
    return np.floor(m + 0.5).astype(a.dtype)


def check(store):
    name = os.path.basename(store)
    raw = store[:-len(".zarr")] + ".raw"
    g = zarr.open_group(store, mode="r")
    a0 = g["0"]
    dtype = np.dtype(a0.dtype)
    want = np.fromfile(raw, dtype=dtype.newbyteorder("<")).reshape(a0.shape)
    got = a0[:]
    if got.dtype != want.dtype or not np.array_equal(got, want):
        fail(f"{name}: level 0 differs from {raw} (dtype {got.dtype})")
    kind = g.attrs.get("emsh", {}).get("kind")
    if kind not in ("image", "mask", "labels"):
        fail(f"{name}: .zattrs emsh kind is {kind!r}")

    # ome-zarr's reader: the image node, its axes and the scales.
    nodes = list(Reader(parse_url(store))())
    if not nodes or not any(isinstance(s, Multiscales) for s in nodes[0].specs):
        fail(f"{name}: ome-zarr finds no multiscales image")
    node = nodes[0]
    axes = node.metadata.get("axes")
    if [(ax["name"], ax.get("type"), ax.get("unit")) for ax in axes] != [(n, "space", "nanometer") for n in "zyx"]:
        fail(f"{name}: axes {axes}")
    transforms = node.metadata.get("coordinateTransformations")
    levels = len(node.data)
    if levels < 2:
        fail(f"{name}: {levels} level(s), expected a pyramid")
    for k in range(levels):
        scale = next(t["scale"] for t in transforms[k] if t["type"] == "scale")
        expect = [SCALE0[0], SCALE0[1] * 2 ** k, SCALE0[2] * 2 ** k]
        if not np.allclose(scale, expect):
            fail(f"{name}: level {k} scale {scale}, expected {expect}")
    if not np.array_equal(np.asarray(node.data[0]), want):
        fail(f"{name}: ome-zarr's level 0 differs")
    l1 = np.asarray(node.data[1])
    z, y, x = want.shape
    if l1.shape != (z, (y + 1) // 2, (x + 1) // 2):
        fail(f"{name}: level 1 shape {l1.shape}")
    exp1 = reduce2x(want, nearest=kind != "image")
    if not np.array_equal(l1, exp1):
        bad = np.argwhere(l1 != exp1)[0]
        fail(f"{name}: level 1 at {tuple(bad)} is {l1[tuple(bad)]}, expected {exp1[tuple(bad)]}")
    print(f"  {name}: {dtype} {want.shape} {kind}, {levels} levels, compressor "
          f"{a0.metadata.to_dict().get('compressor', {})}")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    stores = sorted(glob.glob(os.path.join(sys.argv[1], "*.zarr")))
    stores = [s for s in stores if os.path.exists(s[:-len(".zarr")] + ".raw")]
    if not stores:
        fail(f"no NAME.zarr with NAME.raw in {sys.argv[1]}")
    for s in stores:
        check(s)
    print("zarr_peer ok")


if __name__ == "__main__":
    main()
