# The detection demo: configs/coco_maskrcnn_r50_sb.py on the generated COCO
# shapes (tools/make_demo_data.py), sized for 2 CPU cores. Changed: data
# root and classes, image scale, a schedule of a few minutes, training from
# scratch (no weights can be downloaded here: init_cfg=None, BN not frozen),
# and a narrow ResNet-18 trunk with 128-channel FPN and heads for the CPU
# budget (SB in stages 1-3 as before).
_base_ = '../coco_maskrcnn_r50_sb.py'

data_root = 'data/demo/coco/'
metainfo = dict(classes=('circle', 'square', 'triangle'),
                palette=[(220, 20, 60), (0, 160, 80), (30, 60, 220)])
img_scale = (256, 256)
channels = 128  # FPN and heads (stock: 256)

model = dict(
    backbone=dict(
        depth=18,
        base_channels=32,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=channels),
    rpn_head=dict(in_channels=channels, feat_channels=channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=channels),
        bbox_head=dict(in_channels=channels, fc_out_channels=256,
                       num_classes=3),
        mask_roi_extractor=dict(out_channels=channels),
        mask_head=dict(in_channels=channels, conv_out_channels=channels,
                       num_classes=3)),
    # fewer proposals and sampled RoIs: the RoI heads dominate on a CPU
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=500, max_per_img=200),
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=200)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor'))
]
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator

max_epochs = 7
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[6], gamma=0.1)
]
optim_wrapper = dict(
    optimizer=dict(lr=0.02), clip_grad=dict(max_norm=10, norm_type=2))
default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=1, max_keep_ckpts=2))
log_processor = dict(window_size=10)
env_cfg = dict(dist_cfg=dict(backend='gloo'))

# fixed seed: `make demo` gives the README's figures, not figures near them
randomness = dict(seed=0, deterministic=True)
