"""Put spatial bias into any block: one call on the block's own modules."""
from typing import Optional

import torch.nn as nn
from mmcv.cnn import build_norm_layer

from .conv_with_spatial_bias import (
    attach_spatial_bias,
    attach_spatial_bias_from_input,
)
from .norm_with_spatial_bias import attach_sb_norm
from .spatial_bias import (
    GRID_SIZE,
    KERNEL_SIZE,
    REDUCED_CHANNELS,
    SpatialBias,
)
from .widen import (
    attach_sb_input,
    conv_in_channels,
    standardises_weight,
    widen_conv_input,
    widen_input,
)


def add_spatial_bias(block: nn.Module,
                     conv: Optional[str],
                     consumer: str,
                     norm: Optional[str] = None,
                     sb_norm_cfg: Optional[dict] = None,
                     reduced_channels: int = REDUCED_CHANNELS,
                     grid_size: int = GRID_SIZE,
                     kernel_size: int = KERNEL_SIZE) -> SpatialBias:
    """Adds spatial bias to ``block`` in place, where the paper puts it.

    The submodule named ``conv`` (a spatial conv of the block) also emits the
    m = reduced_channels - kernel_size + 1 SB maps computed from its own
    input, concatenated after its C output channels; ``norm`` (the norm
    between that conv and the next one, if any) gets an ``sb_norm`` for the
    maps and keeps its stock function over C; ``consumer`` (the conv that
    reads them) is replaced by a copy with m more input channels, whose
    weights for them are fresh (a weight-standardised consumer keeps its
    weight and gets an ``sb_input`` conv for the maps instead). The
    block's ``forward()`` runs unchanged.
    Names are dotted paths inside ``block`` (``'conv2'``, ``'branch.1'``).

    ``conv=None`` is for blocks whose spatial step is not one conv
    (Res2Net), or is followed by more than a norm before the consumer
    (ConvNeXt's LayerNorm over channel-last features, MobileNet's
    squeeze-excitation): ``consumer`` then computes the maps from its own
    input, normalises them with a ``sb_norm_cfg`` norm and ReLU, and reads
    them beside that input (:class:`SpatialBiasFromInputMixin`; an
    ``nn.Linear`` consumer reads channel-last features,
    :class:`SpatialBiasFromChannelLastInputMixin`); ``norm`` must be None.

    Returns the :class:`SpatialBias` layer (``block.<conv>.sb``, or
    ``block.<consumer>.sb`` when ``conv`` is None).

    Example, a torchvision Bottleneck (conv1 -> bn1 -> conv2 -> bn2 ->
    conv3)::

        from torchvision.models.resnet import Bottleneck
        from sb_mm.layers import add_spatial_bias
        block = Bottleneck(256, 64)
        add_spatial_bias(block, conv='conv2', norm='bn2', consumer='conv3')
        block(torch.randn(2, 256, 56, 56))  # (2, 256, 56, 56)
    """
    sb_kwargs = dict(reduced_channels=reduced_channels, grid_size=grid_size,
                     kernel_size=kernel_size, norm_cfg=sb_norm_cfg)
    parent_name, _, attr = consumer.rpartition('.')
    parent = block.get_submodule(parent_name) if parent_name else block
    old = getattr(parent, attr)
    if conv is None:
        if norm is not None or standardises_weight(old):
            raise ValueError(
                'add_spatial_bias: with conv=None the consumer computes and '
                'normalises the maps itself: give norm=None and a consumer '
                'that does not standardise its weight')
        sb = SpatialBias(conv_in_channels(old), **sb_kwargs)
        sb_norm = build_norm_layer(sb_norm_cfg or dict(type='BN'),
                                   sb.out_channels)[1]
        setattr(parent, attr, attach_spatial_bias_from_input(
            widen_input(old, sb.out_channels), sb, sb_norm))
        return sb
    emitting = block.get_submodule(conv)
    sb = SpatialBias(conv_in_channels(emitting), **sb_kwargs)
    attach_spatial_bias(emitting, sb)
    if norm is not None:
        attach_sb_norm(block.get_submodule(norm), sb.out_channels)
    if standardises_weight(old):  # keep its standardisation stock
        attach_sb_input(old, sb.out_channels)
    else:
        setattr(parent, attr, widen_conv_input(old, sb.out_channels))
    return sb


__all__ = ['add_spatial_bias']
