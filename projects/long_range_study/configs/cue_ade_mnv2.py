# Long-range study beyond the ResNets (issue 32): the cue segmentation task
# with MobileNetV2 cut to the study's receptive field (the stem and layer1 -
# layer3, output at 1/8, 32 channels, theoretical receptive field 59 px; 91
# px with the FCN head's 3x3 conv), no SB (see _base_/cue_ade.py).
# MMSegmentation's MobileNetV2 always builds all seven layers; those after
# layer3 take no part in the loss (and are counted in its parameters).
_base_ = './_base_/cue_ade.py'

model = dict(
    # two outputs: with one, MMSegmentation's MobileNetV2 returns a tensor,
    # not the tuple the head indexes
    backbone=dict(_delete_=True, type='MobileNetV2', out_indices=(1, 2)),
    decode_head=dict(in_channels=32, in_index=1))
