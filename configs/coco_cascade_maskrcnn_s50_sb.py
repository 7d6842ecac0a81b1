# Cascade Mask R-CNN with ResNeSt-50 and spatial bias in stages 1-3 (conv2,
# the split-attention conv, emits the maps; they go straight to conv3).
_base_ = ('mmdet::resnest/'
          'cascade-mask-rcnn_s50_fpn_syncbn-backbone+head_ms-1x_coco.py')
custom_imports = dict(imports=['sb_mm.mmdet'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBResNeSt'))
