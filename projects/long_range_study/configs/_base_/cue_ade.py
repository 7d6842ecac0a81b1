# Long-range study, semantic segmentation (mmseg): the cue task
# (tools/make_long_range_data.py). Grey shapes in the lower part, a red or blue
# bar along the top edge 104+ px away; every shape pixel is class 0 (red bar)
# or 1 (blue bar), the background is ignored. Inherits the ADE20K-format demo
# and changes data, pipeline (no resize / crop / flip: the geometry is the
# task), schedule, the trunk (ResNetV1c-18 cut to its first two stages, 32-64
# channels, receptive field 103 px) and the head: UPerNet's pyramid pooling
# sees the whole image by itself, so the study uses an FCN head (one 3x3
# conv, receptive field 119 px with the trunk) and only the backbone can
# bring the cue (configs/cue_ade_r_uper.py is the UPerNet control).
_base_ = '../../../../configs/demo/ade20k_upernet_sb_demo.py'

# the study's hook and SB variants (the repository root on PYTHONPATH)
custom_imports = dict(
    imports=['sb_mm.mmseg', 'projects.long_range_study.study'],
    allow_failed_imports=False)

data_root = 'data/long_range/far/cue_ade/ADEChallengeData2016'
size = (176, 128)
norm_cfg = dict(type='BN', requires_grad=True)

model = dict(
    data_preprocessor=dict(size=size),
    backbone=dict(depth=18, num_stages=2, strides=(1, 2), dilations=(1, 1),
                  out_indices=(0, 1), stem_channels=32, base_channels=32),
    decode_head=dict(
        _delete_=True, type='FCNHead', in_channels=64, in_index=1,
        channels=64, num_convs=1, kernel_size=3, concat_input=False,
        dropout_ratio=0.1, num_classes=2, norm_cfg=norm_cfg,
        align_corners=False,
        # the mean over labelled pixels: the shapes cover ~5% of a picture,
        # and the stock mean over all pixels scales their gradient by that
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                         loss_weight=1.0, avg_non_ignore=True)),
    auxiliary_head=None)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs')
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=8, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 300
train_cfg = dict(max_iters=max_iters, val_interval=60)
# AdamW: with the demo's SGD the models that can see the cue found it later
# and less reliably in this budget (one trial: iteration 300 vs 200)
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=0.002, weight_decay=0.01))
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
