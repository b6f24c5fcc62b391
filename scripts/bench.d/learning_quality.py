#!/usr/bin/env python3
"""Segmentation quality on real data (issue 13): emsh's default `train` recipe vs a plain PyTorch U-Net, same budget.

Data: sbem-mito train slices 010-029 as they are, as stdlib/mito.ems trains (QUALITY_NORMALIZE=1 maps every
slice's two histogram peaks onto their average with emsh's `normalize`, the thesis's per-slice rule, which on
this sample's plateau histograms shifts slices 022-026 and 028-029 against their neighbours). Two protocols:
  val  train 010-024, validate 025-029 after every epoch (best epoch kept): the best validation F.
  far  train 010-019, validate 020-024 (best epoch and fscore's level chosen there), then score 025-029 at that
       level: how the model does further from its training slices, as a user would apply it.
Both sides: 2 threads (EMSH_THREADS), LEARNING_QUALITY_MINUTES (default 15) each, or a fixed step count
(QUALITY_EMSH_STEPS / QUALITY_TORCH_STEPS, independent of the machine's load). QUALITY_SEEDS (default "0 1"),
QUALITY_PROTOCOLS (default "val far"), LEARNING_QUALITY_SIDE = both | emsh | torch, QUALITY_TTAS (emsh, default
"1,8": without and with 8-fold test-time augmentation). The emsh side is mito.ems's recipe: train's defaults with
--bin 2 (EMSH_QUALITY_BIN=1 turns binning off), inference with --tta 8 (the tta 8 columns).
EMSH_QUALITY_* variables (BIN, FRAMES, WIDTH, INTENSITY, ...: see Tests/LearningTests/LearningQuality.swift) change
the emsh recipe for an experiment. The PyTorch side is the plain baseline: 1 frame, the 8 rotations/flips,
BCE + Dice, AdamW 1e-3 with warm-up and cosine decay, batch 8 of 128², the emsh U-Net's layers.
Slow (2 seeds x 2 protocols x 2 sides x 15 minutes = 2 hours): runs only with EMSH_BENCH_QUALITY=1 or when
named (`scripts/bench quality`)."""
import os, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKG = os.environ.get("EMSH_SWIFT_PKG", ROOT)
VENV_PY = os.path.join(ROOT, ".venv-bench", "bin", "python")
DATA = os.environ.get("EMSH_BENCH_DATA", os.path.join(os.path.dirname(ROOT), "shared", "data", "sbem-mito"))
if os.environ.get("EMSH_BENCH_QUALITY") != "1":
    print("learning_quality: set EMSH_BENCH_QUALITY=1 to run (or: scripts/bench quality)")
    sys.exit(0)
if not os.path.isdir(os.path.join(DATA, "train", "images")):
    print(f"learning_quality: skip (no data at {DATA})")
    sys.exit(0)
try:
    import numpy as np
    import torch
    from PIL import Image
except ImportError:
    if os.path.exists(VENV_PY) and sys.executable != VENV_PY:
        os.execv(VENV_PY, [VENV_PY] + sys.argv)
    print("learning_quality: torch/numpy/PIL missing; skipped")
    sys.exit(0)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from learning_unet import UNet, seg_loss

MINUTES = float(os.environ.get("LEARNING_QUALITY_MINUTES", "15"))
THREADS = int(os.environ.get("EMSH_THREADS", "2"))
SEEDS = [int(s) for s in os.environ.get("QUALITY_SEEDS", "0 1").split()]
PROTOCOLS = os.environ.get("QUALITY_PROTOCOLS", "val far").split()
EMSH_STEPS = os.environ.get("QUALITY_EMSH_STEPS")
TORCH_STEPS = os.environ.get("QUALITY_TORCH_STEPS")


def emsh_binary():
    if os.environ.get("EMSH"):
        return os.environ["EMSH"]
    subprocess.run(["swift", "build", "-c", "release", "--product", "emsh"], cwd=PKG, check=True, capture_output=True)
    return os.path.join(PKG, ".build", "release", "emsh")


def load(work):
    """Slices 010-029 (raw, as mito.ems trains; per-slice normalised with QUALITY_NORMALIZE=1) and their labels."""
    d = os.path.join(DATA, "train")
    labs = np.stack([np.array(Image.open(f"{d}/labels/mitos_3D.{i:03d}.png")) for i in range(10, 30)])
    if os.environ.get("QUALITY_NORMALIZE", "0") == "1":
        out = os.path.join(work, "normalised.tif")
        code = ('d = $args[0]\nimg = load "$d/images/*.png"\nref = histogram $img | peaks\n'
                'print "peaks $(str $ref)"\nsave (normalize $img --to $ref) $args[1]\n')
        r = subprocess.run([emsh_binary(), "-c", code, d, out], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"learning_quality: normalising failed: {r.stdout}{r.stderr}")
        print("  data: every slice normalised to the training slices'", r.stdout.strip().splitlines()[-1])
        tif = Image.open(out)
        imgs = []
        for k in range(20):
            tif.seek(k); imgs.append(np.array(tif))
        imgs = np.stack(imgs)
    else:
        imgs = np.stack([np.array(Image.open(f"{d}/images/images.{i:03d}.png")) for i in range(10, 30)])
        print("  data: raw")
    return imgs.astype(np.uint8), (labs > 0).astype(np.uint8)


