# The demo comparison: `make demo`'s Mask R-CNN (SB in stages 1-3 of the
# narrow ResNet-18 trunk) as it is; demo_coco_r.py is the same without SB.
_base_ = '../../../configs/demo/coco_maskrcnn_sb_demo.py'
