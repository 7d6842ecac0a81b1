"""Fixtures of sb_mm's tests. The helpers live in ``sb_testing`` (imported
by name: with the projects' test folders collected too, ``conftest`` is not
one module)."""
import pytest
import sb_testing  # noqa: F401  (imports sb_mm: applies sb_mm.compat)
import torch


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """A folder holding ``data/demo`` (the small generated demo data), used
    as the working directory of the tools; one per test module."""
    from sb_mm.datasets import make_all
    root = tmp_path_factory.mktemp('ws')
    make_all(str(root / 'data' / 'demo'), small=True)
    return root


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
