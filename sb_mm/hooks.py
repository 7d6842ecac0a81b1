"""Kept for imports of sb_mm 0.1: the hooks live in
:mod:`sb_mm.engine.hooks`."""
from .engine.hooks import RandomStateHook, SBMapVisualizationHook

__all__ = ['SBMapVisualizationHook', 'RandomStateHook']
