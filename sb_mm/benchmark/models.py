"""The models the benchmark compares, built with MMDetection's ResNet (the
SB backbone is sb_mm's; NL and GC blocks are mmcv's)."""
from typing import Callable, Dict, Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import NonLocal2d

#: Wang et al.'s 5-block placement: every other block of res3 (2) and res4
#: (3), as (stage index from 1, block index); 1-block: before the last res4
#: block.
NL_5_BLOCKS = ((2, 0), (2, 2), (3, 0), (3, 2), (3, 4))
NL_1_BLOCK = ((3, 4), )
GC_PLUGIN = dict(cfg=dict(type='ContextBlock', ratio=1. / 4),
                 stages=(False, True, True, True), position='after_conv3')


def add_nonlocal_blocks(backbone: nn.Module,
                        where: Sequence[Tuple[int, int]]) -> nn.Module:
    """Inserts an mmcv ``NonLocal2d`` (embedded gaussian) after each given
    residual block, as Wang et al. do."""
    for stage, idx in where:
        layer = getattr(backbone, f'layer{stage}')
        block = layer[idx]
        channels = block.conv3.out_channels
        layer[idx] = nn.Sequential(
            block, NonLocal2d(channels, reduction=2,
                              mode='embedded_gaussian'))
    return backbone


def _resnet(sb: bool, **kw) -> nn.Module:
    import sb_mm.mmdet  # noqa: F401  (registers SBResNet)
    from mmdet.registry import MODELS
    return MODELS.build(dict(type='SBResNet' if sb else 'ResNet', depth=50,
                             out_indices=(0, 1, 2, 3), norm_eval=False,
                             **kw))


def backbone_builders() -> Dict[str, Callable[[], nn.Module]]:
    """Name -> builder of each compared ResNet-50 backbone."""
    return {
        'R50': lambda: _resnet(False),
        'SB-R50': lambda: _resnet(True),
        'SB-R50 (sb off)': lambda: _resnet(True, sb_stages=(False, ) * 4),
        'NL-R50 (5 blocks)': lambda: add_nonlocal_blocks(
            _resnet(False), NL_5_BLOCKS),
        'NL-R50 (1 block)': lambda: add_nonlocal_blocks(
            _resnet(False), NL_1_BLOCK),
        'GC-R50': lambda: _resnet(False, plugins=[GC_PLUGIN]),
        'SB+NL-R50': lambda: add_nonlocal_blocks(_resnet(True), NL_5_BLOCKS),
    }


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
    """Mask R-CNN and UPerNet from the project's configs, stock and SB."""
    import os.path as osp

    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    def build(config, lib, stock):
        def _build():
            import importlib
            importlib.import_module(f'sb_mm.{lib}')
            cfg = Config.fromfile(osp.join(repo_configs, config))
            backbone = cfg.model.backbone
            backbone.init_cfg = None
            cfg.model.pop('pretrained', None)
            if stock:
                backbone.type = backbone.type[2:]  # SBResNet -> ResNet
            if lib == 'mmseg':
                backbone.norm_cfg = dict(type='BN')
                cfg.model.decode_head.norm_cfg = dict(type='BN')
                cfg.model.auxiliary_head.norm_cfg = dict(type='BN')
            models = importlib.import_module(f'{lib}.registry').MODELS
            with DefaultScope.overwrite_default_scope(lib):
                return _TensorModel(models.build(cfg.model), lib)
        return _build

    return {
        'MaskRCNN-R50': build('coco_maskrcnn_r50_sb.py', 'mmdet', True),
        'MaskRCNN-SB-R50': build('coco_maskrcnn_r50_sb.py', 'mmdet', False),
        'UPerNet-R50': build('ade20k_upernet_r50_sb.py', 'mmseg', True),
        'UPerNet-SB-R50': build('ade20k_upernet_r50_sb.py', 'mmseg', False),
    }
