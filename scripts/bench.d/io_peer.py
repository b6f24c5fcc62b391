#!/usr/bin/env python3
"""Python peers for the image I/O benchmark, and a tifffile check of TIFFs written by emsh.

  io_peer.py time DATA_DIR OUT_DIR
      Pillow decode of the 20 training PNGs; tifffile write + read of the 20-slice stack
      (uncompressed ImageJ, and deflate). One line per measurement: `peer NAME SECONDS s`.
  io_peer.py check TIFF X Y Z
      Reads TIFF with tifffile and checks that its spacing (nm) is X, Y, Z as ImageJ/Fiji
      would see it (XResolution/YResolution + ImageJ unit/spacing). Exit status 1 on mismatch.
  io_peer.py same TIFF PNG_GLOB
      Checks that tifffile reads TIFF as exactly the pixels Pillow reads from the PNGs.
"""
import glob
import os
import sys
import time

import numpy as np
import tifffile
from PIL import Image


def best(n, fn):
    """Best wall time of n runs; the best CPU time (all threads) goes to best.cpu."""
    b, c = float("inf"), float("inf")
    for _ in range(n):
        t, t0 = time.perf_counter(), time.process_time()
        fn()
        b = min(b, time.perf_counter() - t)
        c = min(c, time.process_time() - t0)
    best.cpu = c
    return b


def mean_of(n, fn, rounds=3):
    """The mean wall time of n back-to-back runs of fn, best of `rounds` rounds."""
    b = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        b = min(b, (time.perf_counter() - t) / n)
    return b


def png_paths(data):
    return sorted(glob.glob(os.path.join(data, "train", "images", "*.png")))


def time_peers(data, out):
    paths = png_paths(data)
    if len(paths) != 20:
        print(f"skip: {data} does not hold the 20 training PNGs")
        return
    decode = lambda: np.stack([np.asarray(Image.open(p)) for p in paths])
    print(f"peer pillow_png_decode_20 {best(5, decode):.4f} s")
    stack = decode()
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "peer_stack.tif")
    meta = {"spacing": 50.0, "unit": "nm"}
    res = (1 / 7.5, 1 / 7.5)
    w = lambda: tifffile.imwrite(path, stack, imagej=True, resolution=res, metadata=meta)
    print(f"peer tifffile_write_20 {best(5, w):.4f} s")

    def w_sync():  # the same, flushed to disk like emsh's atomic save (temporary file + fsync + rename)
        w()
        fd = os.open(path, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
    print(f"peer tifffile_write_fsync_20 {best(5, w_sync):.4f} s")
    print(f"peer tifffile_read_20 {best(5, lambda: tifffile.imread(path)):.4f} s")
    # The way io.sh times emsh's `_warm` figures: the mean of 20 back to back, best of 3 rounds.
    print(f"peer tifffile_read_mean20_20 {mean_of(20, lambda: tifffile.imread(path)):.4f} s")
    print(f"peer tifffile_write_fsync_mean20_20 {mean_of(20, w_sync):.4f} s")
    zpath = os.path.join(out, "peer_stack_deflate.tif")
    wz = lambda: tifffile.imwrite(zpath, stack, compression="zlib")
    print(f"peer tifffile_deflate_write_20 {best(1, wz):.4f} s (cpu {best.cpu:.4f} s)")
    print(f"peer tifffile_deflate_read_20 {best(3, lambda: tifffile.imread(zpath)):.4f} s (cpu {best.cpu:.4f} s)")
    # The same files both ways: emsh writes deflate with the horizontal predictor (smaller, one more
    # pass to undo), tifffile's default has none. io.sh times emsh on peer_stack_deflate.tif.
    wzp = lambda: tifffile.imwrite(zpath + ".pred.tif", stack, compression="zlib", predictor=True)
    print(f"peer tifffile_deflate_predictor_write_20 {best(1, wzp):.4f} s (cpu {best.cpu:.4f} s)")
    ez = os.path.join(out, "emsh_deflate.tif")
    if os.path.exists(ez):
        print(f"peer tifffile_read_emsh_deflate_20 {best(3, lambda: tifffile.imread(ez)):.4f} s (cpu {best.cpu:.4f} s)")


def spacing_nm(path):
    """Spacing (x, y, z) in nm the way Fiji reads an ImageJ TIFF."""
    scale = {"nm": 1.0, "micron": 1000.0, "um": 1000.0, "\u00b5m": 1000.0, "mm": 1e6}
    with tifffile.TiffFile(path) as tf:
        page = tf.pages[0]
        ij = tf.imagej_metadata or {}
        unit = ij.get("unit", "pixel")
        f = scale.get(unit)
        if f is None:
            raise SystemExit(f"{path}: unknown ImageJ unit {unit!r}")
        xr = page.tags["XResolution"].value
        yr = page.tags["YResolution"].value
        sx = xr[1] / xr[0] * f
        sy = yr[1] / yr[0] * f
        sz = float(ij.get("spacing", 1.0)) * f
        n = len(tf.series[0].pages) if tf.series else len(tf.pages)
        shape = tf.series[0].shape
        return (sx, sy, sz), unit, shape, n


def check(path, want):
    (sx, sy, sz), unit, shape, n = spacing_nm(path)
    ok = all(abs(a - b) <= 1e-4 * max(1.0, abs(b)) for a, b in zip((sx, sy, sz), want))
    print(f"tifffile {'ok' if ok else 'MISMATCH'}: {path} spacing {sx:g} x {sy:g} x {sz:g} nm "
          f"(unit {unit}, series shape {shape}), expected {want[0]:g} x {want[1]:g} x {want[2]:g}")
    return ok


def same(path, pattern):
    a = tifffile.imread(path)
    b = np.stack([np.asarray(Image.open(p)) for p in sorted(glob.glob(pattern))])
    ok = a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)
    print(f"tifffile {'ok' if ok else 'MISMATCH'}: {path} {a.shape} {a.dtype} equals Pillow's "
          f"{b.shape} {b.dtype} from {pattern}")
    return ok


def main(argv):
    if len(argv) >= 3 and argv[0] == "time":
        time_peers(argv[1], argv[2])
        return 0
    if len(argv) == 5 and argv[0] == "check":
        return 0 if check(argv[1], tuple(float(x) for x in argv[2:5])) else 1
    if len(argv) == 3 and argv[0] == "same":
        return 0 if same(argv[1], argv[2]) else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
