"""SB backbones for MMDetection: ``custom_imports=dict(imports=['sb_mm.mmdet'])``
then ``backbone=dict(type='SBResNet', ...)`` under ``default_scope='mmdet'``."""
from mmdet.models.backbones import ResNet, ResNetV1d, ResNeXt
from mmdet.registry import HOOKS, MODELS

from .hooks import SBMapVisualizationHook
from .models import SpatialBiasResNetMixin


@MODELS.register_module()
class SBResNet(SpatialBiasResNetMixin, ResNet):
    """MMDetection's ``ResNet`` with spatial bias (see
    :class:`~sb_mm.models.SpatialBiasResNetMixin`)."""


@MODELS.register_module()
class SBResNetV1c(SBResNet):
    """ResNetV1c (deep 3x3 stem) with spatial bias. MMDetection has no
    ``ResNetV1c``; its equivalent is ``ResNet(deep_stem=True)``."""

    def __init__(self, **kwargs):
        super().__init__(deep_stem=True, avg_down=False, **kwargs)


@MODELS.register_module()
class SBResNetV1d(SpatialBiasResNetMixin, ResNetV1d):
    """MMDetection's ``ResNetV1d`` with spatial bias."""


@MODELS.register_module()
class SBResNeXt(SpatialBiasResNetMixin, ResNeXt):
    """MMDetection's ``ResNeXt`` with spatial bias."""


#: stock type name -> SB type name, for configs that swap the backbone type
SB_TYPES = dict(ResNet='SBResNet', ResNetV1d='SBResNetV1d',
                ResNeXt='SBResNeXt')

HOOKS.register_module(module=SBMapVisualizationHook)
