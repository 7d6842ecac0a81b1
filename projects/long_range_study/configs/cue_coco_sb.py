# Long-range study: spatial bias in every block (see _base_/cue_coco.py).
_base_ = './_base_/cue_coco.py'

model = dict(backbone=dict(type='SBResNet'))
