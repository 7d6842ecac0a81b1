# Long-range study, beyond the paper: SB whose grid mixing has a weight
# shared by every position (sb_cfg.shared_mix; 300 more parameters a layer).
_base_ = './cue_coco_sb.py'

model = dict(backbone=dict(sb_cfg=dict(shared_mix=True)))
