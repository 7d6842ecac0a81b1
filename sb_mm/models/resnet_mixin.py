"""Spatial bias for the ResNet-family backbones of MMDetection,
MMSegmentation and MMPretrain: one mixin that adds SB to a library's own
backbone after the library built it (the one place where SB enters every
family)."""
from typing import Dict, Optional, Sequence

import torch.nn as nn
from mmengine.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

from ..layers import add_spatial_bias
from ..layers.after_block_plugins import attach_after_block
from ..layers.norm_with_spatial_bias import norm_channels
from .sb_settings import (
    SB_STAGES_DEFAULT,
    active_sb_cfg_options,
    check_sb_cfg,
    check_stage_flags,
)
from .stock_checkpoints import StockCheckpointLoadingMixin


class SpatialBiasResNetMixin(StockCheckpointLoadingMixin):
    """Adds spatial bias to a library's ResNet, after the library built it.

    Mixed in before the library's class (``class SBResNet(
    SpatialBiasResNetMixin, mmdet.models.ResNet)``), it takes every argument
    of that class with the same meaning, plus:

    Args:
        sb_stages (Sequence[bool] | None): one flag per stage; every block of
            a flagged stage gets spatial bias. Default: stages 1-3, as in the
            paper (``(True, True, True, False)`` cut to ``num_stages``).
        sb_cfg (dict | None): settings of :class:`SpatialBias`:
            ``reduced_channels`` (5), ``grid_size`` (10), ``kernel_size`` (3),
            ``norm_cfg`` (None: the backbone's own norm if it is a
            BatchNorm type, else BN); and the keys that imported projects
            registered (:class:`~sb_mm.models.sb_settings.SBCfgOption`).
        block_plugins (list[dict] | None): mmcv plugin layers run on a
            block's output (``NonLocal2d``, ``ContextBlock``, ...), for basic
            blocks too (the stock ``plugins`` are not implemented there):
            each ``dict(cfg=dict(type=...), stages=(bool, ...),
            blocks='all' | 'last')``, one flag per stage, after every block
            of a flagged stage (default) or after its last block. With
            ``sb_stages`` all False this is the stock ResNet plus plugins.

    In a bottleneck, conv2 also emits the m = reduced_channels -
    kernel_size + 1 maps computed from its own input (conv1's output) and
    norm2 / conv3 take planes + m channels; in a basic block the same holds
    for conv1 and norm1 / conv2. The library's block ``forward()`` runs
    unchanged, and every stock parameter keeps its stock name.

    Loading a stock checkpoint is function-preserving: the stock tensors of
    the widened conv3 / norm2 (conv2 / norm1) fill their stock part, the
    spatial-bias input columns of conv3 start at zero, so right after loading
    the backbone computes what the stock backbone computes.
    """

    def __init__(self,
                 *args,
                 sb_stages: Optional[Sequence[bool]] = None,
                 sb_cfg: Optional[dict] = None,
                 block_plugins: Optional[Sequence[dict]] = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.sb_cfg = check_sb_cfg(sb_cfg)
        if sb_stages is None:
            sb_stages = SB_STAGES_DEFAULT[:self.num_stages]
        self.sb_stages = check_stage_flags('sb_stages', sb_stages,
                                           self.num_stages)
        # relative module name -> stock channel count, for checkpoint loading
        self._sb_widened_convs: Dict[str, int] = {}
        self._sb_split_norms: Dict[str, int] = {}
        for blocks, enabled in zip(self._sb_stage_blocks(), sb_stages):
            if not enabled:
                continue
            for name, block in blocks:
                self._add_spatial_bias(block, name)
        for spec in block_plugins or ():
            self._add_block_plugins(spec)
        # the library froze its stages before the new modules existed
        if hasattr(self, '_freeze_stages'):
            self._freeze_stages()

    def _sb_stage_blocks(self):
        """Per stage, the ``(relative name, block)`` pairs that get SB:
        every block of each ResNet layer (HRNet overrides it)."""
        return [[(f'{layer_name}.{idx}', block)
                 for idx, block in enumerate(getattr(self, layer_name))]
                for layer_name in self.res_layers]

    def init_weights(self):
        """The library's initialisation (its ``init_cfg``), then that of
        the ``sb_cfg`` options projects registered (not after a Pretrained
        ``init_cfg``: that keeps what it loaded)."""
        super().init_weights()
        init = self.init_cfg if isinstance(self.init_cfg, list) \
            else [self.init_cfg]
        if any(isinstance(c, dict) and c.get('type') == 'Pretrained'
               for c in init):
            return
        for option, value in active_sb_cfg_options(self.sb_cfg):
            option.init_weights(self, value)

    def forward(self, x):
        """The library's forward, after checking that ``x`` is a (B, C, H, W)
        batch with the channels the backbone was built for (else a
        ``ValueError`` naming both, not a shape error inside the stem)."""
        if x.dim() != 4:
            raise ValueError(
                f'{type(self).__name__}: expected a (B, C, H, W) input, got '
                f'shape {tuple(x.shape)}')
        expected = self._stem_in_channels()
        if expected is not None and x.shape[1] != expected:
            raise ValueError(
                f'{type(self).__name__}: the input has {x.shape[1]} '
                f'channels, the backbone was built with '
                f'in_channels={expected}')
        return super().forward(x)

    def _stem_in_channels(self):
        stem = getattr(self, 'stem', None) if getattr(self, 'deep_stem',
                                                      False) else None
        first = stem[0] if stem is not None else getattr(self, 'conv1', None)
        first = getattr(first, 'conv', first)  # ConvModule (mmpretrain)
        return getattr(first, 'in_channels', None)

    # -- building -----------------------------------------------------------
    def _sb_norm_cfg(self) -> dict:
        if self.sb_cfg['norm_cfg'] is not None:
            return self.sb_cfg['norm_cfg']
        own = getattr(self, 'norm_cfg', None)
        if own is not None:
            norm_cls = MODELS.get(own.get('type', 'BN'))
            if isinstance(norm_cls, type) and issubclass(norm_cls, _BatchNorm):
                return own
        return dict(type='BN')

    def _add_spatial_bias(self, block: nn.Module, name: str) -> None:
        if hasattr(block, 'convs') and not hasattr(block, 'conv2'):
            # Res2Net: the spatial step is several 3x3 convs over channel
            # groups, concatenated inside forward(); conv3 computes the maps
            # from that concatenation and reads them beside it
            emit, norm_name_attr, widen_name = None, None, 'conv3'
        elif hasattr(block, 'conv3'):  # bottleneck
            emit, norm_name_attr, widen_name = 'conv2', 'norm2_name', 'conv3'
        else:  # basic block
            emit, norm_name_attr, widen_name = 'conv1', 'norm1_name', 'conv2'
        # ResNeSt's split-attention conv normalises inside: no norm2 follows
        norm_name = getattr(block, norm_name_attr, None) \
            if norm_name_attr else None
        if norm_name is not None and not hasattr(block, norm_name):
            norm_name = None
        stock_in = getattr(block, widen_name).in_channels
        sb = add_spatial_bias(
            block, conv=emit, norm=norm_name, consumer=widen_name,
            sb_norm_cfg=self._sb_norm_cfg(),
            **{k: self.sb_cfg[k] for k in ('reduced_channels', 'grid_size',
                                           'kernel_size')})
        extra = sb.out_channels
        for option, value in active_sb_cfg_options(self.sb_cfg):
            option.add_to_block(self, block, emit, sb, value)
        if norm_name is not None:
            norm = getattr(block, norm_name)
            self._sb_split_norms[f'{name}.{norm_name}'] = norm_channels(norm)
        self._sb_widened_convs[f'{name}.{widen_name}'] = stock_in

        # mmdet / mmseg bottleneck plugins placed after conv2 see planes + m
        names = getattr(block, 'after_conv2_plugin_names', None)
        if emit == 'conv2' and names:
            for plugin_name in names:
                delattr(block, plugin_name)
            block.after_conv2_plugin_names = block.make_block_plugins(
                stock_in + extra, block.after_conv2_plugins)

    def _add_block_plugins(self, spec: dict) -> None:
        if not isinstance(spec, dict) or set(spec) - {'cfg', 'stages',
                                                      'blocks'} \
                or 'cfg' not in spec:
            raise ValueError(
                'block_plugins: each entry is dict(cfg=dict(type=...), '
                f"stages=(bool, ...), blocks='all' | 'last'), got {spec!r}")
        stages = check_stage_flags(
            'block_plugins stages',
            spec.get('stages', (True, ) * self.num_stages), self.num_stages)
        blocks = spec.get('blocks', 'all')
        indices = isinstance(blocks, (list, tuple)) and all(
            isinstance(i, int) and not isinstance(i, bool) for i in blocks)
        if blocks not in ('all', 'last') and not indices:
            raise ValueError(
                f"block_plugins: blocks must be 'all', 'last' or a list of "
                f'block indices, got {blocks!r}')
        for stage, enabled in zip(self._sb_stage_blocks(), stages):
            if not enabled:
                continue
            if indices:
                bad = [i for i in blocks if not -len(stage) <= i < len(stage)]
                if bad:
                    raise ValueError(
                        f'block_plugins: block index {bad[0]} is out of '
                        f'range for a stage of {len(stage)} blocks')
                chosen = [stage[i] for i in blocks]
            else:
                chosen = stage if blocks == 'all' else stage[-1:]
            for _, block in chosen:
                attach_after_block(block, dict(spec['cfg']))

    # -- loading stock checkpoints -----------------------------------------


class SpatialBiasHRNetMixin(SpatialBiasResNetMixin):
    """:class:`SpatialBiasResNetMixin` for HRNet (all three libraries): its
    blocks are the libraries' ResNet ``BasicBlock`` / ``Bottleneck``, so SB
    goes where it goes in a ResNet block. The four ``sb_stages`` flags are
    HRNet's stages: ``layer1`` (the Bottlenecks at 1/4) and ``stage2`` -
    ``stage4``, in which every block of every branch of every HRModule gets
    SB (default: stages 1-3, as the paper's ResNet-50)."""

    num_stages = 4

    def _sb_stage_blocks(self):
        stages = [[(f'layer1.{i}', block)
                   for i, block in enumerate(self.layer1)]]
        for stage_name in ('stage2', 'stage3', 'stage4'):
            stages.append([
                (f'{stage_name}.{m}.branches.{j}.{k}', block)
                for m, module in enumerate(getattr(self, stage_name))
                for j, branch in enumerate(module.branches)
                for k, block in enumerate(branch)])
        return stages


__all__ = ['SpatialBiasResNetMixin', 'SpatialBiasHRNetMixin']
