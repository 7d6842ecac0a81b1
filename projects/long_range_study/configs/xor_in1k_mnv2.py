# Long-range study beyond the ResNets (issue 32): MobileNetV2 cut to the
# study's receptive field, the stem and layer1 - layer3 (output at 1/8, 32
# channels; theoretical receptive field 59 px: layer4 would bring it to 171),
# no SB (see _base_/xor_in1k.py). MMPretrain's MobileNetV2 always builds all
# seven layers; those after layer3 are left out of the output and take no
# part in the loss.
_base_ = './_base_/xor_in1k.py'

model = dict(
    backbone=dict(_delete_=True, type='MobileNetV2', out_indices=(2, )),
    head=dict(in_channels=32))
