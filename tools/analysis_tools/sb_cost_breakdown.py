"""Where SB-R50's extra time goes: R50, SB-R50 with SB off (R50 exactly:
the noise of the machine), SB-R50, and SB-R50 with its SB branch replaced
by zeros (so only the concatenation and the wider norm2 / conv3 remain),
interleaved round by round; medians, and per-round ratios to R50 with their
range. A difference smaller than the spread of "SB off" is noise.

    python tools/analysis_tools/sb_cost_breakdown.py [--shape 8,3,224,224]
        [--rounds 7] [--train] [--layers]

``--layers`` times the SB layers alone instead, at the input shape each of
SB-R50's SB layers sees for ``--shape``, against the 3x3 conv that emits
their maps.
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
    """Each distinct SB layer of SB-R50 against the conv that emits its
    maps (the block's 3x3 conv2), interleaved round by round."""
    calls = 20 if not train else 5

    def repeat(fn):
        def run():
            for _ in range(calls):
                fn()
        return run

    print(f'SB layers alone, {"forward + backward" if train else "eval"}, '
          f'for input {tuple(x.shape)}; {rounds} interleaved rounds of '
          f'{calls} calls, medians, us per call:')
    model = backbone_builders()['SB-R50']()
    convs = {id(m.sb): m for m in model.modules() if hasattr(m, 'sb')}
    for shape, (sb, out_size) in sb_layer_inputs(model, x).items():
        conv = convs[id(sb)]
        sb.train(train)
        inp = torch.randn(shape, requires_grad=train)

        def call(layer, *args):
            def run():
                if train:
                    layer(*args).sum().backward()
                else:
                    with torch.no_grad():
                        layer(*args)
            return run

        # the emitting conv without its SB: a plain conv of its geometry
        stock_conv = torch.nn.Conv2d(conv.in_channels, conv.out_channels,
                                     conv.kernel_size, conv.stride,
                                     conv.padding, bias=False)
        fns = {'sb': repeat(call(sb, inp, out_size)),
               'conv': repeat(call(stock_conv, inp))}
        for fn in fns.values():  # warm-up
            fn()
        times = interleaved(fns, rounds, 1, 'cpu')
        r = ratio_stats(times['sb'], times['conv'])
        sb_us, conv_us = (statistics.median(times[n]) / calls * 1e6
                          for n in ('sb', 'conv'))
        print(f'{str(shape):22s} SB {sb_us:8.0f}  its conv2 {conv_us:8.0f}  '
              f'SB / conv2 {r["median"]:.2f} [{r["lo"]:.2f}-{r["hi"]:.2f}]')


def breakdown_models() -> dict:
    """R50, SB-R50 with SB off (R50 exactly: the noise control), SB-R50 and
    SB-R50 with its SB branch replaced by zeros."""
    build = backbone_builders()
    models = {'R50': build['R50'](),
              'SB-R50 (sb off)': build['SB-R50 (sb off)'](),
              'SB-R50': build['SB-R50'](),
              'SB-R50, branch -> zeros': build['SB-R50']()}
    for name, model in models.items():
        for m in model.modules():
            if isinstance(m, SpatialBias) and 'zeros' in name:
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
    noise = ratio_stats(times['R50'], times['SB-R50 (sb off)'])
    print(f'noise, SB off vs R50 per round: {noise["median"]:.3f} '
          f'[{noise["lo"]:.3f}-{noise["hi"]:.3f}]')


if __name__ == '__main__':
    main()
