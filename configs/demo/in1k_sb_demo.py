# The ImageNet-format demo: configs/in1k_r50_sb.py on the generated
# ImageNet-style folder (3 shape classes, 64 px), sized for 2 CPU cores:
# ResNet-18 trunk (SB in stages 1-3), 3 classes, small crops, a short run.
_base_ = '../in1k_r50_sb.py'

data_root = 'data/demo/imagenet'
metainfo = dict(classes=('circle', 'square', 'triangle'))

model = dict(
    backbone=dict(depth=18),
    head=dict(num_classes=3, in_channels=512, topk=(1, )))
data_preprocessor = dict(num_classes=3)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=56),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=64, edge='short'),
    dict(type='CenterCrop', crop_size=56),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=16, num_workers=1,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=1,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(topk=(1, ))
test_evaluator = val_evaluator

train_cfg = dict(max_epochs=4, val_interval=4)
param_scheduler = dict(
    _delete_=True, type='CosineAnnealingLR', T_max=4, by_epoch=True)
optim_wrapper = dict(optimizer=dict(lr=0.05))
default_hooks = dict(logger=dict(interval=5),
                     checkpoint=dict(interval=1, max_keep_ckpts=2))
env_cfg = dict(dist_cfg=dict(backend='gloo'))

# fixed seed: `make demo` gives the README's figures, not figures near them
randomness = dict(seed=0, deterministic=True)
