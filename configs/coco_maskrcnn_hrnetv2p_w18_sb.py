# Mask R-CNN with HRNetV2p-W18 and spatial bias in HRNet's stages 1-3.
_base_ = 'mmdet::hrnet/mask-rcnn_hrnetv2p-w18-1x_coco.py'
custom_imports = dict(imports=['sb_mm.mmdet'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBHRNet'))
