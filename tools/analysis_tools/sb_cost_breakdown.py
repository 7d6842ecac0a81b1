"""Where SB-R50's extra time goes: R50, SB-R50 (fused SB forward), SB-R50
with the plain module-by-module SB forward, and SB-R50 with its SB branch
replaced by zeros (so only the concatenation and the wider norm2 / conv3
remain), interleaved round by round; medians, and per-round ratios to R50
with their range.

    python tools/analysis_tools/sb_cost_breakdown.py [--shape 8,3,224,224]
        [--rounds 7] [--train] [--layers]

``--layers`` times the SB layers alone instead, fused against plain forward,
at the input shape each of SB-R50's SB layers sees for ``--shape``.
"""
import argparse
import statistics
import types

import torch

from sb_mm.benchmark.measure import (
    inference_fn,
    interleaved,
    ratio_stats,
    train_step_fn,
)
from sb_mm.benchmark.models import backbone_builders
from sb_mm.layers import SpatialBias


def _zero_branch(self, x, out_size=None):
    size = x.shape[-2:] if out_size is None else out_size
    return x.new_zeros(x.shape[0], self.out_channels, *size)


def sb_layer_inputs(model: torch.nn.Module, x: torch.Tensor):
    """{input shape: (SpatialBias, its output size)} of the model's SB
    layers for input ``x``, one per distinct shape, in forward order."""
    seen = {}

    def hook(module, args):
        key = tuple(args[0].shape)
        if key not in seen:
            out_size = args[1] if len(args) > 1 else None
            seen[key] = (module, out_size)

    handles = [m.register_forward_pre_hook(hook) for m in model.modules()
               if isinstance(m, SpatialBias)]
    model.eval()
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return seen


def time_layers(x: torch.Tensor, rounds: int, train: bool) -> None:
    """Fused vs plain forward of each distinct SB layer of SB-R50."""
    calls = 20 if not train else 5

    def repeat(fn):
        def run():
            for _ in range(calls):
                fn()
        return run

    print(f'SB layers alone, {"forward + backward" if train else "eval"}, '
          f'for input {tuple(x.shape)}; {rounds} interleaved rounds of '
          f'{calls} calls, medians, us per call:')
    for shape, (sb, out_size) in sb_layer_inputs(
            backbone_builders()['SB-R50'](), x).items():
        sb.train(train)
        inp = torch.randn(shape, requires_grad=train)

        def call(fused, sb=sb, inp=inp, out_size=out_size):
            def run():
                sb.fused = fused
                if train:
                    sb(inp, out_size).sum().backward()
                else:
                    with torch.no_grad():
                        sb(inp, out_size)
            return run

        fns = {'plain': repeat(call(False)), 'fused': repeat(call(True))}
        for fn in fns.values():  # warm-up
            fn()
        times = interleaved(fns, rounds, 1, 'cpu')
        r = ratio_stats(times['plain'], times['fused'])
        plain, fused = (statistics.median(times[n]) / calls * 1e6
                        for n in ('plain', 'fused'))
        print(f'{str(shape):22s} plain {plain:8.0f}  fused {fused:8.0f}  '
              f'fused speed-up {r["median"]:.2f} '
              f'[{r["lo"]:.2f}-{r["hi"]:.2f}]')


def breakdown_models() -> dict:
    """R50, SB-R50, SB-R50 with the plain SB forward and SB-R50 with its SB
    branch replaced by zeros."""
    build = backbone_builders()
    models = {'R50': build['R50'](), 'SB-R50': build['SB-R50'](),
              'SB-R50, plain SB forward': build['SB-R50'](),
              'SB-R50, branch -> zeros': build['SB-R50']()}
    for name, model in models.items():
        for m in model.modules():
            if isinstance(m, SpatialBias) and 'plain' in name:
                m.fused = False
            elif isinstance(m, SpatialBias) and 'zeros' in name:
                m.forward = types.MethodType(_zero_branch, m)
    return models


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--shape', default='8,3,224,224')
    p.add_argument('--rounds', type=int, default=7)
    p.add_argument('--train', action='store_true',
                   help='time training steps (forward + backward + SGD) '
                   'instead of inference')
    p.add_argument('--layers', action='store_true',
                   help='time the SB layers alone, fused vs plain')
    args = p.parse_args(argv)
    x = torch.randn(*(int(v) for v in args.shape.split(',')))
    if args.layers:
        time_layers(x, args.rounds, args.train)
        return
    models = breakdown_models()
    make_fn = train_step_fn if args.train else inference_fn
    fns = {name: make_fn(m, x) for name, m in models.items()}
    for fn in fns.values():  # warm-up
        fn()
    times = interleaved(fns, args.rounds, 1, 'cpu')
    ref = statistics.median(times['R50'])
    print(f'{"training step" if args.train else "inference"}, input '
          f'{tuple(x.shape)}, {args.rounds} interleaved rounds, medians:')
    for name, ts in times.items():
        med = statistics.median(ts)
        r = ratio_stats(times['R50'], ts)
        print(f'{name:26s} {med * 1e3:8.1f} ms   throughput vs R50 '
              f'{ref / med:.3f} (per round {r["median"]:.3f} '
              f'[{r["lo"]:.3f}-{r["hi"]:.3f}])')


if __name__ == '__main__':
    main()
