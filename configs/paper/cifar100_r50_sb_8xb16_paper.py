# SB-ResNet-50 (CIFAR stem) on CIFAR-100 with the recipe of
# cifar100_r50_8xb16_paper.py: spatial bias in stages 1-3. Paper: +1.5%
# top-1 over the plain network, on its small CIFAR ResNets (the
# cifar100_r38_* / r65_* configs), not on ResNet-50.
_base_ = './cifar100_r50_8xb16_paper.py'

model = dict(backbone=dict(type='SBResNet_CIFAR'))
