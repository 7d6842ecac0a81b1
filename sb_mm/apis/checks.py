"""Checks that stop a run where the mistake is made, naming what is wrong:
the config, its data and the checkpoint it loads (``tools/train.py``,
``tools/test.py``; docs/en/notes/common_errors.md lists them)."""
import json
import os
import os.path as osp
from typing import Iterable, Optional

import torch
from mmengine.config import Config

from ..checkpoint_io import (
    check_checkpoint_file,
    load_checkpoint_file,
    unwrap_state_dict,
)
from ..models.stock_checkpoints import StockCheckpointLoadingMixin


# -- configs -----------------------------------------------------------------
def read_config(path: str) -> Config:
    """``Config.fromfile`` whose errors name the config being read (mmengine
    names only the missing ``_base_`` file, or no file at all for a syntax
    error)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    try:
        return Config.fromfile(path)
    except FileNotFoundError as e:
        raise FileNotFoundError(
            f'{path}: a _base_ config it inherits cannot be found ({e}); '
            "check the _base_ paths (relative to the config's folder, or "
            "'mmdet::', 'mmseg::', 'mmpretrain::' for the stock ones)"
        ) from None
    except SyntaxError as e:
        raise SyntaxError(f'{path} (or a _base_ it inherits) is not valid '
                          f'Python: {e}') from None
    except ImportError as e:
        raise ImportError(f'{path}: custom_imports failed: {e}') from None


#: SB types that only MMPretrain registers, which MMDetection and
#: MMSegmentation configs name with the ``mmpretrain.`` scope
PRETRAIN_ONLY_SB_TYPES = ('SBConvNeXt', )


def explain_unknown_type(err: KeyError, cfg: Config) -> Optional[KeyError]:
    """For mmengine's ``KeyError('X is not in the <scope>::<registry>
    registry ...')``: an error that lists the SB types of the config's
    library and says what registers them; None for other errors."""
    text = str(err.args[0]) if err.args else ''
    if 'registry' not in text or ' is not in the ' not in text:
        return None
    name = text.split(' is not in the ')[0].strip('`\'" ')
    lib = cfg.get('default_scope')
    try:
        import importlib
        importlib.import_module(f'sb_mm.{lib}')
        models = importlib.import_module(f'{lib}.registry').MODELS
        sb_types = sorted(
            name for name, cls in models.module_dict.items()
            if getattr(cls, '__module__', '').startswith('sb_mm.')
            and name.startswith('SB'))
    except Exception:  # noqa: BLE001 - library not installed
        sb_types = []
    imports = (cfg.get('custom_imports') or {}).get('imports', [])
    hint = [f'{name!r} is not a type the {lib} registries know.']
    if sb_types:
        hint.append(f'SB types in {lib}: {", ".join(sb_types)}.')
    bare = name.rpartition('.')[2]
    if lib != 'mmpretrain' and bare in PRETRAIN_ONLY_SB_TYPES:
        hint.append(f"{bare} is MMPretrain's: name it type='mmpretrain."
                    f"{bare}' and add 'sb_mm.mmpretrain' to custom_imports, "
                    f'as the stock configs name mmpretrain.ConvNeXt.')
    if f'sb_mm.{lib}' not in imports:
        hint.append(f"The config does not import them: add custom_imports="
                    f"dict(imports=['sb_mm.{lib}'], "
                    'allow_failed_imports=False).')
    return KeyError(' '.join(hint) + f' (registry said: {text[:200]})')


# -- data --------------------------------------------------------------------
def innermost_dataset(dataset_cfg):
    """The dataset inside wrappers (``RepeatDataset``, ``ClassBalanced
    Dataset``, ...: each keeps the wrapped one as ``dataset``)."""
    while isinstance(dataset_cfg, dict) and 'dataset' in dataset_cfg:
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg


def leaf_datasets(cfg: Config, loaders: Iterable[str]):
    """``(loader name, dataset config)`` of every dataset the loaders read:
    inside wrappers and ``ConcatDataset``'s ``datasets`` lists."""
    for loader in loaders:
        loader_cfg = cfg.get(loader)
        if not loader_cfg:
            continue
        stack = [loader_cfg.get('dataset')]
        while stack:
            ds = innermost_dataset(stack.pop())
            if not isinstance(ds, dict):
                continue
            if 'datasets' in ds:
                stack.extend(ds['datasets'])
            else:
                yield loader, ds


def check_data_roots(cfg: Config, loaders=('train_dataloader',
                                           'val_dataloader',
                                           'test_dataloader')) -> None:
    """A missing data root fails here, naming the setting, not deep inside a
    dataset class."""
    for loader, ds in leaf_datasets(cfg, loaders):
        root = ds.get('data_root')
        if root and not osp.isdir(root):
            raise FileNotFoundError(
                f'{loader}.dataset.data_root {root!r} does not exist. '
                'Point it at your data with --cfg-options, or generate '
                'the demo data: python tools/make_demo_data.py')


def load_json_file(path: str, what: str):
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')
    try:
        with open(path) as f:
            return json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f'{what} {path} is not JSON: {e}') from None


