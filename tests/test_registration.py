"""sb_mm's hooks and schedulers are registered once, in mmengine's root
registries, and every library's configs build them from there (issue 31:
they were registered three times, in each library's own HOOKS)."""
import importlib

import pytest
import torch
from mmengine.registry import HOOKS, PARAM_SCHEDULERS, DefaultScope
from sb_testing import LIBRARIES

from sb_mm.engine import (
    ChannelsLastHook,
    RandomStateHook,
    SBMapVisualizationHook,
    TimmCosineLR,
)

HOOK_TYPES = (ChannelsLastHook, RandomStateHook, SBMapVisualizationHook)


@pytest.mark.parametrize('lib', LIBRARIES)
def test_each_library_builds_sb_mms_hooks_from_the_root(lib):
    importlib.import_module(f'sb_mm.{lib}')
    registry = importlib.import_module(f'{lib}.registry')
    for cls in HOOK_TYPES:
        name = cls.__name__
        assert HOOKS.module_dict[name] is cls
        assert name not in registry.HOOKS.module_dict, (lib, name)
        with DefaultScope.overwrite_default_scope(lib):
            assert type(registry.HOOKS.build(dict(type=name))) is cls
    assert PARAM_SCHEDULERS.module_dict['TimmCosineLR'] is TimmCosineLR
    assert 'TimmCosineLR' not in registry.PARAM_SCHEDULERS.module_dict
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1)
    with DefaultScope.overwrite_default_scope(lib):
        scheduler = registry.PARAM_SCHEDULERS.build(
            dict(type='TimmCosineLR', optimizer=optimizer, t_initial=10))
    assert type(scheduler) is TimmCosineLR
