#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py args]
# As the OpenMMLab libraries' own script; WORK_DIR may be left out (an
# argument starting with '-' in its place goes to train.py).
if [ $# -lt 3 ]; then
  echo "usage: [GPUS=8] $0 PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py args]" >&2
  exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
shift 3
WORK_DIR_ARG=()
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  WORK_DIR_ARG=(--work-dir="$1")
  shift
fi
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PYTHON=${PYTHON:-python}
HERE="$(cd "$(dirname "$0")" && pwd)"
set -x
# shellcheck disable=SC2086  # SRUN_ARGS is a list of srun flags
PYTHONPATH="$HERE/..":$PYTHONPATH \
srun -p "${PARTITION}" \
    --job-name="${JOB_NAME}" \
    --gres=gpu:"${GPUS_PER_NODE}" \
    --ntasks="${GPUS}" \
    --ntasks-per-node="${GPUS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "$PYTHON" -u "$HERE/train.py" "${CONFIG}" "${WORK_DIR_ARG[@]}" --launcher=slurm "$@"
