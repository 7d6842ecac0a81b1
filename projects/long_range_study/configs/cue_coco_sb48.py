# Long-range study, the schedule: SB-ResNet (the paper's SB) on the detection
# task with twice the schedule, 48 epochs (2400 iterations), the step at 40.
_base_ = './cue_coco_sb.py'

max_epochs = 48
train_cfg = dict(max_epochs=max_epochs, val_interval=8)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=50),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[40], gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=8, max_keep_ckpts=6))