def check_coco_annotations(ann_file: str) -> None:
    """The COCO instances file parses, and every polygon has at least 3
    points (6 numbers, an even count); the error names the annotation."""
    data = load_json_file(ann_file, 'COCO annotation file')
    if not isinstance(data, dict) or not {'images', 'annotations'} <= set(
            data):
        raise ValueError(f'{ann_file} is not a COCO instances file: it needs '
                         "'images' and 'annotations'")
    for ann in data['annotations']:
        seg = ann.get('segmentation')
        if not isinstance(seg, list):  # RLE or absent
            continue
        for k, poly in enumerate(seg):
            if not isinstance(poly, list) or len(poly) < 6 or len(poly) % 2:
                raise ValueError(
                    f'{ann_file}: annotation id {ann.get("id")} (image id '
                    f'{ann.get("image_id")}) has polygon {k} with '
                    f'{len(poly) if isinstance(poly, list) else "no"} '
                    'numbers; a polygon needs at least 3 points (6 numbers, '
                    'x y pairs)')


def check_segmentation_maps(img_dir: str, seg_dir: str, img_suffix: str,
                            seg_suffix: str) -> None:
    """Every image has a segmentation map of its size (read from the file
    headers); the error names both files."""
    from PIL import Image
    for root, _, files in os.walk(img_dir):
        for name in sorted(files):
            if not name.endswith(img_suffix):
                continue
            img = osp.join(root, name)
            rel = osp.relpath(img, img_dir)
            seg = osp.join(seg_dir, rel[:-len(img_suffix)] + seg_suffix)
            if not osp.isfile(seg):
                raise FileNotFoundError(
                    f'segmentation map not found for {img}: {seg}')
            try:
                with Image.open(img) as a, Image.open(seg) as b:
                    sizes = a.size, b.size
            except OSError as e:
                raise ValueError(f'cannot read {img} or {seg}: {e}') from None
            if sizes[0] != sizes[1]:
                raise ValueError(
                    f'segmentation map {seg} is {sizes[1][0]}x{sizes[1][1]} '
                    f'(w x h), its image {img} {sizes[0][0]}x{sizes[0][1]}')


def check_data(cfg: Config, loaders=('train_dataloader', 'val_dataloader',
                                     'test_dataloader')) -> None:
    """Annotation files of COCO-style datasets and the image / map pairs of
    segmentation datasets, before any worker starts."""
    seen = set()
    for _, ds in leaf_datasets(cfg, loaders):
        root = ds.get('data_root') or ''
        prefix = ds.get('data_prefix') or {}
        ann = ds.get('ann_file')
        if ann and str(ann).endswith('.json'):
            path = osp.join(root, ann)
            if path not in seen:
                seen.add(path)
                check_coco_annotations(path)
        if 'seg_map_path' in prefix and 'img_path' in prefix:
            img_dir = osp.join(root, prefix['img_path'])
            seg_dir = osp.join(root, prefix['seg_map_path'])
            if (img_dir, seg_dir) not in seen and osp.isdir(img_dir):
                seen.add((img_dir, seg_dir))
                check_segmentation_maps(
                    img_dir, seg_dir, ds.get('img_suffix', '.jpg'),
                    ds.get('seg_map_suffix', '.png'))


# -- checkpoints -------------------------------------------------------------
def check_checkpoint_matches(model, path: str, strict: bool = True) -> None:
    """The checkpoint's tensors fit ``model``: the first key whose shape
    differs is named with both shapes (``strict``: an error, else only if
    no tensor at all fits, i.e. another architecture). Loads weights-only."""
    checkpoint = load_checkpoint_file(path, map_location='cpu')
    own = model.state_dict()
    state = {k: v for k, v in unwrap_state_dict(checkpoint).items()
             if torch.is_tensor(v)}
    # SB backbones widen stock tensors on load: each says which fit it
    backbones = [(f'{name}.' if name else '', module)
                 for name, module in model.named_modules()
                 if isinstance(module, StockCheckpointLoadingMixin)]
    fits, first = 0, None
    for key, value in state.items():
        if key not in own:
            continue
        if tuple(own[key].shape) == tuple(value.shape) or any(
                key.startswith(prefix) and backbone.stock_tensor_fits(
                    key[len(prefix):], value.shape)
                for prefix, backbone in backbones):
            fits += 1
        elif first is None:
            first = (key, tuple(value.shape), tuple(own[key].shape))
    if first is not None and (strict or fits == 0):
        key, theirs, mine = first
        raise ValueError(
            f'checkpoint {path} does not fit this model: {key} is '
            f'{list(theirs)} in the checkpoint, {list(mine)} in the model '
            f'({fits} of {len(state)} tensors fit); is it from another '
            'architecture or config?')
    if fits == 0 and state:
        raise ValueError(
            f'checkpoint {path} shares no tensor name with this model (its '
            f'first key: {next(iter(state))}); is it from another '
            'architecture, or does it need a converter '
            '(tools/model_converters/)?')


__all__ = [
    'check_checkpoint_file', 'check_checkpoint_matches',
    'check_coco_annotations', 'check_data', 'check_data_roots',
    'check_segmentation_maps', 'explain_unknown_type', 'innermost_dataset',
    'leaf_datasets', 'load_json_file', 'read_config'
]
