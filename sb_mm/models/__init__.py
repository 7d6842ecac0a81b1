from .sb_resnet import (SB_CFG_DEFAULTS, SB_STAGES_DEFAULT,
                        SpatialBiasResNetMixin, check_sb_cfg,
                        spatial_bias_param_count)

__all__ = [
    'SpatialBiasResNetMixin', 'check_sb_cfg', 'SB_CFG_DEFAULTS',
    'SB_STAGES_DEFAULT', 'spatial_bias_param_count'
]
