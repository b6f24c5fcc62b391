#!/usr/bin/env bash
# Image I/O: emsh against Pillow and tifffile on the same files in the same run.
#   emsh: decode the 20 training PNGs; write and read them as one multipage TIFF (uncompressed and deflate).
#   peers: Pillow decode of the same PNGs; tifffile write + read of the same stack.
#   check: tifffile reads the TIFF emsh wrote with the spacing emsh gave it (7.5 × 7.5 × 50 nm),
#          and with exactly the pixels Pillow reads from the PNGs.
# The PNG decode and the cold TIFF reads are the best of 7 runs of `emsh -c`, minus the best of 7 runs
# of an empty `emsh -c` (process start-up); the 2 cores are shared, so figures are noisy while anything
# else runs.
# The `_warm` emsh reads and writes are the mean of 20 loads or saves (3 for deflate saves) back to back
# inside one emsh process, best of 3 processes; tifffile's `_mean20` figures are measured the same way
# inside one Python process and are the like-for-like comparison (its other figures are the best of 5
# single runs). Every save, emsh's and tifffile's `_fsync`, ends with an fsync.
set -euo pipefail
cd "$(dirname "$0")/../.."
EMSH=${EMSH:-$PWD/.build/release/emsh}
PY=${BENCH_VENV:-$PWD/.venv-bench}/bin/python
DATA=${EMSH_BENCH_DATA:-$PWD/../shared/data/sbem-mito}
OUT=$(mktemp -d /tmp/emsh-bench-io.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

if [ ! -d "$DATA/train/images" ]; then echo "io: skip (no data at $DATA)"; exit 0; fi
"$PY" -c 'import PIL, tifffile, numpy' 2>/dev/null || "$PY" -m pip install -q pillow tifffile numpy

best_run() {  # best wall time in seconds of 7 runs of: emsh -c "$1"
  local best=""
  for _ in 1 2 3 4 5 6 7; do
    local t0 t1
    t0=$(date +%s.%N)
    "$EMSH" -c "$1" >/dev/null
    t1=$(date +%s.%N)
    best=$(awk -v a="$t0" -v b="$t1" -v c="$best" 'BEGIN { d = b - a; if (c == "" || d < c) print d; else print c }')
  done
  echo "$best"
}

IMAGES="$DATA/train/images/*.png"
base=$(best_run '1')
line() { awk -v n="$1" -v t="$2" -v b="$base" 'BEGIN { printf "emsh %s %.4f s\n", n, (t - b > 0 ? t - b : 0) }'; }

t=$(best_run "v = load \"$IMAGES\"")
line png_decode_20 "$t"
"$EMSH" -c "v = load \"$IMAGES\" --spacing [7.5, 7.5, 50]; save \$v $OUT/emsh.tif" >/dev/null
t=$(best_run "v = load $OUT/emsh.tif")
line tiff_read_20 "$t"
# mean seconds of one `load FILE` over 20 loads in one emsh process, best of 3 such processes
warm_load() {
  for _ in 1 2 3; do
    "$EMSH" -c "def many n { for i in range(\$n) { v = load $1 } }; time many 20" | awk '/^time:/ { print $2 / 20 }'
  done | sort -g | head -1
}
printf "emsh tiff_read_warm_20 %.4f s\n" "$(warm_load "$OUT/emsh.tif")"
# the same for `save` (each one to a temporary name, fsync, rename: compare tifffile_write_fsync_20)
warm_save() {
  for _ in 1 2 3; do
    "$EMSH" -c "def many v n { for i in range(\$n) { save \$v $OUT/warm.tif ${2:-} } }; v = load \"$IMAGES\" --spacing [7.5, 7.5, 50]; time many \$v $1" |
      awk -v n="$1" '/^time:/ { print $2 / n }'
  done | sort -g | head -1
}
printf "emsh tiff_write_warm_20 %.4f s\n" "$(warm_save 20)"
"$EMSH" -c "v = load \"$IMAGES\"; save \$v $OUT/emsh_deflate.tif --compress deflate" >/dev/null
t=$(best_run "v = load $OUT/emsh_deflate.tif")
line tiff_deflate_read_20 "$t"
printf "emsh tiff_deflate_read_warm_20 %.4f s\n" "$(warm_load "$OUT/emsh_deflate.tif")"
printf "emsh tiff_deflate_write_warm_20 %.4f s\n" "$(warm_save 3 '--compress deflate')"

"$PY" scripts/bench.d/io_peer.py time "$DATA" "$OUT"
if [ -f "$OUT/peer_stack_deflate.tif" ]; then
  t=$(best_run "v = load $OUT/peer_stack_deflate.tif")
  line tiff_read_tifffile_deflate_20 "$t"
fi
"$PY" scripts/bench.d/io_peer.py check "$OUT/emsh.tif" 7.5 7.5 50
"$PY" scripts/bench.d/io_peer.py same "$OUT/emsh.tif" "$IMAGES"
"$PY" scripts/bench.d/io_peer.py same "$OUT/emsh_deflate.tif" "$IMAGES"
