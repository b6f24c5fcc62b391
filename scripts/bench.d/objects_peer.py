#!/usr/bin/env python3
"""Object kernels: emsh (in-process, release) against scipy / cc3d / edt / scikit-image.

Usage: objects_peer.py DATA   (DATA = the sbem-mito folder). See objects.sh.
"""
import glob, os, subprocess, sys, tempfile, time
import numpy as np
from PIL import Image
from scipy import ndimage

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SPACING = (7.5, 7.5, 50.0)   # x, y, z nm, as in DESIGN.md
REPS = 3
CROP = ((0, 20), 256, 768, 256, 768)   # z range, y0, y1, x0, x1 of the distance-split comparison

CPU = {}   # peer name → best CPU seconds

def best(f, reps=REPS, name=None):
    t = float("inf"); c = float("inf"); r = None
    for _ in range(reps):
        t0 = time.perf_counter(); c0 = time.process_time(); r = f()
        t = min(t, time.perf_counter() - t0); c = min(c, time.process_time() - c0)
    if name: CPU[name] = c
    return t, r

def same_partition(a, b):
    if not np.array_equal(a != 0, b != 0):
        return False
    fg = a != 0
    pairs = np.unique(np.stack([a[fg].astype(np.int64), b[fg].astype(np.int64)]), axis=1)
    return len(np.unique(pairs[0])) == pairs.shape[1] == len(np.unique(pairs[1]))

