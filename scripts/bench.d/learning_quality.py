#!/usr/bin/env python3
"""Quality on real data: U-Net trained on sbem-mito train slices 010-024, validated on 025-029 (fscore's global level),
for LEARNING_QUALITY_MINUTES (default 15) on 2 threads — emsh vs the same U-Net in PyTorch (same loss, optimiser,
schedule, patches and augmentation). LEARNING_QUALITY_SIDE = both | emsh | torch. Slow: run it on purpose
(EMSH_BENCH_QUALITY=1), not in every bench."""
import os, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKG = os.environ.get("EMSH_SWIFT_PKG", ROOT)
VENV_PY = os.path.join(ROOT, ".venv-bench", "bin", "python")
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "sbem-mito", "train")
if os.environ.get("EMSH_BENCH_QUALITY") != "1":
    print("learning_quality: set EMSH_BENCH_QUALITY=1 to run (2 x 15 minutes)")
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


def load():
    imgs = np.stack([np.array(Image.open(f"{DATA}/images/images.{i:03d}.png")) for i in range(10, 30)])
    labs = np.stack([np.array(Image.open(f"{DATA}/labels/mitos_3D.{i:03d}.png")) for i in range(10, 30)])
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
    tp = pos_all[level:].sum(); fp = neg_all[level:].sum(); fn = pos_all[:level].sum()
    return 2 * tp / (2 * tp + fp + fn), level


def torch_run(imgs, labs):
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    tr_x, tr_y, va_x, va_y = imgs[:15], labs[:15], imgs[15:], labs[15:]
    mean, std = float(tr_x.mean()), float(tr_x.std())
    x = ((tr_x.astype(np.float32) - mean) / std)
    vx = torch.from_numpy(((va_x.astype(np.float32) - mean) / std)[:, None])
    net = UNet(4, 16, 1, 8)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    P, B = 128, 8
    steps_per_epoch = -(-x.size // (B * P * P))
    start, step, losses, fs, best = time.time(), 0, [], [], (-1, None, 0)
    ep_loss = []

    def validate():
        net.eval()
        with torch.no_grad():
            p = np.concatenate([torch.sigmoid(net(vx[k:k + 1])).numpy()[:, 0] for k in range(vx.shape[0])])
        net.train()
        return fscore(p, va_y)[0]

    while time.time() - start < MINUTES * 60:
        frac = (time.time() - start) / (MINUTES * 60)
        lr = 1e-3 * (0.1 + 0.9 * frac / 0.05 if frac < 0.05 else 0.01 + 0.99 * 0.5 * (1 + np.cos(np.pi * (frac - 0.05) / 0.95)))
        for g in opt.param_groups:
            g["lr"] = lr
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
        ep_loss.append(loss.item()); step += 1
        if step % steps_per_epoch == 0:
            losses.append(float(np.mean(ep_loss))); ep_loss = []
            fs.append(validate())
            if fs[-1] > best[0]:
                best = (fs[-1], None, len(fs))
            print(f"  torch epoch {len(fs)}: loss {losses[-1]:.4f} val F {fs[-1]:.4f} ({time.time() - start:.0f} s)", flush=True)
    if ep_loss:
        losses.append(float(np.mean(ep_loss))); fs.append(validate())
        best = max(best, (fs[-1], None, len(fs)), key=lambda b: b[0])
    return {"steps": step, "loss": losses, "valF": fs, "best": best[0], "best_epoch": best[2]}


def emsh_run(imgs, labs):
    d = tempfile.mkdtemp(prefix="emsh-quality-")
    imgs.tofile(os.path.join(d, "images_010_029.u8")); labs.tofile(os.path.join(d, "labels_010_029.u8"))
    env = dict(os.environ, EMSH_QUALITY_DATA=d, EMSH_QUALITY_MINUTES=str(MINUTES), EMSH_THREADS=str(THREADS),
               EMSH_QUALITY_TTA="1")
    r = subprocess.run(["swift", "test", "-c", "release", "-Xswiftc", "-enable-testing", "--scratch-path",
                        os.path.join(PKG, ".build-bench-learning"), "--filter", "LearningQuality"],
                       cwd=PKG, env=env, capture_output=True, text=True)
    lines = [l for l in (r.stdout + r.stderr).splitlines() if "QUALITY" in l]
    for l in lines:
        print("  emsh:", l.split("QUALITY", 1)[1].strip())
    return lines


def main():
    imgs, labs = load()
    side = os.environ.get("LEARNING_QUALITY_SIDE", "both")
    print(f"learning_quality: {MINUTES} minutes, {THREADS} threads, train 010-024, validate 025-029")
    if side in ("both", "emsh"):
        emsh_run(imgs, labs)
    if side in ("both", "torch"):
        t = torch_run(imgs, labs)
        print(f"  torch: steps {t['steps']} loss {[round(l, 4) for l in t['loss']]}")
        print(f"  torch: valF {[round(f, 4) for f in t['valF']]} best {t['best']:.4f} (epoch {t['best_epoch']})")


if __name__ == "__main__":
    main()
