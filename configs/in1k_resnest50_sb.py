# ResNeSt-50 on ImageNet-1K with spatial bias in stages 1-3 (conv2, the
# split-attention conv, emits the maps; they go straight to conv3).
_base_ = 'mmpretrain::resnest/resnest50_32xb64_in1k.py'
custom_imports = dict(imports=['sb_mm.mmpretrain'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBResNeSt'))
