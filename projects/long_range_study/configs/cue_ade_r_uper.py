# Control: the plain ResNet with the demo's UPerNet head. Its pyramid pooling
# module (scales 1, 2, 3, 6) averages the whole feature map, a global path in
# the head: with it a plain trunk can read the far cue.
_base_ = './cue_ade_r.py'

model = dict(
    decode_head=dict(
        _delete_=True, type='UPerHead', in_channels=[32, 64], in_index=[0, 1],
        pool_scales=(1, 2, 3, 6), channels=64, dropout_ratio=0.1,
        num_classes=2, norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                         loss_weight=1.0, avg_non_ignore=True)))
