# Long-range study: the cut MobileNetV2 trunk of cue_ade_mnv2.py with
# spatial bias in layer1 - layer3.
_base_ = './cue_ade_mnv2.py'

model = dict(backbone=dict(type='SBMobileNetV2',
                           sb_stages=(True, True, True, False, False, False,
                                      False)))
