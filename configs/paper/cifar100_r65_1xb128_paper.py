# ResNet-65 (CIFAR, bottleneck) on CIFAR-100: the plain row of the paper's
# table (0.71 M parameters, 103.3 MFLOPs, 21.87% top-1 error); the recipe of
# cifar100_r38_1xb128_paper.py.
_base_ = './cifar100_r38_1xb128_paper.py'

model = dict(backbone=dict(depth=65))
