"""Fixtures of the project's tests; the library's test helpers are imported
by name (``sb_testing``, ``sb_is_there``: ``pytest.ini`` puts tests/ on
``sys.path``)."""
import pytest
import torch


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
