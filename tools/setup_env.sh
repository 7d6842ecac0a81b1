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
  log "building mmcv $MMCV_VERSION with its ops against torch $TORCH_VERSION (about 20 min on 2 cores)"
  mkdir -p "$WHEEL_CACHE"
  tmp="$(mktemp -d)"
  # torch 2.14's headers need C++20 while mmcv's setup.py passes -std=c++17: GCC takes the last
  # -std flag, so this wrapper appends -std=c++20 after the other arguments.
  cat > "$tmp/cxx20" <<'WRAP'
#!/bin/sh
exec g++ "$@" -std=c++20
WRAP
  chmod +x "$tmp/cxx20"
  # --no-build-isolation: build against the torch in .venv, not a fresh one pip would fetch.
  CXX="$tmp/cxx20" MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
    "${PIP[@]}" wheel --no-deps --no-build-isolation --no-cache-dir \
      -w "$tmp/wheels" "mmcv==$MMCV_VERSION"
  # Atomic publish into the cache: a half-written wheel is never seen by a later install.
  for w in "$tmp"/wheels/*.whl; do
    cp "$w" "$WHEEL_CACHE/.$(basename "$w").part"
    mv "$WHEEL_CACHE/.$(basename "$w").part" "$WHEEL_CACHE/$(basename "$w")"
  done
  rm -rf "$tmp"
fi
log "installing mmcv from $WHEEL_CACHE"
"${PIP[@]}" install -q --no-index --find-links "$WHEEL_CACHE" "mmcv==$MMCV_VERSION"
"${PIP[@]}" install -q -r requirements/runtime.txt -r requirements/tests.txt
"${PIP[@]}" install -q --no-deps --no-build-isolation -e .
"$VENV/bin/python" -c "import sb_mm, mmcv.ops, mmdet, mmseg, mmpretrain, torchvision" \
  || { log "import check failed"; exit 1; }
want_stamp > "$STAMP"
log "ready: $VENV"
}

main "$@"
