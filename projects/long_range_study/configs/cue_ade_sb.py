# Long-range study: spatial bias in every block (see _base_/cue_ade.py).
_base_ = './_base_/cue_ade.py'

model = dict(backbone=dict(type='SBResNetV1c'))
