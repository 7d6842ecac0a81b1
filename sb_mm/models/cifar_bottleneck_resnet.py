"""The CIFAR ResNet of the SB paper's CIFAR-100 table (ResNet-38 / -65) as
an MMPretrain backbone. Imports MMPretrain: only ``sb_mm.mmpretrain``
imports this module."""
from mmpretrain.models.backbones import ResNet_CIFAR
from mmpretrain.models.backbones.resnet import Bottleneck

#: deepest network offered: 9 * 111 + 2 = 1001 layers
_MAX_BLOCKS = 111


class CIFARBottleneckResNet(ResNet_CIFAR):
    """The bottleneck CIFAR ResNet that the SB authors trained on CIFAR-100.

    Origin: the CIFAR branch of ``ResNet`` in the authors' ``resnet.py``
    (GoJunHyeong/SpatialBias, ``ResNet('cifar100', depth, 100,
    bottleneck=True)``), which came with their ``train.py`` from the
    PyramidNet / CutMix code (clovaai/CutMix-PyTorch ``resnet.py``). Depth
    9n + 2 (ResNet-38: n = 4, ResNet-65: n = 7)::

        x        (B, 3, 32, 32)
        stem     (B, 16, 32, 32)    3x3 conv, stride 1 -> BN -> ReLU; no pool
        layer1   (B, 64, 32, 32)    n bottlenecks, 16 planes (x4 expansion)
        layer2   (B, 128, 16, 16)   n bottlenecks, 32 planes, stride 2
        layer3   (B, 256, 8, 8)     n bottlenecks, 64 planes, stride 2

    Post-activation bottlenecks with the stride on the 3x3 conv and a 1x1
    conv + BN shortcut where the shape changes (the first block of every
    stage), as MMPretrain's own ``Bottleneck`` and ``ResLayer``; the
    authors' 8x8 average pool and linear classifier are MMPretrain's
    ``GlobalAveragePooling`` neck and ``LinearClsHead`` (256 inputs).

    Every argument of MMPretrain's ``ResNet_CIFAR`` keeps its meaning; the
    defaults are the authors' network: ``stem_channels=16``,
    ``base_channels=16``, 3 stages of strides (1, 2, 2), the last one out,
    and ``zero_init_residual=False`` (the authors initialise every BN weight
    to 1; MMPretrain's Kaiming fan-out normal for the convs is their
    normal(0, sqrt(2 / (k * k * out_channels)))).

    Args:
        depth (int): 9n + 2 for n in 1-111 (11, 20, 29, 38, 47, 56, 65, ...).
    """

    arch_settings = {
        9 * n + 2: (Bottleneck, (n, n, n))
        for n in range(1, _MAX_BLOCKS + 1)
    }

    def __init__(self, depth, stem_channels=16, base_channels=16,
                 num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1),
                 out_indices=(2, ), zero_init_residual=False, **kwargs):
        if isinstance(depth, bool) or depth not in self.arch_settings:
            raise ValueError(
                f'{type(self).__name__}: depth must be 9n + 2 with n in 1-'
                f'{_MAX_BLOCKS} (38 and 65 in the SB paper), got {depth!r}')
        super().__init__(
            depth, stem_channels=stem_channels, base_channels=base_channels,
            num_stages=num_stages, strides=strides, dilations=dilations,
            out_indices=out_indices, zero_init_residual=zero_init_residual,
            **kwargs)


__all__ = ['CIFARBottleneckResNet']
