#!/usr/bin/env bash
# The GPU measurement, prepared (docs/en/reproduce.md): on a CUDA machine,
# in under five minutes, the benchmark with AMP and channels_last (SB-R50,
# R50, NL-R50 and the rest of its backbones; inference and a training step
# at 224 and 800x1216) and the 2-iteration dry run of the paper's chain;
# the figures go to docs/en/results/ (benchmark_gpu.md,
# paper_chain_dry_run_gpu.txt), where the README and the reproduce page
# link them.
#
#   bash tools/gpu_measure.sh            # CUDA
#   bash tools/gpu_measure.sh --quick    # CPU fallback (CI): small sizes
#
# With mmcv-lite (no compiled ops: mmdet / mmseg cannot build) only the
# backbones and the ImageNet / CIFAR steps run; CHAIN_STEPS picks the steps
# (with --quick: the SB ImageNet step unless CHAIN_STEPS says otherwise).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE/.."
PY=${PYTHON:-python}
OUT=${OUT:-docs/en/results}
WORK=${WORK:-work_dirs/gpu_measure}
GPU_STEPS="in1k_r50_sb_8xb128-lamb-300e_authors cifar100_r38_sb-s12_1xb128_paper"
# mmdet's ResNet (with the GC row) where mmcv's compiled ops exist, else
# mmpretrain's
if "$PY" -c "import mmcv.ops" >/dev/null 2>&1; then LIB=mmdet; else LIB=mmpretrain; fi

if [ "${1:-}" = "--quick" ]; then
  WORK=${WORK}_quick
  "$PY" tools/analysis_tools/benchmark.py --quick --amp --channels-last \
    --library "$LIB" --no-full-models --sizes 2x64x64 --rounds 1 --iters 1 \
    --out-dir "$WORK"
  # shellcheck disable=SC2086
  "$PY" tools/analysis_tools/paper_chain.py --dry-run --work-dir "$WORK/chain" \
    --steps ${CHAIN_STEPS:-in1k_r50_sb_8xb128-lamb-300e_authors}
  echo "gpu_measure --quick: done (CPU fallback; no GPU figure written)"
  exit 0
fi

"$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device here: run with --quick for the CPU fallback')"
"$PY" tools/analysis_tools/benchmark.py --amp --channels-last --no-full-models \
  --library "$LIB" --sizes 32x224x224 2x800x1216 --rounds 5 --iters 10 --out-dir "$WORK"
mkdir -p "$OUT"
{ echo "GPU measurement, $(date -u '+%Y-%m-%d %H:%M') UTC, commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)";
  "$PY" -c "import torch; print('device:', torch.cuda.get_device_name(0), '| torch', torch.__version__)";
  echo; cat "$WORK/benchmark.md"; } > "$OUT/benchmark_gpu.md"
# shellcheck disable=SC2086
"$PY" tools/analysis_tools/paper_chain.py --dry-run --work-dir "$WORK/chain" \
  --steps ${CHAIN_STEPS:-$GPU_STEPS} | tee "$OUT/paper_chain_dry_run_gpu.txt"
echo "wrote $OUT/benchmark_gpu.md and $OUT/paper_chain_dry_run_gpu.txt"
