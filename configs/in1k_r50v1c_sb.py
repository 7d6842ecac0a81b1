# ResNet-50-V1c (deep 3x3 stem) on ImageNet-1K with spatial bias in stages
# 1-3: the pretraining for configs/ade20k_upernet_r50_sb.py, as the stock
# UPerNet starts from mmpretrain's ResNetV1c-50 (open-mmlab://resnet50_v1c).
_base_ = 'mmpretrain::resnet/resnetv1c50_8xb32_in1k.py'
custom_imports = dict(imports=['sb_mm.mmpretrain'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBResNetV1c'))
