#!/usr/bin/env bash
# Start-up time of `emsh -c 'print 1'` (median of 50 runs, release build) and a loop of
# 1,000,000 additions in the language against the same loop in python3, measured in the same run.
# Start-up is measured for two release builds: the usual one ($EMSH, or .build/release/emsh) and one
# with the Swift runtime and Foundation linked statically (--static-swift-stdlib, in .build-static):
# dynamic loading of libswiftCore/Foundation/ICU is most of a dynamic build's start-up.
# Usage: scripts/bench.d/startup.sh   (EMSH=path/to/emsh to skip the default release build;
#        STATIC=0 to skip the static build)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${EMSH:-}" ]; then
  swift build -c release --product emsh >/dev/null
  EMSH=$PWD/.build/release/emsh
fi
EMSH_STATIC=""
if [ "${STATIC:-1}" != 0 ]; then
  swift build -c release --static-swift-stdlib --product emsh --scratch-path .build-static >/dev/null
  EMSH_STATIC=$PWD/.build-static/release/emsh
fi
export EMSH EMSH_STATIC
python3 - <<'PY'
import os, statistics, subprocess, time

emsh = os.environ["EMSH"]
env = dict(os.environ, EMSH_HOME=os.path.join("/tmp", "emsh-bench-home"))

def timed(cmd, runs):
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        ts.append(time.perf_counter() - t)
        if r.returncode != 0:
            raise SystemExit(f"failed: {cmd}: {r.stderr.decode()}")
    return ts, r.stdout.decode().strip()

builds = [("dynamic", emsh)] + ([("static", os.environ["EMSH_STATIC"])] if os.environ.get("EMSH_STATIC") else [])
for name, exe in builds:
    for _ in range(5):  # warm the page cache
        subprocess.run([exe, "-c", "print 1"], stdout=subprocess.DEVNULL, env=env)
    ts, _ = timed([exe, "-c", "print 1"], 50)
    print(f"startup  {name:7} emsh -c 'print 1'  median {statistics.median(ts)*1000:.1f} ms  "
          f"(min {min(ts)*1000:.1f}, max {max(ts)*1000:.1f}; target <= 20 ms)")

loops = {
    "for": ("s = 0; for i in (range 1000000) { s = $s + $i }; print $s",
            "s = 0\nfor i in range(1000000):\n    s = s + i\nprint(s)"),
    "while": ("s = 0; i = 0; while $i < 1000000 { s = $s + $i; i = $i + 1 }; print $s",
              "s = 0\ni = 0\nwhile i < 1000000:\n    s = s + i\n    i = i + 1\nprint(s)"),
}
for name, (ems, py) in loops.items():
    e, eo = timed([emsh, "-c", ems], 3)
    p, po = timed(["python3", "-c", py], 3)
    if eo != po:
        raise SystemExit(f"{name} loop: emsh printed {eo}, python3 printed {po}")
    print(f"loop     {name:5} 1,000,000 additions  emsh {min(e)*1000:7.1f} ms  python3 {min(p)*1000:7.1f} ms  "
          f"ratio emsh/python {min(e)/min(p):.2f} (best of 3, process time incl. start-up; target <= 1)")
PY
