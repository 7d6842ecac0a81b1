"""The arguments the SB backbones add, their defaults (the paper's) and their
checks: ``sb_cfg`` and the per-stage flags of ``sb_stages`` and
``block_plugins``."""
from typing import Optional

import numpy as np

from ..layers.spatial_bias import GRID_SIZE, KERNEL_SIZE, REDUCED_CHANNELS

SB_CFG_DEFAULTS = dict(reduced_channels=REDUCED_CHANNELS,
                       grid_size=GRID_SIZE, kernel_size=KERNEL_SIZE,
                       norm_cfg=None, fused=True, shared_mix=False,
                       add_to_output=False)
#: Paper: spatial bias in stages 1-3 of ResNet-50.
SB_STAGES_DEFAULT = (True, True, True, False)


def check_sb_cfg(sb_cfg: Optional[dict]) -> dict:
    """``sb_cfg`` with defaults filled in; unknown keys raise
    ``ValueError``."""
    if sb_cfg is None:
        sb_cfg = {}
    if not isinstance(sb_cfg, dict):
        raise ValueError(f'sb_cfg must be a dict, got {sb_cfg!r}')
    unknown = sorted(set(sb_cfg) - set(SB_CFG_DEFAULTS))
    if unknown:
        raise ValueError(
            f'sb_cfg: unknown key(s) {unknown}; valid keys are '
            f'{sorted(SB_CFG_DEFAULTS)}')
    if not isinstance(sb_cfg.get('add_to_output', False), bool):
        raise ValueError('sb_cfg: add_to_output must be a bool, got '
                         f"{sb_cfg['add_to_output']!r}")
    return {**SB_CFG_DEFAULTS, **sb_cfg}


def check_stage_flags(name: str, flags, num_stages: int) -> tuple:
    """One bool per stage, as a tuple. Strings (``'TTTF'``, ``('True',
    'False')``), numbers other than 0 / 1 and a wrong count raise
    ``ValueError`` naming ``name``: ``bool('False')`` is True, so such a
    value would otherwise switch SB on in every stage."""
    if isinstance(flags, (str, bytes)) or not isinstance(flags,
                                                           (list, tuple)):
        raise ValueError(
            f'{name} must be a list or tuple of {num_stages} bools (one per '
            f'stage), got {flags!r}')
    out = []
    for i, flag in enumerate(flags):
        if isinstance(flag, (bool, np.bool_)):
            out.append(bool(flag))
        elif isinstance(flag, int) and flag in (0, 1):
            out.append(bool(flag))
        else:
            raise ValueError(
                f'{name}[{i}] must be True or False, got {flag!r} '
                f'({type(flag).__name__}) in {flags!r}')
    if len(out) != num_stages:
        raise ValueError(
            f'{name} has {len(out)} flags, but the backbone has '
            f'num_stages={num_stages}: give one flag per stage')
    return tuple(out)


__all__ = ['SB_CFG_DEFAULTS', 'SB_STAGES_DEFAULT', 'check_sb_cfg',
           'check_stage_flags']
