#!/usr/bin/env bash
# Block-wise processing (issue 12), in the same run:
# 1. throughput: normalize → infer → threshold → components → fit on a phantom that fits in memory
#    (default [32, 1024, 1024], EMSH_BENCH_BLOCKS_SIZE), once with its voxels in memory and once block
#    by block from its OME-Zarr store, in one process each; the ratio in-memory time / block-wise time
#    per step and in total (≥ 0.9 is the bar: block-wise at least 0.9× the in-memory speed);
# 2. EMSH_BENCH_LARGE=1: the issue's large run, a 64×4096×4096 phantom (1 GiB of u8) with
#    EMSH_MAX_MEMORY=1G, normalize → infer → threshold → split → fit, under /usr/bin/time -v (peak RSS);
# 3. with a Slurm cluster (sinfo answers): the overhead per array task, from a step of 8 empty-ish tasks.
# The 2 cores are shared: figures are noisy while anything else runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
EMSH=${EMSH:-$PWD/.build/release/emsh}
SIZE=${EMSH_BENCH_BLOCKS_SIZE:-[32, 1024, 1024]}
W=$(mktemp -d /tmp/emsh-bench-blocks.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"

# A small model, trained once and saved, so both runs infer with the same weights. It learns the
# phantom at the scale it meets here: trained on 256² slices, a model sees too little of the
# extracellular space along the high-y edge (12 % of a slice) and paints it as mitochondria on
# 4096² slices — one false object 4096 voxels long that no worker could split. On 1024² slices
# with 128² patches (2000 steps, ~2–4 min) F is 0.99 on that edge of the large phantom too.
"$EMSH" -c '
t = phantom --size [8, 1024, 1024] --seed 2 --drift 0.1
m = train (normalize $t.image --to [160, 190]) $t.mask --depth 3 --width 8 --patch 128 --batch 4 --steps 2000 --seed 1
save $m model.emodel' >/dev/null 2>&1
"$EMSH" -c "p = phantom --size $SIZE --seed 1 --drift 0.1 --to ph --chunks [8, 256, 256]" >/dev/null 2>&1

run() {  # $1 = label, $2 = how to get the image
  EMSH_WORK="$W/work-$1" "$EMSH" -c "
m = load model.emodel
ref = [160, 190]
v = $2
n = time normalize \$v --to \$ref
prob = time infer \$m \$n
mask = time threshold \$prob 0.5
objs = time components \$mask --conn 6
f = time fit \$objs
print \"objects \$(len \$f.id)\"" 2>/dev/null
}
mem=$(run memory "slices (load ph/image.zarr) 0:$(echo "$SIZE" | tr -d '[] ' | cut -d, -f1)")
blk=$(run blocks "load ph/image.zarr")
steps=(normalize infer threshold components fit)
echo "size $SIZE, u8; times in s (in memory | block-wise | ratio in-memory/block-wise)"
tm=0; tb=0
for i in 0 1 2 3 4; do
  a=$(echo "$mem" | grep '^time:' | sed -n "$((i + 1))p" | awk '{print $2}')
  b=$(echo "$blk" | grep '^time:' | sed -n "$((i + 1))p" | awk '{print $2}')
  tm=$(python3 -c "print($tm + $a)"); tb=$(python3 -c "print($tb + $b)")
  printf '  %-11s %8s %8s   %s\n' "${steps[$i]}" "$a" "$b" "$(python3 -c "print(f'{$a / $b:.2f}')")"
done
printf '  %-11s %8.2f %8.2f   %s\n' total "$tm" "$tb" "$(python3 -c "print(f'{$tm / $tb:.2f}')")"
echo "  in memory:  $(echo "$mem" | grep objects)"
echo "  block-wise: $(echo "$blk" | grep objects)"

if [ "${EMSH_BENCH_LARGE:-0}" = 1 ]; then
  echo "== large: 64×4096×4096 u8 with EMSH_MAX_MEMORY=1G"
  rm -rf work-*
  /usr/bin/time -v env EMSH_MAX_MEMORY=1G EMSH_WORK="$W/work-large" "$EMSH" -c '
t = time phantom --size [64, 4096, 4096] --seed 1 --drift 0.1 --to big --chunks [8, 512, 512]
m = load model.emodel
n = time normalize $t.image --to [160, 190]
prob = time infer $m $n
mask = time threshold $prob 0.5
objs = time split $mask --method distance
f = time fit $objs
print "objects $(len $f.id)"' 2> large.err | sed 's/^/  /'
  grep -E "Maximum resident|Elapsed \(wall|Exit status" large.err | sed 's/^\s*/  /'
  du -sh big work-large 2>/dev/null | sed 's/^/  disk /'
fi

if sinfo -h -o %t >/dev/null 2>&1 && [ -n "$(sinfo -h -o %t 2>/dev/null)" ]; then
  echo "== slurm: overhead per array task"
  "$EMSH" -c 'p = phantom --size [8, 256, 256] --to sl --chunks [1, 256, 256]' >/dev/null 2>&1
  for on in local slurm; do
    s=$(date +%s.%N)
    EMSH_BLOCK_BYTES=64K EMSH_WORK="$W/work-$on" "$EMSH" --on $on -c 'x = threshold (load sl/image.zarr) 100' >/dev/null 2>&1
    e=$(date +%s.%N)
    echo "  $on: 8 blocks in $(python3 -c "print(f'{$e - $s:.2f}')") s"
    eval "t_$on=$(python3 -c "print($e - $s)")"
  done
  echo "  overhead per task (2 CPUs run 2 at once): $(python3 -c "print(f'{($t_slurm - $t_local) / 8 * 2:.2f}')") s of a task's wall time"
fi
