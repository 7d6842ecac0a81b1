"""The names sb_mm gives the modules it adds to a block, in one place: they
are attribute names in the layers and the parts of checkpoint keys that the
loaders, the converters and the tests read.

Inside a block (``layerX.Y.``): ``<conv>.sb.*`` (the :class:`SpatialBias`
of the conv that emits the maps), ``<norm>.sb_norm.*`` (the norm of the
maps beside a split norm), ``<consumer>.sb_input.*`` (the conv reading the
maps beside a weight-standardised consumer) and ``<conv>.sb_to_output.*``
(``sb_cfg.add_to_output``).
"""
#: the SpatialBias layer, a child of the conv that emits its maps
SB = 'sb'
#: the norm of the maps, a child of the split norm
SB_NORM = 'sb_norm'
#: the conv that reads the maps beside a weight-standardised consumer
SB_INPUT = 'sb_input'
#: the zero-initialised 1x1 conv of ``sb_cfg.add_to_output``
SB_TO_OUTPUT = 'sb_to_output'
#: every name above, in the order they are listed
SB_MODULE_NAMES = (SB, SB_NORM, SB_INPUT, SB_TO_OUTPUT)

__all__ = ['SB', 'SB_INPUT', 'SB_MODULE_NAMES', 'SB_NORM', 'SB_TO_OUTPUT']
