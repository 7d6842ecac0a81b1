# UPerNet R50 (ResNetV1c) 160k on ADE20K with spatial bias in stages 1-3.
_base_ = 'mmseg::upernet/upernet_r50_4xb4-160k_ade20k-512x512.py'
custom_imports = dict(imports=['sb_mm.mmseg'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBResNetV1c'))
