"""Reporting the study: statistics over seeds, the markdown table, the
learning curves and the accuracy / cost figure, and the copies into docs."""
import math
import os
import os.path as osp
import shutil
from typing import List, Optional

from .tasks import CONTROLS, MODEL_NAMES, TASKS


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


def write_report(results: List[dict], params: dict, work_dir: str,
                 header: str, doc: Optional[str] = None) -> str:
    """Writes ``results.json``, ``study.md``, ``study_curves.png`` and
    ``study_cost.png`` into ``work_dir`` (and the table and figures into
    the docs root ``doc``: ``results/`` and ``figures/``); returns the
    table."""
    import json
    rows = summarise(results, params)
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(dict(runs=results, summary=rows, params=params), f,
                  indent=1)
    md = table(rows)
    with open(osp.join(work_dir, 'study.md'), 'w') as f:
        f.write(header + md + '\n')
    plot_curves(results, osp.join(work_dir, 'study_curves.png'))
    plot_cost(rows, osp.join(work_dir, 'study_cost.png'))
    if doc:
        for name, dst in (
                ('study.md', 'long_range_study_table.md'),
                ('study_curves.png', 'figures/long_range_study_curves.png'),
                ('study_cost.png', 'figures/long_range_study_cost.png')):
            os.makedirs(osp.dirname(osp.join(doc, dst)), exist_ok=True)
            shutil.copy(osp.join(work_dir, name), osp.join(doc, dst))
    return md


__all__ = ['READS_CUE_DROP', 'mean_std', 'reads_cue', 'summarise', 'table',
           'plot_curves', 'plot_cost', 'write_report']
