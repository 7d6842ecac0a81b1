"""The models the benchmark compares: per family (ResNet-50, ConvNeXt-T,
MobileNetV2) the stock backbone, SB, SB switched off, non-local (NL) and
global-context (GC) equivalents, built with the libraries' own backbones
(ResNet-50: MMDetection's; ConvNeXt and MobileNetV2: MMPretrain's); the SB
backbones are sb_mm's, NL and GC blocks mmcv's."""
from typing import Callable, Dict, Sequence, Tuple

import torch.nn as nn

#: Wang et al.'s 5-block placement: every other block of res3 (layer2) and
#: res4 (layer3), as (layer number, block index); 1-block: after the last
#: res4 block.
NL_5_BLOCKS = ((2, 0), (2, 2), (3, 0), (3, 2), (3, 4))
NL_1_BLOCK = ((3, 4), )
GC_PLUGIN = dict(cfg=dict(type='ContextBlock', ratio=1. / 4),
                 stages=(False, True, True, True), position='after_conv3')


def nonlocal_block_plugins(where: Sequence[Tuple[int, int]],
                           num_stages: int = 4) -> list:
    """``block_plugins`` that put an mmcv ``NonLocal2d`` (embedded gaussian,
    reduction 2) after each given residual block, as Wang et al. do;
    ``where`` holds (stage number from 1, block index)."""
    by_stage = {}
    for stage, idx in where:
        by_stage.setdefault(stage, []).append(idx)
    return [dict(cfg=dict(type='NonLocal2d', reduction=2,
                          mode='embedded_gaussian'),
                 stages=tuple(layer == stage
                              for layer in range(1, num_stages + 1)),
                 blocks=idx)
            for stage, idx in by_stage.items()]


#: the same NL placement in MobileNetV2's 7 layers: every other block at
#: 1/8 (layer3) and 1/16 (layer4, layer5), 5 blocks
NL_5_BLOCKS_MOBILENETV2 = ((3, 0), (3, 2), (4, 0), (4, 2), (5, 1))
#: GC after every block at 1/8 - 1/32, as Cao et al. (c3 - c5)
GC_CONVNEXT = dict(cfg=GC_PLUGIN['cfg'], stages=(False, True, True, True))
GC_MOBILENETV2 = dict(cfg=GC_PLUGIN['cfg'],
                      stages=(False, False, True, True, True, True, True))


#: the library whose ResNet the backbones are: 'mmdet' (default), or
#: 'mmpretrain' where mmcv's compiled ops are missing (mmcv-lite: mmdet and
#: mmseg do not import); set by benchmark.py --library
LIBRARY = dict(name='mmdet')


def _resnet(sb: bool, **kw) -> nn.Module:
    import importlib
    lib = LIBRARY['name']
    MODELS = importlib.import_module(f'{lib}.registry').MODELS
    importlib.import_module(f'sb_mm.{lib}')  # registers SBResNet
    return MODELS.build(dict(type='SBResNet' if sb else 'ResNet', depth=50,
                             out_indices=(0, 1, 2, 3), norm_eval=False,
                             **kw))


#: SB settings beyond the paper, by benchmark name (a project adds its own
#: variants here: projects/long_range_study/tools/benchmark_sb_variants.py)
SB_VARIANTS = {
    'SB-R50 r8 (6 maps)': dict(sb_cfg=dict(reduced_channels=8)),
    'SB-R50 grid 5': dict(sb_cfg=dict(grid_size=5)),
}


#: family -> the names of its reference, SB, SB-off and NL models
FAMILIES = {
    'resnet50': dict(ref='R50', sb='SB-R50', off='SB-R50 (sb off)',
                     nl='NL-R50 (5 blocks)', title='ResNet-50'),
    'convnext-t': dict(ref='ConvNeXt-T', sb='SB-ConvNeXt-T',
                       off='SB-ConvNeXt-T (sb off)',
                       nl='NL-ConvNeXt-T (5 blocks)', title='ConvNeXt-T'),
    'mobilenetv2': dict(ref='MobileNetV2', sb='SB-MobileNetV2',
                        off='SB-MobileNetV2 (sb off)',
                        nl='NL-MobileNetV2 (5 blocks)', title='MobileNetV2'),
}


def _pretrain(type_: str, **kw) -> nn.Module:
    from mmpretrain.registry import MODELS

    import sb_mm.mmpretrain  # noqa: F401  (registers the SB types)
    return MODELS.build(dict(type=type_, **kw))


def _convnext(sb: bool, **kw) -> nn.Module:
    return _pretrain('SBConvNeXt' if sb else 'ConvNeXt', arch='tiny',
                     out_indices=(0, 1, 2, 3), gap_before_final_norm=False,
                     **kw)


def _mobilenetv2(sb: bool, **kw) -> nn.Module:
    return _pretrain('SBMobileNetV2' if sb else 'MobileNetV2',
                     out_indices=(1, 2, 4, 7), **kw)


