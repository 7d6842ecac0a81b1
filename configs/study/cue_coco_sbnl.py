# Long-range study: spatial bias in every block and NonLocal2d after the last
# block of each stage.
_base_ = './cue_coco_nl.py'

model = dict(backbone=dict(sb_stages=(True, True)))
