"""Effective receptive field (Luo et al., 2016) of each backbone stage: the
gradient of a stage's centre unit (summed over channels) with respect to the
input image, its absolute value summed over colour channels and averaged
over input images; drawn as heatmaps, one column per stage, one row per
model, plus the share of gradient mass farther than --radius pixels from the
centre.

    python projects/long_range_study/tools/erf.py CONFIG [CHECKPOINT]
        [--also CONFIG[:CHECKPOINT] ...] [--init] [--out erf.png]

Without a checkpoint the model is at its initialisation; --init adds a row
at initialisation for every model given with a checkpoint. Inputs are images
of the config's val dataloader when its data exists (else Gaussian noise of
--shape), passed through the model's own data preprocessor.
"""
import argparse
import json
import os.path as osp
import sys
from typing import List, Optional, Tuple

import torch

# the repository root on sys.path: ``projects.long_range_study`` imports
# from any working directory, as the library's own tools run
REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('checkpoint', nargs='?', default=None)
    p.add_argument('--also', nargs='+', default=[],
                   metavar='CONFIG[:CHECKPOINT]',
                   help='more models, one row each')
    p.add_argument('--init', action='store_true',
                   help='also a row at initialisation for each checkpoint')
    p.add_argument('--num-images', type=int, default=16)
    p.add_argument('--shape', type=int, nargs=2, default=None,
                   metavar=('H', 'W'),
                   help='input size for noise inputs (default: 224 224)')
    p.add_argument('--radius', type=float, default=50.0,
                   help='"far": farther than this many pixels from the '
                   'centre (default 50: half the receptive field of the '
                   "study's plain two-stage trunk)")
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='erf.png')
    p.add_argument('--json', default=None, help='also write the numbers')
    from mmengine.config import DictAction
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override settings of every config, key=value')
    return p.parse_args(argv)


def build_model(config: str, checkpoint: Optional[str],
                cfg_options: Optional[dict] = None):
    """The config's model (any of the three libraries), in eval mode, with
    the checkpoint's weights (weights-only loading), every stage out."""
    from sb_mm.apis.models import load_model

    def every_stage_out(cfg):
        backbone = cfg.model.get('backbone', {})
        if 'num_stages' in backbone or 'depth' in backbone:
            backbone['out_indices'] = tuple(
                range(backbone.get('num_stages', 4)))

    return load_model(config, checkpoint, cfg_options, edit=every_stage_out)


def input_batches(model, cfg, lib: str, num_images: int,
                  shape: Optional[Tuple[int, int]], seed: int
                  ) -> List[torch.Tensor]:
    """Preprocessed val images (batches of one), or Gaussian noise."""
    if shape is None:
        try:
            from mmengine.registry import DefaultScope
            from mmengine.runner import Runner
            loader_cfg = cfg.val_dataloader.copy()
            loader_cfg['batch_size'] = 1
            loader_cfg['num_workers'] = 0
            loader_cfg.pop('persistent_workers', None)
            with DefaultScope.overwrite_default_scope(lib):
                loader = Runner.build_dataloader(loader_cfg, seed=seed)
                out = []
                for data in loader:
                    out.append(model.data_preprocessor(data, False)['inputs'])
                    if len(out) == num_images:
                        break
            return out
        except (FileNotFoundError, OSError, KeyError, AttributeError) as err:
            print(f'no val images ({type(err).__name__}: {err}); using noise')
    gen = torch.Generator().manual_seed(seed)
    h, w = shape or (224, 224)
    return [torch.randn(1, 3, h, w, generator=gen) for _ in range(num_images)]


def stage_erfs(backbone, inputs: List[torch.Tensor]) -> List[torch.Tensor]:
    """(H, W) mean |d centre / d input| for each output of the backbone."""
    sums = None
    for x in inputs:
        x = x.clone().requires_grad_(True)
        outs = backbone(x)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        grads = []
        for i, out in enumerate(outs):
            h, w = out.shape[-2:]
            centre = out[0, :, h // 2, w // 2].sum()
            (g, ) = torch.autograd.grad(centre, x,
                                        retain_graph=i < len(outs) - 1)
            grads.append(g[0].abs().sum(0))
        sums = grads if sums is None else [s + g for s, g in zip(sums, grads)]
    return [s / len(inputs) for s in sums]


def far_share(erf: torch.Tensor, radius: float) -> float:
    """Share of the ERF's mass farther than ``radius`` px (Chebyshev) from
    the centre."""
    h, w = erf.shape
    ys = torch.arange(h).sub(h // 2).abs()[:, None]
    xs = torch.arange(w).sub(w // 2).abs()[None]
    far = torch.maximum(ys, xs) > radius
    total = erf.sum()
    return float(erf[far].sum() / total) if total > 0 else 0.0


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    specs = [(args.config, args.checkpoint)]
    for item in args.also:
        config, _, ckpt = item.partition(':')
        specs.append((config, ckpt or None))
    rows = []  # (label, [erf per stage])
    for config, ckpt in specs:
        variants = [ckpt]
        if ckpt and args.init:
            variants = [None, ckpt]
        for variant in variants:
            torch.manual_seed(args.seed)
            model, cfg, lib = build_model(config, variant,
                                          args.cfg_options)
            inputs = input_batches(model, cfg, lib, args.num_images,
                                   tuple(args.shape) if args.shape else None,
                                   args.seed)
            erfs = stage_erfs(model.backbone, inputs)
            label = (osp.splitext(osp.basename(config))[0] +
                     (' (trained)' if variant else ' (init)'))
            rows.append((label, erfs))
    numbers = {label: [far_share(e, args.radius) for e in erfs]
               for label, erfs in rows}
    print(f'share of gradient mass farther than {args.radius:g} px from the '
          'centre, per stage:')
    for label, shares in numbers.items():
        print(f'  {label:40s} ' + '  '.join(f'{s:.2e}' for s in shares))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(radius=args.radius, far_share=numbers), f,
                      indent=1)
    draw(rows, numbers, args.out, args.radius)
    print(f'wrote {args.out}')


def draw(rows, numbers, path: str, radius: float) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    cols = max(len(erfs) for _, erfs in rows)
    fig, axes = plt.subplots(len(rows), cols, squeeze=False,
                             figsize=(3.2 * cols, 1.9 * len(rows) + 0.6))
    for r, (label, erfs) in enumerate(rows):
        for c in range(cols):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c >= len(erfs):
                ax.axis('off')
                continue
            erf = erfs[c]
            # log scale: the far field is orders of magnitude below the peak
            ax.imshow(torch.log10(erf / erf.max() + 1e-6).numpy(),
                      cmap='magma', vmin=-6, vmax=0)
            h, w = erf.shape
            ax.add_patch(plt.Rectangle(
                (w // 2 - radius, h // 2 - radius), 2 * radius, 2 * radius,
                fill=False, ec='cyan', lw=0.6, ls='--'))
            ax.set_title(f'stage {c + 1}: far {numbers[label][c]:.2e}',
                         fontsize=8)
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    fig.suptitle(f'effective receptive field, log10 of |grad| / max; dashed: '
                 f'{radius:g} px from the centre', fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == '__main__':
    main()
