"""Models from configs, as the Runner builds them: for the analysis tools,
the benchmark and the tests (one builder for all of them)."""
import importlib
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config

from .checks import (
    check_checkpoint_file,
    explain_unknown_type,
    innermost_dataset,
)
from .cli import library_of, load_config


def build_in_scope(lib: str, model_cfg: dict):
    """Builds ``model_cfg`` with ``lib``'s MODELS registry under its default
    scope, after importing ``sb_mm.<lib>`` (which registers the SB types):
    mmengine's registries build from the current default scope, which another
    Runner in the same process may have set."""
    from mmengine.registry import DefaultScope
    importlib.import_module(f'sb_mm.{lib}')
    registry = importlib.import_module(f'{lib}.registry').MODELS
    with DefaultScope.overwrite_default_scope(lib):
        return registry.build(model_cfg)


def build_model(cfg: Config):
    """The config's model, built as the Runner builds it: the library's
    sb_mm module and the config's ``custom_imports`` imported, the registry
    of the config's library, under its scope. Returns ``(model, library)``."""
    lib = library_of(cfg)
    for name in cfg.get('custom_imports', {}).get('imports', []):
        importlib.import_module(name)
    try:
        return build_in_scope(lib, cfg.model), lib
    except KeyError as err:
        raise (explain_unknown_type(err, cfg) or err) from None


def drop_pretrained(node) -> None:
    """Removes, in place, every ``pretrained=...`` and every Pretrained
    ``init_cfg`` of a model config (nested ones too, e.g. DetectoRS's
    ``rfp_backbone``): the checkpoint given to :func:`load_model` is what
    the weights come from, and nothing is downloaded."""
    if isinstance(node, dict):
        node.pop('pretrained', None)
        init = node.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            node.pop('init_cfg')
        for value in node.values():
            drop_pretrained(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            drop_pretrained(value)


def load_model(config: str, checkpoint: Optional[str] = None,
               cfg_options: Optional[dict] = None, edit=None):
    """A config's model in eval mode on the CPU, with ``checkpoint``'s
    weights (mmengine's ``load_checkpoint``: weights-only, see
    ``sb_mm.compat``); Pretrained ``init_cfg`` and ``pretrained`` settings
    are dropped, so nothing is downloaded. ``edit(cfg)`` may change the
    config before the build.
    Returns ``(model, cfg, library)``."""
    from mmengine.runner import load_checkpoint
    cfg = load_config(config, cfg_options)
    drop_pretrained(cfg.model)
    if edit is not None:
        edit(cfg)
    model, lib = build_model(cfg)
    if hasattr(model, 'init_weights'):
        model.init_weights()
    if checkpoint:
        check_checkpoint_file(checkpoint)
        load_checkpoint(model, checkpoint, map_location='cpu',
                        logger='silent')
    model.cfg = cfg  # as the stock init_model functions leave it
    return model.eval(), cfg, lib


def image_inputs(model, cfg: Config, lib: str, image: str) -> torch.Tensor:
    """One image file through the config's test pipeline (annotation
    loading left out, as the stock inferencers do) and the model's data
    preprocessor: (1, 3, H, W)."""
    from mmengine.dataset import Compose, pseudo_collate
    from mmengine.registry import DefaultScope
    if not osp.isfile(image):
        raise FileNotFoundError(f'image not found: {image}')
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader')
    dataset = innermost_dataset(loader['dataset'])
    steps = [step for step in dataset['pipeline']
             if 'Annotations' not in step['type']]
    with DefaultScope.overwrite_default_scope(lib):
        data = Compose(steps)(dict(img_path=image, img_id=0))
        batch = model.data_preprocessor(pseudo_collate([data]), False)
    return batch['inputs']


__all__ = [
    'build_in_scope', 'build_model', 'drop_pretrained', 'load_model',
    'image_inputs'
]
