import importlib
import os
import subprocess
import sys

import pytest
import torch

import sb_mm  # noqa: F401  (applies sb_mm.compat)

LIBRARIES = ('mmdet', 'mmseg', 'mmpretrain')


def registry(lib):
    """(MODELS registry, sb_mm module) of one library."""
    return (importlib.import_module(f'{lib}.registry').MODELS,
            importlib.import_module(f'sb_mm.{lib}'))


def build_backbone(lib, **cfg):
    """Builds under ``lib``'s scope: mmengine's registries build from the
    current default scope, which another test's Runner may have set."""
    from mmengine.registry import DefaultScope
    models, _ = registry(lib)
    with DefaultScope.overwrite_default_scope(lib):
        return models.build(cfg)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def run_tool(cwd, *args, timeout=900):
    """Runs ``python *args`` in ``cwd`` (2 threads); asserts it succeeded
    and returns stdout + stderr."""
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='2')
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    return out
