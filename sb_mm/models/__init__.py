"""The SB backbones' one implementation: :class:`SpatialBiasBackboneMixin`
(:mod:`.backbone_mixin`, building) with a small mixin per family (ResNet,
HRNet, ConvNeXt, MobileNet: where SB goes in its block),
:class:`StockCheckpointLoadingMixin`
(:mod:`.stock_checkpoints`, loading) and the arguments' checks
(:mod:`.sb_settings`)."""
from .backbone_mixin import SpatialBiasBackboneMixin
from .convnext_mixin import SpatialBiasConvNeXtMixin
from .mobilenet_mixin import SpatialBiasMobileNetMixin
from .resnet_mixin import SpatialBiasHRNetMixin, SpatialBiasResNetMixin
from .sb_settings import (
                          SB_CFG_DEFAULTS,
                          SB_STAGES_DEFAULT,
                          check_sb_cfg,
                          check_stage_flags,
)
from .stock_checkpoints import StockCheckpointLoadingMixin

__all__ = [
    'SpatialBiasBackboneMixin', 'SpatialBiasResNetMixin',
    'SpatialBiasHRNetMixin', 'SpatialBiasConvNeXtMixin',
    'SpatialBiasMobileNetMixin',
    'StockCheckpointLoadingMixin', 'check_sb_cfg', 'check_stage_flags',
    'SB_CFG_DEFAULTS', 'SB_STAGES_DEFAULT'
]
