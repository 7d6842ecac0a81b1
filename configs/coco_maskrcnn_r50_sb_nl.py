# Spatial bias (stages 1-3) and non-local blocks together: the paper reports
# they are complementary.
_base_ = './coco_maskrcnn_r50_nl.py'

model = dict(backbone=dict(type='SBResNet'))
