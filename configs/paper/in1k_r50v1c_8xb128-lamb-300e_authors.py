# ResNet-50-V1c (deep 3x3 stem) with the paper's ImageNet-1K recipe: the
# pretraining of the plain UPerNet baseline. MMSegmentation's UPerNet is
# built on V1c; the paper pretrained only the V1 stem (7x7 conv), see
# docs/en/reproduce.md.
_base_ = './in1k_r50_8xb128-lamb-300e_authors.py'

model = dict(backbone=dict(type='ResNetV1c'))
