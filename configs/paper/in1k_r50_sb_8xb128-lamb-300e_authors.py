# SB-ResNet-50 with the paper's ImageNet-1K recipe (the authors' timm run):
# the recipe of in1k_r50_8xb128-lamb-300e_authors.py, spatial bias in stages
# 1-3. Paper: +0.79% top-1 over the plain ResNet-50 with the same recipe.
_base_ = './in1k_r50_8xb128-lamb-300e_authors.py'

model = dict(backbone=dict(type='SBResNet'))
