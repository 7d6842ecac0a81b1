"""The study's one way to read metrics: mmengine's ``scalars.json`` of a
training run and the ``<timestamp>.json`` that a ``tools/test.py`` run
writes, both under the run's work dir (no scraping of printed logs)."""
import glob
import json
import os
import os.path as osp
from typing import List


def percent(key: str) -> float:
    """Factor that puts a metric in percent: COCO's are fractions."""
    return 100.0 if key.startswith('coco/') else 1.0


def read_scalars(out_dir: str) -> List[dict]:
    """The rows of the newest ``scalars.json`` under a training run's work
    dir (one row per logged training step or validation)."""
    found = []
    for root, _, files in os.walk(out_dir):
        if 'scalars.json' in files:
            found.append(osp.join(root, 'scalars.json'))
    if not found:
        raise FileNotFoundError(f'no scalars.json under {out_dir}')
    with open(max(found, key=osp.getmtime)) as f:
        return [json.loads(line) for line in f if line.strip()]


def read_test_metrics(work_dir: str) -> dict:
    """The metrics a ``tools/test.py`` run wrote to
    ``work_dir/<timestamp>/<timestamp>.json`` (the newest run)."""
    found = [path for path in glob.glob(osp.join(work_dir, '*', '*.json'))
             if osp.basename(path)[:-len('.json')] ==
             osp.basename(osp.dirname(path))]
    if not found:
        raise FileNotFoundError(f'no test metrics under {work_dir}')
    with open(max(found, key=osp.getmtime)) as f:
        return json.loads(f.read().strip().splitlines()[-1])


def read_run(out_dir: str, spec: dict) -> dict:
    """Validation curve, final metrics and time per iteration from the
    run's mmengine scalars.json."""
    train, val = [], []
    for row in read_scalars(out_dir):
        (val if spec['metric'] in row else train).append(row)
    if not val:
        raise RuntimeError(f'{out_dir}: no validation of {spec["metric"]}')
    metric = spec['metric']
    scale = percent(metric)
    curve = [[row['step'], row[metric] * scale] for row in val]
    times = [row['time'] for row in train if 'time' in row]
    steady = times[1:] if len(times) > 1 else times
    # SBGradientStatsHook's scalars, where the config has it
    grads = {}
    for row in train:
        for key, value in row.items():
            if key.startswith(('sb_grad_', 'sb_mix_rows_hit',
                               'sb_branch_gate')):
                grads.setdefault(key, []).append([row['step'], value])
    return dict(
        grads=grads,
        metric=val[-1][metric] * scale,
        extra={k: val[-1][k] * percent(k)
               for k in spec['extra'] if k in val[-1]},
        curve=curve,
        time_per_iter=sorted(steady)[len(steady) // 2] if steady else None)


__all__ = ['percent', 'read_scalars', 'read_test_metrics', 'read_run']
