"""Where does SB lose the far cue in detection? The report half of issue 19's
diagnosis: reads the cue-detection runs a long-range study left (training
logs with SBGradientStatsHook's scalars, a checkpoint every 4 epochs, the
swapped-cue score of every seed) and

- probes every checkpoint with ``sb_cue_probe.py`` (is the cue's colour
  linearly decodable from the SB maps, from the backbone at the objects,
  from the RoI features?), cached per checkpoint;
- plots, per seed, the gradient statistics over training and the probes
  over epochs, with the seeds that read the cue drawn apart from the others;
- writes a per-seed table (markdown) and everything as JSON.

    cd projects/long_range_study
    python tools/long_range_study.py --tasks cue_coco \
        --models sb sbnozir gc --seeds 0 1 2 3 4 --swapped-seeds all \
        --no-controls --work-dir work_dirs/study19          # the runs
    python tools/sb_detection_diagnosis.py \
        --work-dir work_dirs/study19 --models sb sbnozir --out docs

Outputs: OUT/sb_detection_diagnosis_table.md and
OUT/figures/sb_detection_{gradients,probes,cue_maps}.png (OUT defaults to
the work dir), WORK_DIR/diagnosis.json.
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import sys
from typing import Dict, List

# the repository root on sys.path: ``projects.long_range_study`` imports
# from any working directory, as the library's own tools run
REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from projects.long_range_study.study.tasks import config_path  # noqa: E402

TASK = 'cue_coco'
#: the probes shown in the figure and the table, and their short names
SHOWN = (('sb_maps', 'SB maps (last layer)'),
         ('maps_at_objects', 'SB maps at the objects (last layer)'),
         ('backbone/1', 'backbone stage 2 at the objects'),
         ('roi_fc', 'RoI head features'))
GRAD_KEYS = ('sb_branch_gate', 'sb_grad_consumer_sb', 'sb_grad_consumer_stock',
             'sb_grad_mix', 'sb_mix_rows_hit')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--work-dir', required=True,
                   help='the long-range study work dir holding runs/cue_coco')
    p.add_argument('--models', nargs='+', default=['sb'])
    p.add_argument('--epochs', nargs='+', type=int, default=None,
                   help='checkpoints to probe (default: every one saved)')
    p.add_argument('--out', default=None,
                   help='docs root for the table and figures (default: '
                   'the work dir)')
    return p.parse_args(argv)


def run_dirs(work_dir: str, model: str) -> Dict[int, str]:
    found = {}
    for path in glob.glob(osp.join(work_dir, 'runs', TASK, model, 'seed*')):
        found[int(osp.basename(path)[4:])] = path
    return dict(sorted(found.items()))


def checkpoints(run: str) -> Dict[int, str]:
    out = {}
    for path in glob.glob(osp.join(run, 'epoch_*.pth')):
        out[int(re.search(r'epoch_(\d+)\.pth$', path).group(1))] = path
    return dict(sorted(out.items()))


def probe_cached(config: str, checkpoint: str, last: bool) -> dict:
    """``sb_cue_probe.run`` of one checkpoint, cached beside it (the last
    checkpoint's cache must also hold the maps' cue differences)."""
    cache = checkpoint[:-len('.pth')] + '.probe.json'
    if osp.isfile(cache) and osp.getmtime(cache) >= osp.getmtime(checkpoint):
        with open(cache) as f:
            cached = json.load(f)
        if not last or all('cue_difference' in v
                           for k, v in cached.items()
                           if k.startswith('sb_maps/')):
            return cached
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'sb_cue_probe', osp.join(osp.dirname(osp.abspath(__file__)),
                                 'sb_cue_probe.py'))
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    result = probe.run(config, checkpoint)
    with open(cache, 'w') as f:
        json.dump(result, f)
    return result


def last_layer(probes: dict, kind: str) -> float:
    """Validation accuracy of a probe kind; for the per-layer kinds, of the
    last SB layer (the one nearest the heads)."""
    if kind in probes:
        return probes[kind]['val']
    names = sorted(k for k in probes if k.startswith(kind + '/'))
    return probes[names[-1]]['val'] if names else float('nan')


def collect(args) -> Dict[str, Dict[int, dict]]:
    data = {}
    for model in args.models:
        config = config_path(TASK, model)
        data[model] = {}
        for seed, run in run_dirs(args.work_dir, model).items():
            result_path = osp.join(run, 'result.json')
            if not osp.isfile(result_path):
                continue
            with open(result_path) as f:
                result = json.load(f)
            swapped = None
            if osp.isfile(osp.join(run, 'swapped.json')):
                with open(osp.join(run, 'swapped.json')) as f:
                    swapped = json.load(f)['metric']
            probes = {}
            saved = checkpoints(run)
            for epoch, ckpt in saved.items():
                if args.epochs and epoch not in args.epochs \
                        and epoch != max(saved):
                    continue
                print(f'probing {model} seed {seed} epoch {epoch}', flush=True)
                probes[epoch] = probe_cached(config, ckpt,
                                             last=epoch == max(saved))
            data[model][seed] = dict(metric=result['metric'], swapped=swapped,
                                     grads=gradient_curves(run),
                                     probes=probes)
    return data


def gradient_curves(run: str) -> Dict[str, list]:
    """SBGradientStatsHook's scalars of a training run, key -> [[step,
    value], ...], read from its scalars.json."""
    from projects.long_range_study.study.metrics import read_scalars
    curves = {}
    for row in read_scalars(run):
        for key in GRAD_KEYS:
            if key in row:
                curves.setdefault(key, []).append([row['step'], row[key]])
    return curves


def reads(entry: dict):
    from projects.long_range_study.study.report import reads_cue
    return reads_cue(entry)


def at_step(curve: List[list], step: int) -> float:
    """The logged value nearest to ``step``."""
    if not curve:
        return float('nan')
    return min(curve, key=lambda sv: abs(sv[0] - step))[1]


def table(data) -> str:
    lines = ['| model | seed | bbox mAP | cue swapped | reads the cue | '
             'gate at iter 50 / 300 / 1200 | SB-column / other-column '
             'gradient at iter 300 | ' +
             ' | '.join(f'probe: {name}, last epoch' for _, name in SHOWN) +
             ' |', '|' + '---|' * (7 + len(SHOWN))]
    for model, seeds in data.items():
        for seed, e in seeds.items():
            g = e['grads']
            gates = ' / '.join(
                f"{at_step(g.get('sb_branch_gate', []), s):.3f}"
                for s in (50, 300, 1200))
            sb = at_step(g.get('sb_grad_consumer_sb', []), 300)
            other = at_step(g.get('sb_grad_consumer_stock', []), 300)
            ratio = sb / other if other else float('nan')
            last = e['probes'][max(e['probes'])] if e['probes'] else {}
            probes = ' | '.join(
                f'{last_layer(last, kind):.1f}' if last else ''
                for kind, _ in SHOWN)
            r = reads(e)
            lines.append(
                f"| {model} | {seed} | {e['metric']:.1f} | "
                f"{'' if e['swapped'] is None else '%.1f' % e['swapped']} | "
                f"{'' if r is None else ('yes' if r else 'no')} | {gates} | "
                f'{ratio:.2f} | {probes} |')
    return '\n'.join(lines)


def _panels(data, columns, curve, title, xlabel, suptitle, path,
            log_y=lambda column: False, ylim=None) -> None:
    """One row per model, one panel per column; in each, one line per seed
    (``curve(entry, column)`` -> xs, ys), green where the seed reads the
    cue, red where it does not."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    models = list(data)
    fig, axes = plt.subplots(len(models), len(columns),
                             figsize=(3.6 * len(columns), 3 * len(models)),
                             squeeze=False)
    for row, model in enumerate(models):
        for col, column in enumerate(columns):
            ax = axes[row][col]
            for seed, entry in data[model].items():
                xs, ys = curve(entry, column)
                if not xs:
                    continue
                r = reads(entry)
                ax.plot(xs, ys, marker='o' if len(xs) < 10 else None, ms=3,
                        color='tab:green' if r else 'tab:red', alpha=0.8,
                        label=f'seed {seed}' + (' (reads)' if r else ''))
            ax.set_title(f'{model}: {title(column)}', fontsize=8)
            ax.set_xlabel(xlabel, fontsize=7)
            if log_y(column):
                ax.set_yscale('log')
            if ylim:
                ax.axhline(50, color='grey', lw=0.5)
                ax.set_ylim(*ylim)
            ax.tick_params(labelsize=7)
            ax.legend(fontsize=6)
    fig.suptitle(suptitle, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot(data, grads_png: str, probes_png: str) -> None:
    keys = [k for k in GRAD_KEYS
            if any(k in e['grads'] for s in data.values() for e in s.values())]

    def grad_curve(entry, key):
        curve = entry['grads'].get(key) or []
        return [s for s, _ in curve], [v for _, v in curve]

    def probe_curve(entry, shown):
        epochs = sorted(entry['probes'])
        return epochs, [last_layer(entry['probes'][ep], shown[0])
                        for ep in epochs]

    _panels(data, keys, grad_curve, str, 'iteration',
            'gradients reaching SB during training (green: seeds that read '
            'the cue, red: seeds that do not)', grads_png,
            log_y=lambda key: key.startswith('sb_grad'))
    _panels(data, SHOWN, probe_curve, lambda shown: shown[1], 'epoch',
            'linear probe of the cue colour, validation accuracy % (chance '
            '50)', probes_png, ylim=(40, 102))


def plot_cue_maps(data, path: str) -> None:
    """Per model, a seed that reads the cue and one that does not: the last
    SB layer's maps on the red-cue validation pictures minus those on the
    blue-cue ones (grid resolution, last checkpoint). Where the difference
    is large, the maps carry the cue's colour to that grid position."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    picks = []
    for model, seeds in data.items():
        for want in (True, False):
            for seed, e in seeds.items():
                last = e['probes'][max(e['probes'])] if e['probes'] else {}
                if reads(e) is want and any(k.startswith('sb_maps/')
                                            for k in last):
                    picks.append((model, seed, e, want))
                    break
    if not picks:
        return
    fig, axes = plt.subplots(len(picks), 3, figsize=(7.5, 2.4 * len(picks)),
                             squeeze=False)
    for row, (model, seed, e, want) in enumerate(picks):
        last = e['probes'][max(e['probes'])]
        name = sorted(k for k in last if k.startswith('sb_maps/'))[-1]
        diff = np.array(last[name]['cue_difference'])
        side = int(round((diff.size / 3)**0.5))
        diff = diff.reshape(-1, side, side)
        scale = float(np.abs(diff).max()) or 1.0
        for k in range(min(3, diff.shape[0])):
            ax = axes[row][k]
            ax.imshow(diff[k], cmap='coolwarm', vmin=-scale, vmax=scale)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f'{model} seed {seed} '
                         f'({"reads" if want else "misses"}), map {k}',
                         fontsize=7)
    fig.suptitle('last SB layer: mean maps of red-cue minus blue-cue '
                 'pictures (bar: top row; objects: lower part)', fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    data = collect(args)
    out = args.out or args.work_dir
    os.makedirs(osp.join(out, 'figures'), exist_ok=True)
    md = table(data)
    with open(osp.join(out, 'sb_detection_diagnosis_table.md'),
              'w') as f:
        f.write(md + '\n')
    plot(data, osp.join(out, 'figures', 'sb_detection_gradients.png'),
         osp.join(out, 'figures', 'sb_detection_probes.png'))
    plot_cue_maps(data, osp.join(out, 'figures', 'sb_detection_cue_maps.png'))
    with open(osp.join(args.work_dir, 'diagnosis.json'), 'w') as f:
        json.dump(data, f)
    print(md)


if __name__ == '__main__':
    main()
