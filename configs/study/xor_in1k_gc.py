# Long-range study: the plain trunk plus a global-context block (GCNet,
# mmcv's ContextBlock, ratio 1/4) after every block.
_base_ = './_base_/xor_in1k.py'

model = dict(
    backbone=dict(
        type='SBResNet',
        sb_stages=(False, False),
        block_plugins=[
            dict(cfg=dict(type='ContextBlock', ratio=1. / 4),
                 stages=(True, True), blocks='all')
        ]))
