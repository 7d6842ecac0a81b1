# DeepLabV3 with ResNeSt-101 (dilated, output stride 8) on ADE20K with spatial
# bias in stages 1-3.
_base_ = 'mmseg::resnest/resnest_s101-d8_deeplabv3_4xb4-160k_ade20k-512x512.py'
custom_imports = dict(imports=['sb_mm.mmseg'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBResNeSt'))
