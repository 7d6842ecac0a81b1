# The context blocks the study compares with spatial bias, as block_plugins
# of the SB types (which with SB off are the stock ResNet): mmcv's NonLocal2d
# (embedded gaussian) after the last block of each stage, and GCNet's
# ContextBlock (ratio 1/4) after every block.
nl_after_last_blocks = dict(
    cfg=dict(type='NonLocal2d', reduction=2, mode='embedded_gaussian'),
    stages=(True, True), blocks='last')
gc_after_every_block = dict(
    cfg=dict(type='ContextBlock', ratio=1. / 4),
    stages=(True, True), blocks='all')
