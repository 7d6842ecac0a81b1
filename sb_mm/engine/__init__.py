"""Training-loop pieces: runner hooks (:mod:`sb_mm.engine.hooks`)."""
from .hooks import RandomStateHook, SBGradientStatsHook, SBMapVisualizationHook

__all__ = ['RandomStateHook', 'SBGradientStatsHook', 'SBMapVisualizationHook']
