#!/usr/bin/env bash
# Runs ON the lent GPU machine, from the repository root, with the kit that scripts/device-kit.sh
# built in .device/ (carried: the machine has no Node.js and no internet). See docs/device.md.
#
#   run tool:  command "bash scripts/device-bench.sh", carry [".device"], timeout_s 540
#
# Steps: unpack the glvnd/Vulkan loader .debs into / and point Vulkan at the NVIDIA ICD; unpack node,
# the CLI bundle and dawn.node; record the environment; run
#   node .device/cli/ricci-gen.mjs bench --backend webgpu --batches … --steps … --peer … --peer-device cuda
# and, if that fails before the PyTorch peer's table (no WebGPU adapter, a crash, the time limit),
# run the PyTorch peer alone on the same shapes so that the session still gets its numbers.
#
# Results in $OUT (default /tmp/ricci-device-out): status.txt (one line per stage), env.txt,
# bench-webgpu.txt (the bench's tables, stdout), bench.log (its progress lines, stderr), and after
# a failure peer-alone.txt / peer-alone-<widths>.json. Exit status 0 only if the full bench succeeded.
#
# Environment (defaults are the device run's): BENCH_BATCHES (1024,4096,16384,65536), BENCH_STEPS (5),
# BENCH_ROUTES (b,a), BENCH_PEER_DEVICE (cuda), BENCH_PEER_METHODS (jacfwd3,gauss),
# BENCH_TIMEOUT_S (360: the bench itself), DEVICE_BUDGET_S (500: the whole script, fallback included),
# DEVICE_SKIP_GL=1 (do not unpack the .debs into /: for a local dry run), RICCI_PYTHON (python3 on PATH),
# BENCH_AE_MODEL (examples/torus-ae.model.json; empty skips it), BENCH_AE_BATCHES (4096,65536).
set -uo pipefail

T0=$SECONDS
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
K=.device
OUT="${OUT:-/tmp/ricci-device-out}"
mkdir -p "$OUT"
BATCHES="${BENCH_BATCHES:-1024,4096,16384,65536}"
STEPS="${BENCH_STEPS:-5}"
ROUTES="${BENCH_ROUTES:-b,a}"
PEER_DEVICE="${BENCH_PEER_DEVICE:-cuda}"
PEER_METHODS="${BENCH_PEER_METHODS:-jacfwd3,gauss}"
BENCH_TIMEOUT_S="${BENCH_TIMEOUT_S:-360}"
BUDGET_S="${DEVICE_BUDGET_S:-500}"
# The two yardstick decoders of `bench --backend webgpu` (src/runtime/webgpu/bench.ts), for the fallback.
PEER_WIDTHS=(2,64,64,64,3 2,128,128,128,784)

status() { echo "$*" | tee -a "$OUT/status.txt" >&2; }
: >"$OUT/status.txt"
[ -d "$K" ] || { status "kit: FAILED — no $K/ here (build it with scripts/device-kit.sh and pass carry: [\".device\"])"; exit 2; }

