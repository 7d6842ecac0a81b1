# The context blocks the study compares with spatial bias, as block_plugins
# of the SB types (which with SB off are the stock ResNet): mmcv's NonLocal2d
# (embedded gaussian) after the last block of stage 2 (stride 8; as Wang et
# al. place NL blocks at the lower resolutions: at stride 4 one NL block cost
# more than the rest of the trunk), and GCNet's ContextBlock (ratio 1/4)
# after every block.
nl_after_last_block = dict(
    cfg=dict(type='NonLocal2d', reduction=2, mode='embedded_gaussian'),
    stages=(False, True), blocks='last')
gc_after_every_block = dict(
    cfg=dict(type='ContextBlock', ratio=1. / 4),
    stages=(True, True), blocks='all')
