from .sb_resnet import (SB_CFG_DEFAULTS, SB_STAGES_DEFAULT,
                        SpatialBiasHRNetMixin, SpatialBiasResNetMixin,
                        check_sb_cfg)

__all__ = [
    'SpatialBiasResNetMixin', 'SpatialBiasHRNetMixin', 'check_sb_cfg',
    'SB_CFG_DEFAULTS', 'SB_STAGES_DEFAULT'
]
