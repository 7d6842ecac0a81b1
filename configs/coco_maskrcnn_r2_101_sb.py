# Mask R-CNN with Res2Net-101 and spatial bias in stages 1-3 (conv3 computes
# the maps from the multi-scale convs' output and reads them beside it).
_base_ = 'mmdet::res2net/mask-rcnn_res2net-101_fpn_2x_coco.py'
custom_imports = dict(imports=['sb_mm.mmdet'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBRes2Net'))
