"""Kept for imports of sb_mm 0.1: the hooks live in
:mod:`sb_mm.engine.hooks`."""
from .engine.hooks import (
    RandomStateHook,
    SBGradientStatsHook,
    SBMapVisualizationHook,
)

__all__ = ['SBMapVisualizationHook', 'RandomStateHook', 'SBGradientStatsHook']
