"""Running the study: every (task, model, seed) trained by ``tools/train.py``
in a subprocess, the cue-swapped evaluation by ``tools/test.py``, the data
generated when missing, and each backbone's cost measured."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional

from .metrics import percent, read_run, read_test_metrics
from .tasks import INPUTS, QUICK, REPO, TASKS, config_path, run_dir

#: mmengine's Config.fromfile is not thread-safe (its pkg_resources look-ups
#: of ``mmdet::`` base configs raced in two worker threads, 2026-12-02): the
#: study's threads read configs one at a time
_CONFIG_LOCK = threading.Lock()


def run_env(threads: int) -> dict:
    """The environment of a training / test subprocess: ``threads`` threads,
    and the repository root on ``PYTHONPATH`` (the configs import
    ``projects.long_range_study.study``)."""
    path = os.environ.get('PYTHONPATH')
    return dict(os.environ, OMP_NUM_THREADS=str(threads),
                MKL_NUM_THREADS=str(threads), PYTHONUNBUFFERED='1',
                PYTHONPATH=REPO if not path else REPO + os.pathsep + path)


def train_one(task: str, model: str, seed: int, args, cwd: str,
              threads: int) -> dict:
    """Trains one (task, model, seed) in a subprocess; returns its result
    (read back from the run's scalars.json)."""
    out_dir = run_dir(args.work_dir, task, model, seed)
    done = osp.join(out_dir, 'result.json')
    if osp.isfile(done) and not args.rerun:
        with open(done) as f:
            return dict(json.load(f), cached=True)
    if osp.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    options = [f'randomness.seed={seed}']
    if args.quick:
        options += QUICK[task]
    cmd = [sys.executable, osp.join(REPO, 'tools', 'train.py'),
           config_path(task, model), '--work-dir', osp.abspath(out_dir),
           '--cfg-options', *options]
    env = run_env(threads)
    start = time.time()
    with open(osp.join(out_dir, 'train.log'), 'w') as log:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        with open(osp.join(out_dir, 'train.log')) as f:
            tail = f.read()[-3000:]
        raise RuntimeError(f'{task}/{model}/seed{seed} failed '
                           f'(exit {proc.returncode}):\n{tail}')
    result = read_run(out_dir, TASKS[task])
    result.update(task=task, model=model, seed=seed,
                  wall_s=round(time.time() - start, 1))
    with open(done, 'w') as f:
        json.dump(result, f, indent=1)
    return result


def swapped_cue_score(task: str, model: str, seed: int, args, cwd: str,
                      threads: int) -> Optional[float]:
    """The trained checkpoint of (task, model, seed) evaluated by
    tools/test.py on the ``swapped`` pictures (the far ones with the cue's
    colour flipped, labels kept): a model that reads the cue collapses, one
    that ignores it keeps its score."""
    from mmengine.config import Config
    out_dir = run_dir(args.work_dir, task, model, seed)
    done = osp.join(out_dir, 'swapped.json')
    if osp.isfile(done) and not args.rerun:
        with open(done) as f:
            return json.load(f)['metric']
    with open(osp.join(out_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    with _CONFIG_LOCK:
        cfg = Config.fromfile(config_path(task, model))
    root = cfg.test_dataloader.dataset.data_root
    options = [f'test_dataloader.dataset.data_root='
               f'{root.replace("/far/", "/swapped/")}']
    ann_file = cfg.get('test_evaluator', {}).get('ann_file')
    if isinstance(ann_file, str):
        swapped_ann = ann_file.replace('/far/', '/swapped/')
        options.append(f'test_evaluator.ann_file={swapped_ann}')
    cmd = [sys.executable, osp.join(REPO, 'tools', 'test.py'),
           config_path(task, model), checkpoint, '--work-dir',
           osp.join(osp.abspath(out_dir), 'swapped'), '--cfg-options',
           *options]
    env = run_env(threads)
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True,
                          text=True)
    key = TASKS[task]['metric']
    if proc.returncode != 0:
        raise RuntimeError(f'swapped-cue test of {task}/{model} failed:\n'
                           f'{(proc.stdout + proc.stderr)[-3000:]}')
    metrics = read_test_metrics(osp.join(out_dir, 'swapped'))
    value = metrics[key] * percent(key)
    with open(done, 'w') as f:
        json.dump(dict(metric=value, checkpoint=checkpoint), f)
    return value


def build_model(task: str, model: str):
    from mmengine.config import Config

    from sb_mm.apis.models import build_model as build_config_model
    return build_config_model(Config.fromfile(config_path(task, model)))[0]


def model_facts(task: str, models: List[str], timed: List[str], rounds: int,
                iters: int) -> Dict[str, dict]:
    """Each model built once from its config, as the Runner builds it:
    parameters of the whole model and of its backbone; for the models in
    ``timed``, also the backbone training step (forward, backward, SGD) on a
    training batch of the task, interleaved round by round with nothing else
    running: median seconds and the median [min-max] of the per-round ratios
    to ResNet's."""
    import torch

    from sb_mm.benchmark.measure import interleaved, ratio_stats, train_step_fn
    torch.manual_seed(0)
    x = torch.randn(*INPUTS[task][:1], 3, *INPUTS[task][1:])
    facts, fns = {}, {}
    for model in models:
        built = build_model(task, model)
        facts[model] = dict(
            total=sum(p.numel() for p in built.parameters()),
            backbone=sum(p.numel() for p in built.backbone.parameters()))
        if model in timed:
            built.backbone.train()
            fns[model] = train_step_fn(built.backbone, x)
            fns[model]()  # warm-up
    times = interleaved(fns, rounds, iters, 'cpu')
    ref = times.get('r')
    for model, ts in times.items():
        facts[model]['step_s'] = sorted(ts)[len(ts) // 2]
        if ref is not None:
            facts[model]['vs_r'] = ratio_stats(ts, ref)
    return facts


# -- reporting -------------------------------------------------------------


def prepare_data(args) -> str:
    """Generates the datasets if missing; returns the folder to run in (its
    ``data/long_range`` is what the configs read)."""
    from sb_mm.datasets import make_all

    from .data import CUES, make_long_range
    if args.data_root is not None:
        data = args.data_root
    else:
        data = osp.join(args.work_dir, 'data') if args.quick else \
            osp.join(REPO, 'data')
    cwd = osp.dirname(osp.abspath(data))
    if osp.basename(osp.abspath(data)) != 'data':
        raise ValueError(f'--data-root must be a folder named data: {data}')
    if 'demo_coco' in args.tasks and not osp.isdir(osp.join(data, 'demo')):
        print(f'generating the demo data under {data}/demo ...', flush=True)
        make_all(osp.join(data, 'demo'), small=args.quick)
    tasks = [t for t in args.tasks if TASKS[t]['data']]
    root = osp.join(data, 'long_range')
    missing = [(t, c) for t in tasks for c in CUES
               if not osp.isdir(osp.join(root, c))
               or not _task_present(root, c, t)]
    if tasks and missing:
        print(f'generating data under {root} ...', flush=True)
        make_long_range(root, small=args.quick, tasks=tasks, cues=CUES)
    return cwd


def _task_present(root: str, cue: str, task: str) -> bool:
    from .data import TASKS as DATA
    return osp.isdir(osp.join(root, cue, DATA[task][1]))


__all__ = ['run_env', 'train_one', 'swapped_cue_score', 'build_model',
           'model_facts', 'prepare_data']
