"""The names sb_mm gives the modules it adds to a block, in one place: they
are attribute names in the layers and the parts of checkpoint keys that the
loaders, the converters and the tests read.

Inside a block (``layerX.Y.``): ``<conv>.sb.*`` (the :class:`SpatialBias`
of the conv that emits the maps), ``<norm>.sb_norm.*`` (the norm of the
maps beside a split norm), ``<consumer>.sb_input.*`` (the conv reading the
maps beside a weight-standardised consumer).
"""
#: the SpatialBias layer, a child of the conv that emits its maps
SB = 'sb'
#: the norm of the maps, a child of the split norm
SB_NORM = 'sb_norm'
#: the conv that reads the maps beside a weight-standardised consumer
SB_INPUT = 'sb_input'
#: every name above, in the order they are listed
SB_MODULE_NAMES = (SB, SB_NORM, SB_INPUT)

__all__ = ['SB', 'SB_INPUT', 'SB_MODULE_NAMES', 'SB_NORM']
