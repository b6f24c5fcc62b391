#!/usr/bin/env python3
"""emsh vs PyTorch (CPU, 2 threads): U-Net 16/32/64/128 training step (batch 8, 128x128, forward+backward+AdamW),
inference on a 1024x1024 slice, and emsh's convolution layers' share of the cblas_sgemm peak.
Needs torch in /work/main/.venv-bench (pip install torch); the emsh side runs the EMSH_BENCH=1 release test."""
import os, re, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# EMSH_SWIFT_PKG: run the Swift side in another package folder (default: this repository).
PKG = os.environ.get("EMSH_SWIFT_PKG", ROOT)
VENV_PY = os.path.join(ROOT, ".venv-bench", "bin", "python")
try:
    import torch
except ImportError:
    if os.path.exists(VENV_PY) and sys.executable != VENV_PY:
        os.execv(VENV_PY, [VENV_PY] + sys.argv)
    print("learning: torch not installed (pip install torch into .venv-bench); skipped")
    sys.exit(0)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from learning_unet import UNet, seg_loss

THREADS = int(os.environ.get("EMSH_THREADS", "2"))


def emsh_numbers():
    scratch = os.path.join(PKG, ".build-bench-learning")
    env = dict(os.environ, EMSH_BENCH="1", EMSH_THREADS=str(THREADS))
    cmd = ["swift", "test", "-c", "release", "-Xswiftc", "-enable-testing", "--scratch-path", scratch,
           "--filter", "LearningBench"]
    out = subprocess.run(cmd, cwd=PKG, env=env, capture_output=True, text=True)
    text = out.stdout + out.stderr
    nums = {}
    for line in text.splitlines():
        m = re.search(r"BENCH (\w+) ([\d.]+)", line)
        if m:
            nums[m.group(1)] = float(m.group(2))
        c = re.search(r"BENCH (\w+) [\d.]+ cpu_ms ([\d.]+)", line)
        if c:
            nums[c.group(1) + "_cpu"] = float(c.group(2))
        if "share_of_peak" in line:
            nums["share_of_peak"] = float(line.split("share_of_peak")[1].split()[0])
        if "BENCH" in line:
            print("  emsh:", line.split("BENCH", 1)[1].strip())
    if not nums:
        print(text[-3000:])
    return nums


def torch_numbers():
    torch.set_num_threads(THREADS)
    torch.manual_seed(1)
    net = UNet(4, 16, 1, 8)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    x = torch.randn(8, 1, 128, 128)
    t = (torch.rand(8, 1, 128, 128) > 0.5).float()

    def step():
        opt.zero_grad(set_to_none=False)
        loss = seg_loss(net(x), t)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    times = []
    for _ in range(10):
        t0 = time.perf_counter(); step(); times.append(time.perf_counter() - t0)
    times.sort()
    res = {"train_step_ms": times[len(times) // 2] * 1000}
    net.eval()
    img = torch.randn(1, 1, 1024, 1024)
    with torch.no_grad():
        net(img)
        it = []
        for _ in range(3):
            t0 = time.perf_counter(); c0 = time.process_time()
            torch.sigmoid(net(img))
            it.append((time.perf_counter() - t0, time.process_time() - c0))
    it.sort()
    res["infer_1024_ms"] = it[1][0] * 1000
    res["infer_1024_cpu_ms"] = it[1][1] * 1000  # CPU time of all threads: comparable on a loaded machine
    return res


def main():
    print(f"learning: {THREADS} threads (timings are noisy when others use the machine)")
    e = emsh_numbers()
    p = torch_numbers()
    print(f"  torch: train_step_ms {p['train_step_ms']:.1f}  infer_1024_ms {p['infer_1024_ms']:.1f}")
    if "train_step_ms" in e:
        print(f"learning train step   emsh {e['train_step_ms']:.0f} ms  torch {p['train_step_ms']:.0f} ms  "
              f"ratio {e['train_step_ms'] / p['train_step_ms']:.2f}x (goal <= 1.0)")
    if "infer_1024_ms" in e:
        print(f"learning infer 1024^2 emsh {e['infer_1024_ms']:.0f} ms  torch {p['infer_1024_ms']:.0f} ms  "
              f"ratio {e['infer_1024_ms'] / p['infer_1024_ms']:.2f}x (goal <= 1.0)")
    if "infer_1024_ms_cpu" in e:
        print(f"learning infer 1024^2 CPU time (all threads) emsh {e['infer_1024_ms_cpu']:.0f} ms  "
              f"torch {p['infer_1024_cpu_ms']:.0f} ms  ratio {e['infer_1024_ms_cpu'] / p['infer_1024_cpu_ms']:.2f}x")
    if "infer_1024_tiled_ms" in e:
        print(f"learning infer 1024^2 tiled (512, overlap 32) emsh {e['infer_1024_tiled_ms']:.0f} ms")
    if "share_of_peak" in e:
        print(f"learning conv share of sgemm peak {e['share_of_peak']:.2f} (goal >= 0.60)")


if __name__ == "__main__":
    main()
