# Long-range study, classification (mmpretrain): the XOR task
# (tools/make_long_range_data.py): a red or blue square at each end of a
# 64 x 160 picture, 102+ px apart; label = same or different colour (the XOR of
# the two). Inherits the ImageNet-format demo and
# changes data, pipeline (no crop or flip: the geometry is the task), schedule
# and the trunk: ResNet-18 cut to its first two stages (32-64 channels,
# theoretical receptive field 99 px, docs/long_range_study.md), SB in both.
# The study's configs differ from this one in the backbone only.
_base_ = '../../../../configs/demo/in1k_sb_demo.py'

# the study's hook and SB variants (the repository root on PYTHONPATH)
custom_imports = dict(
    imports=['sb_mm.mmpretrain', 'projects.long_range_study.study'],
    allow_failed_imports=False)

data_root = 'data/long_range/far/xor_imagenet'
metainfo = dict(classes=('same', 'different'))

model = dict(
    backbone=dict(depth=18, num_stages=2, strides=(1, 2), dilations=(1, 1),
                  out_indices=(1, ), stem_channels=32, base_channels=32),
    head=dict(num_classes=2, in_channels=64, topk=(1, )))
data_preprocessor = dict(num_classes=2)

train_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=32,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=50,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
param_scheduler = dict(T_max=max_epochs)
# AdamW: SGD (lr 0.1) left every model at the XOR plateau (loss ln 2) in
# this budget
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=0.002, weight_decay=0.01))
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
