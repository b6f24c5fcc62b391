#!/usr/bin/env bash
# Object kernels (issue 5) on the 20×1024×1024 real label stack (mitos_3D.010..029, index 1), in the
# same run: emsh's components (6/18/26), distance transform, distance-watershed split, 3D Gaussian
# blur and per-object fitting against scipy.ndimage, cc3d, edt and scikit-image (the distance split
# on a central 20×512×512 crop, since skimage's watershed takes minutes on the whole stack); also checks that
# the partitions equal scipy.ndimage.label's and that the distances equal scipy's.
# The emsh side runs in-process (a release build of the `objectsBenchmark` test), best of 3.
# The 2 cores are shared: figures are noisy while anything else runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${BENCH_VENV:-$PWD/.venv-bench}/bin/python
DATA=${EMSH_BENCH_DATA:-$PWD/../shared/data/sbem-mito}
"$PY" -c 'import scipy, skimage, edt, cc3d, PIL' 2>/dev/null ||
  "$PY" -m pip install -q scipy scikit-image edt connected-components-3d pillow
exec "$PY" scripts/bench.d/objects_peer.py "$DATA"
