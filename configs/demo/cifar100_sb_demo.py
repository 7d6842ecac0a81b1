# The CIFAR-100-format demo: configs/cifar100_r50_sb.py on generated files in
# CIFAR-100's python format (labels 0-2 used), sized for 2 CPU cores:
# ResNet-18 CIFAR trunk (SB in stages 1-3), a short run. GeneratedCIFAR100 is
# the stock CIFAR100 minus the md5 check of the official archive.
_base_ = '../cifar100_r50_sb.py'

data_root = 'data/demo/cifar100'

model = dict(backbone=dict(depth=18), head=dict(in_channels=512))

train_dataloader = dict(
    batch_size=32, num_workers=1,
    dataset=dict(type='GeneratedCIFAR100', data_root=data_root))
val_dataloader = dict(
    batch_size=32, num_workers=1,
    dataset=dict(type='GeneratedCIFAR100', data_root=data_root))
test_dataloader = val_dataloader

train_cfg = dict(max_epochs=3, val_interval=3)
param_scheduler = dict(
    _delete_=True, type='CosineAnnealingLR', T_max=3, by_epoch=True)
default_hooks = dict(logger=dict(interval=5),
                     checkpoint=dict(interval=1, max_keep_ckpts=2))
env_cfg = dict(dist_cfg=dict(backend='gloo'))

# fixed seed: `make demo` gives the README's figures, not figures near them
randomness = dict(seed=0, deterministic=True)
