"""Key maps between checkpoint layouts of SB-ResNets.

Layouts (``X`` stage 1-4, ``Y`` block index):

* ``authors`` -- the authors' timm-based SB-ResNet: torchvision ResNet names
  (``conv1``, ``bn1``, ``layerX.Y.{conv1,bn1,conv2,bn2,conv3,bn3}``,
  ``layerX.Y.downsample.{0,1}``, ``fc``) plus, in each SB bottleneck,
  ``layerX.Y.SB.feature_reduction.0.weight`` (the 1x1 conv),
  ``layerX.Y.SB.feature_reduction.1.*`` (its BN) and
  ``layerX.Y.SB.sb_conv.{weight,bias}`` (the Conv1d over the grid
  positions); ``bn2`` / ``conv3`` run over planes + m channels, the SB maps
  after conv2's channels.
* ``mmpretrain`` -- an sb_mm ``ImageClassifier`` with ``SBResNet``:
  ``backbone.<torchvision names>`` with the SB layer at
  ``backbone.layerX.Y.conv2.sb.{reduce.conv, reduce.bn, mix}.*`` and the
  classifier at ``head.fc.*``; conv3 widened in the same channel order, bn2
  over planes with ``bn2.sb_norm.*`` over the m maps (the authors' one bn2
  split exactly per channel, and merged back the other way).
* ``backbone`` -- the backbone of that classifier without any prefix: what
  ``init_cfg=dict(type='Pretrained', checkpoint=...)`` of an mmdet / mmseg
  ``SBResNet`` loads (as mmdet's ``torchvision://resnet50`` is laid out).

Every function returns a new ordered dict and raises ``KeyError`` naming the
keys it could not place: nothing is dropped silently.
"""
import io
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Tuple

import torch

from .checkpoint_io import (
    atomic_write,
    check_checkpoint_file,
    load_checkpoint_file,
    strip_module_prefix,
    unwrap_state_dict,
)
from .layers.names import SB, SB_NORM
from .layers.norm_with_spatial_bias import merge_norm_state, split_norm_state

#: authors' SB sub-module -> sb_mm's, inside ``layerX.Y.``
_SB_PARTS = (
    ('SB.feature_reduction.0.', f'conv2.{SB}.reduce.conv.'),
    ('SB.feature_reduction.1.', f'conv2.{SB}.reduce.bn.'),
    ('SB.sb_conv.', f'conv2.{SB}.mix.'),
)
#: torchvision ResNet names, shared by the authors' layout and sb_mm's
#: ResNet (mmpretrain, mmdet, mmseg; not the deep-stem V1c / V1d)
_STOCK = re.compile(
    r'^(conv1\.|bn1\.|layer[1-4]\.\d+\.(conv[123]|bn[123]|downsample\.[01])\.)')
_BLOCK = re.compile(r'^(layer[1-4]\.\d+\.)(.*)$')


def _state_dict(checkpoint: Mapping) -> Mapping[str, torch.Tensor]:
    """The tensors of a loaded checkpoint: its ``state_dict`` (mmengine),
    ``model`` / ``state_dict_ema`` (timm's training script) or itself."""
    state = unwrap_state_dict(checkpoint)
    if not state or not all(torch.is_tensor(v) for v in state.values()):
        raise ValueError('not a checkpoint of tensors: expected a dict of '
                         'tensors, or one under "state_dict" / "model"')
    return state


def _fail(unplaced: List[str], source: str) -> None:
    if unplaced:
        shown = ', '.join(unplaced[:8])
        more = f' (and {len(unplaced) - 8} more)' if len(unplaced) > 8 else ''
        raise KeyError(f'{len(unplaced)} key(s) of the {source} checkpoint '
                       f'have no place in the target layout: {shown}{more}')


def authors_to_backbone(state: Mapping) -> Tuple['OrderedDict', Dict]:
    """Authors' layout -> sb_mm ``SBResNet`` backbone keys (no prefix).

    Returns ``(backbone_state, head_state)``; ``head_state`` holds ``fc.*``
    (empty if the checkpoint has no classifier).
    """
    state = _state_dict(state)
    out, head, unplaced = OrderedDict(), OrderedDict(), []
    for key, value in state.items():
        if key.startswith('fc.'):
            head[key] = value
            continue
        if _STOCK.match(key):
            out[key] = value
            continue
        match = _BLOCK.match(key)
        new = None
        if match:
            block, rest = match.groups()
            for old_part, new_part in _SB_PARTS:
                if rest.startswith(old_part):
                    new = block + new_part + rest[len(old_part):]
                    break
        if new is None:
            unplaced.append(key)
        else:
            out[new] = value
    _fail(unplaced, "authors'")
    mix = f'conv2.{SB}.mix.weight'
    for key in [k for k in out if k.endswith(f'.{mix}')]:
        block = key[:-len(mix)]
        split_norm_state(out, block + 'bn2.',
                         out[block + 'conv2.weight'].shape[0])
    return out, head


