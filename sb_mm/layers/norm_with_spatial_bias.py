"""A norm layer that also normalises the spatial-bias maps, keeping its own
names and shapes."""
from typing import List

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from .memory_format import cat_channels
from .mixed_class import mixed_class, stock_class
from .names import SB_NORM


class SpatialBiasNormMixin:
    """Makes a norm layer over C channels take C + m: the first C channels
    go through the layer itself (stock function, stock parameter names and
    shapes), the m spatial-bias maps through its submodule ``sb_norm``.

    ``x`` (B, C + m, H, W) -> (B, C + m, H, W). For BatchNorm-type layers
    ``sb_norm`` is the same type over m channels, so the pair computes
    exactly what one BatchNorm over C + m channels computes (per-channel
    statistics split exactly). For other norms (GroupNorm,
    GroupNorm under weight-standardised convs, LayerNorm-type, ...) the stock
    norm keeps its groups over C and ``sb_norm`` normalises the maps on
    their own (:func:`sb_norm_for`).
    """

    sb_norm: nn.Module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return split_forward(super().forward, self, x)


def split_forward(stock_forward, norm: nn.Module,
                  x: torch.Tensor) -> torch.Tensor:
    """``cat([stock_forward(x[:, :C]), norm.sb_norm(x[:, C:])], 1)`` with C
    the channels ``norm`` normalises, in ``x``'s memory format: a split
    norm's forward as two norms (also what ``sb_mm.compat``'s shim 5 runs
    for a norm that lost its class)."""
    channels = norm_channels(norm)
    return cat_channels([stock_forward(x[:, :channels]),
                         norm.sb_norm(x[:, channels:])])


def norm_channels(norm: nn.Module) -> int:
    """The channels a norm layer normalises (BatchNorm's ``num_features``,
    GroupNorm's ``num_channels``)."""
    return norm.num_features if hasattr(norm, 'num_features') \
        else norm.num_channels


def sb_norm_for(norm: nn.Module, extra: int) -> nn.Module:
    """The norm of the m SB maps beside ``norm``: the same BatchNorm type
    (eps, momentum, affine, tracking, ``requires_grad`` as ``norm``) for
    BatchNorm-type layers; for any other norm a ``GroupNorm(1, m)`` (the
    maps normalised together per image, as GroupNorm / LayerNorm do),
    affine as ``norm``."""
    if isinstance(norm, _BatchNorm):
        new = stock_class(norm)(extra, eps=norm.eps, momentum=norm.momentum,
                  affine=norm.affine,
                  track_running_stats=norm.track_running_stats)
    else:
        new = nn.GroupNorm(1, extra, eps=getattr(norm, 'eps', 1e-5),
                           affine=getattr(norm, 'affine',
                                          getattr(norm, 'elementwise_affine',
                                                  True)))
    for name, param in new.named_parameters(recurse=False):
        own = getattr(norm, name, None)
        if isinstance(own, nn.Parameter):
            param.requires_grad = own.requires_grad
    new.train(norm.training)
    return new


def attach_sb_norm(norm: nn.Module, extra: int) -> nn.Module:
    """Turns ``norm`` in place into a norm over C + ``extra`` channels whose
    stock part is itself (parameters, buffers, names unchanged) and whose
    last ``extra`` channels go through a new ``sb_norm``
    (:func:`sb_norm_for`). Returns ``norm``."""
    sb_norm = sb_norm_for(norm, extra)
    norm.__class__ = mixed_class(
        SpatialBiasNormMixin, type(norm), 'WithSpatialBias',
        'that also normalises spatial-bias maps.', __name__)
    norm.sb_norm = sb_norm
    return norm


#: the per-channel tensors of a norm layer
NORM_TENSORS = ('weight', 'bias', 'running_mean', 'running_var')


def split_norm_state(state: dict, base: str, channels: int) -> List[str]:
    """Splits, in place, the tensors of a norm over C + m channels saved as
    one layer (``base + 'weight'`` etc.; sb_mm 0.1.0 and the authors'
    layout) into the stock norm over the first ``channels`` and
    ``base + 'sb_norm.'`` over the rest: the same per-channel values. A
    state that already has ``sb_norm`` tensors is left alone. Returns the
    keys split."""
    if any(k.startswith(f'{base}{SB_NORM}.') for k in state):
        return []
    split = []
    for name in NORM_TENSORS:
        src = state.get(base + name)
        if src is None or src.dim() != 1 or src.shape[0] <= channels:
            continue
        state[base + name] = src[:channels].clone()
        state[f'{base}{SB_NORM}.{name}'] = src[channels:].clone()
        split.append(base + name)
    count = state.get(base + 'num_batches_tracked')
    if count is not None and split:
        state[f'{base}{SB_NORM}.num_batches_tracked'] = count.clone()
    return split


def merge_norm_state(state: dict, base: str) -> List[str]:
    """The inverse of :func:`split_norm_state`, in place: ``base +
    'sb_norm.'`` tensors appended to the stock norm's (one layer over C +
    m, as the authors' layout saves it). Returns the keys merged."""
    merged = []
    for name in NORM_TENSORS:
        side = state.pop(f'{base}{SB_NORM}.{name}', None)
        if side is not None:
            state[base + name] = torch.cat([state[base + name], side])
            merged.append(base + name)
    state.pop(f'{base}{SB_NORM}.num_batches_tracked', None)
    return merged


__all__ = ['NORM_TENSORS', 'SpatialBiasNormMixin', 'attach_sb_norm',
           'merge_norm_state', 'sb_norm_for', 'split_forward',
           'split_norm_state']
