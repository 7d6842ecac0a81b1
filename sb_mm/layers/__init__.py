from .compose import add_spatial_bias
from .conv_with_spatial_bias import (
    Conv2dWithSpatialBias,
    SpatialBiasOutputMixin,
    attach_spatial_bias,
)
from .norm_with_spatial_bias import (
    SpatialBiasNormMixin,
    attach_sb_norm,
    sb_norm_for,
)
from .spatial_bias import SpatialBias
from .widen import (
    attach_sb_input,
    standardises_weight,
    widen_conv_input,
    widen_input,
    widen_linear_input,
)

__all__ = [
    'SpatialBias', 'SpatialBiasOutputMixin', 'SpatialBiasNormMixin',
    'Conv2dWithSpatialBias', 'add_spatial_bias', 'attach_spatial_bias',
    'attach_sb_input', 'attach_sb_norm', 'sb_norm_for',
    'standardises_weight', 'widen_conv_input', 'widen_input',
    'widen_linear_input'
]
