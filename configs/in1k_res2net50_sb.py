# Res2Net-50 (26w x 8s) on ImageNet-1K with spatial bias in stages 1-3.
_base_ = 'mmpretrain::res2net/res2net50-w26-s8_8xb32_in1k.py'
custom_imports = dict(imports=['sb_mm.mmpretrain'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBRes2Net'))
