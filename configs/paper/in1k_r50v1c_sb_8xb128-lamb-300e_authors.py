# SB-ResNet-50-V1c with the paper's ImageNet-1K recipe: the pretraining of
# the SB UPerNet (configs/paper/ade20k_upernet_r50v1c_sb_160k_authors.py).
_base_ = './in1k_r50_8xb128-lamb-300e_authors.py'

model = dict(backbone=dict(type='SBResNetV1c'))
