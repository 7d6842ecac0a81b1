"""How an SB backbone loads checkpoints saved without spatial bias (stock
ResNets), with the other libraries' deep-stem layout, or in sb_mm 0.1's
one-norm layout: each rewritten on the way in, so the load is
function-preserving."""
import re

import torch
import torch.nn as nn
from mmengine.logging import print_log

from ..layers.names import SB, SB_INPUT, SB_NORM
from ..layers.norm_with_spatial_bias import norm_channels, split_norm_state


class StockCheckpointLoadingMixin:
    """The checkpoint-rewriting half of :class:`SpatialBiasResNetMixin`.
    It reads the two maps the building half fills: ``_sb_widened_convs``
    (consumer name -> stock input channels) and ``_sb_split_norms`` (norm
    name -> stock channels)."""

    _sb_widened_convs: dict
    _sb_split_norms: dict

    def stock_tensor_fits(self, key: str, shape) -> bool:
        """Whether a checkpoint tensor named ``key`` (relative to this
        backbone) of ``shape`` loads into it: its own shape, or the stock
        shape of a tensor that SB widened (a consumer conv's weight with
        the stock input channels, a norm tensor over C + m channels saved
        as one layer by sb_mm 0.1 or the authors)."""
        shape = tuple(shape)
        owner, _, name = key.rpartition('.')
        try:
            own = getattr(self.get_submodule(owner), name, None)
        except AttributeError:
            return False
        if not torch.is_tensor(own):
            return False
        mine = tuple(own.shape)
        if shape == mine:
            return True
        if owner in self._sb_widened_convs and name == 'weight':
            differ = [i for i, (a, b) in enumerate(zip(shape, mine))
                      if a != b]
            return len(shape) == len(mine) and differ == [1] and \
                shape[1] == self._sb_widened_convs[owner]
        if owner in self._sb_split_norms and len(shape) == 1:
            maps = norm_channels(
                self.get_submodule(f'{owner}.{SB_NORM}'))
            return shape[0] == self._sb_split_norms[owner] + maps
        return False

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
        """Converts, in place, checkpoints of sb_mm 0.1.0, whose norm
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
            if src is None or src.dim() < 2 or src.shape[1] != stock:
                continue
            module = self.get_submodule(name)
            if hasattr(module, SB_INPUT):  # the consumer kept its weight:
                # its SB input conv starts at zero instead
                side = f'{prefix}{name}.{SB_INPUT}.weight'
                if side not in state_dict:
                    state_dict[side] = torch.zeros_like(
                        getattr(module, SB_INPUT).weight)
                    expanded.append(side)
                continue
            new = module.weight
            out = src.new_zeros(src.shape[0], new.shape[1], *src.shape[2:])
            out[:, :stock] = src
            state_dict[key] = out
            expanded.append(key)
        if expanded:
            sb_names = sorted({
                name.rsplit(f'.{part}.', 1)[0] + f'.{part}'
                for name, _ in self.named_parameters()
                for part in (SB, SB_NORM) if f'.{part}.' in name})
            print_log(
                f'{type(self).__name__}: loaded a checkpoint without spatial '
                f'bias. Widened {len(expanded)} stock tensors for the SB '
                'channels (their input columns set to zero): '
                f'{", ".join(expanded)}. Newly initialised: '
                f'{", ".join(n + ".*" for n in sb_names)}.',
                logger='current')


__all__ = ['StockCheckpointLoadingMixin']
