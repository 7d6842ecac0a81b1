# HRNet-W18 on ImageNet-1K with spatial bias in HRNet's stages 1-3.
_base_ = 'mmpretrain::hrnet/hrnet-w18_4xb32_in1k.py'
custom_imports = dict(imports=['sb_mm.mmpretrain'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBHRNet'))
