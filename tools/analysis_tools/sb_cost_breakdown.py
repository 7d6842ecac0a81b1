"""Where SB-R50's extra inference time goes: R50, SB-R50, and SB-R50 with
its SB branch replaced by zeros (so only the concatenation and the wider
norm2 / conv3 remain), interleaved round by round, medians.

    python tools/analysis_tools/sb_cost_breakdown.py [--shape 8,3,224,224]
        [--rounds 7]
"""
import argparse
import os.path as osp
import statistics
import sys
import types

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
from sb_mm.benchmark.measure import inference_fn, interleaved  # noqa: E402
from sb_mm.benchmark.models import backbone_builders  # noqa: E402
from sb_mm.layers import SpatialBias  # noqa: E402


def _zero_branch(self, x, out_size=None):
    size = x.shape[-2:] if out_size is None else out_size
    return x.new_zeros(x.shape[0], self.out_channels, *size)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--shape', default='8,3,224,224')
    p.add_argument('--rounds', type=int, default=7)
    args = p.parse_args(argv)
    x = torch.randn(*(int(v) for v in args.shape.split(',')))
    build = backbone_builders()
    models = {'R50': build['R50'](), 'SB-R50': build['SB-R50'](),
              'SB-R50, branch -> zeros': build['SB-R50']()}
    for m in models['SB-R50, branch -> zeros'].modules():
        if isinstance(m, SpatialBias):
            m.forward = types.MethodType(_zero_branch, m)
    fns = {name: inference_fn(m, x) for name, m in models.items()}
    for fn in fns.values():  # warm-up
        fn()
    times = interleaved(fns, args.rounds, 1, 'cpu')
    ref = statistics.median(times['R50'])
    print(f'input {tuple(x.shape)}, {args.rounds} interleaved rounds, '
          'medians:')
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f'{name:26s} {med * 1e3:8.1f} ms   throughput vs R50 '
              f'{ref / med:.3f}')


if __name__ == '__main__':
    main()
