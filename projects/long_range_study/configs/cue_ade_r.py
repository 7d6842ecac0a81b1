# Long-range study: the plain ResNet trunk (see _base_/cue_ade.py).
_base_ = './_base_/cue_ade.py'

model = dict(backbone=dict(type='ResNetV1c'))
