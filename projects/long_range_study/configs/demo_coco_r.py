# The demo comparison: `make demo`'s Mask R-CNN with the stock ResNet-18
# trunk instead of SB-ResNet-18; everything else is the demo's.
_base_ = '../../../configs/demo/coco_maskrcnn_sb_demo.py'

model = dict(backbone=dict(type='ResNet'))
