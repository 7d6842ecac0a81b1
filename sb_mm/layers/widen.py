"""Give a conv or a norm layer a few more input channels (for the SB maps)."""
import copy

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm


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
    new = copy.deepcopy(conv)
    w = conv.weight
    new.in_channels = conv.in_channels + extra
    new.weight = nn.Parameter(
        torch.empty(w.shape[0], w.shape[1] + extra, *w.shape[2:],
                    dtype=w.dtype, device=w.device),
        requires_grad=w.requires_grad)
    new.reset_parameters()
    return new


def widen_norm(norm: nn.Module, extra: int) -> nn.Module:
    """A fresh norm layer of the same kind over ``extra`` more channels."""
    if isinstance(norm, _BatchNorm):
        new = type(norm)(
            norm.num_features + extra,
            eps=norm.eps,
            momentum=norm.momentum,
            affine=norm.affine,
            track_running_stats=norm.track_running_stats)
    elif isinstance(norm, nn.GroupNorm):
        channels = norm.num_channels + extra
        if channels % norm.num_groups:
            raise ValueError(
                f'spatial bias adds {extra} channels to a GroupNorm of '
                f'{norm.num_channels} channels in {norm.num_groups} groups: '
                f'{channels} is not divisible by {norm.num_groups}. Use a '
                'BN-type norm_cfg for SB backbones, or a reduced_channels / '
                'kernel_size that keeps the count divisible')
        new = type(norm)(norm.num_groups, channels, eps=norm.eps,
                         affine=norm.affine)
    else:
        raise TypeError(
            f'spatial bias cannot widen a {type(norm).__name__}; '
            'supported: BatchNorm-type layers and GroupNorm')
    for name, param in new.named_parameters(recurse=False):
        param.requires_grad = getattr(norm, name).requires_grad
    new.train(norm.training)
    return new
