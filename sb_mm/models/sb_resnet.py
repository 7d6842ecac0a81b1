"""Spatial bias for the ResNet backbones of MMDetection, MMSegmentation and
MMPretrain: one implementation, mixed into each library's own ResNet."""
import re
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

from ..layers import add_spatial_bias
from ..layers.norm_with_spatial_bias import split_norm_state
from ..layers.after_block_plugins import attach_after_block

#: ``sb_cfg`` keys and their defaults (the paper's settings).
SB_CFG_DEFAULTS = dict(reduced_channels=5, grid_size=10, kernel_size=3,
                       norm_cfg=None, fused=True, shared_mix=False)
#: Paper: spatial bias in stages 1-3 of ResNet-50.
SB_STAGES_DEFAULT = (True, True, True, False)



def check_sb_cfg(sb_cfg: Optional[dict]) -> dict:
    """``sb_cfg`` with defaults filled in; unknown keys raise ``ValueError``."""
    if sb_cfg is None:
        sb_cfg = {}
    if not isinstance(sb_cfg, dict):
        raise ValueError(f'sb_cfg must be a dict, got {sb_cfg!r}')
    unknown = sorted(set(sb_cfg) - set(SB_CFG_DEFAULTS))
    if unknown:
        raise ValueError(
            f'sb_cfg: unknown key(s) {unknown}; valid keys are '
            f'{sorted(SB_CFG_DEFAULTS)}')
    return {**SB_CFG_DEFAULTS, **sb_cfg}


def check_stage_flags(name: str, flags, num_stages: int) -> tuple:
    """One bool per stage, as a tuple. Strings (``'TTTF'``, ``('True',
    'False')``), numbers other than 0 / 1 and a wrong count raise
    ``ValueError`` naming ``name``: ``bool('False')`` is True, so such a
    value would otherwise switch SB on in every stage."""
    if isinstance(flags, (str, bytes)) or not isinstance(flags,
                                                           (list, tuple)):
        raise ValueError(
            f'{name} must be a list or tuple of {num_stages} bools (one per '
            f'stage), got {flags!r}')
    out = []
    for i, flag in enumerate(flags):
        if isinstance(flag, bool) or (type(flag).__name__ == 'bool_'):
            out.append(bool(flag))
        elif isinstance(flag, int) and flag in (0, 1):
            out.append(bool(flag))
        else:
            raise ValueError(
                f'{name}[{i}] must be True or False, got {flag!r} '
                f'({type(flag).__name__}) in {flags!r}')
    if len(out) != num_stages:
        raise ValueError(
            f'{name} has {len(out)} flags, but the backbone has '
            f'num_stages={num_stages}: give one flag per stage')
    return tuple(out)


