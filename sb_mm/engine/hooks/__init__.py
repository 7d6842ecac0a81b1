"""sb_mm's runner hooks, one per module, each registered once, in
mmengine's root ``HOOKS``: the HOOKS of MMDetection, MMSegmentation and
MMPretrain are its children and find them there (importing
``sb_mm.mmdet`` / ``sb_mm.mmseg`` / ``sb_mm.mmpretrain`` imports this
package):

- ``SBMapVisualizationHook``: spatial-bias maps of a few validation images,
  every N epochs or iterations, into the runner's visualizer backends
  (``custom_hooks = [dict(type='SBMapVisualizationHook', interval=1)]``).
- ``RandomStateHook``: the random generators' states travel in every
  checkpoint, so a resumed run draws what the uninterrupted run would have
  drawn; ``tools/train.py`` adds it to every run.
- ``ChannelsLastHook``: the model in the channels-last memory format, as
  the paper's authors trained (``custom_hooks = [dict(type=
  'ChannelsLastHook')]``).
"""
from .channels_last_hook import ChannelsLastHook
from .random_state_hook import RandomStateHook
from .sb_map_visualization_hook import SBMapVisualizationHook

__all__ = ['ChannelsLastHook', 'RandomStateHook', 'SBMapVisualizationHook']
