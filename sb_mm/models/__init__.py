"""The SB backbones' one implementation: :class:`SpatialBiasResNetMixin`
(:mod:`.resnet_mixin`, building), :class:`StockCheckpointLoadingMixin`
(:mod:`.stock_checkpoints`, loading) and the arguments' checks
(:mod:`.sb_settings`)."""
from .resnet_mixin import SpatialBiasHRNetMixin, SpatialBiasResNetMixin
from .sb_settings import (
                          SB_CFG_DEFAULTS,
                          SB_STAGES_DEFAULT,
                          check_sb_cfg,
                          check_stage_flags,
)
from .stock_checkpoints import StockCheckpointLoadingMixin

__all__ = [
    'SpatialBiasResNetMixin', 'SpatialBiasHRNetMixin',
    'StockCheckpointLoadingMixin', 'check_sb_cfg', 'check_stage_flags',
    'SB_CFG_DEFAULTS', 'SB_STAGES_DEFAULT'
]
