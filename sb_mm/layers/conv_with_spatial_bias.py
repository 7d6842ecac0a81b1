"""A convolution that also emits spatial-bias maps, keeping its own names."""
import torch
import torch.nn as nn

from .memory_format import cat_channels
from .mixed_class import mixed_class
from .spatial_bias import SpatialBias
from .widen import conv_in_channels


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


class SpatialBiasFromInputMixin:
    """Makes a conv over C input channels read its input and the m
    spatial-bias maps of that input: ``conv(cat([x, relu(sb_norm(sb(x)))],
    dim=1))``, its weight (C_out, C + m, kh, kw).

    ``x`` (B, C, H, W) -> (B, C_out, H_out, W_out). For blocks whose spatial
    step is not one conv (Res2Net's multi-scale 3x3 convs over channel
    groups, concatenated inside ``forward()``): there no single conv can
    emit the maps, so the conv after the spatial step (conv3) computes them
    from what it reads, the whole spatial step's output, and normalises
    them (``sb_norm``) and applies ReLU as a bottleneck's norm2 + ReLU would.
    """

    sb: SpatialBias
    sb_norm: nn.Module

    def forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        maps = torch.relu(self.sb_norm(self.sb(x)))
        return super().forward(cat_channels([x, maps]), *args, **kwargs)


class SpatialBiasFromChannelLastInputMixin:
    """:class:`SpatialBiasFromInputMixin` for an ``nn.Linear`` that runs as
    a pointwise conv over channel-last features (ConvNeXt's
    ``pointwise_conv1`` with ``linear_pw_conv=True``): ``linear(cat([x,
    relu(sb_norm(sb(x)))], dim=-1))``, the maps computed in (B, C, H, W)
    order and moved to channel-last, its weight (C_out, C + m).

    ``x`` (B, H, W, C) -> (B, H, W, C_out).
    """

    sb: SpatialBias
    sb_norm: nn.Module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x.permute(0, 3, 1, 2) is x as a channels_last (B, C, H, W) tensor;
        # the maps keep that format, so moving them back copies nothing
        maps = torch.relu(self.sb_norm(self.sb(x.permute(0, 3, 1, 2))))
        return super().forward(torch.cat([x, maps.permute(0, 2, 3, 1)], -1))


def attach_spatial_bias_from_input(conv: nn.Module, sb: SpatialBias,
                                   sb_norm: nn.Module) -> nn.Module:
    """Turns ``conv``, already widened to C + m inputs (``widen_input``), in
    place into a :class:`SpatialBiasFromInputMixin` conv (an ``nn.Linear``:
    :class:`SpatialBiasFromChannelLastInputMixin`) with ``sb`` (over C) and
    ``sb_norm`` (over m). Returns ``conv``."""
    width = conv_in_channels(conv)
    if width != sb.in_channels + sb.out_channels:
        raise ValueError(
            f'attach_spatial_bias_from_input: conv has {width} '
            f'inputs, expected {sb.in_channels} + {sb.out_channels} maps')
    if isinstance(conv, nn.Linear):
        mixin = SpatialBiasFromChannelLastInputMixin
        doc = ('that also reads the spatial-bias maps of its channel-last '
               'input.')
    else:
        mixin = SpatialBiasFromInputMixin
        doc = 'that also reads the spatial-bias maps of its input.'
    conv.__class__ = mixed_class(mixin, type(conv), 'WithSpatialBiasFromInput',
                                 doc, __name__)
    conv.sb = sb
    conv.sb_norm = sb_norm
    return conv


def _with_spatial_bias_class(conv_cls: type) -> type:
    """The subclass of ``conv_cls`` that emits spatial-bias maps (cached)."""
    if conv_cls is nn.Conv2d:
        return Conv2dWithSpatialBias
    return mixed_class(SpatialBiasOutputMixin, conv_cls, 'WithSpatialBias',
                       'that also emits spatial-bias maps.', __name__)


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
