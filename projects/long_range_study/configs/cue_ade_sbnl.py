# Long-range study: spatial bias in every block and NonLocal2d after the last
# block of stage 2.
_base_ = './cue_ade_nl.py'

model = dict(backbone=dict(sb_stages=(True, True)))
