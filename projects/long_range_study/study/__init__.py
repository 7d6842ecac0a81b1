"""The long-range study (``tools/long_range_study.py`` of this project):
:mod:`.tasks` (what is trained), :mod:`.running` (training, the swapped-cue
evaluation, data, cost), :mod:`.metrics` (reading what the runs wrote),
:mod:`.report` (table and figures) and :mod:`.data` (the generated tasks).

Importing this package (``custom_imports=dict(imports=[
'projects.long_range_study.study'])``, the repository root on
``PYTHONPATH``) registers what the study's configs name:
``SBGradientStatsHook`` and the ``sb_cfg`` keys ``shared_mix`` and
``add_to_output`` (:mod:`.sb_options`)."""
from . import sb_options  # noqa: F401  (registers the sb_cfg keys)
from .data import make_long_range
from .sb_gradient_stats_hook import SBGradientStatsHook

__all__ = ['SBGradientStatsHook', 'make_long_range']