def backbone_to_authors(backbone: Mapping, head: Mapping = None
                        ) -> 'OrderedDict':
    """sb_mm ``SBResNet`` backbone keys (+ ``fc.*``) -> the authors' layout."""
    out, unplaced = OrderedDict(), []
    backbone = OrderedDict(_state_dict(backbone))
    for key in [k for k in backbone if k.endswith(f'.bn2.{SB_NORM}.weight')]:
        merge_norm_state(backbone, key[:-len(f'{SB_NORM}.weight')])
    for key, value in backbone.items():
        match = _BLOCK.match(key)
        new = None
        if match:  # SB first: conv2.sb.* also starts like a stock conv2
            block, rest = match.groups()
            for old_part, new_part in _SB_PARTS:
                if rest.startswith(new_part):
                    new = block + old_part + rest[len(new_part):]
                    break
        if new is None and _STOCK.match(key) and f'.{SB}.' not in key:
            new = key
        if new is None:
            unplaced.append(key)
        else:
            out[new] = value
    _fail(unplaced, 'sb_mm backbone')
    for key, value in (head or {}).items():
        out[key] = value
    return out


def authors_to_mmpretrain(state: Mapping) -> 'OrderedDict':
    """Authors' layout -> sb_mm ``ImageClassifier`` keys (``backbone.*``,
    ``head.fc.*``)."""
    backbone, head = authors_to_backbone(state)
    out = OrderedDict(('backbone.' + k, v) for k, v in backbone.items())
    out.update(('head.' + k, v) for k, v in head.items())
    return out


def split_classifier(state: Mapping) -> Tuple['OrderedDict', 'OrderedDict']:
    """An mmpretrain classifier's keys -> ``(backbone, fc)`` without the
    ``backbone.`` / ``head.`` prefixes. Other keys (a neck with parameters,
    data preprocessor buffers) raise ``KeyError`` naming them."""
    backbone, head, unplaced = OrderedDict(), OrderedDict(), []
    for key, value in _state_dict(state).items():
        if key.startswith('backbone.'):
            backbone[key[len('backbone.'):]] = value
        elif key.startswith('head.fc.'):
            head[key[len('head.'):]] = value
        else:
            unplaced.append(key)
    _fail(unplaced, 'mmpretrain classifier')
    return backbone, head


def mmpretrain_to_authors(state: Mapping) -> 'OrderedDict':
    """sb_mm ``ImageClassifier`` (or backbone-only) keys -> authors' layout."""
    state = _state_dict(state)
    if any(k.startswith('backbone.') for k in state):
        backbone, head = split_classifier(state)
    else:
        backbone, head = state, {}
    return backbone_to_authors(backbone, head)


def load_weights(path: str) -> Mapping[str, torch.Tensor]:
    """The tensors of the checkpoint file ``path``, loaded with
    ``weights_only=True`` (a file whose unpickling would run code is
    refused); errors name the file."""
    check_checkpoint_file(path)
    checkpoint = load_checkpoint_file(path, map_location='cpu')
    try:
        return _state_dict(checkpoint)
    except ValueError as e:
        raise ValueError(f'{path}: {e}') from None


def save_weights(state: Mapping, path: str, meta: dict = None) -> None:
    """Writes ``state`` to ``path`` atomically (a temporary file, then
    rename: ``sb_mm.checkpoint_io.atomic_write``): as ``{'meta',
    'state_dict'}`` when ``meta`` is given (the OpenMMLab layout), else as
    a plain dict of tensors (timm's)."""
    payload = dict(state) if meta is None else dict(
        meta=meta, state_dict=OrderedDict(state))
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write(buffer.getvalue(), path)


def summary(state: Mapping) -> str:
    """What a converted checkpoint holds: tensors per kind and the SB
    blocks."""
    sb_keys = [k for k in state
               if re.search(rf'\.({SB}|SB|{SB_NORM})\.', k)]
    sb_blocks = sorted({k.split(f'.{SB}.')[0].split('.SB.')[0]
                        for k in sb_keys if f'.{SB_NORM}.' not in k})
    head = [k for k in state if re.match(r'^(head\.)?fc\.', k)]
    stock = len(state) - len(head) - len(sb_keys)
    return (f'{len(state)} tensors: {stock} stock ResNet, '
            f'{len(state) - stock - len(head)} spatial bias in '
            f'{len(sb_blocks)} blocks ({", ".join(sb_blocks)}), '
            f'{len(head)} classifier')


__all__ = [
    'authors_to_backbone', 'authors_to_mmpretrain', 'backbone_to_authors',
    'load_weights', 'mmpretrain_to_authors', 'save_weights',
    'split_classifier', 'strip_module_prefix', 'summary'
]
