from .conv_with_spatial_bias import (Conv2dWithSpatialBias,
                                     SpatialBiasOutputMixin,
                                     attach_spatial_bias)
from .spatial_bias import SpatialBias
from .widen import widen_conv_input, widen_norm

__all__ = [
    'SpatialBias', 'SpatialBiasOutputMixin',
    'Conv2dWithSpatialBias', 'attach_spatial_bias', 'widen_conv_input',
    'widen_norm'
]
