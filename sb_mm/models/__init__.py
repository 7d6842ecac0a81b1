from .sb_resnet import (SB_CFG_DEFAULTS, SB_STAGES_DEFAULT,
                        SpatialBiasResNetMixin, check_sb_cfg)

__all__ = [
    'SpatialBiasResNetMixin', 'check_sb_cfg', 'SB_CFG_DEFAULTS',
    'SB_STAGES_DEFAULT'
]
