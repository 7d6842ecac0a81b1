"""Is spatial bias really there? One check for every SB backbone of every
library, used by the registry table (test_sb_is_there.py), the family tests,
the fuzz tests and the config corpus.

A backbone with its SB switched off, never added, or added but multiplied
by zero passes shape and parity checks against the stock model; it fails
these:

* placement: a :class:`SpatialBias` in every block of every stage that
  ``sb_stages`` flags and in no other block (the blocks are found from the
  libraries' own attributes, ``res_layers`` / HRNet's ``layer1`` and
  ``stage2-4`` / ConvNeXt's ``stages`` / MobileNet's ``layers`` and their
  inverted residuals, not from the mixin);
* contribution: the output differs from the same weights with the maps of
  all SB layers zeroed, and with the maps of each flagged stage zeroed;
* learning: every SB parameter (``.sb.``, ``.sb_norm.``, ``.sb_input.``,
  and the modules a project's variant adds, ``sb_names``) and the
  consumer's SB input columns get a non-zero float32 gradient.
"""
import re
from typing import Callable, List, Optional, Sequence

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from sb_mm.layers.names import SB_MODULE_NAMES
from sb_mm.layers.spatial_bias import SpatialBias

#: parameters that belong to spatial bias (the stock ones keep stock names)
SB_PARAM = re.compile(r'(^|\.)(' + '|'.join(SB_MODULE_NAMES) + r')\.')


def stage_blocks(backbone: nn.Module) -> List[List[nn.Module]]:
    """Per stage, the residual blocks, from the library's own attributes."""
    if hasattr(backbone, 'res_layers'):
        return [list(getattr(backbone, name)) for name in backbone.res_layers]
    if hasattr(backbone, 'stage2'):  # HRNet
        stages = [list(backbone.layer1)]
        for name in ('stage2', 'stage3', 'stage4'):
            stages.append([block for module in getattr(backbone, name)
                           for branch in module.branches
                           for block in branch])
        return stages
    if hasattr(backbone, 'stages') and hasattr(backbone,
                                               'downsample_layers'):
        return [list(stage) for stage in backbone.stages]  # ConvNeXt
    if hasattr(backbone, 'layers'):  # MobileNetV2 / V3
        stages = []
        for name in backbone.layers:
            layer = getattr(backbone, name)
            if _inverted_residual(layer):
                stages.append([layer])
            elif isinstance(layer, nn.Sequential) and all(
                    _inverted_residual(block) for block in layer):
                stages.append(list(layer))
        return stages
    raise TypeError(f'{type(backbone).__name__}: not a backbone this check '
                    'knows (no res_layers, HRNet, ConvNeXt or MobileNet '
                    'stages)')


def _inverted_residual(module: nn.Module) -> bool:
    """The libraries' inverted-residual blocks, by their class names."""
    return any(cls.__name__.startswith('InvertedResidual')
               for cls in type(module).__mro__)


def sb_layers(module: nn.Module) -> List[SpatialBias]:
    return [m for m in module.modules() if isinstance(m, SpatialBias)]


def assert_sb_placement(backbone: nn.Module) -> List[List[SpatialBias]]:
    """SB in exactly the blocks of the stages ``backbone.sb_stages`` flags,
    one layer a block; returns the SB layers per stage."""
    flags = getattr(backbone, 'sb_stages', None)
    assert flags is not None, \
        f'{type(backbone).__name__} has no sb_stages: not an SB backbone'
    stages = stage_blocks(backbone)
    assert len(flags) == len(stages), (flags, len(stages))
    per_stage = []
    for i, (flag, blocks) in enumerate(zip(flags, stages)):
        counts = [len(sb_layers(b)) for b in blocks]
        assert counts == [int(bool(flag))] * len(blocks), \
            f'stage {i + 1} (sb_stages {flag}): SB layers per block {counts}'
        per_stage.append([layer for b in blocks for layer in sb_layers(b)])
    found = len(sb_layers(backbone))
    placed = sum(len(s) for s in per_stage)
    assert found == placed, f'{found - placed} SB layers outside the blocks'
    return per_stage


