# Long-range study, detection (mmdet): the cue task in COCO format
# (tools/make_long_range_data.py). Grey shapes in the lower part are instances
# of red_cued or blue_cued after a bar along the top edge 104+ px away.
# Inherits the Mask R-CNN demo and changes data, pipeline (no flip), schedule,
# the trunk (ResNet-18 cut to its first two stages, 32-64 channels, receptive
# field 99 px; FPN on strides 4 and 8, 123 px with its convs) and drops the
# mask branch (boxes and categories are the question; it halves the CPU cost),
# and narrows FPN and heads to 64 channels (fc 128) with fewer proposals and
# sampled RoIs (2.3x faster per iteration, buying a longer schedule).
# The RoI head classifies from features inside the box only.
_base_ = '../../../../configs/demo/coco_maskrcnn_sb_demo.py'

# the study's hook and SB variants (the repository root on PYTHONPATH)
custom_imports = dict(
    imports=['sb_mm.mmdet', 'projects.long_range_study.study'],
    allow_failed_imports=False)

data_root = 'data/long_range/far/cue_coco/'
metainfo = dict(classes=('red_cued', 'blue_cued'),
                palette=[(220, 20, 60), (30, 60, 220)])

channels = 64
model = dict(
    backbone=dict(num_stages=2, strides=(1, 2), dilations=(1, 1),
                  out_indices=(0, 1)),
    neck=dict(in_channels=[32, 64], out_channels=channels, num_outs=3),
    rpn_head=dict(in_channels=channels, feat_channels=channels,
                  anchor_generator=dict(scales=[6], strides=[4, 8, 16])),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=[4, 8],
                                out_channels=channels),
        bbox_head=dict(num_classes=2, in_channels=channels,
                       fc_out_channels=128),
        mask_roi_extractor=None,
        mask_head=None),
    train_cfg=dict(rpn_proposal=dict(max_per_img=100),
                   rcnn=dict(sampler=dict(num=32))),
    test_cfg=dict(rpn=dict(max_per_img=100)))

img_scale = (128, 176)  # (w, h) of the generated pictures: no resizing,
# the Resize step only records the scale factor (1) that the heads expect
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor'))
]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json',
                     metric='bbox')
test_evaluator = val_evaluator

max_epochs = 24  # 1200 iterations: at 8 the plain detector had not
# learned the category even with the cue within reach (near control 39.9 AP)
train_cfg = dict(max_epochs=max_epochs, val_interval=4)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=50),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[20], gamma=0.1)
]
default_hooks = dict(
    logger=dict(interval=25),
    # every validation's weights kept: the probes of issue 19 read the cue
    # from them over training (tools/sb_cue_probe.py)
    checkpoint=dict(interval=4, max_keep_ckpts=6))
# how much gradient reaches the spatial bias (train/sb_grad_* in the log and
# scalars.json; nothing for the models without SB): issue 19's diagnosis
custom_hooks = [dict(type='SBGradientStatsHook')]
