"""SB backbones for MMPretrain:
``custom_imports=dict(imports=['sb_mm.mmpretrain'])`` then
``backbone=dict(type='SBResNet', ...)`` under
``default_scope='mmpretrain'``."""
from mmpretrain.models.backbones import (
    ConvNeXt,
    HRNet,
    MobileNetV2,
    MobileNetV3,
    RegNet,
    Res2Net,
    ResNeSt,
    ResNet,
    ResNet_CIFAR,
    ResNetV1c,
    ResNetV1d,
    ResNeXt,
    SEResNet,
    SEResNeXt,
)
from mmpretrain.registry import DATASETS, MODELS

# registers sb_mm's hooks and schedulers in mmengine's root registries,
# which this library's registries search
from . import engine  # noqa: F401
from .datasets.generated_cifar100 import GeneratedCIFAR100
from .models import (
    SpatialBiasConvNeXtMixin,
    SpatialBiasHRNetMixin,
    SpatialBiasMobileNetMixin,
    SpatialBiasResNetMixin,
)
from .models.binary_cross_entropy import BinaryCrossEntropyLoss
from .models.cifar_bottleneck_resnet import CIFARBottleneckResNet


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


@MODELS.register_module()
class SBSEResNet(SpatialBiasResNetMixin, SEResNet):
    """MMPretrain's ``SEResNet`` with spatial bias (conv2 of each SE
    bottleneck emits the maps; the SE layer after conv3 is unchanged)."""


@MODELS.register_module()
class SBSEResNeXt(SpatialBiasResNetMixin, SEResNeXt):
    """MMPretrain's ``SEResNeXt`` with spatial bias."""


@MODELS.register_module()
class SBRegNet(SpatialBiasResNetMixin, RegNet):
    """MMPretrain's ``RegNet`` with spatial bias (its blocks are ResNeXt
    bottlenecks: the grouped conv2 emits the maps)."""


@MODELS.register_module()
class SBResNeSt(SpatialBiasResNetMixin, ResNeSt):
    """MMPretrain's ``ResNeSt`` with spatial bias: the split-attention conv2
    emits the maps from its input; they go to conv3 directly, as that
    conv's output does (ResNeSt normalises inside the split attention)."""


@MODELS.register_module()
class SBHRNet(SpatialBiasHRNetMixin, HRNet):
    """MMPretrain's ``HRNet`` with spatial bias in every block of the
    chosen stages (``layer1``, ``stage2`` - ``stage4``)."""


@MODELS.register_module()
class SBRes2Net(SpatialBiasResNetMixin, Res2Net):
    """MMPretrain's ``Res2Net`` with spatial bias: conv3 computes the
    maps from the multi-scale convs' concatenated output and reads them
    beside it (no single conv2 to emit them)."""


@MODELS.register_module()
class SBCIFARBottleneckResNet(SpatialBiasResNetMixin, CIFARBottleneckResNet):
    """The SB paper's CIFAR ResNet (depth 9n + 2, bottleneck; see
    :class:`~sb_mm.models.cifar_bottleneck_resnet.CIFARBottleneckResNet`)
    with spatial bias; ``sb_stages`` has one flag per stage (3)."""


@MODELS.register_module()
class SBConvNeXt(SpatialBiasConvNeXtMixin, ConvNeXt):
    """MMPretrain's ``ConvNeXt`` with spatial bias (see
    :class:`~sb_mm.models.SpatialBiasConvNeXtMixin`): each block's
    ``pointwise_conv1`` reads the maps of its input beside it. MMDetection
    and MMSegmentation configs name it ``mmpretrain.SBConvNeXt`` (with
    ``'sb_mm.mmpretrain'`` in ``custom_imports``), as they name the stock
    ``mmpretrain.ConvNeXt``."""


@MODELS.register_module()
class SBMobileNetV2(SpatialBiasMobileNetMixin, MobileNetV2):
    """MMPretrain's ``MobileNetV2`` with spatial bias (see
    :class:`~sb_mm.models.SpatialBiasMobileNetMixin`)."""


@MODELS.register_module()
class SBMobileNetV3(SpatialBiasMobileNetMixin, MobileNetV3):
    """MMPretrain's ``MobileNetV3`` with spatial bias (see
    :class:`~sb_mm.models.SpatialBiasMobileNetMixin`)."""


MODELS.register_module(module=CIFARBottleneckResNet)
MODELS.register_module(module=BinaryCrossEntropyLoss)
DATASETS.register_module(module=GeneratedCIFAR100)

