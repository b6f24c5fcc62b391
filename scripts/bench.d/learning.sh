#!/usr/bin/env bash
# The learning benchmarks: emsh vs PyTorch on the CPU (training step, 1024² inference, conv share of the
# sgemm peak) and the safetensors check. Installs torch, safetensors and numpy into .venv-bench when missing.
# The quality run (issue 13) is separate and opt-in: scripts/bench quality (scripts/bench.d/quality.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${BENCH_VENV:-$PWD/.venv-bench}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import torch, safetensors, numpy' 2>/dev/null || "$venv/bin/pip" install -q torch safetensors numpy
"$venv/bin/python" scripts/bench.d/learning_safetensors.py
"$venv/bin/python" scripts/bench.d/learning.py
