# Long-range study, beyond the paper: SB on a 5 x 5 grid (the paper's 10 x 10
# has 4x the positions, each learning its own mixing row).
_base_ = './xor_in1k_sb.py'

model = dict(backbone=dict(sb_cfg=dict(grid_size=5)))
