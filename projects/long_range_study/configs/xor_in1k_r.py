# Long-range study: the plain ResNet trunk (see _base_/xor_in1k.py).
_base_ = './_base_/xor_in1k.py'

model = dict(backbone=dict(type='ResNet'))
