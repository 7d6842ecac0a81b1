"""SB backbones for MMPretrain:
``custom_imports=dict(imports=['sb_mm.mmpretrain'])`` then
``backbone=dict(type='SBResNet', ...)`` under ``default_scope='mmpretrain'``."""
from mmpretrain.models.backbones import (HRNet, RegNet, Res2Net, ResNeSt,
                                         ResNet, ResNet_CIFAR, ResNetV1c,
                                         ResNetV1d, ResNeXt, SEResNet,
                                         SEResNeXt)
from mmpretrain.datasets import CIFAR100
from mmpretrain.registry import DATASETS, HOOKS, MODELS

from .engine.hooks import (RandomStateHook, SBGradientStatsHook,
                           SBMapVisualizationHook)
from .models import SpatialBiasHRNetMixin, SpatialBiasResNetMixin


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


SB_TYPES = dict(ResNet='SBResNet', ResNetV1c='SBResNetV1c',
                ResNetV1d='SBResNetV1d', ResNeXt='SBResNeXt',
                ResNet_CIFAR='SBResNet_CIFAR', SEResNet='SBSEResNet',
                SEResNeXt='SBSEResNeXt', RegNet='SBRegNet',
                ResNeSt='SBResNeSt', Res2Net='SBRes2Net', HRNet='SBHRNet')


@DATASETS.register_module()
class GeneratedCIFAR100(CIFAR100):
    """mmpretrain's ``CIFAR100`` for files in CIFAR-100's python format that
    are not the official archive (e.g. ``tools/make_demo_data.py``).

    The stock class checks each file against the md5 of the official
    release and otherwise tries to download it; this subclass skips only
    that checksum (and never downloads). Reading, labels and metrics are the
    stock class's.
    """
    train_list = [[name, None] for name, _ in CIFAR100.train_list]
    test_list = [[name, None] for name, _ in CIFAR100.test_list]
    meta = {**CIFAR100.meta, 'md5': None}

    def __init__(self, *args, download: bool = False, **kwargs):
        if download:
            raise ValueError('GeneratedCIFAR100 never downloads; use '
                             'CIFAR100 for the official archive')
        super().__init__(*args, download=False, **kwargs)

HOOKS.register_module(module=SBMapVisualizationHook)
HOOKS.register_module(module=RandomStateHook)
HOOKS.register_module(module=SBGradientStatsHook)
