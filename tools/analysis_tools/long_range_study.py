"""The long-range study: train every (task, model, seed) of configs/study/
through tools/train.py (the stock Runner), collect the stock metrics and
write a table, learning curves and an accuracy / cost figure.

    python tools/analysis_tools/long_range_study.py            # full study
    python tools/analysis_tools/long_range_study.py --quick    # CI: 1 seed,
                                                               # a few iters

Runs already finished in the work dir are read, not rerun (a killed study
continues where it stopped; --rerun forces). Outputs under --work-dir
(default work_dirs/study): results.json, study.md, study_curves.png,
study_cost.png; --doc DIR (the docs root, docs/en) copies the last three to
DIR/results/long_range_study_table.md and
DIR/figures/long_range_study_{curves,cost}.png.
"""
import argparse
import json
import math
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: task -> (library, data task name, metric key, extra metric keys, unit of
#: the schedule, what a purely local path can reach on the metric)
TASKS = {
    'xor_in1k': dict(lib='mmpretrain', data=True, metric='accuracy/top1',
                     extra=(), by='epoch', title='XOR (mmpretrain, top-1 %)'),
    'cue_ade': dict(lib='mmseg', data=True, metric='mIoU',
                    extra=('aAcc', ), by='iter',
                    title='cue segmentation (mmseg, mIoU %)'),
    'cue_coco': dict(lib='mmdet', data=True, metric='coco/bbox_mAP',
                     extra=('coco/bbox_mAP_50', ), by='epoch',
                     title='cue detection (mmdet, bbox mAP)'),
    # not a long-range task: `make demo`'s Mask R-CNN with and without SB
    # (--tasks demo_coco --models r sb; not in the default study)
    'demo_coco': dict(lib='mmdet', data=False, metric='coco/bbox_mAP',
                      extra=('coco/segm_mAP', ), by='epoch',
                      title='demo Mask R-CNN (mmdet, bbox mAP)'),
}
#: the long-range tasks (the default)
STUDY_TASKS = ('xor_in1k', 'cue_ade', 'cue_coco')
#: the study's models (the default)
MODELS = ('r', 'sb', 'nl', 'gc', 'sbnl')
#: SB variants beyond the paper (issue 19; opt-in with --models)
VARIANTS = ('sbnozir', 'sbshared', 'sbr8', 'sbg5')
MODEL_NAMES = dict(r='ResNet', sb='SB-ResNet', nl='ResNet + NL',
                   gc='ResNet + GC', sbnl='SB + NL', r_near='ResNet, cue near',
                   r_uper='ResNet, UPerNet head',
                   sbnozir='SB, branches not zero-initialised',
                   sbshared='SB, shared mixing row',
                   sbr8='SB, 8 reduced channels (6 maps)',
                   sbg5='SB, 5x5 grid')
#: the controls: (task, model) -> why
CONTROLS = {
    ('xor_in1k', 'r_near'): 'cue next to the target: learnable locally',
    ('cue_ade', 'r_near'): 'bar next to the shapes: learnable locally',
    ('cue_ade', 'r_uper'): "UPerNet's pyramid pooling: a global path in "
                           'the head',
    ('cue_coco', 'r_near'): 'bar next to the shapes: learnable locally',
}
#: --quick: schedule overrides that run one short training with validation
QUICK = {
    'xor_in1k': ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
                 'default_hooks.checkpoint.interval=1'],
    'cue_ade': ['train_cfg.max_iters=4', 'train_cfg.val_interval=2',
                'default_hooks.checkpoint.interval=4',
                'default_hooks.logger.interval=1'],
    'cue_coco': ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
                 'default_hooks.checkpoint.interval=1',
                 'default_hooks.logger.interval=1'],
    'demo_coco': ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
                  'default_hooks.logger.interval=1'],
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--tasks', nargs='+', choices=sorted(TASKS),
                   default=list(STUDY_TASKS))
    p.add_argument('--models', nargs='+', choices=MODELS + VARIANTS,
                   default=list(MODELS))
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--no-controls', action='store_true',
                   help='skip the control runs (one seed each)')
    p.add_argument('--quick', action='store_true',
                   help='CI: small data, one seed, a few iterations, no '
                   'controls')
    p.add_argument('--jobs', type=int, default=2,
                   help='trainings at once (threads split between them)')
    p.add_argument('--work-dir', default=osp.join('work_dirs', 'study'))
    p.add_argument('--data-root', default=None,
                   help='folder holding long_range/ (default: data, or '
                   'WORK_DIR/data with --quick)')
    p.add_argument('--doc', default=None,
                   help='also copy the table and figures into this docs root '
                   '(docs/en: results/ and figures/)')
    p.add_argument('--swapped-seeds', choices=('first', 'all'),
                   default='first',
                   help='evaluate the cue-swapped pictures for the first '
                   'seed of each model (default) or for every seed')
    p.add_argument('--rerun', action='store_true',
                   help='train again even where a result exists')
    return p.parse_args(argv)


