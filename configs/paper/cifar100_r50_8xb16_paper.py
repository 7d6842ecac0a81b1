# ResNet-50 (CIFAR stem) on CIFAR-100 with MMPretrain's stock CIFAR schedule:
# not a network of the paper's CIFAR-100 table, whose rows are the authors'
# small CIFAR ResNets (configs/paper/cifar100_r38_* and cifar100_r65_*).
# Kept as the same comparison on a larger network: SGD lr 0.1 (momentum 0.9,
# weight decay 5e-4) for a batch of 8 x 16 = 128, 200 epochs, LR x 0.2 at
# epochs 60 / 120 / 160, random crop 32 (padding 4) and horizontal flip.
_base_ = 'mmpretrain::resnet/resnet50_8xb16_cifar100.py'
custom_imports = dict(imports=['sb_mm.mmpretrain'], allow_failed_imports=False)
