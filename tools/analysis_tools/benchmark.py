"""Speed, FLOPs, parameters and memory of SB-ResNet-50 against ResNet-50,
non-local (NL) and global-context (GC) ResNet-50, and the full Mask R-CNN /
UPerNet models of our configs; with ``--family`` the same for ConvNeXt-T or
MobileNetV2 (stock, SB, SB off, NL and GC equivalents).

    python tools/analysis_tools/benchmark.py            # full run
    python tools/analysis_tools/benchmark.py --quick    # small sizes (CI)
    python tools/analysis_tools/benchmark.py --family convnext-t

Writes work_dirs/benchmark/benchmark.md (the table) and benchmark.png
(throughput vs input size). Models are interleaved round by round and every
ratio is taken inside this run, from per-round medians.
"""
import argparse
import datetime
import json
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
import tempfile

import torch

from sb_mm.benchmark.measure import (
    fix_heap_for_memory_readings,
    inference_fn,
    interleaved,
    peak_memory_interleaved,
    ratio_stats,
    train_step_fn,
)
from sb_mm.benchmark.models import (
    FAMILIES,
    backbone_builders,
    full_model_builders,
)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

FULL_SIZES = [(8, 224, 224), (2, 512, 512), (1, 800, 1216)]
#: the sizes of a full run per family (ConvNeXt-T: classification and the
#: detection input; MobileNetV2: classification and segmentation)
FAMILY_SIZES = {'resnet50': FULL_SIZES,
                'convnext-t': [(8, 224, 224), (1, 800, 1216)],
                'mobilenetv2': [(8, 224, 224), (2, 512, 512)]}
QUICK_SIZES = [(2, 64, 64), (1, 96, 160)]


def memory_repeats(args) -> int:
    """Single-call peak-memory readings per model (their median is shown)."""
    return 1 if args.quick else 3


def make_input(shape, device, memory_format):
    """Random images (batch, 3, height, width) for ``shape`` = (batch,
    height, width)."""
    return torch.randn(shape[0], 3, *shape[1:], device=device).contiguous(
        memory_format=memory_format)


def parse_size(text: str):
    """'8x224x224' -> (8, 224, 224): batch, height, width."""
    try:
        size = tuple(int(v) for v in text.lower().split('x'))
    except ValueError:
        size = ()
    if len(size) != 3 or min(size) < 1:
        raise argparse.ArgumentTypeError(
            f'--sizes: {text!r} is not BATCHxHEIGHTxWIDTH, e.g. 8x224x224')
    return size


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true',
                   help='small sizes, few repeats (CI)')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available()
                   else 'cpu')
    p.add_argument('--sizes', nargs='+', type=parse_size,
                   metavar='BxHxW', help='inputs (default: 8x224x224 '
                   '2x512x512 1x800x1216; --quick: 2x64x64 1x96x160)')
    p.add_argument('--rounds', type=int, help='interleaved rounds')
    p.add_argument('--iters', type=int, help='calls per model per round')
    p.add_argument('--out-dir', default='work_dirs/benchmark')
    p.add_argument('--no-full-models', action='store_true',
                   help='backbones only')
    p.add_argument('--channels-last', action='store_true')
    p.add_argument('--no-memory', action='store_true',
                   help='no peak-memory readings (on a CPU they take a '
                   'fresh process: a quick check of the rows, not figures)')
    p.add_argument('--library', choices=('mmdet', 'mmpretrain'),
                   default='mmdet', help="whose ResNet the backbones are "
                   "(mmpretrain where mmcv's compiled ops are missing; no GC "
                   "row then)")
    p.add_argument('--amp', action='store_true',
                   help='mixed precision (autocast: float16 on CUDA, '
                   'bfloat16 on a CPU), as the paper\'s authors trained')
    p.add_argument('--family', choices=sorted(FAMILIES),
                   default='resnet50',
                   help='the backbones compared (default resnet50; the '
                   'others are MMPretrain\'s, no full models)')
    p.add_argument('--sb-variants', action='store_true',
                   help='also the SB settings beyond the paper (8 reduced '
                   'channels, 5x5 grid, and what --custom-imports adds)')
    p.add_argument('--custom-imports', nargs='+', default=[],
                   metavar='MODULE',
                   help='modules imported first, as a config\'s '
                   'custom_imports (the repository root is on sys.path): a '
                   "project's SB variants, e.g. "
                   'projects.long_range_study.study.benchmark_variants')
    # internal: the CPU memory readings run in a fresh process (see
    # measure_memory_in_fresh_process); writes them as JSON to this path
    p.add_argument('--memory-only', metavar='JSON', help=argparse.SUPPRESS)
    return p.parse_args(argv)


