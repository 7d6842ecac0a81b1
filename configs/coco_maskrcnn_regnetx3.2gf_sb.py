# Mask R-CNN with RegNetX-3.2GF and spatial bias in stages 1-3.
_base_ = 'mmdet::regnet/mask-rcnn_regnetx-3.2GF_fpn_1x_coco.py'
custom_imports = dict(imports=['sb_mm.mmdet'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBRegNet'))
