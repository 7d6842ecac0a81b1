"""The long-range study (``tools/analysis_tools/long_range_study.py``):
:mod:`.tasks` (what is trained), :mod:`.running` (training, the swapped-cue
evaluation, data, cost), :mod:`.metrics` (reading what the runs wrote) and
:mod:`.report` (table and figures)."""
