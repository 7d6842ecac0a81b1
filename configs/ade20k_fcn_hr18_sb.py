# FCN with HRNetV2-W18 on ADE20K and spatial bias in HRNet's stages 1-3
# (layer1, stage2, stage3: every block of every branch).
_base_ = 'mmseg::hrnet/fcn_hr18_4xb4-160k_ade20k-512x512.py'
custom_imports = dict(imports=['sb_mm.mmseg'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBHRNet'))
