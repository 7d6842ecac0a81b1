# Long-range study: the cut ConvNeXt trunk of cue_ade_cnx.py with spatial
# bias in both stages.
_base_ = './cue_ade_cnx.py'

model = dict(backbone=dict(type='mmpretrain.SBConvNeXt',
                           sb_stages=(True, True)))
