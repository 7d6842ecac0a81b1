"""SB backbones for MMPretrain:
``custom_imports=dict(imports=['sb_mm.mmpretrain'])`` then
``backbone=dict(type='SBResNet', ...)`` under ``default_scope='mmpretrain'``."""
from mmpretrain.models.backbones import (ResNet, ResNet_CIFAR, ResNetV1c,
                                         ResNetV1d, ResNeXt)
from mmpretrain.registry import MODELS

from .models import SpatialBiasResNetMixin


@MODELS.register_module()
class SBResNet(SpatialBiasResNetMixin, ResNet):
    """MMPretrain's ``ResNet`` with spatial bias (see
    :class:`~sb_mm.models.SpatialBiasResNetMixin`)."""


@MODELS.register_module()
class SBResNetV1c(SpatialBiasResNetMixin, ResNetV1c):
    """MMPretrain's ``ResNetV1c`` with spatial bias."""


@MODELS.register_module()
class SBResNetV1d(SpatialBiasResNetMixin, ResNetV1d):
    """MMPretrain's ``ResNetV1d`` with spatial bias."""


@MODELS.register_module()
class SBResNeXt(SpatialBiasResNetMixin, ResNeXt):
    """MMPretrain's ``ResNeXt`` with spatial bias."""


@MODELS.register_module()
class SBResNet_CIFAR(SpatialBiasResNetMixin, ResNet_CIFAR):
    """MMPretrain's ``ResNet_CIFAR`` (3x3 stem, no max-pool) with spatial
    bias."""


SB_TYPES = dict(ResNet='SBResNet', ResNetV1c='SBResNetV1c',
                ResNetV1d='SBResNetV1d', ResNeXt='SBResNeXt',
                ResNet_CIFAR='SBResNet_CIFAR')
