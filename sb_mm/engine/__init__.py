"""Training-loop pieces, each registered once in mmengine's root registries
on import: runner hooks (:mod:`sb_mm.engine.hooks`) and parameter
schedulers (:mod:`sb_mm.engine.schedulers`)."""
from .hooks import (
    ChannelsLastHook,
    RandomStateHook,
    SBMapVisualizationHook,
)
from .schedulers import TimmCosineLR

__all__ = ['ChannelsLastHook', 'RandomStateHook', 'SBMapVisualizationHook',
           'TimmCosineLR']
