"""sb_mm: spatial bias (Go & Ryu, arXiv 2302.12505) for MMDetection,
MMSegmentation and MMPretrain.

``import sb_mm`` applies the compatibility shims of :mod:`sb_mm.compat`. The
backbones are registered by the per-library modules ``sb_mm.mmdet``,
``sb_mm.mmseg`` and ``sb_mm.mmpretrain`` (what configs name in
``custom_imports``).
"""
from . import compat
from .version import __version__  # noqa: F401

compat.apply()