#: set by main() from --amp: every timed / measured call runs under autocast
AMP = dict(enabled=False)


def amp_call(fn, device):
    """``fn`` under autocast when --amp is on (float16 on CUDA, bfloat16
    on a CPU), else ``fn`` itself."""
    if not AMP['enabled']:
        return fn
    kind = 'cuda' if device.startswith('cuda') else 'cpu'
    dtype = torch.float16 if kind == 'cuda' else torch.bfloat16

    def run():
        with torch.autocast(kind, dtype=dtype):
            fn()
    return run


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def flops_of(model, shape, device):
    from mmengine.analysis import FlopAnalyzer
    x = torch.randn(1, 3, *shape[1:], device=device)
    model.eval()  # mmdet's ResNet.train() returns None: no chaining
    analyzer = FlopAnalyzer(model, (x, ))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    with torch.no_grad():
        return analyzer.total()


def fmt_ratio(stats):
    return (f"{stats['median']:.3f} "
            f"[{stats['lo']:.3f}-{stats['hi']:.3f}]")


def main(argv=None):
    args = parse_args(argv)
    from tqdm import tqdm

    import sb_mm  # noqa: F401
    if args.custom_imports:
        import importlib
        if REPO not in sys.path:
            sys.path.insert(0, REPO)
        for module in args.custom_imports:
            importlib.import_module(module)
    sizes = args.sizes or (QUICK_SIZES if args.quick
                           else FAMILY_SIZES[args.family])
    rounds = args.rounds or (2 if args.quick else 5)
    iters = args.iters or (2 if args.quick else 3)
    device = args.device
    AMP['enabled'] = args.amp
    from sb_mm.benchmark import models as benchmark_models
    benchmark_models.LIBRARY['name'] = args.library
    os.makedirs(args.out_dir, exist_ok=True)
    torch.manual_seed(0)
    memory_format = (torch.channels_last if args.channels_last
                     else torch.contiguous_format)

    def prepare(model):
        return model.to(device).to(memory_format=memory_format)

    builders = backbone_builders(variants=args.sb_variants,
                                 family=args.family)
    models = {name: prepare(build()) for name, build in builders.items()}
    if args.memory_only:
        mem = measure_memory(models, sizes, device, memory_format,
                             memory_repeats(args))
        with open(args.memory_only, 'w') as f:
            json.dump([[list(shape), readings]
                       for shape, readings in mem.items()], f)
        return
    full = {} if args.no_full_models or args.family != 'resnet50' else {
        name: prepare(build())
        for name, build in full_model_builders(
            osp.join(REPO, 'configs')).items()}
    names = FAMILIES[args.family]
    ref, nl5 = names['ref'], names['nl']

    steps = len(sizes) * 2 * len(models) * rounds + rounds * len(full)
    bar = tqdm(total=steps, desc='benchmark', unit='step')
    results = {}
    for shape in sizes:
        x = make_input(shape, device, memory_format)
        infer = {n: amp_call(inference_fn(m, x), device)
                 for n, m in models.items()}
        for fn in infer.values():  # warm-up
            fn()
        inf = interleaved(infer, rounds, iters, device, bar)
        train = {n: amp_call(train_step_fn(m, x), device)
                 for n, m in models.items()}
        for fn in train.values():
            fn()
        trn = interleaved(train, rounds, iters, device, bar)
        results[shape] = dict(inf=inf, train=trn,
                              flops={n: flops_of(m, shape, device)
                                     for n, m in models.items()})
    full_results = {}
    if full:
        shapes = {'MaskRCNN': (1, 800, 1216) if not args.quick else
                  (1, 128, 192),
                  'UPerNet': (2, 512, 512) if not args.quick else
                  (1, 128, 128)}
        fns = {}
        for name, m in full.items():
            shape = shapes[name.split('-')[0]]
            x = make_input(shape, device, memory_format)
            fns[name] = amp_call(inference_fn(m, x), device)
            fns[name]()
        full_results = interleaved(fns, rounds, iters, device, bar)
        full_results = dict(times=full_results, shapes=shapes)
    bar.close()
    if args.no_memory:
        mem = {shape: {n: None for n in models} for shape in sizes}
    elif device.startswith('cuda'):
        mem = measure_memory(models, sizes, device, memory_format,
                             memory_repeats(args))
    else:
        mem = measure_memory_in_fresh_process(
            sys.argv[1:] if argv is None else list(argv))
    for shape in sizes:
        results[shape]['mem'] = mem[shape]

    table = render(args, models, results, full, full_results, ref, nl5,
                   rounds, iters)
    path = osp.join(args.out_dir, 'benchmark.md')
    with open(path, 'w') as f:
        f.write(table)
    print(table)
    plot(results, osp.join(args.out_dir, 'benchmark.png'),
         names['title'])
    print(f'wrote {path} and benchmark.png')


