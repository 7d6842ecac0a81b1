"""Helpers of sb_mm's tests, importable by name from any test folder (the
repository's tests/ and the projects' tests: ``pytest.ini`` puts tests/ on
``sys.path``); ``conftest.py`` holds the fixtures."""
import importlib
import os
import subprocess
import sys

import torch

import sb_mm  # noqa: F401  (applies sb_mm.compat)

LIBRARIES = ('mmdet', 'mmseg', 'mmpretrain')
#: the repository root
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def registry(lib):
    """(MODELS registry, sb_mm module) of one library."""
    return (importlib.import_module(f'{lib}.registry').MODELS,
            importlib.import_module(f'sb_mm.{lib}'))


def build_backbone(lib, **cfg):
    """Builds under ``lib``'s scope (``sb_mm.apis.models.build_in_scope``):
    mmengine's registries build from the current default scope, which
    another test's Runner may have set."""
    from sb_mm.apis.models import build_in_scope
    return build_in_scope(lib, cfg)


def load_tool(relpath):
    """A tool script (``tools/...py``, ``demo/...py``) loaded as a module
    from its file, a fresh module each call: its ``main(argv)``,
    ``parse_args`` and helpers."""
    import importlib.util
    repo = REPO
    name = '_tool_' + relpath.replace('/', '_').replace('.', '_')
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(repo, relpath))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def record_calls(monkeypatch, owner, name):
    """Replaces ``owner.name`` (through ``monkeypatch``) by a wrapper that
    appends each call's positional arguments to the returned list, then
    calls the original."""
    original = getattr(owner, name)
    calls = []

    def recorded(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)
    monkeypatch.setattr(owner, name, recorded)
    return calls


class ConvWrapper(torch.nn.Module):
    """A conv wrapper that keeps its conv as ``.conv``: without an
    ``in_channels`` of its own (as ResNeSt's split-attention conv), or with
    one that differs from its conv's (it adds 2 coordinate channels to its
    input, as a CoordConv: the SB layer reads the wrapper's input)."""

    def __init__(self, in_channels, coords=False):
        super().__init__()
        self.conv = torch.nn.Conv2d(in_channels + 2 * coords, 6, 3, padding=1)
        if coords:
            self.in_channels = in_channels

    def forward(self, x):
        if hasattr(self, 'in_channels'):
            ys, xs = torch.meshgrid(torch.linspace(-1, 1, x.shape[2]),
                                    torch.linspace(-1, 1, x.shape[3]),
                                    indexing='ij')
            x = torch.cat([x, ys.expand(len(x), 1, -1, -1),
                           xs.expand(len(x), 1, -1, -1)], 1)
        return self.conv(x)


def assert_same_features(a, b, x):
    """Two backbones in eval mode compute the same features of ``x`` (the
    libraries' ``train()`` returns None: not chained)."""
    a.eval()
    b.eval()
    with torch.no_grad():
        for p, q in zip(a(x), b(x)):
            torch.testing.assert_close(p, q)


def run_tool(cwd, *args, timeout=900):
    """Runs ``python *args`` in ``cwd`` (2 threads); asserts it succeeded
    and returns stdout + stderr."""
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='2')
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    return out
