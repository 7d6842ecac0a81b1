# UPerNet ConvNeXt-T 160k (AMP) on ADE20K with spatial bias in stages 1-3.
# Only the backbone type differs from the stock config, whose ImageNet
# ConvNeXt-T checkpoint loads function-preserving.
_base_ = 'mmseg::convnext/convnext-tiny_upernet_8xb2-amp-160k_ade20k-512x512.py'  # noqa: E501
custom_imports = dict(
    imports=['mmpretrain.models', 'sb_mm.mmseg', 'sb_mm.mmpretrain'],
    allow_failed_imports=False)

model = dict(backbone=dict(type='mmpretrain.SBConvNeXt'))