# 1. glvnd + Vulkan loader (the NVIDIA driver mount brings only the ICD and its libraries).
if [ "${DEVICE_SKIP_GL:-0}" != 1 ]; then
  n=0
  for f in "$K"/gl/*.deb; do [ -e "$f" ] && dpkg -x "$f" / && n=$((n + 1)); done
  ldconfig 2>/dev/null
  status "gl: unpacked $n .deb into /; $(ldconfig -p 2>/dev/null | grep -c 'libvulkan.so.1 ') libvulkan.so.1 in the ld cache"
else
  status "gl: skipped (DEVICE_SKIP_GL=1)"
fi
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$ICD" ]; then export VK_DRIVER_FILES="$ICD"; fi
status "vulkan: VK_DRIVER_FILES=${VK_DRIVER_FILES:-<unset>}"

# 2. Unpack node, the bundle and dawn.node (kept compressed in the kit).
for f in "$K/node.xz" "$K/cli/ricci-gen.mjs.xz" "$K/node_modules/webgpu/dist/linux-x64/dawn.node.xz"; do
  if [ ! -f "$f" ]; then status "kit: FAILED — $f missing"; exit 2; fi
  if command -v xz >/dev/null; then
    xz -dkf "$f"
  else # no xz binary: Python's lzma
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$f" "${f%.xz}"
  fi || { status "kit: FAILED — cannot unpack $f"; exit 2; }
done
chmod +x "$K/node"
NODE="$ROOT/$K/node"
CLI="$ROOT/$K/cli/ricci-gen.mjs"
if (cd "$K" && sed -n '/^sha256/,/^sizes/p' MANIFEST.txt | grep -E '^[0-9a-f]{64} ' | sha256sum --quiet -c -) >&2; then
  status "kit: unpacked, checksums ok ($(head -2 "$K/MANIFEST.txt" | tail -1))"
else
  status "kit: WARNING — checksums differ from MANIFEST.txt"
fi

# Can node load Dawn? (dawn.node needs glibc ≥ 2.34 and GLIBCXX_3.4.30; the kit carries a libstdc++.)
dawn_check() { (cd "$K" && "$NODE" --input-type=module -e 'await import("webgpu"); console.log("ok")') 2>&1 | tail -1; }
dawn="$(dawn_check)"
if [ "$dawn" != ok ] && [ -f "$K/lib/libstdc++.so.6" ]; then
  export LD_LIBRARY_PATH="$ROOT/$K/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  dawn="$(dawn_check) (with the kit's libstdc++; first try: $dawn)"
fi
status "dawn: $dawn"

# 3. Environment.
export RICCI_PYTHON="${RICCI_PYTHON:-$(command -v python3 || echo python3)}"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -srm)"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi -L
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1
  else
    echo "nvidia-smi: not present"
  fi
  echo "node: $("$NODE" --version 2>&1)"
  echo "python: $RICCI_PYTHON"
  timeout 120 "$RICCI_PYTHON" -c 'import torch, platform; print("torch", torch.__version__, "python", platform.python_version(), "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")' 2>&1 | tail -1
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-<unset>}"
  sed -n '1,6p' "$K/MANIFEST.txt"
} >"$OUT/env.txt" 2>&1
cat "$OUT/env.txt" >&2

# 4. The bench: WebGPU kernels (table on stdout as soon as they are done), then the PyTorch peer.
PEER="$ROOT/$K/peers/torch_ricci.py"
args=(bench --backend webgpu --batches "$BATCHES" --steps "$STEPS" --routes "$ROUTES"
  --peer "$PEER" --peer-device "$PEER_DEVICE" --peer-methods "$PEER_METHODS")
echo "\$ node .device/cli/ricci-gen.mjs ${args[*]}" >"$OUT/bench.log"
status "bench: started at +$((SECONDS - T0)) s, limit ${BENCH_TIMEOUT_S} s"
t1=$SECONDS
timeout -k 10 "$BENCH_TIMEOUT_S" "$NODE" "$CLI" "${args[@]}" >"$OUT/bench-webgpu.txt" 2> >(tee -a "$OUT/bench.log" >&2)
rc=$?
sleep 1 # let tee flush
dt=$((SECONDS - t1))
adapter="$(grep -m1 '^WebGPU adapter:' "$OUT/bench.log" || echo 'WebGPU adapter: none')"
if [ "$rc" = 0 ]; then
  status "bench: ok in ${dt} s — $adapter"
else
  why="$(grep -m1 '^ricci-gen: ' "$OUT/bench.log" || grep -v '^\$ ' "$OUT/bench.log" | tail -2 | tr '\n' ' ')"
  [ "$rc" = 124 ] || [ "$rc" = 137 ] && why="killed at the ${BENCH_TIMEOUT_S} s limit; last: $why"
  status "bench: FAILED rc=$rc after ${dt} s — $adapter — $why"
fi
grep -q '^adapter: ' "$OUT/bench-webgpu.txt" && status "webgpu table: written" || status "webgpu table: MISSING"
if grep -q '^PyTorch peer' "$OUT/bench-webgpu.txt"; then
  status "peer table: $(grep -m1 '^PyTorch peer' "$OUT/bench-webgpu.txt")"
else
  # 5. Fallback: the PyTorch peer alone, same shapes and arguments as src/runtime/peers/torch.ts.
  left=$((BUDGET_S - (SECONDS - T0)))
  if [ "$left" -lt 30 ]; then
    status "peer-alone: skipped, only ${left} s of the ${BUDGET_S} s budget left"
  else
    status "peer-alone: the bench gave no peer table; running the PyTorch peer alone on $PEER_DEVICE (limit ${left} s)"
    t2=$SECONDS
    prc=0
    for w in "${PEER_WIDTHS[@]}"; do
      left=$((BUDGET_S - (SECONDS - T0)))
      [ "$left" -ge 20 ] || { status "peer-alone: $w skipped, ${left} s left"; continue; }
      PYTHONUNBUFFERED=1 timeout -k 10 "$left" "$RICCI_PYTHON" "$PEER" --device "$PEER_DEVICE" --widths "$w" \
        --batch "$BATCHES" --dtype float32 --act tanh --methods "$PEER_METHODS" --kinds R,step --max-seconds 30 \
        --json "$OUT/peer-alone-${w//,/-}.json" >>"$OUT/peer-alone.txt" 2>&1 || prc=$?
    done
    status "peer-alone: rc=$prc in $((SECONDS - t2)) s; $(ls "$OUT"/peer-alone-*.json 2>/dev/null | wc -l) JSON files written"
  fi
fi
status "total: $((SECONDS - T0)) s"

# 6. The TorusAE (its decoder, the whole autoencoder step and the per-kernel table) with the time left.
AE_MODEL="${BENCH_AE_MODEL-examples/torus-ae.model.json}"
left=$((BUDGET_S - (SECONDS - T0) - 10))
if [ -n "$AE_MODEL" ] && [ "$left" -ge 40 ]; then
  t3=$SECONDS
  echo "\$ node .device/cli/ricci-gen.mjs bench --backend webgpu --model $AE_MODEL …" >>"$OUT/bench.log"
  timeout -k 5 "$left" "$NODE" "$CLI" bench --backend webgpu --model "$AE_MODEL" --batches "${BENCH_AE_BATCHES:-4096,65536}" \
    --routes b --steps 3 --no-peer --no-tfjs >"$OUT/bench-torus-ae.txt" 2>>"$OUT/bench.log"
  status "torus-ae bench: rc=$? in $((SECONDS - t3)) s (bench-torus-ae.txt)"
else
  status "torus-ae bench: skipped (${left} s of the budget left)"
fi

echo "===== bench-webgpu.txt =====" >&2
cat "$OUT/bench-webgpu.txt" >&2
[ -f "$OUT/bench-torus-ae.txt" ] && { echo "===== bench-torus-ae.txt =====" >&2; cat "$OUT/bench-torus-ae.txt" >&2; }
[ -f "$OUT/peer-alone.txt" ] && { echo "===== peer-alone.txt (tail) =====" >&2; tail -40 "$OUT/peer-alone.txt" >&2; }
echo "===== status.txt =====" >&2
cat "$OUT/status.txt" >&2
exit "$rc"
