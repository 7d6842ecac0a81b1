import importlib

import pytest
import torch

import sb_mm  # noqa: F401  (applies sb_mm.compat)

LIBRARIES = ('mmdet', 'mmseg', 'mmpretrain')


def registry(lib):
    """(MODELS registry, sb_mm module) of one library."""
    return (importlib.import_module(f'{lib}.registry').MODELS,
            importlib.import_module(f'sb_mm.{lib}'))


def build_backbone(lib, **cfg):
    models, _ = registry(lib)
    return models.build(cfg)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
