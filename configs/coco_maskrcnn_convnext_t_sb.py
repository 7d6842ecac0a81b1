# Mask R-CNN ConvNeXt-T FPN 3x (AMP, multi-scale crop) on COCO with spatial
# bias in stages 1-3. Only the backbone type differs from the stock config,
# whose ImageNet ConvNeXt-T checkpoint loads function-preserving.
_base_ = 'mmdet::convnext/mask-rcnn_convnext-t-p4-w7_fpn_amp-ms-crop-3x_coco.py'  # noqa: E501
custom_imports = dict(
    imports=['mmpretrain.models', 'sb_mm.mmdet', 'sb_mm.mmpretrain'],
    allow_failed_imports=False)

model = dict(backbone=dict(type='mmpretrain.SBConvNeXt'))
