# SE-ResNeXt-50 (32x4d) on ImageNet-1K with spatial bias in stages 1-3.
_base_ = 'mmpretrain::seresnet/seresnext50-32x4d_8xb32_in1k.py'
custom_imports = dict(imports=['sb_mm.mmpretrain'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBSEResNeXt'))
