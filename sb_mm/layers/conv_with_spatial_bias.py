"""A convolution that also emits spatial-bias maps, keeping its own names."""
import sys
from typing import Dict

import torch
import torch.nn as nn

from .memory_format import cat_channels
from .spatial_bias import SpatialBias


class SpatialBiasOutputMixin:
    """Makes a conv layer return ``cat([conv(x), sb(x)], dim=1)``.

    ``x`` (B, C_in, H, W) -> (B, C_out + m, H_out, W_out), where the m
    spatial-bias maps are computed from the conv's own input and resized to
    the conv's output size. The conv keeps its parameter names (``weight``,
    DCN's ``conv_offset.*``, ...); the spatial bias lives under ``sb.*``.

    Because the conv's input and output are exactly where the paper reads and
    writes spatial bias (conv2 of a bottleneck, conv1 of a basic block), each
    library's own block ``forward()`` runs unchanged around it.
    """

    sb: SpatialBias

    def forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        out = super().forward(x, *args, **kwargs)
        return cat_channels([out, self.sb(x, out.shape[-2:])])


class Conv2dWithSpatialBias(SpatialBiasOutputMixin, nn.Conv2d):
    """``nn.Conv2d`` that also emits spatial-bias maps (see the mixin)."""


_CLASSES: Dict[type, type] = {nn.Conv2d: Conv2dWithSpatialBias}


def _with_spatial_bias_class(conv_cls: type) -> type:
    """The subclass of ``conv_cls`` that emits spatial-bias maps (cached).

    Other conv types (mmcv's DCN, ConvWS, ...) get a subclass made once and
    published in this module under a unique name, so models still pickle.
    """
    if conv_cls in _CLASSES:
        return _CLASSES[conv_cls]
    if issubclass(conv_cls, SpatialBiasOutputMixin):
        return conv_cls
    name = f'{conv_cls.__name__}WithSpatialBias'
    module = sys.modules[__name__]
    if hasattr(module, name):  # same class name from another module
        name = f'{conv_cls.__module__.replace(".", "_")}_{name}'
    cls = type(name, (SpatialBiasOutputMixin, conv_cls), {
        '__module__': __name__,
        '__qualname__': name,
        '__doc__': f'{conv_cls.__name__} that also emits spatial-bias maps.',
    })
    setattr(module, name, cls)
    _CLASSES[conv_cls] = cls
    return cls


def attach_spatial_bias(conv: nn.Module, sb: SpatialBias) -> nn.Module:
    """Turns ``conv`` in place into a conv that also emits ``sb``'s maps.

    Its parameters, buffers and names stay as they are; ``sb`` is added as
    the submodule ``sb``. Returns ``conv``.
    """
    inner = getattr(conv, 'conv', conv)  # a wrapper keeps its conv as .conv
    channels = getattr(conv, 'in_channels', getattr(inner, 'in_channels',
                                                    sb.in_channels))
    if channels != sb.in_channels:
        raise ValueError(
            f'attach_spatial_bias: conv has {channels} input '
            f'channels, the spatial bias expects {sb.in_channels}')
    conv.__class__ = _with_spatial_bias_class(type(conv))
    conv.sb = sb
    return conv
