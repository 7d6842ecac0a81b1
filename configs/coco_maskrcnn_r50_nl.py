# The paper's comparison: stock ResNet-50 with mmcv's NonLocal2d (embedded
# gaussian). MMDetection's plugin mechanism places a plugin per stage, so this
# puts one NL block after conv3 of every stage-3 block (6 blocks at 1/16).
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['sb_mm.mmdet'], allow_failed_imports=False)

model = dict(
    backbone=dict(plugins=[
        dict(
            cfg=dict(type='NonLocal2d', reduction=2, mode='embedded_gaussian'),
            stages=(False, False, True, False),
            position='after_conv3')
    ]))