# -- running ---------------------------------------------------------------
def config_path(task: str, model: str) -> str:
    return osp.join(REPO, 'configs', 'study', f'{task}_{model}.py')


def run_dir(work_dir: str, task: str, model: str, seed: int) -> str:
    return osp.join(work_dir, 'runs', task, model, f'seed{seed}')


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
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), PYTHONUNBUFFERED='1')
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
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), PYTHONUNBUFFERED='1')
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True,
                          text=True)
    out = proc.stdout + proc.stderr
    key = TASKS[task]['metric']
    if proc.returncode != 0 or f'{key}: ' not in out:
        raise RuntimeError(f'swapped-cue test of {task}/{model} failed:\n'
                           f'{out[-3000:]}')
    value = float(out.rsplit(f'{key}: ', 1)[1].split()[0]) * percent(key)
    with open(done, 'w') as f:
        json.dump(dict(metric=value, checkpoint=checkpoint), f)
    return value


def percent(key: str) -> float:
    """Factor that puts a metric in percent: COCO's are fractions."""
    return 100.0 if key.startswith('coco/') else 1.0


def read_run(out_dir: str, spec: dict) -> dict:
    """Validation curve, final metrics and time per iteration from the
    run's mmengine scalars.json."""
    scalars = None
    for root, _, files in os.walk(out_dir):
        if 'scalars.json' in files:
            scalars = osp.join(root, 'scalars.json')
    if scalars is None:
        raise FileNotFoundError(f'no scalars.json under {out_dir}')
    train, val = [], []
    with open(scalars) as f:
        for line in f:
            row = json.loads(line)
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
            if key.startswith(('sb_grad_', 'sb_mix_rows_hit')):
                grads.setdefault(key, []).append([row['step'], value])
    return dict(
        grads=grads,
        metric=val[-1][metric] * scale,
        extra={k: val[-1][k] * percent(k)
               for k in spec['extra'] if k in val[-1]},
        curve=curve,
        time_per_iter=sorted(steady)[len(steady) // 2] if steady else None)


#: task -> (batch, H, W) of a training batch, for the cost measurement
INPUTS = dict(xor_in1k=(32, 64, 160), cue_ade=(8, 176, 128),
              cue_coco=(4, 176, 128), demo_coco=(4, 192, 256))


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
def mean_std(values: List[float]):
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean)**2 for v in values) / (n - 1)) \
        if n > 1 else 0.0
    return mean, std


#: a seed reads the cue when swapping the cue's colour costs it at least this
#: many points of its metric (the plain ResNet loses 0-2: it cannot see it)
READS_CUE_DROP = 10.0


def reads_cue(run: dict) -> Optional[bool]:
    """Whether one run reads the cue (None: not evaluated swapped)."""
    if run.get('swapped') is None:
        return None
    return run['metric'] - run['swapped'] >= READS_CUE_DROP


