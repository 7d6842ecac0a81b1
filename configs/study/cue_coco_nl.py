# Long-range study: the plain trunk plus mmcv's NonLocal2d (embedded
# gaussian) after the last block of each stage; the SB type with SB off is the
# stock ResNet, and its block_plugins work for basic blocks.
_base_ = './_base_/cue_coco.py'

model = dict(
    backbone=dict(
        type='SBResNet',
        sb_stages=(False, False),
        block_plugins=[
            dict(cfg=dict(type='NonLocal2d', reduction=2,
                          mode='embedded_gaussian'),
                 stages=(True, True), blocks='last')
        ]))
