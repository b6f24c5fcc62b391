#!/usr/bin/env bash
# What test-time augmentation and a 1/3/5-frame ensemble add (issue 4): trains a 1-, a 3- and a 5-frame
# U-Net with the default settings for a fixed number of steps (ENSEMBLE_STEPS, default 200, so the
# result does not depend on the machine's load) on sbem-mito train slices 010-024, then reports the
# validation F on 025-029 (fscore's global level) of each model and of the ensemble, with --tta 1 and 8.
# Slow (about 3 x 4 minutes on 2 quiet cores): runs only with EMSH_BENCH_QUALITY=1, like learning_quality.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${EMSH_BENCH_QUALITY:-}" != 1 ]; then echo "learning_ensemble: set EMSH_BENCH_QUALITY=1 to run"; exit 0; fi
PY=${BENCH_VENV:-$PWD/.venv-bench}/bin/python
DATA=${EMSH_BENCH_DATA:-$PWD/../shared/data/sbem-mito}
if [ ! -d "$DATA/train/images" ]; then echo "learning_ensemble: skip (no data at $DATA)"; exit 0; fi
"$PY" -c 'import PIL, numpy' 2>/dev/null || "$PY" -m pip install -q pillow numpy
work=$(mktemp -d /tmp/emsh-ensemble.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$PY" - "$DATA/train" "$work" <<'PY'
import sys, numpy as np
from PIL import Image
d, out = sys.argv[1], sys.argv[2]
imgs = np.stack([np.array(Image.open(f"{d}/images/images.{i:03d}.png")) for i in range(10, 30)]).astype(np.uint8)
labs = (np.stack([np.array(Image.open(f"{d}/labels/mitos_3D.{i:03d}.png")) for i in range(10, 30)]) > 0).astype(np.uint8)
imgs.tofile(f"{out}/images_010_029.u8"); labs.tofile(f"{out}/labels_010_029.u8")
PY
run() { swift test -c release -Xswiftc -enable-testing --scratch-path .build-bench-learning --filter LearningQuality 2>&1 | grep QUALITY || true; }
for f in 1 3 5; do
  EMSH_QUALITY_DATA=$work EMSH_QUALITY_STEPS=${ENSEMBLE_STEPS:-200} EMSH_QUALITY_FRAMES=$f \
    EMSH_QUALITY_SAVE=$work/f$f.emodel EMSH_THREADS=${EMSH_THREADS:-2} run
done
EMSH_QUALITY_DATA=$work EMSH_QUALITY_MODELS=$work/f1.emodel,$work/f3.emodel,$work/f5.emodel \
  EMSH_THREADS=${EMSH_THREADS:-2} run
