# Long-range study, beyond the paper: SB reducing to 8 channels, so 6 maps
# instead of the paper's 5 channels / 3 maps.
_base_ = './xor_in1k_sb.py'

model = dict(backbone=dict(sb_cfg=dict(reduced_channels=8)))
