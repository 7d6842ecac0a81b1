# Long-range study: the plain trunk plus mmcv's NonLocal2d after the last
# block of stage 2 (_base_/context_blocks.py).
_base_ = ['./_base_/cue_ade.py', './_base_/context_blocks.py']

model = dict(
    backbone=dict(type='SBResNetV1c', sb_stages=(False, False),
                  block_plugins=[{{_base_.nl_after_last_block}}]))