def measure_memory(models, sizes, device, memory_format, repeats):
    """{shape: {model: (inference MiB, training step MiB)}}: medians of
    ``repeats`` interleaved single-call readings."""
    from tqdm import tqdm
    if not device.startswith('cuda'):
        fix_heap_for_memory_readings()
    bar = tqdm(total=len(sizes) * 2 * len(models) * repeats,
               desc='peak memory', unit='call')
    mem = {}
    for shape in sizes:
        x = make_input(shape, device, memory_format)
        infer = {n: amp_call(inference_fn(m, x), device)
                 for n, m in models.items()}
        for fn in infer.values():  # oneDNN's primitive caches
            fn()
        mem_inf = peak_memory_interleaved(infer, repeats, device, bar)
        train = {n: amp_call(train_step_fn(m, x), device)
                 for n, m in models.items()}
        for fn in train.values():  # creates the optimizer's momentum
            fn()
        mem_trn = peak_memory_interleaved(train, repeats, device, bar)
        mem[shape] = {n: (mem_inf[n], mem_trn[n]) for n in models}
    bar.close()
    return mem


def measure_memory_in_fresh_process(argv):
    """CPU peak memory, read by this script in a new process.

    A process's resident peak for one call depends on its heap's history:
    after the timings' training steps, the same inference call read 190-240
    MiB for ResNet-50 / SB-ResNet-50 at 224 batch 8, in a fresh process with
    glibc's mmap threshold fixed 86 MiB for both, every time. So the
    readings run in a process that has done nothing else.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'memory.json')
        subprocess.run([sys.executable, osp.abspath(__file__), *argv,
                        '--memory-only', path], check=True)
        with open(path) as f:
            return {tuple(shape): {n: tuple(v) for n, v in readings.items()}
                    for shape, readings in json.load(f)}


def memory_method(args):
    """How the table's peak memory was read (the method line's end)."""
    if args.no_memory:
        return 'peak memory: not measured (--no-memory)'
    return (f'peak memory: median of {memory_repeats(args)} interleaved '
            'single-call readings' + (
                ', in a fresh process with glibc\'s mmap threshold fixed '
                '(live memory only, independent of heap history)'
                if not args.device.startswith('cuda') else ''))


def render(args, models, results, full, full_results, ref, nl5, rounds,
           iters):
    params = {n: count_params(m) for n, m in models.items()}
    lines = [
        '# sb_mm benchmark', '',
        f'- command: `python tools/analysis_tools/benchmark.py'
        f'{" --quick" if args.quick else ""}'
        f'{" --channels-last" if args.channels_last else ""}'
        f'{" --amp" if args.amp else ""}'
        f'{" --library " + args.library if args.library != "mmdet" else ""}'
        f'{" --sizes " if args.sizes else ""}'
        f'{" ".join("x".join(map(str, v)) for v in args.sizes or ())}'
        f'{f" --rounds {args.rounds}" if args.rounds else ""}'
        f'{f" --iters {args.iters}" if args.iters else ""}'
        f'{" --no-full-models" if args.no_full_models else ""}'
        f'{" --no-memory" if args.no_memory else ""}'
        f'{" --family " + args.family if args.family != "resnet50" else ""}'
        f'{" --sb-variants" if args.sb_variants else ""}'
        f'{" --custom-imports " if args.custom_imports else ""}'
        f'{" ".join(args.custom_imports)}`',
        f'- date: {datetime.datetime.now():%Y-%m-%d %H:%M}; device: '
        f'{args.device} ({platform.processor() or platform.machine()}, '
        f'{torch.get_num_threads()} threads); torch {torch.__version__}',
        f'- method: {rounds} interleaved rounds x {iters} calls per model, '
        'per-round medians; ratios are medians of per-round ratios '
        '[min-max over rounds]; ' + memory_method(args), '',
        '## Parameters', '',
        f'| model | params | added over {ref} |', '|---|---:|---:|']
    for n in models:
        lines.append(f'| {n} | {params[n]:,} | {params[n] - params[ref]:,} |')
    sb = FAMILIES[args.family]['sb']
    sb_add = params[sb] - params[ref]
    nl_add = params[nl5] - params[ref]
    lines += ['', f'SB added parameters / NL (5 blocks) added parameters: '
              f'{sb_add / nl_add:.3f}', '']
    for shape, res in results.items():
        b, h, w = shape
        lines += [f'## Input {h}x{w}, batch {b}', '',
                  '| model | GFLOPs (1 img) | infer ms | img/s | '
                  f'infer vs {ref} | train step ms | train vs {ref} | '
                  'peak MiB infer / train |',
                  '|---|---:|---:|---:|---:|---:|---:|---:|']
        for n in models:
            inf_ms = statistics.median(res['inf'][n]) * 1e3
            trn_ms = statistics.median(res['train'][n]) * 1e3
            # throughput ratio = inverse time ratio, per round
            r_inf = ratio_stats(res['inf'][ref], res['inf'][n])
            r_trn = ratio_stats(res['train'][ref], res['train'][n])
            mem = ('not measured' if res['mem'][n] is None else
                   '{:.0f} / {:.0f}'.format(*res['mem'][n]))
            lines.append(
                f'| {n} | {res["flops"][n] / 1e9:.3f} | {inf_ms:.1f} | '
                f'{b / (inf_ms / 1e3):.2f} | {fmt_ratio(r_inf)} | '
                f'{trn_ms:.1f} | {fmt_ratio(r_trn)} | {mem} |')
        sb_nl = ratio_stats(res['inf'][nl5], res['inf'][sb])
        if res['mem'][ref] is None:
            mem_ratio = 'not measured'
        else:
            mem_ratio = '{:.3f} (infer), {:.3f} (train)'.format(*(
                res['mem'][sb][i] / res['mem'][ref][i]
                if res['mem'][ref][i] else float('nan') for i in (0, 1)))
        lines += ['',
                  f'{sb} / {nl5} throughput: '
                  f'{fmt_ratio(sb_nl)}; {sb} / {ref} peak memory: '
                  f'{mem_ratio}', '']
    if full_results:
        lines += ['## Full models (inference, `mode="tensor"`)', '',
                  '| model | input | ms | vs stock |', '|---|---|---:|---:|']
        times = full_results['times']
        for n in full:
            kind = n.split('-')[0]
            b, h, w = full_results['shapes'][kind]
            stock = f'{kind}-R50'
            r = ratio_stats(times[stock], times[n])
            lines.append(f'| {n} | {h}x{w} b{b} | '
                         f'{statistics.median(times[n]) * 1e3:.1f} | '
                         f'{fmt_ratio(r)} |')
        lines.append('')
    return '\n'.join(lines) + '\n'


def plot(results, path, title='ResNet-50'):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    shapes = list(results)
    labels = [f'{h}x{w}\nb{b}' for b, h, w in shapes]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name in results[shapes[0]]['inf']:
        tput = [s[0] / statistics.median(results[s]['inf'][name])
                for s in shapes]
        ax.plot(labels, tput, marker='o', label=name)
    ax.set_yscale('log')
    ax.set_ylabel('images / s (inference, log scale)')
    ax.set_xlabel('input size, batch')
    ax.set_title(f'{title} backbones: throughput vs input size')
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == '__main__':
    main()
