"""Spatial bias in a library's backbone, after the library built it: the
one place where SB enters every backbone family. A family's mixin says which
blocks each stage has (:meth:`~SpatialBiasBackboneMixin._sb_stage_blocks`)
and where SB goes in its block (:meth:`~SpatialBiasBackboneMixin.
_sb_placement`); building, the checks, freezing, the ``sb_cfg`` options and
the loading of stock checkpoints are shared."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch.nn as nn
from mmengine.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

from ..layers import add_spatial_bias
from ..layers.after_block_plugins import attach_after_block
from ..layers.compose import conv_in_channels
from ..layers.norm_with_spatial_bias import norm_channels
from .sb_settings import (
    SB_STAGES_DEFAULT,
    active_sb_cfg_options,
    check_sb_cfg,
    check_stage_flags,
)
from .stock_checkpoints import StockCheckpointLoadingMixin

#: where SB goes in a block: (the conv that emits the maps, or None where
#: the consumer computes them from its input; the norm after that conv, or
#: None; the consumer, which reads the maps), dotted names inside the block
Placement = Tuple[Optional[str], Optional[str], str]


class SpatialBiasBackboneMixin(StockCheckpointLoadingMixin):
    """Adds spatial bias to a library's backbone, after the library built
    it; the base of every family's mixin (:class:`SpatialBiasResNetMixin`,
    ...), which says where SB goes.

    Mixed in before the library's class (``class SBResNet(
    SpatialBiasResNetMixin, mmdet.models.ResNet)``), it takes every argument
    of that class with the same meaning, plus:

    Args:
        sb_stages (Sequence[bool] | None): one flag per stage; every block of
            a flagged stage gets spatial bias. Default: the family's
            (:meth:`_sb_stages_default`; the ResNets: stages 1-3, as in the
            paper, ``(True, True, True, False)`` cut to ``num_stages``).
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

    The library's block ``forward()`` runs unchanged, and every stock
    parameter keeps its stock name. Loading a stock checkpoint is
    function-preserving: the stock tensors of the widened consumer (and of
    a split norm) fill their stock part and the consumer's spatial-bias
    input columns start at zero, so right after loading the backbone
    computes what the stock backbone computes.
    """

    def __init__(self,
                 *args,
                 sb_stages: Optional[Sequence[bool]] = None,
                 sb_cfg: Optional[dict] = None,
                 block_plugins: Optional[Sequence[dict]] = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.sb_cfg = check_sb_cfg(sb_cfg)
        stages = self._sb_stage_blocks()
        if sb_stages is None:
            sb_stages = self._sb_stages_default(len(stages))
        self.sb_stages = check_stage_flags('sb_stages', sb_stages,
                                           len(stages))
        # relative module name -> stock channel count, for checkpoint loading
        self._sb_widened_convs: Dict[str, int] = {}
        self._sb_split_norms: Dict[str, int] = {}
        for blocks, enabled in zip(stages, self.sb_stages):
            if not enabled:
                continue
            for name, block in blocks:
                self._add_spatial_bias(block, name)
        for spec in block_plugins or ():
            self._add_block_plugins(spec)
        # the library froze its stages before the new modules existed
        if hasattr(self, '_freeze_stages'):
            self._freeze_stages()

    # -- what a family's mixin says ----------------------------------------
    def _sb_stage_blocks(self) -> List[List[Tuple[str, nn.Module]]]:
        """Per stage, the ``(relative name, block)`` pairs that get SB when
        the stage's ``sb_stages`` flag is set."""
        raise NotImplementedError

    def _sb_placement(self, block: nn.Module) -> Placement:
        """Where SB goes in ``block``: ``(emit, norm, consumer)``, as
        :func:`~sb_mm.layers.add_spatial_bias` takes them."""
        raise NotImplementedError

    def _sb_stages_default(self, num_stages: int) -> tuple:
        """``sb_stages`` when the config gives none: the paper's stages 1-3
        of 4 (SB where the features are 1/4 to 1/16 of the input)."""
        return SB_STAGES_DEFAULT[:num_stages]

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

    def _stem_in_channels(self) -> Optional[int]:
        """The input channels of the backbone's first conv (the first
        ``nn.Conv2d`` it registered), or None (no check)."""
        first = next((m for m in self.modules() if isinstance(m, nn.Conv2d)),
                     None)
        return None if first is None else first.in_channels

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
        emit, norm_name, widen_name = self._sb_placement(block)
        stock_in = conv_in_channels(block.get_submodule(widen_name))
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
        stages_blocks = self._sb_stage_blocks()
        stages = check_stage_flags(
            'block_plugins stages',
            spec.get('stages', (True, ) * len(stages_blocks)),
            len(stages_blocks))
        blocks = spec.get('blocks', 'all')
        indices = isinstance(blocks, (list, tuple)) and all(
            isinstance(i, int) and not isinstance(i, bool) for i in blocks)
        if blocks not in ('all', 'last') and not indices:
            raise ValueError(
                f"block_plugins: blocks must be 'all', 'last' or a list of "
                f'block indices, got {blocks!r}')
        for stage, enabled in zip(stages_blocks, stages):
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


__all__ = ['Placement', 'SpatialBiasBackboneMixin']
