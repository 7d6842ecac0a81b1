# Long-range study beyond the ResNets (issue 32): a ConvNeXt trunk cut to the
# study's receptive field, two stages of one block each (32 - 64 channels,
# 4x4 patch stem, 7x7 depthwise convs: theoretical receptive field 80 px,
# below the ResNet trunk's 99), no SB (see _base_/xor_in1k.py).
_base_ = './_base_/xor_in1k.py'

custom_imports = dict(
    imports=['mmpretrain.models', 'sb_mm.mmpretrain',
             'projects.long_range_study.study'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(_delete_=True, type='ConvNeXt',
                  arch=dict(depths=[1, 1], channels=[32, 64]),
                  out_indices=(1, ), gap_before_final_norm=False))
