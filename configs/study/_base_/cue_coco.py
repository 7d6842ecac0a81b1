# Long-range study, detection (mmdet): the cue task in COCO format
# (tools/make_long_range_data.py). Grey shapes in the lower part are instances
# of red_cued or blue_cued after a bar along the top edge 104+ px away.
# Inherits the Mask R-CNN demo and changes data, pipeline (no flip), schedule,
# the trunk (ResNet-18 cut to its first two stages, 32-64 channels, receptive
# field 99 px; FPN on strides 4 and 8, 123 px with its convs) and drops the
# mask branch (boxes and categories are the question; it halves the CPU cost).
# The RoI head classifies from features inside the box only.
_base_ = '../../demo/coco_maskrcnn_sb_demo.py'

data_root = 'data/long_range/far/cue_coco/'
metainfo = dict(classes=('red_cued', 'blue_cued'),
                palette=[(220, 20, 60), (30, 60, 220)])

model = dict(
    backbone=dict(num_stages=2, strides=(1, 2), dilations=(1, 1),
                  out_indices=(0, 1)),
    neck=dict(in_channels=[32, 64], num_outs=3),
    rpn_head=dict(anchor_generator=dict(scales=[6], strides=[4, 8, 16])),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=[4, 8]),
        bbox_head=dict(num_classes=2),
        mask_roi_extractor=None,
        mask_head=None))

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

max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=50),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[7], gamma=0.1)
]
default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
