#!/usr/bin/env bash
# The interpreter's speed on its own (start-up excluded): 1,000,000 additions in a `while` loop, at the
# top level and inside a function, timed by emsh's `time`, against the same loops in python3 timed with
# perf_counter, in the same run. (scripts/bench.d/startup.sh measures whole processes, start-up included.)
# Usage: scripts/bench.d/language.sh   (EMSH=path/to/emsh to skip the release build)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${EMSH:-}" ]; then
  swift build -c release --product emsh >/dev/null
  EMSH=$PWD/.build/release/emsh
fi
export EMSH
python3 - <<'PY'
import os, re, subprocess, time

emsh = os.environ["EMSH"]
env = dict(os.environ, EMSH_HOME="/tmp/emsh-bench-home")
N = 1000000

def emsh_time(code):
    out = subprocess.run([emsh, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, check=True).stdout.decode()
    m = re.search(r"time: ([0-9.]+) s", out)
    if not m:
        raise SystemExit(f"no time in output: {out}")
    return float(m.group(1)), out

top = f"def loop {{\n i = 0; s = 0\n while $i < {N} {{ s = $s + $i; i = $i + 1 }}\n return $s\n}}\nr = time loop\nprint $r"

def py_global():
    g = {}
    src = f"i = 0\ns = 0\nwhile i < {N}:\n    s = s + i\n    i = i + 1\n"
    code = compile(src, "<loop>", "exec")
    t = time.perf_counter(); exec(code, g); return time.perf_counter() - t, g["s"]

def py_func():
    def f():
        i = 0; s = 0
        while i < N:
            s = s + i; i = i + 1
        return s
    t = time.perf_counter(); s = f(); return time.perf_counter() - t, s

runs = 5
e_func = min(emsh_time(top)[0] for _ in range(runs))
# top-level loop: the whole -c program minus an empty program's time (start-up)
def proc(code):
    t = time.perf_counter(); subprocess.run([emsh, "-c", code], stdout=subprocess.DEVNULL, env=env, check=True); return time.perf_counter() - t
base = min(proc("print 1") for _ in range(runs))
e_top = min(proc(f"i = 0; s = 0; while $i < {N} {{ s = $s + $i; i = $i + 1 }}") for _ in range(runs)) - base
p_top = min(py_global()[0] for _ in range(runs))
p_func = min(py_func()[0] for _ in range(runs))
print(f"while-loop 1,000,000 additions, top level : emsh {e_top*1000:7.1f} ms  python3 {p_top*1000:7.1f} ms  ratio {e_top/p_top:.2f}")
print(f"while-loop 1,000,000 additions, in a def  : emsh {e_func*1000:7.1f} ms  python3 {p_func*1000:7.1f} ms  ratio {e_func/p_func:.2f}")
print(f"(best of {runs}; ratio = emsh / python3, target <= 1; start-up excluded: emsh -c 'print 1' took {base*1000:.1f} ms)")
PY
