#!/usr/bin/env bash
# Segmentation quality on real data (issue 13): `train`'s default recipe vs a plain PyTorch U-Net with the same
# budget, on sbem-mito (val: train 010-024, score 025-029; far: train 010-019, level from 020-024, score 025-029).
# Opt-in, not in CI: runs when named (`scripts/bench quality`) or with EMSH_BENCH_QUALITY=1; about 2 hours with the
# defaults (2 seeds x 2 protocols x 2 sides x 15 minutes). Settings: see scripts/bench.d/learning_quality.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${EMSH_BENCH_QUALITY:-}" != 1 ] && [[ " ${EMSH_BENCH_NAMED:-} " != *" quality "* ]]; then
  echo "quality: opt-in (scripts/bench quality, or EMSH_BENCH_QUALITY=1)"; exit 0
fi
venv=${BENCH_VENV:-$PWD/.venv-bench}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import torch, numpy, PIL' 2>/dev/null || "$venv/bin/pip" install -q torch numpy pillow
EMSH_BENCH_QUALITY=1 "$venv/bin/python" scripts/bench.d/learning_quality.py
