# Mask R-CNN R50-FPN 1x on COCO with spatial bias in stages 1-3 (the paper's
# setting). Only the backbone type differs from the stock config.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['sb_mm.mmdet'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBResNet'))
