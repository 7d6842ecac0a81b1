"""The study's two SB variants as ``sb_cfg`` keys of every SB backbone,
registered on import (:class:`sb_mm.models.sb_settings.SBCfgOption`):
``shared_mix`` and ``add_to_output`` (both False: the paper's layer)."""
import torch.nn as nn

from sb_mm.layers.after_block_plugins import block_out_channels
from sb_mm.models.sb_settings import SBCfgOption, register_sb_cfg_option

from .maps_to_output import attach_maps_to_output
from .shared_mix import attach_shared_mix


def _check_bool(name, value):
    if not isinstance(value, bool):
        raise ValueError(f'sb_cfg: {name} must be a bool, got {value!r}')
    return value


class SharedMixOption(SBCfgOption):
    """``sb_cfg.shared_mix=True``: every SB layer gets a mixing row shared
    by all grid positions (:mod:`.shared_mix`)."""

    name = 'shared_mix'
    default = False

    def check(self, value):
        return _check_bool(self.name, value)

    def add_to_block(self, backbone, block, emit, sb, value):
        attach_shared_mix(sb)


class AddToOutputOption(SBCfgOption):
    """``sb_cfg.add_to_output=True``: every SB block also adds its maps to
    its output through a zero-initialised 1x1 conv
    (:mod:`.maps_to_output`)."""

    name = 'add_to_output'
    default = False

    def check(self, value):
        return _check_bool(self.name, value)

    def add_to_block(self, backbone, block, emit, sb, value):
        if emit is None:
            raise ValueError(
                f'sb_cfg.add_to_output: {type(backbone).__name__} computes '
                'its maps inside the consumer conv (Res2Net); the option '
                'needs a conv that emits them')
        attach_maps_to_output(block, emit, sb.out_channels,
                              block_out_channels(block))

    def init_weights(self, backbone, value):
        """The libraries' Kaiming rule re-initialises every Conv2d; the
        ``sb_to_output`` convs must start at zero."""
        for module in backbone.modules():
            conv = getattr(module, 'sb_to_output', None)
            if isinstance(conv, nn.Conv2d):
                nn.init.zeros_(conv.weight)
                nn.init.zeros_(conv.bias)


register_sb_cfg_option(SharedMixOption())
register_sb_cfg_option(AddToOutputOption())

__all__ = ['AddToOutputOption', 'SharedMixOption']