def fscore(prob, labels):
    """DESIGN.md's rule: q = round(255 p); per slice with foreground the smallest best level; level = mean, halves up."""
    q = np.floor(np.clip(prob, 0, 1) * 255 + 0.5).astype(np.int64)
    best, pos_all, neg_all = [], np.zeros(256, np.int64), np.zeros(256, np.int64)
    for z in range(q.shape[0]):
        t = labels[z] > 0
        pos = np.bincount(q[z][t], minlength=256); neg = np.bincount(q[z][~t], minlength=256)
        pos_all += pos; neg_all += neg
        if pos.sum() == 0:
            continue
        tp = np.cumsum(pos[::-1])[::-1]; fp = np.cumsum(neg[::-1])[::-1]; fn = pos.sum() - tp
        f = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
        best.append(int(np.argmax(f)))
    level = (2 * sum(best) + len(best)) // (2 * len(best))
    return f_at(q, labels, level), level


def f_at(q, labels, level):
    pos, t = q >= level, labels > 0
    tp = int((pos & t).sum()); fp = int((pos & ~t).sum()); fn = int((~pos & t).sum())
    return 2 * tp / max(1, 2 * tp + fp + fn)


def torch_run(imgs, labs, protocol, seed):
    torch.set_num_threads(THREADS)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    n_train = 15 if protocol == "val" else 10
    tr_x, tr_y = imgs[:n_train], labs[:n_train]
    va_x, va_y = imgs[n_train:n_train + 5], labs[n_train:n_train + 5]
    mean, std = float(tr_x.mean()), float(tr_x.std())
    x = ((tr_x.astype(np.float32) - mean) / std)
    norm = lambda v: torch.from_numpy(((v.astype(np.float32) - mean) / std)[:, None])
    vx, fx = norm(va_x), norm(imgs[15:20])
    net = UNet(4, 16, 1, 8)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    P, B = 128, 8
    steps_per_epoch = -(-x.size // (B * P * P))
    total = int(TORCH_STEPS) if TORCH_STEPS else None
    start, step, fs, best, ep_loss, step_time = time.time(), 0, [], None, [], 0.0

    def predict(v):
        net.eval()
        with torch.no_grad():
            p = np.concatenate([torch.sigmoid(net(v[k:k + 1])).numpy()[:, 0] for k in range(v.shape[0])])
        net.train()
        return p

    def validate():
        nonlocal best
        f, level = fscore(predict(vx), va_y)
        fs.append(f)
        if best is None or f > best[0]:
            best = (f, level, {k: t.clone() for k, t in net.state_dict().items()})

    while (step < total) if total else (time.time() - start < MINUTES * 60):
        frac = step / total if total else (time.time() - start) / (MINUTES * 60)
        lr = 1e-3 * (0.1 + 0.9 * frac / 0.05 if frac < 0.05 else 0.01 + 0.99 * 0.5 * (1 + np.cos(np.pi * (frac - 0.05) / 0.95)))
        for g in opt.param_groups:
            g["lr"] = lr
        t0 = time.time()
        bx = np.empty((B, 1, P, P), np.float32); by = np.empty((B, 1, P, P), np.float32)
        for b in range(B):
            z = rng.integers(x.shape[0]); y0 = rng.integers(x.shape[1] - P + 1); x0 = rng.integers(x.shape[2] - P + 1)
            pi, pl = x[z, y0:y0 + P, x0:x0 + P], tr_y[z, y0:y0 + P, x0:x0 + P]
            t = rng.integers(8)
            if t & 1: pi, pl = pi.T, pl.T
            if t & 2: pi, pl = pi[::-1], pl[::-1]
            if t & 4: pi, pl = pi[:, ::-1], pl[:, ::-1]
            bx[b, 0], by[b, 0] = pi, pl
        opt.zero_grad()
        loss = seg_loss(net(torch.from_numpy(bx)), torch.from_numpy(by))
        loss.backward(); opt.step()
        step_time += time.time() - t0
        ep_loss.append(loss.item()); step += 1
        if step % steps_per_epoch == 0:
            validate(); ep_loss = []
    if ep_loss:
        validate()
    seconds = time.time() - start
    net.load_state_dict(best[2])
    r = {"steps": step, "seconds": seconds, "step_s": step_time / max(step, 1), "valF": fs, "val": best[0]}
    if protocol == "far":
        q = np.floor(np.clip(predict(fx), 0, 1) * 255 + 0.5).astype(np.int64)
        r["far"] = f_at(q, labs[15:20], best[1])
        r["far_own"] = fscore(predict(fx), labs[15:20])[0]
    return r


def emsh_run(work, protocol, seed):
    env = dict(os.environ, EMSH_QUALITY_DATA=work, EMSH_QUALITY_BIN=os.environ.get("EMSH_QUALITY_BIN", "2"), EMSH_THREADS=str(THREADS), EMSH_QUALITY_PROTOCOL=protocol,
               EMSH_QUALITY_SEED=str(seed), EMSH_QUALITY_TTAS=os.environ.get("QUALITY_TTAS", "1,8"))
    if EMSH_STEPS:
        env["EMSH_QUALITY_STEPS"] = EMSH_STEPS
    else:
        env["EMSH_QUALITY_MINUTES"] = str(MINUTES)
    # Build once, then run the test binary itself: several runs may go at once (swift test would hold a lock).
    scratch = os.path.join(PKG, ".build-bench-learning")
    subprocess.run(["swift", "build", "-c", "release", "-Xswiftc", "-enable-testing", "--scratch-path", scratch,
                    "--build-tests"], cwd=PKG, check=True, capture_output=True)
    r = subprocess.run([os.path.join(scratch, "release", "emshPackageTests.xctest"), "--testing-library", "swift-testing",
                        "--filter", "LearningQuality/quality"], cwd=PKG, env=env, capture_output=True, text=True)
    lines = [l.split("QUALITY", 1)[1].strip() for l in (r.stdout + r.stderr).splitlines() if "QUALITY " in l]
    if not lines:
        print((r.stdout + r.stderr)[-3000:])
    for l in lines:
        print("    emsh:", l, flush=True)
    out = {}
    for l in lines:
        m = re.match(r"steps (\d+) seconds (\d+)", l)
        if m: out["steps"], out["seconds"] = int(m.group(1)), int(m.group(2))
        m = re.match(r"result \w+ tta (\d+) valF ([\d.]+) level \d+(?: farF ([\d.]+))?", l)
        if m:
            suffix = "" if m.group(1) == "1" else "_tta" + m.group(1)
            out["val" + suffix] = float(m.group(2))
            if m.group(3): out["far" + suffix] = float(m.group(3))
    return out


def main():
    side = os.environ.get("LEARNING_QUALITY_SIDE", "both")
    budget = (f"emsh {EMSH_STEPS} steps" if EMSH_STEPS else f"{MINUTES:g} minutes") + \
             (f", torch {TORCH_STEPS} steps" if TORCH_STEPS else "")
    print(f"learning_quality: {budget}, {THREADS} threads, seeds {SEEDS}, protocols {PROTOCOLS}; "
          f"load {os.getloadavg()[0]:.2f}", flush=True)
    torch.set_num_threads(THREADS)
    print(f"  torch {torch.__version__}, {torch.get_num_threads()} threads, oneDNN (mkldnn) "
          f"{'on' if torch.backends.mkldnn.is_available() else 'off'}")
    work = tempfile.mkdtemp(prefix="emsh-quality-")
    imgs, labs = load(work)
    imgs.tofile(os.path.join(work, "images_010_029.u8")); labs.tofile(os.path.join(work, "labels_010_029.u8"))
    rows = []
    for protocol in PROTOCOLS:
        for seed in SEEDS:
            if side in ("both", "emsh"):
                print(f"  emsh {protocol} seed {seed} (load {os.getloadavg()[0]:.2f})", flush=True)
                rows.append(("emsh", protocol, seed, emsh_run(work, protocol, seed)))
            if side in ("both", "torch"):
                print(f"  torch {protocol} seed {seed} (load {os.getloadavg()[0]:.2f})", flush=True)
                t = torch_run(imgs, labs, protocol, seed)
                print(f"    torch: steps {t['steps']} seconds {t['seconds']:.0f} step {t['step_s']:.3f} s "
                      f"valF {[round(f, 4) for f in t['valF']]}", flush=True)
                rows.append(("torch", protocol, seed, t))
    print(f"  {'side':6} {'protocol':8} {'seed':4} {'steps':>6} {'val F':>7} {'far F':>7} {'val F tta8':>10} {'far F tta8':>10}")
    for s, p, seed, r in rows:
        cell = lambda k, width: f"{r[k]:>{width}.4f}" if k in r else f"{'-':>{width}}"
        print(f"  {s:6} {p:8} {seed:<4} {r.get('steps', 0):>6} {cell('val', 7)} {cell('far', 7)} "
              f"{cell('val_tta8', 10)} {cell('far_tta8', 10)}")


if __name__ == "__main__":
    main()
