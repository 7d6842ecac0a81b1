#!/usr/bin/env bash
# Build (or bring up to date) the project-local virtual environment .venv with the pinned
# OpenMMLab stack. Idempotent: when .venv already matches requirements/*.txt and the stamp,
# it installs and builds nothing.
#
# mmcv 2.1.0 (the newest that mmdet 3.3 / mmseg 1.2 accept) exists on the registry only as
# source, so it is compiled here with its C++ ops against the pinned torch. The wheel is cached
# outside the repo, keyed by the torch version it was built against, because pip's own wheel
# cache is keyed by the source link only and would hand a wheel built for another torch to a
# later install (a silent ABI mismatch).
set -euo pipefail

# The whole script is one function, parsed before it runs: editing this file
# while a build is under way cannot change what that build executes.
main() {

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3.11}"
VENV="$ROOT/.venv"
TORCH_VERSION="${TORCH_VERSION:-2.14.1}"
TORCHVISION_VERSION="${TORCHVISION_VERSION:-0.29.1}"
MMCV_VERSION="2.1.0"
# CPU-only and CUDA builds of mmcv differ: FORCE_CUDA=1 gets its own key.
WHEEL_CACHE="${SB_MM_WHEEL_CACHE:-$HOME/.cache/sb_mm/wheels}/torch-$TORCH_VERSION${FORCE_CUDA:+-cuda}"
STAMP="$VENV/.sb_mm_stamp"

# What the stamp records: every input that should trigger a rebuild when it changes.
want_stamp() {
  cat requirements/*.txt setup.py 2>/dev/null
  echo "torch=$TORCH_VERSION torchvision=$TORCHVISION_VERSION mmcv=$MMCV_VERSION"
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want_stamp)" ] && [ -x "$VENV/bin/python" ]; then
  return 0
fi

log() { echo "[setup_env] $*"; }

if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

# setuptools: mmcv's setup.py imports pkg_resources (gone in setuptools 81); torch needs >= 77.
"${PIP[@]}" install -q "setuptools>=77,<81" wheel ninja
log "torch $TORCH_VERSION, torchvision $TORCHVISION_VERSION"
"${PIP[@]}" install -q "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
"${PIP[@]}" install -q -r requirements/build.txt

if ! ls "$WHEEL_CACHE"/mmcv-"$MMCV_VERSION"-*.whl >/dev/null 2>&1; then
  build_start=$SECONDS
  log "building mmcv $MMCV_VERSION with its ops against torch $TORCH_VERSION" \
      "(the first run only: about 15 min on 2 cores; progress below as [done/total] objects)"
  mkdir -p "$WHEEL_CACHE"
  tmp="$(mktemp -d)"
  # The compiler wrapper appends its flags after the ones mmcv's setup.py and Python's
  # sysconfig pass (GCC takes the last of each):
  # -std=c++20: torch 2.14's headers need it; mmcv's setup.py passes -std=c++17.
  # -g0: sysconfig's CFLAGS ask for debug information (-g), which nothing here reads and which
  #      makes every object several times larger and slower to write.
  # -O2: sysconfig asks for -O3. Neither enables -ffast-math, so GCC keeps IEEE semantics
  #      (no reassociation of float sums, no FMA contraction on baseline x86-64) and the ops
  #      compute the same results; -O2 compiles faster. MMCV_CXX_OPT overrides it.
  cat > "$tmp/cxx20" <<WRAP
#!/bin/sh
exec g++ "\$@" -std=c++20 -g0 ${MMCV_CXX_OPT:--O2}
WRAP
  chmod +x "$tmp/cxx20"
  # --no-build-isolation: build against the torch in .venv, not a fresh one pip would fetch.
  # -v lets ninja's "[n/N] c++ ..." lines through; they are shortened to the progress count
  # and the source file, the whole log kept for a failure.
  CXX="$tmp/cxx20" MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
    "${PIP[@]}" wheel -v --no-deps --no-build-isolation --no-cache-dir \
      -w "$tmp/wheels" "mmcv==$MMCV_VERSION" > "$tmp/build.log" 2>&1 &
  build_pid=$!
  tail -n +1 -F --pid="$build_pid" "$tmp/build.log" 2>/dev/null \
    | sed -un 's|^ *\(\[[0-9]*/[0-9]*\]\) .* -c \([^ ]*\) .*|[setup_env] mmcv \1 \2|p' \
    | sed -u 's|[^ ]*/mmcv/ops/csrc/|ops/csrc/|' || true
  if ! wait "$build_pid"; then
    log "mmcv build failed; the last lines of its log ($tmp/build.log):"
    tail -n 40 "$tmp/build.log"
    exit 1
  fi
  # Atomic publish into the cache: a half-written wheel is never seen by a later install.
  for w in "$tmp"/wheels/*.whl; do
    cp "$w" "$WHEEL_CACHE/.$(basename "$w").part"
    mv "$WHEEL_CACHE/.$(basename "$w").part" "$WHEEL_CACHE/$(basename "$w")"
  done
  rm -rf "$tmp"
  log "mmcv built in $((SECONDS - build_start)) s"
fi
log "installing mmcv from $WHEEL_CACHE"
"${PIP[@]}" install -q --no-index --find-links "$WHEEL_CACHE" "mmcv==$MMCV_VERSION"
"${PIP[@]}" install -q -r requirements/runtime.txt -r requirements/tests.txt
"${PIP[@]}" install -q --no-deps --no-build-isolation -e .
"$VENV/bin/python" -c "import sb_mm, mmcv.ops, mmdet, mmseg, mmpretrain, torchvision" \
  || { log "import check failed"; exit 1; }
want_stamp > "$STAMP"
log "ready: $VENV ($SECONDS s)"
}

main "$@"
