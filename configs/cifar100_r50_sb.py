# ResNet-50 (CIFAR stem) on CIFAR-100 with spatial bias in stages 1-3.
_base_ = 'mmpretrain::resnet/resnet50_8xb16_cifar100.py'
custom_imports = dict(imports=['sb_mm.mmpretrain'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBResNet_CIFAR'))
