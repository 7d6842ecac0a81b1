# Long-range study: the cut ConvNeXt trunk of xor_in1k_cnx.py with spatial
# bias in both stages (each block's pointwise_conv1 reads the maps).
_base_ = './xor_in1k_cnx.py'

model = dict(backbone=dict(type='SBConvNeXt', sb_stages=(True, True)))
