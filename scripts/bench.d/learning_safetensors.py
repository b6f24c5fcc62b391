#!/usr/bin/env python3
"""An emsh-written .emodel loads in Python safetensors with every tensor's shape and values intact, loads into the
same U-Net in PyTorch (strict names and shapes), and PyTorch's prediction matches emsh's on the same input."""
import json, os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# EMSH_SWIFT_PKG: run the Swift side in another package folder (default: this repository).
PKG = os.environ.get("EMSH_SWIFT_PKG", ROOT)
VENV_PY = os.path.join(ROOT, ".venv-bench", "bin", "python")
try:
    import numpy as np
    from safetensors.numpy import load_file
    from safetensors import safe_open
except ImportError:
    if os.path.exists(VENV_PY) and sys.executable != VENV_PY:
        os.execv(VENV_PY, [VENV_PY] + sys.argv)
    print("learning_safetensors: safetensors not installed; skipped")
    sys.exit(0)


def main():
    # EMSH_EXPORT_FROM: a folder already written by the LearningExport test (skips the Swift run).
    d = os.environ.get("EMSH_EXPORT_FROM") or tempfile.mkdtemp(prefix="emsh-export-")
    if not os.environ.get("EMSH_EXPORT_FROM"):
        env = dict(os.environ, EMSH_EXPORT_DIR=d)
        scratch = os.path.join(PKG, ".build-bench-learning")
        r = subprocess.run(["swift", "test", "-c", "release", "-Xswiftc", "-enable-testing", "--scratch-path", scratch,
                            "--filter", "LearningExport"], cwd=PKG, env=env, capture_output=True, text=True)
    path = os.path.join(d, "model.emodel")
    if not os.path.exists(path):
        print("learning_safetensors: FAIL (no model written)")
        sys.exit(1)
    tensors = load_file(path)
    with safe_open(path, "np") as f:
        meta = f.metadata()
    expected = json.load(open(os.path.join(d, "expected.json")))
    ok = set(tensors) == set(expected)
    for name, e in expected.items():
        t = tensors[name]
        ok &= list(t.shape) == e["shape"] and t.dtype == np.float32
        ok &= abs(float(t.astype(np.float64).sum()) - e["sum"]) <= 1e-6 * max(1, abs(e["sum"]))
        ok &= np.array_equal(t.reshape(-1)[:4], np.array(e["first"], dtype=np.float32))
    arch = json.loads(meta["architecture"])
    norm = json.loads(meta["normalization"])
    print(f"learning_safetensors: {len(tensors)} tensors, metadata keys {sorted(meta)}, emsh_version {meta.get('emsh_version')}")
    print(f"learning_safetensors: shapes and values {'match' if ok else 'DIFFER'}")
    try:
        import torch
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from learning_unet import UNet
        net = UNet(arch["depth"], arch["width"], arch["frames"], arch["groups"])
        net.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
        net.eval()
        img = np.fromfile(os.path.join(d, "input.u8"), dtype=np.uint8).reshape(3, 64, 64).astype(np.float32)
        x = (img - norm["mean"]) / norm["std"]
        frames, z = arch["frames"], img.shape[0]
        refl = lambda i: i if 0 <= i < z else (-i if i < 0 else 2 * (z - 1) - i)
        batch = np.stack([np.stack([x[refl(k + f - frames // 2)] for f in range(frames)]) for k in range(z)])
        with torch.no_grad():
            p = torch.sigmoid(net(torch.from_numpy(batch))).numpy()[:, 0]
        q = np.fromfile(os.path.join(d, "prob.f32"), dtype=np.float32).reshape(3, 64, 64)
        diff = float(np.abs(p - q).max())
        print(f"learning_safetensors: PyTorch prediction vs emsh max |diff| {diff:.2e}")
        ok &= diff < 1e-4
    except ImportError:
        print("learning_safetensors: torch missing, prediction check skipped")
    print("learning_safetensors:", "PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
