# Long-range study, the schedule: ResNet + GC on the detection task with
# twice the schedule (48 epochs, the step at 40), as cue_coco_sb48.py.
_base_ = './cue_coco_gc.py'

max_epochs = 48
train_cfg = dict(max_epochs=max_epochs, val_interval=8)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=50),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[40], gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=8, max_keep_ckpts=6))
