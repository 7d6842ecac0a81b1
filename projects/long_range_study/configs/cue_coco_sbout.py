# Long-range study, beyond the paper: SB whose maps also reach the block's
# output through a zero-initialised 1x1 conv (sb_cfg.add_to_output), past the
# residual branch's last norm, which the libraries start at zero.
_base_ = './cue_coco_sb.py'

model = dict(backbone=dict(sb_cfg=dict(add_to_output=True)))
