# Long-range study beyond the ResNets (issue 32): the cue segmentation task
# with a ConvNeXt trunk cut to the study's receptive field (two stages of one
# block, 32 - 64 channels, theoretical receptive field 80 px; 112 px with the
# FCN head's 3x3 conv at 1/8), no SB (see _base_/cue_ade.py).
_base_ = './_base_/cue_ade.py'

custom_imports = dict(
    imports=['mmpretrain.models', 'sb_mm.mmseg', 'sb_mm.mmpretrain',
             'projects.long_range_study.study'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(_delete_=True, type='mmpretrain.ConvNeXt',
                  arch=dict(depths=[1, 1], channels=[32, 64]),
                  out_indices=(0, 1), gap_before_final_norm=False))