def summarise(results: List[dict], params: dict) -> List[dict]:
    rows = []
    keys = []
    for r in results:
        if (r['task'], r['model']) not in keys:
            keys.append((r['task'], r['model']))
    for task, model in keys:
        runs = [r for r in results if (r['task'], r['model']) == (task, model)]
        runs.sort(key=lambda r: r['seed'])
        mean, std = mean_std([r['metric'] for r in runs])
        # how fast it learned: the mean of the validation curve
        speed = mean_std([sum(v for _, v in r['curve']) / len(r['curve'])
                          for r in runs])
        p = params[task][model]
        base = params[task].get('r')
        times = [r['time_per_iter'] for r in runs if r['time_per_iter']]
        rows.append(dict(
            task=task, model=model, mean=mean, std=std, n=len(runs),
            curve_mean=speed[0], curve_std=speed[1],
            seeds=[round(r['metric'], 2) for r in runs],
            extra={k: mean_std([r['extra'][k] for r in runs])[0]
                   for k in runs[0]['extra']},
            params=p['total'], added=None if base is None else
            p['total'] - base['total'],
            time_per_iter=sorted(times)[len(times) // 2] if times else None,
            swapped=runs[0].get('swapped'), seed0=runs[0]['metric'],
            reads=[reads_cue(r) for r in runs
                   if reads_cue(r) is not None],
            step_s=p.get('step_s'), vs_r=p.get('vs_r'),
            control=CONTROLS.get((task, model))))
    return rows


def table(rows: List[dict]) -> str:
    lines = ['| task | model | final metric, mean +- std | seeds | other | '
             'mean over the run\'s validations (learning speed) | '
             'seed 0: cue as trained / swapped | reads the cue (seeds) | '
             'parameters | '
             'added vs ResNet | backbone train step, ms (vs ResNet) | '
             's / iter in the study |',
             '|---|---|---|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        extra = ', '.join(f'{k} {v:.1f}' for k, v in r['extra'].items())
        name = MODEL_NAMES[r['model']] + (' (control)' if r['control']
                                          else '')
        lines.append(
            f"| {r['task']} | {name} | {r['mean']:.2f} +- {r['std']:.2f} "
            f"(n={r['n']}) | {', '.join(map(str, r['seeds']))} | {extra} | "
            f"{r['curve_mean']:.1f} +- {r['curve_std']:.1f} | "
            f"{r['seed0']:.1f} / "
            f"{'-' if r.get('swapped') is None else '%.1f' % r['swapped']} | "
            f"{_reads(r)} | "
            f"{r['params']:,} | "
            f"{'' if r['added'] is None else format(r['added'], '+,')} | "
            f"{_step(r)} | "
            f"{_time_per_iter(r)} |")
    return '\n'.join(lines)


def _time_per_iter(r: dict) -> str:
    t = r['time_per_iter']
    return '' if t is None else f'{t:.3f}'


def _reads(r: dict) -> str:
    reads = r.get('reads') or []
    return f'{sum(reads)} of {len(reads)}' if reads else ''


def _step(r: dict) -> str:
    if r.get('step_s') is None:
        return ''
    text = f"{r['step_s'] * 1e3:.0f}"
    if r.get('vs_r'):
        v = r['vs_r']
        text += f" ({v['median']:.2f} [{v['lo']:.2f}-{v['hi']:.2f}])"
    return text


def plot_curves(results: List[dict], path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    tasks = [t for t in TASKS if any(r['task'] == t for r in results)]
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.2 * len(tasks), 4),
                             squeeze=False)
    for ax, task in zip(axes[0], tasks):
        models = []
        for r in results:
            if r['task'] == task and r['model'] not in models:
                models.append(r['model'])
        for model in models:
            runs = [r for r in results
                    if (r['task'], r['model']) == (task, model)]
            steps = [s for s, _ in runs[0]['curve']]
            runs = [r for r in runs if len(r['curve']) == len(steps)]
            values = np.array([[v for _, v in r['curve']] for r in runs])
            mean = values.mean(0)
            style = '--' if (task, model) in CONTROLS else '-'
            line, = ax.plot(steps, mean, style, marker='o', ms=3,
                            label=f'{MODEL_NAMES[model]} (n={len(runs)})')
            if len(runs) > 1:
                ax.fill_between(steps, values.min(0), values.max(0),
                                color=line.get_color(), alpha=0.15)
        ax.set_title(TASKS[task]['title'])
        ax.set_xlabel(TASKS[task]['by'])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle('validation metric during training (mean over seeds, '
                 'shaded: min-max)')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_cost(rows: List[dict], path: str) -> None:
    """The paper's kind of figure: metric against added parameters and
    against training time per iteration, per task."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    tasks = [t for t in TASKS if any(r['task'] == t for r in rows)]
    fig, axes = plt.subplots(2, len(tasks), figsize=(5 * len(tasks), 7.5),
                             squeeze=False)
    for col, task in enumerate(tasks):
        for r in rows:
            if r['task'] != task or r['control'] or r['added'] is None:
                continue
            step = r['vs_r']['median'] if r.get('vs_r') else None
            for ax, x in ((axes[0][col], r['added'] / 1e3),
                          (axes[1][col], step)):
                if x is None:
                    continue
                ax.errorbar(x, r['mean'], yerr=r['std'], fmt='o', capsize=3)
                ax.annotate(MODEL_NAMES[r['model']], (x, r['mean']),
                            textcoords='offset points', xytext=(4, 4),
                            fontsize=7)
        axes[0][col].set_title(TASKS[task]['title'])
        axes[0][col].set_xlabel('parameters added to ResNet (thousands)')
        axes[1][col].set_xlabel('backbone training step time / ResNet\'s')
        for ax in axes[:, col]:
            ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def prepare_data(args) -> str:
    """Generates the datasets if missing; returns the folder to run in (its
    ``data/long_range`` is what the configs read)."""
    from sb_mm.datasets import make_all
    from sb_mm.datasets.generators.long_range import CUES, make_long_range
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
    from sb_mm.datasets.generators.long_range import TASKS as DATA
    return osp.isdir(osp.join(root, cue, DATA[task][1]))


def main(argv=None):
    args = parse_args(argv)
    if args.quick:
        args.seeds = args.seeds[:1]
        args.no_controls = True
    os.makedirs(args.work_dir, exist_ok=True)
    cwd = prepare_data(args)
    jobs = [(t, m, s) for t in args.tasks for m in args.models
            for s in args.seeds]
    if not args.no_controls:
        jobs += [(t, m, args.seeds[0]) for t, m in CONTROLS if t in args.tasks]
    missing = sorted({config_path(t, m) for t, m, _ in jobs
                      if not osp.isfile(config_path(t, m))})
    if missing:
        raise SystemExit('no config for ' + ', '.join(missing) +
                         ' (demo_coco has the models r and sb only)')
    threads = max(1, (os.cpu_count() or 2) // max(1, args.jobs))
    print(f'{len(jobs)} trainings, {args.jobs} at a time, {threads} '
          'thread(s) each', flush=True)
    start = time.time()
    results = []

    def work(job):
        result = train_one(*job, args=args, cwd=cwd, threads=threads)
        print(f'[{time.time() - start:7.0f} s] {job[0]} {job[1]} seed '
              f'{job[2]}: {result["metric"]:.2f}', flush=True)
        return result

    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(work, jobs))
    # does the model read the cue? seed 0 of every study model, cue swapped
    swap_seeds = args.seeds if args.swapped_seeds == 'all' else args.seeds[:1]
    swap_jobs = [(t, m, s) for t in args.tasks for m in args.models
                 for s in swap_seeds
                 if TASKS[t]['data'] and (t, m) not in CONTROLS]

    def swap(job):
        value = swapped_cue_score(*job, args=args, cwd=cwd, threads=threads)
        print(f'[{time.time() - start:7.0f} s] {job[0]} {job[1]} seed '
              f'{job[2]}, cue swapped: {value:.2f}', flush=True)
        return job, value

    with ThreadPoolExecutor(args.jobs) as pool:
        swapped = dict(pool.map(swap, swap_jobs))
    for r in results:
        r['swapped'] = swapped.get((r['task'], r['model'], r['seed']))
    import torch
    torch.set_num_threads(os.cpu_count() or 2)
    params = {}
    for task in args.tasks:
        models = list(dict.fromkeys(m for t, m, _ in jobs if t == task))
        params[task] = model_facts(task, models, args.models,
                                   1 if args.quick else 7,
                                   1 if args.quick else 2)
    rows = summarise(results, params)
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(dict(runs=results, summary=rows, params=params), f,
                  indent=1)
    md = table(rows)
    stamp = time.strftime('%Y-%m-%d %H:%M')
    cached = sum(1 for r in results if r.get('cached'))
    trained_s = sum(r.get('wall_s', 0) for r in results)
    header = (f'Long-range study, {stamp}, '
              f'{"quick" if args.quick else "full"} run: '
              f'{len(jobs)} trainings ({cached} read from earlier '
              f'invocations), {trained_s:.0f} s of training wall time summed '
              f'over the runs, this invocation {time.time() - start:.0f} s '
              f'({args.jobs} at a time).\n\n')
    with open(osp.join(args.work_dir, 'study.md'), 'w') as f:
        f.write(header + md + '\n')
    plot_curves(results, osp.join(args.work_dir, 'study_curves.png'))
    plot_cost(rows, osp.join(args.work_dir, 'study_cost.png'))
    print(header + md)
    if args.doc:
        for name, dst in (
                ('study.md', 'results/long_range_study_table.md'),
                ('study_curves.png', 'figures/long_range_study_curves.png'),
                ('study_cost.png', 'figures/long_range_study_cost.png')):
            os.makedirs(osp.dirname(osp.join(args.doc, dst)), exist_ok=True)
            shutil.copy(osp.join(args.work_dir, name), osp.join(args.doc, dst))


if __name__ == '__main__':
    main()