class SpatialBiasResNetMixin:
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
            BatchNorm type, else BN), ``fused`` (True: the fused forward,
            same function and parameters as the plain one), ``shared_mix``
            (False; beyond the paper: a mixing weight shared by every grid
            position, see :class:`SpatialBias`).
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
                                           'kernel_size', 'fused',
                                           'shared_mix')})
        extra = sb.out_channels
        if norm_name is not None:
            norm = getattr(block, norm_name)
            self._sb_split_norms[f'{name}.{norm_name}'] = _channels(norm)
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
        if blocks not in ('all', 'last'):
            raise ValueError(
                f"block_plugins: blocks must be 'all' or 'last', got "
                f'{blocks!r}')
        for stage, enabled in zip(self._sb_stage_blocks(), stages):
            if not enabled:
                continue
            chosen = stage if blocks == 'all' else stage[-1:]
            for _, block in chosen:
                attach_after_block(block, dict(spec['cfg']))

    # -- loading stock checkpoints -----------------------------------------
    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        self._rename_deep_stem(state_dict, prefix)
        self._split_widened_norms(state_dict, prefix)
        self._expand_stock_tensors(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _rename_deep_stem(self, state_dict: dict, prefix: str) -> None:
        """Renames, in place, a deep stem (V1c / V1d) saved by the other
        libraries' layout: MMPretrain builds it of three ``ConvModule``
        (``stem.{i}.conv.*``, ``stem.{i}.bn.*``), MMDetection and
        MMSegmentation of a flat ``Sequential`` (``stem.{3i}.*`` conv,
        ``stem.{3i+1}.*`` norm, ReLU). So an MMPretrain V1c checkpoint
        initialises an mmseg / mmdet V1c backbone and back."""
        stem = getattr(self, 'stem', None)
        if not isinstance(stem, nn.Sequential) or not len(stem):
            return
        conv_modules = hasattr(stem[0], 'conv')  # mmpretrain's layout
        flat = re.compile(re.escape(prefix) + r'stem\.(\d+)\.(.+)$')
        nested = re.compile(re.escape(prefix) +
                            r'stem\.(\d+)\.(conv|bn|gn|ln|in|norm)\.(.+)$')
        renamed = {}
        for key in list(state_dict):
            if conv_modules:
                match = flat.match(key)
                if not match or nested.match(key):
                    continue
                index, rest = int(match.group(1)), match.group(2)
                if index % 3 == 2:
                    continue
                part = 'conv' if index % 3 == 0 else \
                    getattr(stem[index // 3], 'norm_name', 'bn')
                new = f'{prefix}stem.{index // 3}.{part}.{rest}'
            else:
                match = nested.match(key)
                if not match:
                    continue
                index, part, rest = match.groups()
                new = (f'{prefix}stem.'
                       f'{3 * int(index) + (part != "conv")}.{rest}')
            renamed[key] = new
        for old, new in renamed.items():
            state_dict[new] = state_dict.pop(old)
        if renamed:
            print_log(
                f'{type(self).__name__}: renamed {len(renamed)} deep-stem '
                f'tensors from the {"flat" if conv_modules else "ConvModule"}'
                ' layout of another library', logger='current')

    def _split_widened_norms(self, state_dict: dict, prefix: str) -> None:
        """Converts, in place, checkpoints of sb_mm <= 0.1.0, whose norm
        after the SB conv was one layer over C + m channels, to the split
        layout (the stock norm over C, ``sb_norm`` over m): the same
        per-channel values, so the same function."""
        split = []
        for name, channels in self._sb_split_norms.items():
            split += split_norm_state(state_dict, f'{prefix}{name}.', channels)
        if split:
            print_log(
                f'{type(self).__name__}: converted {len(split)} norm tensors '
                'of the layout before sb_mm 0.2 (one norm over C + m '
                'channels) to the stock norm + sb_norm layout',
                logger='current')

    def _expand_stock_tensors(self, state_dict: dict, prefix: str) -> None:
        """Widens, in place, stock-shaped tensors of the widened convs."""
        expanded = []
        for name, stock in self._sb_widened_convs.items():
            key = f'{prefix}{name}.weight'
            src = state_dict.get(key)
            if src is None or src.dim() != 4 or src.shape[1] != stock:
                continue
            module = self.get_submodule(name)
            if hasattr(module, 'sb_input'):  # the consumer kept its weight:
                # its SB input conv starts at zero instead
                side = f'{prefix}{name}.sb_input.weight'
                if side not in state_dict:
                    state_dict[side] = torch.zeros_like(
                        module.sb_input.weight)
                    expanded.append(side)
                continue
            new = module.weight
            out = src.new_zeros(src.shape[0], new.shape[1], *src.shape[2:])
            out[:, :stock] = src
            state_dict[key] = out
            expanded.append(key)
        if expanded:
            sb_names = sorted({
                name.rsplit('.sb.', 1)[0] + '.sb'
                for name, _ in self.named_parameters() if '.sb.' in name
            } | {
                name.rsplit('.sb_norm.', 1)[0] + '.sb_norm'
                for name, _ in self.named_parameters() if '.sb_norm.' in name
            })
            print_log(
                f'{type(self).__name__}: loaded a checkpoint without spatial '
                f'bias. Widened {len(expanded)} stock tensors for the SB '
                'channels (their input columns set to zero): '
                f'{", ".join(expanded)}. Newly initialised: '
                f'{", ".join(n + ".*" for n in sb_names)}.',
                logger='current')


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


def _channels(norm: nn.Module) -> int:
    return norm.num_features if hasattr(norm, 'num_features') \
        else norm.num_channels


__all__ = [
    'SpatialBiasResNetMixin', 'SpatialBiasHRNetMixin', 'check_sb_cfg', 'check_stage_flags', 'SB_CFG_DEFAULTS',
    'SB_STAGES_DEFAULT'
]
