# Long-range study: the plain ResNet trunk (see _base_/cue_coco.py).
_base_ = './_base_/cue_coco.py'

model = dict(backbone=dict(type='ResNet'))