def _family_builders(family: str) -> Dict[str, Callable[[], nn.Module]]:
    names = FAMILIES[family]
    if family == 'resnet50':
        return _paper_builders()
    build, stages, nl, gc = (
        (_convnext, 4, NL_5_BLOCKS, GC_CONVNEXT) if family == 'convnext-t'
        else (_mobilenetv2, 7, NL_5_BLOCKS_MOBILENETV2, GC_MOBILENETV2))
    off = (False, ) * stages
    return {
        names['ref']: lambda: build(False),
        names['sb']: lambda: build(True),
        names['off']: lambda: build(True, sb_stages=off),
        names['nl']: lambda: build(
            True, sb_stages=off,
            block_plugins=nonlocal_block_plugins(nl, stages)),
        f'GC-{names["title"]}': lambda: build(True, sb_stages=off,
                                              block_plugins=[gc]),
    }


def backbone_builders(variants: bool = False, family: str = 'resnet50'
                      ) -> Dict[str, Callable[[], nn.Module]]:
    """Name -> builder of each compared backbone of ``family`` (a key of
    :data:`FAMILIES`); ``variants`` adds the ResNet-50 SB settings of
    :data:`SB_VARIANTS`."""
    if family not in FAMILIES:
        raise ValueError(f'unknown family {family!r}; choose from '
                         f'{sorted(FAMILIES)}')
    extra = {name: (lambda kw=kw: _resnet(True, **kw))
             for name, kw in SB_VARIANTS.items()} \
        if variants and family == 'resnet50' else {}
    return {**_family_builders(family), **extra}


def _paper_builders() -> Dict[str, Callable[[], nn.Module]]:
    builders = {
        'R50': lambda: _resnet(False),
        'SB-R50': lambda: _resnet(True),
        'SB-R50 (sb off)': lambda: _resnet(True, sb_stages=(False, ) * 4),
        'NL-R50 (5 blocks)': lambda: _resnet(
            True, sb_stages=(False, ) * 4,
            block_plugins=nonlocal_block_plugins(NL_5_BLOCKS)),
        'NL-R50 (1 block)': lambda: _resnet(
            True, sb_stages=(False, ) * 4,
            block_plugins=nonlocal_block_plugins(NL_1_BLOCK)),
        'GC-R50': lambda: _resnet(False, plugins=[GC_PLUGIN]),
        'SB+NL-R50': lambda: _resnet(
            True, block_plugins=nonlocal_block_plugins(NL_5_BLOCKS)),
    }
    if LIBRARY['name'] != 'mmdet':  # GC is an mmdet ResNet plugin
        builders.pop('GC-R50')
    return builders


class _TensorModel(nn.Module):
    """A full detector / segmentor called on a plain image tensor
    (``mode='tensor'``: backbone, neck and heads, no post-processing)."""

    def __init__(self, model, lib):
        super().__init__()
        self.model = model
        self.lib = lib

    def forward(self, x):
        samples = None
        if self.lib == 'mmdet':  # the RoI head needs image shapes
            from mmdet.structures import DetDataSample
            h, w = x.shape[-2:]
            samples = []
            for _ in range(x.shape[0]):
                s = DetDataSample()
                s.set_metainfo(dict(img_shape=(h, w), ori_shape=(h, w),
                                    pad_shape=(h, w),
                                    batch_input_shape=(h, w),
                                    scale_factor=(1., 1.)))
                samples.append(s)
        return self.model(x, samples, mode='tensor')


def full_model_builders(repo_configs: str) -> Dict[str, Callable]:
    """Mask R-CNN and UPerNet from the project's configs, stock and SB, built
    by ``sb_mm.apis.models.build_model`` (stock: the SB type's stock class;
    BN for SyncBN, no pretrained weights)."""
    import os.path as osp

    from ..apis.cli import load_config
    from ..apis.models import build_model, drop_pretrained
    from ..apis.run_setup import sync_bn_paths

    def build(config, stock):
        def _build():
            cfg = load_config(osp.join(repo_configs, config))
            drop_pretrained(cfg.model)
            cfg.model.backbone.init_cfg = None
            if stock:  # SBResNet -> ResNet
                cfg.model.backbone.type = cfg.model.backbone.type[2:]
            cfg.merge_from_dict({f'{path}.type': 'BN'
                                 for path in sync_bn_paths(cfg.model,
                                                           'model')})
            model, lib = build_model(cfg)
            return _TensorModel(model, lib)
        return _build

    return {
        'MaskRCNN-R50': build('coco_maskrcnn_r50_sb.py', True),
        'MaskRCNN-SB-R50': build('coco_maskrcnn_r50_sb.py', False),
        'UPerNet-R50': build('ade20k_upernet_r50_sb.py', True),
        'UPerNet-SB-R50': build('ade20k_upernet_r50_sb.py', False),
    }
