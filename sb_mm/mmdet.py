"""SB backbones for MMDetection:
``custom_imports=dict(imports=['sb_mm.mmdet'])`` then
``backbone=dict(type='SBResNet', ...)`` under ``default_scope='mmdet'``."""
from mmdet.models.backbones import (
    DetectoRS_ResNet,
    DetectoRS_ResNeXt,
    HRNet,
    MobileNetV2,
    RegNet,
    Res2Net,
    ResNeSt,
    ResNet,
    ResNetV1d,
    ResNeXt,
)
from mmdet.registry import MODELS

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


@MODELS.register_module()
class SBRegNet(SpatialBiasResNetMixin, RegNet):
    """MMDetection's ``RegNet`` with spatial bias (ResNeXt bottlenecks: the
    grouped conv2 emits the maps)."""


@MODELS.register_module()
class SBResNeSt(SpatialBiasResNetMixin, ResNeSt):
    """MMDetection's ``ResNeSt`` with spatial bias: the split-attention
    conv2 emits the maps; they go to conv3 directly (no norm2 in ResNeSt)."""


@MODELS.register_module()
class SBDetectoRS_ResNet(SpatialBiasResNetMixin, DetectoRS_ResNet):
    """MMDetection's ``DetectoRS_ResNet`` (switchable atrous conv2, RFP)
    with spatial bias: the SAC conv2 emits the maps."""


@MODELS.register_module()
class SBDetectoRS_ResNeXt(SpatialBiasResNetMixin, DetectoRS_ResNeXt):
    """MMDetection's ``DetectoRS_ResNeXt`` with spatial bias: the grouped SAC
    conv2 emits the maps."""


@MODELS.register_module()
class SBHRNet(SpatialBiasHRNetMixin, HRNet):
    """MMDetection's ``HRNet`` with spatial bias in every block of the
    chosen stages (``layer1``, ``stage2`` - ``stage4``)."""


@MODELS.register_module()
class SBRes2Net(SpatialBiasResNetMixin, Res2Net):
    """MMDetection's ``Res2Net`` with spatial bias: conv3 computes the
    maps from the multi-scale convs' concatenated output and reads them
    beside it (no single conv2 to emit them)."""


@MODELS.register_module()
class SBMobileNetV2(SpatialBiasMobileNetMixin, MobileNetV2):
    """MMDetection's ``MobileNetV2`` with spatial bias (see
    :class:`~sb_mm.models.SpatialBiasMobileNetMixin`)."""
