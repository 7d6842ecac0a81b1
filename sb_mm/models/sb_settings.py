"""The arguments the SB backbones add, their defaults (the paper's) and their
checks: ``sb_cfg`` and the per-stage flags of ``sb_stages`` and
``block_plugins``; and the one way a project adds an ``sb_cfg`` key of its
own (:class:`SBCfgOption`)."""
import warnings
from typing import Dict, Optional

import numpy as np

from ..layers.spatial_bias import GRID_SIZE, KERNEL_SIZE, REDUCED_CHANNELS

SB_CFG_DEFAULTS = dict(reduced_channels=REDUCED_CHANNELS,
                       grid_size=GRID_SIZE, kernel_size=KERNEL_SIZE,
                       norm_cfg=None)
#: Paper: spatial bias in stages 1-3 of ResNet-50.
SB_STAGES_DEFAULT = (True, True, True, False)
#: keys that sb_mm accepted once and that now do nothing, -> why
DEPRECATED_SB_CFG_KEYS = dict(
    fused='the fused SB forward was removed after 0.2.0: it showed no '
    'speed-up beyond noise at model level (docs/en/results/benchmark.md); '
    "SB always runs the paper's steps")
#: keys of the long-range study's rejected variants, -> where they live
STUDY_SB_CFG_KEYS = dict(
    shared_mix='projects/long_range_study',
    add_to_output='projects/long_range_study')


class SBCfgOption:
    """An ``sb_cfg`` key beyond the library's, added by a project (the SB
    variants of ``projects/long_range_study``): subclass it, give ``name``
    and ``default``, and :func:`register_sb_cfg_option` an instance.

    A backbone built with the key set to anything but ``default`` calls
    :meth:`add_to_block` for every block that got SB, and
    :meth:`init_weights` after the library's initialisation (not when the
    backbone's ``init_cfg`` is ``Pretrained``).
    """

    name: str = ''
    default = None

    def check(self, value):
        """The value to use, or ``ValueError`` naming the key."""
        return value

    def add_to_block(self, backbone, block, emit: Optional[str], sb,
                     value) -> None:
        """Changes ``block`` after SB went in: ``emit`` names the conv that
        emits the maps (None where the consumer computes them, Res2Net),
        ``sb`` is the block's :class:`~sb_mm.layers.SpatialBias`."""

    def init_weights(self, backbone, value) -> None:
        """Runs after the backbone's ``init_weights``."""


#: name -> option, the keys projects registered
SB_CFG_OPTIONS: Dict[str, SBCfgOption] = {}


def register_sb_cfg_option(option: SBCfgOption) -> SBCfgOption:
    """Adds ``option`` as a valid ``sb_cfg`` key of every SB backbone.
    Registering the same name again replaces the option (a module imported
    twice); a library key raises ``ValueError``."""
    if not option.name or option.name in SB_CFG_DEFAULTS \
            or option.name in DEPRECATED_SB_CFG_KEYS:
        raise ValueError(
            f'register_sb_cfg_option: {option.name!r} is not a free sb_cfg '
            'key')
    SB_CFG_OPTIONS[option.name] = option
    return option


def active_sb_cfg_options(sb_cfg: dict):
    """``(option, value)`` of the registered options that ``sb_cfg`` sets to
    something other than their default."""
    return [(option, sb_cfg[name]) for name, option in SB_CFG_OPTIONS.items()
            if name in sb_cfg and sb_cfg[name] != option.default]


def check_sb_cfg(sb_cfg: Optional[dict]) -> dict:
    """``sb_cfg`` with defaults filled in; unknown keys raise
    ``ValueError``; a deprecated key is checked, warned about and dropped."""
    if sb_cfg is None:
        sb_cfg = {}
    if not isinstance(sb_cfg, dict):
        raise ValueError(f'sb_cfg must be a dict, got {sb_cfg!r}')
    sb_cfg = dict(sb_cfg)
    for key, why in DEPRECATED_SB_CFG_KEYS.items():
        if key in sb_cfg:
            value = sb_cfg.pop(key)
            if not isinstance(value, bool):
                raise ValueError(
                    f'sb_cfg: {key} must be a bool, got {value!r}')
            warnings.warn(f'sb_cfg.{key} is deprecated and ignored: {why}',
                          DeprecationWarning, stacklevel=3)
    valid = set(SB_CFG_DEFAULTS) | set(SB_CFG_OPTIONS)
    moved = sorted(set(sb_cfg) & set(STUDY_SB_CFG_KEYS) - valid)
    if moved:
        raise ValueError(
            f'sb_cfg: {moved[0]} is a variant of the long-range study, not '
            f'an option of the library: it lives in '
            f'{STUDY_SB_CFG_KEYS[moved[0]]}/ (add '
            "'projects.long_range_study.study' to custom_imports, with the "
            'repository root on PYTHONPATH)')
    unknown = sorted(set(sb_cfg) - valid)
    if unknown:
        raise ValueError(
            f'sb_cfg: unknown key(s) {unknown}; valid keys are '
            f'{sorted(valid)}')
    out = {**SB_CFG_DEFAULTS, **sb_cfg}
    for name, option in SB_CFG_OPTIONS.items():
        if name in out:
            out[name] = option.check(out[name])
    return out


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


__all__ = ['SB_CFG_DEFAULTS', 'SB_CFG_OPTIONS', 'SB_STAGES_DEFAULT',
           'SBCfgOption', 'active_sb_cfg_options', 'check_sb_cfg',
           'check_stage_flags', 'register_sb_cfg_option']
