"""SB backbones for MMSegmentation:
``custom_imports=dict(imports=['sb_mm.mmseg'])`` then
``backbone=dict(type='SBResNetV1c', ...)`` under ``default_scope='mmseg'``."""
from mmseg.models.backbones import (
    HRNet,
    MobileNetV2,
    MobileNetV3,
    ResNeSt,
    ResNet,
    ResNetV1c,
    ResNetV1d,
    ResNeXt,
)
from mmseg.registry import MODELS

# registers sb_mm's hooks and schedulers in mmengine's root registries,
# which this library's registries search
from . import engine  # noqa: F401
from .models import (
    SpatialBiasHRNetMixin,
    SpatialBiasMobileNetMixin,
    SpatialBiasResNetMixin,
)


@MODELS.register_module()
class SBResNet(SpatialBiasResNetMixin, ResNet):
    """MMSegmentation's ``ResNet`` with spatial bias (see
    :class:`~sb_mm.models.SpatialBiasResNetMixin`)."""


@MODELS.register_module()
class SBResNetV1c(SpatialBiasResNetMixin, ResNetV1c):
    """MMSegmentation's ``ResNetV1c`` with spatial bias."""


@MODELS.register_module()
class SBResNetV1d(SpatialBiasResNetMixin, ResNetV1d):
    """MMSegmentation's ``ResNetV1d`` with spatial bias."""


@MODELS.register_module()
class SBResNeXt(SpatialBiasResNetMixin, ResNeXt):
    """MMSegmentation's ``ResNeXt`` with spatial bias."""


@MODELS.register_module()
class SBResNeSt(SpatialBiasResNetMixin, ResNeSt):
    """MMSegmentation's ``ResNeSt`` with spatial bias: the split-attention
    conv2 emits the maps; they go to conv3 directly (no norm2 in ResNeSt)."""


@MODELS.register_module()
class SBHRNet(SpatialBiasHRNetMixin, HRNet):
    """MMSegmentation's ``HRNet`` with spatial bias in every block of the
    chosen stages (``layer1``, ``stage2`` - ``stage4``)."""


@MODELS.register_module()
class SBMobileNetV2(SpatialBiasMobileNetMixin, MobileNetV2):
    """MMSegmentation's ``MobileNetV2`` with spatial bias (see
    :class:`~sb_mm.models.SpatialBiasMobileNetMixin`)."""


@MODELS.register_module()
class SBMobileNetV3(SpatialBiasMobileNetMixin, MobileNetV3):
    """MMSegmentation's ``MobileNetV3`` with spatial bias (see
    :class:`~sb_mm.models.SpatialBiasMobileNetMixin`)."""
