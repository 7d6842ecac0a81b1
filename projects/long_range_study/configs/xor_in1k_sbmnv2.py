# Long-range study: the cut MobileNetV2 trunk of xor_in1k_mnv2.py with
# spatial bias in layer1 - layer3 (each projection reads the maps).
_base_ = './xor_in1k_mnv2.py'

model = dict(backbone=dict(type='SBMobileNetV2',
                           sb_stages=(True, True, True, False, False, False,
                                      False)))
