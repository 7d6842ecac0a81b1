"""Give a conv a few more input channels (for the SB maps)."""
import copy

import torch
import torch.nn as nn
from mmcv.cnn.bricks.conv_ws import ConvAWS2d, ConvWS2d

from .mixed_class import mixed_class


def widen_conv_input(conv: nn.Conv2d, extra: int) -> nn.Conv2d:
    """A copy of ``conv`` that takes ``extra`` more input channels.

    Same class, settings and ``requires_grad``; weight (C_out, C_in + extra,
    kh, kw), freshly initialised by the conv's own ``reset_parameters``.
    """
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(
            f'widen_conv_input: expected an nn.Conv2d, got {type(conv)}')
    if conv.groups != 1:
        raise ValueError('widen_conv_input: grouped convs cannot take the '
                         f'spatial-bias maps (groups={conv.groups})')
    w = conv.weight
    # a copy of everything but the weight, which is replaced (copying it
    # was a fifth of the build time of the config corpus's models)
    new = copy.deepcopy(conv, memo={id(w): None})
    new.in_channels = conv.in_channels + extra
    new.weight = nn.Parameter(
        torch.empty(w.shape[0], w.shape[1] + extra, *w.shape[2:],
                    dtype=w.dtype, device=w.device),
        requires_grad=w.requires_grad)
    new.reset_parameters()
    return new


def widen_linear_input(linear: nn.Linear, extra: int) -> nn.Linear:
    """A copy of ``linear`` that takes ``extra`` more input features (a
    pointwise conv written as ``nn.Linear`` over channel-last features, as
    in ConvNeXt's blocks).

    Same class, bias and ``requires_grad``; weight (C_out, C_in + extra),
    freshly initialised by the layer's own ``reset_parameters`` (the bias
    too, as a new layer's).
    """
    if not isinstance(linear, nn.Linear):
        raise TypeError(
            f'widen_linear_input: expected an nn.Linear, got {type(linear)}')
    w = linear.weight
    new = copy.deepcopy(linear, memo={id(w): None})
    new.in_features = linear.in_features + extra
    new.weight = nn.Parameter(
        torch.empty(w.shape[0], w.shape[1] + extra, dtype=w.dtype,
                    device=w.device),
        requires_grad=w.requires_grad)
    new.reset_parameters()
    return new


def widen_input(layer: nn.Module, extra: int) -> nn.Module:
    """:func:`widen_conv_input` for a conv, :func:`widen_linear_input` for
    an ``nn.Linear``."""
    if isinstance(layer, nn.Linear):
        return widen_linear_input(layer, extra)
    return widen_conv_input(layer, extra)


def conv_in_channels(conv: nn.Module) -> int:
    """Input channels of a conv (or of an ``nn.Linear`` used as a pointwise
    conv), or of a conv wrapper that keeps its conv as ``.conv`` (mmcv
    ``ConvModule``, ResNeSt's ``SplitAttentionConv2d``)."""
    if isinstance(conv, nn.Linear):
        return conv.in_features
    for module in (conv, getattr(conv, 'conv', None)):
        if isinstance(getattr(module, 'in_channels', None), int):
            return module.in_channels
    raise TypeError(f'cannot tell the input channels of {type(conv)}')


class SpatialBiasInputMixin:
    """Makes a conv over C input channels take C + m: ``conv(x[:, :C]) +
    sb_input(x[:, C:])``, with ``sb_input`` a plain conv of the same
    geometry over the m SB maps, no bias.

    For convs that standardise their weight (mmcv ``ConvWS2d``,
    ``ConvAWS2d``): widening such a weight with zero columns would change
    the standardisation of the stock columns, so a stock checkpoint would no
    longer compute the stock function; kept apart, the stock conv keeps its
    weight, its standardisation and its shape.
    """

    sb_input: nn.Conv2d

    def forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        channels = self.in_channels
        return super().forward(x[:, :channels], *args, **kwargs) + \
            self.sb_input(x[:, channels:])


def standardises_weight(conv: nn.Module) -> bool:
    """mmcv's weight-standardised convs (``ConvWS2d``, ``ConvAWS2d`` and
    their subclasses, e.g. mmdet's ``SAConv2d``)."""
    return isinstance(conv, (ConvWS2d, ConvAWS2d))


def attach_sb_input(conv: nn.Conv2d, extra: int) -> nn.Conv2d:
    """Turns ``conv`` in place into one that also takes ``extra`` SB maps
    (:class:`SpatialBiasInputMixin`); ``conv.sb_input`` is initialised as
    the conv's own ``reset_parameters`` does. Returns ``conv``."""
    sb_input = nn.Conv2d(extra, conv.out_channels, conv.kernel_size,
                         conv.stride, conv.padding, conv.dilation,
                         bias=False).to(conv.weight.device, conv.weight.dtype)
    sb_input.weight.requires_grad = conv.weight.requires_grad
    conv.__class__ = mixed_class(
        SpatialBiasInputMixin, type(conv), 'WithSpatialBiasInput',
        'that also takes spatial-bias maps through sb_input.', __name__)
    conv.sb_input = sb_input
    return conv