def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "data", "sbem-mito")
    files = sorted(glob.glob(os.path.join(data, "train", "labels", "mitos_3D.*.png")))
    if not files:
        print(f"objects: skip (no label PNGs under {data})"); return
    mask = np.stack([(np.array(Image.open(p)) == 1) for p in files]).astype(np.uint8)
    z, y, x = mask.shape
    print(f"objects: {z}×{y}×{x} mask, {mask.mean() * 100:.1f} % foreground")
    work = tempfile.mkdtemp(prefix="emsh-bench-objects-")
    mask.tofile(os.path.join(work, "mask.u8"))
    with open(os.path.join(work, "shape.txt"), "w") as f:
        f.write(f"{z} {y} {x} {SPACING[0]} {SPACING[1]} {SPACING[2]}")
    # scikit-image's watershed takes minutes of CPU on the whole stack (about 6 s on 20×256×256), so
    # the distance split is compared on the central crop CROP (z, y0:y1, x0:x1) of the stack, both
    # sides timed on the same crop; emsh's whole-stack figure is printed as well.
    cz, cy0, cy1, cx0, cx1 = CROP
    crop = np.ascontiguousarray(mask[cz[0]:cz[1], cy0:cy1, cx0:cx1])
    crop.tofile(os.path.join(work, "crop.u8"))
    with open(os.path.join(work, "crop.txt"), "w") as f:
        f.write(" ".join(str(v) for v in crop.shape))

    # emsh, in-process.
    env = dict(os.environ, EMSH_BENCH_OBJECTS=work)
    pkg = os.environ.get("EMSH_BENCH_PACKAGE", ROOT)   # another package holding the same sources
    # The same release test build as the learning benches (same flags, same folder): one build for all.
    scratch = os.environ.get("EMSH_BENCH_SCRATCH", os.path.join(ROOT, ".build-bench-learning"))
    cmd = ["swift", "test", "-c", "release", "-Xswiftc", "-enable-testing", "--scratch-path", scratch,
           "--filter", "objectsBenchmark"]
    out = subprocess.run(cmd, cwd=pkg, env=env, capture_output=True, text=True)
    ours = {}; ours_cpu = {}
    for line in out.stdout.splitlines():
        if line.startswith("BENCH "):
            _, k, v, c = line.split()
            ours[k] = float(v); ours_cpu[k] = float(c)
            if k == "split_crop_objects": continue
            print(f"  emsh {k}: {float(v):.4f}" + (f" s (CPU {float(c):.4f} s)" if k != "threads" else ""), flush=True)
        elif line.startswith("BENCH_INFO") and "split_distance_crop" not in line:
            print("  " + line[len("BENCH_INFO "):], flush=True)
    if "fit" not in ours:
        print("objects: the emsh benchmark did not run:\n" + out.stdout[-3000:] + out.stderr[-3000:]); sys.exit(1)

    peers = {}
    sz = (SPACING[2], SPACING[1], SPACING[0])
    for conn, rank in ((6, 1), (18, 2), (26, 3)):
        st = ndimage.generate_binary_structure(3, rank)
        t, (lab, n) = best(lambda: ndimage.label(mask, structure=st), name=f"scipy.ndimage.label{conn}")
        peers.setdefault(f"components{conn}", []).append(("scipy.ndimage.label", t))
        mine = np.fromfile(os.path.join(work, f"labels_{conn}.u32"), dtype="<u4").reshape(mask.shape)
        print(f"  components{conn}: {n} objects; same partition as scipy: {same_partition(mine, lab)}; "
              f"same ids: {np.array_equal(mine, lab)}", flush=True)
    try:
        import cc3d
        for conn in (6, 18, 26):
            t, _ = best(lambda: cc3d.connected_components(mask, connectivity=conn), name=f"cc3d{conn}")
            peers[f"components{conn}"].append(("cc3d", t))
    except ImportError:
        print("  (cc3d not installed)")
    t, dref = best(lambda: ndimage.distance_transform_edt(mask, sampling=sz), name="scipy.distance_transform_edt")
    peers["distance"] = [("scipy.distance_transform_edt", t)]
    try:
        import edt
        t, _ = best(lambda: edt.edt(mask, anisotropy=sz, parallel=2), name="edt (2 threads)")
        peers["distance"].append(("edt (2 threads)", t))
    except ImportError:
        print("  (edt not installed)")
    mine = np.fromfile(os.path.join(work, "dist.f32"), dtype="<f4").reshape(mask.shape)
    print(f"  distance: max |emsh − scipy| = {np.abs(mine - dref).max():.4g} nm (max distance {dref.max():.1f} nm)")

    # The usual scikit-image recipe (its h_maxima on a float volume this size takes many minutes, so
    # the seeds come from peak_local_max, which is cheaper than emsh's h-maxima, favouring the peer).
    from skimage.segmentation import watershed
    from skimage.feature import peak_local_max
    def ws():
        try:
            import edt as E
            d = E.edt(crop, anisotropy=sz, parallel=2)
        except ImportError:
            d = ndimage.distance_transform_edt(crop, sampling=sz)
        comp, _ = ndimage.label(crop)
        peaks = peak_local_max(d, min_distance=5, labels=comp, exclude_border=False)
        seeds = np.zeros(crop.shape, dtype=np.int32)
        seeds[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
        return watershed(-d, seeds, mask=crop.astype(bool), watershed_line=True)
    t, wl = best(ws, reps=1, name="edt+peak_local_max+skimage watershed")
    peers["split_distance"] = [("edt+peak_local_max+skimage watershed", t)]
    ours["split_distance_whole"], ours_cpu["split_distance_whole"] = ours["split_distance"], ours_cpu["split_distance"]
    ours["split_distance"], ours_cpu["split_distance"] = ours["split_distance_crop"], ours_cpu["split_distance_crop"]
    print(f"  split_distance on the crop {'×'.join(map(str, crop.shape))} (z {cz[0]}:{cz[1]}, y {cy0}:{cy1}, "
          f"x {cx0}:{cx1}): skimage finds {len(np.unique(wl)) - 1} objects, emsh {int(ours.get('split_crop_objects', 0))}; "
          f"emsh on the whole stack {ours['split_distance_whole']:.4f} s (CPU {ours_cpu['split_distance_whole']:.4f} s)")

    f = mask.astype(np.float32)
    sig = (2 * SPACING[0] / SPACING[2], 2, 2)
    t, _ = best(lambda: ndimage.gaussian_filter(f, sigma=sig, truncate=4.0), name="scipy.gaussian_filter")
    peers["blur"] = [("scipy.gaussian_filter", t)]

    from skimage.measure import regionprops
    lab26 = np.fromfile(os.path.join(work, "labels_26.u32"), dtype="<u4").reshape(mask.shape)
    def props():
        return [(r.area, r.centroid, r.inertia_tensor_eigvals) for r in regionprops(lab26, spacing=sz)]
    t, _ = best(props, reps=1, name="skimage regionprops (centroid, inertia eigvals)")
    peers["fit"] = [("skimage regionprops (centroid, inertia eigvals)", t)]

    print(f"  emsh threads: {int(ours.get('threads', 0))}; wall-clock figures are noisy on shared cores, CPU seconds less so")
    print(f"{'kernel':16s} {'emsh s':>8s} {'emsh cpu':>8s} {'fastest peer (wall)':>48s} {'peer s':>8s} {'peer cpu':>8s} {'peer/emsh':>9s}")
    for k in ["components6", "components18", "components26", "distance", "split_distance", "blur", "fit"]:
        name, t = min(peers[k], key=lambda p: p[1])
        suffix = k[len("components"):] if k.startswith("components") else ""
        pc = CPU.get(name + suffix, CPU.get(name, float("nan")))
        print(f"{k:16s} {ours[k]:8.4f} {ours_cpu[k]:8.4f} {name:>48s} {t:8.4f} {pc:8.4f} {t / ours[k]:9.2f}")

if __name__ == "__main__":
    main()
