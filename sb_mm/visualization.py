"""What the spatial bias learned: its maps, per SB block, as pictures.

Used by ``tools/analysis_tools/visualize_sb.py`` (one image, any config) and
by :class:`SBMapVisualizationHook` (a few validation images every N epochs or
iterations into the runner's visualizer backends). Works for detectors,
segmentors and classifiers alike: the maps are read with forward hooks on the
backbone's :class:`~sb_mm.layers.SpatialBias` modules.
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

from .layers import SpatialBias
from .layers.names import SB


def sb_modules(model: nn.Module) -> List[Tuple[str, SpatialBias]]:
    """``(name, module)`` of every SpatialBias in ``model``, in forward
    order; the name is that of the conv that emits the maps
    (``backbone.layer1.0.conv2``), or of the one that computes and reads
    them (``backbone.stages.1.0.pointwise_conv1`` in a ConvNeXt)."""
    return [(name[:-len(f'.{SB}')] if name.endswith(f'.{SB}') else name,
             module)
            for name, module in model.named_modules()
            if isinstance(module, SpatialBias)]


@torch.no_grad()
def collect_sb_maps(model: nn.Module, inputs: torch.Tensor
                    ) -> List[Tuple[str, torch.Tensor]]:
    """Runs ``model``'s backbone (or ``model`` itself if it has none) on
    ``inputs`` (B, 3, H, W, preprocessed) and returns, for every SB block,
    ``(name, maps)`` with ``maps`` (B, m, g, g): the spatial-bias maps at the
    grid resolution, before they are resized to the conv's output."""
    found = sb_modules(model)
    if not found:
        raise ValueError(
            f'{type(model).__name__} has no spatial-bias layer: is the '
            "backbone an SB type with at least one stage in sb_stages?")
    captured = []
    handles = [
        module.register_forward_hook(
            lambda mod, args, out, name=name: captured.append(
                (name, mod.grid_maps(args[0]))))
        for name, module in found
    ]
    was_training = model.training
    model.eval()
    try:
        backbone = getattr(model, 'backbone', model)
        backbone(inputs)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return captured


def draw_sb_maps(image: Optional[np.ndarray],
                 maps: Sequence[Tuple[str, torch.Tensor]],
                 title: str = '') -> np.ndarray:
    """One figure, one row per SB block: the block name, its m maps at the
    grid resolution, and each map resized over ``image`` (H, W, 3 RGB uint8;
    None: maps only). ``maps`` from :func:`collect_sb_maps` (first image of
    the batch). Returns the figure as an (H', W', 3) RGB uint8 array."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import torch.nn.functional as F

    m = maps[0][1].shape[1]
    cols = m * (2 if image is not None else 1)
    fig, axes = plt.subplots(len(maps), cols, squeeze=False,
                             figsize=(1.6 * cols + 0.6, 1.5 * len(maps) + 0.4))
    for row, (name, grid) in enumerate(maps):
        grid = grid[0].float()
        for k in range(m):
            ax = axes[row][k]
            ax.imshow(grid[k].numpy(), cmap='coolwarm',
                      interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f'map {k} ({grid.shape[-2]}x{grid.shape[-1]})',
                             fontsize=7)
            if k == 0:
                ax.set_ylabel(name.replace('backbone.', ''), fontsize=6)
            if image is None:
                continue
            ax = axes[row][m + k]
            up = F.interpolate(grid[None, k:k + 1], size=image.shape[:2],
                               mode='bilinear', align_corners=False)[0, 0]
            ax.imshow(image)
            ax.imshow(up.numpy(), cmap='coolwarm', alpha=0.55)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f'map {k} over the image', fontsize=7)
    if title:
        fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    fig.canvas.draw()
    picture = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return picture


def denormalised_image(model: nn.Module, inputs: torch.Tensor) -> np.ndarray:
    """The first image of a preprocessed batch back as RGB uint8, using the
    model's data preprocessor's mean / std (channel order as fed)."""
    img = inputs[0].detach().float()
    pre = getattr(model, 'data_preprocessor', None)
    mean = getattr(pre, 'mean', None)
    std = getattr(pre, 'std', None)
    if mean is not None and std is not None:
        img = img * std.reshape(-1, 1, 1).cpu() + mean.reshape(-1, 1, 1).cpu()
    img = img.clamp(0, 255).byte().permute(1, 2, 0).numpy()
    # the flag's name differs: mmengine / mmdet ``_channel_conversion``,
    # mmseg ``channel_conversion``, mmpretrain ``to_rgb``
    to_rgb = any(getattr(pre, flag, False) for flag in (
        '_channel_conversion', 'channel_conversion', 'to_rgb'))
    return img if to_rgb else img[..., ::-1].copy()  # BGR as mmcv loads


__all__ = ['collect_sb_maps', 'denormalised_image', 'draw_sb_maps',
           'sb_modules']