def _flat(out) -> List[torch.Tensor]:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def trained_like(model: nn.Module) -> None:
    """Norm weights and statistics (BatchNorm, GroupNorm, LayerNorm) and
    layer scales as a trained model has them: the libraries'
    ``zero_init_residual`` zeroes each block's last norm, which would hide
    whatever the block computes, SB included."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (_BatchNorm, nn.GroupNorm)) and m.affine or \
                    isinstance(m, nn.LayerNorm) and m.elementwise_affine:
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
            if isinstance(m, _BatchNorm) and m.running_mean is not None:
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
        # ConvNeXt's layer scale starts at 1e-6: the blocks would be close
        # to the identity
        for name, p in model.named_parameters():
            if name.endswith('.gamma'):
                p.uniform_(0.5, 1.5)


def _zeroing(layers):
    return [layer.register_forward_hook(lambda m, i, o: torch.zeros_like(o))
            for layer in layers]


def assert_sb_is_there(backbone: nn.Module, x: torch.Tensor,
                       forward: Optional[Callable] = None,
                       grads: bool = True,
                       sb_names: Sequence[str] = ()) -> None:
    """Placement, contribution and learning (see the module docstring), in
    float32; ``forward(backbone, x)`` replaces ``backbone(x)`` (DetectoRS'
    ``rfp_forward``). Expects fresh SB weights (a stock checkpoint zeroes
    the consumer's SB columns, so the maps do not change the output yet);
    sets the norms' weights and statistics to trained-like values.
    ``sb_names``: module names beyond the library's that hold SB
    parameters."""
    per_stage = assert_sb_placement(backbone)
    layers = [layer for stage in per_stage for layer in stage]
    assert layers, 'no stage has SB: nothing to check'
    trained_like(backbone)
    forward = forward or (lambda model, inputs: model(inputs))
    backbone.eval()
    with torch.no_grad():
        ref = _flat(forward(backbone, x))
        for name, zeroed in [('every stage', layers)] + [
                (f'stage {i + 1}', stage)
                for i, stage in enumerate(per_stage) if stage]:
            hooks = _zeroing(zeroed)
            try:
                out = _flat(forward(backbone, x))
            finally:
                for h in hooks:
                    h.remove()
            assert any(not torch.equal(a, b) for a, b in zip(out, ref)), \
                f'zeroing the SB maps of {name} does not change the output'
    if not grads:
        return
    # in training mode: the norms use the batch's statistics, so no SB
    # reduction is dead by chance (with fixed statistics a block's reduced
    # channels can all sit below zero, and ReLU passes no gradient)
    backbone.train()
    backbone.zero_grad(set_to_none=True)
    sum(o.float().square().mean() for o in _flat(forward(backbone, x))) \
        .backward()
    extra = re.compile(r'(^|\.)(' + '|'.join(sb_names) + r')\.') \
        if sb_names else None
    params = {n: p for n, p in backbone.named_parameters()
              if p.requires_grad and (SB_PARAM.search(n) or (
                  extra is not None and extra.search(n)))}
    assert params, 'no trainable SB parameter'
    dead = [n for n, p in params.items()
            if p.grad is None or not p.grad.abs().sum() > 0]
    assert not dead, f'SB parameters without a gradient: {dead}'
    for name, stock_in in getattr(backbone, '_sb_widened_convs', {}).items():
        conv = backbone.get_submodule(name)
        weight = getattr(conv, 'conv', conv).weight
        if weight.shape[1] > stock_in:  # else: a separate sb_input conv
            grad = weight.grad
            assert grad is not None and grad[:, stock_in:].abs().sum() > 0, \
                f'{name}: no gradient in its SB input columns'
