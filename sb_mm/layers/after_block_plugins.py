"""Plugin layers (mmcv's ``NonLocal2d``, ``ContextBlock``, ...) run on a
residual block's output, for any block type."""
from typing import List

import torch
import torch.nn as nn

from .mixed_class import mixed_class


class AfterBlockPluginsMixin:
    """Makes a residual block return ``plugins(block(x))``.

    ``x`` (B, C_in, H, W) -> block -> (B, C, H', W') -> each plugin in
    ``after_block_plugin_names`` in turn -> (B, C, H', W'). The stock
    ``plugins`` of MMDetection / MMSegmentation place a plugin inside a
    bottleneck and are not implemented for basic blocks; this places it where
    Wang et al. put non-local blocks, after the block, for both.
    """

    after_block_plugin_names: List[str]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = super().forward(x)
        for name in self.after_block_plugin_names:
            out = getattr(self, name)(out)
        return out


def _with_plugins_class(block_cls: type) -> type:
    return mixed_class(AfterBlockPluginsMixin, block_cls, 'WithPlugins',
                       'followed by plugin layers.', __name__)


def block_out_channels(block: nn.Module) -> int:
    """Output channels of a block: its last conv (a ResNet bottleneck's
    conv3, a basic block's conv2, ConvNeXt's ``pointwise_conv2``, an
    inverted residual's projection ``linear_conv`` or ``conv[-1]``)."""
    last = None
    for name in ('conv3', 'conv2', 'pointwise_conv2', 'linear_conv'):
        last = getattr(block, name, None)
        if last is not None:
            break
    if last is None and isinstance(getattr(block, 'conv', None),
                                   nn.Sequential):
        last = block.conv[-1]
    if last is None:
        raise TypeError(
            f'block_plugins: cannot tell the output channels of '
            f'{type(block).__name__}')
    last = getattr(last, 'conv', last)  # a ConvModule's conv
    return last.out_features if isinstance(last, nn.Linear) \
        else last.out_channels


def attach_after_block(block: nn.Module, cfg: dict) -> str:
    """Builds the mmcv plugin ``cfg`` for ``block``'s output channels, adds it
    to ``block`` and runs it after the block. Returns the submodule name."""
    from mmcv.cnn import build_plugin_layer
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise ValueError(f'block_plugins: cfg must be a dict with a type, '
                         f'got {cfg!r}')
    block.__class__ = _with_plugins_class(type(block))
    names = list(getattr(block, 'after_block_plugin_names', []))
    name, layer = build_plugin_layer(
        cfg, postfix=f'_after_block{len(names) or ""}',
        in_channels=block_out_channels(block))
    block.add_module(name, layer)
    block.after_block_plugin_names = names + [name]
    return name
