# RegNetX-400MF on ImageNet-1K with spatial bias in stages 1-3.
_base_ = 'mmpretrain::regnet/regnetx-400mf_8xb128_in1k.py'
custom_imports = dict(imports=['sb_mm.mmpretrain'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBRegNet'))
