"""A norm layer that also normalises the spatial-bias maps, keeping its own
names and shapes."""
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
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
    statistics split exactly); it then runs as one ``F.batch_norm`` over the
    concatenated parameters and statistics. For other norms (GroupNorm,
    GroupNorm under weight-standardised convs, LayerNorm-type, ...) the stock
    norm keeps its groups over C and ``sb_norm`` normalises the maps on
    their own (:func:`sb_norm_for`).
    """

    sb_norm: nn.Module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _fusable(self, self.sb_norm):
            return _fused_batch_norm(self, self.sb_norm, x)
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


def _fusable(norm: nn.Module, sb_norm: nn.Module) -> bool:
    return (isinstance(norm, _BatchNorm)
            and type(sb_norm) is stock_class(norm)
            and not isinstance(norm, nn.SyncBatchNorm)
            and norm.affine == sb_norm.affine
            and norm.track_running_stats == sb_norm.track_running_stats
            and norm.eps == sb_norm.eps and norm.momentum == sb_norm.momentum)


def _cat(a: Optional[torch.Tensor], b: Optional[torch.Tensor]):
    return None if a is None else torch.cat([a, b])


def _fused_batch_norm(norm: _BatchNorm, sb_norm: _BatchNorm,
                      x: torch.Tensor) -> torch.Tensor:
    """``torch.cat([norm(x[:, :C]), sb_norm(x[:, C:])], 1)`` as one
    ``F.batch_norm``, with the running statistics of both updated as each
    would update its own (``_BatchNorm.forward``'s rules)."""
    factor = 0.0 if norm.momentum is None else norm.momentum
    if norm.training and norm.track_running_stats:
        for layer in (norm, sb_norm):
            if layer.num_batches_tracked is not None:
                layer.num_batches_tracked.add_(1)
        if norm.momentum is None:
            factor = 1.0 / float(norm.num_batches_tracked)
    use_batch_stats = norm.training or norm.running_mean is None
    mean = _cat(norm.running_mean, sb_norm.running_mean)
    var = _cat(norm.running_var, sb_norm.running_var)
    update = norm.training and norm.track_running_stats
    out = F.batch_norm(
        x, mean if (not norm.training or update) else None,
        var if (not norm.training or update) else None,
        _cat(norm.weight, sb_norm.weight), _cat(norm.bias, sb_norm.bias),
        use_batch_stats, factor, norm.eps)
    if update and mean is not None:  # batch_norm updated the copies
        channels = norm.num_features
        with torch.no_grad():
            norm.running_mean.copy_(mean[:channels])
            sb_norm.running_mean.copy_(mean[channels:])
            norm.running_var.copy_(var[:channels])
            sb_norm.running_var.copy_(var[channels:])
    return out


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
